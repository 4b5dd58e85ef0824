"""The Tensor: an array (NumPy or CuPy) with a gradient, a link to the Function that made it, and
a version counter that in-place writes bump.

This module holds the data structure only. Arithmetic, methods such as ``x.sum()`` and in-place
updates such as ``x.add_(y)`` are differentiable operations: they are defined in ``minidl.ops``
and attached to Tensor there, in one table (``ops/methods.py``).
"""
from . import backend

DEFAULT_FLOAT = backend.float32
_SUPPORTED_KINDS = 'biuf'   # bool, signed and unsigned integers, floats


def check_dtype(dtype, name='dtype'):
    """``dtype`` as a dtype object, if minidl supports it (bool, integers, floats)."""
    dtype = backend.dtype(dtype)
    if dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"{name} {dtype} is not supported: minidl tensors hold bool, integer or "
                        "floating-point numbers")
    return dtype


def as_array(data, dtype=None, device=None, copy=True):
    """``data`` as an array on ``device``, with PyTorch's dtype rules.

    Python numbers and nested lists of floats become float32 (ints int64, bools bool); NumPy and
    CuPy arrays keep their dtype; ``dtype`` overrides. NumPy array subclasses (``np.memmap``)
    become plain arrays on the CPU.
    """
    if isinstance(data, Tensor):
        array = data.array
    elif backend.is_array(data):
        array = backend.plain_array(data)
    else:
        array = _from_python(data, dtype)
        copy = False
    check_dtype(array.dtype, 'data of dtype')
    if device is not None or backend.device_of(array) == 'cpu':
        target = backend.canonical_device(device)
        if backend.device_of(array) != target:
            array, copy = backend.to_device(array, target), False
    if dtype is not None and array.dtype != check_dtype(dtype):
        array, copy = array.astype(dtype), False
    if copy:
        array = array.copy()
    return array


def _from_python(data, dtype):
    """A host array from Python numbers or nested lists (of numbers or tensors)."""
    try:
        array = backend.host_array(data)
    except ValueError:
        raise ValueError("data is a ragged nested list: every row must have the same length "
                         "(the shape must be rectangular)") from None
    if dtype is None and array.dtype.kind == 'f':
        array = array.astype(DEFAULT_FLOAT)
    elif dtype is None and array.dtype.kind in 'iu':
        array = array.astype(backend.int64)
    return array


class Version:
    """How many times a tensor's memory has been written in place. A tensor and its views share
    one, so a Function that saved either sees a write through the other."""
    __slots__ = ('count',)

    def __init__(self):
        self.count = 0


