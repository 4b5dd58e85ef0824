"""Elementwise arithmetic, transcendental functions and matrix multiplication.

Each primitive is a Function: ``forward`` on arrays, ``backward`` on Tensors (so it can itself be
differentiated). Broadcasting needs no care here: the engine sums each gradient to its input's
shape.
"""
from .. import backend
from ..autograd import Function
from ..tensor import DEFAULT_FLOAT, Tensor, from_data, make
from .promotion import as_operand, cast, promoted, result_type


def lift(value, like):
    """Turn ``value`` (a Tensor, Python number, array or nested list) into a Tensor beside
    ``like``: a number takes the dtype PyTorch's promotion gives it with ``like`` (so float32
    stays float32, and an int tensor with a float makes float32), an array or list keeps its
    own dtype."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, _NUMBER_TYPES):
        return as_operand(value, result_type(like, value), like)
    return from_data(value, device=like.device)


_NUMBER_TYPES = backend.INTEGER_TYPES + backend.FLOAT_TYPES + backend.BOOL_TYPES


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
        if a.requires_grad:
            ga = zero_where((b == 0).array, gy * b * a ** (b - 1))
        if b.requires_grad:
            constant = ((a == 0) & (b >= 0)).array
            gb = zero_where(constant, gy * self.output() * log(a))
        return ga, gb


def zero_where(mask, g):
    """``g`` with zeros where ``mask`` holds (a differentiable selection)."""
    zero = make(backend.array_module(g.array).zeros((), dtype=g.dtype))
    return Where(mask)(zero, g)


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


class MaskedGrad(Function):
    """Base for ops whose derivative is 0/1 (or a fixed factor) on a mask computed in forward."""
    def backward(self, gy):
        return gy * make(self.mask)


class Clip(MaskedGrad):
    """Values limited to [low, high]; the gradient passes only where no limit applied."""
    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, a):
        xp = backend.array_module(a)
        mask = xp.ones(a.shape, dtype=a.dtype)
        if self.low is not None:
            mask *= a >= self.low
        if self.high is not None:
            mask *= a <= self.high
        self.mask = mask
        return xp.clip(a, self.low, self.high)


class Clamp(Function):
    """x limited by tensor bounds ``low`` and/or ``high`` (broadcasting), as PyTorch's clamp:
    x's gradient passes where low <= x <= high, low's where x < low < high, high's where
    x > high or high < low (the result is then high everywhere)."""
    def __init__(self, has_low, has_high):
        self.has_low, self.has_high = has_low, has_high

    def forward(self, x, *bounds):
        xp = backend.array_module(x)
        if self.has_low:
            x = xp.maximum(x, bounds[0])
        return xp.minimum(x, bounds[-1]) if self.has_high else x

    def backward(self, gy):
        xp = backend.array_module(gy.array)
        x = self.input(0).array
        low = self.input(1).array if self.has_low else None
        high = self.input(len(self._inputs) - 1).array if self.has_high else None
        inside = xp.ones(gy.shape, dtype=bool)
        grads = []
        if self.has_low:
            inside = inside & (x >= low)
            below = x < low
            grads.append(below & (low < high) if self.has_high else below)
        if self.has_high:
            inside = inside & (x <= high)
            above = x > high
            grads.append(above | (high < low) if self.has_low else above)
        return tuple(gy * make(mask) for mask in [inside] + grads)


class Maximum(Function):
    """Elementwise maximum (or minimum); as PyTorch, each input gets half the gradient at ties
    and both get all of it where a NaN makes the comparison undecided."""
    def __init__(self, take_max=True):
        self.take_max = take_max

    def forward(self, a, b):
        xp = backend.array_module(a)
        return xp.maximum(a, b) if self.take_max else xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.input(0).array, self.input(1).array
        xp = backend.array_module(a)
        a_loses, b_loses = (a < b, a > b) if self.take_max else (a > b, a < b)
        tie = a == b

        def share(loses):
            return make(xp.where(tie, 0.5, xp.where(loses, 0.0, 1.0)).astype(gy.dtype))
        return gy * share(a_loses), gy * share(b_loses)


class Where(Function):
    """where(condition, a, b) with a constant boolean condition."""
    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return backend.array_module(a).where(self.condition, a, b)

    def backward(self, gy):
        zero = make(backend.array_module(gy.array).zeros((), dtype=gy.dtype))
        return Where(self.condition)(gy, zero), Where(self.condition)(zero, gy)


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
        if name == 'sub' and (_is_bool(a) or _is_bool(b)):
            raise TypeError("sub: a bool tensor cannot be subtracted, nor subtracted from (as in "
                            "PyTorch); to invert a mask use ~mask, or convert it with .long()")
        if not (isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype == b.dtype):
            a, b = promoted(a, b)
        return _checked(function_class(), name, a, b)
    op.__name__ = name
    op.__doc__ = (f"Elementwise {name} of two tensors (or a tensor and a number), broadcasting; "
                  "the dtype follows PyTorch's type promotion.")
    return op


def _is_bool(x):
    return isinstance(x, backend.BOOL_TYPES) or isinstance(x, Tensor) and x.dtype.kind == 'b'


def _checked(fn, name, *operands):
    """fn(*operands), with a broadcasting failure reported in minidl's words."""
    try:
        return fn(*operands)
    except ValueError as exc:
        if 'broadcast' in str(exc):
            shapes = ' and '.join(str(tuple(x.shape)) for x in operands)
            raise ValueError(f"{name}: shapes {shapes} cannot be broadcast together") from None
        raise


