"""Reductions (sum, mean, var, std, max, min, logsumexp, argmax) and the broadcasting pair
broadcast_to / sum_to, which are each other's gradients."""
import builtins
import collections
import functools

from .. import backend
from ..autograd import Function
from ..tensor import Tensor, make
from .math import Clone
from .select import Where, maximum, minimum, zero_where
from .subscript import IndexAdd


def normalize_dims(dim, ndim, name='dim'):
    """The array axes that ``dim`` names (an int, a sequence of ints, or None or () for all),
    as a sorted tuple of non-negative ints. As PyTorch, a 0-d tensor accepts dim 0 and -1,
    which name no array axis (the result is ()); a dim named twice is an error."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))        # () reduces over everything, as in PyTorch
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = []
    for d in dims:
        axis = normalize_dim(d, ndim, name)
        if axis in axes:
            raise RuntimeError(f"{name} {d} appears more than once in {name}={dim!r}")
        axes.append(axis)
    return () if ndim == 0 else tuple(sorted(axes))


def normalize_dim(dim, ndim, name='dim'):
    """One dim as a non-negative int, checked against ``ndim`` dimensions. A 0-d tensor accepts
    0 and -1 (returned as 0, which callers treat as "the tensor itself"), as in PyTorch."""
    if isinstance(dim, bool) or not isinstance(dim, backend.INTEGER_TYPES):
        raise TypeError(f"{name} must be an int or a tuple of ints, got {dim!r}")
    size = builtins.max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError(f"{name}={dim} is out of range for a tensor with {ndim} dimensions "
                         f"(expected a dim in [{-size}, {size - 1}])")
    return int(dim) % size


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """Sum over ``axes``; the gradient is broadcast back over the summed axes."""
    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        if not self.keepdims:
            gy = gy.reshape(_kept_shape(self.shape, self.axes))
        return gy.broadcast_to(self.shape)


class BroadcastTo(Function):
    """A broadcast view in ``shape`` (read-only); the gradient is summed back (sum_to)."""
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def view_again(self, _):
        return BroadcastTo(self.shape)

    def forward(self, x):
        self.source = x.shape
        return backend.array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return gy.sum_to(self.source)


class SumTo(Function):
    """Sum a broadcast array back to ``shape`` (the gradient of broadcasting)."""
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.source = x.shape
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(self.shape)
                                          if n == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(self.shape) if lead else y

    def backward(self, gy):
        return gy.broadcast_to(self.source)


class Extreme(Function):
    """max or min over axes; the gradient is shared equally among tied extreme elements."""
    saves_output = True

    def __init__(self, axes, keepdims, largest):
        self.axes, self.keepdims, self.largest = axes, keepdims, largest

    def forward(self, x):
        y = x.max(axis=self.axes, keepdims=True) if self.largest else x.min(axis=self.axes,
                                                                            keepdims=True)
        self.kept = y.shape
        return y if self.keepdims else y.reshape(tuple(n for i, n in enumerate(x.shape)
                                                       if i not in self.axes))

    def backward(self, gy):
        x = self.input(0).array
        mask = x == self.output().array.reshape(self.kept)
        share = mask / mask.sum(axis=self.axes, keepdims=True)
        return gy.reshape(self.kept) * make(share.astype(gy.dtype))


class ExtremeAt(Function):
    """max or min along one axis (values only), gathered at ``index`` (the first extreme of each
    row, kept as size 1): the gradient goes to that element alone, as PyTorch's max(dim)."""

    def __init__(self, axis, keepdims, largest, index):
        self.axes, self.keepdims, self.largest = (axis,), keepdims, largest
        xp = backend.array_module(index)
        # the advanced index that picks index's element of each row
        self.where = tuple(index if i == axis else xp.arange(n).reshape(
            (n,) + (1,) * (index.ndim - 1 - i)) for i, n in enumerate(index.shape))

    def forward(self, x):
        self.shape = x.shape
        values = x[self.where]
        return values if self.keepdims else values.squeeze(self.axes[0])

    def backward(self, gy):
        kept = gy if self.keepdims else gy.unsqueeze(self.axes[0])
        return IndexAdd(self.where, self.shape)(kept)


def sum(x, dim=None, keepdim=False, dtype=None):
    """Sum over ``dim`` (int, tuple or None for all); keepdim keeps reduced axes as size 1.
    Integer and bool tensors sum to int64, as in PyTorch; ``dtype`` casts the input first."""
    if dtype is not None:
        x = x.to(dtype=dtype)
    elif x.dtype.kind in 'biu' and x.dtype != backend.int64:
        x = x.to(dtype=backend.int64)
    return Sum(normalize_dims(dim, x.ndim), keepdim)(x)


