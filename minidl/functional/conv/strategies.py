"""Faster ways of computing reference.py's products, and the one dispatch that picks them.

- Winograd F(2x2, 3x3) (winograd.py): a 3x3 stride-1 convolution with 16 multiplications per
  2x2 output tile instead of 36, at the price of transforms (extra passes over memory). Its
  backward computes both gradients together, sharing the transform of grad_y.
- Blocks: the windows matrix is KH*KW times the size of the input; past a bound the products
  run over blocks of output rows (and of the batch, when one row of the whole batch is too big),
  each block a sub-convolution done by reference.py.
- A kept windows matrix: the forward's windows are what the weight gradient multiplies by, so
  one that fits in a single block is kept rather than gathered again.

The forward returns with its result a record of what its backward needs (``KeptWindows``,
``WinogradTiles`` or None); the Function keeps it on its node and hands it back. Arrays are in
reference.py's layout: sources (C, Hp, Wp, N), products (O, OH, OW, N).
"""
from collections import namedtuple

from ... import backend
from . import winograd
from .reference import (Geometry, convolve, source, transposed, unpad, weight_gradient,
                        window_matrix)

WINDOW_BYTES_LIMIT = 256 * 2 ** 20   # the most a windows matrix may take (bytes)
CPU_WINDOW_BYTES = 16 * 2 ** 20      # on the CPU: below malloc's mmap threshold (cpu.py)
KEEP_WINDOWS_BYTES = 16 * 2 ** 20    # a forward's windows kept for the weight gradient
WINOGRAD_MIN_CHANNELS = 16           # 3x3 stride-1 layers at least this wide (in and out),
WINOGRAD_MIN_OUTPUTS = 1024          # with this many outputs per channel (N*OH*OW)
WINOGRAD_MIN_MACS = 2 ** 22          # and this many multiply-adds per kernel offset
                                     # (C*O*N*OH*OW) use Winograd on the CPU

KeptWindows = namedtuple('KeptWindows', 'matrix')     # the forward's (C*KH*KW, OH*OW*N) windows
WinogradTiles = namedtuple('WinogradTiles', 'tiles')  # its input transform (16, C, TH, TW, N)
Plan = namedtuple('Plan', 'winograd blocks')


def choose(g, array):
    """How convolution g runs on arrays like ``array``: by Winograd or not, and in which blocks
    of the output (one block: the reference path as it stands)."""
    on_cpu = backend.device_of(array) == 'cpu'
    # 16 instead of 36 multiplications per 2x2 output tile, but the transforms pass over memory
    # several times: over the input and output (C + O channels of every tile), which a few
    # channels do not repay (a first layer of 1 or 3 channels ran 2-5x slower by Winograd), and
    # over the kernels (C*O of them), which a few tiles do not repay (8 images of 4x4, 256
    # channels: 2x slower); below about 2^22 multiply-adds per offset the fixed cost of its
    # hundred-odd NumPy calls shows. On a GPU each pass is a kernel launch and cuBLAS
    # multiplies fast: no Winograd there.
    shape = (g.KH, g.KW, g.stride, g.dilation, g.groups)
    outputs = g.N * g.OH * g.OW
    winograd = (on_cpu and shape == (3, 3, (1, 1), (1, 1), 1)
                and min(g.C, g.O) >= WINOGRAD_MIN_CHANNELS and outputs >= WINOGRAD_MIN_OUTPUTS
                and g.C * g.O * outputs >= WINOGRAD_MIN_MACS)
    limit = CPU_WINDOW_BYTES if on_cpu else WINDOW_BYTES_LIMIT
    return Plan(winograd, blocks(g, array.dtype.itemsize, limit))


