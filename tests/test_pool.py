"""max/avg/adaptive pooling, 1-D and 2-D: forward (and indices) against naive NumPy loops,
gradients by finite differences on tie-free float64 inputs, PyTorch cross-checks (ties
included) and error messages."""
import math

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from tests.conftest import to_numpy


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out(n, k, s, p, d, ceil):
    """PyTorch's pooling output size, written out independently of the implementation."""
    if ceil:
        out = math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
        return out
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def ref_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Loops over output positions; returns values and flat indices into each H*W plane."""
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(stride if stride is not None else kernel_size)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    n, c, h, w = x.shape
    oh, ow = _out(h, kh, sh, ph, dh, ceil_mode), _out(w, kw, sw, pw, dw, ceil_mode)
    values, indices = np.empty((n, c, oh, ow)), np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            best = np.full((n, c), -np.inf)
            where = np.zeros((n, c), dtype=np.int64)
            for a in range(kh):
                for b in range(kw):
                    r, q = i * sh - ph + a * dh, j * sw - pw + b * dw
                    if 0 <= r < h and 0 <= q < w:
                        v = x[:, :, r, q]
                        better = v > best
                        best = np.where(better, v, best)
                        where = np.where(better, r * w + q, where)
            values[:, :, i, j], indices[:, :, i, j] = best, where
    return values, indices


def ref_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                   divisor_override=None):
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(stride if stride is not None else kernel_size)
    (ph, pw) = _pair(padding)
    n, c, h, w = x.shape
    oh, ow = _out(h, kh, sh, ph, 1, ceil_mode), _out(w, kw, sw, pw, 1, ceil_mode)
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * sh - ph, j * sw - pw
            h1, w1 = min(h0 + kh, h + ph), min(w0 + kw, w + pw)
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
            divisor = divisor_override or (size if count_include_pad else (h1 - h0) * (w1 - w0))
            out[:, :, i, j] = total / divisor
    return out


def ref_adaptive_avg_pool2d(x, size):
    oh, ow = size
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = i * h // oh, math.ceil((i + 1) * h / oh)
            w0, w1 = j * w // ow, math.ceil((j + 1) * w / ow)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def _distinct(*shape, seed=0):
    """Values all at least 0.1 apart (no ties, so max pooling is differentiable everywhere)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + rng.uniform(0, .01, shape)


def _t(a, device, grad=False, dtype=mdl.float64):
    return mdl.tensor(a, dtype=dtype, device=device, requires_grad=grad)


# ---------------------------------------------------------------- max pooling
MAX_GRID = [
    ((2, 3, 6, 6), dict(kernel_size=2)),                                       # tiling (fast path)
    ((2, 2, 7, 5), dict(kernel_size=2)),                                       # floor-cropped
    ((2, 2, 7, 6), dict(kernel_size=3, stride=1, padding=1)),                  # overlapping
    ((2, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 2, 7, 6), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=2)),
    ((2, 2, 7, 6), dict(kernel_size=2, ceil_mode=True)),                       # window past end
    ((2, 2, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 1, 5, 5), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    ((1, 1, 6, 5), dict(kernel_size=(1, 2), stride=(2, 2))),
]


@pytest.mark.parametrize('shape,kw', MAX_GRID)
def test_max_pool2d_values_and_indices_match_naive_loops(shape, kw, device):
    x = _distinct(*shape)
    y, idx = F.max_pool2d(_t(x, device), return_indices=True, **kw)
    want, want_idx = ref_max_pool2d(x, **kw)
    np.testing.assert_array_equal(to_numpy(y), want)
    np.testing.assert_array_equal(to_numpy(idx), want_idx)
    assert idx.dtype == mdl.int64
    # the inference fast path and the autograd path agree
    np.testing.assert_array_equal(to_numpy(F.max_pool2d(_t(x, device), **kw)), want)


@pytest.mark.parametrize('shape,kw', MAX_GRID)
def test_max_pool2d_gradcheck(shape, kw, device):
    x = _t(_distinct(*shape), device, grad=True)
    assert mdl.gradcheck(lambda x: F.max_pool2d(x, **kw), [x])


def test_max_pool2d_gradgradcheck(device):
    x = _t(_distinct(1, 2, 5, 5), device, grad=True)
    assert mdl.gradgradcheck(lambda x: F.max_pool2d(x, 3, 1, 1) ** 2, [x])


