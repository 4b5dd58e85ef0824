"""Settings of the CPU process, all opt-in: BLAS threads (``set_num_threads``) and malloc
settings that keep freed memory for reuse (``retain_freed_memory``). ``import minidl`` changes
none of them.

minidl runs no threads of its own: NumPy's elementwise passes run on one core, BLAS's matrix
products on ``set_num_threads`` cores, and more cores are used by data-parallel processes
(minidl.distributed). A pool that shared the Winograd transforms among threads was measured
and removed: on two threads it made W3's step slower than BLAS's own two threads alone (the
README's Speed section has the figures).
"""
import os

import numpy

# ---------------------------------------------------------------- CPU threads
_blas = None                  # threadpoolctl's handles on NumPy's BLAS


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
    """Use ``n`` threads in the CPU's BLAS (matrix multiplications), like torch.set_num_threads.

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
