"""Functions that create tensors: from data, filled with a constant, ranges and random draws.

Floating-point tensors default to float32. Random draws come from the per-device generator that
``minidl.manual_seed`` makes repeatable.
"""
from . import backend
from .tensor import Tensor, as_array, check_dtype, from_data, make


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of ``data`` (a number, nested list, array or Tensor): Python
    floats become float32, ints int64, bools bool; arrays keep their dtype unless ``dtype``."""
    t = from_data(data, dtype, device)
    if isinstance(data, Tensor) or t.array is data:
        t.array = t.array.copy()
    return t.requires_grad_() if requires_grad else t


def from_numpy(array):
    """A CPU tensor sharing memory with the NumPy ``array``, as torch.from_numpy: no copy, so a
    write to either is seen in the other; shape and dtype are the array's."""
    if not isinstance(array, backend.NDARRAY):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    check_dtype(array.dtype, 'array of dtype')
    return make(array)


_DLPACK_CPU = (1,)           # kDLCPU
_DLPACK_CUDA = (2, 13)       # kDLCUDA, kDLCUDAManaged


def from_dlpack(ext_tensor):
    """A tensor sharing memory with ``ext_tensor``, any object with ``__dlpack__`` (a NumPy or
    CuPy array, a PyTorch or JAX tensor, a minidl Tensor), as torch.from_dlpack: no copy, so a
    write to either is seen in the other; shape, strides and dtype are kept. CPU memory becomes
    a NumPy array, CUDA memory a CuPy array on the same GPU. The exporter decides about
    autograd: PyTorch (and minidl) refuse a tensor that requires grad."""
    if not hasattr(ext_tensor, '__dlpack__') or not hasattr(ext_tensor, '__dlpack_device__'):
        raise TypeError(f"from_dlpack expects an object with __dlpack__ and __dlpack_device__ "
                        f"(an array or tensor of another library), got "
                        f"{type(ext_tensor).__name__}")
    kind, index = ext_tensor.__dlpack_device__()
    if kind in _DLPACK_CPU:
        device = 'cpu'
    elif kind in _DLPACK_CUDA:
        device = f'cuda:{int(index)}'
    else:
        raise RuntimeError(f"from_dlpack: memory on DLPack device type {int(kind)} (index "
                           f"{int(index)}) is not supported: minidl holds CPU (1) and CUDA (2) "
                           "memory")
    array = backend.module_for(device).from_dlpack(ext_tensor)
    check_dtype(array.dtype, 'ext_tensor of dtype')
    return make(array)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, backend.INTEGER_TYPES) or n < 0:
            raise ValueError(f"size must be non-negative integers, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _new(array, requires_grad):
    t = make(array)
    return t.requires_grad_() if requires_grad else t


def _filled(size, value, dtype, device, requires_grad):
    dtype = check_dtype(dtype if dtype is not None else backend.float32)
    with backend.on(device) as xp:
        return _new(xp.full(_size(size), value, dtype=dtype), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of the given size, e.g. zeros(2, 3) or zeros((2, 3))."""
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones of the given size."""
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor of the given size."""
    dtype = check_dtype(dtype if dtype is not None else backend.float32)
    with backend.on(device) as xp:
        return _new(xp.empty(_size(size), dtype=dtype), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``."""
    if dtype is None and isinstance(fill_value, bool):
        dtype = backend.bool_
    elif dtype is None and isinstance(fill_value, int):
        dtype = backend.int64
    return _filled((size,) if isinstance(size, int) else size, fill_value, dtype, device,
                   requires_grad)


def _like(x, value, dtype, requires_grad):
    with backend.current(x.array):
        return _new(x._xp().full(x.shape, value, dtype=dtype or x.dtype), requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    """Zeros with the shape, dtype and device of ``x``."""
    return _like(x, 0, dtype, requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    """Ones with the shape, dtype and device of ``x``."""
    return _like(x, 1, dtype, requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    """``fill_value`` with the shape, dtype and device of ``x``."""
    return _like(x, fill_value, dtype, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values start, start + step, ... below end; int64 for integer arguments, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, backend.INTEGER_TYPES) for v in (start, end, step))
        dtype = backend.int64 if ints else backend.float32
    with backend.on(device) as xp:
        return _new(xp.arange(start, end, step, dtype=check_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end inclusive."""
    dtype = check_dtype(dtype or backend.float32)
    with backend.on(device) as xp:
        return _new(xp.linspace(start, end, steps).astype(dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n, m)."""
    with backend.on(device) as xp:
        return _new(xp.eye(n, m, dtype=check_dtype(dtype or backend.float32)), requires_grad)


def _float_dtype(dtype):
    dtype = check_dtype(dtype or backend.float32)
    if dtype.kind != 'f':
        raise TypeError(f"random floats need a floating-point dtype, got {dtype}")
    return dtype


def _draw(kind, size, dtype, device, *params):
    device = backend.canonical_device(device)
    gen = backend.generator(device)
    dtype = _float_dtype(dtype)
    shape = _size(size)
    if kind == 'normal':
        # float32 draws directly in float32 (never through float64) on both backends
        values = gen.standard_normal(shape, dtype=dtype if dtype.itemsize >= 4 else backend.float32)
    else:
        values = gen.random(shape, dtype=dtype if dtype.itemsize >= 4 else backend.float32)
    if params:
        a, b = params
        values = values * values.dtype.type(b) + values.dtype.type(a)
    return values.astype(dtype, copy=False)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal samples of the given size."""
    return _new(_draw('normal', size, dtype, device), requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1) of the given size."""
    return _new(_draw('uniform', size, dtype, device), requires_grad)


def normal(mean=0.0, std=1.0, size=(), dtype=None, device=None, requires_grad=False):
    """Normal samples with the given mean and standard deviation."""
    if std < 0:
        raise ValueError(f"normal: std must be non-negative, got {std}")
    return _new(_draw('normal', (size,) if isinstance(size, int) else size, dtype, device,
                      mean, std), requires_grad)


def uniform(low=0.0, high=1.0, size=(), dtype=None, device=None, requires_grad=False):
    """Uniform samples in [low, high)."""
    if high < low:
        raise ValueError(f"uniform: high ({high}) must not be below low ({low})")
    return _new(_draw('uniform', (size,) if isinstance(size, int) else size, dtype, device,
                      low, high - low), requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None):
    """Random integers in [low, high) (int64)."""
    if high is None:
        low, high = 0, low
    gen = backend.generator(backend.canonical_device(device))
    shape = (size,) if isinstance(size, int) else tuple(size)
    return _new(gen.integers(low, high, shape).astype(check_dtype(dtype or backend.int64)), False)


def randperm(n, device=None):
    """A random permutation of 0..n-1 (int64)."""
    gen = backend.generator(backend.canonical_device(device))
    return _new(gen.permutation(n), False)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing its memory when it can (a Tensor or an array already of
    that dtype and device is not copied), else a copy as ``tensor()`` makes."""
    if isinstance(data, Tensor):
        return data.to(device or data.device, dtype=dtype or data.dtype)
    return make(as_array(data, dtype, device, copy=False))
