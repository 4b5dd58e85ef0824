"""Elementwise arithmetic, transcendental functions and matrix multiplication.

Each primitive is a Function: ``forward`` on arrays, ``backward`` on Tensors (so it can itself be
differentiated). Broadcasting needs no care here: the engine sums each gradient to its input's
shape.
"""
from .. import backend
from ..autograd import Function
from ..tensor import Tensor, from_data, make


def lift(value, like):
    """Turn ``value`` (a Tensor, Python number or array) into a Tensor beside ``like``.

    Python numbers take ``like``'s dtype when it can hold them, so float32 stays float32 (as in
    PyTorch, where a Python scalar never upcasts a tensor).
    """
    if isinstance(value, Tensor):
        return value
    xp = backend.array_module(like.array)
    if isinstance(value, backend.BOOL_TYPES):
        dtype = like.dtype
    elif isinstance(value, backend.INTEGER_TYPES):
        dtype = like.dtype if like.dtype.kind in 'iuf' else backend.int64
    elif isinstance(value, backend.FLOAT_TYPES):
        dtype = like.dtype if like.dtype.kind == 'f' else backend.float32
    else:
        device = like.device if isinstance(value, (list, tuple)) else None
        return from_data(value, device=device)
    with backend.current(like.array):
        return make(xp.asarray(value, dtype=dtype))


def _broadcast_error(name, a, b):
    raise ValueError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast together")


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
    """x ** c for a constant exponent c."""
    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, a):
        return a ** self.exponent

    def backward(self, gy):
        c = self.exponent
        x, = self.inputs
        return gy * (c * x ** (c - 1)) if c != 2 else gy * (2 * x)


class Pow(Function):
    """a ** b for two tensors."""
    saves_output = True

    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        a, b = self.inputs
        ga = gy * b * a ** (b - 1) if a.requires_grad else None
        gb = gy * self.output() * log(a) if b.requires_grad else None
        return ga, gb


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


class Maximum(Function):
    """Elementwise maximum; at ties each input gets half the gradient (as PyTorch)."""
    def __init__(self, take_max=True):
        self.take_max = take_max

    def forward(self, a, b):
        xp = backend.array_module(a)
        wins = (a > b) if self.take_max else (a < b)
        self.share = wins + 0.5 * (a == b)
        return xp.maximum(a, b) if self.take_max else xp.minimum(a, b)

    def backward(self, gy):
        share = make(self.share.astype(gy.dtype))
        return gy * share, gy * (1 - share)


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
def promote(a, b):
    """Match dtypes as PyTorch does where NumPy differs: an integer tensor meeting a float one
    takes the float dtype (NumPy would give int64 + float32 -> float64)."""
    if a.dtype != b.dtype:
        if a.dtype.kind in 'biu' and b.dtype.kind == 'f':
            a = make(a.array.astype(b.dtype))
        elif b.dtype.kind in 'biu' and a.dtype.kind == 'f':
            b = make(b.array.astype(a.dtype))
    return a, b


def _binary(function_class, name):
    def op(a, b):
        if not isinstance(a, Tensor):
            a = lift(a, b)
        elif not isinstance(b, Tensor):
            b = lift(b, a)
        if a.array.dtype is not b.array.dtype and a.array.dtype != b.array.dtype:
            a, b = promote(a, b)
        try:
            return function_class()(a, b)
        except ValueError as exc:
            if 'broadcast' in str(exc):
                _broadcast_error(name, a, b)
            raise
    op.__name__ = name
    op.__doc__ = f"Elementwise {name} of two tensors (or a tensor and a number), broadcasting."
    return op


add_operator = _binary(Add, 'add')     # a + b
sub_operator = _binary(Sub, 'sub')     # a - b
mul = _binary(Mul, 'mul')
_div = _binary(Div, 'div')


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
    """True division, broadcasting; integer tensors divide to float32 (as PyTorch).
    ``rounding_mode='trunc'`` or ``'floor'`` rounds the quotient (see ``rounded_divide``)."""
    if rounding_mode is not None:
        from .elementwise import rounded_divide
        return rounded_divide(a, b, rounding_mode)
    a_int = not isinstance(a, Tensor) or a.dtype.kind in 'biu'
    b_int = not isinstance(b, Tensor) or b.dtype.kind in 'biu'
    if a_int and b_int:
        a = a.to(dtype='float32') if isinstance(a, Tensor) else float(a)
        b = b.to(dtype='float32') if isinstance(b, Tensor) else float(b)
    return _div(a, b)


def pow(a, b):
    """a ** b, elementwise; a constant exponent uses a cheaper rule."""
    if isinstance(a, Tensor) and isinstance(b, backend.INTEGER_TYPES + backend.FLOAT_TYPES):
        return PowScalar(b.item() if isinstance(b, backend.SCALAR_TYPES) else b)(a)
    if not isinstance(a, Tensor):
        a = lift(a, b)
    return Pow()(a, lift(b, a))


def _unary(function_class, name):
    def op(x):
        if x.dtype.kind in 'biu' and name not in ('abs', 'neg'):
            x = make(x.array.astype('float32'))   # as PyTorch: float32 result
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
    """Limit values to [min, max]; the gradient is zero where the limit applies."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    # Python numbers, so that NumPy float64 bounds never upcast a float32 tensor
    min = None if min is None else float(min)
    max = None if max is None else float(max)
    return Clip(min, max)(x)


maximum = _binary(lambda: Maximum(True), 'maximum')
minimum = _binary(lambda: Maximum(False), 'minimum')


def where(condition, a=None, b=None):
    """Elements of ``a`` where ``condition`` holds, else of ``b`` (broadcasting all three).
    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``, as in PyTorch."""
    if a is None and b is None:
        from .index import nonzero
        return nonzero(condition, as_tuple=True)
    if a is None or b is None:
        raise TypeError("where: give both a and b (or neither, for the indices where condition "
                        "holds)")
    if isinstance(a, Tensor):
        b = lift(b, a)
    elif isinstance(b, Tensor):
        a = lift(a, b)
    else:
        a, b = from_data(a), from_data(b)
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
    are treated as a row (left) or column (right) vector and that dimension is removed."""
    a = a if isinstance(a, Tensor) else lift(a, b)
    b = lift(b, a)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({a.shape[-1]} != {inner_b})")
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul()(a, b)
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    out = MatMul()(a2, b2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2 if b.ndim > 1 else -1)
    return out


def compare(name, a, b):
    """A comparison (less, equal, ...) as a boolean tensor outside the graph."""
    a = a if isinstance(a, Tensor) else lift(a, b)
    b = lift(b, a)
    return make(getattr(a._xp(), name)(a.array, b.array))
