"""Normalisation within each sample: layer_norm (over the last dimensions) and group_norm (over
groups of channels). Unlike batch norm they use no batch statistics, so training and evaluation
compute the same thing, for any batch size.

Both are one primitive, ``Standardize``: (x - mean) / sqrt(var + eps) over some axes, with the
biased variance, followed by an elementwise affine map (weight and bias) when given.
"""
import math

from .. import backend, validate
from ..autograd import Function

__all__ = ['layer_norm', 'group_norm']


class Standardize(Function):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance), in one node.

    With y the output, n values per mean and <a> the mean over the axes, the derivative is
    gx = (gy - <gy> - y <gy * y>) / sqrt(var + eps)."""
    saves_output = True

    def __init__(self, axes, eps):
        self.axes, self.eps = axes, eps

    def forward(self, x):
        centered = x - x.mean(axis=self.axes, keepdims=True)
        var = (centered * centered).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1 / backend.array_module(x).sqrt(var + x.dtype.type(self.eps))
        centered *= self.inv_std
        return centered

    def backward(self, gy):
        # On Tensors, rebuilt from x, so that the gradient is differentiable again
        x = self.input(0)
        centered = x - x.mean(self.axes, keepdim=True)
        inv_std = ((centered * centered).mean(self.axes, keepdim=True) + self.eps) ** -0.5
        y = centered * inv_std
        return (gy - gy.mean(self.axes, keepdim=True)
                - y * (gy * y).mean(self.axes, keepdim=True)) * inv_std

    def fast_backward(self, gy):
        # the same formula on arrays, with the output and 1/std kept by forward
        y = self.output().array
        g = gy - gy.mean(axis=self.axes, keepdims=True)
        g -= y * (gy * y).mean(axis=self.axes, keepdims=True)
        g *= self.inv_std
        return g


def _affine(y, weight, bias, shape):
    """y * weight + bias, the parameters reshaped to ``shape`` so that they broadcast."""
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise each sample over its last len(normalized_shape) dimensions to zero mean and
    unit (biased) variance, then scale by ``weight`` and shift by ``bias`` (both of shape
    normalized_shape, optional). input (*, *normalized_shape) -> the same shape."""
    validate.floating('layer_norm', 'input', input)
    shape = validate.sizes('layer_norm', 'normalized_shape', normalized_shape)
    if not shape:
        raise ValueError("layer_norm: normalized_shape must have at least one dimension, got ()")
    if len(shape) > input.ndim or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: input of shape {tuple(input.shape)} does not end with "
                         f"normalized_shape {shape}; expected an input of shape (*, "
                         f"{', '.join(map(str, shape))})")
    for name, t in (('weight', weight), ('bias', bias)):
        if t is not None:
            validate.shape('layer_norm', name, t, shape)
            validate.like('layer_norm', name, t, input)
    validate.number('layer_norm', 'eps', eps, low=0)
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    return _affine(Standardize(axes, float(eps))(input), weight, bias, shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Split the C channels of input (N, C, *) into num_groups groups and normalise each group
    of each sample to zero mean and unit (biased) variance, then scale by ``weight`` and shift
    by ``bias`` (both (C,), optional), per channel. Returns input's shape.
    num_groups = 1 is layer norm over (C, *); num_groups = C is instance norm."""
    validate.floating('group_norm', 'input', input)
    groups = validate.integer('group_norm', 'num_groups', num_groups, minimum=1)
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected an input of shape (N, C, *) with at least 2 "
                         f"dimensions, got shape {tuple(input.shape)}")
    n, channels = input.shape[0], input.shape[1]
    if channels % groups:
        raise ValueError(f"group_norm: the number of channels ({channels}) of input of shape "
                         f"{tuple(input.shape)} must be divisible by num_groups ({groups})")
    if n * channels // groups * math.prod(input.shape[2:]) == 1:      # PyTorch's check
        raise ValueError(f"group_norm: expected more than 1 value per channel when training, "
                         f"got input of shape {tuple(input.shape)}")
    for name, t in (('weight', weight), ('bias', bias)):
        if t is not None:
            validate.shape('group_norm', name, t, (channels,))
            validate.like('group_norm', name, t, input)
    validate.number('group_norm', 'eps', eps, low=0)
    grouped = input.reshape(n, groups, channels // groups * math.prod(input.shape[2:]))
    y = Standardize((2,), float(eps))(grouped).reshape(input.shape)
    return _affine(y, weight, bias, (channels,) + (1,) * (input.ndim - 2))
