"""Elementwise arithmetic, transcendental functions and matrix multiplication.

Each primitive is a Function: ``forward`` on arrays, ``backward`` on Tensors (so it can itself be
differentiated). Broadcasting needs no care here: the engine sums each gradient to its input's
shape.
"""
from .. import backend
from ..autograd import Function
from ..tensor import DEFAULT_FLOAT, Tensor, from_data, make
from .promotion import as_operand, broadcasting, cast, is_number, promoted, result_type
from .select import one_where, zero_where


def lift(value, like):
    """Turn ``value`` (a Tensor, Python number, array or nested list) into a Tensor beside
    ``like``: a number takes the dtype PyTorch's promotion gives it with ``like`` (so float32
    stays float32, and an int tensor with a float makes float32), an array or list keeps its
    own dtype."""
    if isinstance(value, Tensor):
        return value
    if is_number(value):
        return as_operand(value, result_type(like, value), like)
    device = like.device if isinstance(value, (list, tuple)) else None
    return from_data(value, device=device)


class Add(Function):
    """a + b; the gradient passes to both unchanged."""
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    """a - b; gradients gy and -gy."""
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy


class Mul(Function):
    """a * b; gradients gy * b and gy * a."""
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        return (gy * self.input(1) if self.needs_grad(0) else None,
                gy * self.input(0) if self.needs_grad(1) else None)


class Div(Function):
    """a / b; gradients gy / b and -gy * a / b**2."""
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        b = self.input(1)
        ga = gy / b
        return ga, (-ga * self.input(0) / b if self.needs_grad(1) else None)


class Clone(Function):
    """A copy of the values; the gradient passes unchanged."""
    def forward(self, a):
        return a.copy()

    def backward(self, gy):
        return gy


class Neg(Function):
    """-a; gradient -gy."""
    def forward(self, a):
        return -a

    def backward(self, gy):
        return -gy


class PowScalar(Function):
    """x ** c for a constant exponent c; the derivative c x^(c-1) is 0 where c == 0 (as
    PyTorch: x ** 0 is constant, even at x = 0)."""
    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, a):
        return a ** self.exponent

    def backward(self, gy):
        c = self.exponent
        x, = self.inputs
        if c == 0:
            return make(backend.array_module(gy.array).zeros(gy.shape, dtype=gy.dtype))
        return gy * (c * x ** (c - 1)) if c != 2 else gy * (2 * x)


class Pow(Function):
    """a ** b for two tensors. As PyTorch, the derivative in a is 0 where b == 0 and the one in
    b is 0 where a == 0 and b >= 0 (0 ** b is constant there), so 0 ** 0 has zero gradients."""
    saves_output = True

    def forward(self, a, b):
        if a.dtype.kind in 'iu':
            return integer_power(a, b)
        return a ** b

    def backward(self, gy):
        a, b = self.inputs
        ga = gb = None
        # Where a derivative is 0 by the rule above, the formula reads a harmless 1 instead of
        # the operand (no 0 ** -1 or log(0) to compute, nor their NaN in a second derivative).
        if a.requires_grad:
            still = (b == 0).array
            ga = zero_where(still, gy * b * a ** (one_where(still, b) - 1))
        if b.requires_grad:
            still = ((a == 0) & (b >= 0)).array
            gb = zero_where(still, gy * self.output() * log(one_where(still, a)))
        return ga, gb


def integer_power(a, b):
    """a ** b on integer arrays with PyTorch's rule for negative exponents (NumPy refuses
    them): 1 ** -n = 1, (-1) ** -n = +-1, anything else ** -n = 0 (the integer part)."""
    xp = backend.array_module(a)
    negative = b < 0
    power = a ** xp.where(negative, 0, b)
    odd = (b % 2) != 0
    special = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(a.dtype)
    return xp.where(negative, special, power)


class Exp(Function):
    """exp(a); its derivative is the output itself."""
    saves_output = True

    def forward(self, a):
        return backend.array_module(a).exp(a)

    def backward(self, gy):
        return gy * self.output()


class Log(Function):
    """Natural log; derivative 1 / a."""
    def forward(self, a):
        return backend.array_module(a).log(a)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    """sqrt(a); derivative 1 / (2 sqrt(a)), read from the output."""
    saves_output = True

    def forward(self, a):
        return backend.array_module(a).sqrt(a)

    def backward(self, gy):
        return gy / (2 * self.output())


class Abs(Function):
    """|a|; derivative sign(a) (0 at 0)."""
    def forward(self, a):
        return backend.array_module(a).abs(a)

    def backward(self, gy):
        x = self.inputs[0].array
        return gy * make(backend.array_module(x).sign(x))


