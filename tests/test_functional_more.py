"""The functional ops of issue 14's layers: the other activations, smooth_l1/huber/kl_div,
layer_norm/group_norm, channel dropout, embedding/one_hot and interpolate.

Each: forward against a NumPy reference, gradients by gradcheck in float64 (inputs away from
kinks), second derivatives where the backward is hand-written, and values and gradients against
PyTorch (skipped without torch), the kinks included.
"""
import math
import warnings

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from tests.conftest import to_numpy


def tensor(array, device, grad=False):
    return mdl.tensor(np.asarray(array), device=device, requires_grad=grad)


def away_from_kinks(shape, kinks=(0.0,), seed=0, scale=4.0):
    """Values in [-scale, scale] at least 0.05 from every kink."""
    x = np.random.default_rng(seed).uniform(-scale, scale, shape)
    for k in kinks:
        near = np.abs(x - k) < 0.05
        x[near] = k + 0.1
    return x


def torch_or_skip():
    return pytest.importorskip('torch')


def compare_with_torch(ours, theirs, inputs, rtol=1e-10, atol=1e-12, seed=1):
    """Values and gradients (for a random upstream) of ours(*minidl tensors) and
    theirs(*torch tensors) on the same float64 inputs (NumPy arrays)."""
    torch = torch_or_skip()
    mine = [mdl.tensor(a, requires_grad=a.dtype.kind == 'f') for a in inputs]
    yours = [torch.tensor(a, requires_grad=a.dtype.kind == 'f') for a in inputs]
    out, expected = ours(*mine), theirs(*yours)
    np.testing.assert_allclose(to_numpy(out), expected.detach().numpy(), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(seed).standard_normal(expected.shape)
    out.backward(mdl.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for m, y in zip(mine, yours):
        if y.grad is not None:
            np.testing.assert_allclose(to_numpy(m.grad), y.grad.numpy(), rtol=rtol, atol=atol)


# ---------------------------------------------------------------- activations
def np_softplus(x):
    return np.logaddexp(0, x)


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
# name, minidl call, NumPy reference, torch call (name, kwargs), kinks
ACTIVATIONS = [
    ('silu', F.silu, lambda x: x / (1 + np.exp(-x)), ('silu', {}), ()),
    ('mish', F.mish, lambda x: x * np.tanh(np_softplus(x)), ('mish', {}), ()),
    ('hardtanh', F.hardtanh, lambda x: np.clip(x, -1, 1), ('hardtanh', {}), (-1, 1)),
    ('hardtanh 0.5 2', lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2),
     ('hardtanh', {'min_val': -0.5, 'max_val': 2.0}), (-0.5, 2)),
    ('relu6', F.relu6, lambda x: np.clip(x, 0, 6), ('relu6', {}), (0, 6)),
    ('hardsigmoid', F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), ('hardsigmoid', {}),
     (-3, 3)),
    ('hardswish', F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, ('hardswish', {}),
     (-3, 3)),
    ('logsigmoid', F.logsigmoid, lambda x: -np_softplus(-x), ('logsigmoid', {}), ()),
    ('softsign', F.softsign, lambda x: x / (1 + np.abs(x)), ('softsign', {}), ()),
    ('tanhshrink', F.tanhshrink, lambda x: x - np.tanh(x), ('tanhshrink', {}), ()),
    ('celu', F.celu, lambda x: np.where(x > 0, x, np.expm1(x)), ('celu', {}), (0,)),
    ('celu 0.5', lambda x: F.celu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5)),
     ('celu', {'alpha': 0.5}), (0,)),
    ('selu', F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x)), ('selu', {}),
     (0,)),
    ('threshold', lambda x: F.threshold(x, 0.5, -2.0), lambda x: np.where(x > 0.5, x, -2.0),
     ('threshold', {'threshold': 0.5, 'value': -2.0}), (0.5,)),
    ('hardshrink', F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0), ('hardshrink', {}),
     (-0.5, 0.5)),
    ('softshrink 1', lambda x: F.softshrink(x, 1.0),
     lambda x: np.where(x > 1, x - 1, np.where(x < -1, x + 1, 0)), ('softshrink', {'lambd': 1.0}),
     (-1, 1)),
]
IDS = [a[0] for a in ACTIVATIONS]


