"""Matrices: products (mm, bmm, mv, dot, outer, einsum), norms, diagonals and triangles.

The products with fixed shapes are matmul with PyTorch's shape checks. einsum is one Function
whose gradient for each operand is another einsum: gy contracted with the other operands. A
letter repeated inside one operand ('ii->i') first takes that diagonal (a view), so the
contraction itself never sees one.
"""
import math
import string

from .. import backend, validate
from ..autograd import Function
from ..tensor import Tensor, make
from .math import matmul
from .placement import on_input_device
from .reduce import amax, amin, normalize_dim, normalize_dims, numpy_names
from .select import where
from .shape import cat


def _check_ndim(where_, name, t, ndim):
    validate.tensor(where_, name, t)
    if t.ndim != ndim:
        raise RuntimeError(f"{where_}: {name} must be {ndim}-D, got shape {tuple(t.shape)}")


def mm(input, mat2):
    """The matrix product of (n, k) and (k, m) matrices: (n, m)."""
    _check_ndim('mm', 'input', input, 2)
    _check_ndim('mm', 'mat2', mat2, 2)
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix products: (b, n, k) @ (b, k, m) -> (b, n, m), the same b."""
    _check_ndim('bmm', 'input', input, 3)
    _check_ndim('bmm', 'mat2', mat2, 3)
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: input {tuple(input.shape)}, mat2 "
                           f"{tuple(mat2.shape)}")
    return matmul(input, mat2)


def mv(input, vec):
    """The product of an (n, m) matrix and an (m,) vector: (n,)."""
    _check_ndim('mv', 'input', input, 2)
    _check_ndim('mv', 'vec', vec, 1)
    return matmul(input, vec)


def dot(input, other):
    """The inner product of two 1-D tensors of the same length: a 0-d tensor."""
    _check_ndim('dot', 'input', input, 1)
    _check_ndim('dot', 'other', other, 1)
    if input.shape != other.shape:
        raise RuntimeError(f"dot: input and other must have the same length, got "
                           f"{input.shape[0]} and {other.shape[0]}")
    return matmul(input, other)


def outer(input, vec2):
    """The outer product of 1-D tensors (n,) and (m,): (n, m), out[i, j] = input[i] * vec2[j]."""
    _check_ndim('outer', 'input', input, 1)
    _check_ndim('outer', 'vec2', vec2, 1)
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2): (n, k) @ (k, m), input broadcasting to (n, m)."""
    product = mm(mat1, mat2)
    product = product if alpha == 1 else product * alpha
    return product + (input if beta == 1 else input * beta)


def tensordot(a, b, dims=2):
    """The sum of products over the last ``dims`` dimensions of a and the first ``dims`` of b
    (an int), or over the dimensions listed in ``dims`` = (dims of a, dims of b)."""
    if isinstance(dims, int):
        dims = (list(range(a.ndim - dims, a.ndim)), list(range(dims)))
    dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    letters = iter(string.ascii_letters)
    term_a = [next(letters) for _ in range(a.ndim)]
    term_b = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(dims_a, dims_b):
        term_b[j % b.ndim] = term_a[i % a.ndim]
    summed = set(term_a[i % a.ndim] for i in dims_a)
    output = [c for c in term_a + term_b if c not in summed]
    return einsum(f"{''.join(term_a)},{''.join(term_b)}->{''.join(output)}", a, b)


