"""PyTorch's type promotion: the dtype of an operation on tensors and numbers, in one place.

Dtypes fall into categories, bool < integer < floating. Operands have three priorities:
tensors with at least one dimension, 0-d tensors, and numbers (Python's, or NumPy scalars).
The result takes the promoted dtype of the dimensioned tensors, unless a 0-d tensor or a number
is of a higher category: then a 0-d tensor joins with its own dtype, a number with its
category's default (float32 for a float, int64 for an int, bool for a bool). So

    float32 tensor * float64 0-d tensor  -> float32     int32 tensor ** 0.5    -> float32
    int32 tensor + float64 0-d tensor    -> float64     bool tensor ** 2       -> int64
    int8 tensor + 1000                   -> int8        float16 + int64 tensor -> float16

Every binary op, ``where``, ``clamp``, ``pow`` and the comparisons take their dtype from
``result_type``; ``promoted`` turns their operands into Tensors of that dtype, and
``broadcasting`` runs the op with a shape mismatch reported in minidl's words.
"""
from .. import backend
from ..tensor import DEFAULT_FLOAT, Tensor, from_data, make

_CATEGORY = {'b': 0, 'u': 1, 'i': 1, 'f': 2}


def promote_types(a, b):
    """The smallest dtype that holds both ``a`` and ``b`` (torch.promote_types): across
    categories the higher category's dtype as it is (int64 with float16 is float16, where NumPy
    would say float64); within one, NumPy's rule (uint8 with int8 is int16)."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return backend.result_type(a, b)


def number_dtype(value):
    """The dtype a number takes when it decides a result: bool, int64 or float32."""
    if isinstance(value, backend.BOOL_TYPES):
        return backend.dtype(backend.bool_)
    if isinstance(value, backend.INTEGER_TYPES):
        return backend.dtype(backend.int64)
    return backend.dtype(DEFAULT_FLOAT)


def is_number(value):
    """True for a Python or NumPy number (bools included)."""
    return isinstance(value, backend.INTEGER_TYPES + backend.FLOAT_TYPES + backend.BOOL_TYPES)


def _with_number(dtype, value):
    """The dtype of a tensor of ``dtype`` combined with the number ``value``."""
    if isinstance(value, backend.BOOL_TYPES) or dtype.kind == 'f':
        return dtype
    if isinstance(value, backend.INTEGER_TYPES):
        return dtype if dtype.kind != 'b' else backend.dtype(backend.int64)
    return backend.dtype(DEFAULT_FLOAT)


def _combine(higher, lower):
    """Join a higher-priority result with a lower-priority one: the lower one counts only when
    it is of a higher category (PyTorch's combine_categories)."""
    if higher is None:
        return lower
    if lower is None or higher.kind == 'f':
        return higher
    if higher.kind == 'b' or lower.kind == 'f':
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """The dtype of an elementwise operation on ``operands`` (Tensors, arrays, nested lists and
    numbers; None is skipped), by PyTorch's rules (see the module's text)."""
    if len(operands) == 2 and isinstance(operands[0], Tensor) and is_number(operands[1]):
        return _with_number(operands[0].dtype, operands[1])      # the common case, quickly
    dimensioned = zero_dim = number = None
    for x in operands:
        if x is None:
            continue
        if is_number(x):
            number = promote_types(number, number_dtype(x))
            continue
        if not isinstance(x, Tensor) and not backend.is_array(x):
            x = from_data(x)
        if x.ndim:
            dimensioned = promote_types(dimensioned, x.dtype)
        else:
            zero_dim = promote_types(zero_dim, x.dtype)
    return _combine(dimensioned, _combine(zero_dim, number))


def cast(x, dtype):
    """Tensor ``x`` in ``dtype`` (differentiable; ``x`` itself when it has that dtype)."""
    if x.array.dtype is dtype or x.array.dtype == dtype:
        return x
    from .math import Cast
    return Cast(dtype)(x)


def as_operand(value, dtype, like):
    """``value`` (a Tensor, number, array or nested list) as a Tensor of ``dtype`` on the
    device of Tensor ``like``."""
    if isinstance(value, Tensor):
        return cast(value, dtype)
    if is_number(value):
        return _number(value, dtype, like)
    device = like.device if isinstance(value, (list, tuple)) else None
    return make(from_data(value, device=device).array.astype(dtype, copy=False))


def _number(value, dtype, like):
    """A 0-d Tensor of ``dtype`` holding the number ``value``, on ``like``'s device."""
    xp = backend.array_module(like.array)
    with backend.current(like.array):
        if dtype.kind == 'f':
            return make(xp.asarray(value, dtype=dtype))
        # through the number's own dtype, so that an int too large for int8 wraps (as PyTorch)
        return make(xp.asarray(value).astype(dtype, copy=False))


def promoted(*operands, dtype=None):
    """The operands (at least one a Tensor) as Tensors of their common dtype (``result_type``
    unless ``dtype`` is given), on the first Tensor's device."""
    if len(operands) == 2 and dtype is None:      # a tensor and a number, quickly
        a, b = operands
        if isinstance(a, Tensor) and is_number(b):
            dtype = _with_number(a.array.dtype, b)
            return cast(a, dtype), _number(b, dtype, a)
        if isinstance(b, Tensor) and is_number(a):
            dtype = _with_number(b.array.dtype, a)
            return _number(a, dtype, b), cast(b, dtype)
    like = next(x for x in operands if isinstance(x, Tensor))
    dtype = result_type(*operands) if dtype is None else dtype
    return tuple(as_operand(x, dtype, like) for x in operands)


def broadcasting(fn, name, *operands):
    """fn(*operands), with a broadcasting failure reported in minidl's words."""
    try:
        return fn(*operands)
    except ValueError as exc:
        if 'broadcast' in str(exc):
            shapes = ' and '.join(str(tuple(x.shape)) for x in operands)
            raise ValueError(f"{name}: shapes {shapes} cannot be broadcast together") from None
        raise


def broadcast_shapes(*shapes, name='broadcast'):
    """The shape that ``shapes`` broadcast to (NumPy's and PyTorch's rule), or a ValueError in
    minidl's words."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for sizes in zip(*[(1,) * (ndim - len(s)) + tuple(s) for s in shapes]):
        grown = {n for n in sizes if n != 1}
        if len(grown) > 1:
            raise ValueError(f"{name}: shapes {' and '.join(str(tuple(s)) for s in shapes)} "
                             "cannot be broadcast together")
        out.append(grown.pop() if grown else 1)
    return tuple(out)
