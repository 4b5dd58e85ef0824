"""minidl.functional.conv.winograd: F(2x2, 3x3) forward and backward against a direct sum over the
3x3 offsets (float64), each transform against its matrices, the adjoint pairs by the dot-product
test, odd output sizes by zero padding, channel slices with ``out``, and float32 staying float32.
"""
import numpy as np
import pytest

from minidl.functional.conv import winograd as W

BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]])
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)

# (C, O, N, TH, TW): sizes of 1 on every axis, non-square, more channels than tiles
SIZES = [(1, 1, 1, 1, 1), (3, 2, 1, 1, 4), (2, 5, 3, 3, 1), (8, 6, 4, 4, 3), (5, 7, 2, 2, 2)]


# ---------------------------------------------------------------- references (float64)
def ref_conv(src, w):
    """y (O, H-2, W-2, N) = sum over c, i, j of src[c, h+i, w+j, n] * w[o, c, i, j]."""
    _, h, wd, _ = src.shape
    y = np.zeros((w.shape[0], h - 2, wd - 2, src.shape[3]))
    for i in range(3):
        for j in range(3):
            y += np.einsum('oc,chwn->ohwn', w[:, :, i, j], src[:, i:i + h - 2, j:j + wd - 2])
    return y


def ref_grads(src, w, gy):
    """(gsrc, gw) of sum(gy * ref_conv(src, w)), written out offset by offset."""
    oh, ow = gy.shape[1:3]
    gsrc, gw = np.zeros(src.shape), np.zeros(w.shape)
    for i in range(3):
        for j in range(3):
            gw[:, :, i, j] = np.einsum('ohwn,chwn->oc', gy, src[:, i:i + oh, j:j + ow])
            gsrc[:, i:i + oh, j:j + ow] += np.einsum('oc,ohwn->chwn', w[:, :, i, j], gy)
    return gsrc, gw


def tiles_of(src):
    """(C, TH, TW, 4, 4, N): every 4x4 tile of src (C, 2TH+2, 2TW+2, N), at stride 2."""
    th, tw = (src.shape[1] - 2) // 2, (src.shape[2] - 2) // 2
    return np.stack([np.stack([src[:, 2 * i:2 * i + 4, 2 * j:2 * j + 4] for j in range(tw)], 1)
                     for i in range(th)], 1)


def data(rng, c, o, n, th, tw, dtype=np.float64):
    src = rng.standard_normal((c, 2 * th + 2, 2 * tw + 2, n)).astype(dtype)
    w = rng.standard_normal((o, c, 3, 3)).astype(dtype)
    gy = rng.standard_normal((o, 2 * th, 2 * tw, n)).astype(dtype)
    return src, w, gy