class Tensor:
    """An n-dimensional array that records the operations applied to it for backpropagation.

    Tensor(data, requires_grad=False, dtype=None, device=None): like torch.Tensor, Python numbers
    and lists become float32 (``minidl.tensor`` infers int64 and bool too); arrays keep their
    dtype. Attributes: ``array``, the raw NumPy or CuPy array; ``grad``, the accumulated gradient
    (a Tensor) after ``backward()``; ``grad_fn``, the Function that made it (None for a leaf).
    ``data`` is PyTorch's: a Tensor sharing the memory, outside the graph.
    """
    __slots__ = ('array', 'grad', 'requires_grad', 'grad_fn', '_output_nr', '_version_counter',
                 '_view', '_post_accumulate_grad_hooks', '__weakref__')
    __array_ufunc__ = None          # let `ndarray op tensor` reach Tensor's reflected operators
    __hash__ = object.__hash__      # == is elementwise, so hashing is by identity, as in PyTorch

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if dtype is None and not isinstance(data, Tensor) and not backend.is_array(data):
            dtype = DEFAULT_FLOAT       # as torch.Tensor: Python data always becomes float32
        init_tensor(self, as_array(data, dtype, device), None, 0)
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------ properties
    @property
    def shape(self):
        """The size of each dimension, a tuple."""
        return self.array.shape

    @property
    def ndim(self):
        """The number of dimensions."""
        return self.array.ndim

    @property
    def dtype(self):
        """The array's dtype (float32 by default)."""
        return self.array.dtype

    @property
    def device(self):
        """'cpu' or 'cuda:N'."""
        return backend.device_of(self.array)

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by a recorded operation."""
        return self.grad_fn is None

    @property
    def is_cuda(self):
        """True when the data lives on a GPU."""
        return self.device != 'cpu'

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has seen (PyTorch's ``_version``)."""
        return self._version_counter.count

    @property
    def data(self):
        """A Tensor sharing this one's memory, outside the graph, with a version counter of its
        own: writes through it are not checked by autograd (as PyTorch's ``.data``)."""
        return make(self.array, None, 0)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self.array = value.array

    def size(self, dim=None):
        """The shape, or the length of dimension ``dim``."""
        return self.array.shape if dim is None else self.array.shape[dim]

    def numel(self):
        """Number of elements."""
        return int(self.array.size)

    def dim(self):
        """The number of dimensions (as ndim)."""
        return self.array.ndim

    def _xp(self):
        return backend.array_module(self.array)

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        body = backend.format_array(self.array, prefix='tensor(')
        extra = ''
        if self.dtype not in (DEFAULT_FLOAT, backend.int64, backend.bool_):
            extra += f', dtype={self.dtype}'
        if self.device != 'cpu':
            extra += f", device='{self.device}'"
        if self.grad_fn is not None:
            extra += f', grad_fn={self.grad_fn!r}'
        elif self.requires_grad:
            extra += ', requires_grad=True'
        return f'tensor({body}{extra})'

    # ------------------------------------------------------------ conversion
    def numpy(self):
        """The values as a NumPy array that shares memory with this CPU tensor, as in PyTorch: a
        write to either is seen in the other (no copy). Refuses a tensor that requires grad
        (use ``detach().numpy()``) and a GPU tensor (use ``cpu().numpy()``, a copy)."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad: use "
                               "tensor.detach().numpy()")
        if self.is_cuda:
            raise TypeError(f"can't convert a {self.device} tensor to numpy: use tensor.cpu() "
                            "to copy it to host memory first")
        return self.array

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """This tensor's memory as a DLPack capsule, without a copy, for another library's
        ``from_dlpack`` (NumPy, PyTorch, CuPy, JAX): a write on either side is seen on the
        other. Refuses a tensor that requires grad with PyTorch's BufferError (the DLPack
        protocol's error for "cannot export"). The keywords are the protocol's, passed on to
        the array (NumPy's or CuPy's ``__dlpack__``)."""
        if self.requires_grad:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        given = dict(stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)
        return self.array.__dlpack__(**{k: v for k, v in given.items() if v is not None})

    def __dlpack_device__(self):
        """(DLPack device type, index): (1, 0) on the CPU, (2, N) on CUDA GPU N."""
        return self.array.__dlpack_device__()

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.array.reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists (a Python number for a 0-d tensor)."""
        return backend.to_numpy(self.array).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in 'biu' or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(shape {self.shape}): use .any() or .all()")
        return bool(self.item())

    def __array__(self, dtype=None, copy=None):
        array = backend.to_numpy(self.array)
        return array if dtype is None else array.astype(dtype)

    # ------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad=True):
        """Mark this leaf as needing a gradient (floating-point tensors only)."""
        if requires_grad and self.dtype.kind != 'f':
            raise RuntimeError(f"only floating-point tensors can require gradients, got dtype "
                               f"{self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables; use "
                               "detach() to get a tensor outside the graph")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A tensor sharing the same memory and version counter, cut from the graph."""
        out = make(self.array, None, 0)
        out._version_counter = self._version_counter
        return out

    def detach_(self):
        """Cut this tensor from the graph, in place: it becomes a leaf that needs no gradient."""
        if self._view is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn, self._output_nr, self.requires_grad = None, 0, False
        return self

    def retain_grad(self):
        """Keep ``.grad`` of this non-leaf tensor after backward."""
        if self.grad_fn is not None:
            self.grad_fn.retain_grad_of(self)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after every backward pass that accumulated a gradient into this
        leaf's ``.grad`` (once per pass, when the pass ends, so ``.grad`` holds all of it).
        Returns a handle whose ``remove()`` unregisters the hook."""
        from .autograd.hooks import register_post_accumulate_grad_hook
        return register_post_accumulate_grad_hook(self, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad``.

        ``gradient`` is the upstream gradient (required unless self has one element).
        ``retain_graph`` keeps the graph for another backward; ``create_graph`` records the
        backward pass itself, for higher-order derivatives; ``inputs`` limits the accumulation
        to those tensors.
        """
        from .autograd.engine import backward
        backward([self], [gradient], retain_graph, create_graph, inputs)


_new_object = object.__new__
_SCALAR_TYPES = backend.SCALAR_TYPES


def make(array, grad_fn=None, output_nr=0):
    """Wrap an array without copying or checks (the fast path for operations): ``grad_fn`` is
    the Function that made it (None for a constant) and ``output_nr`` which of its outputs it
    is. A NumPy scalar (what a NumPy reduction or ufunc gives for 0-d input) becomes a 0-d
    array, so a Tensor always holds an array."""
    if isinstance(array, _SCALAR_TYPES):
        array = backend.host_array(array)
    return init_tensor(_new_object(Tensor), array, grad_fn, output_nr)


def init_tensor(t, array, grad_fn=None, output_nr=0):
    """Set every field of a new Tensor ``t`` (a constructor's work, shared with Parameter)."""
    t.array = array
    t.grad = None
    t.grad_fn = grad_fn
    t._output_nr = output_nr
    t.requires_grad = grad_fn is not None
    t._version_counter = Version()
    t._view = None
    return t


def constant(array):
    """A Tensor outside the graph wrapping ``array``."""
    return make(array, None, 0)


def from_data(data, dtype=None, device=None):
    """A Tensor from ``data`` with ``tensor()``'s dtype rules (Python floats -> float32, ints ->
    int64, bools -> bool; arrays keep their dtype), unlike the class constructor, which makes
    Python data float32 as torch.Tensor does."""
    return make(as_array(data, dtype, device), None, 0)

