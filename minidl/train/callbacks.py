"""Callbacks: hooks that ``fit`` calls around epochs and batches (Keras's names).

A callback sees the training run through attributes that ``fit`` sets before training:
``model``, ``optimizer``, ``scheduler``, ``train_data`` and ``history``. Setting
``self.stop_training = True`` ends training after the current epoch.
"""
import math

from ..distributed import group as dist
from ..tensor import make
from .checkpoint import save_checkpoint


class Callback:
    """Base class: override any of the hooks below (each does nothing here).

    ``logs`` in on_epoch_end holds the epoch's metrics: 'loss', 'accuracy', 'lr' and, with
    validation data, 'val_loss' and 'val_accuracy' (Python floats). on_batch_end's logs hold
    'batch_size' and 'loss' (a float: a callback that overrides on_batch_end makes fit read
    each batch's loss, which costs a device synchronisation on the GPU).
    """
    model = optimizer = scheduler = train_data = history = None
    stop_training = False

    def set_context(self, model, optimizer, scheduler, train_data, history):
        """Called by fit before training starts."""
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.train_data, self.history = train_data, history

    def on_train_begin(self, logs=None):
        """Before the first epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        """Before epoch ``epoch`` (0-based, counting from fit's start_epoch)."""

    def on_batch_end(self, batch, logs=None):
        """After the optimizer step of batch ``batch`` (0-based within the epoch)."""

    def on_epoch_end(self, epoch, logs=None):
        """After the epoch's validation and scheduler step; ``logs`` has its metrics."""

    def on_train_end(self, logs=None):
        """After the last epoch (or an early stop)."""


class _Monitor(Callback):
    """Shared by EarlyStopping and ModelCheckpoint: watch ``monitor`` in the epoch logs."""

    def __init__(self, monitor, mode, min_delta=0.0):
        if mode not in ('auto', 'min', 'max'):
            raise ValueError(f"{type(self).__name__}: mode must be 'auto', 'min' or 'max', "
                             f"got {mode!r}")
        if mode == 'auto':   # accuracies grow, losses shrink
            mode = 'max' if any(s in monitor for s in ('acc', 'auc', 'f1', 'precision',
                                                        'recall')) else 'min'
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(float(min_delta))
        self.best = None

    def _reset(self):
        self.best = math.inf if self.mode == 'min' else -math.inf

    def _value(self, logs):
        if not logs or self.monitor not in logs:
            raise KeyError(f"{type(self).__name__}: monitor={self.monitor!r} is not among the "
                           f"epoch metrics {sorted(logs or ())}" +
                           ("; pass val_data to fit to get validation metrics"
                            if self.monitor.startswith('val_') else ''))
        return float(logs[self.monitor])

    def _improved(self, value):
        if math.isnan(value):
            return False
        if self.mode == 'min':
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop training when ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs in a row (Keras's semantics; patience=0 stops at the first epoch without
    improvement). ``mode`` 'min', 'max' or 'auto' (max for accuracies, min otherwise).
    With ``restore_best_weights`` the model gets the weights of its best epoch back when training
    ends. Afterwards ``stopped_epoch`` (None if it never stopped), ``best`` and ``best_epoch``
    tell what happened.
    """

    def __init__(self, monitor='val_loss', patience=0, min_delta=0.0, mode='auto',
                 restore_best_weights=False):
        super().__init__(monitor, mode, min_delta)
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be a non-negative int, got {patience!r}")
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, None, None, None

    def on_train_begin(self, logs=None):
        self._reset()
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, None, None, None
        self.stop_training = False

    def on_epoch_end(self, epoch, logs=None):
        value = self._value(logs)
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                # state_dict() shares the live arrays: copy them to keep a snapshot
                self.best_weights = {k: make(v.array.copy())
                                     for k, v in self.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save a full checkpoint (model, optimizer, scheduler, epoch, RNG and loader state, and the
    epoch's metrics) with ``save_checkpoint`` after each epoch, or only when ``monitor`` improved
    (``save_best_only``). ``path`` may hold fields filled per epoch, e.g. 'ckpt-{epoch:02d}.npz'
    ({epoch} counts from 1, as the saved 'epoch' = epochs completed) or '{val_loss:.3f}'.
    ``best`` and ``best_path`` tell where the best one went. In a distributed run only rank 0
    writes (the model and optimizer are the same in every process).
    """

    def __init__(self, path, monitor='val_loss', save_best_only=True, mode='auto'):
        super().__init__(monitor, mode)
        self.path, self.save_best_only = str(path), save_best_only
        self.best_path = None

    def on_train_begin(self, logs=None):
        if self.best is None:   # keep the best across fit() calls that resume training
            self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        improved = False
        if self.save_best_only or self.monitor in logs:
            value = self._value(logs)
            improved = self._improved(value)
            if improved:
                self.best = value
        if self.save_best_only and not improved:
            return
        path = self.path.format(epoch=epoch + 1, **logs)
        loader = self.train_data if hasattr(self.train_data, 'state_dict') else None
        if dist.is_main():
            save_checkpoint(path, self.model, self.optimizer, self.scheduler, epoch=epoch + 1,
                            loader=loader, metrics={k: float(v) for k, v in logs.items()})
        if improved:
            self.best_path = path
