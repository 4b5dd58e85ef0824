"""Ordering: sort, argsort, topk, kthvalue, median, unique; searchsorted, bucketize, bincount.

The order itself is found on the raw arrays (a stable argsort); the values are then gathered
with those indices, so their gradient is gather's: each value's gradient goes back to the
element it came from, and no Function of its own is needed.
"""
import collections

from .. import backend
from ..tensor import make
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
        return _pick(input.reshape(-1), 0, False, _median_position).values
    return _pick(input, dim, keepdim, _median_position)


@on_input_device
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), and optionally the index of each element's value in them
    (input's shape) and how often each occurs. Outside the graph."""
    xp = input._xp()
    if dim is not None:
        raise NotImplementedError("unique: dim is not supported; unique values of the "
                                  "flattened tensor only")
    values, inverse, counts = xp.unique(input.array, return_inverse=True, return_counts=True)
    out = [make(values)]
    if return_inverse:
        out.append(make(inverse.reshape(input.shape).astype(backend.int64)))
    if return_counts:
        out.append(make(counts.astype(backend.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@on_input_device
def searchsorted(sorted_sequence, values, right=False):
    """For each value, the index where it would be inserted into the sorted 1-D
    ``sorted_sequence`` to keep it sorted (before equal entries, or after them with
    right=True): int64, values' shape."""
    if sorted_sequence.ndim != 1:
        raise NotImplementedError(f"searchsorted: sorted_sequence must be 1-D (rows of sorted "
                                  f"sequences are not supported), got shape "
                                  f"{tuple(sorted_sequence.shape)}")
    xp = sorted_sequence._xp()
    values = values.array if hasattr(values, 'array') else xp.asarray(values)
    side = 'right' if right else 'left'
    return make(xp.searchsorted(sorted_sequence.array, values, side=side).astype(backend.int64))


def bucketize(input, boundaries, right=False):
    """The bucket of each element among the sorted 1-D ``boundaries`` (searchsorted with the
    roles swapped): int64, input's shape."""
    return searchsorted(boundaries, input, right=right)


@on_input_device
def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-D non-negative integer input (or the sum
    of ``weights`` there): length max(input) + 1, at least ``minlength``."""
    xp = input._xp()
    counts = xp.bincount(input.array, None if weights is None else weights.array,
                         minlength=minlength)
    return make(counts if weights is not None else counts.astype(backend.int64))


@on_input_device
def histc(input, bins=100, min=0, max=0):
    """A histogram of the values in ``bins`` equal bins over [min, max] (over the data's own
    range when min == max), values outside ignored: a tensor of input's dtype."""
    xp = input._xp()
    low, high = float(min), float(max)
    if low == high and input.numel():
        low, high = float(input.array.min()), float(input.array.max())
    if low == high:
        low, high = low - 1, high + 1          # as PyTorch: a range of width 2 around the value
    counts, _ = xp.histogram(input.array, bins=bins, range=(low, high))
    return make(counts.astype(input.dtype))