def test_overlapping_windows_accumulate_gradient(device):
    # one big value wins all nine overlapping 3x3 windows around it
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = 1.0
    t = _t(x, device, grad=True)
    F.max_pool2d(t, 3, stride=1, padding=1).sum().backward()
    assert to_numpy(t.grad)[0, 0, 2, 2] == 9.0


@pytest.mark.parametrize('kw', [dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                     return_indices=True),
                                dict(kernel_size=2, return_indices=True),
                                dict(kernel_size=4, stride=1, padding=2, dilation=1)])
def test_max_pool1d(kw, device):
    x = _distinct(2, 3, 9)
    out = F.max_pool1d(_t(x, device, grad=True), **kw)
    y, idx = out if kw.get('return_indices') else (out, None)
    kernel, stride = kw['kernel_size'], kw.get('stride', kw['kernel_size'])
    want, want_idx = ref_max_pool2d(x[:, :, None], (1, kernel), (1, stride),
                                    (0, kw.get('padding', 0)), 1, kw.get('ceil_mode', False))
    np.testing.assert_array_equal(to_numpy(y), want[:, :, 0])
    if idx is not None:
        np.testing.assert_array_equal(to_numpy(idx), want_idx[:, :, 0])
    kw = {k: v for k, v in kw.items() if k != 'return_indices'}
    assert mdl.gradcheck(lambda t: F.max_pool1d(t, **kw), [_t(x, device, grad=True)])


# ---------------------------------------------------------------- average pooling
AVG_GRID = [
    ((2, 3, 6, 6), dict(kernel_size=2)),                                             # fast path
    ((2, 2, 7, 5), dict(kernel_size=2)),
    ((2, 2, 7, 6), dict(kernel_size=3, stride=1, padding=1)),
    ((2, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 2, 7, 6), dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1))),
    ((2, 2, 7, 6), dict(kernel_size=2, ceil_mode=True)),
    ((2, 2, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((2, 2, 8, 7), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((1, 1, 5, 5), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    ((1, 2, 6, 5), dict(kernel_size=3, stride=2, padding=1, divisor_override=4)),
]


@pytest.mark.parametrize('shape,kw', AVG_GRID)
def test_avg_pool2d_matches_naive_loops_and_gradcheck(shape, kw, device):
    x = np.random.default_rng(1).standard_normal(shape)
    t = _t(x, device, grad=True)
    np.testing.assert_allclose(to_numpy(F.avg_pool2d(t, **kw)), ref_avg_pool2d(x, **kw),
                               rtol=1e-12, atol=1e-12)
    assert mdl.gradcheck(lambda t: F.avg_pool2d(t, **kw), [t])


def test_avg_pool2d_gradgradcheck(device):
    x = _t(np.random.default_rng(2).standard_normal((1, 2, 5, 5)), device, grad=True)
    assert mdl.gradgradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True) ** 2, [x])


def test_avg_pool1d(device):
    x = np.random.default_rng(3).standard_normal((2, 3, 10))
    kw = dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)
    t = _t(x, device, grad=True)
    want = ref_avg_pool2d(x[:, :, None], (1, 4), (1, 3), (0, 2), True, False)[:, :, 0]
    np.testing.assert_allclose(to_numpy(F.avg_pool1d(t, **kw)), want, rtol=1e-12, atol=1e-12)
    assert mdl.gradcheck(lambda t: F.avg_pool1d(t, **kw), [t])


@pytest.mark.parametrize('shape,size', [((2, 3, 7, 6), (3, 4)), ((2, 3, 7, 6), 1),
                                        ((2, 3, 8, 6), (4, None)), ((1, 2, 5, 7), (5, 3)),
                                        ((1, 2, 3, 3), (5, 4))])
def test_adaptive_avg_pool2d(shape, size, device):
    x = np.random.default_rng(4).standard_normal(shape)
    t = _t(x, device, grad=True)
    sizes = _pair(size)
    sizes = tuple(n if s is None else s for s, n in zip(sizes, shape[2:]))
    y = F.adaptive_avg_pool2d(t, size)
    np.testing.assert_allclose(to_numpy(y), ref_adaptive_avg_pool2d(x, sizes), rtol=1e-12,
                               atol=1e-12)
    assert mdl.gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), [t])


