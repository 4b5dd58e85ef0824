"""The other activations of torch.nn.functional: silu, mish, hardtanh, relu6, hardsigmoid,
hardswish, logsigmoid, softsign, tanhshrink, celu, selu, prelu, threshold, hardshrink,
softshrink, softmin and glu.

All but softmin and glu are elementwise (output shape = input shape). silu, hardtanh,
hardsigmoid, hardswish and logsigmoid are one Function each, their backward written with Tensor
operations (so second derivatives work); the others are composed from differentiable
operations, which is exact.
Derivatives at the kinks are PyTorch's: hardtanh's and hardsigmoid's are 0 at their limits,
hardswish's is 0 up to -3, x/3 + 1/2 between and 1 from 3 on. ``inplace=True`` writes the
result into the input (PyTorch's rules: not into a leaf that requires grad).
"""
from .. import backend, validate
from ..autograd import Function
from ..ops import where
from ..ops.inplace import update_
from ..tensor import constant as _const
from .activation import elu, softmax, softplus

__all__ = ['silu', 'mish', 'hardtanh', 'relu6', 'hardsigmoid', 'hardswish', 'logsigmoid',
           'softsign', 'tanhshrink', 'celu', 'selu', 'prelu', 'threshold', 'hardshrink',
           'softshrink', 'softmin', 'glu']

# selu's constants (Klambauer et al., 2017), to PyTorch's precision
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid_array(x):
    # 1 / (1 + exp(-x)) through tanh: no overflow for very negative x
    half = x.dtype.type(0.5)
    return half * (1 + backend.array_module(x).tanh(half * x))


class SiLU(Function):
    """x * sigmoid(x) (also called swish); the derivative is s (1 + x (1 - s)), s = sigmoid(x)."""

    def forward(self, x):
        return x * _sigmoid_array(x)

    def backward(self, gy):
        x = self.input(0)
        s = x.sigmoid()
        return gy * (s * (x * (1 - s) + 1))


