"""Convolution as one matrix product: the plain path, on arrays, to read top to bottom.

The notes' recipe. *Translate* the input under the kernel: every window of the zero-padded input
is one position of a strided view (``windows``, no copy). Lay the windows out as the columns of a
matrix (``window_matrix``, im2col: the one copy) and contract them with the kernels in ONE matrix
product, which BLAS (CPU) or cuBLAS (GPU) runs at speed:

    forward          y (O, OH*OW*N)  = W (O, C*KH*KW) @ windows (C*KH*KW, OH*OW*N)
    weight gradient  gW (O, C*KH*KW) = grad_y (O, OH*OW*N) @ windows.T
    input gradient   grad_windows    = W.T @ grad_y, each window's gradient added back where the
                     window lay (col2im, the adjoint of the translate): the transposed convolution

Layout. The channels lead and the batch comes last: the padded input is a (C, Hp, Wp, N) array
(``source``), the windows matrix's columns run over (oh, ow, n), and a product is (O, OH, OW, N).
With this order the gather copies runs of N numbers at a time (of OW*N when the stride is 1)
rather than of OW, and the batch needs no loop: one product for the whole layer. Callers
hand out the (O, OH, OW, N) result as an (N, O, OH, OW) *view*; the next layer reads it in this
order again without a transposing copy.

Groups. Input channels, output channels and so the rows of both matrices come in ``groups``
consecutive blocks, and group k's outputs see only group k's inputs: one batched matmul of
(groups, O/groups, K) by (groups, K, OH*OW*N), K = C/groups*KH*KW (depthwise: groups = C).

The faster ways of computing the same products (Winograd, bounded blocks, a kept windows
matrix) are in strategies.py; tests/test_conv_strategies.py checks each against this file.
"""
from ... import backend


class Geometry:
    """The sizes of one convolution: input (N, C, H, W), kernels (O, C/groups, KH, KW), stride
    (sh, sw), padding (top, bottom, left, right), dilation (dh, dw) and groups; the padded
    input (Hp, Wp) = (H + top + bottom, W + left + right) and the output (OH, OW) with
    OH = (Hp - dh*(KH-1) - 1) // sh + 1 (likewise OW). A negative padding crops the input."""

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups):
        self.N, self.C, self.H, self.W = x_shape
        self.O, _, self.KH, self.KW = w_shape
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        (sh, sw), (top, bottom, left, right), (dh, dw) = stride, padding, dilation
        self.Hp, self.Wp = self.H + top + bottom, self.W + left + right
        self.OH = (self.Hp - dh * (self.KH - 1) - 1) // sh + 1
        self.OW = (self.Wp - dw * (self.KW - 1) - 1) // sw + 1

    def __repr__(self):
        return (f"Geometry(x={(self.N, self.C, self.H, self.W)}, w={(self.O, self.KH, self.KW)}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"groups={self.groups})")


def source(x, g):
    """x (N, C, H, W) as the (C, Hp, Wp, N) zero-padded array the windows are read from: a view
    of x when there is nothing to pad (a negative padding crops)."""
    top, bottom, left, right = g.padding
    x = x[:, :, max(-top, 0):g.H - max(-bottom, 0), max(-left, 0):g.W - max(-right, 0)]
    x = x.transpose(1, 2, 3, 0)
    if max(g.padding) <= 0:
        return x
    src = backend.array_module(x).zeros((g.C, g.Hp, g.Wp, g.N), dtype=x.dtype)
    top, left = max(top, 0), max(left, 0)
    src[:, top:top + x.shape[1], left:left + x.shape[2]] = x
    return src


