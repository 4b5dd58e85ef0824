"""Settings of the CPU process, all opt-in: BLAS threads (``set_num_threads``), a thread pool
for work that BLAS does not parallelise (``parallel_map``), and malloc thresholds that keep
freed memory for reuse (``retain_freed_memory``). ``import minidl`` changes none of them.
"""
import os
import threading

import numpy

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
    if not getattr(_local, 'busy', False) and isinstance(like, numpy.ndarray) and len(items) > 1:
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


# ---------------------------------------------------------------- CPU memory
# A training step frees and allocates the same arrays of 0.1 MB to 100s of MB every step. glibc's
# malloc gives such blocks back to the kernel (munmap, or trimming the top of its heap) under
# thresholds that move with the process's allocation history, and the next step then faults in
# fresh zeroed pages. Measured on the digits CNN: 9,600 page faults and 47 ms per epoch in some
# processes, none and 35 ms in others. Keeping freed memory in the process for reuse, as the
# caching allocators of GPU frameworks do, fixes it. glibc serves blocks past its mmap threshold
# by mmap, freshly zeroed every time, and caps that threshold at 32 MiB on 64-bit systems, below
# a single activation of ResNet-18's first stage at batch 128 (exactly 32 MiB): so mmap is
# switched off (ResNet-18's training step: 0.04-0.6 s of system time in faults, then none).
TRIM_THRESHOLD = 256 * 2 ** 20   # free memory the heap may keep at its top


def retain_freed_memory():
    """Make glibc's malloc keep freed memory for reuse instead of returning it to the kernel
    after every step: every block comes from its heap (no mmap), which keeps up to
    TRIM_THRESHOLD free at its top. The process then keeps the memory of its peak. Opt-in:
    ``import minidl`` never calls it (the examples and benchmarks do). The setting is
    process-wide and stays for the life of the process (glibc has no way back to its adaptive
    thresholds). Returns True when applied, False where the C library is not glibc or refused
    it."""
    import ctypes
    try:
        if not os.confstr('CS_GNU_LIBC_VERSION'):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, ValueError, OSError):
        return False
    m_trim_threshold, m_mmap_max = -1, -4      # from glibc's malloc.h
    return bool(mallopt(m_mmap_max, 0) and mallopt(m_trim_threshold, TRIM_THRESHOLD))
