"""Upsample (and PyTorch's UpsamplingNearest2d, UpsamplingBilinear2d): F.interpolate as a
layer, for (N, C, L), (N, C, H, W) or (N, C, D, H, W) inputs."""
from .. import functional as F
from .. import validate
from .module import Module


class Upsample(Module):
    """Resizes its input to ``size`` or by ``scale_factor`` with ``mode`` 'nearest' (default),
    'nearest-exact', 'linear', 'bilinear', 'trilinear' or 'area'; see F.interpolate. No
    parameters."""

    def __init__(self, size=None, scale_factor=None, mode='nearest', align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size, self.mode = size, mode
        self.scale_factor = tuple(float(f) for f in scale_factor) if isinstance(
            scale_factor, (tuple, list)) else (float(scale_factor) if scale_factor else None)
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self):
        described = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None \
            else f"size={self.size!r}"
        return f"{described}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode='nearest' for (N, C, H, W) inputs."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode='nearest')


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode='bilinear' and align_corners=True for (N, C, H, W) inputs."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode='bilinear', align_corners=True)