def unpad(grad_src, g):
    """The gradient of x (N, C, H, W) from the gradient of its source (C, Hp, Wp, N): the
    padding cut off (and zeros where source() cropped)."""
    top, bottom, left, right = g.padding
    inner = grad_src[:, max(top, 0):g.Hp - max(bottom, 0), max(left, 0):g.Wp - max(right, 0)]
    if min(g.padding) >= 0:
        return inner.transpose(3, 0, 1, 2)
    grad_x = backend.array_module(grad_src).zeros((g.C, g.H, g.W, g.N), dtype=grad_src.dtype)
    top, left = max(-top, 0), max(-left, 0)
    grad_x[:, top:top + inner.shape[1], left:left + inner.shape[2]] = inner
    return grad_x.transpose(3, 0, 1, 2)


def windows(src, g):
    """The translate: a (C, KH, KW, OH, OW, N) strided view of src (C, Hp, Wp, N) in which axes
    (kh, kw) move within a window and axes (oh, ow) move the window. No copy."""
    sc, sh, sw, sn = src.strides
    (th, tw), (dh, dw) = g.stride, g.dilation
    return backend.array_module(src).lib.stride_tricks.as_strided(
        src, (g.C, g.KH, g.KW, g.OH, g.OW, g.N), (sc, dh * sh, dw * sw, th * sh, tw * sw, sn))


def window_matrix(src, g):
    """The windows of src (C, Hp, Wp, N) as a (C*KH*KW, OH*OW*N) matrix (im2col). A copy, except
    for a 1x1 kernel at stride 1 over an unpadded input in this layout: that is the matrix."""
    view = backend.array_module(src).ascontiguousarray(windows(src, g))
    return view.reshape(g.C * g.KH * g.KW, g.OH * g.OW * g.N)


def grouped(matrix, groups):
    """(groups*m, n) -> (groups, m, n): group k's rows, so that one batched matmul does all."""
    return matrix.reshape(groups, matrix.shape[0] // groups, matrix.shape[1])


def convolve(window_mat, weight, g):
    """The forward product: y (O, OH, OW, N) = weight (O, C/groups, KH, KW) as an (O, K) matrix
    @ the window matrix (C*KH*KW, OH*OW*N), group by group."""
    y = backend.matmul(grouped(weight.reshape(g.O, -1), g.groups), grouped(window_mat, g.groups))
    return y.reshape(g.O, g.OH, g.OW, g.N)


def weight_gradient(window_mat, grad_y, g):
    """gW (O, C/groups, KH, KW) = grad_y (O, OH, OW, N) as an (O, OH*OW*N) matrix @ the window
    matrix transposed, group by group."""
    gy, windows = grouped(grad_y.reshape(g.O, -1), g.groups), grouped(window_mat, g.groups)
    return backend.matmul(gy, windows.swapaxes(1, 2)).reshape(g.O, -1, g.KH, g.KW)


def transposed(grad_y, weight, g):
    """The input gradient, a transposed convolution: grad_y (O, OH, OW, N) -> the gradient of
    the source (C, Hp, Wp, N). grad_windows = W.T @ grad_y, then col2im."""
    w = grouped(weight.reshape(g.O, -1), g.groups).swapaxes(1, 2)    # (groups, K, O/groups)
    grad_windows = backend.matmul(w, grouped(grad_y.reshape(g.O, -1), g.groups))
    return col2im(grad_windows.reshape(g.C, g.KH, g.KW, g.OH, g.OW, g.N), g)


def col2im(grad_windows, g):
    """The adjoint of the translate: grad_windows (C, KH, KW, OH, OW, N) -> (C, Hp, Wp, N), the
    value at window element (kh, kw) of every window added where the translate read it, one
    strided slice-add per kernel offset (overlapping windows accumulate). F.fold is this."""
    grad_src = backend.array_module(grad_windows).zeros((g.C, g.Hp, g.Wp, g.N),
                                                        dtype=grad_windows.dtype)
    (sh, sw), (dh, dw) = g.stride, g.dilation
    for i in range(g.KH):
        rows = slice(i * dh, i * dh + sh * (g.OH - 1) + 1, sh)
        for j in range(g.KW):
            cols = slice(j * dw, j * dw + sw * (g.OW - 1) + 1, sw)
            grad_src[:, rows, cols] += grad_windows[:, i, j]
    return grad_src
