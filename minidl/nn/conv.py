"""Convolution layers Conv1d and Conv2d (F.conv1d / F.conv2d) and the transposed convolutions
ConvTranspose1d and ConvTranspose2d (F.conv_transpose1d / 2d): they own weight and bias.

A convolution pads with zeros by default; padding_mode 'reflect', 'replicate' or 'circular'
pads the input with F.pad in that mode first, then convolves without padding (as PyTorch).
"""
import math

from .. import backend, validate
from .. import functional as F
from ..tensor import make
from . import init
from .module import Module, Parameter

_PADDING_MODES = ('zeros', 'reflect', 'replicate', 'circular')


class _ConvNd(Module):
    """Shared code of the convolution layers (``_dims`` spatial dimensions)."""
    _dims = 2
    _spatial = 'H, W'
    _transposed = False

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
        self.padding_mode = validate.one_of(name, 'padding_mode', padding_mode, _PADDING_MODES)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = validate.ints(name, 'kernel_size', kernel_size, n, minimum=1)
        self.stride = validate.ints(name, 'stride', stride, n, minimum=1)
        self.padding = self._padding_argument(name, padding)
        self.dilation = validate.ints(name, 'dilation', dilation, n, minimum=1)
        self.groups = int(groups)
        dtype = backend.dtype(dtype or backend.float32)
        with backend.on(device) as xp:
            self.weight = Parameter(make(xp.empty(self._weight_shape(), dtype=dtype)))
            bias = Parameter(make(xp.empty((self.out_channels,), dtype=dtype))) if bias else None
        self.register_parameter('bias', bias)
        self.reset_parameters()

    def _padding_argument(self, name, padding):
        if isinstance(padding, str):
            if padding not in ('same', 'valid'):
                raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', "
                                 f"got {padding!r}")
            if padding == 'same' and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            return padding
        return validate.ints(name, 'padding', padding, self._dims, minimum=0)

    def _weight_shape(self):
        return (self.out_channels, self.in_channels // self.groups) + self.kernel_size

    def reset_parameters(self):
        """PyTorch's init: weight kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in)) with
        fan_in = weight.shape[1] * prod(kernel_size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check(self, x):
        # a batch (N, C, ...) or one sample (C, ...), as PyTorch
        validate.rank(repr(self), x, (self._dims + 1, self._dims + 2),
                      f"(N, {self.in_channels}, {self._spatial}) or ({self.in_channels}, "
                      f"{self._spatial})", self.in_channels, unbatched=self._dims + 1)

    def _mode_padded(self, x):
        """(x padded by padding_mode, the padding left for the convolution): PyTorch's
        (left, right) per dimension, last dimension first; 'same' splits d*(k-1) with the
        extra element after."""
        if self.padding_mode == 'zeros':
            return x, self.padding
        widths = []
        for i in reversed(range(self._dims)):
            if self.padding == 'same':
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                widths += [total // 2, total - total // 2]
            else:
                widths += [0, 0] if self.padding == 'valid' else [self.padding[i]] * 2
        return F.pad(x, widths, mode=self.padding_mode), 0

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if getattr(self, 'output_padding', (0,) * self._dims) != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != 'zeros':
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation): input (N, C_in, L) -> (N, C_out, L_out), weight
    (C_out, C_in/groups, k), bias (C_out,)."""
    _dims = 1
    _spatial = 'L'

    def forward(self, x):
        self._check(x)
        x, padding = self._mode_padded(x)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation): input (N, C_in, H, W) -> (N, C_out, H_out, W_out),
    weight (C_out, C_in/groups, kH, kW), bias (C_out,), with
    H_out = floor((H + 2*padding - dilation*(kH-1) - 1) / stride) + 1."""
    _dims = 2
    _spatial = 'H, W'

    def forward(self, x):
        self._check(x)
        x, padding = self._mode_padded(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class _ConvTransposeNd(_ConvNd):
    """Shared code of ConvTranspose1d and ConvTranspose2d: weight (C_in, C_out/groups, *kernel),
    the gradient of a convolution with respect to its input, used as a layer (upsampling)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros',
                 device=None, dtype=None):
        name = type(self).__name__
        if padding_mode != 'zeros':
            raise ValueError(f'{name}: only padding_mode="zeros" is supported for transposed '
                             f'convolutions, got {padding_mode!r}')
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of {self._dims} ints, "
                             f"got {padding!r}")
        self.output_padding = validate.ints(name, 'output_padding', output_padding,
                                            self._dims, minimum=0)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def _weight_shape(self):
        return (self.in_channels, self.out_channels // self.groups) + self.kernel_size

    def _output_padding(self, x, output_size):
        """output_padding, or the one that makes the output ``output_size`` (its last _dims
        entries), which must lie between the smallest output and that plus stride - 1."""
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-self._dims:]
        smallest = tuple((n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(
            x.shape[-self._dims:], self.stride, self.padding, self.dilation, self.kernel_size))
        largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
        if len(size) != self._dims or not all(
                validate.is_int(n) and lo <= n <= hi for n, lo, hi in zip(size, smallest,
                                                                          largest)):
            raise ValueError(f"{self!r}: requested an output size of {tuple(output_size)}, but "
                             f"valid sizes range from {list(smallest)} to {list(largest)} (for "
                             f"an input of size {tuple(x.shape[-self._dims:])})")
        return tuple(n - m for n, m in zip(size, smallest))


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution: input (N, C_in, L) -> (N, C_out, L_out) with
    L_out = (L-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1; weight
    (C_in, C_out/groups, k), bias (C_out,). forward(x, output_size) picks output_padding."""
    _dims = 1
    _spatial = 'L'

    def forward(self, x, output_size=None):
        self._check(x)
        return F.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(x, output_size), self.groups,
                                  self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution: input (N, C_in, H, W) -> (N, C_out, H_out, W_out) with
    H_out = (H-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1; weight
    (C_in, C_out/groups, kH, kW), bias (C_out,). forward(x, output_size) picks output_padding."""
    _dims = 2
    _spatial = 'H, W'

    def forward(self, x, output_size=None):
        self._check(x)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(x, output_size), self.groups,
                                  self.dilation)
