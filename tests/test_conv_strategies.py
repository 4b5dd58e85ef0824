"""Every strategy of minidl.functional.conv against the reference path (reference.py's functions
called directly, no dispatch) on a grid of shapes: the forward, the input, weight and bias
gradients by the fast backward (arrays, the forward's record) and by the differentiable one
(create_graph), in float64, and a float32 check; the dispatch's choices; the records."""
import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from minidl.functional.arguments import parse_conv
from minidl.functional.conv import reference as R
from minidl.functional.conv import strategies as S
from tests.conftest import to_numpy

HUGE = 1 << 60
# which constants force each strategy (the others are kept off); blocks' limits are set per case
STRATEGIES = {
    'reference': {},
    'kept-windows': dict(KEEP_WINDOWS_BYTES=HUGE),
    'blocks-of-rows': dict(WINDOW_BYTES_LIMIT='row', CPU_WINDOW_BYTES='row'),
    'blocks-of-batch': dict(WINDOW_BYTES_LIMIT=1, CPU_WINDOW_BYTES=1),
    'winograd': dict(WINOGRAD_MIN_CHANNELS=1, WINOGRAD_MIN_OUTPUTS=1, WINOGRAD_MIN_MACS=1),
}
OFF = dict(KEEP_WINDOWS_BYTES=0, WINDOW_BYTES_LIMIT=HUGE, CPU_WINDOW_BYTES=HUGE,
           WINOGRAD_MIN_CHANNELS=HUGE, WINOGRAD_MIN_OUTPUTS=HUGE, WINOGRAD_MIN_MACS=HUGE)

# (x shape, weight shape, conv2d arguments)
GRID = [
    ((2, 3, 7, 6), (4, 3, 3, 3), dict()),                                  # 3x3, odd output
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),               # strided
    ((1, 4, 8, 7), (5, 4, 3, 3), dict(padding='same')),                    # batch 1, 'same'
    ((2, 3, 9, 8), (4, 3, 3, 3), dict(padding=1, dilation=2)),             # dilated
    ((2, 4, 6, 5), (6, 2, 2, 3), dict(padding='same', groups=2)),          # even, non-square
    ((2, 4, 6, 6), (4, 1, 3, 3), dict(padding=1, groups=4)),               # depthwise
    ((2, 4, 6, 6), (8, 1, 3, 3), dict(stride=2, groups=4)),                # depthwise x2, stride 2
    ((2, 2, 9, 8), (3, 2, 4, 2), dict(stride=2, dilation=2, padding=(2, 1))),
    ((2, 3, 5, 4), (5, 3, 1, 1), dict()),                                  # 1x1: no copy
    ((1, 2, 5, 5), (3, 2, 3, 3), dict(padding=3)),                         # padding > kernel
    ((2, 3, 6, 6), (4, 3, 5, 5), dict(padding=2)),                         # 5x5
    ((3, 5, 8, 8), (6, 5, 3, 3), dict(stride=(2, 1), padding=(0, 1))),
]
IDS = [f"{i}-{'-'.join(f'{k}{v}' for k, v in kw.items()) or 'plain'}".replace(' ', '')
       for i, (_, _, kw) in enumerate(GRID)]


def geometry(xs, ws, kw):
    x, w = mdl.zeros(*xs), mdl.zeros(*ws)
    stride, padding, dilation = parse_conv('conv2d', x, w, None, kw.get('stride', 1),
                                           kw.get('padding', 0), kw.get('dilation', 1),
                                           kw.get('groups', 1), 2)
    return R.Geometry(xs, ws, stride, padding, dilation, kw.get('groups', 1))


def force(monkeypatch, strategy, g, itemsize):
    """Set strategies.py's constants so that ``strategy`` runs wherever it applies."""
    for name, value in {**OFF, **STRATEGIES[strategy]}.items():
        if value == 'row':           # blocks of one output row of the whole batch
            value = g.C * g.KH * g.KW * g.OW * g.N * itemsize
        monkeypatch.setattr(S, name, value)