def close(a, b, rel):
    """max |a - b| within rel * max |b|: one scale for the whole array, as float32 rounding is
    relative to the sizes being summed, not to each (possibly cancelled) result."""
    assert a.shape == b.shape
    err, scale = np.abs(a - b).max(), np.abs(b).max()
    assert err <= rel * scale, f"max error {err:.3g} > {rel} * {scale:.3g}"


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of one channel and one tile row, so that the blocked loops run many times."""
    monkeypatch.setattr(W, 'CPU_BLOCK_BYTES', 1)
    monkeypatch.setattr(W, 'PRODUCT_BLOCK_BYTES', 1)


# ---------------------------------------------------------------- the whole convolution
def check_against_direct_sum(src, w, gy):
    """conv3x3 and conv3x3_backward (both gradients, and each alone) against the direct sum."""
    y, v = W.conv3x3(src, w)
    np.testing.assert_allclose(y, ref_conv(src, w), rtol=1e-10, atol=1e-10)
    rsrc, rw = ref_grads(src, w, gy)
    gsrc, gw = W.conv3x3_backward(gy, w, v)
    np.testing.assert_allclose(gsrc, rsrc, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, rw, rtol=1e-10, atol=1e-10)
    only_input = W.conv3x3_backward(gy, w, None)
    only_weight = W.conv3x3_backward(gy, None, v)
    assert only_input[1] is None and only_weight[0] is None
    np.testing.assert_allclose(only_input[0], rsrc, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(only_weight[1], rw, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('c,o,n,th,tw', SIZES)
def test_forward_and_backward_match_the_direct_sum_float64(c, o, n, th, tw):
    rng = np.random.default_rng(100 * c + 10 * o + th)
    check_against_direct_sum(*data(rng, c, o, n, th, tw))


@pytest.mark.parametrize('c,o,n,th,tw', [(3, 4, 2, 3, 5), (9, 2, 1, 4, 1)])
def test_many_small_blocks_give_the_same_result(small_blocks, c, o, n, th, tw):
    check_against_direct_sum(*data(np.random.default_rng(7), c, o, n, th, tw))


@pytest.mark.parametrize('length', [1, 3, 5])
def test_sums_in_parts_give_the_same_result(length, monkeypatch):
    """The GEMMs' sums over input channels (forward), output channels (input gradient) and
    tiles (weight gradient) made in parts of ``length`` terms and added."""
    monkeypatch.setattr(W, 'SUM_LENGTH', length)
    check_against_direct_sum(*data(np.random.default_rng(8), 7, 6, 2, 2, 3))


@pytest.mark.parametrize('c,o,n,th,tw', [(16, 12, 4, 5, 6), (1, 3, 2, 2, 1)])
def test_float32_stays_float32_within_relative_1e_5(c, o, n, th, tw):
    rng = np.random.default_rng(3)
    src, w, gy = data(rng, c, o, n, th, tw, np.float32)
    y, v = W.conv3x3(src, w)
    gsrc, gw = W.conv3x3_backward(gy, w, v)
    for a in (y, v, gsrc, gw, W.filter_transform(w), W.grad_output_transform(gy)):
        assert a.dtype == np.float32
    s64, w64, g64 = (a.astype(np.float64) for a in (src, w, gy))
    rsrc, rw = ref_grads(s64, w64, g64)
    close(y, ref_conv(s64, w64), 1e-5)
    close(gsrc, rsrc, 1e-5)
    close(gw, rw, 1e-5)


@pytest.mark.parametrize('h,wd', [(5, 3), (1, 1), (4, 7), (2, 2)])
def test_odd_output_sizes_by_one_more_zero_row_and_column(h, wd):
    """A 'same' (padding 1) convolution of x (C, H, W, N): pad to (C, 2TH+2, 2TW+2, N) with the
    extra zero row/column at the bottom/right, crop y; pad gy with zeros, crop the gradient."""
    rng = np.random.default_rng(h * 10 + wd)
    c, o, n = 3, 4, 2
    x = rng.standard_normal((c, h, wd, n))
    w = rng.standard_normal((o, c, 3, 3))
    gy = rng.standard_normal((o, h, wd, n))
    th, tw = W.tiles(h, wd)
    assert (th, tw) == ((h + 1) // 2, (wd + 1) // 2)
    src = np.zeros((c, 2 * th + 2, 2 * tw + 2, n))
    src[:, 1:h + 1, 1:wd + 1] = x
    y, v = W.conv3x3(src, w)
    y = y[:, :h, :wd]
    gy_even = np.zeros((o, 2 * th, 2 * tw, n))
    gy_even[:, :h, :wd] = gy
    gsrc, gw = W.conv3x3_backward(gy_even, w, v)
    gx = gsrc[:, 1:h + 1, 1:wd + 1]
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))      # the layer's own padding only
    rsrc, rw = ref_grads(padded, w, gy)
    np.testing.assert_allclose(y, ref_conv(padded, w), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gx, rsrc[:, 1:-1, 1:-1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, rw, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- each transform
def test_transforms_match_their_matrices():
    rng = np.random.default_rng(1)
    c, o, n, th, tw = 3, 2, 2, 2, 3
    src, w, _ = data(rng, c, o, n, th, tw)
    d = tiles_of(src)                                           # (C, TH, TW, 4, 4, N)
    v = np.einsum('ax,cijxyn,by->abcijn', BT, d, BT).reshape(16, c, th, tw, n)
    np.testing.assert_allclose(W.input_transform(src), v, atol=1e-12)
    u = np.einsum('ax,ocxy,by->aboc', G, w, G).reshape(16, o, c)
    got = W.filter_transform(w)
    assert got.flags.c_contiguous
    np.testing.assert_allclose(got, u, atol=1e-12)
    m = rng.standard_normal((16, o, th, tw, n))
    y = np.einsum('ra,abxijn,sb->xirjsn', AT, m.reshape(4, 4, o, th, tw, n), AT)
    out = np.empty((o, 2 * th, 2 * tw, n))
    W.output_transform(m, out)
    np.testing.assert_allclose(out, y.reshape(o, 2 * th, 2 * tw, n), atol=1e-12)


@pytest.mark.parametrize('blocks', [False, True])
def test_backward_transforms_are_the_adjoints(blocks, monkeypatch):
    """<T x, z> == <x, T* z> for each pair, so the backward is the exact transpose."""
    if blocks:
        monkeypatch.setattr(W, 'CPU_BLOCK_BYTES', 1)
    rng = np.random.default_rng(2)
    c, o, n, th, tw = 4, 3, 2, 3, 2
    src, w, gy = data(rng, c, o, n, th, tw)
    dv = rng.standard_normal((16, c, th, tw, n))
    gsrc = np.zeros_like(src)
    W.input_grad_transform(dv, gsrc)
    assert np.isclose(np.vdot(W.input_transform(src), dv), np.vdot(src, gsrc), rtol=1e-12)
    du = rng.standard_normal((16, o, c))
    assert np.isclose(np.vdot(W.filter_transform(w), du),
                      np.vdot(w, W.filter_grad_transform(du)), rtol=1e-12)
    m = rng.standard_normal((16, o, th, tw, n))
    y = W.output_transform(m, np.empty(gy.shape))
    assert np.isclose(np.vdot(y, gy), np.vdot(m, W.grad_output_transform(gy)), rtol=1e-12)


def test_input_grad_transform_adds_to_what_out_holds():
    rng = np.random.default_rng(4)
    dv = rng.standard_normal((16, 2, 2, 3, 1))
    start = rng.standard_normal((2, 6, 8, 1))
    fresh = W.input_grad_transform(dv, np.zeros_like(start))
    np.testing.assert_allclose(W.input_grad_transform(dv, start.copy()), start + fresh,
                               atol=1e-12)


# ---------------------------------------------------------------- channel slices, layouts
def test_channel_slices_with_out_give_the_whole_result(small_blocks):
    rng = np.random.default_rng(5)
    c, o, n, th, tw = 5, 4, 3, 2, 3
    src, _, gy = data(rng, c, o, n, th, tw, np.float32)
    m = rng.standard_normal((16, o, th, tw, n)).astype(np.float32)
    dv = rng.standard_normal((16, c, th, tw, n)).astype(np.float32)
    whole_v = W.input_transform(src)
    whole_y = W.output_transform(m, np.empty(gy.shape, np.float32))
    whole_g = W.grad_output_transform(gy)
    whole_d = W.input_grad_transform(dv, np.zeros_like(src))
    v, y = np.full_like(whole_v, np.nan), np.full_like(whole_y, np.nan)
    g, d = np.full_like(whole_g, np.nan), np.zeros_like(whole_d)
    for c0, c1 in [(0, 2), (2, 3), (3, 5)]:
        W.input_transform(src[c0:c1], out=v[:, c0:c1])
        W.input_grad_transform(dv[:, c0:c1], d[c0:c1])
    for o0, o1 in [(0, 1), (1, 4)]:
        W.output_transform(m[:, o0:o1], y[o0:o1])
        W.grad_output_transform(gy[o0:o1], out=g[:, o0:o1])
    for part, whole in ((v, whole_v), (y, whole_y), (g, whole_g), (d, whole_d)):
        np.testing.assert_array_equal(part, whole)


def test_strided_inputs_and_outputs():
    """src as the (C, H, W, N) view of an (N, C, H, W) array, out a view into a bigger array."""
    rng = np.random.default_rng(6)
    c, o, n, th, tw = 3, 2, 2, 2, 2
    src, w, _ = data(rng, c, o, n, th, tw)
    nchw = np.ascontiguousarray(src.transpose(3, 0, 1, 2))
    np.testing.assert_array_equal(W.input_transform(nchw.transpose(1, 2, 3, 0)),
                                  W.input_transform(src))
    m = rng.standard_normal((16, o, th, tw, n))
    big = np.zeros((n, o + 2, 2 * th, 2 * tw))
    W.output_transform(m, big[:, 1:o + 1].transpose(1, 2, 3, 0))
    np.testing.assert_array_equal(big[:, 1:o + 1].transpose(1, 2, 3, 0),
                                  W.output_transform(m, np.empty((o, 2 * th, 2 * tw, n))))
    assert not big[:, 0].any() and not big[:, o + 1].any()


def test_shape_errors():
    with pytest.raises(ValueError, match='2TH'):
        W.input_transform(np.zeros((1, 5, 6, 1)))
    with pytest.raises(ValueError, match='pad an odd size'):
        W.grad_output_transform(np.zeros((1, 3, 4, 1)))
    with pytest.raises(ValueError, match='3, 3'):
        W.filter_transform(np.zeros((2, 2, 5, 5)))
