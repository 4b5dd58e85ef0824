"""Reductions (sum, mean, var, std, max, min, logsumexp, argmax) and the broadcasting pair
broadcast_to / sum_to, which are each other's gradients."""
import builtins
import collections
import functools

from .. import backend
from ..autograd import Function
from ..tensor import Tensor, make


def normalize_dims(dim, ndim, name='dim'):
    """A sorted tuple of non-negative axes from an int, a tuple or None (all axes)."""
    if dim is None or dim == ():
        return tuple(range(ndim))        # () reduces over everything, as in PyTorch
    if isinstance(dim, bool) or not isinstance(dim, (int, tuple, list)) or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in (dim if isinstance(
                dim, (tuple, list)) else (dim,))):
        raise TypeError(f"{name} must be an int or a tuple of ints, got {dim!r}")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"{name}={dim} is out of range for a tensor with {ndim} dimensions")
        out.append(d % builtins.max(ndim, 1))
    return tuple(sorted(set(out)))


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
    def __init__(self, axes, keepdims, largest):
        self.axes, self.keepdims, self.largest = axes, keepdims, largest

    def forward(self, x):
        y = x.max(axis=self.axes, keepdims=True) if self.largest else x.min(axis=self.axes,
                                                                            keepdims=True)
        mask = (x == y)
        self.share = mask / mask.sum(axis=self.axes, keepdims=True).astype(x.dtype)
        self.kept = y.shape
        return y if self.keepdims else y.reshape(tuple(n for i, n in enumerate(x.shape)
                                                       if i not in self.axes))

    def backward(self, gy):
        return gy.reshape(self.kept) * make(self.share.astype(gy.dtype))


def sum(x, dim=None, keepdim=False):
    """Sum over ``dim`` (int, tuple or None for all); keepdim keeps reduced axes as size 1."""
    return Sum(normalize_dims(dim, x.ndim), keepdim)(x)


def mean(x, dim=None, keepdim=False):
    """Mean over ``dim``."""
    axes = normalize_dims(dim, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    return Sum(axes, keepdim)(x) * (1.0 / count if count else float('nan'))


def var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance over ``dim``, divided by N - correction (correction=1 by default, as PyTorch)."""
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = normalize_dims(dim, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    centered = x - mean(x, axes, keepdim=True)
    divisor = count - correction
    return Sum(axes, keepdim)(centered * centered) * (1.0 / divisor if divisor > 0 else float('nan'))


def std(x, dim=None, unbiased=None, keepdim=False, correction=None):
    """Standard deviation over ``dim`` (the square root of var)."""
    return var(x, dim, unbiased, keepdim, correction).sqrt()


_ValuesIndices = collections.namedtuple('values_indices', ['values', 'indices'])


def _extreme(x, dim, keepdim, largest):
    if x.numel() == 0:
        raise RuntimeError("max()/min() of an empty tensor")
    values = Extreme(normalize_dims(dim, x.ndim), keepdim, largest)(x)
    if dim is None or not isinstance(dim, int):
        return values
    return _ValuesIndices(values, _arg(x, dim, keepdim, largest))


def max(x, dim=None, keepdim=False):
    """The maximum; with an int ``dim``, a (values, indices) pair as in PyTorch."""
    return _extreme(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):
    """The minimum; with an int ``dim``, a (values, indices) pair as in PyTorch."""
    return _extreme(x, dim, keepdim, False)


def amax(x, dim=None, keepdim=False):
    """The maximum over ``dim`` (int or tuple), values only."""
    return Extreme(normalize_dims(dim, x.ndim), keepdim, True)(x)


def amin(x, dim=None, keepdim=False):
    """The minimum over ``dim`` (int or tuple), values only."""
    return Extreme(normalize_dims(dim, x.ndim), keepdim, False)(x)


def logsumexp(x, dim=None, keepdim=False):
    """log(sum(exp(x))) over ``dim``, computed stably by factoring out the maximum."""
    axes = normalize_dims(dim, x.ndim)
    xp = x._xp()
    peak = x.array.max(axis=axes, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)
    shift = make(peak)
    out = (x - shift).exp().sum(axes, keepdim=True).log() + shift
    return out if keepdim else out.reshape(tuple(n for i, n in enumerate(x.shape)
                                                 if i not in axes))


def _arg(x, dim, keepdim, largest):
    data = x.array
    if dim is None:
        index = data.argmax() if largest else data.argmin()
        return make(x._xp().asarray(index, dtype='int64'))
    dim = normalize_dims(dim, x.ndim)[0]
    index = data.argmax(axis=dim) if largest else data.argmin(axis=dim)
    if keepdim:
        index = x._xp().expand_dims(index, dim)
    return make(index.astype('int64'))


def argmax(x, dim=None, keepdim=False):
    """Index of the maximum (of the flattened tensor when dim is None), int64."""
    return _arg(x, dim, keepdim, True)


def argmin(x, dim=None, keepdim=False):
    """Index of the minimum (of the flattened tensor when dim is None), int64."""
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