def _count(x, axes):
    count = 1
    for a in axes:
        count *= x.shape[a]
    return count


def _floating(name, x):
    if x.dtype.kind != 'f':
        raise TypeError(f"{name}: needs a floating-point tensor, got dtype {x.dtype} (convert "
                        f"it first, e.g. x.float().{name}())")


def mean(x, dim=None, keepdim=False, dtype=None):
    """Mean over ``dim`` (NaN over nothing); floating-point tensors only, as in PyTorch
    (``dtype`` casts the input first)."""
    if dtype is not None:
        x = x.to(dtype=dtype)
    _floating('mean', x)
    axes = normalize_dims(dim, x.ndim)
    count = _count(x, axes)
    return Sum(axes, keepdim)(x) * (1.0 / count if count else float('nan'))


class Variance(Function):
    """The squared deviations from the mean over ``axes``, summed and divided by
    max(0, N - correction); the gradient is 2 (x - mean) / (N - correction), PyTorch's closed
    form (it stays exact where N <= correction, which makes the value inf)."""

    def __init__(self, axes, keepdims, correction, count):
        self.axes, self.keepdims, self.count = axes, keepdims, count
        self.divisor = count - correction

    def forward(self, x):
        centered = x - x.sum(axis=self.axes, keepdims=True) / x.dtype.type(self.count)
        squares = (centered * centered).sum(axis=self.axes, keepdims=self.keepdims)
        return squares * x.dtype.type(1 / self.divisor if self.divisor > 0 else float('inf'))

    def backward(self, gy):
        x = self.input(0)
        if not self.keepdims:
            gy = gy.reshape(_kept_shape(x.shape, self.axes))
        factor = 2.0 / self.divisor if self.divisor else float('inf')
        return gy * factor * (x - mean(x, self.axes, keepdim=True))


def var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance over ``dim``, the squared deviations summed and divided by N - correction
    (correction=1 by default, as PyTorch); inf when N <= correction (NaN for no deviation)."""
    _floating('var', x)
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = normalize_dims(dim, x.ndim)
    return Variance(axes, keepdim, correction, _count(x, axes))(x)


class Root(Function):
    """sqrt(v) for a variance v; as PyTorch's std, the derivative is 0 where the result is 0
    (identical values have gradient 0, not NaN)."""
    saves_output = True

    def forward(self, v):
        return backend.array_module(v).sqrt(v)

    def backward(self, gy):
        y = self.output()
        zero = (y == 0).array
        safe = Where(zero)(make(y._xp().ones((), dtype=y.dtype)), y)
        return zero_where(zero, gy / (2 * safe))


def std(x, dim=None, unbiased=None, keepdim=False, correction=None):
    """Standard deviation over ``dim`` (the square root of var)."""
    return Root()(var(x, dim, unbiased, keepdim, correction))


_ValuesIndices = collections.namedtuple('values_indices', ['values', 'indices'])


def _check_extreme(name, x, dim, axes):
    """Refuse the extreme of nothing as PyTorch does, in minidl's words."""
    if x.numel() != 0:
        return
    if dim is None or dim == ():
        raise RuntimeError(f"{name}(): the {name} of an empty tensor (shape {tuple(x.shape)}) is "
                           "undefined; pass dim= to reduce over non-empty dimensions only")
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): dimension {a} of shape {tuple(x.shape)} is empty, and "
                             f"the {name} over an empty dimension is undefined")


def _extreme(x, dim, keepdim, largest):
    name = 'max' if largest else 'min'
    if isinstance(dim, Tensor):          # torch.max(a, b): the elementwise maximum
        return (maximum if largest else minimum)(x, dim)
    if dim is None:
        _check_extreme(name, x, None, ())
        return Extreme(normalize_dims(None, x.ndim), False, largest)(x)
    axis = normalize_dim(dim, x.ndim)
    _check_extreme(name, x, dim, (axis,) if x.ndim else ())
    if x.ndim == 0:
        return _ValuesIndices(Clone()(x), make(x._xp().zeros((), dtype=backend.int64)))
    index = _arg(x, axis, True, largest)
    values = ExtremeAt(axis, keepdim, largest, index.array)(x)
    return _ValuesIndices(values, index if keepdim else index.squeeze(axis))


