"""Indexing along a dimension: gather, scatter, scatter_add, index_select, index_add,
index_fill, index_copy, masked_fill, masked_select, nonzero.

None needs a Function of its own. An index tensor along ``dim`` names, for every element, full
coordinates: its own value along ``dim`` and its position along every other dimension. With
those coordinates, gather is plain indexing ``x[coordinates]`` (whose gradient scatters back,
adding where an index repeats), scatter is an indexed write, and scatter_add an indexed sum,
all differentiable already (``shape.GetItem``, ``shape.IndexAdd``, ``inplace.IndexPut``).
"""
from .. import backend
from ..tensor import Tensor, make
from .inplace import IndexPut
from .math import lift
from .placement import on_input_device
from .reduce import normalize_dim, numpy_names
from .select import where
from .subscript import GetItem, IndexAdd


def _index_array(where_, index, input):
    """The raw integer array of ``index`` (a Tensor on input's device, or a list)."""
    if isinstance(index, Tensor) and index.device != input.device:
        raise RuntimeError(f"{where_}: input is on {input.device} but index is on "
                           f"{index.device}; move them to the same device")
    array = index.array if isinstance(index, Tensor) else input._xp().asarray(index)
    if array.dtype.kind not in 'iu':
        raise TypeError(f"{where_}: index must be an integer tensor, got dtype {array.dtype}")
    return array


def _check_range(where_, index, size, dim):
    """PyTorch refuses indices outside [0, size) where NumPy would wrap negative ones. Checked on
    the CPU only: on a GPU it would wait for the device (as the losses' target checks)."""
    if backend.device_of(index) != 'cpu' or index.size == 0:
        return
    low, high = int(index.min()), int(index.max())
    if low < 0 or high >= size:
        bad = low if low < 0 else high
        raise IndexError(f"{where_}: index {bad} is out of bounds for dimension {dim} with size "
                         f"{size}")


def _coordinates(index, dim, xp):
    """The full coordinates that ``index`` names along ``dim``: for each dimension an array
    broadcasting to index's shape, index itself for ``dim`` and a range for the others."""
    n = index.ndim
    return tuple(index if d == dim else xp.arange(size).reshape((size,) + (1,) * (n - d - 1))
                 for d, size in enumerate(index.shape))


def _along(where_, input, dim, index, others=()):
    """``dim`` as an axis and the coordinates of ``index`` in ``input``, after PyTorch's checks:
    index has input's rank and fits inside input (and each of ``others``) along every other
    dimension."""
    axis = normalize_dim(dim, input.ndim)
    xp = input._xp()
    array = _index_array(where_, index, input)
    if array.ndim != input.ndim:
        raise RuntimeError(f"{where_}: index must have as many dimensions as input "
                           f"({input.ndim}), got shape {tuple(array.shape)}")
    limits = [('input', input, axis)] + [(name, t, None) for name, t in others]
    for name, t, free in limits:        # index may be longer than input along dim only
        if t.ndim != array.ndim or any(array.shape[d] > t.shape[d] for d in range(t.ndim)
                                       if d != free):
            raise RuntimeError(f"{where_}: index of shape {tuple(array.shape)} does not fit "
                               f"inside {name} of shape {tuple(t.shape)}")
    _check_range(where_, array, input.shape[axis] if input.ndim else 1, dim)
    return axis, _coordinates(array, axis, xp)


@numpy_names
@on_input_device
def gather(input, dim, index):
    """out[i][j] = input[index[i][j]][j] for dim=0 (and so on): values picked along ``dim``.
    index: an integer tensor of input's rank, no larger than input outside ``dim``; the
    output has index's shape. Differentiable in input."""
    _, coords = _along('gather', input, dim, index)
    return GetItem(coords)(input)


def _source(where_, input, index, src, value):
    """The values a scatter writes: src cut to index's shape, or the number ``value``."""
    if value is not None or not isinstance(src, Tensor):
        return lift(src if value is None else value, input).to(dtype=input.dtype)
    if src.dtype != input.dtype:
        raise RuntimeError(f"{where_}: src has dtype {src.dtype} but input has {input.dtype}; "
                           "they must match")
    shape = index.shape if isinstance(index, Tensor) else backend.host_array(index).shape
    return src[tuple(slice(0, n) for n in shape)] if tuple(shape) != src.shape else src


