"""Ordering: sort, argsort, topk, kthvalue, median, unique; searchsorted, bucketize, bincount,
histc.

The order itself is found on the raw arrays (a stable argsort); the values are then gathered
with those indices, so their gradient is gather's: each value's gradient goes back to the
element it came from. Two small Functions do what gathering cannot: the median of all elements
shares its gradient among tied elements (``SharedValue``), and unique's values and bincount's
weighted counts require grad without having a derivative (``NoDerivative``), as PyTorch's.
"""
import collections

from .. import backend
from ..autograd import Function
from ..tensor import Tensor, make
from .index import gather
from .placement import on_input_device
from .reduce import normalize_dim, numpy_names

_ValuesIndices = collections.namedtuple('values_indices', ['values', 'indices'])


def _axis(input, dim):
    return normalize_dim(dim, input.ndim)


def _order(array, axis, descending):
    """Indices that sort ``array`` along ``axis``, stably: equal values keep their order (also
    in descending order, as PyTorch's stable sort), NaN counts as the largest value."""
    xp = backend.array_module(array)
    if not descending:
        return xp.argsort(array, axis=axis, kind='stable')
    # Sorting the reversed array ascending and reversing the result keeps ties in their
    # original order; -array would not (and fails for unsigned and bool arrays).
    backwards = xp.flip(xp.argsort(xp.flip(array, axis), axis=axis, kind='stable'), axis)
    return (array.shape[axis] - 1 - backwards).astype(backend.int64)


def _as_1d(input):
    """A 0-d tensor as one element (PyTorch sorts a 0-d tensor as itself)."""
    return input.reshape(1) if input.ndim == 0 else input


def _shaped_like(result, input):
    return result.reshape(()) if input.ndim == 0 else result


@numpy_names
@on_input_device
def sort(input, dim=-1, descending=False, stable=False):
    """The values sorted along ``dim`` and the indices they came from: a (values, indices)
    pair. Ties keep their order (every sort here is stable). Differentiable in input."""
    x, axis = _as_1d(input), _axis(input, dim)
    indices = make(_order(x.array, axis, descending).astype(backend.int64))
    values = gather(x, axis, indices)
    return _ValuesIndices(_shaped_like(values, input), _shaped_like(indices, input))


@numpy_names
def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort input along ``dim`` (int64); ties keep their order."""
    return sort(input, dim, descending, stable).indices


def msort(input):
    """input sorted along its first dimension."""
    return sort(input, 0).values


@numpy_names
@on_input_device
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or with largest=False smallest) values along ``dim`` and their
    indices, a (values, indices) pair, in order. Differentiable in input."""
    axis = _axis(input, dim)
    size = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim} of size {size}")
    x = _as_1d(input)
    k = 1 if input.ndim == 0 else k     # (as PyTorch: a 0-d tensor's top 0 is itself too)
    order = _order(x.array, axis, descending=largest)
    indices = make(order[(slice(None),) * axis + (slice(0, k),)].astype(backend.int64))
    values = gather(x, axis, indices)
    return _ValuesIndices(_shaped_like(values, input), _shaped_like(indices, input))


def _pick(input, dim, keepdim, position):
    """The element at ``position(sorted_array, axis)`` of each sorted row, and its index."""
    x, axis = _as_1d(input), _axis(input, dim)
    order = _order(x.array, axis, descending=False)
    xp = x._xp()
    sorted_values = xp.take_along_axis(x.array, order, axis)
    at = position(sorted_values, axis)
    indices = make(xp.take_along_axis(order, at, axis).astype(backend.int64))
    values = gather(x, axis, indices)
    if not keepdim or input.ndim == 0:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return _ValuesIndices(values, indices)