@pytest.mark.parametrize('name, fn, ref, torch_call, kinks', ACTIVATIONS, ids=IDS)
def test_activation_matches_numpy_and_keeps_dtype(name, fn, ref, torch_call, kinks, device):
    x = away_from_kinks((3, 4, 5), kinks) * 2
    np.testing.assert_allclose(to_numpy(fn(tensor(x, device))), ref(x), rtol=1e-10, atol=1e-12)
    out32 = fn(tensor(x.astype(np.float32), device))
    assert out32.dtype == np.float32 and out32.shape == x.shape
    np.testing.assert_allclose(to_numpy(out32), ref(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name, fn, ref, torch_call, kinks', ACTIVATIONS, ids=IDS)
def test_activation_gradcheck_and_gradgradcheck(name, fn, ref, torch_call, kinks, device):
    x = tensor(away_from_kinks((3, 4), kinks), device, grad=True)
    assert mdl.gradcheck(fn, [x])
    assert mdl.gradgradcheck(fn, [x])


@pytest.mark.parametrize('name, fn, ref, torch_call, kinks', ACTIVATIONS, ids=IDS)
def test_activation_matches_torch_at_and_between_kinks(name, fn, ref, torch_call, kinks):
    torch = torch_or_skip()
    points = [k + d for k in kinks for d in (-1e-3, 0.0, 1e-3)]
    x = np.concatenate([away_from_kinks((20,), kinks, scale=8), np.array(points, float),
                        [-30.0, -25.0, 25.0, 30.0]])
    torch_fn = getattr(torch.nn.functional, torch_call[0])
    # rtol 1e-7: PyTorch's hardsigmoid multiplies by a float32 1/6 even in float64
    compare_with_torch(fn, lambda t: torch_fn(t, **torch_call[1]), [x], rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize('name', ['silu', 'mish', 'hardtanh', 'relu6', 'hardsigmoid',
                                  'hardswish', 'celu', 'selu', 'threshold'])
def test_inplace_activation_writes_into_its_input_with_the_same_gradient(name, device):
    fn = getattr(F, name)
    if name == 'threshold':
        fn = lambda x, inplace=False: F.threshold(x, 0.0, 2.0, inplace)    # noqa: E731
    x0 = away_from_kinks((4, 5), (-3, -1, 0, 1, 3, 6))
    leaf = tensor(x0, device, grad=True)
    expected = fn(leaf * 1.0)
    expected.sum().backward()
    other = tensor(x0, device, grad=True)
    hidden = other * 1.0
    out = fn(hidden, inplace=True)
    assert out is hidden
    np.testing.assert_allclose(to_numpy(hidden), to_numpy(expected), rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(to_numpy(other.grad), to_numpy(leaf.grad), rtol=1e-12)
    with pytest.raises(RuntimeError, match='leaf Variable that requires grad'):
        fn(tensor(x0, device, grad=True), inplace=True)


def test_prelu_slopes_per_channel_and_shared(device):
    x = away_from_kinks((2, 3, 4))
    for slopes in (np.array([0.25]), np.array([0.1, -0.2, 0.3])):
        w = tensor(slopes, device, grad=True)
        xs = tensor(x, device, grad=True)
        out = F.prelu(xs, w)
        expected = np.where(x > 0, x, slopes.reshape(-1, 1) * x)
        np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-12)
        assert mdl.gradcheck(F.prelu, [xs, w]) and mdl.gradgradcheck(F.prelu, [xs, w])
    with pytest.raises(ValueError, match='3 channels'):
        F.prelu(tensor(x, device), tensor(np.ones(2), device))


def test_prelu_matches_torch():
    torch = torch_or_skip()
    x = np.concatenate([away_from_kinks((2, 3, 4)), np.zeros((2, 3, 1))], axis=2)
    compare_with_torch(F.prelu, torch.nn.functional.prelu, [x, np.array([0.1, -0.2, 0.3])])
    compare_with_torch(F.prelu, torch.nn.functional.prelu, [x, np.array([0.25])])


def test_softmin_and_glu(device):
    x = np.random.default_rng(5).standard_normal((3, 4, 6))
    e = np.exp(-x - (-x).max(1, keepdims=True))
    np.testing.assert_allclose(to_numpy(F.softmin(tensor(x, device), 1)),
                               e / e.sum(1, keepdims=True), rtol=1e-12)
    a, b = x[..., :3], x[..., 3:]
    np.testing.assert_allclose(to_numpy(F.glu(tensor(x, device))), a / (1 + np.exp(-b)),
                               rtol=1e-12)
    xs = tensor(x[:2, :2], device, grad=True)
    assert mdl.gradcheck(lambda t: F.glu(t, dim=-1), [xs])
    assert mdl.gradcheck(lambda t: F.softmin(t, dim=0), [xs])
    with pytest.raises(ValueError, match='glu: the halved dimension must have an even size'):
        F.glu(tensor(x, device), dim=0)


def test_softmin_and_glu_match_torch():
    torch = torch_or_skip()
    x = np.random.default_rng(6).standard_normal((3, 4, 6))
    compare_with_torch(lambda t: F.softmin(t, 1), lambda t: torch.nn.functional.softmin(t, 1),
                       [x])
    compare_with_torch(lambda t: F.glu(t, 2), lambda t: torch.nn.functional.glu(t, 2), [x])


def test_activation_argument_errors():
    x = mdl.randn(3)
    with pytest.raises(ValueError, match='hardtanh: max_val'):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(ValueError, match='celu: alpha must not be 0'):
        F.celu(x, 0.0)
    with pytest.raises(TypeError, match='silu: input must be a floating-point Tensor'):
        F.silu(mdl.tensor([1, 2]))


# ---------------------------------------------------------------- losses
def np_smooth_l1(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


LOSSES = [
    ('smooth_l1', lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r),
     lambda d: np_smooth_l1(d, 1.0), 'smooth_l1_loss', {}),
    ('smooth_l1 beta 0.3', lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.3),
     lambda d: np_smooth_l1(d, 0.3), 'smooth_l1_loss', {'beta': 0.3}),
    ('smooth_l1 beta 0', lambda x, y, r: F.smooth_l1_loss(x, y, reduction=r, beta=0.0),
     np.abs, 'smooth_l1_loss', {'beta': 0.0}),
    ('huber', lambda x, y, r: F.huber_loss(x, y, reduction=r), lambda d: np_smooth_l1(d, 1.0),
     'huber_loss', {}),
    ('huber delta 2', lambda x, y, r: F.huber_loss(x, y, reduction=r, delta=2.0),
     lambda d: 2 * np_smooth_l1(d, 2.0), 'huber_loss', {'delta': 2.0}),
]


@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
@pytest.mark.parametrize('name, fn, ref, torch_name, kwargs', LOSSES, ids=[c[0] for c in LOSSES])
def test_robust_losses(name, fn, ref, torch_name, kwargs, reduction, device):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 5)) * 2, rng.standard_normal((4, 5))
    per_element = ref(x - y)
    expected = {'mean': per_element.mean(), 'sum': per_element.sum(), 'none': per_element}
    out = fn(tensor(x, device), tensor(y, device), reduction)
    np.testing.assert_allclose(to_numpy(out), expected[reduction], rtol=1e-12)
    xs, ys = tensor(x, device, grad=True), tensor(y, device, grad=True)
    assert mdl.gradcheck(lambda a, b: fn(a, b, reduction), [xs, ys])


