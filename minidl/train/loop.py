"""The training loop: fit (with a tqdm bar per epoch), evaluate and predict.

    history = fit(model, train_loader, nn.CrossEntropyLoss(), opt, epochs=10, val_data=test_loader)
    history['val_accuracy'][-1]

Running sums of loss and correct predictions stay on the device during an epoch and are read
once at its end (or when the progress bar refreshes), so training does not wait on the GPU after
every batch. The loss is summed in float64 whatever the model's dtype, so the figures do not
depend on it. A loss that becomes NaN or infinite stops training with a warning that says what
to try (``stop_on_nan``): on the CPU at the batch where it happens, on a GPU when the sums are
next read.

In a data-parallel run (``minidl.distributed``), every process runs ``fit``; the epoch's
metrics are summed over the processes, so every process logs (and early-stops on) the same
global figures, while only rank 0 shows progress and writes checkpoints.
"""
import contextlib
import math
import sys
import time
import warnings

import numpy

from .. import backend
from ..autograd import no_grad
from ..distributed import group as dist
from ..distributed.sampler import DistributedSampler
from ..tensor import Tensor, from_data, make
from .callbacks import Callback
from .checkpoint import _model_device

_NDARRAY = numpy.ndarray


class History(dict):
    """Per-epoch metrics: ``history['loss']``, ``['accuracy']``, ``['val_loss']``,
    ``['val_accuracy']``, ``['lr']`` are lists with one value per epoch run; ``history.epoch``
    lists the (0-based) epoch numbers and ``history.step_lr`` the learning rate of every
    optimizer step (of the first parameter group), for schedules that change it within epochs."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.step_lr = []

    def append(self, epoch, logs):
        """Record one epoch's metrics."""
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.setdefault(key, []).append(value)

    def extend(self, other):
        """Append the epochs and steps of a later History ``other`` (e.g. from resumed
        training)."""
        self.epoch.extend(other.epoch)
        self.step_lr.extend(other.step_lr)
        for key, values in other.items():
            self.setdefault(key, []).extend(values)


# ------------------------------------------------------------------ helpers


def _as_tensor(x, device):
    if not isinstance(x, Tensor):
        x = from_data(x)
    if device is not None and x.device != device:
        x = make(backend.to_device(x.array, device))
    return x


def _split_batch(batch, device, where):
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError(f"{where}: every batch must be a pair (inputs, targets), got "
                        f"{type(batch).__name__}" + (f" of length {len(batch)}"
                                                     if isinstance(batch, (tuple, list)) else ''))
    return _as_tensor(batch[0], device), _as_tensor(batch[1], device)


def _correct(out, y):
    """The number of correct predictions (a device scalar, not synchronised): class scores
    ``out`` (N, C, ...) against class indices ``y`` (N, ...), or against class probabilities of
    out's shape."""
    o, t = out.array, y.array
    if t.dtype.kind in 'iu' and o.ndim == t.ndim + 1:
        return (o.argmax(axis=1) == t).sum()
    if t.dtype.kind == 'f' and o.shape == t.shape and o.ndim >= 2 and o.shape[1] > 1:
        return (o.argmax(axis=1) == t.argmax(axis=1)).sum()
    raise ValueError(f"metric 'accuracy' needs class scores of shape (N, C, ...) and integer "
                     f"class indices of shape (N, ...) (or class probabilities of the scores' "
                     f"shape); got outputs {tuple(o.shape)} and targets {tuple(t.shape)} of dtype "
                     f"{t.dtype}. Pass metrics=() for regression")


def _check_metrics(metrics):
    for m in metrics:
        if m not in ('accuracy', 'acc'):
            raise ValueError(f"unknown metric {m!r}: minidl.train knows 'accuracy'")
    return bool(metrics)


def _scheduler_kind(scheduler):
    """'batch' (OneCycleLR, CyclicLR: stepped after every batch), 'plateau' (ReduceLROnPlateau:
    stepped with a metric) or 'epoch' (the rest)."""
    if scheduler is None:
        return None
    names = {cls.__name__ for cls in type(scheduler).__mro__}
    if 'ReduceLROnPlateau' in names:
        return 'plateau'
    if getattr(scheduler, 'step_per_batch', False) or names & {'OneCycleLR', 'CyclicLR'}:
        return 'batch'
    return 'epoch'


