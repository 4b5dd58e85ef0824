"""The Tensor: an array (NumPy or CuPy) with a gradient and a link to the Function that made it."""
import numpy

from . import backend
from . import autograd
from .autograd import default_root_grad, run_backward

_FLOAT_DEFAULT = numpy.float32
_SUPPORTED_KINDS = 'biuf'   # bool, signed and unsigned integers, floats


def _check_dtype(dtype, name='dtype'):
    dtype = numpy.dtype(dtype)
    if dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"{name} {dtype} is not supported: minidl tensors hold bool, integer or "
                        "floating-point numbers")
    return dtype


def as_array(data, dtype=None, device=None, copy=True):
    """Convert ``data`` to an array on ``device`` following PyTorch's dtype rules.

    Python numbers and nested lists of floats become float32 (ints int64, bools bool); NumPy and
    CuPy arrays keep their dtype; ``dtype`` overrides.
    """
    if isinstance(data, Tensor):
        array = data.data
    elif isinstance(data, (numpy.ndarray, numpy.generic)) or hasattr(data, '__cuda_array_interface__'):
        array = data
    else:
        try:
            array = numpy.asarray(data)
        except ValueError:
            raise ValueError("data is a ragged nested list: every row must have the same length "
                             "(the shape must be rectangular)") from None
        if dtype is None and array.dtype.kind == 'f':
            array = array.astype(_FLOAT_DEFAULT)
        elif dtype is None and array.dtype.kind in 'iu':
            array = array.astype(numpy.int64)
        copy = False
    _check_dtype(array.dtype, 'data of dtype')
    if device is not None or backend.array_module(array) is numpy:
        target = backend.canonical_device(device)
        if backend.device_of(array) != target:
            array, copy = backend.to_device(array, target), False
    xp = backend.array_module(array)
    if dtype is not None:
        dtype = _check_dtype(dtype)
        if array.dtype != dtype:
            array, copy = array.astype(dtype), False
    if copy or array.ndim == 0 and isinstance(array, numpy.generic):
        array = xp.array(array)
    return array


def _is_array(data):
    return isinstance(data, (Tensor, numpy.ndarray, numpy.generic)) or hasattr(
        data, '__cuda_array_interface__')


def from_data(data, dtype=None, device=None):
    """A Tensor from ``data`` with ``tensor()``'s dtype rules (Python floats -> float32, ints ->
    int64, bools -> bool; arrays keep their dtype), unlike the class constructor, which makes
    Python data float32 as torch.Tensor does."""
    return _make_tensor(as_array(data, dtype, device), None, 0)


