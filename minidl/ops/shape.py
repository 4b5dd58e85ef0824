"""Shape operations: reshape, transpose, indexing, concatenation, splitting and padding."""
import itertools

from .. import backend
from ..autograd import Function
from ..tensor import Tensor, make
from .promotion import promoted
from .reduce import BroadcastTo, SumTo, normalize_dim, normalize_dims, numpy_names
from .subscript import GetItem


class Reshape(Function):
    """The same values in a new shape (a view when the memory layout allows); the gradient is
    reshaped back."""
    is_view = True

    def __init__(self, shape):
        self.shape = shape

    def view_again(self, _):
        return Reshape(self.shape)

    def forward(self, x):
        self.source = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.source)


class Transpose(Function):
    """Axes permuted by ``axes`` (a view); the gradient is permuted back by the inverse."""
    is_view = True

    def __init__(self, axes):
        self.axes = axes

    def view_again(self, _):
        return Transpose(self.axes)

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return gy.permute(*sorted(range(len(self.axes)), key=self.axes.__getitem__))


class Concat(Function):
    """Inputs joined along ``axis``, but for those numbered in ``skipped`` (PyTorch's legacy
    empty tensors, which join nothing but stay in the graph); the gradient is sliced back into
    pieces."""
    def __init__(self, axis, skipped=frozenset()):
        self.axis, self.skipped = axis, skipped

    def forward(self, *xs):
        xs = [x for i, x in enumerate(xs) if i not in self.skipped]
        self.sizes = [x.shape[self.axis] for x in xs]
        return backend.array_module(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        grads, start = [], 0
        lead = (slice(None),) * self.axis
        for n in self.sizes:
            grads.append(gy[lead + (slice(start, start + n),)])
            start += n
        for i in sorted(self.skipped):
            grads.insert(i, None)
        return tuple(grads)


class Split(Function):
    """Pieces of ``sizes`` along ``axis`` (several outputs, views); gradients are concatenated."""
    is_view = True

    def __init__(self, sizes, axis):
        self.sizes, self.axis = sizes, axis

    def view_again(self, i):
        start = sum(self.sizes[:i])
        return GetItem((slice(None),) * self.axis + (slice(start, start + self.sizes[i]),))

    def forward(self, x):
        self.shape = x.shape
        bounds = list(itertools.accumulate(self.sizes))[:-1]
        return tuple(backend.array_module(x).split(x, bounds, axis=self.axis))

    def backward(self, *grads):
        xp = backend.array_module(self.inputs[0].array)
        parts = []
        for g, n in zip(grads, self.sizes):
            if g is None:
                shape = self.shape[:self.axis] + (n,) + self.shape[self.axis + 1:]
                g = make(xp.zeros(shape, dtype=self.inputs[0].dtype))
            parts.append(g)
        return Concat(self.axis)(*parts)


class Pad(Function):
    """Constant padding by ``widths``; the gradient is the un-padded slice."""
    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        xp = backend.array_module(x)
        return xp.pad(x, self.widths, mode='constant', constant_values=self.value)

    def backward(self, gy):
        index = tuple(slice(lo, gy.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))
        return gy[index]


# ---------------------------------------------------------------- wrappers
def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    """The same data viewed with a new shape (one entry may be -1); a copy when the memory
    layout does not allow a view."""
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    try:
        return Reshape(shape)(x)
    except (ValueError, TypeError):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.numel()} elements) into shape {shape}") from None


def view(x, *shape):
    """The same memory with a new shape (one entry may be -1). As PyTorch, a layout that would
    need a copy (e.g. a transposed tensor flattened) is refused: use reshape()."""
    out = reshape(x, *shape)
    if out is not x and out.numel() and not backend.shares_memory(out.array, x.array):
        raise RuntimeError(f"view: shape {_shape_arg(shape)} is not compatible with the memory "
                           f"layout of this tensor of shape {tuple(x.shape)} (one of the new "
                           "dimensions would span two non-contiguous parts); use .reshape(...) "
                           "instead, which copies when it must")
    return out


def permute(x, *dims):
    """Reorder dimensions: out.shape[i] == x.shape[dims[i]]."""
    dims = _shape_arg(dims)
    axes = [normalize_dim(d, x.ndim) for d in dims]
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} is not a permutation of the {x.ndim} "
                         f"dimensions of shape {x.shape}")
    return Transpose(tuple(axes))(x)


def transpose(x, dim0, dim1):
    """Swap two dimensions (a 0-d tensor accepts 0 and -1 and stays as it is)."""
    d0, d1 = normalize_dim(dim0, x.ndim), normalize_dim(dim1, x.ndim)
    if x.ndim == 0:
        return x
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Transpose(tuple(dims))(x)


def T(x):
    """All dimensions reversed (the matrix transpose for 2-D)."""
    return Transpose(tuple(range(x.ndim))[::-1])(x) if x.ndim > 1 else x


