"""Weight initialisation (PyTorch's torch.nn.init): fill a tensor's array in place.

Every function writes into ``tensor.array`` (so the tensor keeps its identity, device and dtype),
draws from the seeded generator of the tensor's device (``mdl.manual_seed`` repeats it) and
returns the tensor. fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, where
the receptive field is the product of the dimensions after the first two (the kernel).
"""
import math

from .. import backend


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh,
    sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope ``param``, default 0.01),
    3/4 for selu."""
    linear = ('linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d',
              'conv_transpose3d')
    if nonlinearity in linear or nonlinearity == 'sigmoid':
        return 1
    if nonlinearity == 'tanh':
        return 5.0 / 3
    if nonlinearity == 'relu':
        return math.sqrt(2.0)
    if nonlinearity == 'leaky_relu':
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == 'selu':
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    if tensor.ndim < 2:
        raise ValueError(f"Fan in and fan out can not be computed for a tensor with fewer than 2 "
                         f"dimensions (got shape {tuple(tensor.shape)})")
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ('fan_in', 'fan_out'):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == 'fan_in' else fan_out


def _draw(tensor, kind):
    """Uniform [0, 1) or standard normal numbers shaped like ``tensor``, in its dtype (float16
    drawn in float32), from its device's generator."""
    if tensor.dtype.kind != 'f':
        raise TypeError(f"initialisation needs a floating-point tensor, got dtype {tensor.dtype}")
    gen = backend.generator(tensor.device)
    dtype = tensor.dtype if tensor.dtype.itemsize >= 4 else backend.float32
    if kind == 'uniform':
        return gen.random(tensor.shape, dtype=dtype)
    return gen.standard_normal(tensor.shape, dtype=dtype)


def _assign(tensor, values):
    tensor.array[...] = values
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with draws from U(a, b)."""
    if tensor.numel() == 0:
        return tensor
    values = _draw(tensor, 'uniform')
    values *= b - a                   # in place: a big layer's draws are not copied twice
    values += a
    return _assign(tensor, values)


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with draws from N(mean, std^2)."""
    if tensor.numel() == 0:
        return tensor
    values = _draw(tensor, 'normal')
    values *= std
    values += mean
    return _assign(tensor, values)


def constant_(tensor, val):
    """Fill with the value ``val``."""
    tensor.array[...] = val
    return tensor


def zeros_(tensor):
    """Fill with 0."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1."""
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _fan(tensor, mode)
    if fan == 0:
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu'):
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain from
    calculate_gain(nonlinearity, a). Linear and Conv layers use a=sqrt(5), which gives
    bound = 1 / sqrt(fan_in)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:              # an empty tensor: nothing to fill
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu'):
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std)
