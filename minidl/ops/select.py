"""Elementwise choices between values: where, clamp (clip), maximum and minimum. Their
derivatives route the gradient to the value chosen: a fixed mask (MaskedGrad, Where), or masks
rebuilt from the inputs in backward (Clamp with tensor bounds, Maximum)."""
from .. import backend
from ..autograd import Function
from ..tensor import Tensor, from_data, make
from .promotion import broadcasting, cast, is_number, promoted, result_type


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
        low = bounds[0] if self.has_low else None
        high = bounds[-1] if self.has_high else None
        # the masks are kept, not rebuilt from x in backward: clamp_ overwrites x
        self.masks = _clamp_masks(x, low, high)
        y = xp.maximum(x, low) if self.has_low else x
        return xp.minimum(y, high) if self.has_high else y

    def backward(self, gy):
        return tuple(gy * make(mask) for mask in self.masks)


def _clamp_masks(x, low, high):
    """Where the gradient of Clamp goes: to x inside [low, high], to low where x < low < high,
    to high where x > high or high < low (either bound may be None)."""
    inside = backend.array_module(x).ones(x.shape, dtype=bool)    # (broadcast by the tests)
    masks = []
    if low is not None:
        inside = inside & (x >= low)
        masks.append((x < low) & (low < high) if high is not None else x < low)
    if high is not None:
        inside = inside & (x <= high)
        masks.append((x > high) | (high < low) if low is not None else x > high)
    return [inside] + masks


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


def zero_where(mask, g):
    """``g`` with zeros where ``mask`` holds (a differentiable selection)."""
    zero = make(backend.array_module(g.array).zeros((), dtype=g.dtype))
    return Where(mask)(zero, g)


def one_where(mask, x):
    """``x`` with ones where ``mask`` holds (a differentiable selection)."""
    one = make(backend.array_module(x.array).ones((), dtype=x.dtype))
    return Where(mask)(one, x)


# ---------------------------------------------------------------- wrappers with checks
def clip(x, min=None, max=None):
    """Limit values to [min, max] (numbers or tensors, broadcasting; at least one given), in
    the promoted dtype (an int tensor with int bounds stays int); the gradient is zero where a
    limit applied. With min > max every value becomes max, as in PyTorch."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    dtype = result_type(x, min, max)
    if not all(b is None or is_number(b) for b in (min, max)):
        operands = promoted(x, *[b for b in (min, max) if b is not None], dtype=dtype)
        return broadcasting(Clamp(min is not None, max is not None), 'clamp', *operands)
    # Python numbers of the result's kind, so that NumPy never upcasts a float32 tensor
    kind = float if dtype.kind == 'f' else int
    return Clip(None if min is None else kind(min), None if max is None else kind(max))(
        cast(x, dtype))


def maximum(a, b):
    """The elementwise maximum of two tensors (or a tensor and a number), broadcasting, in the
    promoted dtype; at ties each gets half the gradient."""
    return broadcasting(Maximum(True), 'maximum', *promoted(a, b))


def minimum(a, b):
    """The elementwise minimum of two tensors (or a tensor and a number), broadcasting, in the
    promoted dtype; at ties each gets half the gradient."""
    return broadcasting(Maximum(False), 'minimum', *promoted(a, b))


def where(condition, a=None, b=None):
    """Elements of ``a`` where ``condition`` holds, else of ``b`` (broadcasting all three; a
    and b may be numbers), in their promoted dtype. ``where(condition)`` alone is
    ``nonzero(condition, as_tuple=True)``, as in PyTorch."""
    if a is None and b is None:
        from .index import nonzero               # (index.py imports this module)
        return nonzero(condition, as_tuple=True)
    if a is None or b is None:
        raise TypeError("where: give both a and b (or neither, for the indices where condition "
                        "holds)")
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