class Sin(Function):
    """sin(a); derivative cos(a)."""
    def forward(self, a):
        return backend.array_module(a).sin(a)

    def backward(self, gy):
        return gy * self.inputs[0].cos()


class Cos(Function):
    """cos(a); derivative -sin(a)."""
    def forward(self, a):
        return backend.array_module(a).cos(a)

    def backward(self, gy):
        return -gy * self.inputs[0].sin()


class Tanh(Function):
    """tanh(a); derivative 1 - tanh(a)**2, read from the output."""
    saves_output = True

    def forward(self, a):
        return backend.array_module(a).tanh(a)

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y * y)


class Sigmoid(Function):
    """1 / (1 + exp(-a)); derivative y (1 - y), read from the output y."""
    saves_output = True

    def forward(self, a):
        # 0.5 * (1 + tanh(a / 2)) never overflows, unlike 1 / (1 + exp(-a))
        xp = backend.array_module(a)
        half = a.dtype.type(0.5) if a.dtype.kind == 'f' else 0.5
        return half * (1 + xp.tanh(half * a))

    def backward(self, gy):
        y = self.output()
        return gy * (y * (1 - y))


class MatMul(Function):
    """Batched matrix product of arrays with at least two dimensions."""
    def forward(self, a, b):
        return backend.matmul(a, b)

    def backward(self, gy):
        ga = gy @ self.input(1).mT if self.needs_grad(0) else None
        gb = self.input(0).mT @ gy if self.needs_grad(1) else None
        return ga, gb


class Cast(Function):
    """The values in another dtype; the gradient is cast back."""
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        self.source = a.dtype
        return a.astype(self.dtype)

    def backward(self, gy):
        return Cast(self.source)(gy)


class ToDevice(Function):
    """The values on another device; the gradient is moved back."""
    def __init__(self, device):
        self.device = device

    def forward(self, a):
        self.source = backend.device_of(a)
        return backend.to_device(a, self.device)

    def backward(self, gy):
        return ToDevice(self.source)(gy)


# ---------------------------------------------------------------- wrappers with checks
def _binary(function_class, name):
    def op(a, b):
        # the hot path of arithmetic: kept flat
        if not (isinstance(a, Tensor) and isinstance(b, Tensor) and
                a.array.dtype is b.array.dtype):
            a, b = promoted(a, b)
        try:
            return function_class()(a, b)
        except ValueError:
            return broadcasting(function_class(), name, a, b)    # raises in minidl's words
    op.__name__ = name
    op.__doc__ = (f"Elementwise {name} of two tensors (or a tensor and a number), broadcasting; "
                  "the dtype follows PyTorch's type promotion.")
    return op


def _is_bool(x):
    return isinstance(x, backend.BOOL_TYPES) or isinstance(x, Tensor) and x.dtype.kind == 'b'


add_operator = _binary(Add, 'add')     # a + b
_sub = _binary(Sub, 'sub')
mul = _binary(Mul, 'mul')


def sub_operator(a, b):
    """a - b, elementwise with broadcasting (either may be a number); the dtype follows
    PyTorch's type promotion, and bools are refused, as in PyTorch."""
    if _is_bool(a) or _is_bool(b):
        raise TypeError("sub: a bool tensor cannot be subtracted, nor subtracted from (as in "
                        "PyTorch); to invert a mask use ~mask, or convert it with .long()")
    return _sub(a, b)


FLOAT = backend.FLOAT_TYPES


def _scaled(input, other, alpha):
    """alpha * other, in the dtype of the result (PyTorch refuses a float alpha when both
    operands are integers or bools)."""
    floating = [isinstance(x, FLOAT) or isinstance(x, Tensor) and x.dtype.kind == 'f'
                for x in (input, other)]
    if isinstance(alpha, FLOAT) and not any(floating):
        raise TypeError(f"alpha must not be a floating point number ({alpha}) for integer or "
                        "bool operands")
    if floating[0] and not floating[1] and isinstance(other, Tensor):
        other = other.to(dtype=input.dtype)
    return other * alpha


def add(input, other, *, alpha=1):
    """input + alpha * other, elementwise with broadcasting (either may be a number)."""
    return add_operator(input, other if alpha == 1 else _scaled(input, other, alpha))


def sub(input, other, *, alpha=1):
    """input - alpha * other, elementwise with broadcasting (either may be a number)."""
    return sub_operator(input, other if alpha == 1 else _scaled(input, other, alpha))


