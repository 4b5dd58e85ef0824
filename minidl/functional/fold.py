"""unfold and fold, as torch.nn.functional: the notes' windows matrix itself.

unfold gathers every kernel_size window of the zero-padded input into a column: input
(N, C, H, W) -> (N, C*KH*KW, L), L = OH*OW window positions, row (c, kh, kw) holding input
channel c translated by (kh, kw): the "translate" of the notes laid out as a matrix (im2col).
A convolution is then one matrix product, weight.reshape(O, -1) @ unfold(x) = conv2d(x, weight)
with its OH*OW outputs in a row. fold is the adjoint (col2im): it adds each column's values
back where its window lay, overlapping windows summing; each is the other's gradient. Both are
the convolution's own reference path (functional/conv/reference.py): the windows are gathered
and scattered exactly as conv2d gathers them and its backward scatters them.
"""
from .. import validate
from ..autograd import Function
from .conv.reference import Geometry, col2im, source, unpad, window_matrix

__all__ = ['unfold', 'fold']


class Unfold(Function):
    """x (N, C, H, W) -> the windows matrix (N, C*KH*KW, OH*OW); backward: Fold."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        g = self.geometry
        columns = window_matrix(source(x, g), g)              # (C*KH*KW, OH*OW*N)
        return columns.reshape(columns.shape[0], g.OH * g.OW, g.N).transpose(2, 0, 1)

    def backward(self, gy):
        return Fold(self.geometry)(gy)


class Fold(Function):
    """The windows matrix (N, C*KH*KW, OH*OW) -> (N, C, H, W), each window's values added where
    it lies; backward: Unfold."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, columns):
        g = self.geometry
        windows = columns.transpose(1, 2, 0).reshape(g.C, g.KH, g.KW, g.OH, g.OW, g.N)
        return unpad(col2im(windows, g), g)

    def backward(self, gy):
        return Unfold(self.geometry)(gy)


def _geometry(op, shape, kernel_size, dilation, padding, stride):
    """The Geometry of the windows over an input of ``shape`` (N, C, H, W), checked."""
    kernel = validate.ints(op, 'kernel_size', kernel_size, 2, minimum=1)
    dilation = validate.ints(op, 'dilation', dilation, 2, minimum=1)
    ph, pw = validate.ints(op, 'padding', padding, 2, minimum=0)
    stride = validate.ints(op, 'stride', stride, 2, minimum=1)
    g = Geometry(shape, (1, shape[1]) + kernel, stride, (ph, ph, pw, pw), dilation, 1)
    if g.OH < 1 or g.OW < 1:
        raise ValueError(f"{op}: no {kernel} window (dilation {dilation}) fits in the padded "
                         f"input of size {(g.Hp, g.Wp)} (input of shape {tuple(shape)}, "
                         f"padding {(ph, pw)})")
    return g


def _batched(op, input, ranks):
    """input with a batch dimension (and whether one was added)."""
    validate.tensor(op, 'input', input)
    if input.ndim not in ranks:
        raise ValueError(f"{op}: expected a {ranks[0]}-D (unbatched) or {ranks[1]}-D (batched) "
                         f"input, got shape {tuple(input.shape)}")
    return (input, False) if input.ndim == ranks[1] else (input.unsqueeze(0), True)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The windows of input (N, C, H, W) (or (C, H, W)) as columns: (N, C*KH*KW, L), L the
    number of window positions, OH*OW with OH = (H + 2*padding - dilation*(KH-1) - 1) // stride
    + 1 (likewise OW). kernel_size, dilation, padding, stride: an int or a pair."""
    x, added = _batched('unfold', input, (3, 4))
    out = Unfold(_geometry('unfold', x.shape, kernel_size, dilation, padding, stride))(x)
    return out.squeeze(0) if added else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of unfold: columns (N, C*KH*KW, L) (or (C*KH*KW, L)) summed back into an
    (N, C, *output_size) tensor, each column added where its window lies in the output (with
    the padding cut off); overlapping windows add up. L must be the number of windows."""
    cols, added = _batched('fold', input, (2, 3))
    kernel = validate.ints('fold', 'kernel_size', kernel_size, 2, minimum=1)
    size = validate.ints('fold', 'output_size', output_size, 2, minimum=1)
    rows = cols.shape[1]
    if rows % (kernel[0] * kernel[1]):
        raise ValueError(f"fold: dimension 1 of input of shape {tuple(input.shape)} ({rows}) "
                         f"must be divisible by the kernel's size {kernel[0]}*{kernel[1]}")
    shape = (cols.shape[0], rows // (kernel[0] * kernel[1])) + size
    g = _geometry('fold', shape, kernel, dilation, padding, stride)
    if cols.shape[2] != g.OH * g.OW:
        raise ValueError(f"fold: input of shape {tuple(input.shape)} has {cols.shape[2]} "
                         f"columns, but output_size {size} with kernel_size {kernel}, dilation "
                         f"{g.dilation}, padding {g.padding[::2]} and stride {g.stride} has "
                         f"{g.OH} * {g.OW} = {g.OH * g.OW} windows")
    out = Fold(g)(cols)
    return out.squeeze(0) if added else out
