"""Elementwise functions beyond math.py's arithmetic: logarithms and exponentials in other
bases, inverse trigonometry, erf, rounding, reciprocals, remainders and NaN handling.

Most are one ``Elementwise`` Function: the array module's function forward, and its derivative
beside it as a formula on Tensors (so gradients of gradients work). The rest are compositions
of existing primitives, exact and differentiable for free (``square`` is ``x ** 2``).
"""
import math

from .. import backend
from ..autograd import Function
from ..tensor import Tensor, make
from .math import _binary, div, lift, pow, sqrt
from .promotion import promoted, result_type
from .select import MaskedGrad, clip, maximum, where


class Elementwise(Function):
    """y = f(x) for the array module's function ``name``; its derivative ``slope`` is a formula
    on Tensors, of the input x or, with ``from_output``, of the output y (which saves keeping
    x when y already holds what the derivative needs, as for expm1)."""

    def __init__(self, name, slope, from_output=False):
        self.name, self.slope, self.saves_output = name, slope, from_output

    def forward(self, x):
        if self.name == 'erf':      # NumPy has no erf: the backend takes SciPy's or CuPy's
            return backend.erf(x)
        if self.name == 'logit':
            return backend.array_module(x).log(x / (1 - x))
        return getattr(backend.array_module(x), self.name)(x)

    def backward(self, gy):
        return gy * self.slope(self.output() if self.saves_output else self.input(0))

    def __repr__(self):
        return f"<{self.name.capitalize()}Backward>"


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_SLOPES = {   # name: (derivative, whether it is written in terms of the output)
    'log1p': (lambda x: 1 / (x + 1), False),
    'expm1': (lambda y: y + 1, True),
    'log2': (lambda x: 1 / (x * _LN2), False),
    'log10': (lambda x: 1 / (x * _LN10), False),
    'exp2': (lambda y: y * _LN2, True),
    'tan': (lambda y: y * y + 1, True),
    'arctan': (lambda x: 1 / (x * x + 1), False),
    'arcsin': (lambda x: (1 - x * x).rsqrt(), False),
    'arccos': (lambda x: -(1 - x * x).rsqrt(), False),
    'sinh': (lambda x: x.cosh(), False),
    'cosh': (lambda x: x.sinh(), False),
    'erf': (lambda x: (-(x * x)).exp() * (2 / math.sqrt(math.pi)), False),
    'arcsinh': (lambda x: (x * x + 1).rsqrt(), False),
    'arccosh': (lambda x: (x * x - 1).rsqrt(), False),
    'arctanh': (lambda x: 1 / (1 - x * x), False),
    'logit': (lambda x: 1 / (x * (1 - x)), False),
}


def _elementwise(name, torch_name):
    slope, from_output = _SLOPES[name]

    def op(input):
        if input.dtype.kind in 'biu':
            input = input.to(dtype=backend.float32)     # as PyTorch: a float32 result
        return Elementwise(name, slope, from_output)(input)
    op.__name__ = torch_name
    op.__doc__ = f"Elementwise {torch_name} (same shape; integer tensors give float32)."
    return op


log1p, expm1 = _elementwise('log1p', 'log1p'), _elementwise('expm1', 'expm1')
log2, log10, exp2 = (_elementwise(n, n) for n in ('log2', 'log10', 'exp2'))
tan, sinh, cosh = (_elementwise(n, n) for n in ('tan', 'sinh', 'cosh'))
atan, asin, acos = (_elementwise('arc' + n, 'a' + n) for n in ('tan', 'sin', 'cos'))
asinh, acosh, atanh = (_elementwise('arc' + n, 'a' + n) for n in ('sinh', 'cosh', 'tanh'))
erf = _elementwise('erf', 'erf')


class Atan2(Function):
    """The angle of the point (b, a): atan2(a, b) in (-pi, pi]. Gradients gy * b / r^2 for a
    and -gy * a / r^2 for b, r^2 = a^2 + b^2."""

    def forward(self, a, b):
        return backend.array_module(a).arctan2(a, b)

    def backward(self, gy):
        a, b = self.input(0), self.input(1)
        scale = gy / (a * a + b * b)
        return scale * b, -scale * a