class Tensor:
    """An n-dimensional array that records the operations applied to it for backpropagation.

    Tensor(data, requires_grad=False, dtype=None, device=None): like torch.Tensor, Python numbers
    and lists become float32 (``minidl.tensor`` infers int64 and bool too); arrays keep their
    dtype. ``data`` is the raw array,
    ``grad`` the accumulated gradient (a Tensor) after ``backward()``.
    """
    __slots__ = ('data', 'grad', 'requires_grad', '_ctx', '_idx', '__weakref__')
    __array_ufunc__ = None          # let `ndarray op tensor` reach Tensor's reflected operators
    __hash__ = object.__hash__      # == is elementwise, so hashing is by identity, as in PyTorch

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if dtype is None and not _is_array(data):
            dtype = _FLOAT_DEFAULT      # as torch.Tensor: Python data always becomes float32
        self.data = as_array(data, dtype, device)
        self.grad = None
        self._ctx = None
        self._idx = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)


    # ------------------------------------------------------------ properties
    @property
    def shape(self):
        """The size of each dimension, a tuple."""
        return self.data.shape

    @property
    def ndim(self):
        """The number of dimensions."""
        return self.data.ndim

    @property
    def dtype(self):
        """The array's dtype (float32 by default)."""
        return self.data.dtype

    @property
    def device(self):
        """'cpu' or 'cuda:N'."""
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by an operation."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The Function that made this tensor (None for a leaf)."""
        return self._ctx

    @property
    def is_cuda(self):
        """True when the data lives on a GPU."""
        return self.device != 'cpu'

    def size(self, dim=None):
        """The shape, or the length of dimension ``dim``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        """Number of elements."""
        return int(self.data.size)

    def dim(self):
        """The number of dimensions (as ndim)."""
        return self.data.ndim

    def _xp(self):
        return backend.array_module(self.data)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        body = numpy.array2string(backend.to_numpy(self.data), separator=', ', precision=4,
                                  prefix='tensor(')
        extra = ''
        if self.dtype != _FLOAT_DEFAULT and self.dtype != numpy.int64 and self.dtype != bool:
            extra += f', dtype={self.dtype}'
        if self.device != 'cpu':
            extra += f", device='{self.device}'"
        if self._ctx is not None:
            extra += f', grad_fn={self._ctx!r}'
        elif self.requires_grad:
            extra += ', requires_grad=True'
        return f'tensor({body}{extra})'

    # ------------------------------------------------------------ conversion
    def numpy(self):
        """The values as a NumPy array (shares memory on the CPU; refuses if it requires grad)."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad: use "
                               "tensor.detach().numpy()")
        return backend.to_numpy(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists."""
        return backend.to_numpy(self.data).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        array = backend.to_numpy(self.data)
        return array if dtype is None else array.astype(dtype)

    def to(self, target=None, dtype=None):
        """Move to a device ('cpu', 'cuda') and/or convert to a dtype; differentiable."""
        out = self
        if target is not None and not isinstance(target, str):
            target, dtype = None, target          # .to(dtype)
        if target is not None and backend.canonical_device(target) != self.device:
            out = ops.ToDevice(backend.canonical_device(target))(out)
        if dtype is not None and numpy.dtype(dtype) != self.dtype:
            out = ops.Cast(_check_dtype(dtype))(out)
        return out

    def cpu(self):
        """A copy on the CPU (differentiable)."""
        return self.to('cpu')

    def cuda(self):
        """A copy on the GPU (differentiable)."""
        return self.to('cuda')

    def float(self):
        """Converted to float32 (differentiable)."""
        return self.to(dtype=numpy.float32)

    def double(self):
        """Converted to float64 (differentiable)."""
        return self.to(dtype=numpy.float64)

    def long(self):
        """Converted to int64."""
        return self.to(dtype=numpy.int64)

    def int(self):
        """Converted to int32."""
        return self.to(dtype=numpy.int32)

    def bool(self):
        """Converted to bool."""
        return self.to(dtype=numpy.bool_)

    def type(self, dtype):
        """Converted to ``dtype``."""
        return self.to(dtype=dtype)

    # ------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        """Mark this leaf as needing a gradient (floating-point tensors only)."""
        if requires_grad and self.dtype.kind != 'f':
            raise RuntimeError(f"only floating-point tensors can require gradients, got dtype "
                               f"{self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A tensor sharing the same data, cut from the graph."""
        return Tensor._make(self.data, None, 0)

    def clone(self):
        """A copy of the data that stays in the graph."""
        return ops.Clone()(self)

    def retain_grad(self):
        """Keep ``.grad`` of this non-leaf tensor after backward."""
        import weakref
        if self._ctx is None:
            return
        if self._ctx._retained is None:
            self._ctx._retained = []
        self._ctx._retained.append((self._idx, weakref.ref(self)))

    def backward(self, gradient=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad``.

        ``gradient`` is the upstream gradient (required unless self has one element).
        ``retain_graph`` keeps the graph for another backward; ``create_graph`` records the
        backward pass itself, for higher-order derivatives.
        """
        root_grad = default_root_grad(self, gradient, 'tensor')
        run_backward([self], [root_grad], retain_graph or create_graph, create_graph)

    def zero_(self):
        """Fill with zeros in place (outside the graph)."""
        self.data[...] = 0
        return self

    # ------------------------------------------------------------ operators
    def __add__(self, other): return ops.add(self, other)
    def __radd__(self, other): return ops.add(other, self)
    def __sub__(self, other): return ops.sub(self, other)
    def __rsub__(self, other): return ops.sub(other, self)
    def __mul__(self, other): return ops.mul(self, other)
    def __rmul__(self, other): return ops.mul(other, self)
    def __truediv__(self, other): return ops.div(self, other)
    def __rtruediv__(self, other): return ops.div(other, self)
    def __pow__(self, other): return ops.pow(self, other)
    def __rpow__(self, other): return ops.pow(other, self)
    def __matmul__(self, other): return ops.matmul(self, other)
    def __rmatmul__(self, other): return ops.matmul(other, self)
    def __neg__(self): return ops.Neg()(self)
    def __pos__(self): return self
    def __abs__(self): return ops.Abs()(self)
    def __getitem__(self, index): return ops.getitem(self, index)
    def __lt__(self, other): return ops.compare('less', self, other)
    def __le__(self, other): return ops.compare('less_equal', self, other)
    def __gt__(self, other): return ops.compare('greater', self, other)
    def __ge__(self, other): return ops.compare('greater_equal', self, other)
    def __eq__(self, other): return ops.compare('equal', self, other)
    def __ne__(self, other): return ops.compare('not_equal', self, other)
    def __invert__(self): return Tensor._make(~self.data, None, 0)
    def __and__(self, other): return ops.compare('logical_and', self, other)
    def __or__(self, other): return ops.compare('logical_or', self, other)

    # Methods (exp, sum, reshape, ...) are attached by minidl.ops, where they are defined.


def _make_tensor(data, ctx, index):
    """Wrap an array without copying or checks (the fast path for operations): ``ctx`` is the
    Function that made it (None for a constant) and ``index`` which of its outputs it is."""
    t = _new_object(Tensor)
    t.data = data
    t.grad = None
    t._ctx = ctx
    t._idx = index
    t.requires_grad = ctx is not None
    return t


def constant(array):
    """A Tensor outside the graph wrapping ``array`` (NumPy scalars become 0-d arrays)."""
    return _make_tensor(backend.ensure_array(array), None, 0)


_new_object = object.__new__
autograd.make_tensor = _make_tensor
Tensor._make = staticmethod(_make_tensor)

from . import ops  # noqa: E402  (ops needs Tensor defined first)