@numpy_names
@on_input_device
def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest value (k = 1 is the minimum) along ``dim`` and its index."""
    size = input.shape[_axis(input, dim)] if input.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue: k ({k}) is out of range for dimension {dim} of size "
                           f"{size}")
    xp = input._xp()
    return _pick(input, dim, keepdim,
                 lambda s, axis: xp.full(_kept(s.shape, axis), k - 1, dtype=backend.int64))


def _kept(shape, axis):
    return shape[:axis] + (1,) + shape[axis + 1:]


def _median_position(sorted_values, axis):
    """The lower median's position in each sorted row, or the row's first NaN (PyTorch's
    median is NaN when the row holds one, and NaN sorts last)."""
    xp = backend.array_module(sorted_values)
    n = sorted_values.shape[axis]
    middle = xp.full(_kept(sorted_values.shape, axis), (n - 1) // 2, dtype=backend.int64)
    if sorted_values.dtype.kind != 'f':
        return middle
    nans = xp.isnan(sorted_values).sum(axis=axis, keepdims=True)
    return xp.where(nans > 0, n - nans, middle)


@numpy_names
@on_input_device
def median(input, dim=None, keepdim=False):
    """The lower median (the smaller of the two middle values for an even count): of all the
    elements when ``dim`` is None, else a (values, indices) pair along ``dim``. NaN if the
    values hold one. Differentiable in input."""
    if dim is None and input.numel() == 0 and input.dtype.kind == 'f':
        return input.sum() * float('nan')       # NaN, in the graph (as PyTorch)
    size = input.numel() if dim is None else (input.shape[_axis(input, dim)] if input.ndim
                                              else 1)
    if size == 0:
        raise RuntimeError(f"median: the reduced dimension{'' if dim is None else ' ' + str(dim)}"
                           " is empty")
    if dim is None:
        value = _pick(input.detach().reshape(-1), 0, False, _median_position).values
        return SharedValue(value.array)(input)
    return _pick(input, dim, keepdim, _median_position)


class SharedValue(Function):
    """``value``, one of input's elements (its median), as a 0-d tensor whose gradient is shared
    evenly among the elements equal to it (or among the NaNs, for NaN), as PyTorch's median()."""

    def __init__(self, value):
        self.value = value

    def forward(self, x):
        return self.value

    def backward(self, gy):
        x = self.input(0).array
        xp = backend.array_module(x)
        equal = (x == self.value) | (xp.isnan(x) & xp.isnan(self.value))
        return gy * make((equal / equal.sum()).astype(gy.dtype))


class NoDerivative(Function):
    """``result`` (an array computed outside the graph from input), which requires grad when
    input does, as in PyTorch, though ``name`` has no derivative: backward raises."""

    def __init__(self, name, result):
        self.name, self.result = name, result

    def forward(self, x):
        return self.result

    def backward(self, gy):
        raise NotImplementedError(f"the derivative of {self.name} is not implemented (as in "
                                  "PyTorch): it is not differentiable")


