"""DistributedDataParallel: the same model in every process, gradients averaged after backward.

    dist.init()
    model = dist.DistributedDataParallel(build_model())
    loss_fn(model(x), y).backward()     # returns with every process holding the mean gradient
    optimizer.step()                    # so every process takes the same step

Each process computes the gradient of its own batch; the average over the processes is the
gradient of the mean loss over all their batches together, so N processes with batch B each
train exactly as one process with batch N*B (the tests check it to 1e-10).

How it is done, as PyTorch's DDP does it: the parameters are grouped into buckets of about 25
MiB (in reverse order, the order in which backward produces their gradients); when a backward
pass has filled every gradient of a bucket, the bucket's gradients are packed into one flat
array, summed over the processes by one MPI Allreduce and divided by the number of processes.
A model with many small parameters thus costs a few messages per step, not one per parameter.
The trigger is a post-accumulate-grad hook on each parameter, so the training loop needs no
change: ``loss.backward()`` returns with the averaged gradients.

BatchNorm keeps per-process statistics (PyTorch's DDP default): in training mode each process
normalises with its own batch's mean and variance, and with ``broadcast_buffers`` (the default)
the running statistics and other buffers of rank 0 are copied to every process at the start of
each forward pass that records a graph, so all processes evaluate with the same ones. A
statistic over the global batch would need a collective inside every BatchNorm layer
(PyTorch's SyncBatchNorm), which minidl does not have.
"""
import contextlib
import functools
import weakref

from .. import backend
from ..autograd import is_grad_enabled
from ..nn.module import Module
from . import group


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the process group (``init()`` first).

    DistributedDataParallel(module, broadcast_buffers=True, bucket_cap_mb=25): at construction
    every process receives rank 0's parameters and buffers; then after each ``backward()``
    the gradients are averaged over the processes, in flat buckets of about ``bucket_cap_mb``
    MiB. Calling the wrapper calls ``module``; ``self.module`` is the model itself, and the
    wrapper's ``state_dict()`` keys start with 'module.' as PyTorch's (checkpoints from
    ``minidl.train`` store the inner model's, so they load with or without the wrapper).
    Every parameter that requires grad must get a gradient in every backward pass; freeze unused
    ones with ``requires_grad_(False)`` before wrapping. With a single process it changes nothing.
    """

    def __init__(self, module, broadcast_buffers=True, bucket_cap_mb=25):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a minidl.nn.Module, got "
                            f"{type(module).__name__}")
        if not isinstance(bucket_cap_mb, (int, float)) or bucket_cap_mb <= 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number "
                             f"of MiB, got {bucket_cap_mb!r}")
        _check_built(module)
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.world_size = group.world_size()
        self._sync = True
        params = [p for p in module.parameters() if p.requires_grad]
        self._names = {id(p): name for name, p in module.named_parameters()}
        self._buckets = _make_buckets(params[::-1], bucket_cap_mb * 2 ** 20)
        if self.world_size > 1:
            _broadcast_arrays([*module.parameters(), *module.buffers()])
            # a weak reference: a dropped wrapper stops averaging, and holds no model alive
            ref = weakref.ref(self)
            for bucket in self._buckets:
                for p in bucket.params:
                    p.register_post_accumulate_grad_hook(functools.partial(_ready, ref, bucket))

    def forward(self, *args, **kwargs):
        """Run the wrapped module (after copying rank 0's buffers to every process, when
        ``broadcast_buffers`` and a graph is being recorded)."""
        self._check_last_backward()
        if self.world_size > 1 and self.broadcast_buffers and self._sync and is_grad_enabled():
            _broadcast_arrays(list(self.module.buffers()))
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this block backward passes accumulate gradients locally without averaging
        them; the first backward after it averages everything accumulated (PyTorch's
        gradient accumulation across micro-batches)."""
        previous, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = previous

    def _check_last_backward(self):
        left_out = {id(p) for b in self._buckets if b.ready for p in b.params
                    if id(p) not in b.ready}
        missing = [name for key, name in self._names.items() if key in left_out]
        if missing:
            for bucket in self._buckets:
                bucket.ready.clear()
            raise RuntimeError(
                f"DistributedDataParallel: the last backward pass gave no gradient to parameters "
                f"{missing} while others of their bucket got one, so those gradients were not "
                f"averaged across processes and the processes' models have drifted apart. Every "
                f"parameter that requires grad must take part in the loss at every step: freeze "
                f"unused ones with requires_grad_(False) before wrapping the model")

    def extra_repr(self):
        return f'world_size={self.world_size}, buckets={len(self._buckets)}'


class _Bucket:
    """Parameters of one dtype and device whose gradients are averaged by one Allreduce."""

    def __init__(self):
        self.params, self.nbytes, self.ready = [], 0, set()

    def add(self, p):
        self.params.append(p)
        self.nbytes += p.array.nbytes

    def reduce(self, world_size):
        """Average the bucket's gradients over the processes, through one flat array."""
        grads = [p.grad.array for p in self.params]
        xp = backend.array_module(grads[0])
        flat = xp.concatenate([g.reshape(-1) for g in grads])
        group.all_reduce_array(flat, 'sum')
        flat /= world_size
        start = 0
        for g in grads:
            g[...] = flat[start:start + g.size].reshape(g.shape)
            start += g.size


def _ready(wrapper_ref, bucket, param):
    """A parameter's post-accumulate-grad hook: once every gradient of its bucket is in,
    average them."""
    wrapper = wrapper_ref()
    if wrapper is None or not wrapper._sync:
        return
    bucket.ready.add(id(param))
    if len(bucket.ready) == len(bucket.params):
        bucket.ready.clear()
        bucket.reduce(wrapper.world_size)


def _make_buckets(params, cap_bytes):
    """``params`` (in order) grouped into buckets of one dtype and device, each closed once it
    holds ``cap_bytes`` or more (a parameter larger than that gets a bucket of its own)."""
    open_buckets, buckets = {}, []
    for p in params:
        key = (p.dtype, p.device)
        bucket = open_buckets.get(key)
        if bucket is None or bucket.nbytes >= cap_bytes:
            bucket = open_buckets[key] = _Bucket()
            buckets.append(bucket)
        bucket.add(p)
    return buckets


def _broadcast_arrays(tensors):
    """Overwrite ``tensors`` in every process with rank 0's values, one Bcast per dtype and
    device (the tensors packed into one flat array)."""
    groups = {}
    for t in tensors:
        groups.setdefault((t.dtype, t.device), []).append(t.array)
    for arrays in groups.values():
        xp = backend.array_module(arrays[0])
        flat = group.broadcast_array(xp.concatenate([a.reshape(-1) for a in arrays]), 0)
        start = 0
        for a in arrays:
            a[...] = flat[start:start + a.size].reshape(a.shape)
            start += a.size


def _check_built(module):
    unbuilt = [name or type(m).__name__ for name, m in module.named_modules()
               if getattr(m, 'built', True) is False]
    if unbuilt:
        raise RuntimeError(f"DistributedDataParallel: layers {unbuilt} have not built their "
                           "parameters yet (a lazy Dense(units) learns its input size at its "
                           "first call): run one forward pass first (e.g. model.summary(input_"
                           "shape)), so that every process can start from rank 0's weights")
