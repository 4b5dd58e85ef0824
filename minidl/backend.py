"""The one place that knows NumPy from CuPy: array modules, devices, transfers and random numbers.

Everything else in minidl asks this module for its array module (``array_module(x)`` or
``module_for(device)``), so the same code runs on the CPU (NumPy) and on an NVIDIA GPU (CuPy).
CuPy is imported lazily: ``import minidl`` never needs it.
"""
import os
import threading

import numpy

NDARRAY = numpy.ndarray

# ---------------------------------------------------------------- shared NumPy names
# Dtypes, scalar types and dtype rules are the same objects in NumPy and CuPy (CuPy uses NumPy's
# dtypes and scalars), so the rest of minidl takes them from here instead of importing numpy.
float16, float32, float64 = numpy.float16, numpy.float32, numpy.float64
int8, int16, int32, int64, uint8 = numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.uint8
bool_ = numpy.bool_
dtype = numpy.dtype                  # dtype('float32'), dtype(numpy.float32): a dtype object
result_type = numpy.result_type      # the dtype an operation on these dtypes/arrays gives
can_cast = numpy.can_cast            # can_cast(from_dtype, to_dtype, casting='same_kind')
INTEGER_TYPES = (int, numpy.integer)     # for isinstance: Python and NumPy integers (bools too)
FLOAT_TYPES = (float, numpy.floating)    # for isinstance: Python and NumPy floats
BOOL_TYPES = (bool, numpy.bool_)         # for isinstance: Python and NumPy booleans
SCALAR_TYPES = numpy.generic             # the base class of every NumPy scalar (has .item())


def host_array(value):
    """A small host-side NumPy array from Python data (a list, a number), e.g. to read its shape
    and dtype; not for array math."""
    return numpy.asarray(value)

_cupy = None          # the cupy module once imported, False when it cannot be imported
_cupy_error = None    # why it could not be imported


def _import_cupy():
    """Return the cupy module or None (remembering why it is missing)."""
    global _cupy, _cupy_error
    if _cupy is None:
        try:
            import cupy
            _cupy = cupy
        except Exception as exc:  # ImportError, or a broken CUDA installation
            _cupy, _cupy_error = False, exc
    return _cupy or None


def cuda_is_available():
    """True when CuPy imports and sees at least one CUDA device."""
    cp = _import_cupy()
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def cuda_device_count():
    """Number of CUDA devices CuPy sees (0 without CuPy)."""
    return _import_cupy().cuda.runtime.getDeviceCount() if cuda_is_available() else 0


def _require_cuda(device):
    cp = _import_cupy()
    if cp is None:
        raise RuntimeError(
            f"device {device!r} needs CuPy, which could not be imported ({_cupy_error}). "
            "Install it with the extra that matches your CUDA toolkit: "
            "pip install -e .[cuda12] (CUDA 12) or pip install -e .[cuda13] (CUDA 13)")
    if not cuda_is_available():
        raise RuntimeError(
            f"device {device!r} was asked for, CuPy is installed, but no CUDA device is visible "
            "(check the NVIDIA driver, nvidia-smi and CUDA_VISIBLE_DEVICES), or use device='cpu'")
    return cp


def canonical_device(device):
    """Normalise a device spec ('cpu', 'cuda', 'cuda:1', 'gpu') to 'cpu' or 'cuda:N'."""
    if device is None:
        return default_device()
    if not isinstance(device, str):
        device = str(device)
    name = device.strip().lower()
    if name == 'cpu':
        return 'cpu'
    if name in ('cuda', 'gpu'):
        return 'cuda:0'
    if name.startswith('cuda:') and name[5:].isdigit():
        return name
    raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")


def module_for(device):
    """The array module (numpy or cupy) that holds arrays on ``device``."""
    device = canonical_device(device)
    if device == 'cpu':
        return numpy
    return _require_cuda(device)


def array_module(array):
    """The array module of ``array``: numpy for NumPy arrays and scalars, cupy for CuPy arrays."""
    if type(array) is numpy.ndarray or _cupy is None or _cupy is False:
        return numpy
    return _cupy if isinstance(array, _cupy.ndarray) else numpy


def ensure_array(value):
    """``value`` as an array: NumPy reductions return scalars, which become 0-d arrays."""
    if isinstance(value, numpy.generic):
        return numpy.asarray(value)
    return value


def device_of(array):
    """'cpu' for a NumPy array, 'cuda:N' for a CuPy array on GPU N."""
    if array_module(array) is numpy:
        return 'cpu'
    return f'cuda:{array.device.id}'


def to_device(array, device):
    """Return ``array`` on ``device`` (the same object when it is already there)."""
    device = canonical_device(device)
    if device_of(array) == device:
        return array
    if device == 'cpu':
        return array.get()
    cp = _require_cuda(device)
    with cp.cuda.Device(int(device[5:])):
        return cp.asarray(array)


