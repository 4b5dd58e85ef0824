"""Batch normalisation for (N, C), (N, C, L) and (N, C, H, W) inputs (any (N, C, *) works)."""
from .. import backend, validate
from ..autograd import Function

__all__ = ['batch_norm']


class BatchNormTrain(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias with the batch's per-channel statistics
    (biased variance), in one node. Inputs: x, then weight and/or bias when given."""

    def __init__(self, axes, eps, has_weight, has_bias):
        self.axes, self.eps = axes, eps
        self.has_weight, self.has_bias = has_weight, has_bias

    def forward(self, x, *params):
        self.count = x.size // x.shape[1]
        self.mean = x.mean(axis=self.axes, keepdims=True)
        xhat = x - self.mean
        self.var = (xhat * xhat).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1 / backend.array_module(x).sqrt(self.var + x.dtype.type(self.eps))
        xhat *= self.inv_std
        self.xhat = xhat
        shape = self.mean.shape
        if self.has_weight:
            y = xhat * params[0].reshape(shape)
            if self.has_bias:
                y += params[1].reshape(shape)
            return y
        # the output must not share memory with the saved xhat
        return xhat + params[0].reshape(shape) if self.has_bias else xhat.copy()

    def backward(self, gy):
        # On Tensors, so that the gradient is itself differentiable in x (second derivatives):
        # xhat and 1/std are rebuilt from x rather than read from forward's arrays.
        x = self.input(0)
        centered = x - x.mean(self.axes, keepdim=True)
        inv_std = ((centered * centered).mean(self.axes, keepdim=True) + self.eps) ** -0.5
        weight = self.input(1) if self.has_weight else None
        return self._grads(gy, centered * inv_std, inv_std, weight,
                           lambda a: a.sum(self.axes, keepdim=True))

    def fast_backward(self, gy):
        # the same formula on the arrays forward kept (no graph is recorded)
        weight = self.input(1).array if self.has_weight else None
        return self._grads(gy, self.xhat, self.inv_std, weight,
                           lambda a: a.sum(axis=self.axes, keepdims=True))

    def _grads(self, gy, xhat, inv_std, weight, channel_sum):
        """The closed form, on Tensors or arrays alike: with s1 = sum(gy) and s2 = sum(gy * xhat)
        per channel over n values, gx = weight / std * (gy - (s1 + xhat * s2) / n),
        gweight = s2, gbias = s1."""
        n = self.count
        s1, s2 = channel_sum(gy), channel_sum(gy * xhat)
        grads = [None]
        if self.needs_grad(0):
            scale = inv_std if weight is None else inv_std * weight.reshape(inv_std.shape)
            grads[0] = (gy - (xhat * s2 + s1) * (1.0 / n)) * scale
        if self.has_weight:
            grads.append(s2.reshape(-1) if self.needs_grad(1) else None)
        if self.has_bias:
            grads.append(s1.reshape(-1) if self.needs_grad(len(grads)) else None)
        return tuple(grads)


def _check_arguments(input, running_mean, running_var, weight, bias, training, momentum):
    validate.floating('batch_norm', 'input', input)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must have shape (N, C, *) with at least 2 "
                         f"dimensions, got shape {input.shape}")
    for name, t in (('running_mean', running_mean), ('running_var', running_var),
                    ('weight', weight), ('bias', bias)):
        if t is not None:
            validate.shape('batch_norm', name, t, (input.shape[1],))
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("batch_norm: training=False normalises with the running statistics, "
                         "but running_mean and running_var are None; pass them, or "
                         "training=True to use the batch's statistics")
    validate.number('batch_norm', 'momentum', momentum)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel of input (N, C, *) to zero mean and unit variance, then scale by
    ``weight`` and shift by ``bias`` (both (C,), optional).

    training=True: uses the batch's mean and biased variance over all dimensions but C, and
    updates running_mean / running_var (C,) in place when given (None: not tracked):
    running = (1 - momentum) * running + momentum * batch, with the unbiased variance for
    running_var, as PyTorch. training=False: uses the running statistics.
    Returns a tensor of the input's shape.
    """
    _check_arguments(input, running_mean, running_var, weight, bias, training, momentum)
    channels = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    stats_shape = (1, channels) + (1,) * (input.ndim - 2)
    if not training:
        # eval: a per-channel affine map with constants from the running statistics
        scale = (running_var.detach() + eps) ** -0.5
        if weight is not None:
            scale = scale * weight
        shift = -running_mean.detach() * scale
        if bias is not None:
            shift = shift + bias
        return input * scale.reshape(stats_shape) + shift.reshape(stats_shape)

    count = input.numel() // channels
    if count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape}")
    params = [t for t in (weight, bias) if t is not None]
    fn = BatchNormTrain(axes, eps, weight is not None, bias is not None)
    out = fn(input, *params)
    if training and running_mean is not None:
        # in place on the buffers' arrays, so modules holding them see the update
        mean = fn.mean.reshape(channels).astype(running_mean.dtype, copy=False)
        var = fn.var.reshape(channels).astype(running_var.dtype, copy=False)
        running_mean.array *= 1 - momentum
        running_mean.array += momentum * mean
        running_var.array *= 1 - momentum
        running_var.array += (momentum * count / (count - 1)) * var
    return out
