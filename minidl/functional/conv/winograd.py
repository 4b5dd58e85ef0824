"""Winograd's minimal filtering F(2x2, 3x3): a 3x3 convolution with 16 multiplications per 2x2
output tile instead of 36, and its exact adjoint.

Scope: kernel 3x3, stride 1, dilation 1, groups 1, cross-correlation as in PyTorch (the kernel is
not flipped). Plain arrays in the (C, H, W, N) layout of reference.py (channels first, batch
innermost); no Tensors, no autograd: strategies.py wires these into the convolution.

The algorithm. Cut the padded source into 4x4 tiles d at stride 2 (neighbours overlap by two
rows or columns); each gives the 2x2 output tile

    Y = A^T [ sum over input channels of (G g G^T) (.) (B^T d B) ] A        ((.): elementwise)

with g the 3x3 kernel of one (output, input) channel pair and

    B^T = [[1, 0, -1, 0],     G = [[ 1,   0,   0 ],     A^T = [[1, 1,  1,  0],
           [0, 1,  1, 0],          [ .5,  .5,  .5],            [0, 1, -1, -1]]
           [0, -1, 1, 0],          [ .5, -.5,  .5],
           [0, 1,  0, -1]]         [ 0,   0,   1 ]]

U = G g G^T (filter_transform) and V = B^T d B (input_transform) are 4x4; element (a, b) of
every tile is kept at index 4*a + b of a leading axis of 16, so the channel sum becomes 16
independent matrix products, one batched GEMM:

    M[k] (O, T) = U[k] (O, C) @ V[k] (C, T),      T = TH * TW * N,  k = 0 .. 15

and output_transform applies A^T . A to M. The backward pass is the same algorithm transposed.
With the upstream gradient dY of each output tile:

    Gy = A dY A^T                                   grad_output_transform   (16, O, T)
    dU[k] = Gy[k] @ V[k]^T     -> dg = G^T dU G     filter_grad_transform   (O, C, 3, 3)
    dV[k] = U[k]^T @ Gy[k]     -> dd = B dV B^T     input_grad_transform    (C, Hp, Wp, N)

where the input gradient of the overlapping tiles is added up, and Gy serves both gradients.
V is the forward's own input transform: keep it from the forward rather than transform the
source again.

Every 2-sided transform of the data is a row pass and a column pass over whole arrays: the same
row (column) of every tile is one strided slice, so Python loops run over the 4 or 16 positions
within a tile, never over tiles or pixels. B's and A's entries are 0 and +-1, so the passes are
additions and subtractions written into ``out`` arrays (ufuncs' ``out=``, no temporaries). The
kernels' transforms (O*C small 3x3 and 4x4 matrices) are instead one matrix product each with
G (x) G, the Kronecker product: strided passes over 9 or 16 numbers a kernel are slow. float32
stays float32 throughout.

Speed on the CPU, where NumPy runs an operation over long contiguous stretches much faster than
over N numbers at a time: input_transform and grad_output_transform first copy their input with
its row and column parities apart, after which every slice a pass reads or writes is a run of
whole tile rows (input_grad_transform writes through such a view of its output). The work goes
in blocks of channels (CPU_BLOCK_BYTES of scratch) so that what one pass writes is still in the
core's cache when the next reads it. conv3x3 and conv3x3_backward multiply in blocks of tile
rows (PRODUCT_BLOCK_BYTES). On a GPU each of these is one block.

Sizes. TH x TW tiles give a 2TH x 2TW output from a (C, 2TH+2, 2TW+2, N) padded source (``tiles``
gives TH, TW for an output size). An odd output height (width) is made even by the caller: pad
the source with one more zero row (column) at the bottom (right), run, and crop y's last row
(column); in the backward pass pad gy with a zero row (column) and crop the source gradient to
the source's original size. The extra output row is discarded, and the zero gradient row in
its place contributes nothing to either gradient.

Channel slices. Every transform is elementwise over the channel axes: called on a channel slice
of its input with ``out`` the same slice of the output, it computes exactly that part of the
full result (the blocks of channels above rely on it).
"""
from ... import backend

