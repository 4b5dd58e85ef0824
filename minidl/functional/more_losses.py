"""More losses of torch.nn.functional: smooth_l1_loss, huber_loss (robust regression) and kl_div
(Kullback-Leibler divergence), with PyTorch's arguments and reductions.

Each is composed from differentiable operations (its gradient is exact, to any order):
smooth L1 and Huber are quadratic near zero and linear beyond ``beta`` / ``delta``, with the
same slope where the pieces meet.
"""
import warnings

from .. import backend, validate
from ..ops import broadcast_to, where
from .loss import _reduce

__all__ = ['smooth_l1_loss', 'huber_loss', 'kl_div']


def _pair(name, input, target):
    """input and target (Tensors, input floating), broadcast to one shape, with PyTorch's
    warning when their shapes differ."""
    validate.floating(name, 'input', input)
    validate.tensor(name, 'target', target)
    if target.shape != input.shape:
        warnings.warn(f"{name}: Using a target size ({target.shape}) that is different to the "
                      f"input size ({input.shape}). This will likely lead to incorrect results "
                      "due to broadcasting. Please ensure they have the same size.",
                      stacklevel=3)
        shape = backend.broadcast_shapes(input.shape, target.shape)
        input, target = broadcast_to(input, shape), broadcast_to(target, shape)
    return input, target


def _quadratic_then_linear(diff, width, scale):
    """Per element: 0.5 d^2 / width where |d| < width, else |d| - 0.5 width; times ``scale``."""
    size = diff.abs()
    return where(size < width, diff * diff * (0.5 * scale / width), (size - 0.5 * width) * scale)


def smooth_l1_loss(input, target, reduction='mean', beta=1.0):
    """Smooth L1: 0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta,
    elementwise, then reduced ('mean', 'sum' or 'none'). beta = 0 is the L1 loss."""
    validate.reduction('smooth_l1_loss', reduction)
    beta = validate.number('smooth_l1_loss', 'beta', beta, low=0)
    input, target = _pair('smooth_l1_loss', input, target)
    if beta == 0:
        return _reduce((input - target).abs(), reduction)
    return _reduce(_quadratic_then_linear(input - target, beta, 1.0), reduction)


def huber_loss(input, target, reduction='mean', delta=1.0, weight=None):
    """Huber: 0.5 (x - y)^2 where |x - y| < delta, else delta (|x - y| - 0.5 delta),
    elementwise (times ``weight``, of input's shape, when given), then reduced. It is delta *
    smooth_l1_loss with beta = delta."""
    validate.reduction('huber_loss', reduction)
    delta = validate.number('huber_loss', 'delta', delta, low=0)
    if delta == 0:
        raise ValueError("huber_loss: delta must be a positive number, got 0.0")
    input, target = _pair('huber_loss', input, target)
    loss = _quadratic_then_linear(input - target, delta, delta)
    if weight is not None:
        validate.shape('huber_loss', 'weight', weight, input.shape)
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, reduction='mean', log_target=False):
    """Kullback-Leibler divergence of ``target`` from the distribution whose log-probabilities
    are ``input``: target * (log(target) - input) elementwise (0 where target is 0), or with
    log_target=True exp(target) * (target - input). reduction 'batchmean' divides the sum by
    input.shape[0] (the mathematical KL divergence of a batch); 'mean' divides by the number
    of elements, with PyTorch's warning."""
    validate.one_of('kl_div', 'reduction', reduction, ('mean', 'batchmean', 'sum', 'none'))
    input, target = _pair('kl_div', input, target)
    validate.floating('kl_div', 'target', target)     # a distribution, as PyTorch refuses ints
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        # t log t with 0 log 0 = 0; the inner where keeps log away from 0 (no -inf * 0)
        entropy_term = where(positive, target * where(positive, target, 1.0).log(), 0.0)
        loss = entropy_term - target * input
    if reduction == 'batchmean':
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == 'mean':
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, and "
                      "aligns with the KL divergence's definition.", UserWarning, stacklevel=2)
    return _reduce(loss, reduction)
