"""Pooling (PyTorch's max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d).

A pooling window is visited the way convolution gathers it, by its kernel offsets: for each of
the KH*KW offsets, one strided slice of the (padded) input holds that window element for every
output position at once. Max pooling keeps a running maximum and the offset that produced it
(the first maximum, as PyTorch); its backward routes each gradient to that element, one
strided slice-add per offset, so overlapping windows accumulate. Without a gradient to compute
(inference) only the running maximum is kept: a few elementwise maxima of strided slices, several
times faster than PyTorch's CPU max pool, and faster in NumPy than reshaping non-overlapping
windows to (N, C, H/k, k, W/k, k) and reducing (a reduction over short strided axes is slow
there). Average pooling sums the slices
and divides by PyTorch's divisor. No loop ever runs over pixels or batch items. The 1-D ops are
the 2-D ones with a height of 1.

Results keep the memory order of the input (a convolution's output is laid out (C, H, W, N)),
so the next layer reads them without a transposing copy.
"""
import math

from .. import backend
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor, make
from .arguments import checked_once, int_tuple, positive, rank_error, unbatched


# ---------------------------------------------------------------- geometry and helpers
class _Pool:
    """Kernel, stride, padding, dilation and output size of one 2-D pooling."""

    def __init__(self, shape, kernel, stride, padding, dilation, ceil_mode):
        self.shape = shape
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        self.out = tuple(_out_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in
                         zip(shape[2:], kernel, stride, padding, dilation))
        # the padded extent the windows reach (ceil_mode windows may hang past the padding)
        self.extent = tuple(max(n + 2 * p, (o - 1) * s + d * (k - 1) + 1) for n, k, s, p, d, o in
                            zip(shape[2:], kernel, stride, padding, dilation, self.out))

    def offsets(self):
        """(index, row slice, column slice) of every kernel offset in the padded input."""
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.kernel, self.stride, self.dilation, self.out
        for i in range(kh):
            for j in range(kw):
                yield (i * kw + j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                       slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size; in ceil_mode the last window must start inside the input
    or its left padding."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _axis_order(array):
    """The axes of ``array`` from the outermost in memory to the innermost (C order on ties)."""
    if len(set(array.strides)) < array.ndim:   # ties (size-1 axes): plain C order
        return list(range(array.ndim))
    return sorted(range(array.ndim), key=lambda a: -array.strides[a])


def _alloc(like, shape, fill=None, dtype=None, order=None):
    """A new array of ``shape`` (and like's dtype, or ``dtype``) with the same axis order in
    memory as ``like`` (so a (C, H, W, N) layout stays one), or the axis order ``order``;
    zero-filled or filled with ``fill``."""
    xp = backend.array_module(like)
    order = _axis_order(like) if order is None else order
    base_shape = tuple(shape[a] for a in order)
    base = (xp.zeros(base_shape, dtype or like.dtype) if fill is None
            else xp.full(base_shape, fill, dtype or like.dtype))
    inverse = sorted(range(like.ndim), key=lambda a: order[a])
    return base.transpose(inverse)


def _padded(x, pool, fill):
    """x placed inside an array of the padded extent (fill around it), or x itself."""
    (h, w), (ph, pw) = x.shape[2:], pool.padding
    if pool.extent == (h, w):
        return x
    out = _alloc(x, x.shape[:2] + pool.extent, fill)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _crop(gx, pool):
    (h, w), (ph, pw) = pool.shape[2:], pool.padding
    return gx if gx.shape[2:] == (h, w) else gx[:, :, ph:ph + h, pw:pw + w]


# ---------------------------------------------------------------- max pooling
def _max_forward(x, pool, track):
    """Window maxima of x (N, C, H, W) by a running maximum over kernel offsets; with ``track``,
    also the offset index of each first maximum (int8 unless the kernel is huge)."""
    xp = backend.array_module(x)
    src = _padded(x, pool, _lowest(x.dtype))
    best = which = None
    for k, rows, cols in pool.offsets():
        v = src[:, :, rows, cols]
        if best is None:
            best = v.copy(order='K')
            if track:
                kk = pool.kernel[0] * pool.kernel[1]
                which = xp.zeros_like(best, dtype='int8' if kk < 128 else 'int32')
            continue
        if track:
            # strictly greater, so a tie keeps the first maximum (as PyTorch); offsets come in
            # increasing order, so "k where better, else unchanged" is a maximum (fast, unlike
            # where())
            xp.maximum(which, (v > best) * which.dtype.type(k), out=which)
        xp.maximum(best, v, out=best)   # (maximum also lets NaN through)
    return best, which


def _lowest(dtype):
    """The padding of max pooling: -inf, or the smallest integer of an integer dtype."""
    if dtype.kind == 'f':
        return -math.inf
    return 0 if dtype.kind == 'u' else -2 ** (8 * dtype.itemsize - 1)


class MaxPool2d(Function):
    """Window maxima of x (N, C, H, W) -> (N, C, OH, OW); remembers which offset won."""

    def __init__(self, pool):
        self.pool = pool

    def forward(self, x):
        best, self.which = _max_forward(x, self.pool, True)
        return best

    def backward(self, gy):
        return _MaxScatter(self.pool, self.which)(gy)

    def indices(self):
        """Flat indices into each input plane (H*W) of every window's maximum (int64)."""
        xp = backend.array_module(self.which)
        kw, (sh, sw), (dh, dw) = self.pool.kernel[1], self.pool.stride, self.pool.dilation
        (ph, pw), width = self.pool.padding, self.pool.shape[3]
        oh, ow = self.pool.out
        which = self.which.astype('int64')
        rows = xp.arange(oh, dtype='int64').reshape(-1, 1) * sh - ph + (which // kw) * dh
        cols = xp.arange(ow, dtype='int64') * sw - pw + (which % kw) * dw
        return rows * width + cols


def _scatter(pool, gx, values):
    """gx[window element k] += values(k) for every kernel offset k: one strided slice-add per
    offset (a plain write when windows cannot overlap)."""
    overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(pool.kernel, pool.stride, pool.dilation))
    for k, rows, cols in pool.offsets():
        if overlap:
            gx[:, :, rows, cols] += values(k)
        else:
            gx[:, :, rows, cols] = values(k)
    return _crop(gx, pool)


class _MaxScatter(Function):
    """Route gy (N, C, OH, OW) to the winning element of each window; overlaps accumulate."""

    def __init__(self, pool, which):
        self.pool, self.which = pool, which

    def forward(self, gy):
        if _axis_order(gy) != _axis_order(self.which):
            # gy copied once into the layout of the forward's input (which has it): otherwise
            # every offset's slice-write transposes, and the layers below get a gradient in
            # another layout than their own arrays (each of their passes then transposes too)
            same = _alloc(self.which, gy.shape, dtype=gy.dtype)
            same[...] = gy
            gy = same
        gx = _alloc(gy, gy.shape[:2] + self.pool.extent)
        return _scatter(self.pool, gx, lambda k: gy * (self.which == k))

    def backward(self, ggx):
        return _MaxGather(self.pool, self.which)(ggx)


class _MaxGather(Function):
    """Pick from x (N, C, H, W) the element each window's winner points at (adjoint of the
    scatter, used for higher derivatives)."""

    def __init__(self, pool, which):
        self.pool, self.which = pool, which

    def forward(self, x):
        src = _padded(x, self.pool, 0)
        out = None
        for k, rows, cols in self.pool.offsets():
            v = src[:, :, rows, cols] * (self.which == k)
            out = v if out is None else out + v
        return out

    def backward(self, gy):
        return _MaxScatter(self.pool, self.which)(gy)


# ---------------------------------------------------------------- average pooling
def _divisor(pool, ceil_mode, count_include_pad, divisor_override, xp, dtype):
    """1 / divisor for every output position, (OH, OW), by PyTorch's rule: windows count the
    padding they cover when count_include_pad, never the part hanging past the padding."""
    if divisor_override is not None:
        return xp.full(pool.out, 1.0 / divisor_override, dtype=dtype)
    sizes = []
    for n, k, s, p, o in zip(pool.shape[2:], pool.kernel, pool.stride, pool.padding, pool.out):
        counts = []
        for i in range(o):
            start = i * s - p
            end = min(start + k, n + p)
            counts.append(end - start if count_include_pad else min(end, n) - max(start, 0))
        sizes.append(counts)
    div = [[1.0 / (a * b) for b in sizes[1]] for a in sizes[0]]
    return xp.asarray(div, dtype=dtype)


class AvgPool2d(Function):
    """Window sums of x (N, C, H, W) times ``scale`` (OH, OW): average pooling."""

    def __init__(self, pool, scale):
        self.pool, self.scale = pool, scale

    def forward(self, x):
        src = _padded(x, self.pool, 0)
        total = None
        for _, rows, cols in self.pool.offsets():
            v = src[:, :, rows, cols]
            if total is None:
                total = v.copy(order='K')
            else:
                total += v
        total *= self.scale
        return total

    def backward(self, gy):
        return _AvgScatter(self.pool, self.scale)(gy)


class _AvgScatter(Function):
    """Spread gy (N, C, OH, OW) * scale back over each window (the adjoint of AvgPool2d)."""

    def __init__(self, pool, scale):
        self.pool, self.scale = pool, scale

    def forward(self, gy):
        g = gy * self.scale
        gx = _alloc(gy, gy.shape[:2] + self.pool.extent)
        return _scatter(self.pool, gx, lambda k: g)

    def backward(self, ggx):
        return AvgPool2d(self.pool, self.scale)(ggx)


class GlobalAvgPool2d(Function):
    """The mean of every plane of x (N, C, H, W) -> (N, C, 1, 1): adaptive average pooling to
    1x1, whose gradient comes back in x's memory layout (a mean's broadcast gradient would
    make every elementwise backward below it write plain (N, C, H, W) order)."""

    def forward(self, x):
        self.shape, self.order = x.shape, _axis_order(x)
        return x.mean(axis=(2, 3), keepdims=True)

    def backward(self, gy):
        return _Spread(self.shape, self.order)(gy)


class _Spread(Function):
    """gy (N, C, 1, 1) / (H*W) over every plane of an (N, C, H, W) array laid out in ``order``:
    the adjoint of GlobalAvgPool2d."""

    def __init__(self, shape, order):
        self.shape, self.order = shape, order

    def forward(self, gy):
        gx = _alloc(gy, self.shape, order=self.order)
        gx[...] = gy * gy.dtype.type(1.0 / (self.shape[2] * self.shape[3]))
        return gx

    def backward(self, ggx):
        return GlobalAvgPool2d()(ggx)


# ---------------------------------------------------------------- argument checks
def _check_input(op, x, dims, kinds='f'):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim != dims + 2:
        raise rank_error(op, 'input', x, dims)
    if x.dtype.kind not in kinds:
        kind = 'a floating-point' if kinds == 'f' else 'a floating-point or integer'
        raise TypeError(f"{op}: expected {kind} input, got dtype {x.dtype}")


def _make_pool(op, x, kernel_size, stride, padding, dilation, ceil_mode, dims, kinds='f'):
    """Validate the arguments; return a 2-D _Pool (1-D ops get a kernel height of 1)."""
    _check_input(op, x, dims, kinds)
    return _pool_for(op, x.shape, kernel_size, stride, padding, dilation, ceil_mode, dims)


@checked_once
def _pool_for(op, shape, kernel_size, stride, padding, dilation, ceil_mode, dims):
    """_make_pool's checks of everything but the tensor itself."""
    kernel = positive(int_tuple(kernel_size, dims, 'kernel_size', op), 'kernel_size', op)
    stride = kernel if stride is None or stride == () or stride == [] else \
        positive(int_tuple(stride, dims, 'stride', op), 'stride', op)
    padding = int_tuple(padding, dims, 'padding', op)
    dilation = positive(int_tuple(dilation, dims, 'dilation', op), 'dilation', op)
    if any(p < 0 for p in padding):
        raise ValueError(f"{op}: padding must be non-negative, got padding={padding}")
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding should be at most half of kernel size, got "
                         f"padding={padding} for kernel_size={kernel}")
    if dims == 1:
        kernel, stride, padding, dilation = ((1,) + kernel, (1,) + stride, (0,) + padding,
                                             (1,) + dilation)
    plane = shape if dims == 2 else shape[:2] + (1,) + shape[2:]
    pool = _Pool(plane, kernel, stride, padding, dilation, ceil_mode)
    if min(pool.out) < 1:
        raise ValueError(f"{op}: input of shape {shape} is too small for kernel_size="
                         f"{kernel[2 - dims:]}, dilation={dilation[2 - dims:]}, padding="
                         f"{padding[2 - dims:]}: the output size would be {pool.out[2 - dims:]}")
    return pool