def div(a, b, *, rounding_mode=None):
    """True division, broadcasting; integer and bool operands divide in float32 (PyTorch's
    default dtype), otherwise the promoted dtype. ``rounding_mode='trunc'`` or ``'floor'``
    rounds the quotient (see ``rounded_divide``)."""
    if rounding_mode is not None:
        from .elementwise import rounded_divide
        return rounded_divide(a, b, rounding_mode)
    dtype = result_type(a, b)
    if dtype.kind != 'f':
        dtype = backend.dtype(DEFAULT_FLOAT)
    a, b = promoted(a, b, dtype=dtype)
    return broadcasting(Div(), 'div', a, b)


def pow(a, b):
    """a ** b, elementwise, with PyTorch's promotion (int32 ** 0.5 and 0.7 ** int are float32,
    bool ** 2 is int64) and integer rule (2 ** -1 == 0 for an integer tensor exponent; a
    negative integer number exponent of an integer tensor is refused). A number exponent uses a
    cheaper rule."""
    if isinstance(a, Tensor) and is_number(b):
        dtype = result_type(a, b)
        c = b.item() if isinstance(b, backend.SCALAR_TYPES) else b
        if dtype.kind in 'iu' and c < 0:
            raise RuntimeError(f"pow: integer tensors cannot be raised to a negative integer "
                               f"power ({c}); use a float exponent or tensor.float()")
        if dtype.kind == 'b':
            raise TypeError("pow: two bools cannot be raised to a power (convert them first)")
        return PowScalar(c)(cast(a, dtype))
    a, b = promoted(a, b)
    if a.dtype.kind == 'b':
        raise TypeError("pow: two bool tensors cannot be raised to a power (convert them "
                        "with .long() or .float())")
    return broadcasting(Pow(), 'pow', a, b)


def _unary(function_class, name):
    def op(x):
        if x.dtype.kind in 'biu':
            if name not in ('abs', 'neg'):
                x = make(x.array.astype(DEFAULT_FLOAT))   # as PyTorch: float32 result
            elif x.dtype.kind == 'b':
                raise TypeError(f"{name} is not defined for bool tensors (for a mask, invert it "
                                "with ~mask; or convert it with .long() first)")
        return function_class()(x)
    op.__name__ = name
    op.__doc__ = f"Elementwise {name}; same shape as the input."
    return op


exp = _unary(Exp, 'exp')
log = _unary(Log, 'log')
sqrt = _unary(Sqrt, 'sqrt')
abs = _unary(Abs, 'abs')
sin = _unary(Sin, 'sin')
cos = _unary(Cos, 'cos')
tanh = _unary(Tanh, 'tanh')
sigmoid = _unary(Sigmoid, 'sigmoid')
neg = _unary(Neg, 'neg')


def matmul(a, b):
    """Matrix product with NumPy's rules: (..., n, k) @ (..., k, m) -> (..., n, m); 1-D operands
    are treated as a row (left) or column (right) vector and that dimension is removed. Both
    operands must have one dtype, as in PyTorch (no promotion)."""
    a = a if isinstance(a, Tensor) else lift(a, b)
    b = lift(b, a)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    if a.dtype != b.dtype:
        raise TypeError(f"matmul: both operands must have the same dtype, got {a.dtype} and "
                        f"{b.dtype}; convert one with .to(dtype=...)")
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({a.shape[-1]} != {inner_b})")
    if a.ndim >= 2 and b.ndim >= 2:
        return broadcasting(MatMul(), 'matmul', a, b)
    a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
    b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
    out = MatMul()(a2, b2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2 if b.ndim > 1 else -1)
    return out


_BITWISE = ('bitwise_and', 'bitwise_or')


def compare(name, a, b):
    """A comparison (less, equal, ...) or a bitwise and/or, in the operands' promoted dtype, as
    a tensor outside the graph (bool for comparisons)."""
    a, b = promoted(a, b)
    if name in _BITWISE and a.dtype.kind == 'f':
        raise TypeError(f"{name}: needs bool or integer tensors, got {a.dtype}")
    try:
        return make(getattr(a._xp(), name)(a.array, b.array))
    except ValueError as exc:
        if 'broadcast' in str(exc):
            raise ValueError(f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                             "broadcast together") from None
        raise


def positive(x):
    """+x: x itself; refused for bool tensors, as in PyTorch."""
    if x.dtype.kind == 'b':
        raise TypeError("+ (positive) is not defined for bool tensors")
    return x


def invert(x):
    """~x: logical not of a bool tensor, bitwise not of an integer one (outside the graph)."""
    if x.dtype.kind == 'f':
        raise TypeError(f"~ (invert) needs a bool or integer tensor, got {x.dtype}")
    return make(x._xp().invert(x.array))