@pytest.mark.parametrize('name, fn, ref, torch_name, kwargs', LOSSES, ids=[c[0] for c in LOSSES])
def test_robust_losses_match_torch_at_the_joins(name, fn, ref, torch_name, kwargs):
    torch = torch_or_skip()
    width = kwargs.get('beta', kwargs.get('delta', 1.0))
    y = np.zeros(7)
    x = np.array([-width, width, 0.0, 0.5 * width, -3.0, 3.0, width + 1e-9])
    theirs = getattr(torch.nn.functional, torch_name)
    compare_with_torch(lambda a, b: fn(a, b, 'sum'),
                       lambda a, b: theirs(a, b, reduction='sum', **kwargs), [x, y])


def test_huber_weight_and_loss_errors():
    x, y, w = mdl.randn(3, 4), mdl.randn(3, 4), mdl.rand(3, 4)
    expected = F.huber_loss(x, y, reduction='none') * w
    np.testing.assert_allclose(to_numpy(F.huber_loss(x, y, weight=w, reduction='none')),
                               to_numpy(expected), rtol=1e-6)
    with pytest.raises(ValueError, match='huber_loss: weight must have shape'):
        F.huber_loss(x, y, weight=mdl.rand(4))
    with pytest.raises(ValueError, match='smooth_l1_loss: beta must be a number >= 0'):
        F.smooth_l1_loss(x, y, beta=-1.0)
    with pytest.raises(ValueError, match='huber_loss: delta must be a positive number'):
        F.huber_loss(x, y, delta=0.0)
    with pytest.warns(UserWarning, match='target size'):
        F.smooth_l1_loss(x, mdl.randn(4))


def np_kl(logq, p, log_target):
    if log_target:
        return np.exp(p) * (p - logq)
    safe = np.where(p > 0, p, 1.0)
    return np.where(p > 0, p * np.log(safe), 0.0) - p * logq


@pytest.mark.parametrize('log_target', [False, True])
@pytest.mark.parametrize('reduction', ['batchmean', 'sum', 'none', 'mean'])
def test_kl_div(reduction, log_target, device):
    rng = np.random.default_rng(3)
    logq = np.log(rng.dirichlet(np.ones(5), size=4))
    p = rng.dirichlet(np.ones(5), size=4)
    p[0, 1] = 0.0                     # 0 log 0 = 0
    target = np.log(np.where(p > 0, p, 1e-3)) if log_target else p
    per = np_kl(logq, target, log_target)
    expected = {'batchmean': per.sum() / 4, 'sum': per.sum(), 'none': per, 'mean': per.mean()}
    args = (tensor(logq, device), tensor(target, device))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        out = F.kl_div(*args, reduction=reduction, log_target=log_target)
    assert any('batchmean' in str(w.message) for w in caught) == (reduction == 'mean')
    np.testing.assert_allclose(to_numpy(out), expected[reduction], rtol=1e-12)
    x = tensor(logq, device, grad=True)
    t = tensor(target if log_target else np.clip(target, 0.05, None), device, grad=True)
    assert mdl.gradcheck(lambda a, b: F.kl_div(a, b, reduction='sum', log_target=log_target),
                         [x, t])


@pytest.mark.parametrize('log_target', [False, True])
def test_kl_div_matches_torch(log_target):
    torch = torch_or_skip()
    rng = np.random.default_rng(4)
    logq = np.log(rng.dirichlet(np.ones(6), size=3))
    p = rng.dirichlet(np.ones(6), size=3)
    target = np.log(p) if log_target else p
    compare_with_torch(lambda a, b: F.kl_div(a, b, reduction='batchmean', log_target=log_target),
                       lambda a, b: torch.nn.functional.kl_div(a, b, reduction='batchmean',
                                                               log_target=log_target),
                       [logq, target])


# ---------------------------------------------------------------- layer_norm, group_norm
def np_standardize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


@pytest.mark.parametrize('normalized_shape', [5, (4, 5), (3, 4, 5)])
def test_layer_norm_against_numpy_gradcheck_and_second_derivative(normalized_shape, device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5)) * 3 + 1
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    w, b = rng.standard_normal(shape), rng.standard_normal(shape)
    axes = tuple(range(4 - len(shape), 4))
    out = F.layer_norm(tensor(x, device), normalized_shape, tensor(w, device), tensor(b, device))
    np.testing.assert_allclose(to_numpy(out), np_standardize(x, axes, 1e-5) * w + b,
                               rtol=1e-10, atol=1e-12)
    xs, ws, bs = (tensor(a, device, grad=True) for a in (x[:1], w, b))
    fn = lambda a, c, d: F.layer_norm(a, normalized_shape, c, d)    # noqa: E731
    assert mdl.gradcheck(fn, [xs, ws, bs])
    assert mdl.gradgradcheck(fn, [xs, ws, bs])


@pytest.mark.parametrize('groups', [1, 2, 6])
def test_group_norm_against_numpy_gradcheck_and_second_derivative(groups, device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 3, 2)) * 2 - 1
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    grouped = np_standardize(x.reshape(2, groups, -1), (2,), 1e-5).reshape(x.shape)
    expected = grouped * w.reshape(6, 1, 1) + b.reshape(6, 1, 1)
    out = F.group_norm(tensor(x, device), groups, tensor(w, device), tensor(b, device))
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-10, atol=1e-12)
    xs, ws, bs = (tensor(a, device, grad=True) for a in (x[:, :, :2, :1], w, b))
    fn = lambda a, c, d: F.group_norm(a, groups, c, d)    # noqa: E731
    assert mdl.gradcheck(fn, [xs, ws, bs])
    assert mdl.gradgradcheck(fn, [xs, ws, bs])
    plain = F.group_norm(tensor(x, device), groups)
    np.testing.assert_allclose(to_numpy(plain), grouped, rtol=1e-10, atol=1e-12)


