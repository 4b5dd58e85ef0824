"""conv1d / conv2d / conv_transpose: forward against a naive NumPy loop, gradients by finite
differences (float64) over a grid of strides, paddings, dilations, groups and kernel shapes, the
chunked (blocked) path against the one-block path, torch cross-checks and error messages."""
import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from minidl.functional.arguments import parse_conv
from minidl.functional.conv import strategies as conv_module
from minidl.functional.conv.reference import Geometry
from tests.conftest import to_numpy


# ---------------------------------------------------------------- naive reference
def _pads(padding, kernel, dilation):
    """Per-dimension (before, after) padding, 'same' split as PyTorch (extra after)."""
    if padding == 'valid':
        return [(0, 0)] * len(kernel)
    if padding == 'same':
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    padding = (padding,) * len(kernel) if isinstance(padding, int) else padding
    return [(p, p) for p in padding]


def _pair(v, n=2):
    return (v,) * n if isinstance(v, int) else tuple(v)


def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation with loops over output positions (the definition)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    (pt, pb), (pl, pr) = _pads(padding, (kh, kw), (dh, dw))
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow), dtype=np.float64)
    for ch in range(o):
        g = ch // og
        for i in range(oh):
            for j in range(ow):
                window = xp[:, g * cg:(g + 1) * cg, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                            j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, ch, i, j] = (window * w[ch]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def ref_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    pad = padding if isinstance(padding, str) else (0, _pair(padding, 1)[0])
    if isinstance(padding, str) and padding == 'same':
        total = _pair(dilation, 1)[0] * (w.shape[2] - 1)
        x = np.pad(x, ((0, 0), (0, 0), (total // 2, total - total // 2)))
        pad = 0
    return ref_conv2d(x[:, :, None], w[:, :, None], b, (1, _pair(stride, 1)[0]), pad,
                      (1, _pair(dilation, 1)[0]), groups)[:, :, 0]


def _rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def _tensors(device, x, w, b, dtype=mdl.float64, grad=True):
    ts = [mdl.tensor(a, dtype=dtype, device=device, requires_grad=grad) if a is not None else None
          for a in (x, w, b)]
    return ts


# ---------------------------------------------------------------- the grid
# (x shape, weight shape, kwargs, bias)
GRID = [
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(), True),                                   # plain 3x3
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1), True),                # strided
    ((2, 2, 8, 7), (3, 2, 2, 3), dict(stride=3, padding=(1, 2)), False),          # even, non-square
    ((2, 3, 7, 7), (2, 3, 3, 3), dict(padding='same', dilation=2), True),         # dilated same
    ((1, 2, 6, 7), (3, 2, 2, 4), dict(padding='same', dilation=(1, 2)), True),    # same, even k
    ((2, 4, 6, 5), (6, 2, 3, 2), dict(stride=(1, 2), padding=1, groups=2), True), # groups
    ((2, 4, 6, 6), (4, 1, 3, 3), dict(padding=1, groups=4), True),                # depthwise
    ((2, 4, 6, 6), (8, 1, 3, 3), dict(padding=1, groups=4), False),               # depthwise x2
    ((2, 3, 5, 4), (5, 3, 1, 1), dict(), True),                                   # 1x1
    ((2, 3, 5, 4), (5, 3, 1, 1), dict(stride=2), True),                           # 1x1 strided
    ((2, 3, 5, 4), (5, 3, 1, 1), dict(padding=1), True),                          # 1x1 padded
    ((1, 1, 6, 6), (1, 1, 3, 3), dict(padding='valid'), True),                    # batch 1, 1 ch
    ((2, 2, 5, 5), (3, 2, 3, 3), dict(padding=3), True),                          # pad > kernel
    ((2, 2, 9, 8), (3, 2, 3, 2), dict(stride=2, dilation=2, padding=(2, 1)), True),
    ((2, 2, 5, 6), (3, 2, 5, 6), dict(), True),                                   # kernel = input
]
IDS = [f"{i}-{'-'.join(f'{k}{v}' for k, v in kw.items()) or 'plain'}"
       for i, (_, _, kw, _) in enumerate(GRID)]


@pytest.fixture(params=['reference', 'kept-windows', 'winograd'])
def grad_path(request, monkeypatch):
    """The paths a convolution takes on small shapes: the reference (the weight gradient gathers
    the windows again), the forward's windows kept for the weight gradient (the default for
    small layers), and Winograd F(2x2, 3x3), forward and backward, for wide 3x3 stride-1 layers
    on the CPU. Run every path."""
    if request.param == 'reference':
        monkeypatch.setattr(conv_module, 'KEEP_WINDOWS_BYTES', 0)
    if request.param == 'winograd':
        monkeypatch.setattr(conv_module, 'WINOGRAD_MIN_CHANNELS', 1)
        monkeypatch.setattr(conv_module, 'WINOGRAD_MIN_OUTPUTS', 1)
        monkeypatch.setattr(conv_module, 'WINOGRAD_MIN_MACS', 1)
    return request.param


@pytest.mark.parametrize('xs,ws,kw,bias', GRID, ids=IDS)
def test_conv2d_forward_matches_naive_loops(xs, ws, kw, bias, device, grad_path):
    x, w, b = _rand(*xs), _rand(*ws, seed=1), _rand(ws[0], seed=2) if bias else None
    tx, tw, tb = _tensors(device, x, w, b, grad=False)
    out = F.conv2d(tx, tw, tb, **kw)
    np.testing.assert_allclose(to_numpy(out), ref_conv2d(x, w, b, **kw), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize('xs,ws,kw,bias', GRID, ids=IDS)
def test_conv2d_gradcheck(xs, ws, kw, bias, device, grad_path):
    x, w, b = _rand(*xs), _rand(*ws, seed=1), _rand(ws[0], seed=2) if bias else None
    inputs = [t for t in _tensors(device, x, w, b) if t is not None]
    assert mdl.gradcheck(lambda *a: F.conv2d(*a, **kw), inputs)


CONV1D = [
    ((2, 3, 9), (4, 3, 3), dict(), True),
    ((2, 3, 9), (4, 3, 4), dict(stride=2, padding=2), False),
    ((2, 4, 9), (6, 2, 4), dict(padding='same', groups=2), True),
    ((1, 2, 10), (3, 2, 3), dict(stride=3, padding=(1,), dilation=2), True),
    ((2, 4, 8), (4, 1, 3), dict(padding=1, groups=4), True),
    ((2, 3, 8), (2, 3, 1), dict(), False),
]


@pytest.mark.parametrize('xs,ws,kw,bias', CONV1D)
def test_conv1d_forward_and_gradcheck(xs, ws, kw, bias, device):
    x, w, b = _rand(*xs), _rand(*ws, seed=1), _rand(ws[0], seed=2) if bias else None
    tx, tw, tb = _tensors(device, x, w, b)
    out = F.conv1d(tx, tw, tb, **kw)
    assert out.shape == ref_conv1d(x, w, b, **kw).shape
    np.testing.assert_allclose(to_numpy(out), ref_conv1d(x, w, b, **kw), rtol=1e-10, atol=1e-10)
    inputs = [t for t in (tx, tw, tb) if t is not None]
    assert mdl.gradcheck(lambda *a: F.conv1d(*a, **kw), inputs)


@pytest.mark.parametrize('kw', [dict(stride=2, padding=1, groups=2, dilation=(1, 2)),
                                dict(padding=1)], ids=['strided-groups', 'stride1'])
def test_conv2d_gradgradcheck(kw, device, grad_path):
    x, w, b = _rand(2, 4, 5, 5), _rand(4, 4 // kw.get('groups', 1), 3, 2, seed=1), _rand(4, seed=2)
    inputs = _tensors(device, x, w, b)
    assert mdl.gradgradcheck(lambda *a: F.conv2d(*a, **kw), inputs)


@pytest.mark.parametrize('kw', [dict(stride=2, padding=1, output_padding=1),
                                dict(stride=2, output_padding=1),
                                dict(dilation=2, output_padding=1)])
def test_conv_transpose_gradgradcheck(kw, device, grad_path):
    x, w = _rand(1, 2, 3, 4), _rand(2, 3, 3, 2, seed=1)
    inputs = _tensors(device, x, w, None)[:2]
    assert mdl.gradcheck(lambda x, w: F.conv_transpose2d(x, w, **kw), inputs)
    assert mdl.gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, **kw), inputs)


# ---------------------------------------------------------------- blocks (chunks)
@pytest.mark.parametrize('xs,ws,kw', [
    ((5, 3, 7, 6), (4, 3, 3, 3), dict(padding=1)),
    ((5, 4, 8, 7), (6, 2, 3, 2), dict(stride=2, padding=(1, 0), groups=2)),
    ((5, 4, 6, 6), (4, 4, 3, 3), dict(padding=2, dilation=2)),
], ids=['rows', 'strided-groups', 'dilated'])
@pytest.mark.parametrize('limit', ['rows', 'rows-and-batch'])
def test_blocked_equals_one_block(xs, ws, kw, limit, device, monkeypatch, grad_path):
    x, w, b = _rand(*xs), _rand(*ws, seed=1), _rand(ws[0], seed=2)

    def run():
        tx, tw, tb = _tensors(device, x, w, b)
        y = F.conv2d(tx, tw, tb, **kw)
        (y * mdl.tensor(_rand(*y.shape, seed=3), device=device, dtype=mdl.float64)).sum().backward()
        return [to_numpy(t) for t in (y, tx.grad, tw.grad, tb.grad)]
    monkeypatch.setattr(conv_module, 'CPU_WINDOW_BYTES', 1 << 40)
    monkeypatch.setattr(conv_module, 'WINDOW_BYTES_LIMIT', 1 << 40)
    whole = run()
    tx, tw, _ = _tensors(device, x, w, None)
    params = parse_conv('conv2d', tx, tw, None, kw.get('stride', 1), kw.get('padding', 0),
                        kw.get('dilation', 1), kw.get('groups', 1), 2)
    g = Geometry(xs, ws, *params, kw.get('groups', 1))
    one_row = g.C * g.KH * g.KW * g.OW * g.N * 8
    # 'rows': blocks of one output row of the whole batch; else rows split over the batch too
    for name in ('WINDOW_BYTES_LIMIT', 'CPU_WINDOW_BYTES'):
        monkeypatch.setattr(conv_module, name, one_row if limit == 'rows' else 1)
    blocks = conv_module.choose(g, tx.array).blocks
    assert len(blocks) == (g.OH if limit == 'rows' else g.OH * g.N)
    for got, want in zip(run(), whole):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- dtypes, layouts, modes
def test_float32_stays_float32(device, grad_path):
    x, w, b = _tensors(device, _rand(2, 3, 6, 6), _rand(4, 3, 3, 3, seed=1), _rand(4, seed=2),
                       dtype=mdl.float32)
    for y in (F.conv2d(x, w, b, padding=1), F.conv2d(x, w, b, stride=2),
              F.conv1d(x[:, :, 0], w[:, :, 0], b, padding=1)):
        assert y.dtype == mdl.float32
    y = F.conv2d(x, w, b, padding=1)
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == mdl.float32
    np.testing.assert_allclose(to_numpy(y), ref_conv2d(to_numpy(x), to_numpy(w), to_numpy(b),
                                                       padding=1), rtol=1e-4, atol=1e-4)


def test_non_contiguous_input_and_chained_layers(device):
    x = _rand(3, 2, 6, 5)
    w1, w2 = _rand(4, 2, 3, 3, seed=1), _rand(3, 4, 2, 2, seed=2)
    # a transposed view as input, then a conv output (a strided view) fed to the next conv
    tx = mdl.tensor(x.transpose(0, 1, 3, 2).copy(), dtype=mdl.float64, device=device)
    tx = tx.transpose(2, 3)
    y = F.conv2d(F.conv2d(tx, mdl.tensor(w1, device=device), padding=1),
                 mdl.tensor(w2, device=device), stride=2)
    want = ref_conv2d(ref_conv2d(x, w1, padding=1), w2, stride=2)
    np.testing.assert_allclose(to_numpy(y), want, rtol=1e-10, atol=1e-10)


def test_no_grad_records_nothing(device):
    x, w, b = _tensors(device, _rand(1, 2, 4, 4), _rand(2, 2, 3, 3, seed=1), _rand(2, seed=2))
    with mdl.no_grad():
        y = F.conv2d(x, w, b)
    assert not y.requires_grad and y.grad_fn is None


def test_weight_only_and_input_only_gradients(device, grad_path):
    arrays = _rand(2, 2, 5, 5), _rand(3, 2, 3, 3, seed=1)
    x, w, _ = _tensors(device, *arrays, None)
    F.conv2d(x, w, padding=1).sum().backward()        # both gradients: the reference
    x1, w1, _ = _tensors(device, *arrays, None)
    x1.requires_grad = False
    F.conv2d(x1, w1, padding=1).sum().backward()
    assert x1.grad is None
    np.testing.assert_allclose(to_numpy(w1.grad), to_numpy(w.grad), rtol=1e-12, atol=1e-12)
    x2, w2, _ = _tensors(device, *arrays, None)
    w2.requires_grad = False
    F.conv2d(x2, w2, padding=1).sum().backward()
    assert w2.grad is None
    np.testing.assert_allclose(to_numpy(x2.grad), to_numpy(x.grad), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- against PyTorch
TORCH_CASES = [
    ('conv2d', (3, 4, 9, 8), (6, 2, 3, 3), dict(stride=2, padding=1, groups=2)),
    ('conv2d', (2, 40, 6, 6), (8, 40, 3, 3), dict(padding='same')),
    ('conv2d', (2, 3, 7, 7), (4, 3, 4, 2), dict(padding='same', dilation=(2, 1))),
    ('conv2d', (2, 6, 7, 7), (6, 1, 3, 3), dict(padding=1, groups=6)),
    ('conv2d', (2, 64, 7, 6), (64, 64, 3, 3), dict(padding=1)),           # Winograd (below),
    ('conv2d', (3, 64, 5, 5), (64, 64, 3, 3), dict(padding=(2, 0))),      # odd sizes
    ('conv1d', (2, 4, 11), (6, 2, 3), dict(stride=2, padding=2, dilation=2, groups=2)),
    ('conv_transpose2d', (2, 4, 5, 6), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    ('conv_transpose2d', (2, 4, 5, 6), (4, 2, 3, 3), dict(stride=(1, 2), groups=2, dilation=2)),
    ('conv_transpose1d', (2, 4, 7), (4, 3, 4), dict(stride=3, padding=1, output_padding=2)),
    # output_padding beyond the padding: the geometry crops (negative bottom/right padding)
    ('conv_transpose2d', (2, 4, 5, 6), (4, 3, 3, 3), dict(stride=2, output_padding=1)),
    ('conv_transpose2d', (2, 40, 4, 5), (40, 3, 3, 2), dict(dilation=2, output_padding=1)),
]


@pytest.mark.filterwarnings('ignore:Using padding=.same. with even kernel')
@pytest.mark.parametrize('name,xs,ws,kw', TORCH_CASES)
def test_matches_torch(name, xs, ws, kw, device, monkeypatch):
    monkeypatch.setattr(conv_module, 'WINOGRAD_MIN_OUTPUTS', 1)     # wide cases: Winograd
    monkeypatch.setattr(conv_module, 'WINOGRAD_MIN_MACS', 1)
    torch = pytest.importorskip('torch')
    x, w = _rand(*xs), _rand(*ws, seed=1)
    b = _rand(ws[1] * kw.get('groups', 1) if 'transpose' in name else ws[0], seed=2)
    tx, tw, tb = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    mx, mw, mb = _tensors(device, x, w, b)
    ty = getattr(torch.nn.functional, name)(tx, tw, tb, **kw)
    my = getattr(F, name)(mx, mw, mb, **kw)
    assert my.shape == tuple(ty.shape)
    g = _rand(*ty.shape, seed=3)
    ty.backward(torch.tensor(g))
    my.backward(mdl.tensor(g, dtype=mdl.float64, device=device))
    for ours, theirs in ((my, ty), (mx.grad, tx.grad), (mw.grad, tw.grad), (mb.grad, tb.grad)):
        np.testing.assert_allclose(to_numpy(ours), theirs.detach().numpy(), rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- errors
def _t(*shape, dtype=mdl.float32):
    return mdl.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize('call,error,match', [
    (lambda: F.conv2d(_t(6, 6), _t(2, 3, 3, 3)), ValueError,
     r"conv2d: expected a 4-D input \(N, C, H, W\) or a 3-D unbatched one \(C, H, W\), got "
     r"input of shape \(6, 6\)"),
    (lambda: F.conv1d(_t(2, 3, 6, 6), _t(2, 3, 3)), ValueError, r"conv1d: expected a 3-D input"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3)), ValueError,
     r"conv2d: expected a 4-D weight .* got weight of shape \(2, 3, 3\)"),
    (lambda: F.conv2d(_t(1, 4, 6, 6), _t(2, 3, 3, 3)), ValueError,
     r"conv2d: weight of shape \(2, 3, 3, 3\) with groups=1 expects input with 3 channels, got "
     r"input of shape \(1, 4, 6, 6\)"),
    (lambda: F.conv2d(_t(1, 3, 2, 6), _t(2, 3, 3, 3)), ValueError,
     r"conv2d: kernel size \(3, 3\).* larger than the padded input size \(2, 6\)"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), dilation=3), ValueError,
     r"dilated: \(7, 7\)\) is larger than the padded input size \(6, 6\)"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), stride=0), ValueError,
     r"conv2d: stride must be positive, got stride=\(0, 0\)"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), stride=(1, -1)), ValueError,
     r"stride must be positive, got stride=\(1, -1\)"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), dilation=0), ValueError,
     r"conv2d: dilation must be positive"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), padding=-1), ValueError,
     r"conv2d: padding must be non-negative, got padding=\(-1, -1\)"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), padding=(1, 2, 3)), ValueError,
     r"conv2d: padding must be an int or a tuple of 2 ints, got \(1, 2, 3\)"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), padding='full'), ValueError,
     r"invalid padding string 'full'"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), stride=2, padding='same'), ValueError,
     r"padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(_t(1, 4, 6, 6), _t(3, 2, 3, 3), groups=2), ValueError,
     r"conv2d: groups=2 must divide out_channels=3"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 1, 3, 3), groups=2), ValueError,
     r"conv2d: groups=2 must divide in_channels=3"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), groups=0), ValueError,
     r"conv2d: groups must be a positive int, got groups=0"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3), _t(3)), ValueError,
     r"conv2d: expected bias of shape \(2,\), got \(3,\)"),
    (lambda: F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3, dtype=mdl.float64)), TypeError,
     r"conv2d: input has dtype float32 but weight has dtype float64"),
    (lambda: F.conv2d(_t(1, 3, 6, 6, dtype=mdl.int64), _t(2, 3, 3, 3, dtype=mdl.int64)),
     TypeError, r"conv2d: expected a floating-point input, got dtype int64"),
    (lambda: F.conv2d(np.zeros((1, 3, 6, 6)), _t(2, 3, 3, 3)), TypeError,
     r"conv2d: input must be a Tensor, got ndarray"),
    (lambda: F.conv_transpose2d(_t(1, 2, 4, 4), _t(2, 3, 3, 3), stride=2, output_padding=2),
     ValueError, r"output_padding must be non-negative and smaller than either stride or dilation"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_device_mismatch_is_a_clear_error():
    if not mdl.cuda.is_available():
        pytest.skip('needs a CUDA device to mix devices')
    with pytest.raises(RuntimeError, match=r"conv2d: input is on cpu but weight is on cuda:0"):
        F.conv2d(_t(1, 3, 6, 6), _t(2, 3, 3, 3).to('cuda'))


def test_argument_checks_are_not_skipped_by_the_cache_of_checked_arguments():
    # the parsed arguments of a call are cached: True == 1 and 1.0 == 1 must not hit that cache
    x, w = mdl.randn(2, 3, 6, 6), mdl.randn(4, 3, 3, 3)
    assert F.conv2d(x, w, stride=1, padding=1).shape == (2, 4, 6, 6)
    for bad in (dict(stride=True), dict(stride=(1, True)), dict(padding=1.0),
                dict(padding=[1, -1]), dict(dilation=(1, 1.0)), dict(groups=True)):
        with pytest.raises(ValueError):
            F.conv2d(x, w, **bad)
    assert F.conv2d(x, w, padding=[1, 1]).shape == (2, 4, 6, 6)    # lists are checked too
