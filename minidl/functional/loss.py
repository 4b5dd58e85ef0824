"""Loss functions: cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy and
binary_cross_entropy_with_logits, with PyTorch's arguments and reductions ('mean', 'sum', 'none').

Class-index cross-entropy, the loss of nearly every classifier, is one fused node: log-softmax
and the pick of each sample's class forward, softmax minus the (smoothed, weighted) one-hot
target backward.
"""
import warnings

from .. import backend, validate
from ..autograd import Function
from ..ops.promotion import broadcast_shapes, result_type
from ..tensor import Tensor, constant as _const, from_data
from .activation import Softmax, Softplus, log_softmax, log_softmax_array

__all__ = ['cross_entropy', 'nll_loss', 'mse_loss', 'l1_loss', 'binary_cross_entropy',
           'binary_cross_entropy_with_logits']


def _reduce(loss, reduction):
    if reduction == 'mean':
        return loss.mean()
    return loss.sum() if reduction == 'sum' else loss


def _as_tensor(value, like, name, what):
    if isinstance(value, Tensor):
        return value
    if value is None:
        raise TypeError(f"{name}: {what} must be a Tensor, got None")
    return from_data(value, device=like.device)


# ---------------------------------------------------------------- class-index targets
def _check_class_target(name, input, target):
    """(number of classes, the target shape the input needs) for class-index targets."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if target.dtype.kind not in 'iu':
        raise TypeError(f"{name}: class-index targets must be an integer tensor (int64), got "
                        f"dtype {target.dtype} (use target.long(); for class probabilities pass "
                        f"a float target of the input's shape {input.shape})")
    if target.device != input.device:
        raise RuntimeError(f"{name}: input is on {input.device} but target is on "
                           f"{target.device}; move them to the same device")
    if target.shape == expected:
        return classes, expected
    if input.ndim > 2 and target.ndim == 1:
        raise ValueError(
            f"{name}: input of shape {input.shape} and target of shape {target.shape} do "
            f"not match: with one class index per sample the input must be (N, C) logits. "
            f"Did you forget to flatten? Add Flatten() before Dense so the model outputs "
            f"shape (N, C)")
    raise ValueError(f"{name}: target of shape {target.shape} does not match input of "
                     f"shape {input.shape}: class-index targets need shape {expected}")


def _class_targets(name, input, target, weight, ignore_index):
    """Check class-index targets against input (N, C, d1, ...) or (C,) and flatten both.

    Returns logits (M, C) with the class dimension last, the targets (M,) with ignored entries
    set to class 0, the (M,) mask of samples not ignored, the (M,) weight of each sample's class
    (0 where ignored), the per-class weights (C,) or None, and the shape of an unreduced loss.
    Out-of-range class indices raise IndexError on the CPU. On a GPU, looking would make the
    host wait for the device at every step, so there they make the loss NaN instead (and
    ``minidl.train.fit`` stops on a NaN loss with a message).
    """
    classes, expected = _check_class_target(name, input, target)
    xp = input._xp()
    t = target.array.reshape(-1)
    valid = t != ignore_index
    bad = ((t < 0) | (t >= classes)) & valid
    if xp is backend.module_for('cpu') and bad.any():
        raise IndexError(f"{name}: target value {int(t[bad][0])} is out of range for "
                         f"{classes} classes (valid class indices are 0 to {classes - 1}, or "
                         f"ignore_index={ignore_index})")
    t = xp.where(valid & ~bad, t, 0)
    w = None
    if weight is not None:
        validate.shape(name, 'weight', weight, (classes,))
        w = weight.array.astype(input.dtype, copy=False)
        weight_of_target = w[t] * valid
    else:
        weight_of_target = valid.astype(input.dtype)
    weight_of_target = xp.where(bad, input.dtype.type('nan'), weight_of_target)
    if input.ndim == 1:
        logits = input.reshape(1, classes)
    elif input.ndim == 2:
        logits = input
    else:   # (N, C, d1, ...) -> (N * d1 * ..., C)
        logits = input.permute(0, *range(2, input.ndim), 1).reshape(-1, classes)
    return logits, t, valid, weight_of_target, w, expected


class CrossEntropy(Function):
    """Cross-entropy of logits (M, C) against class indices, in one node.

    Per sample: l = -sum_c q_c log_softmax(x)_c with q = (1 - s) w_y onehot(y) + (s / C) w (s the
    label smoothing, w the class weights, q = 0 for ignored samples). Its gradient is
    sum(q) * softmax(x) - q, scaled by the upstream gradient (and 1 / sum(w_y) for 'mean').
    """

    def __init__(self, target, valid, weight_of_target, weight, smoothing, reduction):
        self.target, self.valid, self.wy, self.weight = target, valid, weight_of_target, weight
        self.smoothing, self.reduction = smoothing, reduction

    def forward(self, x):
        xp = backend.array_module(x)
        logp = log_softmax_array(x, 1)
        self.logp = logp
        rows = xp.arange(x.shape[0])
        picked = logp[rows, self.target]
        picked = xp.where(self.valid, picked, 0)          # ignored rows: no -inf * 0
        loss = -(1 - self.smoothing) * picked * self.wy
        if self.smoothing:
            weighted = logp * self.weight if self.weight is not None else logp
            per_class = self.smoothing / x.shape[1]
            loss -= per_class * weighted.sum(axis=1) * self.valid
        loss = loss.astype(x.dtype, copy=False)
        if self.reduction == 'none':
            return loss
        total = loss.sum()
        if self.reduction == 'mean':
            self.denominator = self.wy.sum()
            total = total * _inverse(self.denominator, xp)
        return total

    def _target_terms(self, xp, dtype):
        """Per-row sum(q) and the dense q, the latter only when smoothing needs it."""
        valid = self.valid.astype(dtype)
        classes = self.logp.shape[1]
        if not self.smoothing:
            return self.wy, None
        w = self.weight if self.weight is not None else xp.ones(classes, dtype=dtype)
        per_class = dtype.type(self.smoothing / classes)
        total = (1 - self.smoothing) * self.wy + per_class * w.sum() * valid
        return total.astype(dtype, copy=False), (per_class * valid[:, None]) * w[None, :]

    def backward(self, gy):
        # On Tensors (differentiable): softmax rebuilt from x, q as a dense constant.
        x = self.input(0)
        xp = x._xp()
        rows = xp.arange(x.shape[0])
        row_sum, q = self._target_terms(xp, x.dtype)
        q = xp.zeros(x.shape, dtype=x.dtype) if q is None else q
        q[rows, self.target] += ((1 - self.smoothing) * self.wy).astype(x.dtype, copy=False)
        scale = self._upstream(gy)
        scale = scale.reshape(-1, 1) if self.reduction == 'none' else scale
        return (Softmax(1)(x) * _const(row_sum[:, None]) - _const(q)) * scale

    def fast_backward(self, gy):
        # The same on arrays: softmax from the saved log-probabilities, then subtract q.
        xp, dtype = backend.array_module(gy), self.logp.dtype
        rows = xp.arange(self.logp.shape[0])
        row_sum, smooth_q = self._target_terms(xp, dtype)
        r = self._upstream(gy)
        g = xp.exp(self.logp)
        g *= (row_sum * r)[:, None]
        g[rows, self.target] -= ((1 - self.smoothing) * self.wy * r).astype(dtype, copy=False)
        if smooth_q is not None:
            g -= smooth_q * (r[:, None] if r.ndim else r)
        return g

    def _upstream(self, gy):
        """The upstream gradient, divided by the summed target weights for 'mean'."""
        if self.reduction != 'mean':
            return gy
        if isinstance(gy, Tensor):
            return gy * _const(_inverse(self.denominator, gy._xp(), 0).astype(gy.dtype))
        return gy * _inverse(self.denominator, backend.array_module(gy), 0)


def _inverse(b, xp, at_zero=float('nan')):
    """1 / b for a 0-d array b, ``at_zero`` where b is 0, without NumPy's warning. A mean over
    no weight (an empty batch, every target ignored) is NaN, as in PyTorch, and its gradient 0
    (every term is 0)."""
    zero = b == 0
    return xp.where(zero, at_zero, 1 / xp.where(zero, 1, b))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean',
                  label_smoothing=0.0):
    """Cross-entropy between logits and targets (log_softmax over the class dimension, then the
    negative log-likelihood), as torch.nn.functional.cross_entropy.

    input: logits (N, C), (N, C, d1, ...) or (C,). target: class indices (N,), (N, d1, ...) or
    () as an integer tensor, or class probabilities of the input's shape as a float tensor.
    weight (C,): per-class weights; with class indices the 'mean' divides by the summed weights
    of the targets. ignore_index: a class index that contributes nothing (class indices only).
    label_smoothing in [0, 1]: mixes the target with the uniform distribution.
    reduction: 'mean' (default), 'sum' or 'none' (per-sample losses of the target's shape).
    """
    validate.floating('cross_entropy', 'input', input)
    validate.reduction('cross_entropy', reduction)
    validate.number('cross_entropy', 'label_smoothing', label_smoothing, 0, 1)
    target = _as_tensor(target, input, 'cross_entropy', 'target')
    if target.dtype.kind == 'f' and target.shape == input.shape:
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)
    if target.dtype.kind == 'f':
        raise ValueError(
            f"cross_entropy: float target of shape {target.shape} does not match input of shape "
            f"{input.shape}: class probabilities need the input's shape {input.shape}; class "
            f"indices must be an integer tensor (got dtype {target.dtype}, use target.long())")
    logits, t, valid, wy, w, shape = _class_targets('cross_entropy', input, target, weight,
                                                    ignore_index)
    out = CrossEntropy(t, valid, wy, w, float(label_smoothing), reduction)(logits)
    return out.reshape(shape) if reduction == 'none' else out


def _cross_entropy_probabilities(input, target, weight, reduction, smoothing):
    """-sum_c w_c q_c log_softmax(x)_c per sample; 'mean' divides by the number of samples."""
    class_dim = 1 if input.ndim > 1 else 0
    classes = input.shape[class_dim]
    q = target.to(dtype=input.dtype)
    if smoothing:
        q = q * (1 - smoothing) + smoothing / classes
    products = log_softmax(input, class_dim) * q
    if weight is not None:
        if not isinstance(weight, Tensor) or weight.shape != (classes,):
            raise ValueError(f"cross_entropy: weight must have shape ({classes},), "
                             f"got {getattr(weight, 'shape', type(weight).__name__)}")
        w = weight.detach().to(dtype=input.dtype)
        products = products * w.reshape((classes,) + (1,) * (input.ndim - class_dim - 1))
    return _reduce(-products.sum(class_dim), reduction)     # a mean over no sample is NaN


def nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean'):
    """Negative log-likelihood: -weight[target] * input[n, target[n]] for log-probabilities
    input (N, C) or (N, C, d1, ...) (e.g. from log_softmax) and integer targets (N,) or
    (N, d1, ...). 'mean' divides by the summed weights of the non-ignored targets."""
    validate.floating('nll_loss', 'input', input)
    validate.reduction('nll_loss', reduction)
    target = _as_tensor(target, input, 'nll_loss', 'target')
    logits, t, _, wy, _, shape = _class_targets('nll_loss', input, target, weight,
                                                ignore_index)
    picked = logits[input._xp().arange(logits.shape[0]), t]
    loss = picked * _const(-wy)
    if reduction == 'none':
        return loss.reshape(shape)
    total = loss.sum()
    if reduction != 'mean':
        return total
    # the NaN of a mean over no weight is added, so that the gradient there stays 0 (PyTorch's)
    xp, denominator = input._xp(), wy.sum()
    return total * _const(_inverse(denominator, xp, 0).astype(input.dtype)) + _const(
        xp.where(denominator == 0, xp.nan, 0).astype(input.dtype))


# ---------------------------------------------------------------- regression losses
def _paired(name, input, target):
    """input and target, broadcast to one shape (with PyTorch's warning when they differ)."""
    validate.floating(name, 'input', input)
    target = _as_tensor(target, input, name, 'target')
    if target.shape != input.shape:
        warnings.warn(f"{name}: Using a target size ({target.shape}) that is different to the "
                      f"input size ({input.shape}). This will likely lead to incorrect results "
                      "due to broadcasting. Please ensure they have the same size.",
                      stacklevel=3)
        # broadcast first, as PyTorch: both then count as dimensioned in the type promotion
        shape = broadcast_shapes(input.shape, target.shape, name=name)
        input, target = input.broadcast_to(shape), target.broadcast_to(shape)
    return input, target


def mse_loss(input, target, reduction='mean'):
    """Squared error (input - target)^2, elementwise, then reduced."""
    validate.reduction('mse_loss', reduction)
    input, target = _paired('mse_loss', input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction='mean'):
    """Absolute error |input - target|, elementwise, then reduced."""
    validate.reduction('l1_loss', reduction)
    input, target = _paired('l1_loss', input, target)
    return _reduce((input - target).abs(), reduction)


# ---------------------------------------------------------------- binary losses
def _clamped_log_array(x, xp):
    # log(x) clamped at -100 as PyTorch, without evaluating log(0) (no warning, no -inf)
    positive = x > 0
    return xp.maximum(xp.where(positive, xp.log(xp.where(positive, x, 1)), -100), -100)


class ClampedLog(Function):
    """max(log(x), -100); the gradient is 1 / x where the clamp is inactive."""

    def forward(self, x):
        out = _clamped_log_array(x, backend.array_module(x))
        self.active = out > -100
        return out

    def backward(self, gy):
        return gy * _const(self.active) / self.inputs[0].clamp(min=1e-12)


class BinaryCrossEntropy(Function):
    """-(t log(x) + (1 - t) log(1 - x)), both logs clamped at -100, elementwise."""

    def forward(self, x, t):
        xp = backend.array_module(x)
        loss = -(t * _clamped_log_array(x, xp) + (1 - t) * _clamped_log_array(1 - x, xp))
        return xp.where((x < 0) | (x > 1), x.dtype.type('nan'), loss)   # not a probability

    def backward(self, gy):
        x, t = self.inputs
        # PyTorch's rule: (x - t) / max(x (1 - x), 1e-12), finite even at x = 0 or 1
        gx = gy * (x - t) / (x * (1 - x)).clamp(min=1e-12) if x.requires_grad else None
        # -logit(x), unclamped as PyTorch's (infinite at x = 0 and 1)
        gt = gy * ((1 - x).log() - x.log()) if t.requires_grad else None
        return gx, gt


def binary_cross_entropy(input, target, weight=None, reduction='mean'):
    """-weight * (target * log(input) + (1 - target) * log(1 - input)) for probabilities
    input in [0, 1] (logs clamped at -100, as PyTorch), then reduced. target: input's shape."""
    validate.floating('binary_cross_entropy', 'input', input)
    validate.reduction('binary_cross_entropy', reduction)
    target = _as_tensor(target, input, 'binary_cross_entropy', 'target')
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy: Using a target size ({target.shape}) that is "
                         f"different to the input size ({input.shape}) is not supported; "
                         "please ensure they have the same size")
    validate.like('binary_cross_entropy', 'target', target, input)
    data = input.array
    # checked on the CPU; on a GPU a check would wait for the device, so there an input out of
    # [0, 1] gives a NaN loss instead
    if input.device == 'cpu' and ((data < 0) | (data > 1)).any():
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                         "(they are probabilities; for logits use "
                         "binary_cross_entropy_with_logits)")
    loss = BinaryCrossEntropy()(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean',
                                     pos_weight=None):
    """Binary cross-entropy of sigmoid(input) against target, computed stably from the logits:
    (1 - t) x + (1 + (pos_weight - 1) t) * log(1 + exp(-x)), then times weight and reduced.
    pos_weight (broadcast along the last dimension, e.g. (C,)) weighs the positive class."""
    validate.floating('binary_cross_entropy_with_logits', 'input', input)
    validate.reduction('binary_cross_entropy_with_logits', reduction)
    target = _as_tensor(target, input, 'binary_cross_entropy_with_logits', 'target')
    # probabilities: integer labels (class indices) belong to cross_entropy; PyTorch refuses too
    validate.floating('binary_cross_entropy_with_logits', 'target', target)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: Target size ({target.shape}) must "
                         f"be the same as input size ({input.shape})")
    out_dtype = target.dtype
    # computed in the promoted dtype, weights cast to it, the result in the target's dtype (as
    # PyTorch, whose gradient keeps the input's precision)
    dtype = result_type(input, target)
    input, target = input.to(dtype=dtype), target.to(dtype=dtype)
    # softplus(-x) = log(1 + exp(-x)) = -log(sigmoid(x)), stable for logits of any size
    softplus_neg = Softplus(1.0, float('inf'))(-input)
    if pos_weight is not None:
        softplus_neg = softplus_neg * ((pos_weight.to(dtype=dtype) - 1) * target + 1)
    loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight.to(dtype=dtype)
    return _reduce(loss.to(dtype=out_dtype), reduction)