def test_layer_and_group_norm_match_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 5)) * 10
    w, b = rng.standard_normal(5), rng.standard_normal(5)
    compare_with_torch(lambda a, c, d: F.layer_norm(a, (5,), c, d, eps=1e-3),
                       lambda a, c, d: torch.nn.functional.layer_norm(a, (5,), c, d, eps=1e-3),
                       [x, w, b], rtol=1e-9)
    x = rng.standard_normal((3, 4, 5))
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    compare_with_torch(lambda a, c, d: F.group_norm(a, 2, c, d),
                       lambda a, c, d: torch.nn.functional.group_norm(a, 2, c, d),
                       [x, w, b], rtol=1e-9)


def test_norm_argument_errors():
    x = mdl.randn(2, 6, 3)
    with pytest.raises(ValueError, match=r'does not end with normalized_shape \(4,\)'):
        F.layer_norm(x, 4)
    with pytest.raises(ValueError, match='layer_norm: weight must have shape'):
        F.layer_norm(x, 3, mdl.ones(4))
    with pytest.raises(ValueError, match=r'channels \(6\).*divisible by num_groups \(4\)'):
        F.group_norm(x, 4)
    with pytest.raises(ValueError, match='normalized_shape must have at least one'):
        F.layer_norm(x, ())


# ---------------------------------------------------------------- channel dropout
@pytest.mark.parametrize('fn, shape, batched', [
    (F.dropout1d, (8, 6, 5), True), (F.dropout1d, (6, 5), False),
    (F.dropout2d, (8, 6, 3, 4), True), (F.dropout3d, (4, 6, 2, 3, 2), True),
    (F.dropout3d, (6, 2, 3, 2), False)])
def test_channel_dropout_drops_whole_channels(fn, shape, batched, device):
    x = tensor(np.random.default_rng(0).uniform(1, 2, shape), device, grad=True)
    out = fn(x, p=0.4)
    ratio = to_numpy(out) / to_numpy(x)
    ratios = ratio if batched else ratio[None]
    per_channel = ratios.reshape(ratios.shape[0], ratios.shape[1], -1)
    assert np.allclose(per_channel, per_channel[..., :1])           # one factor per channel
    assert set(np.round(np.unique(per_channel), 6)) <= {0.0, round(1 / 0.6, 6)}
    assert 0 < (per_channel[..., 0] == 0).mean() < 1
    out.backward(mdl.ones(*shape, dtype=mdl.float64, device=device))
    np.testing.assert_allclose(to_numpy(x.grad), ratio, rtol=1e-12)   # the gradient is the mask
    assert fn(x, p=0.4, training=False) is x
    assert np.all(to_numpy(fn(x, p=1.0)) == 0)


def test_channel_dropout_rank_rules():
    with pytest.raises(ValueError, match='dropout1d: expected a 2-D'):
        F.dropout1d(mdl.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match='dropout3d: expected a 4-D'):
        F.dropout3d(mdl.randn(2, 3, 4))
    with pytest.warns(UserWarning, match=r'interpreted as shape \(N, C, L\)'):
        F.dropout2d(mdl.randn(2, 3, 4))
    with pytest.warns(UserWarning, match='2-D input to dropout2d'):
        F.dropout2d(mdl.randn(2, 3))


def test_channel_dropout_in_place(device):
    x = mdl.rand(4, 5, 3, 3, device=device) + 1
    y = F.dropout2d(x, 0.5, inplace=True)
    assert y is x and np.all((to_numpy(x) == 0) | (to_numpy(x) >= 2))


# ---------------------------------------------------------------- embedding, one_hot
def test_embedding_gathers_rows_and_scatters_gradients(device):
    rng = np.random.default_rng(0)
    table = rng.standard_normal((6, 3))
    idx = np.array([[1, 4, 1], [0, 5, 1]])
    w = tensor(table, device, grad=True)
    out = F.embedding(tensor(idx, device), w)
    np.testing.assert_allclose(to_numpy(out), table[idx])
    upstream = rng.standard_normal((2, 3, 3))
    out.backward(tensor(upstream, device))
    expected = np.zeros_like(table)
    np.add.at(expected, idx, upstream)            # repeated index 1 adds up
    np.testing.assert_allclose(to_numpy(w.grad), expected, rtol=1e-12)
    assert mdl.gradcheck(lambda t: F.embedding(tensor(idx, device), t), [w])
    assert mdl.gradgradcheck(lambda t: F.embedding(tensor(idx, device), t, padding_idx=1) ** 2,
                             [w])


def test_embedding_padding_idx_and_frequency_scaling(device):
    rng = np.random.default_rng(1)
    table, idx = rng.standard_normal((5, 2)), np.array([0, 2, 2, 2, 4, 0])
    upstream = rng.standard_normal((6, 2))
    w = tensor(table, device, grad=True)
    F.embedding(tensor(idx, device), w, padding_idx=-1).backward(tensor(upstream, device))
    padded = np.zeros_like(table)
    np.add.at(padded, idx, upstream)
    padded[4] = 0                                     # -1 is row 4: no gradient
    np.testing.assert_allclose(to_numpy(w.grad), padded, rtol=1e-12)
    w.grad = None
    F.embedding(tensor(idx, device), w, scale_grad_by_freq=True).backward(
        tensor(upstream, device))
    counts = np.bincount(idx)
    scaled = np.zeros_like(table)
    np.add.at(scaled, idx, upstream / counts[idx][:, None])
    np.testing.assert_allclose(to_numpy(w.grad), scaled, rtol=1e-12)