def t(x):
    """The transpose of a matrix; a 0-d or 1-D tensor stays as it is (as torch.t)."""
    if x.ndim > 2:
        raise ValueError(f"t() needs a tensor of at most 2 dimensions, got shape {tuple(x.shape)}"
                         " (use transpose(dim0, dim1) or mT)")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def mT(x):
    """Transpose of the last two dimensions (a batch of matrices); a 0-d tensor stays as it is
    and a 1-D one is refused, as in PyTorch."""
    if x.ndim == 1:
        raise RuntimeError("mT needs a matrix or a batch of matrices (at least 2 dimensions), "
                           "got a 1-D tensor")
    return transpose(x, -1, -2) if x.ndim else x


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one (a 0-d tensor becomes shape (1,))."""
    start, end = normalize_dim(start_dim, x.ndim), normalize_dim(end_dim, x.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim "
                         f"({end_dim})")
    if x.ndim == 0:
        return x.reshape(1)
    merged = 1
    for n in x.shape[start:end + 1]:
        merged *= n                     # not -1: NumPy cannot infer it for a size-0 tensor
    return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1:])


def squeeze(x, dim=None):
    """Remove dimensions of size 1 (all of them, or only those of ``dim``, an int or tuple)."""
    if dim is None:
        dims = [i for i, n in enumerate(x.shape) if n == 1]
    elif isinstance(dim, (tuple, list)) and not dim:
        return x                        # no dims named, none squeezed (unlike a reduction)
    else:
        dims = [d for d in normalize_dims(dim, x.ndim) if x.shape[d] == 1]
    return x.reshape(tuple(n for i, n in enumerate(x.shape) if i not in dims))


def unsqueeze(x, dim):
    """Insert a dimension of size 1 at ``dim``."""
    dim = normalize_dim(dim, x.ndim + 1)
    return x.reshape(x.shape[:dim] + (1,) + x.shape[dim:])


def broadcast_to(x, *shape):
    """Broadcast to ``shape`` (NumPy rules) without copying."""
    shape = _shape_arg(shape)
    if shape == x.shape:
        return x
    try:
        return BroadcastTo(shape)(x)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None


def expand(x, *sizes):
    """Broadcast to ``sizes``; -1 keeps a dimension's size (PyTorch's expand)."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0 or any(n == -1 for n in sizes[:lead]):
        raise ValueError(f"expand: cannot expand shape {x.shape} to {sizes} (-1 is allowed only "
                         "for existing dimensions)")
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


def sum_to(x, shape):
    """Sum broadcast dimensions away so that the result has ``shape``."""
    return x if x.shape == tuple(shape) else SumTo(tuple(shape))(x)


def _joinable(tensors, name):
    """The tensors as Tensors of their promoted dtype (as PyTorch's cat), checked to be
    non-empty and at least 1-D."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{name}: expected a non-empty sequence of tensors")
    if len({t.dtype for t in tensors}) > 1:
        tensors = list(promoted(*tensors))
    return tensors


def cat(tensors, dim=0):
    """Join tensors along an existing dimension ``dim``, in their promoted dtype. As PyTorch,
    1-D tensors of size 0 are skipped (the legacy empty tensor)."""
    tensors = _joinable(tensors, 'cat')
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"cat: tensors[{i}] is 0-d; 0-d tensors cannot be concatenated "
                             "(use stack, or unsqueeze them first)")
    kept = [(i, t) for i, t in enumerate(tensors) if t.shape != (0,)]
    if not kept:
        return Concat(0)(*tensors)
    (first, reference), axis = kept[0], normalize_dim(dim, kept[0][1].ndim)
    for i, t in kept:
        if t.ndim != reference.ndim or any(a != b for k, (a, b) in
                                           enumerate(zip(t.shape, reference.shape)) if k != axis):
            raise ValueError(f"cat: tensors[{i}] has shape {t.shape}, which does not match "
                             f"tensors[{first}]'s shape {reference.shape} outside dim {dim}")
    skipped = frozenset(range(len(tensors))) - {i for i, _ in kept}
    return Concat(axis, skipped)(*tensors)


concatenate = cat


def stack(tensors, dim=0):
    """Join tensors of equal shape along a new dimension ``dim``, in their promoted dtype."""
    tensors = _joinable(tensors, 'stack')
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensors[{i}] has shape {t.shape}, tensors[0] has "
                             f"{tensors[0].shape}; all must be equal")
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def split(x, split_size_or_sections, dim=0):
    """Split along ``dim`` into pieces of ``split_size`` (an int; the last may be smaller) or of
    the given list of sizes, as torch.split."""
    if x.ndim == 0:
        raise ValueError("split: needs a tensor with at least one dimension, got a 0-d tensor")
    axis = normalize_dim(dim, x.ndim)
    length = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and not (step == 0 and length == 0):
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, length - s) for s in range(0, length, step)] if step else []
        sizes = sizes or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dim {dim} has "
                             f"size {length}")
        if not sizes:
            return ()
    return Split(sizes, axis)(x)


def pad(x, pad, mode='constant', value=0.0):
    """Constant padding as torch.nn.functional.pad: ``pad`` = (left, right) for the last
    dimension, then (top, bottom) for the one before, and so on."""
    if mode != 'constant':
        raise NotImplementedError(f"pad: only mode='constant' is supported, got mode={mode!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected an even number of widths covering at most {x.ndim} "
                         f"dimensions, got {tuple(pad)}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: widths must be non-negative, got {tuple(pad)}")
    if not pad:
        return x.clone()
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return Pad(tuple(widths), value)(x)


# PyTorch accepts NumPy's axis= (and keepdims=) wherever it takes dim= (see reduce.numpy_names)
cat, stack, split, squeeze, unsqueeze = (numpy_names(f) for f in (cat, stack, split, squeeze,
                                                                   unsqueeze))
concatenate = cat