def max(x, dim=None, keepdim=False):
    """The maximum of all elements; with an int ``dim``, a (values, indices) pair whose
    gradient goes to the indices only; with a tensor, the elementwise maximum (as PyTorch)."""
    return _extreme(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):
    """The minimum of all elements; with an int ``dim``, a (values, indices) pair whose
    gradient goes to the indices only; with a tensor, the elementwise minimum (as PyTorch)."""
    return _extreme(x, dim, keepdim, False)


def amax(x, dim=(), keepdim=False):
    """The maximum over ``dim`` (int or tuple; all by default), values only; tied elements
    share the gradient equally."""
    axes = normalize_dims(dim, x.ndim)
    _check_extreme('amax', x, dim, axes)
    return Extreme(axes, keepdim, True)(x)


def amin(x, dim=(), keepdim=False):
    """The minimum over ``dim`` (int or tuple; all by default), values only; tied elements
    share the gradient equally."""
    axes = normalize_dims(dim, x.ndim)
    _check_extreme('amin', x, dim, axes)
    return Extreme(axes, keepdim, False)(x)


def logsumexp(x, dim=(), keepdim=False):
    """log(sum(exp(x))) over ``dim`` (all by default), computed stably by factoring out the
    maximum; -inf over nothing. Integer inputs give float32."""
    if x.dtype.kind != 'f':
        x = x.to(dtype='float32')
    axes = normalize_dims(dim, x.ndim)
    xp = x._xp()
    if _count(x, axes) and x.numel():
        peak = x.array.max(axis=axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)
    else:                                # nothing to reduce, or an empty result
        peak = xp.zeros(tuple(1 if i in axes else n for i, n in enumerate(x.shape)), x.dtype)
    shift = make(peak)
    out = (x - shift).exp().sum(axes, keepdim=True).log() + shift
    return out if keepdim else out.reshape(tuple(n for i, n in enumerate(x.shape)
                                                 if i not in axes))


def _arg(x, dim, keepdim, largest):
    name = 'argmax' if largest else 'argmin'
    xp = x._xp()
    if dim is None:
        _check_extreme(name, x, None, ())
        index = x.array.argmax() if largest else x.array.argmin()
        return make(xp.asarray(index, dtype=backend.int64).reshape((1,) * x.ndim if keepdim
                                                                   else ()))
    axis = normalize_dim(dim, x.ndim)
    if x.ndim == 0:
        return make(xp.zeros((), dtype=backend.int64))
    _check_extreme(name, x, dim, (axis,))
    index = x.array.argmax(axis=axis) if largest else x.array.argmin(axis=axis)
    if keepdim:
        index = xp.expand_dims(index, axis)
    return make(index.astype(backend.int64, copy=False))


def argmax(x, dim=None, keepdim=False):
    """Index of the maximum (of the flattened tensor when dim is None; keepdim then keeps every
    dimension as size 1), int64; the first one where several tie."""
    return _arg(x, dim, keepdim, True)


def argmin(x, dim=None, keepdim=False):
    """Index of the minimum (of the flattened tensor when dim is None), int64; the first one
    where several tie."""
    return _arg(x, dim, keepdim, False)


# ---------------------------------------------------------------- NumPy's keyword names
def numpy_names(reduction):
    """``reduction`` also accepting NumPy's names for its keywords, as PyTorch's reductions do:
    ``axis=`` for ``dim=`` and ``keepdims=`` for ``keepdim=``."""
    @functools.wraps(reduction)
    def accepting(*args, **kwargs):
        for alias, name in (('axis', 'dim'), ('keepdims', 'keepdim')) if kwargs else ():
            if alias in kwargs:
                if name in kwargs:
                    raise TypeError(f"{reduction.__name__}() got both {name}= and its alias "
                                    f"{alias}=")
                kwargs[name] = kwargs.pop(alias)
        return reduction(*args, **kwargs)
    return accepting


sum, mean, var, std, max, min, amax, amin, logsumexp, argmax, argmin = (numpy_names(f) for f in (
    sum, mean, var, std, max, min, amax, amin, logsumexp, argmax, argmin))


@numpy_names
def std_mean(x, dim=None, unbiased=None, keepdim=False, correction=None):
    """(std, mean) over ``dim``, as torch.std_mean."""
    return std(x, dim, unbiased, keepdim, correction), mean(x, dim, keepdim)


@numpy_names
def var_mean(x, dim=None, unbiased=None, keepdim=False, correction=None):
    """(var, mean) over ``dim``, as torch.var_mean."""
    return var(x, dim, unbiased, keepdim, correction), mean(x, dim, keepdim)
