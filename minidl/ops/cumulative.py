"""Running sums and products along a dimension (cumsum, cumprod) and the product reduction
(prod), whose gradient is built from running products.

The gradient of a product with respect to one factor is the product of all the others. Dividing
the product by that factor fails where a factor is zero; the running products from both ends
give the product of the others exactly, zeros included, and being made of multiplications and
slices they can themselves be differentiated.
"""
from .. import backend
from ..autograd import Function
from ..tensor import make
from .reduce import normalize_dim, numpy_names
from .shape import cat


def _axis(input, dim):
    return normalize_dim(dim, input.ndim)


def _accumulating_dtype(input, dtype):
    """PyTorch's result dtype for sums and products: ``dtype`` if given, int64 for integer and
    bool input, else input's dtype."""
    if dtype is not None:
        return backend.dtype(dtype)
    return backend.dtype(backend.int64) if input.dtype.kind in 'biu' else input.dtype


def _cast(input, dtype):
    dtype = _accumulating_dtype(input, dtype)
    return input if input.dtype == dtype else input.to(dtype=dtype)


def _part(x, axis, start, stop):
    return x[(slice(None),) * axis + (slice(start, stop),)]


class CumSum(Function):
    """Running sums along ``axis``; the gradient is the running sum of gy taken from the other
    end (element i contributes to every output from i on)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return backend.array_module(x).cumsum(x, axis=self.axis)

    def backward(self, gy):
        return gy.flip(self.axis).cumsum(self.axis).flip(self.axis)


@numpy_names
def cumsum(input, dim, dtype=None):
    """out[i] = input[0] + ... + input[i] along ``dim`` (same shape; integers sum in int64)."""
    x = _cast(input, dtype)
    axis = _axis(x, dim)
    return CumSum(axis)(x) if x.ndim else x.clone()


def running_product(x, axis):
    """out[i] = x[0] * ... * x[i] along ``axis``, by doubling (Hillis and Steele's scan): after
    the step with shift s, each entry holds the product of the 2s entries ending at it. Only
    multiplications and slices, so its gradient is exact at zeros and differentiable."""
    n, shift = x.shape[axis], 1
    while shift < n:
        x = cat([_part(x, axis, 0, shift),
                 _part(x, axis, shift, n) * _part(x, axis, 0, n - shift)], axis)
        shift *= 2
    return x


@numpy_names
def cumprod(input, dim, dtype=None):
    """out[i] = input[0] * ... * input[i] along ``dim`` (same shape; integers in int64).
    Differentiable, also where input holds zeros."""
    x = _cast(input, dtype)
    axis = _axis(x, dim)
    return running_product(x, axis) if x.ndim else x.clone()


class Ones(Function):
    """Ones of x's shape whose derivative is zero: a constant that stays in the graph, so that a
    gradient built from it is differentiable (as PyTorch's is) even where it is constant."""

    def forward(self, x):
        return backend.array_module(x).ones_like(x)

    def backward(self, gy):
        return make(backend.array_module(gy.array).zeros_like(gy.array))


def _product_of_others(x, axis):
    """For each entry along ``axis``, the product of all the other entries: the running product
    of those before it times that of those after it."""
    n = x.shape[axis]
    ones = Ones()(_part(x, axis, 0, 1))
    before = cat([ones, _part(running_product(x, axis), axis, 0, n - 1)], axis)
    after = cat([ones, _part(running_product(x.flip(axis), axis), axis, 0, n - 1)], axis)
    return before * after.flip(axis)


class Prod(Function):
    """The product along ``axis``; the gradient of each entry is gy times the product of the
    others (``_product_of_others``, exact at zeros)."""

    def __init__(self, axis, keepdim):
        self.axis, self.keepdim = axis, keepdim

    def forward(self, x):
        return x.prod(axis=self.axis, keepdims=self.keepdim)

    def backward(self, gy):
        x = self.input(0)
        if not self.keepdim:
            gy = gy.unsqueeze(self.axis)
        if x.shape[self.axis] == 0:
            return x * 0          # empty (so no value is read), and in the graph as PyTorch's
        return gy * _product_of_others(x, self.axis)


@numpy_names
def prod(input, dim=None, keepdim=False, dtype=None):
    """The product of all elements (a 0-d tensor), or along the int ``dim``; integers multiply
    in int64. Differentiable, also where input holds zeros."""
    x = _cast(input, dtype)
    if dim is None:
        return Prod(0, False)(x.reshape(-1))
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"prod: dim must be an int (or None for all elements), got {dim!r}")
    axis = _axis(x, dim)
    return Prod(axis, keepdim)(x) if x.ndim else Prod(0, False)(x.reshape(1))