def blocks(g, itemsize, limit):
    """[(rows, batch)] slices of the output whose windows matrices take at most ``limit`` bytes:
    as many whole output rows as fit, or single rows over part of the batch when one row of the
    whole batch does not fit."""
    row = g.C * g.KH * g.KW * g.OW * itemsize          # one output row of one batch item
    if row * g.N == 0:                                 # nothing to gather (a batch of 0...)
        return [(slice(0, g.OH), slice(0, g.N))]
    if row * g.N <= limit:
        step = max(1, limit // (row * g.N))
        return [(slice(r, min(r + step, g.OH)), slice(0, g.N)) for r in range(0, g.OH, step)]
    step = max(1, limit // row)
    return [(slice(r, r + 1), slice(n, min(n + step, g.N))) for r in range(g.OH)
            for n in range(0, g.N, step)]


def _block(src, g, rows, batch):
    """The sub-convolution that makes output ``rows`` of the ``batch`` items: its part of the
    source (C, Hp, Wp, N) (a view) and its geometry (the padding is in the source already)."""
    (sh, _), (dh, _) = g.stride, g.dilation
    height = (rows.stop - rows.start - 1) * sh + dh * (g.KH - 1) + 1
    part = src[:, rows.start * sh:rows.start * sh + height, :, batch]
    return part, Geometry((part.shape[3], g.C, height, g.Wp), (g.O, None, g.KH, g.KW), g.stride,
                          (0, 0, 0, 0), g.dilation, g.groups)


# ---------------------------------------------------------------- the products
def forward(x, weight, g, keep_for_weight_grad=False):
    """(y, record): y (O, OH, OW, N), the convolution g of x (N, C, H, W) with weight
    (O, C/groups, KH, KW), and the record for ``gradients`` (None unless keep_for_weight_grad:
    a weight gradient will be computed)."""
    plan = choose(g, x)
    if plan.winograd:
        y, tiles = winograd.conv3x3(source(x, _winograd_geometry(g)), weight)
        return y[:, :g.OH, :g.OW], (WinogradTiles(tiles) if keep_for_weight_grad else None)
    src = source(x, g)
    if len(plan.blocks) == 1:
        windows = window_matrix(src, g)
        keep = keep_for_weight_grad and windows.nbytes <= KEEP_WINDOWS_BYTES
        return convolve(windows, weight, g), (KeptWindows(windows) if keep else None)
    y = backend.array_module(x).empty((g.O, g.OH, g.OW, g.N), dtype=x.dtype)
    for rows, batch in plan.blocks:
        part, pg = _block(src, g, rows, batch)
        y[:, rows, :, batch] = convolve(window_matrix(part, pg), weight, pg)
    return y, None


def gradients(x, weight, grad_y, g, record, need_input, need_weight):
    """(grad_x, grad_w), each None when not needed, of the convolution g whose forward made
    ``record``, from grad_y (O, OH, OW, N); x is read only for grad_w, weight only for grad_x."""
    if isinstance(record, WinogradTiles) or (not need_weight and choose(g, grad_y).winograd):
        tiles = record.tiles if need_weight else None
        grad_src, grad_w = winograd.conv3x3_backward(_even(grad_y, g),
                                                     weight if need_input else None, tiles)
        return (unpad(grad_src, _winograd_geometry(g)) if need_input else None), grad_w
    grad_x = input_gradient(grad_y, weight, g) if need_input else None
    grad_w = weight_gradient_of(x, grad_y, g, record) if need_weight else None
    return grad_x, grad_w


def input_gradient(grad_y, weight, g):
    """The gradient of x (N, C, H, W) from grad_y (O, OH, OW, N): the transposed convolution."""
    parts = choose(g, grad_y).blocks
    if len(parts) == 1:
        return unpad(transposed(grad_y, weight, g), g)
    grad_src = backend.array_module(grad_y).zeros((g.C, g.Hp, g.Wp, g.N), dtype=grad_y.dtype)
    for rows, batch in parts:
        part, pg = _block(grad_src, g, rows, batch)
        part += transposed(grad_y[:, rows, :, batch], weight, pg)   # blocks' rows overlap
    return unpad(grad_src, g)


def weight_gradient_of(x, grad_y, g, record=None):
    """gW (O, C/groups, KH, KW) from x (N, C, H, W) and grad_y (O, OH, OW, N), or from the kept
    windows of a KeptWindows record."""
    if isinstance(record, KeptWindows):
        return weight_gradient(record.matrix, grad_y, g)
    src, total = source(x, g), None
    for rows, batch in choose(g, x).blocks:
        part, pg = _block(src, g, rows, batch)
        gw = weight_gradient(window_matrix(part, pg), grad_y[:, rows, :, batch], pg)
        if total is None:
            total = gw
        else:
            total += gw
    return total


# ---------------------------------------------------------------- Winograd's sizes
def _winograd_geometry(g):
    """g with one more zero row (column) of bottom (right) padding when OH (OW) is odd: the
    source (C, 2TH+2, 2TW+2, N) that whole 2x2 tiles need."""
    th, tw = winograd.tiles(g.OH, g.OW)
    top, bottom, left, right = g.padding
    return Geometry((g.N, g.C, g.H, g.W), (g.O, g.C, 3, 3), g.stride,
                    (top, bottom + 2 * th - g.OH, left, right + 2 * tw - g.OW), g.dilation, 1)


def _even(grad_y, g):
    """grad_y (O, OH, OW, N) with a zero row (column) below (right of) an odd size: whole tiles,
    whose extra output row (column) contributes nothing."""
    th, tw = winograd.tiles(g.OH, g.OW)
    if (2 * th, 2 * tw) == (g.OH, g.OW):
        return grad_y
    even = backend.array_module(grad_y).zeros((g.O, 2 * th, 2 * tw, g.N), dtype=grad_y.dtype)
    even[:, :g.OH, :g.OW] = grad_y
    return even