@on_input_device
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values, sorted (of all elements, or the distinct slices along ``dim``), and
    optionally the index of each element's (or slice's) value in them and how often each
    occurs. The values require grad when input does, with no derivative (as PyTorch's)."""
    xp, array = input._xp(), input.array
    if dim is not None and input.ndim == 0:
        raise IndexError(f"unique: dim {dim} given for a 0-d tensor, which has no dimensions")
    axis = None if dim is None else normalize_dim(dim, input.ndim)
    if axis is not None and 0 in input.shape[:axis] + input.shape[axis + 1:]:
        raise RuntimeError(f"unique: input of shape {tuple(input.shape)} has empty dimensions "
                           f"besides dim {dim}, so its slices along dim cannot be compared")
    values, inverse, counts = xp.unique(array, return_inverse=True, return_counts=True,
                                        axis=axis)
    out = [NoDerivative('unique', values)(input)]
    if return_inverse:
        shape = input.shape if axis is None else (input.shape[axis],)
        out.append(make(inverse.reshape(shape).astype(backend.int64)))
    if return_counts:
        out.append(make(counts.astype(backend.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _sorted_rows(where_, sorted_sequence, sorter):
    """sorted_sequence's array (1-D or more), its rows put in order by ``sorter`` if given."""
    if sorted_sequence.ndim == 0:
        raise RuntimeError(f"{where_}: the sorted sequence must have at least one dimension, "
                           "got a 0-d tensor")
    rows = sorted_sequence.array
    if sorter is None:
        return rows
    if sorter.dtype != backend.int64 or sorter.shape != sorted_sequence.shape:
        raise RuntimeError(f"{where_}: sorter must be an int64 tensor of the sorted sequence's "
                           f"shape {tuple(sorted_sequence.shape)}, got {sorter.dtype} of shape "
                           f"{tuple(sorter.shape)}")
    n = rows.shape[-1]
    if backend.device_of(sorter.array) == 'cpu' and sorter.numel() and not (
            0 <= int(sorter.array.min()) and int(sorter.array.max()) < n):
        raise RuntimeError(f"{where_}: sorter holds an index out of range [0, {n})")
    return backend.array_module(rows).take_along_axis(rows, sorter.array, -1)


def _right(where_, right, side):
    if side not in (None, 'left', 'right'):
        raise RuntimeError(f"{where_}: side must be 'left' or 'right', got {side!r}")
    if side == 'left' and right:
        raise RuntimeError(f"{where_}: side='left' and right=True contradict each other")
    return right or side == 'right'


@on_input_device
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """For each value of ``input`` (a tensor or a number), the index where it would go in the
    sorted last dimension of ``sorted_sequence`` to keep it sorted: before equal entries, or
    after them (right=True, or side='right'). A 1-D sequence (N,) serves values of any shape;
    rows (..., N) serve values (..., M) of the same leading dims. ``sorter``: int64 indices that
    sort each row. int64 (int32 with out_int32), of input's shape."""
    right = _right('searchsorted', right, side)
    rows = _sorted_rows('searchsorted', sorted_sequence, sorter)
    xp = backend.array_module(rows)
    values = input.array if isinstance(input, Tensor) else xp.asarray(input)
    if rows.ndim > 1 and (values.ndim != rows.ndim or values.shape[:-1] != rows.shape[:-1]):
        raise RuntimeError(f"searchsorted: rows of shape {tuple(rows.shape)} need values with "
                           f"the same leading dimensions, got shape {tuple(values.shape)}")
    if rows.ndim == 1:
        found = xp.searchsorted(rows, values, side='right' if right else 'left')
    else:       # count the entries before each value, row by row
        below = rows[..., None, :] <= values[..., None] if right else \
            rows[..., None, :] < values[..., None]
        found = below.sum(axis=-1)
    return make(xp.asarray(found).astype(backend.int32 if out_int32 else backend.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element among the sorted 1-D ``boundaries`` (searchsorted with the
    roles swapped): int64 (int32 with out_int32), input's shape."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got shape "
                           f"{tuple(boundaries.shape)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


@on_input_device
def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-D non-negative integer input (or the sum
    of ``weights`` there: float32 weights give float32, others float64): length max(input) + 1,
    at least ``minlength``. Not differentiable."""
    xp = input._xp()
    if input.ndim != 1 or input.dtype.kind not in 'iu':
        raise RuntimeError(f"bincount: input must be a 1-D integer tensor, got {input.dtype} of "
                           f"shape {tuple(input.shape)}")
    # (the counts' length depends on the values, so a GPU is waited for anyway)
    if input.numel() and int(input.array.min()) < 0:
        raise RuntimeError("bincount: input must hold no negative values")
    if weights is None or input.numel() == 0:      # (as PyTorch: no values, int64 zeros)
        return make(xp.bincount(input.array, minlength=minlength).astype(backend.int64))
    if weights.shape != input.shape:
        raise RuntimeError(f"bincount: weights must have input's shape {tuple(input.shape)}, "
                           f"got {tuple(weights.shape)}")
    dtype = backend.float32 if weights.dtype == backend.float32 else backend.float64
    sums = xp.bincount(input.array, weights.array, minlength=minlength).astype(dtype)
    return NoDerivative('bincount', sums)(weights)


@on_input_device
def histc(input, bins=100, min=0, max=0):
    """A histogram of the values of a floating-point input in ``bins`` equal bins over [min,
    max] (over the data's own range when min == max), values outside ignored: a tensor of
    input's dtype. Not differentiable."""
    if input.dtype.kind != 'f':
        raise TypeError(f"histc: input must be a floating-point tensor, got dtype {input.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be positive, got {bins}")
    low, high = float(min), float(max)
    if low > high:
        raise RuntimeError(f"histc: max ({high}) must not be below min ({low})")
    xp = input._xp()
    if low == high and input.numel():
        low, high = float(input.array.min()), float(input.array.max())
    if low == high:
        low, high = low - 1, high + 1          # as PyTorch: a range of width 2 around the value
    counts, _ = xp.histogram(input.array, bins=bins, range=(low, high))
    return make(counts.astype(input.dtype))
