"""interpolate: resize (N, C, *spatial) inputs, as torch.nn.functional.interpolate.

Resizing is separable: it works along one spatial axis at a time. Each output position samples
the input at a source coordinate (PyTorch's formulas, in the input's precision). 'nearest' takes
the element at floor(coordinate); 'linear' (and 'bilinear', 'trilinear': the same along two or
three axes) mixes the two neighbours by the coordinate's fraction. Both are indexing and
weighting, so the gradient is exact: each input element collects the gradients of the outputs
that read it. 'area' is adaptive average pooling.
"""
import math

from .. import backend, validate
from . import adaptive_avg_pool1d, adaptive_avg_pool2d   # imported before this module

__all__ = ['interpolate']

_RANKS = {'linear': 3, 'bilinear': 4, 'trilinear': 5}
_MODES = ('nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear', 'area')


def _step(in_size, out_size, scale, align_corners, dtype):
    """Input units per output unit, a scalar of ``dtype``: PyTorch's area_pixel_compute_scale."""
    cast = backend.dtype(dtype).type
    if align_corners:
        return cast((in_size - 1) / (out_size - 1) if out_size > 1 else 0)
    if scale is not None and scale > 0:
        return cast(1.0 / scale)
    return cast(in_size) / cast(out_size)


def _take(x, axis, index):
    """x with ``index`` (an integer array) picking along ``axis`` (differentiable indexing)."""
    return x[(slice(None),) * axis + (index,)]


def _nearest_along(x, axis, out_size, scale, exact):
    xp, in_size = x._xp(), x.shape[axis]
    if not exact and out_size in (in_size, 2 * in_size):
        # PyTorch's exact cases, whatever the scale: a copy, or each element twice
        return x if out_size == in_size else _take(x, axis, xp.arange(out_size) // 2)
    # float32 as PyTorch's kernel, whose floor of a float32 product decides ties
    step = _step(in_size, out_size, scale, False, backend.float32)
    position = xp.arange(out_size, dtype=backend.float32) + (0.5 if exact else 0.0)
    index = xp.minimum(xp.floor(position * step).astype(backend.int64), in_size - 1)
    return _take(x, axis, index)


def _linear_along(x, axis, out_size, scale, align_corners):
    xp, in_size, dtype = x._xp(), x.shape[axis], x.dtype
    if out_size == in_size:
        return x          # PyTorch copies an axis whose size does not change, whatever the scale
    step = _step(in_size, out_size, scale, align_corners, dtype)
    position = xp.arange(out_size, dtype=dtype)
    half = dtype.type(0.5)
    source = position * step if align_corners else xp.maximum((position + half) * step - half, 0)
    low = xp.minimum(source.astype(backend.int64), in_size - 1)    # floor: source >= 0
    high = xp.minimum(low + 1, in_size - 1)
    fraction = (source - low).astype(dtype).reshape((-1,) + (1,) * (x.ndim - 1 - axis))
    return _take(x, axis, low) * (1 - fraction) + _take(x, axis, high) * fraction


def _output_sizes(input, size, scale_factor, dims):
    """(output sizes, scales used by the coordinates: None where a size decides)."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor, got "
                         f"size={size!r} and scale_factor={scale_factor!r}")
    spatial = input.shape[2:]
    if size is not None:
        sizes = validate.ints('interpolate', 'size', size, dims, minimum=1)
        return sizes, (None,) * dims
    factors = (scale_factor,) * dims if not isinstance(scale_factor, (tuple, list)) \
        else tuple(scale_factor)
    if len(factors) != dims:
        raise ValueError(f"interpolate: scale_factor must be a number or a tuple of {dims} "
                         f"numbers for an input of shape {tuple(input.shape)}, got "
                         f"{scale_factor!r}")
    factors = tuple(validate.number('interpolate', 'scale_factor', f, low=0) for f in factors)
    sizes = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
    if min(sizes, default=1) < 1:
        raise ValueError(f"interpolate: input and output sizes should be greater than 0, but "
                         f"scale_factor {scale_factor!r} makes output sizes {sizes} from input "
                         f"of shape {tuple(input.shape)}")
    return sizes, factors


def _check_mode(input, mode, align_corners, antialias):
    validate.one_of('interpolate', 'mode', mode, _MODES + ('bicubic',))
    if mode == 'bicubic' or antialias:
        what = 'bicubic mode' if mode == 'bicubic' else 'antialias=True'
        raise NotImplementedError(f"interpolate: {what} is not implemented; use mode "
                                  "'bilinear' or 'area'")
    if align_corners is not None and mode not in _RANKS:
        raise ValueError("interpolate: align_corners can only be set with the interpolating "
                         f"modes linear, bilinear and trilinear, not with mode={mode!r}")
    if mode in _RANKS and input.ndim != _RANKS[mode]:
        raise NotImplementedError(f"interpolate: got a {input.ndim}-D input, but mode {mode!r} "
                                  f"needs a {_RANKS[mode]}-D input (N, C, ...)")
    if mode == 'area' and input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate: mode 'area' needs a 3-D or 4-D input, got "
                                  f"{input.ndim}-D")


def interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize input (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` (an int or one per
    spatial dimension) or by ``scale_factor`` (output = floor(input * factor)), with mode
    'nearest', 'nearest-exact', 'linear' (3-D), 'bilinear' (4-D), 'trilinear' (5-D) or 'area'.
    align_corners=True maps the corner pixels' centres onto each other (linear modes only).
    With scale_factor the coordinates use 1 / scale_factor, as PyTorch; recompute_scale_factor
    =True uses input size / output size instead."""
    validate.tensor('interpolate', 'input', input)
    if input.ndim not in (3, 4, 5):
        raise ValueError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got "
                         f"shape {tuple(input.shape)}")
    _check_mode(input, mode, align_corners, antialias)
    dims = input.ndim - 2
    sizes, scales = _output_sizes(input, size, scale_factor, dims)
    if recompute_scale_factor:
        scales = (None,) * dims
    if mode == 'area':
        return (adaptive_avg_pool1d if dims == 1 else adaptive_avg_pool2d)(input, sizes)
    out = input
    if mode in _RANKS:
        validate.floating('interpolate', 'input', input)
        for axis, (n, scale) in enumerate(zip(sizes, scales), start=2):
            out = _linear_along(out, axis, n, scale, bool(align_corners))
        return out
    for axis, (n, scale) in enumerate(zip(sizes, scales), start=2):
        out = _nearest_along(out, axis, n, scale, mode == 'nearest-exact')
    return out if out is not input else out.clone()      # a new tensor, as PyTorch