# B^T's rows each hold two nonzeros: row a of B^T d is  d[p] + sign * d[q]  for (p, q, sign)
_BT_ROWS = ((0, 2, -1), (1, 2, +1), (2, 1, -1), (1, 3, -1))
_G = ((1, 0, 0), (.5, .5, .5), (.5, -.5, .5), (0, 0, 1))
_KRON_G = [[_G[a][i] * _G[b][j] for i in range(3) for j in range(3)]
           for a in range(4) for b in range(4)]
CPU_BLOCK_BYTES = 2 ** 20   # scratch per channel block on the CPU: about half a core's L2
PRODUCT_BLOCK_BYTES = 24 * 2 ** 20  # GEMM products per block of tile rows (conv3x3*), CPU:
                                    # large GEMMs, yet below malloc's 32 MiB mmap threshold
SUM_LENGTH = 128            # the longest sum one GEMM call makes (_products)


def _products(a, b):
    """The batched products a (16, M, K) @ b (16, K, T), with the sum over K made in parts of at
    most SUM_LENGTH terms that are then added. BLAS's float32 rounding error grows with the
    length of the sums it makes in one go (OpenBLAS's up to its own K block of a few hundred),
    and the output transform's combinations of the 16 products amplify it about twofold: with
    whole sums, Winograd's float32 error on 256 and 512 channels of ReLU outputs was up to 2.3x
    the direct method's; in parts of 128 it stays within 1.8x (tests/test_conv_strategies.py,
    benchmarks/accuracy.py)."""
    k = a.shape[2]
    if k <= SUM_LENGTH:
        return backend.matmul(a, b)
    out = backend.matmul(a[:, :, :SUM_LENGTH], b[:, :SUM_LENGTH])
    part = backend.array_module(out).empty_like(out)
    for k0 in range(SUM_LENGTH, k, SUM_LENGTH):
        out += backend.matmul(a[:, :, k0:k0 + SUM_LENGTH], b[:, k0:k0 + SUM_LENGTH], out=part)
    return out


def tiles(oh, ow):
    """(TH, TW) = (ceil(oh / 2), ceil(ow / 2)): the 2x2 output tiles that cover an oh x ow
    output."""
    return (oh + 1) // 2, (ow + 1) // 2


