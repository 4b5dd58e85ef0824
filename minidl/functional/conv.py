"""Convolution as one matrix multiplication (PyTorch's conv1d, conv2d, conv_transpose1d/2d).

The notes' recipe: *translate* the input under the kernel (gather every window with a strided
view, as_strided, no copy until the windows are laid out as a matrix), then contract the windows
with the weights in ONE matrix multiplication, which BLAS (CPU) or cuBLAS (GPU) runs at speed.

Layout, chosen so that the copies run over long contiguous stretches and no GEMM operand is
transposed in memory: activations are handled as (C, H, W, N), batch innermost, and the windows
matrix is (C*KH*KW, OH*OW*N):

    forward       y (O, OH*OW*N)   = W (O, C*K)   @ cols (C*K, OH*OW*N)
    weight grad   gW.T (C*K, O)    = cols         @ gy.T              (BLAS reads the transpose)
    input grad    gcols (C*K, ...) = W.T          @ gy  -> scattered back, one slice-add per
                                                          kernel offset (col2im)

For stride 1 and many channels the input gradient is instead the "full" convolution of gy with
the flipped kernel (one more gather and GEMM): NumPy's slice-adds over short rows cost more than
a gather's copies.

The result is returned as a (N, O, OH, OW) *view* of the (O, OH, OW, N) product: NumPy and CuPy
work with any strides, elementwise layers keep that memory order, and the next convolution then
gathers from it without a transposing copy. Groups are free in this layout (the channel axis
leads): one batched matmul over groups. The windows matrix is built and consumed in blocks of
output rows (and of the batch, for huge inputs) so that it never exceeds WINDOW_BYTES_LIMIT; on
the CPU blocks of CPU_BLOCK_BYTES reuse one buffer (no fresh pages to fault in) while keeping
GEMM calls few (a threaded BLAS pays a synchronisation per call). A windows matrix that is one
block of at most KEEP_WINDOWS_BYTES is kept for the weight gradient, which would otherwise
gather it again. conv1d is conv2d with a height of 1.

Wide, large 3x3 stride-1 layers on the CPU take another route, Winograd's F(2x2, 3x3)
(functional/winograd.py): 16 instead of 36 multiplications per 2x2 output tile, and a first
backward that is the same algorithm transposed, reusing the forward's input transform.

Double backward: Conv2d's backward is two more Functions, ConvTranspose2d (input gradient) and
Conv2dWeightGrad (weight gradient), whose own backwards are written with the three of them.
"""
from .. import backend
from ..autograd import Function, is_grad_enabled
from ..tensor import constant
from . import winograd
from .arguments import int_tuple, parse_conv

WINDOW_BYTES_LIMIT = 256 * 2 ** 20   # bound on the gathered-windows buffer (bytes)
CPU_BLOCK_BYTES = 16 * 2 ** 20       # on the CPU: blocks big enough for few GEMM calls
FULL_CORRELATION_MIN_CHANNELS = 32  # stride-1 input gradients by full correlation from here up
KEEP_WINDOWS_BYTES = 16 * 2 ** 20    # a forward's windows kept for the weight gradient
WINOGRAD_MIN_CHANNELS = 64           # 3x3 stride-1 layers this wide (in and out) and with
WINOGRAD_MIN_OUTPUTS = 16384         # this many outputs per channel (N*OH*OW) use Winograd