def _in_float(op):
    """``op`` of two operands, integer and bool ones taken as float32 when neither is floating
    (PyTorch's rule for functions that are defined on real numbers only)."""
    def floating(input, other):
        # both in their promoted floating dtype (float32 for integers and bools)
        dtype = result_type(input, other)
        return op(*promoted(input, other, dtype=dtype if dtype.kind == 'f' else
                            backend.dtype(backend.float32)))
    floating.__name__, floating.__doc__ = op.__name__, op.__doc__
    return floating


atan2 = _in_float(_binary(Atan2, 'atan2'))
atan2.__doc__ = "atan2(input, other): the angle of the point (other, input), elementwise."


# ---------------------------------------------------------------- piecewise constant
class Step(Function):
    """floor, ceil, trunc, round or sign: piecewise constant, so the derivative is zero wherever
    it exists (PyTorch's convention, also at the jumps)."""

    def __init__(self, name, decimals=0):
        self.name, self.decimals = name, decimals

    def forward(self, x):
        xp = backend.array_module(x)
        if self.name == 'round':
            return xp.round(x, self.decimals)
        return getattr(xp, self.name)(x)

    def backward(self, gy):
        return make(backend.array_module(gy.array).zeros_like(gy.array))

    def __repr__(self):
        return f"<{self.name.capitalize()}Backward>"


def _step(name):
    def op(input):
        if input.dtype.kind == 'b' and name != 'sign':
            raise TypeError(f"{name}: not defined for bool tensors (as in PyTorch)")
        if input.dtype.kind in 'bu' or (input.dtype.kind == 'i' and name != 'sign'):
            return input.clone()        # integers are their own floor, ceil... (as PyTorch)
        return Step(name)(input)
    op.__name__ = name
    op.__doc__ = f"Elementwise {name} (same shape and dtype); its gradient is zero."
    return op


floor, ceil, trunc, sign = (_step(n) for n in ('floor', 'ceil', 'trunc', 'sign'))
fix = trunc


def round(input, decimals=0):
    """Round to the nearest integer (ties to even, as PyTorch), or to ``decimals`` places;
    same shape and dtype, gradient zero."""
    if input.dtype.kind == 'b':
        raise TypeError("round: not defined for bool tensors (as in PyTorch)")
    if input.dtype.kind in 'iu':
        return input.clone()
    return Step('round', int(decimals))(input)


# ---------------------------------------------------------------- compositions
def square(input):
    """input * input, elementwise."""
    return pow(input, 2)


def reciprocal(input):
    """1 / input, elementwise (integer tensors give float32)."""
    return div(1.0, input)


def rsqrt(input):
    """1 / sqrt(input), elementwise."""
    return reciprocal(sqrt(input))


def frac(input):
    """The fractional part input - trunc(input), elementwise (sign kept); gradient 1. Floating
    point tensors only, as in PyTorch."""
    if input.dtype.kind != 'f':
        raise TypeError(f"frac: needs a floating-point tensor, got dtype {input.dtype}")
    return input - trunc(input)


def sgn(input):
    """The sign of each element (sign, for real tensors)."""
    return sign(input)


def signbit(input):
    """True where the sign bit is set (negative numbers and -0.0): a bool tensor."""
    return make(input._xp().signbit(input.array))


def deg2rad(input):
    """Degrees to radians, elementwise."""
    return input * (math.pi / 180)


def rad2deg(input):
    """Radians to degrees, elementwise."""
    return input * (180 / math.pi)


@_in_float
def logaddexp(input, other):
    """log(exp(input) + exp(other)), elementwise, without overflow: the larger plus
    log1p(exp(-|difference|))."""
    return maximum(input, other) + log1p((-(input - other).abs()).exp())


@_in_float
def hypot(input, other):
    """sqrt(input ** 2 + other ** 2), elementwise."""
    return sqrt(input * input + other * other)


_logit = _elementwise('logit', 'logit')