def _show_progress(progress):
    if not progress:
        return False
    if 'ipykernel' in sys.modules:   # a notebook: tqdm.auto draws a widget
        return True
    isatty = getattr(sys.stdout, 'isatty', None)
    return bool(isatty and isatty())


class _Totals:
    """Sample-weighted running sums of loss and correct predictions, kept on the device."""

    def __init__(self, accuracy):
        self.accuracy, self.n, self.loss, self.correct = accuracy, 0, 0.0, 0
        self.has_loss = False

    def add(self, out, y, loss):
        n = int(y.shape[0]) if y.ndim else 1
        self.n += n
        if loss is not None:
            self.has_loss = True
            self.loss = self.loss + loss.array.astype('float64') * n
        if self.accuracy:
            self.correct = self.correct + _correct(out, y)

    def finite(self):
        """False once a NaN or infinite loss has been added (reads the sum: a GPU sync)."""
        return not self.has_loss or math.isfinite(float(self.loss))

    def logs(self, prefix=''):
        if self.n == 0:
            return {}
        logs = {}
        if self.has_loss:
            logs[prefix + 'loss'] = float(self.loss) / self.n
        if self.accuracy:
            logs[prefix + 'accuracy'] = float(self.correct) / self.n
        return logs

    def combine(self):
        """Sum the totals over the processes of a distributed run (each process must call it)."""
        sums = numpy.array([self.n, float(self.loss), float(self.correct)], dtype=numpy.float64)
        dist.all_reduce_array(sums)
        self.n, self.loss, self.correct = int(sums[0]), float(sums[1]), float(sums[2])


def _sharded(data):
    """True when ``data`` is this process's shard of data split among the processes of a
    distributed run (a loader whose sampler is a DistributedSampler)."""
    sampler = getattr(data, 'sampler', None)
    return dist.is_distributed() and isinstance(sampler, DistributedSampler) \
        and sampler.num_replicas > 1


# ------------------------------------------------------------------ public API
def fit(model, train_data, loss_fn, optimizer, epochs, val_data=None, scheduler=None,
        callbacks=(), progress=True, device=None, metrics=('accuracy',), start_epoch=0,
        stop_on_nan=True):
    """Train ``model`` for epochs start_epoch..epochs-1 and return a History.

    train_data / val_data: a DataLoader or any re-iterable of (inputs, targets) batches.
    loss_fn(outputs, targets) -> scalar Tensor (mean over the batch). Each batch: zero_grad,
    forward, loss, backward, optimizer.step(). ``scheduler`` is stepped after every batch for
    OneCycleLR/CyclicLR, with the epoch's val_loss (train loss without val_data) for
    ReduceLROnPlateau, otherwise once per epoch. ``device``: where batches go (default: the
    model's device; the model itself is not moved). ``metrics``: ('accuracy',) or ().
    ``progress`` shows a tqdm bar per epoch with the running loss and accuracy (only when stdout is
    a terminal or a notebook, and only in rank 0 of a distributed run, whose epoch metrics are
    summed over the processes). A sampler with ``set_epoch`` (DistributedSampler) is told each
    epoch's number before the epoch starts. The model is in train mode during the epochs and in
    its previous mode afterwards. History lists per epoch: loss, accuracy, lr (at the epoch's
    start) and, with val_data, val_loss and val_accuracy. To resume, pass the epoch
    ``load_checkpoint`` returned as ``start_epoch``.

    ``stop_on_nan`` (Keras's TerminateOnNaN, here on by default): when the training loss becomes
    NaN or infinite, training stops with a RuntimeWarning saying what to try; the History ends
    with that epoch (its loss NaN or inf, no validation). On the CPU it stops at that batch; on a
    GPU, to avoid waiting for it after every batch, at the next progress refresh or the end of
    the epoch; in a distributed run at the end of the epoch, in every process together.
    """
    run = _Run(model, loss_fn, optimizer, scheduler, callbacks, device, metrics, progress,
               stop_on_nan)
    for cb in run.callbacks:
        cb.set_context(model, optimizer, scheduler, train_data, run.history)
    was_training = model.training
    for cb in run.callbacks:
        cb.on_train_begin({})
    try:
        for epoch in range(start_epoch, epochs):
            if not run.epoch(train_data, val_data, epoch, epochs):
                break
    finally:
        model.train(was_training)
    for cb in run.callbacks:
        cb.on_train_end({})
    return run.history