def test_adaptive_avg_pool1d(device):
    x = np.random.default_rng(5).standard_normal((2, 3, 10))
    t = _t(x, device, grad=True)
    for size in (4, 1, 10, 3):
        want = ref_adaptive_avg_pool2d(x[:, :, None], (1, size))[:, :, 0]
        np.testing.assert_allclose(to_numpy(F.adaptive_avg_pool1d(t, size)), want, rtol=1e-12,
                                   atol=1e-12)
    assert mdl.gradcheck(lambda t: F.adaptive_avg_pool1d(t, 3), [t])


# ---------------------------------------------------------------- dtypes and layouts
def test_float32_in_float32_out(device):
    x = _t(np.random.default_rng(6).standard_normal((2, 3, 6, 6)), device, grad=True,
           dtype=mdl.float32)
    outs = [F.max_pool2d(x, 2), F.max_pool2d(x, 3, 1, 1), F.avg_pool2d(x, 3, 2, 1),
            F.avg_pool2d(x, 2), F.adaptive_avg_pool2d(x, (4, 5)), F.adaptive_avg_pool2d(x, 1),
            F.max_pool1d(x[:, :, 0], 2), F.avg_pool1d(x[:, :, 0], 3, padding=1)]
    for y in outs:
        assert y.dtype == mdl.float32
    sum(y.sum() for y in outs).backward()
    assert x.grad.dtype == mdl.float32


def test_pooling_a_conv_output_layout(device):
    # a conv output is a strided (C, H, W, N)-ordered view; pooling it must not care
    x = np.random.default_rng(7).standard_normal((3, 2, 6, 6))
    w = np.random.default_rng(8).standard_normal((4, 2, 3, 3))
    y = F.conv2d(_t(x, device), _t(w, device), padding=1)
    dense = _t(to_numpy(y).copy(), device)
    for fn in (lambda t: F.max_pool2d(t, 2), lambda t: F.max_pool2d(t, 3, 2, 1),
               lambda t: F.avg_pool2d(t, 3, 1, 1)):
        np.testing.assert_array_equal(to_numpy(fn(y)), to_numpy(fn(dense)))


def _memory_order(a):
    return tuple(sorted(range(a.ndim), key=lambda i: -a.strides[i]))


def test_max_pool_gradient_in_another_layout_comes_back_in_the_input_layout(device):
    # the backward of a (C, H, W, N)-laid input under an upstream gradient in plain (N, C, H, W)
    # order (as a dropout or flatten above it gives): right values, the input's layout
    rng = np.random.default_rng(10)
    x = rng.standard_normal((4, 3, 6, 6))
    gy = rng.standard_normal((4, 3, 3, 3))
    plain = _t(x, device, grad=True)
    F.max_pool2d(plain, 2).backward(_t(gy, device))
    strided = _t(np.ascontiguousarray(x.transpose(1, 2, 3, 0)), device).permute(3, 0, 1, 2)
    strided.requires_grad_(True)
    F.max_pool2d(strided, 2).backward(_t(gy, device))
    np.testing.assert_array_equal(to_numpy(strided.grad), to_numpy(plain.grad))
    assert _memory_order(strided.grad.array) == (1, 2, 3, 0)


def test_global_average_pooling_gradient_keeps_the_input_layout(device):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 4, 5, 6))
    strided = _t(np.ascontiguousarray(x.transpose(1, 2, 3, 0)), device).permute(3, 0, 1, 2)
    strided.requires_grad_(True)
    gy = rng.standard_normal((3, 4, 1, 1))
    F.adaptive_avg_pool2d(strided, 1).backward(_t(gy, device))
    np.testing.assert_allclose(to_numpy(strided.grad), np.broadcast_to(gy / 30, x.shape),
                               rtol=1e-12)
    assert _memory_order(strided.grad.array) == (1, 2, 3, 0)
    plain = _t(x, device, grad=True)
    assert mdl.gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, 1) ** 2, [plain])


