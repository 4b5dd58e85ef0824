"""x[index] with PyTorch's rules: basic indexing (ints, slices, None, Ellipsis) gives a view,
index tensors, lists and masks a copy; the gradient scatters back (repeated indices accumulate).

Where PyTorch's rules differ from NumPy's, ``index_parts`` rewrites the index: integers select
before index tensors are placed, a list holding sequences is a tuple of indices, a 0-d integer
tensor is an integer. NumPy's index errors are reported in minidl's words (``index_error``).
"""
from .. import backend
from ..autograd import Function
from ..tensor import Tensor


def is_basic_index(index):
    """True for an index of ints, slices, None and Ellipsis only (NumPy's basic indexing, which
    gives a view)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, _BASIC) and not isinstance(p, backend.BOOL_TYPES) for p in parts)


_BASIC = backend.INTEGER_TYPES + (slice, type(None), type(Ellipsis))


def raw_index(index, xp):
    """Replace Tensors and lists inside an index by arrays of the indexed tensor's module. A
    basic index gets a trailing Ellipsis, so that NumPy too returns a 0-d view for ``x[i]`` of
    a 1-D x (not a scalar copy), as CuPy does."""
    if is_basic_index(index):
        index = index if isinstance(index, tuple) else (index,)
        return index if any(i is Ellipsis for i in index) else index + (Ellipsis,)
    if isinstance(index, tuple):
        return tuple(_raw_part(i, xp) for i in index)
    return _raw_part(index, xp)


def _raw_part(index, xp):
    if isinstance(index, Tensor):
        index = index.array
    if isinstance(index, list) or backend.array_module(index) is not xp and hasattr(index, 'ndim'):
        index = xp.asarray(backend.to_numpy(index) if hasattr(index, 'ndim') else index)
        if index.size == 0 and index.dtype.kind == 'f':
            index = index.astype(backend.int64)     # x[[]]: an empty list of positions
    if hasattr(index, 'dtype') and index.dtype.kind not in 'biu':
        raise IndexError(f"tensors used as indices must be integer or bool tensors, got dtype "
                         f"{index.dtype}")
    return index


def _as_tuple(index):
    """PyTorch's reading of an index: a list holding a sequence, slice, None, Ellipsis or
    Tensor is a tuple of indices (x[[[0, 1], [1, 0]]] is x[[0, 1], [1, 0]]), as is any tuple;
    a 0-d integer Tensor is an integer."""
    if isinstance(index, list) and len(index) < 32 and any(
            isinstance(i, (Tensor, list, tuple, slice)) or i is None or i is Ellipsis or
            backend.is_array(i) and not isinstance(i, backend.SCALAR_TYPES) for i in index):
        index = tuple(index)
    parts = index if isinstance(index, tuple) else (index,)
    return tuple(int(p) if isinstance(p, Tensor) and p.ndim == 0 and p.dtype.kind in 'iu'
                 else p for p in parts)


def _is_integer(part):
    return isinstance(part, backend.INTEGER_TYPES) and not isinstance(part, backend.BOOL_TYPES)


def _dims_taken(part):
    """How many dimensions an index part consumes (None and a bool add one and take none, a
    mask takes as many as it has)."""
    if part is None or part is Ellipsis or isinstance(part, backend.BOOL_TYPES):
        return 0
    if isinstance(part, slice) or _is_integer(part):
        return 1
    array = part.array if isinstance(part, Tensor) else (
        backend.host_array(part) if isinstance(part, list) else part)
    return array.ndim if array.dtype.kind == 'b' else 1


def index_parts(x, index):
    """(y, raw) such that x[index] under PyTorch's rules is y[raw] under NumPy's: y is x, or,
    when integers meet index tensors, the view of x with the integers applied first (PyTorch
    selects at integers before it places the indexed dimensions, so x[1, :, idx] has the
    indexed dimension last where NumPy would put it first)."""
    if is_basic_index(index):            # ints, slices, None, ...: NumPy's rules are PyTorch's
        return x, raw_index(index, None)
    parts = _as_tuple(index)
    xp = x._xp()
    if any(_is_integer(p) for p in parts) and not is_basic_index(parts):
        first = []
        for p in parts:
            if _is_integer(p) or p is Ellipsis:
                first.append(p)
            elif p is not None:
                first.extend([slice(None)] * _dims_taken(p))
        try:
            x = GetItem(raw_index(tuple(first), xp))(x)
        except IndexError as exc:
            raise index_error(exc, x.shape) from None
        parts = tuple(p for p in parts if not _is_integer(p))
    return x, raw_index(parts if len(parts) != 1 else parts[0], xp)


class GetItem(Function):
    """x[index] (a view for basic indexing: ints, slices, None, ...); the gradient is scattered
    back into zeros (IndexAdd)."""
    is_view = True

    def __init__(self, index):
        self.index = index

    def view_again(self, _):
        return GetItem(self.index)

    def forward(self, x):
        self.source = x.shape
        return x[self.index]

    def backward(self, gy):
        return IndexAdd(self.index, self.source)(gy)


class IndexAdd(Function):
    """Scatter ``gy`` into zeros of ``shape`` at ``index``; repeated indices accumulate."""
    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        out = backend.array_module(gy).zeros(self.shape, dtype=gy.dtype)
        if not is_basic_index(self.index):
            backend.scatter_add(out, self.index, gy)
        else:
            out[self.index] = gy
        return out

    def backward(self, ggx):
        return GetItem(self.index)(ggx)


def getitem(x, index):
    """x[index]: basic slicing and integer/boolean array indexing with PyTorch's rules (where
    they differ from NumPy's: see ``index_parts``); gradients scatter back, accumulating where
    an index repeats."""
    y, raw = index_parts(x, index)
    try:
        return GetItem(raw)(y)
    except IndexError as exc:
        raise index_error(exc, x.shape) from None


_INDEX_ERRORS = (('too many indices', 'too many indices for a tensor of shape {}'),
                 ('out of bounds', 'an index is out of range for a tensor of shape {}'),
                 ('boolean index did not match', 'a boolean mask in the index does not match '
                  'the dims it covers of a tensor of shape {}'),
                 ('could not be broadcast', "the index tensors' shapes do not broadcast "
                  "together (indexing a tensor of shape {})"))


def index_error(exc, shape):
    """NumPy's IndexError from indexing an array of ``shape``, in minidl's words."""
    for phrase, message in _INDEX_ERRORS:
        if phrase in str(exc):
            return IndexError(message.format(tuple(shape)))
    return IndexError(f"invalid index for a tensor of shape {tuple(shape)}")