class _Run:
    """What fit's epochs share: the model, loss, optimizer and scheduler (and how it is
    stepped), where batches go, the metrics, the callbacks (and those that read every batch),
    whether a progress bar shows, whether a NaN loss stops training, and the History."""

    def __init__(self, model, loss_fn, optimizer, scheduler, callbacks, device, metrics,
                 progress, stop_on_nan):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scheduler, self.kind = scheduler, _scheduler_kind(scheduler)
        self.metrics, self.accuracy = metrics, _check_metrics(metrics)
        self.device = None if device is None else backend.canonical_device(device)
        self.callbacks = list(callbacks)
        # only callbacks that override on_batch_end make fit read every batch's loss (a sync)
        self.batch_hooks = [cb for cb in self.callbacks
                            if type(cb).on_batch_end is not Callback.on_batch_end]
        self.show = _show_progress(progress) and dist.is_main()
        self.stop_on_nan = stop_on_nan
        # where reading the loss costs no GPU sync, and no other process waits in a collective
        self.check_each_batch = stop_on_nan and not dist.is_distributed()
        self.history = History()

    def epoch(self, train_data, val_data, epoch, epochs):
        """Train one epoch, step the scheduler, log; False when training must stop."""
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, {})
        if hasattr(getattr(train_data, 'sampler', None), 'set_epoch'):
            train_data.sampler.set_epoch(epoch)     # a new shuffle, the same in all processes
        self.model.train()
        lr = self.optimizer.param_groups[0]['lr']
        validate = None if val_data is None else (lambda: evaluate(
            self.model, val_data, self.loss_fn, device=self.device, metrics=self.metrics))
        logs, diverged = self.train_epoch(train_data, f"Epoch {epoch + 1}/{epochs}", validate)
        if self.kind == 'plateau' and not diverged:
            self.scheduler.step(logs.get('val_loss', logs['loss']))
        elif self.kind == 'epoch':
            self.scheduler.step()
        logs['lr'] = float(lr)
        self.history.append(epoch, logs)
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, dict(logs))
        if diverged:
            warnings.warn(_diverged(logs['loss'], epoch, epochs, diverged), RuntimeWarning,
                          stacklevel=3)
            return False
        return not any(cb.stop_training for cb in self.callbacks)

    def train_epoch(self, data, desc, validate):
        """One epoch of training: (its logs, with the validation metrics when ``validate`` is
        given, computed while the epoch's bar is still open so it shows them too; whether the
        loss diverged: the 1-based batch where the epoch stopped, or True when found at its
        end). Each step's learning rate goes to the History's step_lr."""
        totals = _Totals(self.accuracy)
        bar = _bar(data, desc) if self.show else None
        try:
            diverged = self.batches(data, totals, bar)
            if totals.n == 0:
                raise ValueError("fit: train_data yielded no batches")
            if dist.is_distributed():
                totals.combine()
            logs = totals.logs()
            diverged = diverged or (self.stop_on_nan and not totals.finite())
            if validate is not None and not diverged:
                logs.update({'val_' + k: v for k, v in validate().items()})
            if bar is not None:
                bar.set_postfix(logs, refresh=True)
        finally:
            if bar is not None:
                bar.close()
        return logs, diverged

    def batches(self, data, totals, bar):
        """The epoch's optimizer steps, summed into ``totals``; the 1-based batch at which a
        NaN or infinite loss stopped them, else False."""
        last_refresh = time.monotonic()
        target = self.device or _model_device(self.model)
        for i, batch in enumerate(data):
            out, y, loss = _step(self.model, batch, target, self.loss_fn, self.optimizer)
            self.history.step_lr.append(float(self.optimizer.param_groups[0]['lr']))
            if self.kind == 'batch':
                self.scheduler.step()
            if target is None:   # a lazy model got its parameters at the first call
                target = _model_device(self.model)
            totals.add(out, y, loss.detach())
            if self.check_each_batch and type(loss.array) is _NDARRAY and not totals.finite():
                return i + 1
            if self.batch_hooks:
                batch_logs = {'batch_size': int(y.shape[0]), 'loss': float(loss.array)}
                for cb in self.batch_hooks:
                    cb.on_batch_end(i, batch_logs)
            if bar is not None:
                bar.update(1)
                if time.monotonic() - last_refresh > 0.25:   # reading the sums waits for a GPU
                    bar.set_postfix(totals.logs(), refresh=False)
                    last_refresh = time.monotonic()
                    if self.check_each_batch and not totals.finite():
                        return i + 1
        return False