def test_embedding_max_norm_renormalises_looked_up_rows_in_place(device):
    table = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    w = tensor(table, device)
    version = w._version
    out = F.embedding(tensor([0, 1], device), w, max_norm=1.0)
    np.testing.assert_allclose(to_numpy(out), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(w)[2], [6.0, 8.0])       # not looked up: unchanged
    assert w._version > version


def test_embedding_matches_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(2)
    table, idx = rng.standard_normal((7, 3)) * 2, np.array([[0, 3, 3], [6, 1, 3]])
    for options in ({}, {'padding_idx': 3}, {'scale_grad_by_freq': True},
                    {'max_norm': 1.5, 'norm_type': 1.0}):
        compare_with_torch(lambda i, w: F.embedding(i, w, **options),
                           lambda i, w: torch.nn.functional.embedding(i, w, **options),
                           [idx, table.copy()])


def test_embedding_errors(device):
    w = mdl.randn(4, 2, device=device)
    with pytest.raises(TypeError, match='int64 or int32, got float32'):
        F.embedding(mdl.zeros(3, device=device), w)
    if device == 'cpu':
        with pytest.raises(IndexError, match='index 4 is out of range for a table of 4 rows'):
            F.embedding(mdl.tensor([0, 4]), w)
        with pytest.raises(IndexError, match='index -1 is out of range'):
            F.embedding(mdl.tensor([-1]), w)
    with pytest.raises(ValueError, match='padding_idx must be within num_embeddings'):
        F.embedding(mdl.tensor([0], device=device), w, padding_idx=4)
    with pytest.raises(NotImplementedError, match='sparse=True'):
        F.embedding(mdl.tensor([0], device=device), w, sparse=True)


def test_one_hot(device):
    labels = np.array([[0, 3], [2, 1]])
    out = F.one_hot(tensor(labels, device))
    assert out.dtype == np.int64 and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(to_numpy(out), np.eye(4, dtype=np.int64)[labels])
    assert F.one_hot(tensor(labels, device), 6).shape == (2, 2, 6)
    assert F.one_hot(mdl.tensor(np.zeros(0, np.int64), device=device), 3).shape == (0, 3)
    with pytest.raises(ValueError, match='smaller than num_classes'):
        F.one_hot(tensor(labels, device), 3)
    with pytest.raises(ValueError, match='non-negative'):
        F.one_hot(mdl.tensor([1, -1], device=device))
    with pytest.raises(TypeError, match='int64 class indices'):
        F.one_hot(mdl.tensor([1, 2], dtype=mdl.int32, device=device))
    with pytest.raises(ValueError, match='empty tensor'):
        F.one_hot(mdl.tensor(np.zeros(0, np.int64), device=device))


# ---------------------------------------------------------------- interpolate
def np_linear_along(x, axis, out, align_corners, scale=None):
    """Linear resampling along one axis with explicit loops over output positions."""
    n = x.shape[axis]
    if out == n:
        return x
    result = []
    for i in range(out):
        if align_corners:
            src = i * (n - 1) / (out - 1) if out > 1 else 0.0
        else:
            step = 1 / scale if scale else n / out
            src = max((i + 0.5) * step - 0.5, 0.0)
        lo = min(int(math.floor(src)), n - 1)
        hi, frac = min(lo + 1, n - 1), src - lo
        result.append(np.take(x, lo, axis) * (1 - frac) + np.take(x, hi, axis) * frac)
    return np.stack(result, axis)


def np_nearest_along(x, axis, out, scale=None, exact=False):
    n = x.shape[axis]
    step = np.float32(1 / scale) if scale else np.float32(n) / np.float32(out)
    index = [min(int(np.floor(np.float32(i + (0.5 if exact else 0)) * step)), n - 1)
             for i in range(out)]
    return np.take(x, index, axis)


@pytest.mark.parametrize('size, align_corners', [((7, 5), False), ((7, 5), True), ((3, 2), False),
                                                 ((4, 9), True), ((1, 1), True)])
def test_bilinear_against_loops_and_gradcheck(size, align_corners, device):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 3))
    expected = np_linear_along(np_linear_along(x, 2, size[0], align_corners), 3, size[1],
                               align_corners)
    xs = tensor(x, device, grad=True)
    out = F.interpolate(xs, size=size, mode='bilinear', align_corners=align_corners)
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-12, atol=1e-12)
    small = tensor(x[:1, :2], device, grad=True)
    assert mdl.gradcheck(lambda t: F.interpolate(t, size=size, mode='bilinear',
                                                 align_corners=align_corners), [small])


@pytest.mark.parametrize('mode', ['nearest', 'nearest-exact'])
@pytest.mark.parametrize('kwargs', [{'scale_factor': 2}, {'size': (5, 7)}, {'size': 3},
                                    {'scale_factor': (1.5, 0.5)}])
def test_nearest_against_loops_and_gradient(mode, kwargs, device):
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 6))
    sizes = kwargs.get('size')
    scales = kwargs.get('scale_factor')
    scales = (scales, scales) if isinstance(scales, (int, float)) else scales
    if sizes is None:
        sizes = tuple(int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales))
    sizes = (sizes, sizes) if isinstance(sizes, int) else sizes
    expected = x
    for axis, n in ((2, sizes[0]), (3, sizes[1])):
        s = scales[axis - 2] if scales else None
        same = mode == 'nearest' and n == x.shape[axis]
        expected = expected if same else np_nearest_along(expected, axis, n, s,
                                                          mode == 'nearest-exact')
    xs = tensor(x, device, grad=True)
    out = F.interpolate(xs, mode=mode, **kwargs)
    np.testing.assert_array_equal(to_numpy(out), expected)
    out.sum().backward()                          # each input gets one per output that read it
    assert to_numpy(xs.grad).sum() == out.numel()


