"""Loss modules: CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, BCEWithLogitsLoss, BCELoss,
SmoothL1Loss, HuberLoss and KLDivLoss.

Each stores its options (class weights as a buffer, so they move with ``to()``) and calls the
functional loss: ``loss = criterion(input, target)``. reduction='mean' (default) averages,
'sum' adds up, 'none' returns the per-element (or per-sample) losses.
"""
from .. import functional as F
from .. import validate
from ..tensor import Tensor
from .module import Module


class _Loss(Module):
    def __init__(self, reduction='mean'):
        super().__init__()
        self.reduction = validate.reduction(type(self).__name__, reduction)

    def _check(self, input, target):
        validate.tensor(repr(self), 'input', input)
        validate.tensor(repr(self), 'target', target)

    def extra_repr(self):
        return '' if self.reduction == 'mean' else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, reduction='mean'):
        super().__init__(reduction)
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(weight)
        self.register_buffer('weight', weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross entropy of logits (N, C) (or (N, C, d1, ...)) against class indices (N,)
    (int64) or class probabilities (N, C). ``weight`` (C,) rescales classes, targets equal to
    ``ignore_index`` are skipped, ``label_smoothing`` mixes the target with uniform."""

    def __init__(self, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = validate.number('CrossEntropyLoss', 'label_smoothing',
                                               label_smoothing, 0, 1)

    def forward(self, input, target):
        self._check(input, target)
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of log-probabilities (N, C) against class indices (N,) (int64):
    -input[n, target[n]] (times weight[target[n]]), averaged over the weights of the kept
    samples for reduction='mean'."""

    def __init__(self, weight=None, ignore_index=-100, reduction='mean'):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        self._check(input, target)
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error (input - target)^2, input and target of the same shape."""

    def forward(self, input, target):
        self._check(input, target)
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |input - target|, input and target of the same shape."""

    def forward(self, input, target):
        self._check(input, target)
        return F.l1_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross entropy of logits x against targets y in [0, 1] (same shape), computed
    stably: -[pos_weight * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x))] (times
    ``weight``, broadcast)."""

    def __init__(self, weight=None, reduction='mean', pos_weight=None):
        super().__init__(weight, reduction)
        if pos_weight is not None and not isinstance(pos_weight, Tensor):
            pos_weight = Tensor(pos_weight)
        self.register_buffer('pos_weight', pos_weight)

    def forward(self, input, target):
        self._check(input, target)
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities x in [0, 1] against targets y of the same shape:
    -[y log(x) + (1 - y) log(1 - x)] (logs clamped at -100), times ``weight`` (broadcast)."""

    def forward(self, input, target):
        self._check(input, target)
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta (same shapes)."""

    def __init__(self, reduction='mean', beta=1.0):
        super().__init__(reduction)
        self.beta = validate.number('SmoothL1Loss', 'beta', beta, low=0)

    def forward(self, input, target):
        self._check(input, target)
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 (x - y)^2 where |x - y| < delta, else delta (|x - y| - 0.5 delta) (same shapes)."""

    def __init__(self, reduction='mean', delta=1.0):
        super().__init__(reduction)
        self.delta = validate.number('HuberLoss', 'delta', delta, low=0)

    def forward(self, input, target):
        self._check(input, target)
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of ``target`` (probabilities, or log-probabilities with
    log_target=True) from the distribution whose log-probabilities are the input: use
    reduction='batchmean' for the mathematical KL divergence of a batch."""

    def __init__(self, reduction='mean', log_target=False):
        Module.__init__(self)       # not _Loss's: 'batchmean' is a reduction here too
        self.reduction = validate.one_of('KLDivLoss', 'reduction', reduction,
                                         ('mean', 'batchmean', 'sum', 'none'))
        self.log_target = bool(log_target)

    def forward(self, input, target):
        self._check(input, target)
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