@numpy_names
def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (the first dimension of size 3 when dim is
    None), broadcasting: a x b = (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0)."""
    if dim is None:
        dim = next((d for d, n in enumerate(input.shape) if n == 3), None)
    axis = normalize_dim(dim, input.ndim) if dim is not None else None
    if axis is None or input.shape[axis] != 3 or other.shape[axis] != 3:
        raise RuntimeError(f"cross: input {tuple(input.shape)} and other {tuple(other.shape)} "
                           f"need size 3 along dim {dim}")
    a, b = input.unbind(axis), other.unbind(axis)
    return cat([(a[(i + 1) % 3] * b[(i + 2) % 3] - a[(i + 2) % 3] * b[(i + 1) % 3])
                .unsqueeze(axis) for i in range(3)], axis)


# ---------------------------------------------------------------- einsum
class Einsum(Function):
    """The contraction ``terms -> output`` (no letter twice within a term). The gradient of
    operand i is gy contracted with the other operands into operand i's letters; a letter
    found only in operand i was summed away, so its gradient is broadcast back along it."""

    def __init__(self, terms, output):
        self.terms, self.output = terms, output

    def forward(self, *arrays):
        self.shapes = [a.shape for a in arrays]
        xp = backend.array_module(arrays[0])
        return xp.einsum(','.join(self.terms) + '->' + self.output, *arrays)

    def backward(self, gy):
        return tuple(self._gradient(i, gy) if self.needs_grad(i) else None
                     for i in range(len(self.terms)))

    def _gradient(self, i, gy):
        others = [j for j in range(len(self.terms)) if j != i]
        reachable = set(self.output).union(*(self.terms[j] for j in others))
        term = self.terms[i]
        kept = ''.join(c for c in term if c in reachable)
        g = Einsum([self.output] + [self.terms[j] for j in others], kept)(
            gy, *(self.input(j) for j in others))
        if kept == term:
            return g
        sizes = dict(zip(kept, g.shape))
        g = g.reshape(tuple(sizes.get(c, 1) for c in term))
        return g.broadcast_to(tuple(sizes.get(c, n) for c, n in zip(term, self.shapes[i])))


def _expand_ellipsis(terms, output, operands, explicit):
    """The equation with '...' replaced by letters of its own (right-aligned, as broadcasting),
    and the output made explicit (implicitly: the ellipsis, then letters seen once, sorted)."""
    spare = [c for c in string.ascii_letters if c not in ''.join(terms) + output]
    widths = [t.ndim - (len(term) - 3) for term, t in zip(terms, operands) if '...' in term]
    letters = ''.join(spare[:max(widths, default=0)])
    terms = [term.replace('...', letters[len(letters) - (t.ndim - (len(term) - 3)):])
             for term, t in zip(terms, operands)]
    if explicit:
        return terms, output.replace('...', letters)
    once = sorted(c for c in set(''.join(terms)) if ''.join(terms).count(c) == 1 and
                  c not in letters)
    return terms, letters + ''.join(once)


def _take_diagonals(term, t):
    """A term without repeated letters: each letter repeated in ``term`` becomes the diagonal
    of ``t`` over those dimensions (moved last, as torch.diagonal puts it)."""
    while len(set(term)) < len(term):
        c = next(c for c in term if term.count(c) > 1)
        first, second = term.index(c), term.index(c, term.index(c) + 1)
        if t.shape[first] != t.shape[second]:
            raise RuntimeError(f"einsum: subscript {c} is repeated in an operand for "
                               f"dimensions of sizes {t.shape[first]} and {t.shape[second]}")
        t = diagonal(t, 0, first, second)
        term = term[:first] + term[first + 1:second] + term[second + 1:] + c
    return term, t


def einsum(equation, *operands):
    """Einstein summation, as torch.einsum: ``einsum('ij,jk->ik', a, b)`` is a @ b; letters in
    the output are kept, the others summed over; '...' stands for broadcast dimensions; without
    '->' the output is the letters seen once, in alphabetical order. Operands may also be given
    as one list. Differentiable in every operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(' ', '')
    left, arrow, output = equation.partition('->')
    terms = left.split(',')
    if len(terms) != len(operands) or not all(isinstance(t, Tensor) for t in operands):
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} operands, got "
                         f"{len(operands)} tensors")
    terms, output = _expand_ellipsis(terms, output, operands, bool(arrow))
    for term, t in zip(terms, operands):
        if len(term) != t.ndim or (term and not term.isalpha()):
            raise ValueError(f"einsum: subscripts {term!r} do not match an operand of shape "
                             f"{tuple(t.shape)} (one letter per dimension)")
    pairs = [_take_diagonals(term, t) for term, t in zip(terms, operands)]
    try:
        return Einsum([p[0] for p in pairs], output)(*(p[1] for p in pairs))
    except ValueError as exc:
        raise ValueError(f"einsum: {equation!r} does not fit the operands' shapes "
                         f"{[tuple(t.shape) for t in operands]} ({exc})") from None


# ---------------------------------------------------------------- norms
class PNorm(Function):
    """(sum |x|^p)^(1/p) over ``axes`` (p > 1; the 2-norm as sqrt(sum x^2)). Gradient
    gy sign(x) |x|^(p-1) / norm^(p-1), and zero where the norm is zero (PyTorch's choice among
    the subgradients there)."""
    saves_output = True

    def __init__(self, p, axes, keepdim):
        self.p, self.axes, self.keepdim = p, axes, keepdim

    def forward(self, x):
        xp = backend.array_module(x)
        if self.p == 2:
            return xp.sqrt((x * x).sum(axis=self.axes, keepdims=self.keepdim))
        total = (xp.abs(x) ** self.p).sum(axis=self.axes, keepdims=self.keepdim)
        return total ** (1.0 / self.p)

    def backward(self, gy):
        x, norm = self.input(0), self.output()
        if not self.keepdim:
            kept = tuple(1 if i in self.axes else n for i, n in enumerate(x.shape))
            norm, gy = norm.reshape(kept), gy.reshape(kept)
        safe = norm + (norm == 0)          # x is zero wherever the norm is
        if self.p == 2:
            return gy * x / safe
        return gy * x.sign() * x.abs() ** (self.p - 1) / safe ** (self.p - 1)


