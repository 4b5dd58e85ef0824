"""Rearranging elements: flip, roll, repeat, tile, repeat_interleave; cutting into pieces (chunk,
unbind, narrow, select); moving dimensions (movedim, swapaxes, unflatten); the ``*_as`` forms;
memory layout (contiguous).

flip and roll are Functions (their gradient is the same move undone). Everything else is made of
existing view and indexing operations: ``repeat`` is a broadcast of a reshaped view, summed back
in the backward pass; ``narrow`` and ``unbind`` are slices, views sharing the input's memory.
"""
import math

from .. import backend
from ..autograd import Function
from .placement import on_input_device
from .reduce import normalize_dim, numpy_names
from .shape import cat, reshape, split, transpose


def _dims(dims, ndim, name='dims'):
    """An int or a sequence of ints as a tuple of axes (checked, in the order given)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return tuple(normalize_dim(d, ndim, name) for d in dims)


class Flip(Function):
    """The order of elements reversed along ``axes`` (a copy, as PyTorch's flip); the gradient
    is flipped back."""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return backend.array_module(x).flip(x, self.axes).copy()

    def backward(self, gy):
        return Flip(self.axes)(gy)


def flip(input, dims):
    """input with the order of elements reversed along each of ``dims`` (an int or a tuple)."""
    axes = _dims(dims, input.ndim)
    return Flip(axes)(input) if axes and input.ndim else input.clone()


def fliplr(input):
    """input flipped left to right (along dimension 1)."""
    return flip(input, 1)


def flipud(input):
    """input flipped upside down (along dimension 0)."""
    return flip(input, 0)


class Roll(Function):
    """Elements shifted by ``shifts`` along ``axes`` (None: of the flattened tensor), those
    pushed off one end coming back at the other; the gradient is rolled back."""

    def __init__(self, shifts, axes):
        self.shifts, self.axes = shifts, axes

    def forward(self, x):
        return backend.array_module(x).roll(x, self.shifts, self.axes)

    def backward(self, gy):
        undo = -self.shifts if isinstance(self.shifts, int) else tuple(-s for s in self.shifts)
        return Roll(undo, self.axes)(gy)


def roll(input, shifts, dims=None):
    """input with its elements shifted by ``shifts`` along ``dims`` (ints or tuples of equal
    length), wrapping around; without dims, the flattened tensor is rolled, shape kept."""
    if dims is None:
        if not isinstance(shifts, int):
            raise ValueError(f"roll: without dims, shifts must be one int, got {shifts!r}")
        return Roll(int(shifts), None)(input)
    axes = _dims(dims, input.ndim)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    return Roll(tuple(int(s) for s in shifts), axes)(input)


def _sizes(sizes):
    return tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes


def repeat(input, *sizes):
    """input repeated sizes[i] times along dimension i (new leading dimensions when sizes is
    longer than input.shape), as torch.Tensor.repeat and numpy.tile."""
    sizes = _sizes(sizes)
    if not sizes and input.ndim == 0:
        raise TypeError("repeat: give the number of repeats of each dimension")
    if len(sizes) < input.ndim:
        raise RuntimeError(f"repeat: the number of repeats ({len(sizes)}) can not be smaller "
                           f"than the number of dimensions of the tensor ({input.ndim})")
    shape = (1,) * (len(sizes) - input.ndim) + input.shape
    # (a, b) -> (1, a, 1, b) -> broadcast (r1, a, r2, b) -> (r1 * a, r2 * b)
    spread = input.reshape(tuple(n for size in shape for n in (1, size)))
    tiled = spread.broadcast_to(tuple(n for pair in zip(sizes, shape) for n in pair))
    return tiled.reshape(tuple(r * n for r, n in zip(sizes, shape)))


def tile(input, dims):
    """input repeated dims[i] times along dimension i; a shorter ``dims`` is padded with ones
    in front (torch.tile)."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    sizes = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, sizes) if sizes else input.clone()


@numpy_names
@on_input_device
def repeat_interleave(input, repeats, dim=None):
    """Each element repeated ``repeats`` times (an int) along ``dim``, next to itself:
    [1, 2] -> [1, 1, 2, 2]; without dim, of the flattened tensor."""
    if dim is None:
        input, dim = input.reshape(-1), 0
    axis = normalize_dim(dim, input.ndim)
    xp = input._xp()
    index = xp.repeat(xp.arange(input.shape[axis]), int(repeats))
    return input[(slice(None),) * axis + (index,)]


@numpy_names
def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces along ``dim``, each of ceil(size / chunks) elements but the
    last (so there may be fewer pieces), views of input."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    size = input.shape[normalize_dim(dim, input.ndim)]
    if size == 0:                       # as PyTorch: ``chunks`` empty pieces
        return split(input, [0] * chunks, dim)
    return split(input, -(-size // chunks), dim)


@numpy_names
def select(input, dim, index):
    """The slice at position ``index`` along ``dim``, that dimension removed (a view)."""
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    if not -size <= index < size:
        raise IndexError(f"select: index {index} is out of range for dimension {dim} of size "
                         f"{size}")
    return input[(slice(None),) * axis + (int(index),)]


@numpy_names
def unbind(input, dim=0):
    """The slices along ``dim``, that dimension removed: a tuple of views."""
    axis = normalize_dim(dim, input.ndim)
    return tuple(select(input, axis, i) for i in range(input.shape[axis]))


@numpy_names
def narrow(input, dim, start, length):
    """input[start:start + length] along ``dim`` (a view)."""
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    start = int(start) + (size if start < 0 else 0)
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dimension {dim} "
                         f"of size {size}")
    return input[(slice(None),) * axis + (slice(start, start + int(length)),)]


def movedim(input, source, destination):
    """input with dimensions ``source`` (an int or tuple) moved to ``destination`` (a view)."""
    src, dst = _dims(source, input.ndim, 'source'), _dims(destination, input.ndim, 'destination')
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must be "
                         "distinct dimensions, as many of each")
    rest = iter(d for d in range(input.ndim) if d not in src)
    order = dict(zip(dst, src))
    return input.permute(*(order[i] if i in order else next(rest) for i in range(input.ndim)))


moveaxis = movedim


def swapaxes(input, axis0, axis1):
    """input with two dimensions swapped (transpose's NumPy name)."""
    return transpose(input, axis0, axis1)


swapdims = swapaxes


@numpy_names
def unflatten(input, dim, sizes):
    """Dimension ``dim`` split into dimensions of ``sizes`` (one may be -1, inferred from that
    dimension's size alone)."""
    axis = normalize_dim(dim, input.ndim)
    sizes, n = list(sizes), input.shape[axis]
    known = math.prod(s for s in sizes if s != -1)
    if sizes.count(-1) == 1 and known and n % known == 0:
        sizes[sizes.index(-1)] = n // known
    elif sizes.count(-1) == 1 and not known:
        raise RuntimeError(f"unflatten: sizes {tuple(sizes)} leave -1 ambiguous for dimension "
                           f"{dim} of size {n}")
    return input.reshape(input.shape[:axis] + tuple(sizes) + input.shape[axis + 1:])


def expand_as(input, other):
    """input broadcast to other's shape (a view)."""
    return input.expand(other.shape)


def view_as(input, other):
    """input viewed with other's shape."""
    return input.view(other.shape)


def reshape_as(input, other):
    """input reshaped to other's shape."""
    return reshape(input, other.shape)


def type_as(input, other):
    """input cast to other's dtype."""
    return input.to(dtype=other.dtype)


def is_contiguous(input):
    """True when input's elements lie in memory in row-major order, without gaps."""
    return bool(input.array.flags.c_contiguous)


def contiguous(input):
    """input itself when it is contiguous, else a row-major copy (differentiable)."""
    return input if is_contiguous(input) else input.clone()


def atleast(input, ndim):
    """input with leading dimensions of size 1 added up to ``ndim`` dimensions."""
    return input.reshape((1,) * (ndim - input.ndim) + input.shape) if input.ndim < ndim else input


def hstack(tensors):
    """Tensors joined along dimension 1 (dimension 0 for 1-D tensors; 0-d ones count as 1-D)."""
    tensors = [atleast(t, 1) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim <= 1 else 1)


def vstack(tensors):
    """Tensors joined along dimension 0, 1-D tensors becoming rows."""
    return cat([atleast(t, 2) for t in tensors], 0)


def meshgrid(*tensors, indexing='ij'):
    """Coordinate grids from 1-D tensors of lengths n1, n2, ...: each output has shape
    (n1, n2, ...) (``indexing='xy'`` swaps the first two), views of the inputs."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ('ij', 'xy'):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    swap = indexing == 'xy' and len(tensors) > 1
    order = [1, 0] + list(range(2, len(tensors))) if swap else list(range(len(tensors)))
    shape = tuple(tensors[i].numel() for i in order)
    grids = []
    for position, i in enumerate(order):
        view = (1,) * position + (-1,) + (1,) * (len(tensors) - position - 1)
        grids.append((i, tensors[i].reshape(view).expand(shape)))
    return tuple(grid for _, grid in sorted(grids, key=lambda pair: pair[0]))


@numpy_names
def diff(input, n=1, dim=-1):
    """The n-th forward difference along ``dim``: out[i] = input[i + 1] - input[i], n times."""
    axis = normalize_dim(dim, input.ndim)
    for _ in range(n):
        size = input.shape[axis]
        input = narrow(input, axis, 1, size - 1) - narrow(input, axis, 0, size - 1) \
            if size else input
    return input


def rot90(input, k=1, dims=(0, 1)):
    """input rotated by k quarter turns in the plane of ``dims``, from the first dimension
    towards the second (a copy)."""
    d0, d1 = _dims(dims, input.ndim)
    if d0 == d1:
        raise ValueError(f"rot90: dims must be two different dimensions, got {dims}")
    k %= 4
    if k == 0:
        return input.clone()
    if k == 2:
        return flip(input, (d0, d1))
    # one turn: transpose, then reverse what was the first dimension; three: the other way
    turned = transpose(input, d0, d1)
    return flip(turned, d0 if k == 1 else d1)


@on_input_device
def windows(input, dimension, size, step):
    """Tensor.unfold: every slice of ``size`` elements along ``dimension``, ``step`` apart, as
    a new last dimension (dimension's length becomes the number of windows). A copy, where
    PyTorch gives a view. Differentiable (windows that overlap add up their gradients)."""
    axis = normalize_dim(dimension, input.ndim)
    if input.ndim == 0:                 # as PyTorch: the windows of one element, shape (size,)
        return windows(input.reshape(1), 0, size, step)[0]
    length = input.shape[axis]
    if size > length or size < 0 or step <= 0:
        raise RuntimeError(f"unfold: size ({size}) must be at most dimension {dimension}'s "
                           f"length ({length}) and step ({step}) positive")
    xp = input._xp()
    starts = xp.arange(0, length - size + 1, step)
    index = (starts[:, None] + xp.arange(size)[None, :]).reshape(-1)
    picked = input[(slice(None),) * axis + (index,)]
    shape = input.shape[:axis] + (len(starts), size) + input.shape[axis + 1:]
    return movedim(picked.reshape(shape), axis + 1, -1)


def broadcast_tensors(*tensors):
    """The tensors broadcast to one shape (views), as NumPy's broadcasting rules give."""
    shape = backend.broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.broadcast_to(shape) for t in tensors)


def broadcast_shapes(*shapes):
    """The shape that tensors of ``shapes`` broadcast to."""
    return backend.broadcast_shapes(*shapes)
