"""Whole training checkpoints: model, optimizer, scheduler, epoch, RNG and data-loader state.

    save_checkpoint('ckpt.npz', model, opt, sched, epoch=3, loader=train_loader)
    ...                                       # later, with freshly built objects:
    start = load_checkpoint('ckpt.npz', model, opt, sched, loader=train_loader)
    fit(model, train_loader, loss_fn, opt, epochs=10, scheduler=sched, start_epoch=start)

Resuming continues exactly: the file carries the random state of every device (shuffling on the
CPU, dropout on the model's device) and the loader's own generator (when it was built with
``seed``). A checkpoint loads onto any device: ``device=`` (default: the model's).

Data-parallel runs: a checkpoint holds the inner model of a DistributedDataParallel (keys
without 'module.'), so a file written by N processes loads into any number of processes,
wrapped or not. It holds the random state of the process that wrote it (rank 0, as
ModelCheckpoint writes only there): on loading, rank 0 gets that state back and each rank r > 0
a stream seeded from it and r. A resumed run is thus reproducible and its processes keep drawing
different dropout masks, but ranks > 0 do not continue their exact former streams (that would
take every rank's state in the file, and a file that loads only into as many processes).
"""
import numpy

from .. import backend
from .. import io
from ..distributed import group as dist
from ..distributed.ddp import DistributedDataParallel

_RESERVED = ('model', 'optimizer', 'scheduler', 'epoch', 'rng', 'loader')


def _inner(model):
    """The model a DistributedDataParallel wraps (or ``model`` itself)."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def _rank_seed(rng_state, rank):
    """A seed for rank ``rank``'s generators, derived from rank 0's saved CPU state."""
    cpu = rng_state.get('cpu', rng_state)
    words = [int(cpu['state']['state']), int(cpu['state']['inc']), int(rank)]
    return int(numpy.random.SeedSequence(words).generate_state(1, numpy.uint64)[0])


def _model_device(model):
    """The device of the model's first parameter (None for a model without parameters)."""
    for p in model.parameters():
        return p.device
    return None


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, loader=None, **extra):
    """Save a full training checkpoint to ``path`` (atomically, with ``minidl.io.save``).

    ``epoch`` is the number of epochs completed: pass what ``load_checkpoint`` returns as
    ``fit(..., start_epoch=...)``. ``loader`` is the training DataLoader (or anything with
    ``state_dict()``), whose shuffling generator is saved. ``extra`` keywords (numbers,
    strings, arrays, nested dicts...) are stored too; ``minidl.load(path)`` returns them all as a
    dict with keys model, optimizer, scheduler, epoch, rng, loader and the extras.
    """
    clash = sorted(set(extra) & set(_RESERVED))
    if clash:
        raise ValueError(f"save_checkpoint: extra keys {clash} clash with the checkpoint's own "
                         f"entries {list(_RESERVED)}")
    checkpoint = {
        'model': _inner(model).state_dict(),
        'optimizer': optimizer.state_dict() if optimizer is not None else None,
        'scheduler': scheduler.state_dict() if scheduler is not None else None,
        'epoch': int(epoch),
        'rng': backend.get_rng_state(),
        'loader': loader.state_dict() if hasattr(loader, 'state_dict') else None,
    }
    checkpoint.update(extra)
    io.save(checkpoint, path)


def load_checkpoint(path, model, optimizer=None, scheduler=None, loader=None, device=None,
                    restore_rng=True):
    """Restore a checkpoint written by ``save_checkpoint`` into the given objects; returns the
    number of epochs completed (the ``start_epoch`` to resume from).

    Tensors are loaded onto ``device`` (default: the model's device). The model's load is
    strict (missing, unexpected or mis-shaped keys are errors). The random state of every device
    is restored unless ``restore_rng=False`` (in a distributed run, see the module's docstring).
    Objects passed as None are left alone.
    """
    checkpoint = io.load(path, device=device or _model_device(model) or 'cpu')
    if not isinstance(checkpoint, dict) or 'model' not in checkpoint or 'epoch' not in checkpoint:
        raise ValueError(f"{str(path)!r} is a minidl file but not a training checkpoint (no "
                         "'model' and 'epoch' entries); load it with minidl.load")
    _inner(model).load_state_dict(checkpoint['model'])
    for name, obj in (('optimizer', optimizer), ('scheduler', scheduler), ('loader', loader)):
        if obj is None:
            continue
        state = checkpoint.get(name)
        if state is None:
            raise ValueError(f"{str(path)!r} has no {name} state, but a {name} was given to "
                             "load_checkpoint")
        obj.load_state_dict(state)
    if restore_rng and checkpoint.get('rng') is not None:
        backend.set_rng_state(checkpoint['rng'])
        if dist.is_distributed() and dist.rank() > 0:
            backend.manual_seed(_rank_seed(checkpoint['rng'], dist.rank()))
    return int(checkpoint['epoch'])
