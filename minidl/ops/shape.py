"""Shape operations: reshape, transpose, indexing, concatenation, splitting and padding."""
import itertools

from .. import backend
from ..autograd import Function
from ..tensor import Tensor, make
from .reduce import BroadcastTo, SumTo, normalize_dims, numpy_names


class Reshape(Function):
    """The same values in a new shape (a view when the memory layout allows); the gradient is
    reshaped back."""
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def view_again(self, _):
        return Reshape(self.shape)

    def forward(self, x):
        self.source = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.source)


class Transpose(Function):
    """Axes permuted by ``axes`` (a view); the gradient is permuted back by the inverse."""
    is_view = True

    def __init__(self, axes):
        self.axes = axes

    def view_again(self, _):
        return Transpose(self.axes)

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return gy.permute(*sorted(range(len(self.axes)), key=self.axes.__getitem__))


def is_basic_index(index):
    """True for an index of ints, slices, None and Ellipsis only (NumPy's basic indexing, which
    gives a view)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, _BASIC) and not isinstance(p, backend.BOOL_TYPES) for p in parts)


_BASIC = backend.INTEGER_TYPES + (slice, type(None), type(Ellipsis))


def raw_index(index, xp):
    """Replace Tensors and lists inside an index by arrays of the indexed tensor's module. A
    basic index gets a trailing Ellipsis, so that NumPy too returns a 0-d view for ``x[i]`` of
    a 1-D x (not a scalar copy), as CuPy does."""
    if is_basic_index(index):
        index = index if isinstance(index, tuple) else (index,)
        return index if any(i is Ellipsis for i in index) else index + (Ellipsis,)
    if isinstance(index, tuple):
        return tuple(_raw_part(i, xp) for i in index)
    return _raw_part(index, xp)


def _raw_part(index, xp):
    if isinstance(index, Tensor):
        index = index.array
    if isinstance(index, list) or backend.array_module(index) is not xp and hasattr(index, 'ndim'):
        return xp.asarray(backend.to_numpy(index) if hasattr(index, 'ndim') else index)
    return index


class GetItem(Function):
    """x[index] (a view for basic indexing: ints, slices, None, ...); the gradient is scattered
    back into zeros (IndexAdd)."""
    is_view = True

    def __init__(self, index):
        self.index = index

    def view_again(self, _):
        return GetItem(self.index)

    def forward(self, x):
        self.source = x.shape
        return x[self.index]

    def backward(self, gy):
        return IndexAdd(self.index, self.source)(gy)


class IndexAdd(Function):
    """Scatter ``gy`` into zeros of ``shape`` at ``index``; repeated indices accumulate."""
    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        out = backend.array_module(gy).zeros(self.shape, dtype=gy.dtype)
        if not is_basic_index(self.index):
            backend.scatter_add(out, self.index, gy)
        else:
            out[self.index] = gy
        return out

    def backward(self, ggx):
        return GetItem(self.index)(ggx)


class Concat(Function):
    """Inputs joined along ``axis``; the gradient is sliced back into pieces."""
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return backend.array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        grads, start = [], 0
        lead = (slice(None),) * self.axis
        for n in self.sizes:
            grads.append(gy[lead + (slice(start, start + n),)])
            start += n
        return tuple(grads)


class Split(Function):
    """Pieces of ``sizes`` along ``axis`` (several outputs, views); gradients are concatenated."""
    is_view = True

    def __init__(self, sizes, axis):
        self.sizes, self.axis = sizes, axis

    def view_again(self, i):
        start = sum(self.sizes[:i])
        return GetItem((slice(None),) * self.axis + (slice(start, start + self.sizes[i]),))

    def forward(self, x):
        self.shape = x.shape
        bounds = list(itertools.accumulate(self.sizes))[:-1]
        return tuple(backend.array_module(x).split(x, bounds, axis=self.axis))

    def backward(self, *grads):
        xp = backend.array_module(self.inputs[0].array)
        parts = []
        for g, n in zip(grads, self.sizes):
            if g is None:
                shape = self.shape[:self.axis] + (n,) + self.shape[self.axis + 1:]
                g = make(xp.zeros(shape, dtype=self.inputs[0].dtype))
            parts.append(g)
        return Concat(self.axis)(*parts)


class Pad(Function):
    """Constant padding by ``widths``; the gradient is the un-padded slice."""
    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        xp = backend.array_module(x)
        return xp.pad(x, self.widths, mode='constant', constant_values=self.value)

    def backward(self, gy):
        index = tuple(slice(lo, gy.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))
        return gy[index]


# ---------------------------------------------------------------- wrappers
def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    """The same data viewed with a new shape (one entry may be -1)."""
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    try:
        return Reshape(shape)(x)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.numel()} elements) into shape {shape}") from None


def permute(x, *dims):
    """Reorder dimensions: out.shape[i] == x.shape[dims[i]]."""
    dims = _shape_arg(dims)
    axes = [normalize_dims(d, x.ndim)[0] for d in dims]
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} is not a permutation of the {x.ndim} "
                         f"dimensions of shape {x.shape}")
    return Transpose(tuple(axes))(x)


def transpose(x, dim0, dim1):
    """Swap two dimensions."""
    dims = list(range(x.ndim))
    d0, d1 = normalize_dims(dim0, x.ndim)[0], normalize_dims(dim1, x.ndim)[0]
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Transpose(tuple(dims))(x)


def T(x):
    """All dimensions reversed (the matrix transpose for 2-D)."""
    return Transpose(tuple(range(x.ndim))[::-1])(x) if x.ndim > 1 else x


def mT(x):
    """Transpose of the last two dimensions (a batch of matrices)."""
    return transpose(x, -1, -2)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one."""
    if x.ndim == 0:
        return x.reshape(1)
    start, end = normalize_dims(start_dim, x.ndim)[0], normalize_dims(end_dim, x.ndim)[0]
    return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])


