"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d and
GlobalAvgPool.

Pools accept a batched (N, C, ...) or an unbatched (C, ...) input, as in PyTorch. The kernel size
defaults to 2 (a Keras convenience: MaxPool2d() halves height and width); the stride defaults to
the kernel size.
"""
from .. import functional as F
from .. import validate
from .module import Module


class _Pool(Module):
    """Checks the rank and adds/removes the batch dimension of an unbatched input."""
    _dims = 2
    _spatial = 'H, W'

    def _run(self, name, x, *args, **kwargs):
        """Check ``x``, then call F.<name>(x, *args, **kwargs) on a batched input."""
        n = self._dims
        validate.rank(repr(self), x, (n + 1, n + 2),
                      f"(N, C, {self._spatial}) or (C, {self._spatial})")
        fn = getattr(F, name)
        if x.ndim == n + 2:
            return fn(x, *args, **kwargs)
        out = fn(x.unsqueeze(0), *args, **kwargs)
        return tuple(o.squeeze(0) for o in out) if isinstance(out, tuple) else out.squeeze(0)


def _check_window(pool, dilation=1):
    """kernel_size, stride and dilation positive, padding non-negative (ints or tuples)."""
    name, n = type(pool).__name__, pool._dims
    for arg, value, least in (('kernel_size', pool.kernel_size, 1), ('stride', pool.stride, 1),
                              ('padding', pool.padding, 0), ('dilation', dilation, 1)):
        validate.ints(name, arg, value, len(value) if isinstance(value, (tuple, list)) else n,
                      minimum=least)


class _MaxPoolNd(_Pool):
    def __init__(self, kernel_size=2, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        _check_window(self, dilation=dilation)
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over windows of length kernel_size: (N, C, L) -> (N, C, L_out)."""
    _dims, _spatial = 1, 'L'

    def forward(self, x):
        return self._run('max_pool1d', x, self.kernel_size, self.stride, self.padding,
                         self.dilation, ceil_mode=self.ceil_mode,
                         return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over kernel_size windows: (N, C, H, W) -> (N, C, H_out, W_out), with
    H_out = floor((H + 2*padding - dilation*(k-1) - 1) / stride) + 1 (ceil with ceil_mode)."""

    def forward(self, x):
        return self._run('max_pool2d', x, self.kernel_size, self.stride, self.padding,
                         self.dilation, ceil_mode=self.ceil_mode,
                         return_indices=self.return_indices)


class AvgPool1d(_Pool):
    """Mean over windows of length kernel_size: (N, C, L) -> (N, C, L_out)."""
    _dims, _spatial = 1, 'L'

    def __init__(self, kernel_size=2, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        _check_window(self)
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return self._run('avg_pool1d', x, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_Pool):
    """Mean over kernel_size windows: (N, C, H, W) -> (N, C, H_out, W_out)."""

    def __init__(self, kernel_size=2, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        _check_window(self)
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        return self._run('avg_pool2d', x, self.kernel_size, self.stride, self.padding,
                         self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(_Pool):
    """Mean over windows chosen so that the output length is output_size: (N, C, L) ->
    (N, C, output_size)."""
    _dims, _spatial = 1, 'L'

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return self._run('adaptive_avg_pool1d', x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_Pool):
    """Mean over windows chosen so that the output is output_size (an int or (H_out, W_out);
    None keeps that input size): (N, C, H, W) -> (N, C, H_out, W_out)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return self._run('adaptive_avg_pool2d', x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(AdaptiveAvgPool1d):
    """Maximum over windows chosen so that the output length is output_size: (N, C, L) ->
    (N, C, output_size); with return_indices, also the positions of the maxima."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        return self._run('adaptive_max_pool1d', x, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    """Maximum over windows chosen so that the output is output_size (an int or (H_out, W_out);
    None keeps that input size): (N, C, H, W) -> (N, C, H_out, W_out); with return_indices,
    also the positions h * W + w of the maxima."""

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        return self._run('adaptive_max_pool2d', x, self.output_size, self.return_indices)


class GlobalAvgPool(Module):
    """Mean over every spatial dimension: (N, C, *spatial) -> (N, C) (any number >= 1 of
    spatial dimensions). The same as AdaptiveAvgPool2d(1) followed by Flatten() for images;
    Keras's GlobalAveragePooling."""

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        if x.ndim < 3:
            raise ValueError(f"{self!r}: expected an input of shape (N, C, *spatial) with at "
                             f"least one spatial dimension, got shape {tuple(x.shape)}")
        return x.mean(dim=tuple(range(2, x.ndim)))