class Hardtanh(Function):
    """x clipped to [low, high]; the gradient passes where low < x < high (0 at the limits)."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        self.inside = (x > self.low) & (x < self.high)
        return backend.array_module(x).clip(x, x.dtype.type(self.low), x.dtype.type(self.high))

    def backward(self, gy):
        return gy * _const(self.inside)


class Hardsigmoid(Function):
    """clip(x / 6 + 1/2, 0, 1); the derivative is 1/6 where -3 < x < 3, else 0."""

    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        y = x / x.dtype.type(6) + x.dtype.type(0.5)
        return backend.array_module(x).clip(y, x.dtype.type(0), x.dtype.type(1))

    def backward(self, gy):
        return gy * _const(self.inside) * (1 / 6)


class Hardswish(Function):
    """x * clip(x + 3, 0, 6) / 6; the derivative is 0 up to -3, x/3 + 1/2 between, 1 from 3."""

    def forward(self, x):
        xp = backend.array_module(x)
        return x * xp.clip(x + x.dtype.type(3), x.dtype.type(0), x.dtype.type(6)) / \
            x.dtype.type(6)

    def backward(self, gy):
        x = self.input(0)
        middle, above = _const((x.array > -3) & (x.array < 3)), _const(x.array >= 3)
        return gy * (middle * (x * (1 / 3) + 0.5) + above)


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), finite for any x; the derivative is
    sigmoid(-x)."""

    def forward(self, x):
        xp = backend.array_module(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        return gy * (-self.input(0)).sigmoid()


# ---------------------------------------------------------------- public functions
def _run(name, fn, input, inplace=False, reads_input=True, integers=False):
    """fn(input) after checking input (floating-point, or also integer with ``integers``, as
    PyTorch takes them), or written back into input with inplace=True."""
    validate.tensor(name, 'input', input)
    if input.dtype.kind not in ('fiu' if integers else 'f'):
        kind = 'a floating-point or integer' if integers else 'a floating-point'
        raise TypeError(f"{name}: input must be {kind} Tensor, got dtype {input.dtype}")
    if inplace:
        return update_(input, fn, reads_target=reads_input)
    return fn(input)


def silu(input, inplace=False):
    """x * sigmoid(x), elementwise (the swish of EfficientNet and many recent networks)."""
    return _run('silu', SiLU(), input, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x)), elementwise."""
    return _run('mish', lambda x: x * softplus(x).tanh(), input, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """input clipped to [min_val, max_val], elementwise; the gradient is 0 at and beyond the
    limits."""
    low = validate.number('hardtanh', 'min_val', min_val)
    high = validate.number('hardtanh', 'max_val', max_val, low=low)
    return _run('hardtanh', Hardtanh(low, high), input, inplace, reads_input=False,
                integers=True)


def relu6(input, inplace=False):
    """min(max(input, 0), 6), elementwise: hardtanh(input, 0, 6)."""
    return _run('relu6', Hardtanh(0.0, 6.0), input, inplace, reads_input=False, integers=True)


def hardsigmoid(input, inplace=False):
    """A piecewise-linear sigmoid: 0 below -3, 1 above 3, x / 6 + 1/2 between."""
    return _run('hardsigmoid', Hardsigmoid(), input, inplace, reads_input=False)


def hardswish(input, inplace=False):
    """x * hardsigmoid(x), elementwise (MobileNetV3's activation)."""
    return _run('hardswish', Hardswish(), input, inplace)


def logsigmoid(input):
    """log(1 / (1 + exp(-input))), elementwise, finite for inputs of any size."""
    return _run('logsigmoid', LogSigmoid(), input)


def softsign(input):
    """input / (1 + |input|), elementwise."""
    return _run('softsign', lambda x: x / (x.abs() + 1), input, integers=True)


def tanhshrink(input):
    """input - tanh(input), elementwise."""
    return _run('tanhshrink', lambda x: x - x.tanh(), input, integers=True)


def celu(input, alpha=1.0, inplace=False):
    """input where input > 0, else alpha * (exp(input / alpha) - 1): alpha * elu(input / alpha)."""
    alpha = validate.number('celu', 'alpha', alpha)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (the input is divided by it), got 0.0")
    return _run('celu', lambda x: elu(x * (1 / alpha)) * alpha, input, inplace)


def selu(input, inplace=False):
    """scale * elu(input, alpha) with PyTorch's constants alpha = 1.6733, scale = 1.0507 (to
    full precision in SELU_ALPHA, SELU_SCALE): self-normalising activations."""
    return _run('selu', lambda x: elu(x, SELU_ALPHA) * SELU_SCALE, input, inplace)


def prelu(input, weight):
    """input where input > 0, else weight * input, with a learned slope: weight (1,) for every
    channel or (C,), one per channel, the channels being dimension 1 of input (N, C, *)."""
    validate.floating('prelu', 'input', input)
    validate.like('prelu', 'weight', weight, input)
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 1-D (num_parameters,), got shape "
                         f"{tuple(weight.shape)}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise ValueError(f"prelu: weight has {weight.numel()} parameters but input of shape "
                         f"{tuple(input.shape)} has {channels} channels (dimension 1); give "
                         f"num_parameters=1 or {channels}")
    slope = weight.reshape((-1,) + (1,) * (input.ndim - 2)) if weight.numel() > 1 else \
        weight.reshape(())
    return where(input > 0, input, slope * input)


def threshold(input, threshold, value, inplace=False):
    """input where input > threshold, else ``value``, elementwise."""
    limit = validate.number('threshold', 'threshold', threshold)
    fill = validate.number('threshold', 'value', value)
    # in the input's dtype: an integer input stays integer, its value truncated (as PyTorch)
    return _run('threshold', lambda x: where(x > limit, x, fill).to(dtype=x.dtype), input,
                inplace, integers=True)


def _lambd(name, lambd):
    return validate.number(name, 'lambd', lambd, low=0)


def hardshrink(input, lambd=0.5):
    """input where |input| > lambd, else 0, elementwise."""
    lambd = _lambd('hardshrink', lambd)
    return _run('hardshrink', lambda x: where(x.abs() > lambd, x, 0.0), input)


def softshrink(input, lambd=0.5):
    """input - lambd above lambd, input + lambd below -lambd, else 0, elementwise."""
    lambd = _lambd('softshrink', lambd)
    return _run('softshrink', lambda x: where(x > lambd, x - lambd, where(
        x < -lambd, x + lambd, 0.0)), input)


def softmin(input, dim=None, dtype=None):
    """softmax(-input) along ``dim``: entries in (0, 1) summing to 1, largest where input is
    smallest."""
    validate.floating('softmin', 'input', input)
    return softmax(-input, dim, dtype)


def glu(input, dim=-1):
    """The gated linear unit: input split in halves a, b along ``dim`` (its size must be even),
    then a * sigmoid(b); that dimension is halved."""
    validate.floating('glu', 'input', input)
    size = input.shape[dim] if input.ndim else 0
    if size % 2 or input.ndim == 0:
        raise ValueError(f"glu: the halved dimension must have an even size, but dimension "
                         f"{dim} of input of shape {tuple(input.shape)} has size {size}")
    a, b = input.split([size // 2, size // 2], dim)      # (two halves even when empty)
    return a * b.sigmoid()