add = _binary(Add, 'add')
sub = _binary(Sub, 'sub')
mul = _binary(Mul, 'mul')


def div(a, b):
    """True division, broadcasting; integer and bool operands divide in float32 (PyTorch's
    default dtype), otherwise the promoted dtype."""
    dtype = result_type(a, b)
    if dtype.kind != 'f':
        dtype = backend.dtype(DEFAULT_FLOAT)
    a, b = promoted(a, b, dtype=dtype)
    return _checked(Div(), 'div', a, b)


def pow(a, b):
    """a ** b, elementwise, with PyTorch's promotion (int32 ** 0.5 and 0.7 ** int are float32,
    bool ** 2 is int64) and integer rule (2 ** -1 == 0 for an integer tensor exponent; a
    negative integer number exponent of an integer tensor is refused). A number exponent uses a
    cheaper rule."""
    if isinstance(a, Tensor) and isinstance(b, _NUMBER_TYPES):
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
    return _checked(Pow(), 'pow', a, b)


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


def clip(x, min=None, max=None):
    """Limit values to [min, max] (numbers or tensors, broadcasting; at least one given), in
    the promoted dtype (an int tensor with int bounds stays int); the gradient is zero where a
    limit applied. With min > max every value becomes max, as in PyTorch."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    dtype = result_type(x, min, max)
    if not all(b is None or isinstance(b, _NUMBER_TYPES) for b in (min, max)):
        operands = promoted(x, *[b for b in (min, max) if b is not None], dtype=dtype)
        return _checked(Clamp(min is not None, max is not None), 'clamp', *operands)
    # Python numbers of the result's kind, so that NumPy never upcasts a float32 tensor
    kind = float if dtype.kind == 'f' else int
    return Clip(None if min is None else kind(min), None if max is None else kind(max))(
        cast(x, dtype))


maximum = _binary(lambda: Maximum(True), 'maximum')
minimum = _binary(lambda: Maximum(False), 'minimum')


def where(condition, a, b):
    """Elements of ``a`` where ``condition`` holds, else of ``b`` (broadcasting all three; a
    and b may be numbers), in their promoted dtype."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        device = condition.device if isinstance(condition, Tensor) else None
        a = from_data(a, device=device)
    a, b = promoted(a, b)
    cond = condition.array if isinstance(condition, Tensor) else a._xp().asarray(condition)
    try:
        return Where(cond.astype(bool))(a, b)
    except ValueError as exc:
        if 'broadcast' in str(exc):
            raise ValueError(f"where: condition {cond.shape}, x {a.shape} and y {b.shape} "
                             "cannot be broadcast together") from None
        raise


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
        return _checked(MatMul(), 'matmul', a, b)
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