def _as_2d(x, dims):
    return x if dims == 2 else x.unsqueeze(2)


def _from_2d(y, dims):
    return y if dims == 2 else y.squeeze(2)


# ---------------------------------------------------------------- public API
def _max_pool(op, dims, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    # integers too, as PyTorch's max_pool2d
    pool = _make_pool(op, input, kernel_size, stride, padding, dilation, ceil_mode, dims, 'fiu')
    x = _as_2d(input, dims)
    if not return_indices and not (x.requires_grad and is_grad_enabled()):
        return _from_2d(make(_max_forward(x.array, pool, False)[0]), dims)
    fn = MaxPool2d(pool)
    y = _from_2d(fn(x), dims)
    if not return_indices:
        return y
    idx = fn.indices()
    return y, _from_2d(make(idx), dims)


@unbatched(2)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling: input (N, C, H, W) (or one sample, (C, H, W); floating-point or integer)
    -> (N, C, OH, OW), the maximum of each window (padding counts as -inf). OH =
    floor_or_ceil((H + 2*padding - dilation*(KH-1) - 1) / stride) + 1; stride defaults to
    kernel_size. With return_indices, also the int64 flat index (into
    H*W) of each maximum, as PyTorch."""
    return _max_pool('max_pool2d', 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


@unbatched(1)
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling: input (N, C, L) -> (N, C, OL); see max_pool2d."""
    return _max_pool('max_pool1d', 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _avg_pool(op, dims, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    pool = _make_pool(op, input, kernel_size, stride, padding, 1, ceil_mode, dims)
    if divisor_override is not None and (not isinstance(divisor_override, int)
                                         or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got "
                         f"{divisor_override!r}")
    xp = backend.array_module(input.array)
    scale = _divisor(pool, ceil_mode, count_include_pad, divisor_override, xp, input.dtype)
    return _from_2d(AvgPool2d(pool, scale)(_as_2d(input, dims)), dims)


@unbatched(2)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling: input (N, C, H, W) -> (N, C, OH, OW). The divisor is the window
    size, counting zero padding when count_include_pad (but never the part of a ceil_mode window
    past the padding), or divisor_override."""
    return _avg_pool('avg_pool2d', 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


@unbatched(1)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling: input (N, C, L) -> (N, C, OL); see avg_pool2d."""
    return _avg_pool('avg_pool1d', 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def _adaptive_matrix(n, out, xp, dtype):
    """(out, n) averaging matrix of PyTorch's bins [floor(i*n/out), ceil((i+1)*n/out))."""
    rows = []
    for i in range(out):
        start, end = (i * n) // out, -((-(i + 1) * n) // out)
        rows.append([1.0 / (end - start) if start <= j < end else 0.0 for j in range(n)])
    return make(xp.asarray(rows, dtype=dtype))


def _adaptive_avg(op, dims, input, output_size):
    _check_input(op, input, dims)
    sizes = (output_size,) * dims if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != dims:
        raise ValueError(f"{op}: output_size must be an int or a tuple of {dims}, got "
                         f"{output_size!r}")
    sizes = tuple(n if s is None else s for s, n in zip(sizes, input.shape[2:]))
    positive(tuple(int(s) for s in sizes), 'output_size', op)
    x = _as_2d(input, dims)
    out = (1,) + sizes if dims == 1 else sizes
    (h, w), (oh, ow) = x.shape[2:], out
    if out == (1, 1):
        y = GlobalAvgPool2d()(x)                    # global average pooling
    elif h % oh == 0 and w % ow == 0:              # equal bins: plain average pooling
        y = avg_pool2d(x, (h // oh, w // ow))
    else:                                          # bins of varying size: two small matmuls
        xp = backend.array_module(x.array)
        y = _adaptive_matrix(h, oh, xp, x.dtype) @ x @ _adaptive_matrix(w, ow, xp, x.dtype).mT
    return _from_2d(y, dims)


@unbatched(2)
def adaptive_avg_pool2d(input, output_size):
    """Average over an (OH, OW) grid of bins covering the input (N, C, H, W): bin i spans
    [floor(i*H/OH), ceil((i+1)*H/OH)); output_size 1 is global average pooling."""
    return _adaptive_avg('adaptive_avg_pool2d', 2, input, output_size)


@unbatched(1)
def adaptive_avg_pool1d(input, output_size):
    """Average over output_size bins covering the input (N, C, L); see adaptive_avg_pool2d."""
    return _adaptive_avg('adaptive_avg_pool1d', 1, input, output_size)
