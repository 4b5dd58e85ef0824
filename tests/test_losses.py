"""minidl.functional losses: cross_entropy (class indices and probabilities, weights,
ignore_index, label smoothing), nll_loss, mse_loss, l1_loss, binary_cross_entropy and
binary_cross_entropy_with_logits.

Forward against NumPy references (and PyTorch when installed), gradients by gradcheck in float64,
second derivatives of the fused cross-entropy, stability at huge logits, float32 kept float32,
every reduction and every error message.
"""
import numpy as np
import pytest
from scipy.special import expit

import minidl as mdl
import minidl.functional as F
from tests.conftest import to_numpy

def assert_out_of_range(device, error, match, call):
    """An out-of-range target or probability: an error on the CPU; on a GPU, where checking
    would wait for the device, a NaN loss."""
    if device == 'cpu':
        with pytest.raises(error, match=match):
            call()
    else:
        assert np.isnan(float(call()))


REDUCTIONS = ['mean', 'sum', 'none']


def tensor(array, device, grad=False, dtype=None):
    return mdl.tensor(np.asarray(array), dtype=dtype, device=device, requires_grad=grad)


def np_log_softmax(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def np_reduce(loss, reduction, denominator=None):
    if reduction == 'none':
        return loss
    return loss.sum() / (loss.size if denominator is None else denominator) \
        if reduction == 'mean' else loss.sum()


def np_cross_entropy(x, target, weight=None, ignore_index=-100, reduction='mean',
                     smoothing=0.0):
    """Class-index cross-entropy following PyTorch's definition, with loops over samples."""
    logp = np_log_softmax(x, 1)
    classes = x.shape[1]
    logp = np.moveaxis(logp, 1, -1).reshape(-1, classes)
    flat = target.reshape(-1)
    w = np.ones(classes) if weight is None else weight
    loss, denominator = np.zeros(len(flat)), 0.0
    for i, c in enumerate(flat):
        if c == ignore_index:
            continue
        loss[i] = -(1 - smoothing) * w[c] * logp[i, c] - smoothing / classes * (w * logp[i]).sum()
        denominator += w[c]
    return np_reduce(loss.reshape(target.shape), reduction, denominator)


def make_case(shape, seed=0, ignore=False):
    """Logits of ``shape`` (N, C, ...) and valid integer targets (some ignored if asked)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2
    target = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    if ignore:
        target.reshape(-1)[::3] = -100
    return x, target


# shape, weight, ignore some, label smoothing
CE_CASES = [
    ((5, 4), False, False, 0.0),
    ((5, 4), True, False, 0.0),
    ((6, 4), False, True, 0.0),
    ((6, 4), True, True, 0.0),
    ((5, 4), False, False, 0.2),
    ((6, 4), True, True, 0.3),
    ((3, 4, 2, 3), False, False, 0.0),
    ((3, 4, 5), True, True, 0.1),
]
CE_IDS = ['plain', 'weight', 'ignore', 'weight+ignore', 'smoothing', 'all', 'NCHW', 'NCL all']


def ce_args(device, case, seed=0, dtype=None):
    shape, use_weight, ignore, smoothing = case
    x, target = make_case(shape, seed, ignore)
    weight = np.random.default_rng(seed + 1).uniform(0.5, 2.0, shape[1]) if use_weight else None
    kwargs = {'label_smoothing': smoothing}
    if use_weight:
        kwargs['weight'] = tensor(weight, device, dtype=dtype)
    return x, target, weight, kwargs


# ---------------------------------------------------------------- cross_entropy
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('case', CE_CASES, ids=CE_IDS)
def test_cross_entropy_forward_and_gradcheck(device, case, reduction):
    x, target, weight, kwargs = ce_args(device, case)
    out = F.cross_entropy(tensor(x, device), tensor(target, device), reduction=reduction,
                          **kwargs)
    expected = np_cross_entropy(x, target, weight, reduction=reduction,
                                smoothing=kwargs['label_smoothing'])
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-10, atol=1e-12)
    logits = tensor(x, device, grad=True)
    assert mdl.gradcheck(lambda z: F.cross_entropy(z, tensor(target, device), reduction=reduction,
                                                   **kwargs), [logits])


@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('case', CE_CASES, ids=CE_IDS)
def test_cross_entropy_matches_torch(device, case, reduction):
    torch = pytest.importorskip('torch')
    x, target, weight, kwargs = ce_args(device, case, seed=5, dtype=mdl.float32)
    x = x.astype(np.float32)
    ours = tensor(x, device, grad=True)
    out = F.cross_entropy(ours, tensor(target, device), reduction=reduction, **kwargs)
    xt = torch.tensor(x, requires_grad=True)
    out_t = torch.nn.functional.cross_entropy(
        xt, torch.tensor(target), reduction=reduction, label_smoothing=kwargs['label_smoothing'],
        weight=None if weight is None else torch.tensor(weight, dtype=torch.float32))
    np.testing.assert_allclose(to_numpy(out), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    upstream = np.random.default_rng(0).standard_normal(out_t.shape).astype(np.float32)
    (out * tensor(upstream, device)).sum().backward()
    (out_t * torch.tensor(upstream)).sum().backward()
    assert out.dtype == ours.grad.dtype == np.float32
    np.testing.assert_allclose(to_numpy(ours.grad), xt.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('case', [CE_CASES[0], CE_CASES[5], CE_CASES[6]],
                         ids=['plain', 'all', 'NCHW'])
def test_cross_entropy_second_derivatives(device, case, reduction):
    x, target, weight, kwargs = ce_args(device, case, seed=2)
    logits = tensor(x[:4], device, grad=True)
    t = tensor(target[:4], device)
    assert mdl.gradgradcheck(lambda z: F.cross_entropy(z, t, reduction=reduction, **kwargs),
                             [logits])


def test_cross_entropy_fused_matches_composite(device):
    """The fused node gives the gradients of log_softmax followed by picking the targets."""
    x, target = make_case((7, 5), seed=4)
    logits = tensor(x, device, grad=True)
    t = tensor(target, device)
    fused = F.cross_entropy(logits, t)
    composite = -F.log_softmax(logits, 1)[mdl.arange(7, device=device), t].mean()
    np.testing.assert_allclose(to_numpy(fused), to_numpy(composite), rtol=1e-12)
    g_fused, = mdl.grad(fused, [logits], create_graph=True)
    g_comp, = mdl.grad(composite, [logits], create_graph=True)
    np.testing.assert_allclose(to_numpy(g_fused), to_numpy(g_comp), rtol=1e-10, atol=1e-14)
    h_fused, = mdl.grad((g_fused ** 3).sum(), [logits])
    h_comp, = mdl.grad((g_comp ** 3).sum(), [logits])
    np.testing.assert_allclose(to_numpy(h_fused), to_numpy(h_comp), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize('scale', [1e4, -1e4])
def test_cross_entropy_stable_at_huge_logits(device, scale):
    raw = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.5], [0.3, -0.2, 1.0]]) * scale
    target = np.array([0, 2, 1])
    for dtype in (mdl.float32, mdl.float64):
        logits = tensor(raw, device, grad=True, dtype=dtype)
        loss = F.cross_entropy(logits, tensor(target, device), reduction='none')
        loss.sum().backward()
        expected = -np_log_softmax(raw, 1)[np.arange(3), target]
        assert loss.dtype == logits.grad.dtype == dtype
        assert np.isfinite(to_numpy(loss)).all() and np.isfinite(to_numpy(logits.grad)).all()
        np.testing.assert_allclose(to_numpy(loss), expected, rtol=1e-6)
        p = np.exp(np_log_softmax(raw, 1))
        np.testing.assert_allclose(to_numpy(logits.grad), p - np.eye(3)[target], atol=1e-6)


def test_cross_entropy_unbatched_and_all_ignored(device):
    x = np.array([0.5, -1.0, 2.0])
    loss = F.cross_entropy(tensor(x, device), tensor(2, device))
    assert loss.shape == ()
    np.testing.assert_allclose(to_numpy(loss), -np_log_softmax(x[None], 1)[0, 2], rtol=1e-12)
    assert F.cross_entropy(tensor(x, device), tensor(2, device), reduction='none').shape == ()
    # every target ignored: 'mean' is 0/0 = nan, as in PyTorch; 'sum' is 0
    logits = tensor(np.ones((2, 3)), device)
    ignored = tensor([-100, -100], device)
    with np.errstate(invalid='ignore'):
        assert np.isnan(to_numpy(F.cross_entropy(logits, ignored)))
    assert to_numpy(F.cross_entropy(logits, ignored, reduction='sum')) == 0
    custom = F.cross_entropy(logits, tensor([1, 7], device), ignore_index=7, reduction='none')
    np.testing.assert_allclose(to_numpy(custom), [np.log(3), 0.0], rtol=1e-12)


@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('use_weight, smoothing, shape',
                         [(False, 0.0, (4, 3)), (True, 0.0, (4, 3)), (True, 0.2, (3, 4, 2)),
                          (False, 0.1, (3,))], ids=['plain', 'weight', 'NCL all', 'unbatched'])
def test_cross_entropy_probability_targets(device, reduction, use_weight, smoothing, shape):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    class_dim = 1 if len(shape) > 1 else 0
    q = np.exp(np_log_softmax(rng.standard_normal(shape), class_dim))
    classes = shape[class_dim]
    weight = rng.uniform(0.5, 2.0, classes) if use_weight else np.ones(classes)
    kwargs = {'label_smoothing': smoothing, 'reduction': reduction}
    if use_weight:
        kwargs['weight'] = tensor(weight, device)
    smoothed = q * (1 - smoothing) + smoothing / classes
    w_view = weight.reshape((classes,) + (1,) * (len(shape) - class_dim - 1))
    per_sample = -(np_log_softmax(x, class_dim) * smoothed * w_view).sum(class_dim)
    expected = np_reduce(per_sample, reduction)
    out = F.cross_entropy(tensor(x, device), tensor(q, device), **kwargs)
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-10)
    # differentiable in both the logits and the target probabilities
    assert mdl.gradcheck(lambda z, p: F.cross_entropy(z, p, **kwargs),
                         [tensor(x, device, True), tensor(q, device, True)])
    torch = pytest.importorskip('torch')
    out_t = torch.nn.functional.cross_entropy(
        torch.tensor(x), torch.tensor(q), weight=torch.tensor(weight) if use_weight else None,
        label_smoothing=smoothing, reduction=reduction)
    np.testing.assert_allclose(to_numpy(out), out_t.numpy(), rtol=1e-10)


def test_cross_entropy_errors(device):
    logits = mdl.zeros(8, 10, device=device)
    with pytest.raises(ValueError, match=r"input of shape \(8, 3, 4, 4\) and target of shape "
                                         r"\(8,\).*Add Flatten\(\) before Dense"):
        F.cross_entropy(mdl.zeros(8, 3, 4, 4, device=device), mdl.zeros(8, dtype=mdl.int64,
                                                                       device=device))
    for bad in (10, -3):
        assert_out_of_range(device, IndexError, f'target value {bad} is out of range for 10 '
                            'classes', lambda: F.cross_entropy(logits, tensor(
                                [1, 2, bad, 0, 0, 0, 0, 0], device)))
    with pytest.raises(ValueError, match=r'float target of shape \(8,\) does not match input of '
                                         r'shape \(8, 10\).*got dtype float32'):
        F.cross_entropy(logits, mdl.zeros(8, device=device))
    with pytest.raises(ValueError, match=r'float target of shape \(8, 5\) does not match input '
                                         r'of shape \(8, 10\)'):
        F.cross_entropy(logits, mdl.zeros(8, 5, device=device))
    with pytest.raises(TypeError, match='must be an integer tensor \\(int64\\), got dtype bool'):
        F.cross_entropy(logits, tensor(np.zeros(8, dtype=bool), device))
    with pytest.raises(ValueError, match=r'target of shape \(8, 2\) does not match input of '
                                         r'shape \(8, 10\).*need shape \(8,\)'):
        F.cross_entropy(logits, mdl.zeros(8, 2, dtype=mdl.int64, device=device))
    with pytest.raises(ValueError, match=r'weight must have shape \(10,\)'):
        F.cross_entropy(logits, mdl.zeros(8, dtype=mdl.int64, device=device),
                        weight=mdl.ones(3, device=device))
    with pytest.raises(ValueError, match=r'label_smoothing must be a number in \[0, 1\], got 1.5'):
        F.cross_entropy(logits, mdl.zeros(8, dtype=mdl.int64, device=device),
                        label_smoothing=1.5)
    with pytest.raises(TypeError, match='input must be a floating-point Tensor, got dtype int64'):
        F.cross_entropy(mdl.zeros(2, 3, dtype=mdl.int64, device=device), tensor([0, 1], device))


LOSS_CALLS = [
    ('cross_entropy', lambda d, r: F.cross_entropy(mdl.zeros(2, 3, device=d),
                                                   tensor([0, 1], d), reduction=r)),
    ('nll_loss', lambda d, r: F.nll_loss(mdl.zeros(2, 3, device=d), tensor([0, 1], d),
                                         reduction=r)),
    ('mse_loss', lambda d, r: F.mse_loss(mdl.zeros(3, device=d), mdl.ones(3, device=d),
                                         reduction=r)),
    ('l1_loss', lambda d, r: F.l1_loss(mdl.zeros(3, device=d), mdl.ones(3, device=d),
                                       reduction=r)),
    ('binary_cross_entropy', lambda d, r: F.binary_cross_entropy(
        mdl.full((3,), 0.5, device=d), mdl.ones(3, device=d), reduction=r)),
    ('binary_cross_entropy_with_logits', lambda d, r: F.binary_cross_entropy_with_logits(
        mdl.zeros(3, device=d), mdl.ones(3, device=d), reduction=r)),
]


@pytest.mark.parametrize('name, call', LOSS_CALLS, ids=[c[0] for c in LOSS_CALLS])
def test_every_loss_rejects_unknown_reduction(device, name, call):
    for reduction in REDUCTIONS:
        call(device, reduction)
    with pytest.raises(ValueError, match=f"{name}: reduction must be one of 'mean', 'sum', 'none', "
                                         f"got 'average'"):
        call(device, 'average')


# ---------------------------------------------------------------- nll_loss
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('case', [CE_CASES[0], CE_CASES[3], CE_CASES[6]],
                         ids=['plain', 'weight+ignore', 'NCHW'])
def test_nll_loss(device, case, reduction):
    x, target, weight, kwargs = ce_args(device, case, seed=6)
    kwargs.pop('label_smoothing')
    logp = np_log_softmax(x, 1)
    out = F.nll_loss(tensor(logp, device), tensor(target, device), reduction=reduction, **kwargs)
    expected = np_cross_entropy(x, target, weight, reduction=reduction)
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-10, atol=1e-12)
    assert mdl.gradcheck(lambda z: F.nll_loss(z, tensor(target, device), reduction=reduction,
                                              **kwargs), [tensor(logp, device, True)])
    torch = pytest.importorskip('torch')
    out_t = torch.nn.functional.nll_loss(
        torch.tensor(logp), torch.tensor(target), reduction=reduction,
        weight=None if weight is None else torch.tensor(weight))
    np.testing.assert_allclose(to_numpy(out), out_t.numpy(), rtol=1e-10, atol=1e-12)


def test_nll_loss_errors_and_float32(device):
    assert_out_of_range(device, IndexError, 'nll_loss: target value 3 is out of range for 3 '
                        'classes', lambda: F.nll_loss(mdl.zeros(2, 3, device=device),
                                                      tensor([0, 3], device)))
    with pytest.raises(TypeError, match='nll_loss: class-index targets must be an integer tensor '
                                        r'\(int64\), got dtype float32'):
        F.nll_loss(mdl.zeros(2, 3, device=device), mdl.zeros(2, device=device))
    logp = tensor(np.log(np.full((2, 3), 1 / 3)), device, grad=True, dtype=mdl.float32)
    out = F.nll_loss(logp, tensor([0, 2], device))
    out.backward()
    assert out.dtype == logp.grad.dtype == np.float32


# ---------------------------------------------------------------- mse and l1
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('name, fn, ref', [('mse_loss', F.mse_loss, lambda d: d * d),
                                           ('l1_loss', F.l1_loss, np.abs)],
                         ids=['mse', 'l1'])
def test_regression_losses(device, name, fn, ref, reduction):
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    out = fn(tensor(x, device), tensor(y, device), reduction=reduction)
    np.testing.assert_allclose(to_numpy(out), np_reduce(ref(x - y), reduction), rtol=1e-12)
    assert mdl.gradcheck(lambda a, b: fn(a, b, reduction=reduction),
                         [tensor(x, device, True), tensor(y, device, True)])
    x32 = tensor(x, device, True, mdl.float32)
    out32 = fn(x32, tensor(y, device, dtype=mdl.float32), reduction=reduction)
    out32.sum().backward()
    assert out32.dtype == x32.grad.dtype == np.float32
    torch = pytest.importorskip('torch')
    out_t = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y),
                                               reduction=reduction)
    np.testing.assert_allclose(to_numpy(out), out_t.numpy(), rtol=1e-12)


def test_regression_losses_warn_about_broadcasting(device):
    with pytest.warns(UserWarning, match=r'target size \(\(3, 1\)\) that is different to the '
                                         r'input size \(\(3,\)\)'):
        out = F.mse_loss(mdl.zeros(3, device=device), mdl.ones(3, 1, device=device))
    assert to_numpy(out) == 1.0


# ---------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('use_weight', [False, True], ids=['plain', 'weight'])
def test_binary_cross_entropy(device, reduction, use_weight):
    rng = np.random.default_rng(8)
    p, t = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    w = rng.uniform(0.5, 2, 3)
    weight = tensor(w, device) if use_weight else None
    per = -(t * np.log(p) + (1 - t) * np.log(1 - p)) * (w if use_weight else 1)
    out = F.binary_cross_entropy(tensor(p, device), tensor(t, device), weight, reduction)
    np.testing.assert_allclose(to_numpy(out), np_reduce(per, reduction), rtol=1e-12)
    assert mdl.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight, reduction),
                         [tensor(p, device, True), tensor(t, device, True)])
    torch = pytest.importorskip('torch')
    out_t = torch.nn.functional.binary_cross_entropy(
        torch.tensor(p), torch.tensor(t), torch.tensor(w) if use_weight else None,
        reduction=reduction)
    np.testing.assert_allclose(to_numpy(out), out_t.numpy(), rtol=1e-12)


def test_binary_cross_entropy_clamps_log_at_minus_100(device):
    p = tensor([0.0, 1.0, 0.0, 1.0, 0.5], device, grad=True, dtype=mdl.float32)
    t = tensor([1.0, 0.0, 0.0, 1.0, 1.0], device, dtype=mdl.float32)
    loss = F.binary_cross_entropy(p, t, reduction='none')
    loss.sum().backward()
    np.testing.assert_allclose(to_numpy(loss), [100, 100, 0, 0, np.log(2)], rtol=1e-6)
    assert loss.dtype == p.grad.dtype == np.float32
    assert np.isfinite(to_numpy(p.grad)).all()
    torch = pytest.importorskip('torch')
    pt = torch.tensor(to_numpy(p), requires_grad=True)
    torch.nn.functional.binary_cross_entropy(pt, torch.tensor(to_numpy(t)),
                                             reduction='none').sum().backward()
    np.testing.assert_allclose(to_numpy(p.grad), pt.grad.numpy(), rtol=1e-6)


def test_binary_cross_entropy_errors(device):
    assert_out_of_range(device, ValueError, 'all elements of input should be between 0 and 1',
                        lambda: F.binary_cross_entropy(tensor([0.5, 1.5], device),
                                                       tensor([0.0, 1.0], device)))
    with pytest.raises(ValueError, match=r'target size \(\(2, 1\)\) that is different to the '
                                         r'input size \(\(2,\)\)'):
        F.binary_cross_entropy(tensor([0.5, 0.5], device), mdl.ones(2, 1, device=device))


def np_bce_logits(x, t, pos_weight=None):
    log_sig = -np.logaddexp(0, -x)
    log_one_minus = -np.logaddexp(0, x)
    pw = 1.0 if pos_weight is None else pos_weight
    return -(pw * t * log_sig + (1 - t) * log_one_minus)


@pytest.mark.parametrize('reduction', REDUCTIONS)
@pytest.mark.parametrize('use_weight, use_pos', [(False, False), (True, False), (False, True),
                                                 (True, True)],
                         ids=['plain', 'weight', 'pos_weight', 'both'])
def test_binary_cross_entropy_with_logits(device, reduction, use_weight, use_pos):
    rng = np.random.default_rng(9)
    x, t = rng.standard_normal((4, 3)) * 3, rng.uniform(0, 1, (4, 3))
    w, pw = rng.uniform(0.5, 2, (4, 1)), rng.uniform(0.5, 3, 3)
    weight = tensor(w, device) if use_weight else None
    per = np_bce_logits(x, t, pw if use_pos else None) * (w if use_weight else 1)
    out = F.binary_cross_entropy_with_logits(tensor(x, device), tensor(t, device), weight,
                                             reduction, tensor(pw, device) if use_pos else None)
    np.testing.assert_allclose(to_numpy(out), np_reduce(per, reduction), rtol=1e-12)
    inputs = [tensor(x, device, True), tensor(t, device, True)]
    if use_pos:
        inputs.append(tensor(pw, device, True))
    assert mdl.gradcheck(lambda a, b, *c: F.binary_cross_entropy_with_logits(
        a, b, weight, reduction, c[0] if c else None), inputs)
    torch = pytest.importorskip('torch')
    out_t = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(x), torch.tensor(t), torch.tensor(w) if use_weight else None,
        reduction=reduction, pos_weight=torch.tensor(pw) if use_pos else None)
    np.testing.assert_allclose(to_numpy(out), out_t.numpy(), rtol=1e-12)


def test_binary_cross_entropy_with_logits_stable(device):
    x = tensor([-1e4, -50.0, 0.0, 50.0, 1e4], device, grad=True, dtype=mdl.float32)
    t = tensor([1.0, 0.0, 0.5, 1.0, 0.0], device, dtype=mdl.float32)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction='none')
    loss.sum().backward()
    np.testing.assert_allclose(to_numpy(loss), [1e4, 0, np.log(2), 0, 1e4], rtol=1e-6,
                               atol=1e-20)
    sig = expit(np.array([-1e4, -50, 0, 50, 1e4]))
    np.testing.assert_allclose(to_numpy(x.grad), sig - to_numpy(t), atol=1e-7)
    assert loss.dtype == x.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r'Target size \(\(5, 1\)\) must be the same as input '
                                         r'size \(\(5,\)\)'):
        F.binary_cross_entropy_with_logits(x, mdl.ones(5, 1, device=device))


def test_out_of_range_targets_never_wait_for_the_gpu(device):
    # On the CPU an out-of-range class index raises; on a GPU checking would make the host wait
    # for the device every step, so the loss becomes NaN instead (fit stops on NaN losses).
    logits = mdl.randn(3, 4, device=device)
    target = mdl.tensor([0, 4, 1], device=device)
    if device == 'cpu':
        with pytest.raises(IndexError, match='target value 4 is out of range for 4 classes'):
            F.cross_entropy(logits, target)
    else:
        assert np.isnan(float(F.cross_entropy(logits, target)))
        assert np.isnan(to_numpy(F.cross_entropy(logits, target, reduction='none'))[1])
        probabilities = mdl.tensor([0.5, 1.5], device=device)
        assert np.isnan(float(F.binary_cross_entropy(probabilities, mdl.ones(2, device=device))))
