"""Learning-rate schedulers: set each parameter group's 'lr' as a function of the step count.

PyTorch's protocol: the constructor records each group's ``initial_lr`` (its base lr) and takes a
first step, which sets the lr for step 0; each later ``step()`` (usually once per epoch, after
``optimizer.step()``) increments ``last_epoch`` and sets the lr for it. The schedules here are
computed in closed form from ``base_lrs`` and ``last_epoch`` (PyTorch updates most of them
recursively from the current lr; the values agree to rounding), so a schedule can be resumed from
its ``state_dict()`` or jumped to an epoch with ``step(epoch)``.
"""
import math
from bisect import bisect_right

from .optimizer import Optimizer


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _per_group(name, optimizer, value):
    """``value`` repeated per parameter group, or a list/tuple with one value per group."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. "
                             f"{name} has {len(value)} values, param_groups has {n}.")
        return list(value)
    return [value] * n


class LRScheduler:
    """Base class: subclasses define ``get_lr()``, the lrs at ``self.last_epoch``.

    ``last_epoch=-1`` starts a schedule (recording each group's ``initial_lr``); another value
    resumes one, which needs ``initial_lr`` in every group already.

    Schedules are computed in closed form from ``initial_lr``, so each scheduler sets the
    learning rate outright: two schedulers on one optimizer do not multiply together as
    PyTorch's chainable ones do (the later one wins), and an lr changed by hand is overwritten
    at the next step. Use one scheduler per optimizer, or LambdaLR with the product you want.
    """

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault('initial_lr', group['lr'])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if 'initial_lr' not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                                   f"when resuming a scheduler with last_epoch={last_epoch}")
        self.base_lrs = [group['initial_lr'] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self.step()

    def get_lr(self):
        """The learning rate of each group at ``self.last_epoch``."""
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance to the next epoch (or jump to ``epoch``) and set each group's lr."""
        self._step_count += 1
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group['lr'] = lr
        self._last_lr = [group['lr'] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates set by the last ``step()``, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer, as plain Python data (numbers, lists, dicts, strings)."""
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k != 'optimizer'}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()``."""
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch); ``lr_lambda`` is a function or one function per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        if isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = _per_group('lr_lambda', optimizer, lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """As the base class, without the functions (they cannot be saved as data)."""
        state = super().state_dict()
        del state['lr_lambdas']
        return state


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): decay by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not step_size > 0:
            raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        factor = self.gamma ** (self.last_epoch // self.step_size)
        return [base * factor for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= epoch): decay at each milestone epoch.

    ``milestones`` is kept as a sorted list; a milestone listed twice decays twice.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        factor = self.gamma ** bisect_right(self.milestones, self.last_epoch)
        return [base * factor for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        factor = self.gamma ** self.last_epoch
        return [base * factor for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    The lr falls from base_lr to eta_min over ``T_max`` epochs; past ``T_max`` it rises again
    (period ``2 * T_max``), as PyTorch's schedule does.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"T_max must be positive, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cos = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cos for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy: lr rises from max_lr/div_factor to max_lr, then anneals to
    max_lr/(div_factor*final_div_factor), stepped once per batch for ``total_steps`` steps
    (or ``epochs * steps_per_epoch``).

    The rise takes ``pct_start`` of the steps; ``anneal_strategy`` is 'cos' or 'linear'. With
    ``three_phase`` the lr goes back down to max_lr/div_factor symmetrically before the final
    annealing. With ``cycle_momentum`` the momentum (SGD, RMSprop: ``'momentum'``; Adam, AdamW,
    NAdam, RAdam: beta1 of ``'betas'``; Adadelta and Adagrad have none: pass
    ``cycle_momentum=False``) moves inversely between max_momentum and base_momentum. Stepping
    more than ``total_steps`` times raises ValueError.
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        _check_optimizer(optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ('cos', 'linear'):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self.anneal_strategy = anneal_strategy
        self._schedule_phases = _one_cycle_phases(pct_start, self.total_steps, three_phase)
        max_lrs = _per_group('max_lr', optimizer, max_lr)
        if last_epoch == -1:
            for lr, group in zip(max_lrs, optimizer.param_groups):
                group['initial_lr'] = lr / div_factor
                group['max_lr'] = lr
                group['min_lr'] = group['initial_lr'] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(optimizer, max_momentum, base_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _init_momentum(self, optimizer, max_momentum, base_momentum, last_epoch):
        if 'momentum' not in optimizer.defaults and 'betas' not in optimizer.defaults:
            raise ValueError("optimizer must support momentum or beta1 with "
                             "`cycle_momentum` option enabled")
        self.use_beta1 = 'betas' in optimizer.defaults
        max_ms = _per_group('max_momentum', optimizer, max_momentum)
        base_ms = _per_group('base_momentum', optimizer, base_momentum)
        if last_epoch == -1:
            for m_max, m_base, group in zip(max_ms, base_ms, optimizer.param_groups):
                self._set_momentum(group, m_max)
                group['max_momentum'] = m_max
                group['base_momentum'] = m_base

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group['betas'] = (value, *group['betas'][1:])
        else:
            group['momentum'] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == 'cos':
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        """The lrs at ``last_epoch``; also sets each group's momentum when cycling it."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps "
                             f"is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_a, lr_b, m_a, m_b) in enumerate(self._schedule_phases):
                if step <= end or i == len(self._schedule_phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr_a], group[lr_b], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_a], group[m_b], pct))
                    break
                start = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving.

    ``step(metrics)`` once per epoch with the monitored value. The metric improves when it beats
    the best so far by ``threshold`` (relative: best * (1 -/+ threshold); absolute: best -/+
    threshold) in the direction ``mode`` ('min' or 'max'). After more than ``patience`` epochs
    without improvement, each group's lr becomes max(lr * factor, min_lr) (changes smaller than
    ``eps`` are skipped) and ``cooldown`` epochs follow in which bad epochs are not counted.
    """

    def __init__(self, optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer(optimizer)
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got {factor}")
        if mode not in ('min', 'max'):
            raise ValueError(f"mode {mode!r} is unknown! Use 'min' or 'max'")
        if threshold_mode not in ('rel', 'abs'):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown! Use 'rel' or 'abs'")
        self.optimizer = optimizer
        self.factor = factor
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
            self.min_lrs = _per_group('min_lr', optimizer, min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == 'min' else -math.inf
        self.last_epoch = 0
        self._last_lr = [group['lr'] for group in optimizer.param_groups]
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self):
        """True while the scheduler waits after a reduction."""
        return self.cooldown_counter > 0

    def is_better(self, a, best):
        """Whether metric value ``a`` improves on ``best`` by more than the threshold."""
        if self.mode == 'min':
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == 'rel'
                        else best - self.threshold)
        return a > (best * (self.threshold + 1.0) if self.threshold_mode == 'rel'
                    else best + self.threshold)

    def step(self, metrics, epoch=None):
        """Record this epoch's metric (a number or one-element Tensor) and reduce lr if needed."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0        # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group['lr'] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):          # a group was added since construction
            if self.default_min_lr is None:
                raise RuntimeError(f"The number of param groups in the optimizer "
                                   f"({len(groups)}) differs from when ReduceLROnPlateau was "
                                   f"initialized ({len(self.min_lrs)}); set `min_lrs` to match")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group['lr'])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group['lr'] = new


def _total_steps(total_steps, epochs, steps_per_epoch):
    """OneCycleLR's step count: total_steps, or epochs * steps_per_epoch."""
    if total_steps is not None:
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"Expected positive integer epochs, but got {epochs}")
    if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
        raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
    return epochs * steps_per_epoch


def _one_cycle_phases(pct_start, total, three_phase):
    """OneCycleLR's phases: [end step, lr from, lr to, momentum from, momentum to] (keys of
    each parameter group)."""
    up = float(pct_start * total) - 1
    if three_phase:
        return [[up, 'initial_lr', 'max_lr', 'max_momentum', 'base_momentum'],
                [float(2 * pct_start * total) - 2, 'max_lr', 'initial_lr', 'base_momentum',
                 'max_momentum'],
                [total - 1, 'initial_lr', 'min_lr', 'max_momentum', 'max_momentum']]
    return [[up, 'initial_lr', 'max_lr', 'max_momentum', 'base_momentum'],
            [total - 1, 'max_lr', 'min_lr', 'base_momentum', 'max_momentum']]