def test_linear_trilinear_and_area_modes(device):
    rng = np.random.default_rng(2)
    x1 = rng.standard_normal((2, 3, 5))
    out = F.interpolate(tensor(x1, device), scale_factor=1.6, mode='linear')
    np.testing.assert_allclose(to_numpy(out), np_linear_along(x1, 2, 8, False, 1.6), rtol=1e-12)
    x3 = rng.standard_normal((1, 2, 3, 2, 4))
    out = F.interpolate(tensor(x3, device), size=(4, 3, 2), mode='trilinear', align_corners=True)
    expected = x3
    for axis, n in ((2, 4), (3, 3), (4, 2)):
        expected = np_linear_along(expected, axis, n, True)
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-12)
    x2 = rng.standard_normal((2, 3, 6, 4))
    area = F.interpolate(tensor(x2, device), size=(3, 2), mode='area')
    np.testing.assert_allclose(to_numpy(area), x2.reshape(2, 3, 3, 2, 2, 2).mean((3, 5)),
                               rtol=1e-12)


def test_interpolate_matches_torch_values_and_gradients():
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    cases = [((2, 3, 5, 7), dict(size=(8, 3), mode='bilinear')),
             ((2, 3, 5, 7), dict(scale_factor=1.7, mode='bilinear', align_corners=True)),
             ((2, 3, 5, 7), dict(scale_factor=(2.5, 0.6), mode='bilinear')),
             ((2, 3, 5, 7), dict(scale_factor=1.7, mode='bilinear', recompute_scale_factor=True)),
             ((2, 3, 5, 7), dict(scale_factor=1.1, mode='bilinear')),
             ((2, 3, 5, 7), dict(scale_factor=1.1, mode='nearest')),
             ((2, 3, 5, 7), dict(size=(11, 4), mode='nearest')),
             ((2, 3, 5, 7), dict(scale_factor=2.3, mode='nearest-exact')),
             ((2, 3, 9), dict(scale_factor=0.4, mode='linear')),
             ((2, 3, 9), dict(size=13, mode='nearest')),
             ((1, 2, 3, 4, 5), dict(scale_factor=1.5, mode='trilinear')),
             ((2, 3, 6, 9), dict(size=(4, 5), mode='area'))]
    for shape, kwargs in cases:
        x = rng.standard_normal(shape)
        compare_with_torch(lambda t: F.interpolate(t, **kwargs),
                           lambda t: torch.nn.functional.interpolate(t, **kwargs), [x],
                           rtol=1e-6, atol=1e-9)


def test_interpolate_argument_errors():
    x = mdl.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match='exactly one of size and scale_factor'):
        F.interpolate(x)
    with pytest.raises(ValueError, match='exactly one of size and scale_factor'):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(NotImplementedError, match="mode 'bilinear' needs a 4-D input"):
        F.interpolate(mdl.randn(1, 2, 4), size=3, mode='bilinear')
    with pytest.raises(ValueError, match='align_corners can only be set'):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match='bicubic'):
        F.interpolate(x, size=3, mode='bicubic')
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, size=3, mode='cubic')
    with pytest.raises(ValueError, match='greater than 0'):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match='size must be a positive int or a tuple of 2'):
        F.interpolate(x, size=(3, 3, 3))


# ---------------------------------------------------------------- normalize, similarities
@pytest.mark.parametrize('p', [2.0, 1.0, 3.0, math.inf])
def test_normalize_against_numpy_and_gradcheck(p, device):
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    norms = np.linalg.norm(x, ord=p, axis=1, keepdims=True) if p != 3.0 else \
        (np.abs(x) ** 3).sum(1, keepdims=True) ** (1 / 3)
    np.testing.assert_allclose(to_numpy(F.normalize(tensor(x, device), p=p)), x / norms,
                               rtol=1e-12)
    assert mdl.gradcheck(lambda t: F.normalize(t, p=p, dim=-1), [tensor(x, device, grad=True)])


def test_zero_vectors_get_pytorchs_gradient(device):
    zero = tensor(np.zeros((2, 3)), device, grad=True)
    F.normalize(zero).sum().backward()                  # x / eps: 1 / eps, no 0/0
    np.testing.assert_allclose(to_numpy(zero.grad), np.full((2, 3), 1e12))
    zero.grad = None
    other = np.array([[1.0, 2.0, 2.0], [0.0, 3.0, 4.0]])
    F.cosine_similarity(zero, tensor(other, device)).sum().backward()
    np.testing.assert_allclose(to_numpy(zero.grad), other / np.linalg.norm(other, axis=1,
                                                                          keepdims=True) / 1e-8)


def test_cosine_similarity_and_pairwise_distance(device):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(to_numpy(F.cosine_similarity(tensor(a, device),
                                                            tensor(b, device))), cos, rtol=1e-12)
    broadcast = F.cosine_similarity(tensor(rng.standard_normal((2, 3, 4)), device),
                                    tensor(rng.standard_normal((3, 1)), device), dim=1)
    assert broadcast.shape == (2, 4)
    distance = np.linalg.norm(a - b + 1e-6, axis=1)
    out = F.pairwise_distance(tensor(a, device), tensor(b, device))
    np.testing.assert_allclose(to_numpy(out), distance, rtol=1e-12)
    assert F.pairwise_distance(tensor(a, device), tensor(b[0], device), keepdim=True).shape == \
        (4, 1)
    ta, tb = tensor(a, device, grad=True), tensor(b, device, grad=True)
    assert mdl.gradcheck(lambda x, y: F.cosine_similarity(x, y, dim=0), [ta, tb])
    assert mdl.gradcheck(lambda x, y: F.pairwise_distance(x, y, p=1.5), [ta, tb])
    assert mdl.gradgradcheck(F.pairwise_distance, [ta, tb])