def to_numpy(array):
    """A NumPy array with the values of ``array`` (copied from the GPU if needed)."""
    return array if array_module(array) is numpy else array.get()


def scatter_add(target, index, values):
    """target[index] += values, with repeated indices accumulating (unbuffered), in place."""
    xp = array_module(target)
    if xp is numpy:
        numpy.add.at(target, index, values)
    else:
        import cupyx
        cupyx.scatter_add(target, index, values)
    return target


# ---------------------------------------------------------------- CPU threads
_blas = None                  # threadpoolctl's handles on NumPy's BLAS
_workers = None               # (size, pool) of parallel_map's threads, made on first use
_local = threading.local()    # .busy: this thread is running a piece of a parallel_map
_lock = threading.Lock()      # guards _workers and the BLAS hold below
_blas_hold = [0, None]        # parallel_maps running now, BLAS thread counts from before them


def _after_fork_in_child():
    # a forked child has none of the pool's threads: it must make its own
    global _workers, _local, _lock
    _workers, _local, _lock = None, threading.local(), threading.Lock()
    _blas_hold[:] = [0, None]


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _blas_libraries():
    """threadpoolctl's handles on NumPy's BLAS: the one inside NumPy's wheel when there is one
    (SciPy brings another, whose thread count does not matter to minidl), else every BLAS."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController
        libs = ThreadpoolController().select(user_api='blas').lib_controllers
        home = os.path.dirname(os.path.dirname(numpy.__file__))
        numpys = [lib for lib in libs if lib.filepath.startswith(
            (os.path.join(home, 'numpy') + os.sep, os.path.join(home, 'numpy.libs') + os.sep))]
        _blas = numpys or libs
    return _blas


def set_num_threads(n):
    """Use ``n`` threads in the CPU's BLAS (matrix multiplications), like torch.set_num_threads;
    parallel_map shares its work among as many.

    Small networks often run faster on one thread, and much faster on a busy machine, where
    BLAS threads wait on each other at every call. Uses threadpoolctl (installed with
    scikit-learn)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n, user_api='blas')


def get_num_threads():
    """The number of threads minidl uses on the CPU (NumPy's BLAS's thread count)."""
    counts = [lib.get_num_threads() for lib in _blas_libraries()]
    return max(counts) if counts else 1


def parallel_map(fn, items, like):
    """[fn(item) for item in items], the items shared out among get_num_threads() CPU threads
    when ``like`` is a NumPy array (one after another for CuPy, whose kernels run on the GPU).

    For work in pieces of a millisecond or more (a thread hand-off costs tens of
    microseconds): NumPy releases the GIL in its loops and in BLAS, so pieces of one array
    operation run on every core at once, the elementwise passes that BLAS threads never touch
    included. Meanwhile BLAS runs one thread per piece: pieces that each asked a multithreaded
    BLAS for every core would wait on each other, and its idle threads spin on the cores the
    pieces need. The calling thread takes pieces too; a parallel_map inside a piece runs its
    items one after another."""
    items = list(items)
    threads = 1
    if not getattr(_local, 'busy', False) and isinstance(like, NDARRAY) and len(items) > 1:
        threads = min(len(items), get_num_threads())
    if threads < 2:
        return [fn(item) for item in items]
    results, order = [None] * len(items), iter(range(len(items)))

    def drain():      # take the next item until none is left (next() on an iterator is atomic)
        _local.busy = True
        try:
            for i in order:
                results[i] = fn(items[i])
        finally:
            _local.busy = False

    _hold_blas_at_one_thread(True)
    try:
        helpers = [_worker_pool(threads - 1).submit(drain) for _ in range(threads - 1)]
        try:
            drain()
        finally:
            errors = [h.exception() for h in helpers]    # waits for every helper
        for error in errors:
            if error is not None:
                raise error
    finally:
        _hold_blas_at_one_thread(False)
    return results


def _hold_blas_at_one_thread(hold):
    """Enter (hold=True) or leave a parallel_map: the first to enter sets BLAS to one thread,
    the last to leave puts back the counts from before, whatever the order in which several
    threads' parallel_maps overlap (meanwhile, other threads' BLAS runs on one thread too)."""
    with _lock:
        libs = _blas_libraries()
        if hold:
            if _blas_hold[0] == 0:
                _blas_hold[1] = [lib.get_num_threads() for lib in libs]
                for lib in libs:
                    lib.set_num_threads(1)
            _blas_hold[0] += 1
        else:
            _blas_hold[0] -= 1
            if _blas_hold[0] == 0:
                for lib, n in zip(libs, _blas_hold[1]):
                    lib.set_num_threads(n)