def _step2(x, axis, start, count):
    """View of x (any shape) holding ``count`` indices start, start+2, ... along ``axis``: the
    same row (column) of every tile."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, start + 2 * count - 1, 2)
    return x[tuple(index)]


def _tile_counts(src):
    """(TH, TW) of a padded source (C, 2TH+2, 2TW+2, N); ValueError on other shapes."""
    if src.ndim != 4 or src.shape[1] % 2 or src.shape[2] % 2 or min(src.shape[1:3]) < 4:
        raise ValueError(f"winograd: the padded source must be (C, 2TH+2, 2TW+2, N) with "
                         f"TH, TW >= 1, got shape {tuple(src.shape)}")
    return (src.shape[1] - 2) // 2, (src.shape[2] - 2) // 2


def _pm(xp, a, b, sign, out):
    """out = a + sign * b (sign +-1), without a temporary."""
    return (xp.add if sign > 0 else xp.subtract)(a, b, out=out)


def _channel_blocks(array, channels, bytes_per_channel):
    """[(c0, c1)]: channel ranges worked on one at a time. On the CPU, ranges whose scratch
    (bytes_per_channel each) fits CPU_BLOCK_BYTES, so that what one pass writes is still in
    the core's cache when the next reads it; on a GPU one range (every call a kernel launch)."""
    if backend.device_of(array) != 'cpu':
        return [(0, channels)]
    step = max(1, CPU_BLOCK_BYTES // max(1, bytes_per_channel))
    return [(c0, min(c0 + step, channels)) for c0 in range(0, channels, step)] or [(0, 0)]


# ---------------------------------------------------------------- forward
def input_transform(src, out=None):
    """V = B^T d B of every 4x4 tile d of src (C, 2TH+2, 2TW+2, N) (any strides), the tiles at
    stride 2. Returns V (16, C, TH, TW, N), V[4*a + b] holding element (a, b) of every tile;
    written into ``out`` when given (it may be a channel slice of a larger array, out[:, c0:c1]
    for src[c0:c1])."""
    xp = backend.array_module(src)
    th, tw = _tile_counts(src)
    c, hp, wp, n = src.shape
    if out is None:
        out = xp.empty((16, c, th, tw, n), dtype=src.dtype)
    elif out.shape != (16, c, th, tw, n):
        raise ValueError(f"input_transform: out must be {(16, c, th, tw, n)}, "
                         f"got {tuple(out.shape)}")
    blocks = _channel_blocks(src, c, (hp * wp + hp * tw) * n * src.dtype.itemsize)
    width = max(c1 - c0 for c0, c1 in blocks)
    # NumPy runs an operation on long contiguous stretches far faster than on N numbers at a
    # time, so the source is first copied with its row and column parities apart: source
    # element (2i + rp, 2j + cp) at [rp, i, cp, j]. Then the same row (column) of every tile
    # is a shifted slice of one parity: rows y = 2i + k of all tiles are [k % 2, k // 2 + i].
    split = xp.empty((width, 2, th + 1, 2, tw + 1, n), dtype=src.dtype)
    # column b of d B for every source row, kept with its rows' parities apart
    cols = xp.empty((width, 2, th + 1, tw, n), dtype=src.dtype)
    for c0, c1 in blocks:
        part, buf = split[:c1 - c0], cols[:c1 - c0]
        xp.copyto(part, _parities(src[c0:c1], th + 1, tw + 1))
        src_cols = [part[:, :, :, k % 2, k // 2:k // 2 + tw] for k in range(4)]
        rows = [buf[:, k % 2, k // 2:k // 2 + th] for k in range(4)]
        for b, (p, q, sign) in enumerate(_BT_ROWS):
            _pm(xp, src_cols[p], src_cols[q], sign, buf)
            for a, (p2, q2, sign2) in enumerate(_BT_ROWS):
                _pm(xp, rows[p2], rows[q2], sign2, out[4 * a + b, c0:c1])
    return out


def _parities(x, h2, w2):
    """View of x (C, 2*h2, 2*w2, N) as (C, 2, h2, 2, w2, N): element (2i + rp, 2j + cp) at
    [rp, i, cp, j] (splitting axes never copies, whatever x's strides)."""
    return x.reshape(x.shape[0], h2, 2, w2, 2, x.shape[3]).transpose(0, 2, 1, 4, 3, 5)


def _kron_g(xp, dtype):
    """G (x) G (16, 9): row 4*a + b, column 3*i + j holds G[a, i] * G[b, j], so that U = G g G^T
    of every kernel g is one product with its 9 entries (the entries are 0, +-1/4, +-1/2 and
    1: exact in any float dtype)."""
    return xp.asarray(_KRON_G, dtype=dtype)


def filter_transform(w):
    """U = G g G^T of every 3x3 kernel g of w (O, C, 3, 3). Returns U (16, O, C), contiguous,
    U[4*a + b] holding element (a, b): the left operands of the 16 GEMMs. One matrix product,
    (G (x) G) (16, 9) @ the kernels as a (9, O*C) matrix."""
    if w.ndim != 4 or w.shape[2:] != (3, 3):
        raise ValueError(f"filter_transform: w must be (O, C, 3, 3), got {tuple(w.shape)}")
    xp = backend.array_module(w)
    o, c = w.shape[:2]
    return backend.matmul(_kron_g(xp, w.dtype), w.reshape(o * c, 9).T).reshape(16, o, c)


def output_transform(m, out):
    """Y = A^T m A of every tile: m (16, O, TH, TW, N) (the 16 GEMM products) -> written into
    out (O, 2TH, 2TW, N), which may be a strided view (e.g. out[o0:o1] for m[:, o0:o1]).
    Returns out."""
    xp = backend.array_module(m)
    _, o, th, tw, n = m.shape
    if m.shape[0] != 16 or out.shape != (o, 2 * th, 2 * tw, n):
        raise ValueError(f"output_transform: m (16, O, TH, TW, N) and out (O, 2TH, 2TW, N) "
                         f"expected, got {tuple(m.shape)} and {tuple(out.shape)}")
    blocks = _channel_blocks(m, o, 5 * th * tw * n * m.dtype.itemsize)
    width = max(c1 - c0 for c0, c1 in blocks)
    rows = xp.empty((4, width, th, tw, n), dtype=m.dtype)   # row r of A^T m, columns b
    half = xp.empty((width, th, tw, n), dtype=m.dtype)
    for c0, c1 in blocks:
        buf, tmp = rows[:, :c1 - c0], half[:c1 - c0]
        for r in range(2):
            for b in range(4):
                _at_row(xp, r, [m[4 * a + b, c0:c1] for a in range(4)], buf[b])
            for s in range(2):
                # the first addition stays contiguous, the second writes the strided output
                _at_row(xp, s, buf, _step2(_step2(out[c0:c1], 1, r, th), 2, s, tw), tmp)
    return out


def _at_row(xp, r, parts, out, tmp=None):
    """Row r of A^T applied to four arrays: out = p0 + p1 + p2 (r = 0) or p1 - p2 - p3; the
    partial sum goes through ``tmp`` when given (out itself otherwise)."""
    tmp = out if tmp is None else tmp
    if r == 0:
        xp.add(parts[0], parts[1], out=tmp)
        xp.add(tmp, parts[2], out=out)
    else:
        xp.subtract(parts[1], parts[2], out=tmp)
        xp.subtract(tmp, parts[3], out=out)
    return out


# ---------------------------------------------------------------- backward
def _a_rows(xp, even, odd, negate, outs):
    """The four rows of A applied to (even, odd), negated when ``negate``:
    outs = +-(even, even + odd, even - odd, -odd)."""
    if not negate:
        xp.copyto(outs[0], even)
        xp.add(even, odd, out=outs[1])
        xp.subtract(even, odd, out=outs[2])
        xp.negative(odd, out=outs[3])
    else:
        xp.negative(even, out=outs[0])
        xp.subtract(outs[0], odd, out=outs[1])
        xp.subtract(odd, even, out=outs[2])
        xp.copyto(outs[3], odd)


def grad_output_transform(gy, out=None):
    """Gy = A dY A^T of every 2x2 tile dY of gy (O, 2TH, 2TW, N): the gradient of the GEMM
    products M. Returns (16, O, TH, TW, N), Gy[4*a + b] holding element (a, b); written into
    ``out`` when given (it may be a channel slice, out[:, o0:o1] for gy[o0:o1])."""
    xp = backend.array_module(gy)
    o, h, w, n = gy.shape
    if h % 2 or w % 2:
        raise ValueError(f"grad_output_transform: gy must be (O, 2TH, 2TW, N), got "
                         f"{tuple(gy.shape)}; pad an odd size with zeros")
    th, tw = h // 2, w // 2
    if out is None:
        out = xp.empty((16, o, th, tw, n), dtype=gy.dtype)
    elif out.shape != (16, o, th, tw, n):
        raise ValueError(f"grad_output_transform: out must be {(16, o, th, tw, n)}, "
                         f"got {tuple(out.shape)}")
    blocks = _channel_blocks(gy, o, 8 * th * tw * n * gy.dtype.itemsize)
    width = max(c1 - c0 for c0, c1 in blocks)
    # dY[r, s] of every tile, each one contiguous stretch per channel (see input_transform)
    split = xp.empty((width, 2, 2, th, tw, n), dtype=gy.dtype)
    sums = xp.empty((2, 2, width, th, tw, n), dtype=gy.dtype)   # [r]: dY[r,0] +- dY[r,1]
    for c0, c1 in blocks:
        part, buf = split[:c1 - c0], sums[:, :, :c1 - c0]
        xp.copyto(part, _parities(gy[c0:c1], th, tw).transpose(0, 1, 3, 2, 4, 5))
        for r in range(2):
            xp.add(part[:, r, 0], part[:, r, 1], out=buf[r, 0])
            xp.subtract(part[:, r, 0], part[:, r, 1], out=buf[r, 1])
        # columns of dY A^T: (dY0, dY0 + dY1, dY0 - dY1, -dY1); the last one's sign is carried
        # into the row pass rather than computed
        for b in range(4):
            if b in (0, 3):
                top, bottom = part[:, 0, b // 3], part[:, 1, b // 3]
            else:
                top, bottom = buf[0, b - 1], buf[1, b - 1]
            _a_rows(xp, top, bottom, b == 3, [out[4 * a + b, c0:c1] for a in range(4)])
    return out


def filter_grad_transform(du):
    """dg = G^T du G for every (output, input) channel pair: du (16, O, C), the gradient of U
    (du[4*a + b] is element (a, b)) -> the weight gradient (O, C, 3, 3), contiguous. The
    transposed product of filter_transform: du as an (O*C, 16) matrix @ (G (x) G)."""
    xp = backend.array_module(du)
    _, o, c = du.shape
    if du.shape[0] != 16:
        raise ValueError(f"filter_grad_transform: du must be (16, O, C), got {tuple(du.shape)}")
    return backend.matmul(du.reshape(16, o * c).T, _kron_g(xp, du.dtype)).reshape(o, c, 3, 3)


def input_grad_transform(dv, out):
    """Adds B dv B^T of every tile into out: dv (16, C, TH, TW, N), the gradient of V
    (dv[4*a + b] is element (a, b)); out (C, 2TH+2, 2TW+2, N) (any strides), zero-filled or
    holding a gradient to add to. Overlapping tiles accumulate. Returns out."""
    xp = backend.array_module(dv)
    _, c, th, tw, n = dv.shape
    hp = 2 * th + 2
    if dv.shape[0] != 16 or out.shape != (c, hp, 2 * tw + 2, n):
        raise ValueError(f"input_grad_transform: dv (16, C, TH, TW, N) and out "
                         f"(C, 2TH+2, 2TW+2, N) expected, got {tuple(dv.shape)} and "
                         f"{tuple(out.shape)}")
    blocks = _channel_blocks(dv, c, 3 * hp * tw * n * dv.dtype.itemsize)
    width = max(c1 - c0 for c0, c1 in blocks)
    # B x B^T, x = dv of one tile, column by column: R_b = B x[:, b] (4 rows) for b = 0..3,
    # then the tile's columns are  0: R_0;  1: R_1 - R_2 + R_3;  2: R_1 + R_2 - R_0;  3: -R_3
    # (row b of B^T says where column b goes). R_b is computed for every source row at once
    # (_tile_rows), and the sums for columns 1 and 2 (x1, x2) run along, so that the strided
    # source gradient is touched only four times, once per tile column.
    scratch = xp.empty((3, width, 2, th + 1, tw, n), dtype=dv.dtype)
    for c0, c1 in blocks:
        r, x1, x2 = scratch[:, :c1 - c0]
        # tile column x of tile j is source column 2j + x: column parity x % 2, index j + x//2
        target = _parities(out[c0:c1], th + 1, tw + 1)
        cols = [target[:, :, :, k % 2, k // 2:k // 2 + tw] for k in range(4)]
        v = [[dv[4 * a + b, c0:c1] for a in range(4)] for b in range(4)]
        _tile_rows(xp, v[0], x2, th, -1)        # column 2 takes -R_0: x2 starts there
        xp.subtract(cols[0], x2, out=cols[0])
        _tile_rows(xp, v[1], x1, th, +1)
        xp.add(x2, x1, out=x2)
        _tile_rows(xp, v[2], r, th, +1)
        xp.subtract(x1, r, out=x1)
        xp.add(x2, r, out=x2)
        _tile_rows(xp, v[3], r, th, +1)
        xp.add(x1, r, out=x1)
        xp.add(cols[1], x1, out=cols[1])
        xp.add(cols[2], x2, out=cols[2])
        xp.subtract(cols[3], r, out=cols[3])
    return out


def _tile_rows(xp, v, rows, th, sign):
    """rows (K, 2, TH+1, TW, N) = sign * (B v) for the four rows v[a] (K, TH, TW, N) of every
    tile column, put in place over the overlapping tiles: rows[:, p, i] is source row 2i + p.
    Tile rows are  0: v0;  1: v1 - v2 + v3;  2: v1 + v2 - v0;  3: -v3, so even source rows 2i
    take row 0 of tile i and row 2 of tile i-1, odd ones rows 1 and 3."""
    even, odd = rows[:, 0], rows[:, 1]
    rows[:, :, th] = 0
    if sign > 0:
        xp.copyto(even[:, :th], v[0])
    else:
        xp.negative(v[0], out=even[:, :th])
    _pm(xp, even[:, 1:], v[0], -sign, even[:, 1:])
    _pm(xp, even[:, 1:], v[1], sign, even[:, 1:])
    _pm(xp, even[:, 1:], v[2], sign, even[:, 1:])
    first, second = (v[1], v[2]) if sign > 0 else (v[2], v[1])
    xp.subtract(first, second, out=odd[:, :th])
    _pm(xp, odd[:, :th], v[3], sign, odd[:, :th])
    _pm(xp, odd[:, 1:], v[3], -sign, odd[:, 1:])


# ---------------------------------------------------------------- compositions
def _row_blocks(array, th, bytes_per_tile_row):
    """[(i0, i1)]: ranges of tile rows whose GEMM products take about PRODUCT_BLOCK_BYTES; on a
    GPU one range."""
    if backend.device_of(array) != 'cpu':
        return [(0, th)]
    step = max(1, PRODUCT_BLOCK_BYTES // max(1, bytes_per_tile_row))
    return [(i0, min(i0 + step, th)) for i0 in range(0, th, step)]


def conv3x3(src, w):
    """3x3 cross-correlation by F(2x2, 3x3): src (C, 2TH+2, 2TW+2, N), already padded,
    w (O, C, 3, 3) -> (y, V): y (O, 2TH, 2TW, N) and the input transform V (16, C, TH, TW, N),
    which the weight gradient reads again. The input transform, then per block of tile rows
    the batched GEMM (16, O, C) @ (16, C, T_block) and the output transform."""
    xp = backend.array_module(src)
    th, tw = _tile_counts(src)
    c, n, o = src.shape[0], src.shape[3], w.shape[0]
    if w.shape != (o, c, 3, 3):
        raise ValueError(f"conv3x3: w must be (O, {c}, 3, 3) for src {tuple(src.shape)}, "
                         f"got {tuple(w.shape)}")
    v = input_transform(src)
    u = filter_transform(w)
    y = xp.empty((o, 2 * th, 2 * tw, n), dtype=src.dtype)
    for i0, i1 in _row_blocks(src, th, 16 * o * tw * n * src.dtype.itemsize):
        m = _products(u, v[:, :, i0:i1].reshape(16, c, -1))
        output_transform(m.reshape(16, o, i1 - i0, tw, n), y[:, 2 * i0:2 * i1])
    return y, v


def conv3x3_backward(gy, w, v):
    """The adjoint of conv3x3: gy (O, 2TH, 2TW, N) -> (gsrc, gw), gsrc (C, 2TH+2, 2TW+2, N) the
    gradient of the padded source from w (O, C, 3, 3), gw (O, C, 3, 3) the weight gradient
    from the forward's V (16, C, TH, TW, N); w None: no gsrc, v None: no gw. Per block of tile
    rows: Gy (shared by both), then dV = U^T @ Gy, whose input-gradient transform adds into
    gsrc (neighbouring blocks share two source rows), and this block's part of
    dU = Gy @ V^T."""
    xp = backend.array_module(gy)
    o, (th, tw), n = gy.shape[0], tiles(gy.shape[1], gy.shape[2]), gy.shape[3]
    c = (w if v is None else v).shape[1]
    if gy.shape != (o, 2 * th, 2 * tw, n) or (w is not None and w.shape != (o, c, 3, 3)) or \
            (v is not None and v.shape != (16, c, th, tw, n)):
        raise ValueError(f"conv3x3_backward: gy (O, 2TH, 2TW, N), w (O, C, 3, 3) and V "
                         f"(16, C, TH, TW, N) must match, got {tuple(gy.shape)}, "
                         f"{None if w is None else tuple(w.shape)} and "
                         f"{None if v is None else tuple(v.shape)}")
    gsrc = du = None
    if w is not None:
        ut = filter_transform(w).transpose(0, 2, 1)    # BLAS reads the transpose in place
        gsrc = xp.zeros((c, 2 * th + 2, 2 * tw + 2, n), dtype=gy.dtype)
    for i0, i1 in _row_blocks(gy, th, 16 * (o + c) * tw * n * gy.dtype.itemsize):
        gm = grad_output_transform(gy[:, 2 * i0:2 * i1]).reshape(16, o, -1)
        if w is not None:
            dv = _products(ut, gm).reshape(16, c, i1 - i0, tw, n)
            input_grad_transform(dv, gsrc[:, 2 * i0:2 * i1 + 2])
        if v is not None:
            part = _products(gm, v[:, :, i0:i1].reshape(16, c, -1).transpose(0, 2, 1))
            du = part if du is None else du + part
    return gsrc, (None if v is None else filter_grad_transform(du))