def _diverged(loss, epoch, epochs, where):
    """fit's warning when the training loss became ``loss`` (NaN or inf)."""
    at = f", batch {where}" if type(where) is int else ''
    return (f"fit: training stopped in epoch {epoch + 1}/{epochs}{at}: the training loss is "
            f"{loss}. Usual causes: a learning rate too high (try one ten times smaller), inputs "
            "or targets holding NaN or inf, log() or division of zero in a hand-written loss. "
            "Running the training inside `with mdl.autograd.detect_anomaly():` names the "
            "operation that made it; fit(..., stop_on_nan=False) trains on regardless.")


def _bar(data, desc):
    """A tqdm progress bar for one epoch over ``data``."""
    from tqdm.auto import tqdm
    return tqdm(total=len(data) if hasattr(data, '__len__') else None, desc=desc,
                file=sys.stdout, dynamic_ncols=True, leave=True)


def _step(model, batch, target, loss_fn, optimizer):
    """One optimizer step on ``batch`` (moved to ``target``): (outputs, targets, loss)."""
    x, y = _split_batch(batch, target, 'fit')
    optimizer.zero_grad()
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return out, y, loss


@contextlib.contextmanager
def _inference(model):
    """Eval mode under no_grad for the block, then the model's previous mode back."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        model.train(was_training)


def evaluate(model, data, loss_fn=None, device=None, metrics=('accuracy',)):
    """Mean loss (when ``loss_fn`` is given) and accuracy of ``model`` over ``data`` (a DataLoader
    or iterable of (inputs, targets) batches), weighted by batch size: {'loss': ..., 'accuracy':
    ...}. Runs in eval mode under no_grad and restores the model's previous mode.

    In a distributed run where ``data`` is split among the processes by a DistributedSampler,
    the figures are those of all the shards together (every process must call evaluate);
    otherwise each process evaluates ``data`` alone.
    """
    accuracy = _check_metrics(metrics)
    totals = _Totals(accuracy)
    with _inference(model):
        target = device and backend.canonical_device(device) or _model_device(model)
        for batch in data:
            x, y = _split_batch(batch, target, 'evaluate')
            out = model(x)
            totals.add(out, y, loss_fn(out, y) if loss_fn is not None else None)
            target = target or _model_device(model)
    if totals.n == 0:
        raise ValueError("evaluate: data yielded no batches")
    if _sharded(data):
        totals.combine()
    return totals.logs()


def predict(model, data_or_x, batch_size=256, device=None):
    """The model's outputs (e.g. logits) for every sample, concatenated: a Tensor (N, ...).

    ``data_or_x``: inputs (a Tensor or array of shape (N, ...)) run in chunks of ``batch_size``,
    or a DataLoader / iterable of batches (the first element of a tuple batch is the input).
    Runs in eval mode under no_grad and restores the model's previous mode.
    """
    from .. import ops
    if isinstance(data_or_x, Tensor) or hasattr(data_or_x, 'shape'):
        x = data_or_x if isinstance(data_or_x, Tensor) else Tensor(data_or_x)
        batches = (x.array[i:i + batch_size] for i in range(0, max(len(x), 1), batch_size))
    else:
        batches = (b[0] if isinstance(b, (tuple, list)) else b for b in data_or_x)
    outputs = []
    with _inference(model):
        target = device and backend.canonical_device(device) or _model_device(model)
        for xb in batches:
            outputs.append(model(_as_tensor(xb, target)))
            target = target or _model_device(model)
    if not outputs:
        raise ValueError("predict: no inputs")
    return outputs[0] if len(outputs) == 1 else ops.cat(outputs, 0)