# ---------------------------------------------------------------- geometry
class _Geometry:
    """Sizes of one convolution: kernel (KH, KW), stride, padding (top, bottom, left, right),
    dilation, groups, input (N, C, H, W), output channels O and (OH, OW)."""

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups):
        self.N, self.C, self.H, self.W = x_shape
        self.O, _, self.KH, self.KW = w_shape
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        (sh, sw), (pt, pb, pl, pr), (dh, dw) = stride, padding, dilation
        self.Hp, self.Wp = self.H + pt + pb, self.W + pl + pr
        self.OH = (self.Hp - dh * (self.KH - 1) - 1) // sh + 1
        self.OW = (self.Wp - dw * (self.KW - 1) - 1) // sw + 1
        self.K = self.C // groups * self.KH * self.KW     # one group's window length
        # a 1x1 kernel at stride 1 without padding: the input itself is the windows matrix
        self.pointwise = self.KH == self.KW == 1 and stride == (1, 1) and not any(padding)

    def blocks(self, array):
        """(row0, row1, n0, n1) blocks of output rows and batch: as many whole rows as fit the
        block size (cache-sized on the CPU), single rows split over the batch only when one
        row of the whole batch exceeds WINDOW_BYTES_LIMIT."""
        row = self.C * self.KH * self.KW * self.OW * array.dtype.itemsize   # one row, one item
        if row * self.N <= WINDOW_BYTES_LIMIT:
            size = WINDOW_BYTES_LIMIT
            if backend.device_of(array) == 'cpu':
                size = min(size, CPU_BLOCK_BYTES)
            rows = max(1, size // (row * self.N))
            return [(r, min(r + rows, self.OH), 0, self.N) for r in range(0, self.OH, rows)]
        nb = max(1, WINDOW_BYTES_LIMIT // row)
        return [(r, r + 1, n, min(n + nb, self.N)) for r in range(self.OH)
                for n in range(0, self.N, nb)]


def _chwn(x, g):
    """x (N, C, H, W) as a (C, Hp, Wp, N) zero-padded array (a view when there is no padding).
    A negative bottom/right padding (a transposed convolution's output_padding) crops."""
    pt, pb, pl, pr = g.padding
    x = x[:, :, :g.H + min(pb, 0), :g.W + min(pr, 0)]
    xt = x.transpose(1, 2, 3, 0)
    if not (pt or pl or pb > 0 or pr > 0):
        return xt
    out = backend.array_module(x).zeros((g.C, g.Hp, g.Wp, g.N), dtype=x.dtype)
    out[:, pt:pt + x.shape[2], pl:pl + x.shape[3]] = xt
    return out


def _window_view(src, g):
    """The translate: a (C, KH, KW, OH, OW, N) strided view of src (C, Hp, Wp, N) in which
    axes (kh, kw) move within a window and axes (oh, ow) move the window. No copy."""
    sc, sh, sw, sn = src.strides
    (th, tw), (dh, dw) = g.stride, g.dilation
    return backend.array_module(src).lib.stride_tricks.as_strided(
        src, (g.C, g.KH, g.KW, g.OH, g.OW, g.N), (sc, dh * sh, dw * sw, th * sh, tw * sw, sn))


def _block_windows(view, block, buf):
    """The windows matrix (C*KH*KW, rows*OW*n) of one block, copied into ``buf``."""
    r0, r1, n0, n1 = block
    part = view[:, :, :, r0:r1, :, n0:n1]
    cols = buf[:part.size].reshape(part.shape)
    backend.array_module(buf).copyto(cols, part)
    return cols.reshape(view.shape[0] * view.shape[1] * view.shape[2], -1)


def _block_columns(mat4, block):
    """Columns of one block of a (rows, OH, OW, N)-shaped matrix as a 2-D array (a view when the
    block spans the whole batch)."""
    r0, r1, n0, n1 = block
    if n0 == 0 and n1 == mat4.shape[3]:
        width = mat4.shape[2] * mat4.shape[3]
        return mat4.reshape(mat4.shape[0], -1)[:, r0 * width:r1 * width]
    return mat4[:, r0:r1, :, n0:n1].reshape(mat4.shape[0], -1)


def _grouped(a, groups):
    """(groups*m, k) -> (groups, m, k) so that one batched matmul does every group."""
    return a if groups == 1 else a.reshape(groups, a.shape[0] // groups, a.shape[1])


def _gemm(a, b, groups):
    """a @ b group by group: one batched matmul, (groups*m, n) out."""
    result = backend.matmul(_grouped(a, groups), _grouped(b, groups))
    return result.reshape(-1, result.shape[-1])


def _gemm_into(a, b, out):
    """out[...] = a @ b without a temporary on NumPy (BLAS writes straight into the view)."""
    if backend.device_of(out) == 'cpu':
        return backend.matmul(a, b, out=out)
    out[...] = a @ b
    return out


def _grad_matrix(gy):
    """gy (N, O, OH, OW) as a contiguous (O, OH, OW, N) array (no copy when gy already has a
    conv output's layout)."""
    return backend.array_module(gy).ascontiguousarray(gy.transpose(1, 2, 3, 0))


def _conv_matrix(src, wmat, g, keep=None):
    """The (O, OH*OW*N) product of wmat (O, C/groups*KH*KW) with the windows of the padded
    (C, Hp, Wp, N) source: gather a block of windows, one GEMM, next block. With a list
    ``keep``, a windows matrix that is one block of at most KEEP_WINDOWS_BYTES is appended to
    it (for the weight gradient, which would gather the same windows again)."""
    if g.pointwise:
        return _gemm(wmat, src.reshape(g.C, -1), g.groups)
    xp = backend.array_module(src)
    out = xp.empty((g.O, g.OH * g.OW * g.N), dtype=src.dtype)
    out4 = out.reshape(g.O, g.OH, g.OW, g.N)
    view, blocks = _window_view(src, g), g.blocks(src)
    buf = xp.empty(_largest(blocks, g), dtype=src.dtype)
    for block in blocks:
        cols = _block_windows(view, block, buf)
        if g.groups == 1 and block[3] - block[2] == g.N:   # BLAS writes into the output
            _gemm_into(wmat, cols, _block_columns(out4, block))
        else:
            _assign_block(out4, block, _gemm(wmat, cols, g.groups))
    if keep is not None and len(blocks) == 1 and cols.nbytes <= KEEP_WINDOWS_BYTES:
        keep.append(cols)
    return out


def _largest(blocks, g):
    """Elements of the biggest block's windows matrix."""
    return max((r1 - r0) * (n1 - n0) for r0, r1, n0, n1 in blocks) * g.C * g.KH * g.KW * g.OW


def _assign_block(mat4, block, values):
    r0, r1, n0, n1 = block
    mat4[:, r0:r1, :, n0:n1] = values.reshape(mat4.shape[0], r1 - r0, mat4.shape[2], n1 - n0)


def _full_correlation(gm, w, g):
    """Stride 1: the input gradient is the convolution of gy, padded by d*(k-1) - padding (cropped
    where that is negative), with the kernel flipped and its channel axes swapped. Returns
    (C, H*W*N). One gather and one GEMM, like the forward pass, and no slice-adds."""
    xp = backend.array_module(gm)
    (dh, dw), (pt, pb, pl, pr) = g.dilation, g.padding
    eh, ew = dh * (g.KH - 1), dw * (g.KW - 1)
    pads = (eh - pt, eh - pb, ew - pl, ew - pr)
    hs, ws = g.OH + pads[0] + pads[1], g.OW + pads[2] + pads[3]     # = H + eh, W + ew
    if pads == (0, 0, 0, 0):
        src = gm
    else:
        src = xp.zeros((g.O, hs, ws, g.N), dtype=gm.dtype)
        top, left = max(pads[0], 0), max(pads[2], 0)
        part = gm[:, max(-pads[0], 0):g.OH - max(-pads[1], 0),
                  max(-pads[2], 0):g.OW - max(-pads[3], 0)]
        src[:, top:top + part.shape[1], left:left + part.shape[2]] = part
    groups, og, cg = g.groups, g.O // g.groups, g.C // g.groups
    flipped = w.reshape(groups, og, cg, g.KH, g.KW)[..., ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    wmat = xp.ascontiguousarray(flipped).reshape(g.C, og * g.KH * g.KW)
    g2 = _Geometry((g.N, g.O, hs, ws), (g.C, og, g.KH, g.KW), (1, 1), (0, 0, 0, 0),
                   g.dilation, groups)
    return _conv_matrix(src, wmat, g2)


# ---------------------------------------------------------------- Winograd F(2x2, 3x3)
def _winograd_suits(g, x):
    """Wide, large 3x3 stride-1 layers on the CPU: there 16 instead of 36 multiplications per
    2x2 output tile outweigh the transforms' passes over memory (functional/winograd.py).
    Measured on a 2-core Xeon, forward + backward, Winograd / im2col: (N, C=O, H=W) =
    (32, 64, 32) 0.88 on one thread, 1.0 on two; (16, 64, 32) 0.83 and 0.94; (32, 64, 16)
    0.86 but 1.25; 32 channels or fewer 1.04-1.5."""
    return (g.KH == g.KW == 3 and g.stride == (1, 1) and g.dilation == (1, 1) and g.groups == 1
            and min(g.C, g.O) >= WINOGRAD_MIN_CHANNELS and min(g.padding) >= 0
            and g.N * g.OH * g.OW >= WINOGRAD_MIN_OUTPUTS and backend.device_of(x) == 'cpu')


def _winograd_geometry(x_shape, w_shape, g):
    """g with one more zero row (column) of bottom (right) padding when OH (OW) is odd: the
    padded source (C, 2TH+2, 2TW+2, N) that whole 2x2 tiles need."""
    th, tw = winograd.tiles(g.OH, g.OW)
    pt, pb, pl, pr = g.padding
    return _Geometry(x_shape, w_shape, g.stride, (pt, pb + 2 * th - g.OH, pl, pr + 2 * tw - g.OW),
                     g.dilation, g.groups)


# ---------------------------------------------------------------- the three Functions
class Conv2d(Function):
    """y = conv2d(x, w) + b on arrays x (N, C, H, W), w (O, C/groups, KH, KW), b (O,)."""

    def __init__(self, stride, padding, dilation, groups, keep_source=False):
        self.params = (stride, padding, dilation, groups)
        self.keep_source, self.src = keep_source, None
        self.tiles = None      # the Winograd input transform V, kept for the weight gradient

    def forward(self, x, w, b=None):
        g = _Geometry(x.shape, w.shape, *self.params)
        if _winograd_suits(g, x):
            y, tiles = winograd.conv3x3(_chwn(x, _winograd_geometry(x.shape, w.shape, g)), w)
            self.winograd, self.tiles = True, tiles if self.keep_source else None
            out = y[:, :g.OH, :g.OW]
            if b is not None:
                out += b.reshape(-1, 1, 1, 1)
            return out.transpose(3, 0, 1, 2)
        self.winograd = False
        src = _chwn(x, g)
        kept = [] if self.keep_source else None
        out = _conv_matrix(src, w.reshape(g.O, g.K), g, kept)
        if kept:
            self.src = kept[0]   # the windows themselves: the weight gradient needs no gather
        elif self.keep_source and src.base is not x:
            self.src = src     # the padded copy: the weight gradient reads it again
        if b is not None:
            out += b.reshape(-1, 1)      # in place on the fresh product
        return out.reshape(g.O, g.OH, g.OW, g.N).transpose(3, 0, 1, 2)

    def backward(self, gy):
        x, w = self.inputs[:2]
        want_bias = len(self.inputs) == 3 and self.inputs[2].requires_grad
        if self.winograd and not is_grad_enabled() and (self.tiles is not None
                                                        or not w.requires_grad):
            # first derivatives only (no create_graph): the transposed Winograd algorithm
            gx, gw, gb = self._winograd_backward(gy.array, want_bias)
        else:
            gb = gy.sum((0, 2, 3)) if want_bias else None
            # both gradients read gy as an (O, OH, OW, N) matrix: lay it out once for the two
            gm = _grad_matrix(gy.array) if x.requires_grad and w.requires_grad else None
            gx = ConvTranspose2d(self.params, x.shape, gm)(gy, w) if x.requires_grad else None
            gw = None
            if w.requires_grad:
                gw = Conv2dWeightGrad(self.params, w.shape, gm, self.src)(x, gy)
        # handed over once: a retained graph's next backward gathers from x again (im2col)
        self.src = self.tiles = None
        return (gx, gw) if len(self.inputs) == 2 else (gx, gw, gb)

    def _winograd_backward(self, gy, want_bias):
        """(gx, gw, gb) as constant Tensors (or None) from gy (N, O, OH, OW) by
        conv3x3_backward; gb summed over gy laid out as (O, OH, OW, N), contiguous rows."""
        x, w = self.inputs[:2]
        g = _Geometry(x.shape, w.shape, *self.params)
        gt = _winograd_geometry(x.shape, w.shape, g)
        xp = backend.array_module(gy)
        th, tw = winograd.tiles(g.OH, g.OW)
        if (2 * th, 2 * tw) == (g.OH, g.OW):
            gm = _grad_matrix(gy)
        else:       # a zero row (column) below (right of) an odd output: whole tiles
            gm = xp.zeros((g.O, 2 * th, 2 * tw, g.N), dtype=gy.dtype)
            gm[:, :g.OH, :g.OW] = gy.transpose(1, 2, 3, 0)
        gsrc, gw = winograd.conv3x3_backward(gm, w.array, self.tiles, x.requires_grad,
                                             w.requires_grad)
        gx = None
        if gsrc is not None:
            pt, pl = gt.padding[0], gt.padding[2]
            gx = constant(gsrc[:, pt:pt + g.H, pl:pl + g.W].transpose(3, 0, 1, 2))
        gb = constant(gm.reshape(g.O, -1).sum(1)) if want_bias else None
        return gx, (constant(gw) if gw is not None else None), gb


class ConvTranspose2d(Function):
    """The adjoint of Conv2d in x: gy (N, O, OH, OW), w -> gx of ``x_shape`` (col2im of W.T@gy)."""

    def __init__(self, params, x_shape, gm=None):
        self.params, self.x_shape, self.gm = params, tuple(x_shape), gm

    def forward(self, gy, w):
        g = _Geometry(self.x_shape, w.shape, *self.params)
        xp = backend.array_module(gy)
        wt = _grouped(w.reshape(g.O, g.K), g.groups)
        wt = wt.T if g.groups == 1 else wt.transpose(0, 2, 1)
        gm = _grad_matrix(gy) if self.gm is None else self.gm
        self.gm = None
        if g.pointwise:
            gx = backend.matmul(wt, _grouped(gm.reshape(g.O, -1), g.groups)).reshape(g.C, -1)
            return gx.reshape(g.C, g.H, g.W, g.N).transpose(3, 0, 1, 2)
        if g.stride == (1, 1) and g.C >= FULL_CORRELATION_MIN_CHANNELS:
            gx = _full_correlation(gm, w, g)
            return gx.reshape(g.C, g.H, g.W, g.N).transpose(3, 0, 1, 2)
        (sh, sw), (pt, _, pl, _), (dh, dw) = g.stride, g.padding, g.dilation
        gx = xp.zeros((g.C, max(g.Hp, pt + g.H), max(g.Wp, pl + g.W), g.N), dtype=gy.dtype)
        blocks = g.blocks(gy)
        buf = xp.empty(_largest(blocks, g), dtype=gy.dtype)
        for block in blocks:
            r0, r1, n0, n1 = block
            gcols = buf[:(r1 - r0) * (n1 - n0) * g.C * g.KH * g.KW * g.OW]
            gcols = gcols.reshape(g.groups, -1, (r1 - r0) * g.OW * (n1 - n0))
            gblock = _grouped(_block_columns(gm, block), g.groups)
            if g.groups == 1:
                _gemm_into(wt, gblock, gcols[0])
            else:
                gcols[...] = backend.matmul(wt, gblock)
            gcols = gcols.reshape(g.C, g.KH, g.KW, r1 - r0, g.OW, n1 - n0)
            # scatter back: one strided slice-add per kernel offset (overlaps accumulate)
            for i in range(g.KH):
                rows = slice(r0 * sh + i * dh, (r1 - 1) * sh + i * dh + 1, sh)
                for j in range(g.KW):
                    cols = slice(j * dw, j * dw + sw * (g.OW - 1) + 1, sw)
                    gx[:, rows, cols, n0:n1] += gcols[:, i, j]
        return gx[:, pt:pt + g.H, pl:pl + g.W].transpose(3, 0, 1, 2)

    def backward(self, ggx):
        gy, w = self.inputs
        g_gy = Conv2d(*self.params)(ggx, w) if gy.requires_grad else None
        g_w = Conv2dWeightGrad(self.params, w.shape)(ggx, gy) if w.requires_grad else None
        return g_gy, g_w


class Conv2dWeightGrad(Function):
    """The adjoint of Conv2d in w: x, gy -> gW (O, C/groups, KH, KW) = gy @ windows(x).T.
    ``src``, from the forward pass: its padded (C, Hp, Wp, N) source, or its whole windows
    matrix (2-D)."""

    def __init__(self, params, w_shape, gm=None, src=None):
        self.params, self.w_shape, self.gm, self.src = params, tuple(w_shape), gm, src

    def forward(self, x, gy):
        g = _Geometry(x.shape, self.w_shape, *self.params)
        xp = backend.array_module(x)
        gm = _grad_matrix(gy) if self.gm is None else self.gm
        src = _chwn(x, g) if self.src is None else self.src
        self.gm = self.src = None
        if g.pointwise or src.ndim == 2:     # src is (or reshapes to) the windows matrix
            blocks, view, flat = [(0, g.OH, 0, g.N)], None, src.reshape(len(src), -1)
        else:
            view, blocks = _window_view(src, g), g.blocks(x)
            buf = xp.empty(_largest(blocks, g), dtype=x.dtype)
        gwt = None
        for block in blocks:
            cols = flat if view is None else _block_windows(view, block, buf)
            gblock = _grouped(_block_columns(gm, block), g.groups)
            # (C*K, m) @ (m, O): BLAS is faster this way round than gy @ cols.T
            part = backend.matmul(_grouped(cols, g.groups), gblock.swapaxes(-1, -2))
            gwt = part if gwt is None else gwt + part
        gw = gwt.T if g.groups == 1 else gwt.transpose(0, 2, 1)
        return xp.ascontiguousarray(gw).reshape(self.w_shape)

    def backward(self, ggw):
        x, gy = self.inputs
        g_x = ConvTranspose2d(self.params, x.shape)(gy, ggw) if x.requires_grad else None
        g_gy = Conv2d(*self.params)(x, ggw) if gy.requires_grad else None
        return g_x, g_gy


def _as_2d(x, w, stride, dilation):
    """conv1d as conv2d with height 1: (N, C, L) -> (N, C, 1, L)."""
    return (x.unsqueeze(2), w.unsqueeze(2), (1,) + stride, (1,) + dilation)


def _run(params, x, w, b):
    # keep what the weight gradient reads again (the windows, the padded input or Winograd's
    # input transform) only when one will be computed
    fn = Conv2d(*params, keep_source=is_grad_enabled() and w.requires_grad)
    return fn(x, w) if b is None else fn(x, w, b)


# ---------------------------------------------------------------- public API
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch): input (N, C_in, H, W), weight
    (C_out, C_in/groups, KH, KW), bias (C_out,) -> (N, C_out, OH, OW) with
    OH = (H + pad_top + pad_bottom - dilation*(KH-1) - 1) // stride + 1 (likewise OW).
    stride, dilation: int or (h, w); padding: int, (h, w), 'valid' or 'same' (stride 1 only).
    """
    stride, padding, dilation = parse_conv('conv2d', input, weight, bias, stride, padding,
                                           dilation, groups, 2)
    return _run((stride, padding, dilation, groups), input, weight, bias)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: input (N, C_in, L), weight (C_out, C_in/groups, K), bias (C_out,) ->
    (N, C_out, OL), OL = (L + 2*padding - dilation*(K-1) - 1) // stride + 1. Computed as
    conv2d with a height of 1."""
    stride, padding, dilation = parse_conv('conv1d', input, weight, bias, stride, padding,
                                           dilation, groups, 1)
    x, w, stride, dilation = _as_2d(input, weight, stride, dilation)
    return _run((stride, padding, dilation, groups), x, w, bias).squeeze(2)


def _transposed(op, input, weight, bias, stride, padding, output_padding, groups, dilation, dims):
    stride, padding, dilation = parse_conv(op, input, weight, bias, stride, padding, dilation,
                                           groups, dims, transposed=True)
    out_pad = int_tuple(output_padding, dims, 'output_padding', op)
    for op_, s, d in zip(out_pad, stride, dilation):
        if op_ < 0 or (op_ >= s and op_ >= d):
            raise ValueError(f"{op}: output_padding must be non-negative and smaller than either "
                             f"stride or dilation, got output_padding={out_pad}, stride={stride}, "
                             f"dilation={dilation}")
    x, w = input, weight
    if dims == 1:
        x, w, stride, dilation = _as_2d(x, w, stride, dilation)
        out_pad = (0,) + out_pad
    (pt, pb, pl, pr) = padding
    size = [(n - 1) * s - a - z + d * (k - 1) + o + 1 for n, s, (a, z), d, k, o in
            zip(x.shape[2:], stride, ((pt, pb), (pl, pr)), dilation, w.shape[2:], out_pad)]
    if min(size) <= 0:
        raise ValueError(f"{op}: the output size {tuple(size[2 - dims:])} would not be positive "
                         f"(input {tuple(input.shape[2:])}, padding too large)")
    x_shape = (x.shape[0], w.shape[1] * groups, *size)
    # the output_padding rows/columns are a conv input's extra bottom/right part that no window
    # reaches: a negative padding there keeps the geometry consistent
    padding = (pt, pb - out_pad[0], pl, pr - out_pad[1])
    y = ConvTranspose2d((stride, padding, dilation, groups), x_shape)(x, w)
    if bias is not None:
        y = y + bias.reshape(-1, 1, 1)
    return y.squeeze(2) if dims == 1 else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution (the gradient of conv2d in its input), as PyTorch: input
    (N, C_in, H, W), weight (C_in, C_out/groups, KH, KW) -> (N, C_out, OH, OW) with
    OH = (H-1)*stride - 2*padding + dilation*(KH-1) + output_padding + 1."""
    return _transposed('conv_transpose2d', input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution: input (N, C_in, L), weight (C_in, C_out/groups, K) ->
    (N, C_out, (L-1)*stride - 2*padding + dilation*(K-1) + output_padding + 1)."""
    return _transposed('conv_transpose1d', input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 1)