def _worker_pool(size):
    """A pool of at least ``size`` threads (a larger one replaces it when asked for)."""
    global _workers
    with _lock:
        if _workers is None or _workers[0] < size:
            from concurrent.futures import ThreadPoolExecutor
            if _workers is not None:
                _workers[1].shutdown(wait=False)      # its running pieces still finish
            _workers = (size, ThreadPoolExecutor(max_workers=size, thread_name_prefix='minidl'))
        return _workers[1]


def matmul(a, b, out=None):
    """a @ b with NumPy's rules (into ``out`` when given): the one place minidl multiplies
    matrices, so that a policy for them (threads, precision) has a single home."""
    if out is None:
        return a @ b
    return array_module(a).matmul(a, b, out=out)


# ---------------------------------------------------------------- CPU memory
# A training step frees and allocates the same arrays of 0.1-30 MB every step. glibc's malloc
# gives such blocks back to the kernel (munmap, or trimming the top of its heap) under thresholds
# that move with the process's allocation history, and the next step then faults in fresh zeroed
# pages. Measured on the digits CNN: 9,600 page faults and 47 ms per epoch in some processes,
# none and 35 ms in others. Fixed thresholds keep freed memory in the process for reuse, as the
# caching allocators of GPU frameworks do.
MMAP_THRESHOLD = 32 * 2 ** 20    # blocks above this still come from (and go back to) the kernel
TRIM_THRESHOLD = 256 * 2 ** 20   # free memory the heap may keep at its top


def retain_freed_memory():
    """Make glibc's malloc keep freed memory for reuse instead of returning it to the kernel
    after every step: blocks under MMAP_THRESHOLD come from its heap, which keeps up to
    TRIM_THRESHOLD free. Applied on ``import minidl`` unless $MINIDL_RETAIN_MEMORY is 0, false,
    no or off. The setting is process-wide and stays for the life of the process (glibc has no
    way back to its adaptive thresholds). Returns True when applied, False where the C library
    is not glibc or refused it."""
    import ctypes
    try:
        if not os.confstr('CS_GNU_LIBC_VERSION'):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, ValueError, OSError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3      # from glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, MMAP_THRESHOLD)
                and mallopt(m_trim_threshold, TRIM_THRESHOLD))


if os.environ.get('MINIDL_RETAIN_MEMORY', '1').strip().lower() not in ('0', 'false', 'no',
                                                                       'off'):
    retain_freed_memory()


# ---------------------------------------------------------------- default device
_default_device = None


def default_device():
    """The device new tensors go to: set_default_device(), else $MINIDL_DEVICE, else 'cpu'."""
    global _default_device
    if _default_device is None:
        _default_device = canonical_device(os.environ.get('MINIDL_DEVICE') or 'cpu')
    return _default_device


def set_default_device(device):
    """Make ``device`` ('cpu' or 'cuda') the device of newly created tensors."""
    global _default_device
    device = canonical_device(device)
    module_for(device)  # fail now, with the reason, if CUDA is not usable
    _default_device = device


# ---------------------------------------------------------------- random numbers
_seed = None
_generators = {}


def manual_seed(seed):
    """Seed every device's generator, so initialisation, shuffling and dropout repeat exactly."""
    global _seed
    if not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _seed = int(seed)
    _generators.clear()


def generator(device='cpu'):
    """The random generator of ``device``: numpy.random.Generator on the CPU, cupy's on a GPU."""
    device = canonical_device(device)
    gen = _generators.get(device)
    if gen is None:
        seed = _seed if _seed is not None else None
        if device == 'cpu':
            gen = numpy.random.Generator(numpy.random.PCG64(seed))
        else:
            cp = _require_cuda(device)
            with cp.cuda.Device(int(device[5:])):
                gen = cp.random.RandomState(seed)
                gen.random = gen.random_sample      # the name numpy's Generator uses
        _generators[device] = gen
    return gen


def get_rng_state():
    """The CPU generator's state as plain JSON-serialisable data (for checkpoints)."""
    state = generator('cpu').bit_generator.state
    return {'bit_generator': state['bit_generator'],
            'state': {k: int(v) for k, v in state['state'].items()},
            'has_uint32': int(state['has_uint32']), 'uinteger': int(state['uinteger'])}


def set_rng_state(state):
    """Restore a state returned by get_rng_state()."""
    generator('cpu').bit_generator.state = state


def erf(array):
    """The error function, elementwise: scipy.special.erf on NumPy arrays, cupyx.scipy.special.erf
    on CuPy arrays (float32 stays float32)."""
    if array_module(array) is numpy:
        import scipy.special
        return scipy.special.erf(array)
    import cupyx.scipy.special
    return cupyx.scipy.special.erf(array)