@numpy_names
def norm(input, p='fro', dim=None, keepdim=False, dtype=None):
    """The p-norm over ``dim`` (int, tuple or None for all elements): p = 2 or 'fro' (the
    default), 1, inf, -inf, 0 (the count of nonzeros) or any other number ((sum |x|^p)^(1/p)).
    Differentiable in input; the 2-norm's gradient at zero is zero."""
    validate.floating('norm', 'input', input)
    x = input if dtype is None else input.to(dtype=dtype)
    axes = normalize_dims(dim, x.ndim)
    if p == 'nuc':
        raise NotImplementedError("norm: the nuclear norm needs a singular value "
                                  "decomposition, which minidl does not have")
    if p in ('fro', 2):
        return PNorm(2, axes, keepdim)(x)
    if p == math.inf:
        return amax(x.abs(), axes, keepdim)
    if p == -math.inf:
        return amin(x.abs(), axes, keepdim)
    if p == 0:     # the count of nonzeros: sign(|x|) is 1 or 0, with a zero gradient
        return x.abs().sign().sum(axes, keepdim=keepdim)
    if p == 1:
        return x.abs().sum(axes, keepdim=keepdim)
    if isinstance(p, str):
        raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
    if p > 1:
        return PNorm(float(p), axes, keepdim)(x)
    return (x.abs() ** p).sum(axes, keepdim=keepdim) ** (1.0 / p)


def cdist(x1, x2, p=2.0):
    """Distances between the rows of x1 (..., P, M) and of x2 (..., R, M): (..., P, R), the
    p-norm of each difference (the 2-norm's gradient at a zero distance is zero)."""
    return norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)


# ---------------------------------------------------------------- diagonals and triangles
class Diagonal(Function):
    """The diagonal of dimensions ``dim1`` and ``dim2`` (shifted by ``offset``), appended as the
    last dimension: a view of the input, which writes go through. The gradient puts gy on the
    same diagonal of zeros."""
    is_view = True

    def __init__(self, offset, dim1, dim2):
        self.offset, self.dim1, self.dim2 = offset, dim1, dim2

    def view_again(self, _):
        return Diagonal(self.offset, self.dim1, self.dim2)

    def forward(self, x):
        self.source = x.shape
        view = backend.array_module(x).diagonal(x, self.offset, self.dim1, self.dim2)
        # NumPy makes diagonal views read-only for backward compatibility only; PyTorch's
        # diagonal can be written through (x.diagonal().add_(eps)), so this one can too.
        if not getattr(view.flags, 'writeable', True) and x.flags.writeable:
            view.flags.writeable = True
        return view

    def backward(self, gy):
        return DiagonalEmbed(self.offset, self.dim1, self.dim2, self.source)(gy)


class DiagonalEmbed(Function):
    """Zeros of ``shape`` with ``values`` on the diagonal that Diagonal(offset, dim1, dim2)
    takes (Diagonal's gradient); its own gradient is that diagonal again."""

    def __init__(self, offset, dim1, dim2, shape):
        self.offset, self.dim1, self.dim2, self.shape = offset, dim1, dim2, shape

    def forward(self, values):
        out = backend.array_module(values).zeros(self.shape, dtype=values.dtype)
        Diagonal(self.offset, self.dim1, self.dim2).forward(out)[...] = values
        return out

    def backward(self, gg):
        return Diagonal(self.offset, self.dim1, self.dim2)(gg)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dimensions dim1 and dim2 (above it for offset > 0, below for < 0), as
    the last dimension: a view sharing input's memory."""
    d1, d2 = (normalize_dim(d, input.ndim) for d in (dim1, dim2))
    if d1 == d2:
        raise RuntimeError(f"diagonal: dim1 and dim2 must differ, both are {d1}")
    return Diagonal(int(offset), d1, d2)(input)


def diag(input, diagonal=0):
    """A 1-D input as the ``diagonal``-th diagonal of a square matrix of zeros; of a 2-D input,
    that diagonal (a copy)."""
    if input.ndim == 2:
        return Diagonal(int(diagonal), 0, 1)(input).clone()
    _check_ndim('diag', 'input', input, 1)
    n = input.shape[0] + abs(diagonal)
    return DiagonalEmbed(int(diagonal), 0, 1, (n, n))(input)


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    _check_ndim('trace', 'input', input, 2)
    return diagonal(input).sum()


def _triangle(input, diagonal, lower):
    if input.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input must have at least 2 "
                           f"dimensions, got shape {tuple(input.shape)}")
    n, m = input.shape[-2:]
    xp = input._xp()
    keep = xp.tri(n, m, diagonal, dtype=bool) if lower else ~xp.tri(n, m, diagonal - 1,
                                                                      dtype=bool)
    return where(make(keep), input, make(xp.zeros((), dtype=input.dtype)))


@on_input_device
def tril(input, diagonal=0):
    """The lower triangle of the last two dimensions (on and below the ``diagonal``-th
    diagonal), zeros above."""
    return _triangle(input, diagonal, lower=True)


@on_input_device
def triu(input, diagonal=0):
    """The upper triangle of the last two dimensions (on and above the ``diagonal``-th
    diagonal), zeros below."""
    return _triangle(input, diagonal, lower=False)