def by_reference(x, w, b, gy, g):
    """(y, grad_x, grad_w, grad_b) by reference.py alone, on float64 NumPy arrays."""
    windows = R.window_matrix(R.source(x, g), g)
    y = R.convolve(windows, w, g).transpose(3, 0, 1, 2) + b.reshape(-1, 1, 1)
    grad_y = np.ascontiguousarray(gy.transpose(1, 2, 3, 0))
    return (y, R.unpad(R.transposed(grad_y, w, g), g), R.weight_gradient(windows, grad_y, g),
            grad_y.sum((1, 2, 3)))


def by_minidl(x, w, b, gy, kw, device, dtype, create_graph):
    """(y, grad_x, grad_w, grad_b) by F.conv2d: the fast backward, or the differentiable one."""
    tx, tw, tb = (mdl.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(tx, tw, tb, **kw)
    grads = mdl.grad(y, [tx, tw, tb], mdl.tensor(gy, dtype=dtype, device=device),
                     create_graph=create_graph)
    return [to_numpy(t) for t in (y, *grads)]


def arrays(xs, ws, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])


@pytest.mark.parametrize('strategy', list(STRATEGIES))
@pytest.mark.parametrize('xs,ws,kw', GRID, ids=IDS)
def test_every_strategy_matches_the_reference_path(xs, ws, kw, strategy, device, monkeypatch):
    g = geometry(xs, ws, kw)
    # where the strategy cannot run (Winograd on a strided layer, or on a GPU), the dispatch
    # falls back to the direct path under the same forced settings: that must match too
    force(monkeypatch, strategy, g, 8)
    x, w, b = arrays(xs, ws)
    gy = np.random.default_rng(1).standard_normal((g.N, g.O, g.OH, g.OW))
    want = by_reference(x, w, b, gy, g)
    for create_graph in (False, True):
        got = by_minidl(x, w, b, gy, kw, device, mdl.float64, create_graph)
        for name, a, e in zip(('y', 'grad_x', 'grad_w', 'grad_b'), got, want):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10,
                                       err_msg=f'{name}, create_graph={create_graph}')


@pytest.mark.parametrize('strategy', list(STRATEGIES))
def test_every_strategy_in_float32(strategy, device, monkeypatch):
    xs, ws, kw = (2, 8, 9, 10), (6, 8, 3, 3), dict(padding=1)
    g = geometry(xs, ws, kw)
    force(monkeypatch, strategy, g, 4)
    x, w, b = arrays(xs, ws)
    gy = np.random.default_rng(1).standard_normal((g.N, g.O, g.OH, g.OW))
    got = by_minidl(x, w, b, gy, kw, device, mdl.float32, False)
    for a, e in zip(got, by_reference(x, w, b, gy, g)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-4 * np.abs(e).max())


@pytest.mark.parametrize('relu', [False, True], ids=['normal', 'relu-outputs'])
def test_winograd_in_float32_stays_within_twice_the_direct_error(relu, monkeypatch):
    """The rule for using Winograd (README, Speed): where the dispatch picks it, its float32
    error against float64 is at most twice that of the direct (im2col) method, for the output
    and both gradients. 256 channels: longer sums are where BLAS's rounding grows."""
    xs, ws, kw = (16, 256, 8, 8), (256, 256, 3, 3), dict(padding=1)
    g = geometry(xs, ws, kw)
    assert S.choose(g, np.zeros(1, np.float32)).winograd
    rng = np.random.default_rng(2)
    x = rng.standard_normal(xs)
    x = np.maximum(x, 0) if relu else x
    w, b = rng.standard_normal(ws) * (2 / (9 * 256)) ** 0.5, np.zeros(256)
    gy = rng.standard_normal((g.N, g.O, g.OH, g.OW))
    exact = by_reference(x, w, b, gy, g)[:3]
    winograd = by_minidl(x, w, b, gy, kw, 'cpu', mdl.float32, False)[:3]
    force(monkeypatch, 'reference', g, 4)
    direct = by_minidl(x, w, b, gy, kw, 'cpu', mdl.float32, False)[:3]
    for name, fast, plain, e in zip(('y', 'grad_x', 'grad_w'), winograd, direct, exact):
        error = np.linalg.norm(fast - e) / np.linalg.norm(e)
        assert error <= 2 * np.linalg.norm(plain - e) / np.linalg.norm(e), name


