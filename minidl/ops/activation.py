"""The activations that are also Tensor methods: relu, softmax and log_softmax (``x.relu()``,
``mdl.softmax(x, 1)``); ``minidl.functional`` has them too, with the other activations.

relu is elementwise; softmax and log_softmax normalise along ``dim``. Each is one Function whose
backward reads only its output, so an in-place ``relu_`` needs no copy of its input.
"""
import warnings

from .. import backend, validate
from ..autograd import Function
from ..tensor import constant as _const
from .inplace import update_
from .reduce import normalize_dim, numpy_names


class ReLU(Function):
    """max(x, 0); backward multiplies by the mask y > 0 (the same as x > 0)."""
    saves_output = True

    def forward(self, x):
        return backend.array_module(x).maximum(x, 0)   # a Python 0 keeps x's dtype

    def backward(self, gy):
        # The mask is rebuilt from the output instead of being stored in forward: inference
        # pays for one pass only, and x may be overwritten (relu_). bool * float keeps the
        # float dtype.
        return gy * _const(self.output().array > 0)


class Softmax(Function):
    """exp(x) / sum(exp(x)) along ``dim``, computed stably; backward y * (gy - sum(gy * y))."""
    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = backend.array_module(x)
        # subtracting the row maximum makes every exponent <= 0: no overflow at any logit size
        e = xp.exp(x - _peak(x, self.axis))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e

    def backward(self, gy):
        y = self.output()
        return y * (gy - (gy * y).sum(self.axis, keepdim=True))


class LogSoftmax(Function):
    """x - logsumexp(x) along ``dim``; backward gy - softmax(x) * sum(gy)."""
    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return log_softmax_array(x, self.axis)

    def backward(self, gy):
        y = self.output()
        return gy - y.exp() * gy.sum(self.axis, keepdim=True)


def _peak(x, axis):
    """The maximum along ``axis`` (kept as size 1), or 0 for an empty x (nothing to shift)."""
    return x.max(axis=axis, keepdims=True) if x.size else x.dtype.type(0)


def log_softmax_array(x, axis):
    """x - logsumexp(x) along ``axis`` on a raw array, stable for logits of any size."""
    xp = backend.array_module(x)
    shifted = x - _peak(x, axis)
    shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def relu(input, inplace=False):
    """max(input, 0) elementwise (integer tensors too, as PyTorch); the gradient is 1 where
    input > 0, else 0. ``inplace=True`` writes the result into input (and returns it)."""
    validate.tensor('relu', 'input', input)
    if input.dtype.kind == 'b':
        raise TypeError("relu: input must be a floating-point or integer Tensor, got dtype bool")
    return update_(input, ReLU(), reads_target=False) if inplace else ReLU()(input)


def relu_(input):
    """relu(input) written into input's memory; returns input."""
    return relu(input, inplace=True)


def _softmax_dim(name, input, dim, dtype):
    validate.floating(name, 'input', input)
    if dim is None:
        # PyTorch's legacy implicit choice, with its deprecation warning
        dim = 0 if input.ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      f"call to include dim=X as an argument.", stacklevel=3)
    if dtype is not None:
        input = input.to(dtype=dtype)
    axis = normalize_dim(dim, input.ndim, 'dim')
    if input.ndim == 0:
        return input.reshape(1), 0, True
    return input, axis, False


@numpy_names
def softmax(input, dim=None, dtype=None):
    """exp(input) / sum(exp(input)) along ``dim`` (entries in (0, 1) summing to 1 along dim).

    Stable for logits of any magnitude (the maximum is subtracted first). ``dtype`` casts the
    input first, as in PyTorch."""
    x, axis, scalar = _softmax_dim('softmax', input, dim, dtype)
    out = Softmax(axis)(x)
    return out.reshape(()) if scalar else out


@numpy_names
def log_softmax(input, dim=None, dtype=None):
    """log(softmax(input, dim)) computed as input - logsumexp(input, dim): no overflow and no
    log(0) for logits of any magnitude."""
    x, axis, scalar = _softmax_dim('log_softmax', input, dim, dtype)
    out = LogSoftmax(axis)(x)
    return out.reshape(()) if scalar else out
