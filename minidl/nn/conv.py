"""Convolution layers Conv1d and Conv2d: they own weight and bias and call F.conv1d / F.conv2d."""
import math

from .. import backend, validate
from .. import functional as F
from ..tensor import Tensor, make
from . import init
from .module import Module, Parameter

_PADDING_MODES = ('zeros', 'reflect', 'replicate', 'circular')


class _ConvNd(Module):
    """Shared code of Conv1d and Conv2d (``_dims`` spatial dimensions)."""
    _dims = 2
    _spatial = 'H, W'

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode='zeros', device=None, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._dims
        for arg, value in (('in_channels', in_channels), ('out_channels', out_channels),
                           ('groups', groups)):
            validate.integer(name, arg, value, minimum=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        if padding_mode != 'zeros':
            raise NotImplementedError(
                f"{name}: padding_mode={padding_mode!r} is not implemented; only 'zeros' is "
                f"(PyTorch also knows {', '.join(repr(m) for m in _PADDING_MODES[1:])})")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = validate.ints(name, 'kernel_size', kernel_size, n, minimum=1)
        self.stride = validate.ints(name, 'stride', stride, n, minimum=1)
        if isinstance(padding, str):
            if padding not in ('same', 'valid'):
                raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', "
                                 f"got {padding!r}")
            if padding == 'same' and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding = padding
        else:
            self.padding = validate.ints(name, 'padding', padding, n, minimum=0)
        self.dilation = validate.ints(name, 'dilation', dilation, n, minimum=1)
        self.groups, self.padding_mode = int(groups), padding_mode
        dtype = backend.dtype(dtype or backend.float32)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        with backend.on(device) as xp:
            self.weight = Parameter(make(xp.empty(shape, dtype=dtype)))
            bias = Parameter(make(xp.empty((self.out_channels,), dtype=dtype))) if bias else None
        self.register_parameter('bias', bias)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's init: weight kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in)) with
        fan_in = in_channels / groups * prod(kernel_size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check(self, x):
        validate.rank(repr(self), x, (self._dims + 2,),
                      f"(N, {self.in_channels}, {self._spatial})", self.in_channels)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation): input (N, C_in, L) -> (N, C_out, L_out), weight
    (C_out, C_in/groups, k), bias (C_out,). Only padding_mode='zeros'."""
    _dims = 1
    _spatial = 'L'

    def forward(self, x):
        self._check(x)
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation): input (N, C_in, H, W) -> (N, C_out, H_out, W_out),
    weight (C_out, C_in/groups, kH, kW), bias (C_out,), with
    H_out = floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1. Only padding_mode='zeros'."""
    _dims = 2
    _spatial = 'H, W'

    def forward(self, x):
        self._check(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)
