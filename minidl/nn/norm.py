"""Normalisation layers: BatchNorm1d and BatchNorm2d (F.batch_norm), LayerNorm (F.layer_norm)
and GroupNorm (F.group_norm).

Batch norm: in training mode each channel is normalised with the batch's mean and (biased)
variance and the running statistics are updated, running = (1 - momentum) * running + momentum *
batch (with the unbiased batch variance), or a cumulative average when momentum is None. In
eval mode the running statistics are used and nothing is updated.
"""
from .. import backend, validate
from .. import functional as F
from ..tensor import make
from . import init
from .module import Module, Parameter


class _BatchNorm(Module):
    _ndims, _expected = (2, 3), '(N, {c}) or (N, {c}, L)'

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):
        super().__init__()
        validate.integer(type(self).__name__, 'num_features', num_features, minimum=1)
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = backend.dtype(dtype or backend.float32)

        def new(shape, dt=dtype):
            with backend.on(device) as xp:
                return make(xp.zeros(shape, dtype=dt))

        if affine:
            self.weight = Parameter(new((self.num_features,)))
            self.bias = Parameter(new((self.num_features,)))
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)
        if track_running_stats:
            self.register_buffer('running_mean', new((self.num_features,)))
            self.register_buffer('running_var', new((self.num_features,)))
            self.register_buffer('num_batches_tracked', new((), backend.int64))
        else:
            for name in ('running_mean', 'running_var', 'num_batches_tracked'):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean 0, running_var 1, num_batches_tracked 0."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        """Running statistics reset; weight 1 and bias 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x):
        validate.rank(repr(self), x, self._ndims, self._expected.format(c=self.num_features),
                      self.num_features)
        if self.training and x.numel() // x.shape[1] <= 1:
            raise ValueError(f"{self!r}: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(x.shape)}; use a batch of more than "
                             "one sample, or call model.eval() first")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1       # in place: the buffer keeps its array
            if self.momentum is None:                # cumulative moving average
                factor = 1.0 / int(self.num_batches_tracked.item())
        use_batch_stats = self.training or self.running_mean is None
        # In training mode the running statistics are passed to be updated; without tracking
        # they are None and batch statistics are always used.
        track = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, per channel C = num_features; weight and
    bias (C,), buffers running_mean, running_var (C,) and num_batches_tracked (int64)."""


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, per channel C = num_features; weight and bias (C,),
    buffers running_mean, running_var (C,) and num_batches_tracked (int64)."""
    _ndims, _expected = (4,), '(N, {c}, H, W)'


def _affine_parameters(module, shape, affine, bias, device, dtype):
    """weight (ones) and bias (zeros) of ``shape``, or None where not wanted."""
    dtype = backend.dtype(dtype or backend.float32)
    with backend.on(device) as xp:
        weight = Parameter(make(xp.ones(shape, dtype=dtype))) if affine else None
        bias = Parameter(make(xp.zeros(shape, dtype=dtype))) if affine and bias else None
    module.register_parameter('weight', weight)
    module.register_parameter('bias', bias)


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Normalises each sample over its last dimensions, ``normalized_shape`` (an int or a
    tuple), to zero mean and unit (biased) variance, then scales and shifts elementwise by
    weight (ones) and bias (zeros) of shape normalized_shape, when elementwise_affine.
    Input (*, *normalized_shape) -> the same shape; the same in training and evaluation."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = validate.sizes('LayerNorm', 'normalized_shape',
                                               normalized_shape)
        self.eps = validate.number('LayerNorm', 'eps', eps, low=0)
        self.elementwise_affine = bool(elementwise_affine)
        _affine_parameters(self, self.normalized_shape, self.elementwise_affine, bias, device,
                           dtype)

    def reset_parameters(self):
        """weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Splits the channels of (N, C, *) inputs into num_groups groups and normalises each
    group of each sample to zero mean and unit (biased) variance, then scales and shifts per
    channel by weight (ones) and bias (zeros) of shape (C,), when affine. num_groups=1 is
    layer norm over (C, *); num_groups=C is instance norm."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_groups = validate.integer('GroupNorm', 'num_groups', num_groups, minimum=1)
        self.num_channels = validate.integer('GroupNorm', 'num_channels', num_channels,
                                             minimum=1)
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.eps = validate.number('GroupNorm', 'eps', eps, low=0)
        self.affine = bool(affine)
        _affine_parameters(self, (self.num_channels,), self.affine, bias, device, dtype)

    def reset_parameters(self):
        """weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{self!r}: expected an input of shape (N, {self.num_channels}, *), "
                             f"got shape {tuple(x.shape)}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