def squeeze(x, dim=None):
    """Remove dimensions of size 1 (all of them, or only ``dim``)."""
    if dim is None:
        dims = [i for i, n in enumerate(x.shape) if n == 1]
    else:
        dims = [d for d in normalize_dims(dim, x.ndim) if x.shape[d] == 1]
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in dims))


def unsqueeze(x, dim):
    """Insert a dimension of size 1 at ``dim``."""
    dim = normalize_dims(dim, x.ndim + 1)[0]
    return x.reshape(x.shape[:dim] + (1,) + x.shape[dim:])


def broadcast_to(x, *shape):
    """Broadcast to ``shape`` (NumPy rules) without copying."""
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    try:
        return BroadcastTo(shape)(x)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None


def expand(x, *sizes):
    """Broadcast to ``sizes``; -1 keeps a dimension's size (PyTorch's expand)."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0 or any(n == -1 for n in sizes[:lead]):
        raise ValueError(f"expand: cannot expand shape {x.shape} to {sizes} (-1 is allowed only "
                         "for existing dimensions)")
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x, shape):
    """Sum broadcast dimensions away so that the result has ``shape``."""
    return x if x.shape == tuple(shape) else SumTo(tuple(shape))(x)


def getitem(x, index):
    """x[index]: basic slicing and integer/boolean array indexing; gradients scatter back,
    accumulating where an index repeats."""
    return GetItem(raw_index(index, x._xp()))(x)


def _check_same(tensors, name):
    if not tensors:
        raise ValueError(f"{name}: expected a non-empty sequence of tensors")
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.dtype != first.dtype and t.dtype.kind != first.dtype.kind:
            raise TypeError(f"{name}: tensors[{i}] has dtype {t.dtype}, tensors[0] has "
                            f"{first.dtype}")


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim``."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    _check_same(tensors, 'cat')
    axis = normalize_dims(dim, tensors[0].ndim)[0]
    for i, t in enumerate(tensors):
        if t.ndim != tensors[0].ndim or any(a != b for k, (a, b) in
                                            enumerate(zip(t.shape, tensors[0].shape)) if k != axis):
            raise ValueError(f"cat: tensors[{i}] has shape {t.shape}, which does not match "
                             f"tensors[0]'s shape {tensors[0].shape} outside dim {dim}")
    return Concat(axis)(*tensors)


concatenate = cat


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension ``dim``."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    _check_same(tensors, 'stack')
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensors[{i}] has shape {t.shape}, tensors[0] has "
                             f"{tensors[0].shape}; all must be equal")
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def split(x, split_size_or_sections, dim=0):
    """Split along ``dim`` into pieces of ``split_size`` (an int; the last may be smaller) or of
    the given list of sizes, as torch.split."""
    axis = normalize_dims(dim, x.ndim)[0]
    length = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, length - s) for s in range(0, length, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dim {dim} has "
                             f"size {length}")
    return Split(sizes, axis)(x)


def pad(x, pad, mode='constant', value=0.0):
    """Constant padding as torch.nn.functional.pad: ``pad`` = (left, right) for the last
    dimension, then (top, bottom) for the one before, and so on."""
    if mode != 'constant':
        raise NotImplementedError(f"pad: only mode='constant' is supported, got mode={mode!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected an even number of widths covering at most {x.ndim} "
                         f"dimensions, got {tuple(pad)}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: widths must be non-negative, got {tuple(pad)}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return Pad(tuple(widths), value)(x)


# PyTorch accepts NumPy's axis= (and keepdims=) wherever it takes dim= (see reduce.numpy_names)
cat, stack, split, squeeze, unsqueeze = (numpy_names(f) for f in (cat, stack, split, squeeze,
                                                                   unsqueeze))
concatenate = cat
