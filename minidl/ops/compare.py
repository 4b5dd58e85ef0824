"""Comparisons and tests of truth: eq, lt, ..., isclose, isnan, logical_and, any, all.

Their results are boolean (or, for ``equal`` and ``allclose``, a Python bool): they have no
gradient and sit outside the graph, as in PyTorch.
"""
from .. import backend
from ..tensor import Tensor, make
from .math import compare, lift
from .promotion import promoted
from .placement import on_input_device
from .reduce import normalize_dims, numpy_names


def _comparison(ufunc, name):
    @on_input_device
    def op(input, other):
        return compare(ufunc, input, other)
    op.__name__ = name
    op.__doc__ = f"input {name} other, elementwise with broadcasting: a bool tensor."
    return op


eq, ne = _comparison('equal', 'eq'), _comparison('not_equal', 'ne')
lt, le = _comparison('less', 'lt'), _comparison('less_equal', 'le')
gt, ge = _comparison('greater', 'gt'), _comparison('greater_equal', 'ge')
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def _broadcastable(name, a, b):
    """Refuse, in minidl's words, shapes that do not broadcast together."""
    try:
        backend.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                         "broadcast together") from None


def _pair(input, other):
    a = input if isinstance(input, Tensor) else lift(input, other)
    return a, lift(other, a)


@on_input_device
def logical_and(input, other):
    """Elementwise AND of the truth values (nonzero is true): a bool tensor."""
    return compare('logical_and', input, other)


@on_input_device
def logical_or(input, other):
    """Elementwise OR of the truth values: a bool tensor."""
    return compare('logical_or', input, other)


@on_input_device
def logical_xor(input, other):
    """Elementwise XOR of the truth values: a bool tensor."""
    return compare('logical_xor', input, other)


@on_input_device
def logical_not(input):
    """Elementwise NOT of the truth values: a bool tensor."""
    return make(input._xp().logical_not(input.array))


@on_input_device
def bitwise_xor(input, other):
    """Elementwise XOR of the bits of integer or bool tensors (the ^ operator)."""
    a, b = _pair(input, other)
    if a.dtype.kind == 'f' or b.dtype.kind == 'f':
        raise TypeError(f"bitwise_xor: needs integer or bool tensors, got {a.dtype} and "
                        f"{b.dtype}")
    a, b = promoted(a, b)             # PyTorch's result dtype (int32 ^ 0-d int64 is int32)
    _broadcastable('bitwise_xor', a, b)
    return make(a._xp().bitwise_xor(a.array, b.array))


def _test(name, doc):
    @on_input_device
    def op(input):
        return make(getattr(input._xp(), name)(input.array))
    op.__name__, op.__doc__ = name, doc + " (elementwise, a bool tensor)."
    return op


isnan = _test('isnan', "True where input is NaN")
isinf = _test('isinf', "True where input is +inf or -inf")
isfinite = _test('isfinite', "True where input is neither infinite nor NaN")


@on_input_device
def isposinf(input):
    """True where input is +inf (elementwise, a bool tensor)."""
    return make(input._xp().isinf(input.array) & (input.array > 0))


@on_input_device
def isneginf(input):
    """True where input is -inf (elementwise, a bool tensor)."""
    return make(input._xp().isinf(input.array) & (input.array < 0))


@on_input_device
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise with broadcasting: a bool tensor."""
    a, b = _pair(input, other)
    _broadcastable('isclose', a, b)
    return make(a._xp().isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


@on_input_device
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when isclose holds at every element (a Python bool)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).array.all())


@on_input_device
def equal(input, other):
    """True when both tensors have the same shape and the same values (a Python bool)."""
    return input.shape == other.shape and bool((input.array == other.array).all())


def _truth_reduction(name):
    @on_input_device
    def op(input, dim=None, keepdim=False):
        axes = normalize_dims(dim, input.ndim)
        out = getattr(input._xp(), name)(input.array, axis=axes, keepdims=keepdim)
        # PyTorch keeps uint8 for uint8 input (its old boolean type); everything else gives bool
        return make(out.astype(backend.uint8) if input.dtype == backend.uint8 else out)
    op.__name__ = name
    op.__doc__ = (f"True where {'any' if name == 'any' else 'every'} element along ``dim`` (int, "
                  "tuple or None for all) is nonzero: a bool tensor.")
    return op


any, all = numpy_names(_truth_reduction('any')), numpy_names(_truth_reduction('all'))


@numpy_names
@on_input_device
def count_nonzero(input, dim=None):
    """The number of nonzero elements along ``dim`` (int, tuple or None for all), int64."""
    axes = normalize_dims(dim, input.ndim)
    count = input._xp().count_nonzero(input.array, axis=axes)
    return make(input._xp().asarray(count, dtype=backend.int64))
