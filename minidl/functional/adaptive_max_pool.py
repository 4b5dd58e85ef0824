"""adaptive_max_pool1d and adaptive_max_pool2d: the maximum over each bin of a grid that covers
the input, PyTorch's bins: along an axis of size n, bin i of ``out`` spans
[floor(i * n / out), ceil((i + 1) * n / out)), so bins overlap when n is not a multiple of out.

Where each maximum lies is found on the arrays, one axis at a time (the maximum over a rectangle
is the maximum over its rows of each row's maximum); the values are then picked from the input
by indexing. So the gradient goes to exactly those elements, as in PyTorch, and the first
maximum of a bin in row-major order wins a tie.
"""
from .. import backend, validate
from ..tensor import make

__all__ = ['adaptive_max_pool1d', 'adaptive_max_pool2d']


def _bins(n, out, xp):
    """(out, K) input positions of every bin along an axis of size n, K the widest bin's size;
    a narrower bin repeats its last position (a repeat changes no maximum)."""
    starts = [i * n // out for i in range(out)]
    ends = [-(-(i + 1) * n // out) for i in range(out)]
    width = max(end - start for start, end in zip(starts, ends))
    positions = xp.asarray(starts)[:, None] + xp.arange(width)
    return xp.minimum(positions, xp.asarray(ends)[:, None] - 1)


def _argmax(x, out_h, out_w):
    """The flat positions h * W + w (N, C, OH, OW) of each bin's first maximum in x (N, C, H, W)
    (an array)."""
    xp = backend.array_module(x)
    rows, cols = _bins(x.shape[2], out_h, xp), _bins(x.shape[3], out_w, xp)
    along_w = x[:, :, :, cols]                                 # (N, C, H, OW, KW)
    best_w = along_w.argmax(-1)                                # (N, C, H, OW)
    col = cols[xp.arange(out_w), best_w]                       # its column
    row_max = xp.take_along_axis(along_w, best_w[..., None], -1)[..., 0]
    best_h = row_max[:, :, rows].argmax(3)                     # (N, C, OH, OW), over (OH, KH)
    row = rows[xp.arange(out_h)[:, None], best_h]
    return row * x.shape[3] + xp.take_along_axis(col, row, axis=2)


def _sizes(op, output_size, spatial):
    """The output size per spatial dimension (None keeps the input's)."""
    dims = len(spatial)
    sizes = (output_size,) * dims if output_size is None or validate.is_int(output_size) \
        else tuple(output_size)
    if len(sizes) != dims:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {dims}, got "
                         f"{output_size!r}")
    sizes = tuple(n if s is None else s for s, n in zip(sizes, spatial))
    return validate.ints(op, 'output_size', sizes, dims, minimum=1)


def _adaptive_max(op, dims, input, output_size, return_indices):
    validate.floating(op, 'input', input)
    if input.ndim not in (dims + 1, dims + 2) or min(input.shape[-dims:], default=0) == 0:
        layout = 'L' if dims == 1 else 'H, W'
        raise ValueError(f"{op}: expected a non-empty ({layout}) input of shape (N, C, {layout}) "
                         f"or (C, {layout}), got shape {tuple(input.shape)}")
    sizes = _sizes(op, output_size, input.shape[-dims:])
    # sizes written out: NumPy cannot infer a -1 for an empty batch
    x = input if input.ndim == dims + 2 else input.reshape((1,) + input.shape)
    x = x if dims == 2 else x.unsqueeze(2)                     # 1-D: a height of 1
    n, c, h, w = x.shape
    out_h, out_w = (1,) + sizes if dims == 1 else sizes
    xp = x._xp()
    where = _argmax(x.array, out_h, out_w).reshape(n, c, out_h * out_w)
    values = x.reshape(n, c, h * w)[xp.arange(n)[:, None, None], xp.arange(c)[:, None], where]
    shape = input.shape[:-dims] + sizes
    values = values.reshape(shape)
    return (values, make(where.reshape(shape))) if return_indices else values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The maximum over an (OH, OW) grid of bins covering input (N, C, H, W) or (C, H, W)
    (bin i spans [floor(i*H/OH), ceil((i+1)*H/OH)), likewise for the width); output_size is
    an int or (OH, OW), None keeping that input size. With return_indices, also the int64
    positions h * W + w of the maxima."""
    return _adaptive_max('adaptive_max_pool2d', 2, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The maximum over output_size bins covering input (N, C, L) or (C, L); see
    adaptive_max_pool2d. With return_indices, also the int64 positions of the maxima."""
    return _adaptive_max('adaptive_max_pool1d', 1, input, output_size, return_indices)