# ---------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize('name,shape,kw', [
    ('max_pool2d', (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                      return_indices=True)),
    ('max_pool2d', (2, 3, 9, 8), dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1))),
    ('max_pool1d', (2, 3, 11), dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    ('avg_pool2d', (2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                      count_include_pad=False)),
    ('avg_pool1d', (2, 3, 11), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    ('adaptive_avg_pool2d', (2, 3, 9, 8), dict(output_size=(4, 3))),
    ('adaptive_avg_pool1d', (2, 3, 11), dict(output_size=4)),
])
@pytest.mark.parametrize('ties', [False, True])
def test_matches_torch(name, shape, kw, ties, device):
    torch = pytest.importorskip('torch')
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape)
    if ties:          # e.g. after a ReLU: many equal maxima; the first one gets the gradient
        x = np.maximum(np.round(x), 0)
    tx, mx = torch.tensor(x, requires_grad=True), _t(x, device, grad=True)
    ty = getattr(torch.nn.functional, name)(tx, **kw)
    my = getattr(F, name)(mx, **kw)
    if kw.get('return_indices'):
        np.testing.assert_array_equal(to_numpy(my[1]), ty[1].numpy())
        ty, my = ty[0], my[0]
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    my.backward(_t(g, device))
    np.testing.assert_allclose(to_numpy(my), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_numpy(mx.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- errors
def _z(*shape, dtype=mdl.float32):
    return mdl.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize('call,error,match', [
    (lambda: F.max_pool2d(_z(6, 6), 2), ValueError,
     r"max_pool2d: expected a 4-D input \(N, C, H, W\) or a 3-D unbatched one \(C, H, W\), "
     r"got input of shape \(6, 6\)"),
    (lambda: F.avg_pool1d(_z(1, 3, 6, 6), 2), ValueError,
     r"avg_pool1d: expected a 3-D input \(N, C, L\) or a 2-D unbatched one \(C, L\), got "
     r"input of shape \(1, 3, 6, 6\)"),
    (lambda: F.max_pool2d(_z(1, 1, 6, 6), 3, padding=2), ValueError,
     r"max_pool2d: padding should be at most half of kernel size, got padding=\(2, 2\) for "
     r"kernel_size=\(3, 3\)"),
    (lambda: F.avg_pool2d(_z(1, 1, 6, 6), 2, padding=2), ValueError,
     r"avg_pool2d: padding should be at most half of kernel size"),
    (lambda: F.max_pool2d(_z(1, 1, 6, 6), 0), ValueError,
     r"max_pool2d: kernel_size must be positive, got kernel_size=\(0, 0\)"),
    (lambda: F.max_pool2d(_z(1, 1, 6, 6), 2, stride=0), ValueError,
     r"max_pool2d: stride must be positive"),
    (lambda: F.max_pool2d(_z(1, 1, 6, 6), 2, dilation=0), ValueError,
     r"max_pool2d: dilation must be positive"),
    (lambda: F.max_pool2d(_z(1, 1, 6, 6), 2, padding=-1), ValueError,
     r"max_pool2d: padding must be non-negative"),
    (lambda: F.max_pool2d(_z(1, 1, 6, 6), (2, 2, 2)), ValueError,
     r"max_pool2d: kernel_size must be an int or a tuple of 2 ints"),
    (lambda: F.max_pool2d(_z(1, 1, 3, 3), 4), ValueError,
     r"max_pool2d: input of shape \(1, 1, 3, 3\) is too small for kernel_size=\(4, 4\)"),
    (lambda: F.max_pool2d(_z(1, 1, 4, 4, dtype=mdl.bool_), 2), TypeError,
     r"max_pool2d: expected a floating-point or integer input, got dtype bool"),
    (lambda: F.avg_pool2d(_z(1, 1, 4, 4, dtype=mdl.int64), 2), TypeError,
     r"avg_pool2d: expected a floating-point input, got dtype int64"),
    (lambda: F.avg_pool2d(_z(1, 1, 4, 4), 2, divisor_override=0), ValueError,
     r"divisor_override must be a non-zero int"),
    (lambda: F.adaptive_avg_pool2d(_z(1, 1, 4, 4), (2, 2, 2)), ValueError,
     r"adaptive_avg_pool2d: output_size must be an int or a tuple of 2"),
    (lambda: F.adaptive_avg_pool2d(_z(1, 1, 4, 4), 0), ValueError,
     r"adaptive_avg_pool2d: output_size must be positive"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_pool_argument_checks_are_not_skipped_by_the_cache_of_checked_arguments():
    x = mdl.randn(2, 3, 6, 6)
    assert F.max_pool2d(x, 2, stride=2).shape == (2, 3, 3, 3)
    for bad in (dict(kernel_size=True), dict(kernel_size=2, stride=2.0),
                dict(kernel_size=(2, True))):
        with pytest.raises(ValueError):
            F.max_pool2d(x, **bad)
    assert F.max_pool2d(x, [2, 2]).shape == (2, 3, 3, 3)
    with pytest.raises(ValueError, match=r'input of shape \(2, 3, 1\) is too small'):
        F.max_pool1d(mdl.randn(2, 3, 1), 2)
