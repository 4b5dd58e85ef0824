"""Activation functions: relu, leaky_relu, elu, gelu, softplus, sigmoid, tanh, softmax, log_softmax.

Each is elementwise (same shape in and out) except softmax/log_softmax, which normalise along
``dim``. The hot ones are single Functions whose backward reuses a cheap mask or the saved output;
every backward is written with Tensor operations, so second derivatives work too.
"""
import math

from .. import backend, validate
from ..autograd import Function
from ..ops import sigmoid, tanh  # noqa: F401  (re-exported: torch.nn.functional has both)
from ..ops.activation import (LogSoftmax, ReLU, Softmax, log_softmax,  # noqa: F401  (one
                              log_softmax_array, relu, softmax)          # definition, in ops)
from ..ops.elementwise import erf
from ..ops.inplace import update_
from ..ops.select import Where
from ..tensor import constant as _const

__all__ = ['relu', 'leaky_relu', 'elu', 'gelu', 'softplus', 'sigmoid', 'tanh', 'softmax',
           'log_softmax']


class LeakyReLU(Function):
    """x where x > 0, else negative_slope * x; the derivative is 1 or negative_slope."""
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        self.positive = x > 0
        return x * backend.array_module(x).where(self.positive, x.dtype.type(1),
                                                 x.dtype.type(self.slope))

    def backward(self, gy):
        # from the mask alone: with relu_'s inplace=True the input is overwritten by now
        dtype = gy.dtype.type
        factor = backend.array_module(gy.array).where(self.positive, dtype(1), dtype(self.slope))
        return gy * _const(factor)


class ELU(Function):
    """alpha * (exp(x) - 1) for x <= 0, x above; the slope below zero is output + alpha."""
    saves_output = True

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = backend.array_module(x)
        self.positive, self.negative = x > 0, x < 0
        # expm1 of min(x, 0): never overflows for large positive x (that branch is discarded)
        negative = xp.expm1(xp.minimum(x, 0)) * x.dtype.type(self.alpha)
        return xp.where(self.positive, x, negative)

    def backward(self, gy):
        # d/dx = 1 above zero, alpha * exp(x) = y + alpha at and below; through the live output
        # this stays differentiable (the second derivative below zero is y + alpha again, and
        # 0 at zero itself, as PyTorch's).
        slope_below = self.output() * _const(self.negative) + self.alpha
        positive = _const(self.positive)
        return gy * (positive + (~positive) * slope_below)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_C = 0.044715


class GELU(Function):
    """x * Phi(x) (exact, through erf) or its tanh approximation, in one pass forward."""
    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        xp = backend.array_module(x)
        half = x.dtype.type(0.5)
        if self.approximate == 'tanh':
            inner = x.dtype.type(_SQRT_2_OVER_PI) * (x + x.dtype.type(_GELU_C) * x * x * x)
            return half * x * (1 + xp.tanh(inner))
        return half * x * (1 + backend.erf(x * x.dtype.type(1 / math.sqrt(2))))

    def backward(self, gy):
        x = self.inputs[0]
        if self.approximate == 'tanh':
            # y = x/2 (1 + t), t = tanh(u), u = k (x + c x^3): y' = (1 + t)/2 + x/2 (1 - t^2) u'
            t = ((x + x * x * x * _GELU_C) * _SQRT_2_OVER_PI).tanh()
            du = (x * x * (3 * _GELU_C) + 1) * _SQRT_2_OVER_PI
            slope = (t + 1) * 0.5 + x * 0.5 * (1 - t * t) * du
        else:
            # y = x Phi(x): y' = Phi(x) + x phi(x)
            cdf = (erf(x * (1 / math.sqrt(2))) + 1) * 0.5
            pdf = (x * x * -0.5).exp() * (1 / math.sqrt(2 * math.pi))
            slope = cdf + x * pdf
        return gy * slope


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, computed without overflow; linear above the threshold."""
    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = backend.array_module(x)
        z = x * x.dtype.type(self.beta)
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / x.dtype.type(self.beta)
        self.linear, self.below = z > self.threshold, z < self.threshold
        return xp.where(self.linear, x, soft)

    def backward(self, gy):
        x = self.inputs[0]
        linear = _const(self.linear)
        # the slope sigmoid(beta x), differentiable only strictly below the threshold (at it,
        # PyTorch's second derivative is 0)
        slope = (x * self.beta).sigmoid()
        slope = Where(self.below)(slope, slope.detach())
        return gy * (linear + (~linear) * slope)


# ---------------------------------------------------------------- public functions
def _apply(fn, input, inplace=False):
    """fn(input), or written back into input's memory with inplace=True (as PyTorch's
    relu_ etc.: the backward of these reads only masks or the output, so no copy is kept)."""
    if inplace:
        return update_(input, fn, reads_target=False)
    return fn(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where input > 0, else negative_slope * input (same shape)."""
    validate.floating('leaky_relu', 'input', input)
    return _apply(LeakyReLU(float(negative_slope)), input, inplace)


def elu(input, alpha=1.0, inplace=False):
    """input where input > 0, else alpha * (exp(input) - 1) (same shape)."""
    validate.floating('elu', 'input', input)
    return _apply(ELU(float(alpha)), input, inplace)


def gelu(input, approximate='none'):
    """Gaussian error linear unit x * Phi(x), Phi the standard normal CDF (exact, via erf), or
    with approximate='tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ('none', 'tanh'):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    validate.floating('gelu', 'input', input)
    return GELU(approximate)(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * input)) / beta, and input itself where beta * input > threshold."""
    validate.floating('softplus', 'input', input)
    return Softplus(float(beta), float(threshold))(input)