def test_the_dispatch_rules():
    def plan(xs, ws, stride=(1, 1), groups=1, dtype=np.float32):
        g = R.Geometry(xs, ws, stride, (1, 1, 1, 1), (1, 1), groups)
        return S.choose(g, np.zeros(1, dtype))
    assert plan((32, 64, 32, 32), (64, 64, 3, 3)).winograd                  # W3's layer
    assert plan((64, 32, 26, 26), (64, 32, 3, 3)).winograd                  # W5's second
    assert plan((128, 512, 4, 4), (512, 512, 3, 3)).winograd                # W6's last stage
    assert not plan((32, 64, 32, 32), (64, 64, 3, 3), stride=(2, 2)).winograd
    assert not plan((32, 64, 32, 32), (64, 64, 5, 5)).winograd
    assert not plan((128, 3, 32, 32), (64, 3, 3, 3)).winograd               # too few channels
    assert not plan((2, 64, 8, 8), (64, 64, 3, 3)).winograd                 # too few outputs
    assert not plan((8, 256, 4, 4), (256, 256, 3, 3)).winograd
    assert not plan((64, 16, 8, 8), (32, 16, 3, 3)).winograd                # too little work
    assert not plan((32, 64, 32, 32), (64, 32, 3, 3), groups=2).winograd
    assert len(plan((32, 64, 32, 32), (64, 64, 3, 3)).blocks) > 1           # 72 MiB of windows
    assert len(plan((64, 16, 4, 4), (32, 16, 3, 3)).blocks) == 1


def test_blocks_cover_the_output_once_within_the_bound():
    g = R.Geometry((5, 3, 9, 7), (4, 3, 3, 3), (2, 1), (1, 1, 0, 0), (1, 1), 1)
    row = g.C * g.KH * g.KW * g.OW * 8
    for limit, count in ((HUGE, 1), (2 * row * g.N, (g.OH + 1) // 2), (row * g.N, g.OH),
                         (2 * row, g.OH * 3), (1, g.OH * g.N)):
        blocks = S.blocks(g, 8, limit)
        assert len(blocks) == count
        covered = np.zeros((g.OH, g.N), int)
        for rows, batch in blocks:
            covered[rows, batch] += 1
            assert (rows.stop - rows.start) * (batch.stop - batch.start) * row <= max(limit, row)
        assert (covered == 1).all()


# ---------------------------------------------------------------- records
def _layer(requires_grad=True, **kw):
    rng = np.random.default_rng(0)
    x = mdl.tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True)
    w = mdl.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=requires_grad)
    return x, w, F.conv2d(x, w, padding=1, **kw)


@pytest.mark.parametrize('strategy,kind', [('kept-windows', S.KeptWindows),
                                           ('winograd', S.WinogradTiles)])
def test_the_forward_keeps_a_record_only_for_a_weight_gradient(strategy, kind, monkeypatch):
    force(monkeypatch, strategy, geometry((2, 3, 6, 6), (4, 3, 3, 3), dict(padding=1)), 8)
    assert isinstance(_layer()[2].grad_fn.record, kind)
    assert _layer(requires_grad=False)[2].grad_fn.record is None
    x, w, y = _layer()
    y.sum().backward()
    assert y.grad_fn.record is None          # released with the rest of the node


@pytest.mark.parametrize('strategy', ['kept-windows', 'winograd', 'reference'])
def test_a_retained_graph_gives_the_same_gradients_twice(strategy, monkeypatch):
    force(monkeypatch, strategy, geometry((2, 3, 6, 6), (4, 3, 3, 3), dict(padding=1)), 8)
    x, w, y = _layer()
    y.sum().backward(retain_graph=True)
    first = x.grad.array.copy(), w.grad.array.copy()
    x.grad = w.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, first[0])
    np.testing.assert_array_equal(w.grad.array, first[1])


@pytest.mark.parametrize('strategy', ['kept-windows', 'winograd'])
def test_writing_into_the_input_after_the_forward_is_caught(strategy, monkeypatch):
    force(monkeypatch, strategy, geometry((2, 3, 6, 6), (4, 3, 3, 3), dict(padding=1)), 8)
    x, w, y = _layer()
    with mdl.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match='modified by an inplace operation'):
        y.sum().backward()