def logit(input, eps=None):
    """log(p / (1 - p)), elementwise, p = input clamped to [eps, 1 - eps] when eps is given;
    its derivative 1 / (p (1 - p)) (zero outside the clamp)."""
    return _logit(input if eps is None else clip(input, eps, 1 - eps))


@_in_float
def xlogy(input, other):
    """input * log(other), elementwise with broadcasting, and 0 where input is 0 (even where
    other is 0: log reads 1 there, so no NaN reaches the value or the gradients)."""
    a = input if isinstance(input, Tensor) else lift(input, other)
    b = lift(other, a)
    return a * where(a == 0, 1.0, b).log()


def clamp_min(input, min):
    """max(input, min) elementwise, min a number."""
    return clip(input, min=min)


def clamp_max(input, max):
    """min(input, max) elementwise, max a number."""
    return clip(input, max=max)


def addcmul(input, tensor1, tensor2, value=1):
    """input + value * tensor1 * tensor2 (broadcasting)."""
    return input + value * (tensor1 * tensor2) if value != 1 else input + tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, value=1):
    """input + value * tensor1 / tensor2 (broadcasting)."""
    return input + value * (tensor1 / tensor2) if value != 1 else input + tensor1 / tensor2


def lerp(input, end, weight):
    """input + weight * (end - input): linear interpolation (weight a number or a tensor)."""
    return input + weight * (end - input)


# ---------------------------------------------------------------- NaN and infinity
class NanToNum(MaskedGrad):
    """NaN, +inf and -inf replaced by numbers; the gradient passes only at finite elements."""

    def __init__(self, nan, posinf, neginf):
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, x):
        xp = backend.array_module(x)
        self.mask = xp.isfinite(x)
        return xp.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (by default the
    largest and lowest finite numbers of input's dtype); same shape and dtype."""
    if input.dtype.kind != 'f':
        return input.clone()
    return NanToNum(nan, posinf, neginf)(input)


# ---------------------------------------------------------------- division with rounding
class Remainder(Function):
    """a mod b with the sign of b (Python's %, ``fmod=False``) or of a (C's fmod). Gradients:
    gy for a; -gy * (a / b rounded: floored, or truncated for fmod) for b."""

    def __init__(self, fmod=False):
        self.fmod = fmod

    def forward(self, a, b):
        xp = backend.array_module(a)
        return xp.fmod(a, b) if self.fmod else xp.remainder(a, b)

    def backward(self, gy):
        if not self.needs_grad(1):
            return gy, None
        ratio = (self.input(0) / self.input(1)).detach()
        return gy, -gy * (trunc(ratio) if self.fmod else floor(ratio))


remainder = _binary(Remainder, 'remainder')
fmod = _binary(lambda: Remainder(fmod=True), 'fmod')
remainder.__doc__ = "a mod b with the sign of b (Python's %), elementwise, broadcasting."
fmod.__doc__ = "a mod b with the sign of a (C's fmod), elementwise, broadcasting."


class RoundedDivide(Function):
    """a / b rounded down (``'floor'``, Python's //) or toward zero (``'trunc'``); integers stay
    integers, exactly. Piecewise constant, so both gradients are zero (as PyTorch's)."""

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a, b):
        xp = backend.array_module(a)
        if self.mode == 'floor':
            return xp.floor_divide(a, b)
        if a.dtype.kind in 'biu' and b.dtype.kind in 'biu':
            return xp.floor_divide(xp.abs(a), xp.abs(b)) * (xp.sign(a) * xp.sign(b))
        return xp.trunc(a / b)

    def backward(self, gy):
        zeros = make(backend.array_module(gy.array).zeros_like(gy.array))
        return zeros, zeros


floor_divide = _binary(lambda: RoundedDivide('floor'), 'floor_divide')
floor_divide.__doc__ = "floor(input / other) elementwise, broadcasting; integers stay integers."


def rounded_divide(input, other, rounding_mode):
    """input / other rounded toward zero (``rounding_mode='trunc'``) or down (``'floor'``),
    keeping integer dtypes (PyTorch's div with a rounding mode); the gradient is zero."""
    if rounding_mode not in ('trunc', 'floor'):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")
    return _binary(lambda: RoundedDivide(rounding_mode), 'div')(input, other)