def test_distances_match_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    a[0] = 0.0
    a[1] = b[1]                                       # equal rows: the eps term decides
    tf = torch.nn.functional
    compare_with_torch(lambda x: F.normalize(x, dim=0), lambda x: tf.normalize(x, dim=0), [a])
    compare_with_torch(lambda x: F.normalize(x, p=1.0), lambda x: tf.normalize(x, p=1.0), [a])
    compare_with_torch(F.cosine_similarity, tf.cosine_similarity, [a, b], rtol=1e-9)
    for p in (2.0, 1.0, 3.0, math.inf):
        compare_with_torch(lambda x, y: F.pairwise_distance(x, y, p),
                           lambda x, y: tf.pairwise_distance(x, y, p), [a, b], rtol=1e-9)


# ---------------------------------------------------------------- pad modes
def np_pad(x, pad, mode):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return np.pad(x, widths, mode={'reflect': 'reflect', 'replicate': 'edge',
                                   'circular': 'wrap'}[mode])


PAD_CASES = [((2, 3, 5), (2, 1)), ((3, 5), (0, 4)), ((2, 3, 4, 5), (1, 2, 3, 0)),
             ((1, 2, 3, 4, 5), (1, 1, 2, 2, 2, 0)), ((3, 4, 5), (3, 3, 1, 2))]


@pytest.mark.parametrize('mode', ['reflect', 'replicate', 'circular'])
@pytest.mark.parametrize('shape, widths', PAD_CASES)
def test_pad_modes_against_numpy_and_gradcheck(mode, shape, widths, device):
    x = np.random.default_rng(0).standard_normal(shape)
    xs = tensor(x, device, grad=True)
    np.testing.assert_array_equal(to_numpy(F.pad(xs, widths, mode)), np_pad(x, widths, mode))
    assert mdl.gradcheck(lambda t: F.pad(t, widths, mode=mode), [xs])


def test_pad_modes_match_torch():
    torch = torch_or_skip()
    for mode in ('reflect', 'replicate', 'circular'):
        for shape, widths in PAD_CASES:
            x = np.random.default_rng(1).standard_normal(shape)
            compare_with_torch(lambda t: F.pad(t, widths, mode),
                               lambda t: torch.nn.functional.pad(t, widths, mode=mode), [x])


def test_pad_mode_rules():
    x = mdl.randn(1, 2, 3)
    with pytest.raises(ValueError, match="mode 'reflect' needs widths of at most 2"):
        F.pad(x, (3, 0), mode='reflect')
    assert F.pad(x, (3, 3), mode='circular').shape == (1, 2, 9)
    with pytest.raises(ValueError, match="mode 'circular' needs widths of at most 3"):
        F.pad(x, (4, 0), mode='circular')
    assert F.pad(x, (5, 5), mode='replicate').shape == (1, 2, 13)
    with pytest.raises(ValueError, match='pads the last 1, 2 or 3 dimensions'):
        F.pad(mdl.randn(5), (1, 1), mode='reflect')
    with pytest.raises(ValueError, match='takes no value argument'):
        F.pad(x, (1, 1), mode='reflect', value=2.0)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(x, (1, 1), mode='symmetric')
    np.testing.assert_array_equal(to_numpy(F.pad(x, (1, 1), value=7.0))[..., 0], 7.0)