@numpy_names
@on_input_device
def scatter(input, dim, index, src=None, value=None):
    """A copy of input with out[index[i][j]][j] = src[i][j] for dim=0 (and so on); ``src`` a
    tensor at least as large as index, or a number (also as ``value=``). Where an index
    repeats, which write wins is unspecified (as PyTorch). Differentiable in input (zero
    gradient at written places) and src."""
    if src is None and value is None:
        raise TypeError("scatter: give src (a tensor or a number) or value")
    others = (('src', src),) if isinstance(src, Tensor) else ()
    _, coords = _along('scatter', input, dim, index, others)
    return IndexPut(coords)(input, _source('scatter', input, index, src, value))


@numpy_names
@on_input_device
def scatter_add(input, dim, index, src):
    """A copy of input with out[index[i][j]][j] += src[i][j] for dim=0 (and so on), adding up
    where an index repeats. Differentiable in input and src."""
    _, coords = _along('scatter_add', input, dim, index, (('src', src),))
    return input + IndexAdd(coords, input.shape)(_source('scatter_add', input, index, src, None))


def _region(where_, input, dim, index):
    """The axis and the index selecting entries ``index`` (1-D) along ``dim``."""
    axis = normalize_dim(dim, input.ndim)
    array = _index_array(where_, index, input).reshape(-1)
    _check_range(where_, array, input.shape[axis] if input.ndim else 1, dim)
    return axis, (slice(None),) * axis + (array,)


@numpy_names
@on_input_device
def index_select(input, dim, index):
    """The entries ``index`` (a 1-D integer tensor) of input along ``dim``; that dimension's size
    becomes len(index). Differentiable in input."""
    return GetItem(_region('index_select', input, dim, index)[1])(input)


@numpy_names
@on_input_device
def index_add(input, dim, index, source, alpha=1):
    """A copy of input with alpha * source[i] added to entry index[i] along ``dim`` (adding up
    where an index repeats); source has input's shape with len(index) along dim."""
    axis, region = _region('index_add', input, dim, index)
    scaled = source if alpha == 1 else source * alpha
    return input + IndexAdd(region, input.shape)(scaled.to(dtype=input.dtype))


@numpy_names
@on_input_device
def index_fill(input, dim, index, value):
    """A copy of input with the entries ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor)."""
    _, region = _region('index_fill', input, dim, index)
    return IndexPut(region)(input, lift(value, input).to(dtype=input.dtype))


@numpy_names
@on_input_device
def index_copy(input, dim, index, source):
    """A copy of input with entry index[i] along ``dim`` replaced by source[i] (source has
    input's shape with len(index) along dim)."""
    _, region = _region('index_copy', input, dim, index)
    return IndexPut(region)(input, source.to(dtype=input.dtype))


@on_input_device
def masked_fill(input, mask, value):
    """A copy of input with ``value`` (a number or a 0-d tensor) where the bool ``mask``
    (broadcasting to input's shape) is True. Differentiable in input and a tensor value."""
    if not isinstance(mask, Tensor) or mask.dtype != backend.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got "
                        f"{getattr(mask, 'dtype', type(mask).__name__)}")
    value = lift(value, input)
    if value.ndim != 0:
        raise RuntimeError(f"masked_fill: value must be a number or a 0-d tensor, got a tensor "
                           f"with {value.ndim} dimensions")
    return where(mask.broadcast_to(input.shape), value.to(dtype=input.dtype), input)


def masked_select(input, mask):
    """The elements of input where the bool ``mask`` is True (both broadcast), as a 1-D
    tensor. Differentiable in input."""
    shape = backend.broadcast_shapes(input.shape, mask.shape)
    return input.broadcast_to(shape)[mask.broadcast_to(shape)]


@on_input_device
def nonzero(input, as_tuple=False):
    """The indices of the nonzero elements, in row-major order: an (n, input.ndim) int64 tensor,
    or with ``as_tuple=True`` one 1-D tensor per dimension."""
    xp = input._xp()
    array = input.array if input.ndim else input.array.reshape(1)
    found = tuple(i.astype(backend.int64) for i in xp.nonzero(array))
    if as_tuple:
        return tuple(make(i) for i in found)
    if not input.ndim:
        return make(xp.zeros((len(found[0]), 0), dtype=backend.int64))
    return make(xp.stack(found, axis=1))


argwhere = nonzero