# ---------------------------------------------------------------- adaptive max pooling
def np_adaptive_max(x, out_h, out_w):
    """Values and flat indices by loops over PyTorch's bins, first maximum wins."""
    n, c, h, w = x.shape
    values, where = np.empty((n, c, out_h, out_w)), np.empty((n, c, out_h, out_w), np.int64)
    for i in range(out_h):
        r0, r1 = i * h // out_h, -(-(i + 1) * h // out_h)
        for j in range(out_w):
            c0, c1 = j * w // out_w, -(-(j + 1) * w // out_w)
            window = x[:, :, r0:r1, c0:c1].reshape(n, c, -1)
            k = window.argmax(-1)
            values[:, :, i, j] = window.max(-1)
            where[:, :, i, j] = (r0 + k // (c1 - c0)) * w + c0 + k % (c1 - c0)
    return values, where


@pytest.mark.parametrize('shape, out', [((2, 3, 7, 5), (3, 2)), ((2, 3, 8, 8), (4, 4)),
                                        ((1, 2, 5, 9), (5, 4)), ((2, 1, 3, 3), (1, 1)),
                                        ((3, 4, 6), (4, None))])
def test_adaptive_max_pool2d_against_loops_and_gradcheck(shape, out, device):
    x = np.random.default_rng(0).permutation(np.prod(shape)).reshape(shape) / 7.0   # no ties
    batched = x if x.ndim == 4 else x[None]
    size = (out[0], out[1] if out[1] is not None else batched.shape[3])
    values, where = np_adaptive_max(batched, *size)
    xs = tensor(x, device, grad=True)
    out_values, out_where = F.adaptive_max_pool2d(xs, out, return_indices=True)
    np.testing.assert_array_equal(to_numpy(out_values), values.reshape(out_values.shape))
    np.testing.assert_array_equal(to_numpy(out_where), where.reshape(out_values.shape))
    assert out_where.dtype == np.int64
    assert mdl.gradcheck(lambda t: F.adaptive_max_pool2d(t, out), [xs])


def test_adaptive_max_pool1d_and_ties(device):
    x = np.array([[[1.0, 3.0, 3.0, 0.0, 2.0, 2.0, 5.0]]])
    values, where = F.adaptive_max_pool1d(tensor(x, device), 3, return_indices=True)
    np.testing.assert_array_equal(to_numpy(values), [[[3.0, 3.0, 5.0]]])
    np.testing.assert_array_equal(to_numpy(where), [[[1, 2, 6]]])      # bins [0,3) [2,5) [4,7)
    xs = tensor(x, device, grad=True)
    F.adaptive_max_pool1d(xs, 3).sum().backward()
    np.testing.assert_array_equal(to_numpy(xs.grad), [[[0, 1, 1, 0, 0, 0, 1]]])
    with pytest.raises(ValueError, match='output_size must be a positive int'):
        F.adaptive_max_pool1d(tensor(x, device), 0)


def test_adaptive_max_pool_matches_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(7)
    for shape, out in (((2, 3, 7, 5), (3, 2)), ((3, 9, 4), (4, 3)), ((2, 3, 10), 4)):
        x = np.round(rng.standard_normal(shape) * 2)          # many ties
        ours = F.adaptive_max_pool1d if isinstance(out, int) else F.adaptive_max_pool2d
        theirs = torch.nn.functional.adaptive_max_pool1d if isinstance(out, int) else \
            torch.nn.functional.adaptive_max_pool2d
        compare_with_torch(lambda t: ours(t, out), lambda t: theirs(t, out), [x])
        mine = ours(mdl.tensor(x), out, return_indices=True)[1]
        np.testing.assert_array_equal(to_numpy(mine),
                                      theirs(torch.tensor(x), out, return_indices=True)[1])


# ---------------------------------------------------------------- unfold, fold
def np_unfold(x, k, d, p, s):
    """Windows by loops: (N, C*KH*KW, L), row (c, i, j), column (oh, ow) row-major."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.empty((n, c, k[0], k[1], oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            out[:, :, i, j] = xp[:, :, i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0],
                                 j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


FOLD_CASES = [((2, 3, 5, 6), (2, 3), (1, 1), (0, 0), (1, 1)),
              ((1, 2, 7, 7), (3, 3), (2, 1), (1, 2), (2, 1)),
              ((2, 1, 4, 4), (2, 2), (1, 1), (0, 0), (2, 2)),
              ((1, 2, 5, 4), (1, 1), (1, 1), (1, 0), (1, 2))]


@pytest.mark.parametrize('shape, k, d, p, s', FOLD_CASES)
def test_unfold_against_loops_and_fold_is_its_adjoint(shape, k, d, p, s, device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    columns = F.unfold(tensor(x, device), k, d, p, s)
    np.testing.assert_array_equal(to_numpy(columns), np_unfold(x, k, d, p, s))
    c = rng.standard_normal(columns.shape)
    folded = F.fold(tensor(c, device), shape[2:], k, d, p, s)
    assert folded.shape == shape
    # <unfold(x), c> = <x, fold(c)>: fold is unfold's adjoint (col2im)
    np.testing.assert_allclose((np_unfold(x, k, d, p, s) * c).sum(), (x * to_numpy(folded)).sum(),
                               rtol=1e-12)
    xs, cs = tensor(x[:1], device, grad=True), tensor(c[:1], device, grad=True)
    assert mdl.gradcheck(lambda t: F.unfold(t, k, d, p, s), [xs])
    assert mdl.gradgradcheck(lambda t: F.unfold(t, k, d, p, s) ** 2, [xs])
    assert mdl.gradcheck(lambda t: F.fold(t, shape[2:], k, d, p, s), [cs])


def test_convolution_is_the_weights_times_the_windows_matrix(device):
    rng = np.random.default_rng(1)
    x, w = tensor(rng.standard_normal((2, 3, 6, 5)), device), tensor(
        rng.standard_normal((4, 3, 3, 2)), device)
    conv = F.conv2d(x, w, stride=(2, 1), padding=1)
    product = w.reshape(4, -1) @ F.unfold(x, (3, 2), padding=1, stride=(2, 1))
    np.testing.assert_allclose(to_numpy(product), to_numpy(conv).reshape(2, 4, -1), rtol=1e-12)


def test_unfold_fold_unbatched_and_errors(device):
    x = tensor(np.arange(12.0).reshape(1, 3, 4), device)
    assert F.unfold(x, 2).shape == (4, 6)
    assert F.fold(F.unfold(x, 2), (3, 4), 2).shape == (1, 3, 4)
    with pytest.raises(ValueError, match='expected a 3-D'):
        F.unfold(tensor(np.zeros((3, 4)), device), 2)
    with pytest.raises(ValueError, match='has 5 columns, but output_size'):
        F.fold(tensor(np.zeros((1, 4, 5)), device), (3, 4), 2)
    with pytest.raises(ValueError, match='divisible by the kernel'):
        F.fold(tensor(np.zeros((1, 5, 6)), device), (3, 4), 2)
    with pytest.raises(ValueError, match=r'no \(5, 5\) window'):
        F.unfold(x, 5)


def test_unfold_and_fold_match_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(2)
    for shape, k, d, p, s in FOLD_CASES:
        x = rng.standard_normal(shape)
        compare_with_torch(lambda t: F.unfold(t, k, d, p, s),
                           lambda t: torch.nn.functional.unfold(t, k, d, p, s), [x])
        c = np_unfold(x, k, d, p, s)
        compare_with_torch(lambda t: F.fold(t, shape[2:], k, d, p, s),
                           lambda t: torch.nn.functional.fold(t, shape[2:], k, d, p, s), [c])
