"""minidl.functional: activations, softmax, linear, dropout, flatten and batch_norm.

Every op: forward against a NumPy reference (and PyTorch when it is installed), gradients by
gradcheck in float64 with inputs away from kinks, second derivatives for the ops whose backward
is hand-written, and float32 kept float32.
"""
import math

import numpy as np
import pytest
from scipy.special import erf

import minidl as mdl
import minidl.functional as F
from tests.conftest import to_numpy


def tensor(array, device, grad=False, dtype=None):
    return mdl.tensor(np.asarray(array), dtype=dtype, device=device, requires_grad=grad)


def away_from_zero(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


# name, minidl function, NumPy reference, torch function name and keyword arguments
ACTIVATIONS = [
    ('relu', F.relu, lambda x: np.maximum(x, 0), 'relu', {}),
    ('leaky_relu', F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), 'leaky_relu', {}),
    ('leaky_relu 0.2', lambda x: F.leaky_relu(x, negative_slope=0.2),
     lambda x: np.where(x > 0, x, 0.2 * x), 'leaky_relu', {'negative_slope': 0.2}),
    ('elu', F.elu, lambda x: np.where(x > 0, x, np.expm1(x)), 'elu', {}),
    ('elu alpha', lambda x: F.elu(x, alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
     'elu', {'alpha': 0.7}),
    ('gelu', F.gelu, lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))), 'gelu', {}),
    ('gelu tanh', lambda x: F.gelu(x, approximate='tanh'), np_gelu_tanh, 'gelu',
     {'approximate': 'tanh'}),
    ('softplus', F.softplus, lambda x: np.log1p(np.exp(x)), 'softplus', {}),
    ('softplus beta', lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2), 'softplus',
     {'beta': 2.0, 'threshold': 3.0}),
    ('sigmoid', F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), 'sigmoid', {}),
    ('tanh', F.tanh, np.tanh, 'tanh', {}),
    ('softmax', lambda x: F.softmax(x, dim=1), lambda x: np_softmax(x, 1), 'softmax', {'dim': 1}),
    ('softmax dim0', lambda x: F.softmax(x, 0), lambda x: np_softmax(x, 0), 'softmax',
     {'dim': 0}),
    ('log_softmax', lambda x: F.log_softmax(x, dim=-1), lambda x: np_log_softmax(x, -1),
     'log_softmax', {'dim': -1}),
]
IDS = [spec[0] for spec in ACTIVATIONS]


@pytest.mark.parametrize('name, fn, ref, torch_name, kwargs', ACTIVATIONS, ids=IDS)
def test_activation_forward_matches_numpy(device, name, fn, ref, torch_name, kwargs):
    x = away_from_zero((3, 4, 5)) * 2
    out = fn(tensor(x, device))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(to_numpy(out), ref(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('name, fn, ref, torch_name, kwargs', ACTIVATIONS, ids=IDS)
def test_activation_gradcheck(device, name, fn, ref, torch_name, kwargs):
    x = tensor(away_from_zero((3, 4)), device, grad=True)
    assert mdl.gradcheck(fn, [x])


@pytest.mark.parametrize('name, fn, ref, torch_name, kwargs', ACTIVATIONS, ids=IDS)
def test_activation_float32_stays_float32(device, name, fn, ref, torch_name, kwargs):
    x = tensor(away_from_zero((4, 6)), device, grad=True, dtype=mdl.float32)
    out = fn(x)
    assert out.dtype == np.float32
    (out * out).sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize('name, fn, ref, torch_name, kwargs', ACTIVATIONS, ids=IDS)
def test_activation_matches_torch(device, name, fn, ref, torch_name, kwargs):
    torch = pytest.importorskip('torch')
    x = away_from_zero((3, 5)) * 3
    upstream = np.random.default_rng(1).standard_normal(x.shape)
    ours = tensor(x, device, grad=True)
    (fn(ours) * tensor(upstream, device)).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, torch_name)(xt, **kwargs)
    (yt * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(to_numpy(fn(tensor(x, device))), yt.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(to_numpy(ours.grad), xt.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize('fn', [lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, 0),
                                F.gelu, lambda x: F.gelu(x, approximate='tanh'), F.elu,
                                F.softplus, F.relu],
                         ids=['softmax', 'log_softmax', 'gelu', 'gelu tanh', 'elu', 'softplus',
                              'relu'])
def test_activation_second_derivatives(device, fn):
    x = tensor(away_from_zero((3, 4), seed=2), device, grad=True)
    assert mdl.gradgradcheck(fn, [x])


def test_relu_gradient_is_a_mask(device):
    x = tensor([-2.0, -0.0, 0.0, 0.5, 3.0], device, grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [0, 0, 0, 1, 1])


def test_elu_and_softplus_do_not_overflow(device):
    x = tensor([-1e4, -50.0, 0.0, 50.0, 1e4], device, grad=True, dtype=mdl.float32)
    for fn in (F.elu, F.softplus, F.gelu, lambda t: F.gelu(t, approximate='tanh')):
        out = fn(x)
        out.sum().backward()
        assert np.isfinite(to_numpy(out)).all() and np.isfinite(to_numpy(x.grad)).all()
        x.grad = None
    np.testing.assert_allclose(to_numpy(F.softplus(x)), [0, 0, math.log(2), 50, 1e4],
                               rtol=1e-6, atol=1e-20)


@pytest.mark.parametrize('scale', [1e4, -1e4])
def test_softmax_and_log_softmax_stable_at_huge_logits(device, scale):
    raw = np.array([[1.0, 0.5, -1.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 1.0, -1.0, -1.0]]) * scale
    upstream = np.random.default_rng(0).standard_normal(raw.shape)
    for dtype in (mdl.float32, mdl.float64):
        x = tensor(raw, device, grad=True, dtype=dtype)
        p = F.softmax(x, dim=1)
        logp = F.log_softmax(x, dim=1)
        assert np.isfinite(to_numpy(p)).all() and np.isfinite(to_numpy(logp)).all()
        np.testing.assert_allclose(to_numpy(p), np_softmax(raw, 1), atol=1e-6)
        np.testing.assert_allclose(to_numpy(logp), np_log_softmax(raw, 1), rtol=1e-6)
        # d/dx sum(u * log_softmax) = u - softmax * sum(u);  d/dx sum(u * softmax) = p (u - <u, p>)
        g_log, = mdl.grad((logp * tensor(upstream, device, dtype=dtype)).sum(), [x])
        ref_p = np_softmax(raw, 1)
        np.testing.assert_allclose(to_numpy(g_log),
                                   upstream - ref_p * upstream.sum(1, keepdims=True), atol=1e-5)
        g_p, = mdl.grad((p * tensor(upstream, device, dtype=dtype)).sum(), [x])
        np.testing.assert_allclose(
            to_numpy(g_p), ref_p * (upstream - (upstream * ref_p).sum(1, keepdims=True)),
            atol=1e-5)
        assert g_log.dtype == dtype and g_p.dtype == dtype


def test_softmax_dims_and_dtype(device):
    x = away_from_zero((2, 3, 4))
    for dim in (0, 1, 2, -1):
        np.testing.assert_allclose(to_numpy(F.softmax(tensor(x, device), dim)), np_softmax(x, dim),
                                   rtol=1e-12)
    out = F.log_softmax(tensor(x, device, dtype=mdl.float32), 1, dtype=mdl.float64)
    assert out.dtype == np.float64
    with pytest.warns(UserWarning, match='Implicit dimension choice for softmax'):
        implicit = F.softmax(tensor(x, device))          # PyTorch's legacy rule: dim 0 for 3-D
    np.testing.assert_allclose(to_numpy(implicit), np_softmax(x, 0), rtol=1e-12)
    with pytest.raises(IndexError, match='dim=3'):
        F.softmax(tensor(x, device), dim=3)


def test_gelu_rejects_unknown_approximation(device):
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(tensor([1.0], device), approximate='fast')


def test_activation_rejects_integer_input(device):
    with pytest.raises(TypeError, match='elu: input must be a floating-point Tensor, got dtype int64'):
        F.elu(mdl.tensor([1, 2], device=device))
    # as PyTorch: relu keeps integers (and refuses bools)
    assert F.relu(mdl.tensor([1, -2], device=device)).tolist() == [1, 0]
    with pytest.raises(TypeError, match='got dtype bool'):
        F.relu(mdl.tensor([True], device=device))


# ---------------------------------------------------------------- linear
@pytest.mark.parametrize('x_shape', [(5, 4), (2, 3, 4), (4,)], ids=['2d', '3d', '1d'])
@pytest.mark.parametrize('with_bias', [True, False], ids=['bias', 'no bias'])
def test_linear_forward_and_gradcheck(device, x_shape, with_bias):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal((3, 4)), rng.standard_normal(3)
    args = [tensor(x, device, True), tensor(w, device, True)]
    if with_bias:
        args.append(tensor(b, device, True))
    out = F.linear(*args)
    np.testing.assert_allclose(to_numpy(out), x @ w.T + (b if with_bias else 0), rtol=1e-12)
    assert out.shape == x_shape[:-1] + (3,)
    assert mdl.gradcheck(F.linear, args)


def test_linear_second_derivatives(device):
    rng = np.random.default_rng(1)
    args = [tensor(rng.standard_normal(s), device, True) for s in [(2, 3, 4), (3, 4), (3,)]]
    assert mdl.gradgradcheck(lambda x, w, b: F.linear(x, w, b).tanh(), args)


def test_linear_matches_torch_and_keeps_float32(device):
    torch = pytest.importorskip('torch')
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in [(2, 5, 4), (3, 4), (3,)])
    ours = [tensor(a, device, True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.linear(*ours)
    out_t = torch.nn.functional.linear(*theirs)
    assert out.dtype == np.float32
    (out * out).sum().backward()
    (out_t * out_t).sum().backward()
    np.testing.assert_allclose(to_numpy(out), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    for a, at in zip(ours, theirs):
        assert a.grad.dtype == np.float32
        np.testing.assert_allclose(to_numpy(a.grad), at.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_linear_errors_name_the_shapes(device):
    x, w = mdl.zeros(8, 10, device=device), mdl.zeros(5, 20, device=device)
    with pytest.raises(ValueError, match=r'input of shape \(8, 10\).*weight of shape \(5, 20\) '
                                         r'expects in_features=20'):
        F.linear(x, w)
    with pytest.raises(ValueError, match=r'bias must have shape \(5,\).*got \(4,\)'):
        F.linear(mdl.zeros(2, 20, device=device), w, mdl.zeros(4, device=device))
    with pytest.raises(ValueError, match='weight must be 2-D'):
        F.linear(x, mdl.zeros(10, device=device))
    with pytest.raises(TypeError, match='input has dtype float64 but weight has dtype float32'):
        F.linear(mdl.zeros(2, 20, dtype=mdl.float64, device=device), w)


# ---------------------------------------------------------------- dropout
def test_dropout_statistics(device):
    x = mdl.ones(200, 500, device=device)
    out = to_numpy(F.dropout(x, p=0.3))
    dropped = (out == 0).mean()
    assert abs(dropped - 0.3) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)   # inverted scaling
    assert abs(out.mean() - 1.0) < 0.02                             # expectation kept
    assert F.dropout(x, 0.3).dtype == np.float32


def test_dropout_gradient_is_the_mask(device):
    x = tensor(away_from_zero((20, 30)), device, grad=True)
    out = F.dropout(x, p=0.5)
    out.sum().backward()
    mask = to_numpy(out) / to_numpy(x.detach())
    np.testing.assert_allclose(to_numpy(x.grad), mask, rtol=1e-12)
    assert set(np.unique(np.round(mask, 9))) <= {0.0, 2.0}

    def seeded(t):
        mdl.manual_seed(7)       # the same mask on every call of the finite differences
        return F.dropout(t, 0.4)
    assert mdl.gradcheck(seeded, [tensor(away_from_zero((4, 5)), device, grad=True)])


def test_dropout_keeps_the_input_layout(device):
    # a convolution's output is laid out (C, H, W, N): the mask is drawn in that order, so the
    # product keeps it (and the layers after it read it without transposing)
    x = mdl.tensor(np.ones((3, 5, 6, 40), np.float32), device=device).permute(3, 0, 1, 2)
    out = F.dropout(x, 0.25)
    strides = out.array.strides
    assert sorted(range(4), key=lambda i: -strides[i]) == [1, 2, 3, 0]
    dropped = (to_numpy(out) == 0).mean()
    assert abs(dropped - 0.25) < 0.03
    np.testing.assert_allclose(to_numpy(out)[to_numpy(out) != 0], 1 / 0.75, rtol=1e-6)


def test_dropout_repeats_with_manual_seed(device):
    x = mdl.ones(50, 40, device=device)
    mdl.manual_seed(123)
    first, second = to_numpy(F.dropout(x, 0.5)), to_numpy(F.dropout(x, 0.5))
    mdl.manual_seed(123)
    again = to_numpy(F.dropout(x, 0.5))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)


def test_dropout_edge_cases(device):
    x = tensor(away_from_zero((3, 4)), device, grad=True, dtype=mdl.float32)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    zeros = F.dropout(x, 1.0)
    zeros.sum().backward()
    assert not to_numpy(zeros).any() and not to_numpy(x.grad).any()
    assert zeros.dtype == np.float32
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f'p must be a number in \\[0, 1\\], got {p}'):
            F.dropout(x, p)
    with pytest.raises(TypeError, match='dropout: input must be a floating-point Tensor, got dtype int64'):
        F.dropout(mdl.tensor([1, 2], device=device), 0.5)


# ---------------------------------------------------------------- flatten
def test_flatten(device):
    x = tensor(np.arange(120.0).reshape(2, 3, 4, 5), device, grad=True)
    assert F.flatten(x).shape == (2, 60)
    assert F.flatten(x, 0).shape == (120,)
    assert F.flatten(x, 1, 2).shape == (2, 12, 5)
    assert F.flatten(x, start_dim=-2).shape == (2, 3, 20)
    np.testing.assert_array_equal(to_numpy(F.flatten(x)), np.arange(120.0).reshape(2, 60))
    assert mdl.gradcheck(lambda t: F.flatten(t, 1, 2), [x])


# ---------------------------------------------------------------- batch_norm
def np_batch_norm(x, weight, bias, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def composite_batch_norm(x, weight, bias, eps=1e-5):
    """The same computation from primitives (mean, var, sqrt, ...), for checking the fused op."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axes, keepdim=True)
    var = x.var(axes, unbiased=False, keepdim=True)
    y = (x - mean) / (var + eps).sqrt()
    return y * weight.reshape(shape) + bias.reshape(shape)


SHAPES = [(6, 3), (4, 3, 5), (3, 3, 4, 2)]
SHAPE_IDS = ['NC', 'NCL', 'NCHW']


def bn_inputs(device, shape, dtype=None, grad=True, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1])
    return (tensor(x, device, grad, dtype), tensor(w, device, grad, dtype),
            tensor(b, device, grad, dtype))


@pytest.mark.parametrize('shape', SHAPES, ids=SHAPE_IDS)
def test_batch_norm_training_forward_and_gradcheck(device, shape):
    x, w, b = bn_inputs(device, shape)
    out = F.batch_norm(x, None, None, w, b, training=True)
    np.testing.assert_allclose(to_numpy(out), np_batch_norm(*(to_numpy(t) for t in (x, w, b))),
                               rtol=1e-10, atol=1e-12)
    assert mdl.gradcheck(lambda *a: F.batch_norm(a[0], None, None, a[1], a[2], training=True),
                         [x, w, b])
    # without affine parameters
    np.testing.assert_allclose(to_numpy(F.batch_norm(x, None, None, training=True)),
                               np_batch_norm(to_numpy(x), None, None), rtol=1e-10, atol=1e-12)
    assert mdl.gradcheck(lambda t: F.batch_norm(t, None, None, training=True), [x])
    assert mdl.gradcheck(lambda t, c: F.batch_norm(t, None, None, bias=c, training=True), [x, b])


@pytest.mark.parametrize('shape', [(5, 2), (3, 2, 2, 3)], ids=['NC', 'NCHW'])
def test_batch_norm_training_second_derivatives(device, shape):
    x, w, b = bn_inputs(device, shape, seed=1)
    assert mdl.gradgradcheck(
        lambda *a: F.batch_norm(a[0], None, None, a[1], a[2], training=True), [x, w, b])


@pytest.mark.parametrize('shape', SHAPES, ids=SHAPE_IDS)
def test_batch_norm_fused_matches_composite(device, shape):
    x, w, b = bn_inputs(device, shape, seed=3)
    upstream = tensor(np.random.default_rng(4).standard_normal(shape), device)
    fused = F.batch_norm(x, None, None, w, b, training=True)
    composite = composite_batch_norm(x, w, b)
    np.testing.assert_allclose(to_numpy(fused), to_numpy(composite), rtol=1e-10, atol=1e-12)
    g_fused = mdl.grad((fused * upstream).sum(), [x, w, b], create_graph=True)
    g_comp = mdl.grad((composite * upstream).sum(), [x, w, b], create_graph=True)
    for a, c in zip(g_fused, g_comp):
        np.testing.assert_allclose(to_numpy(a), to_numpy(c), rtol=1e-9, atol=1e-10)
    # second order: the gradient of a function of the gradients agrees too
    # (the bias gradient does not depend on x, w or b: only x and w are differentiated)
    h_fused = mdl.grad(sum((g * g * g).sum() for g in g_fused), [x, w])
    h_comp = mdl.grad(sum((g * g * g).sum() for g in g_comp), [x, w])
    for a, c in zip(h_fused, h_comp):
        np.testing.assert_allclose(to_numpy(a), to_numpy(c), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize('shape', SHAPES, ids=SHAPE_IDS)
def test_batch_norm_running_statistics(device, shape):
    channels = shape[1]
    rm, rv = mdl.zeros(channels, device=device), mdl.ones(channels, device=device)
    mean_array, var_array = rm.array, rv.array
    ref_mean, ref_var = np.zeros(channels), np.ones(channels)
    axes = (0,) + tuple(range(2, len(shape)))
    for step in range(4):
        x, w, b = bn_inputs(device, shape, dtype=mdl.float32, grad=False, seed=10 + step)
        F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2)
        xs = to_numpy(x).astype(np.float64)
        ref_mean = 0.8 * ref_mean + 0.2 * xs.mean(axes)
        ref_var = 0.8 * ref_var + 0.2 * xs.var(axes, ddof=1)     # unbiased, as PyTorch
    assert rm.array is mean_array and rv.array is var_array         # updated in place
    assert rm.dtype == np.float32 and rv.dtype == np.float32
    np.testing.assert_allclose(to_numpy(rm), ref_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(rv), ref_var, rtol=1e-5, atol=1e-6)
    # eval mode normalises with the running statistics
    x, w, b = bn_inputs(device, shape, seed=99)
    out = F.batch_norm(x, rm.double(), rv.double(), w, b, training=False)
    view = (1, -1) + (1,) * (len(shape) - 2)
    expected = ((to_numpy(x) - ref_mean.reshape(view)) / np.sqrt(ref_var.reshape(view) + 1e-5)
                * to_numpy(w).reshape(view) + to_numpy(b).reshape(view))
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-5, atol=1e-5)
    assert mdl.gradcheck(lambda *a: F.batch_norm(a[0], rm.double(), rv.double(), a[1], a[2]),
                         [x, w, b])


@pytest.mark.parametrize('shape', SHAPES, ids=SHAPE_IDS)
def test_batch_norm_matches_torch_over_several_steps(device, shape):
    torch = pytest.importorskip('torch')
    channels = shape[1]
    rm, rv = mdl.zeros(channels, device=device), mdl.ones(channels, device=device)
    rm_t, rv_t = torch.zeros(channels), torch.ones(channels)
    for step in range(3):
        x, w, b = bn_inputs(device, shape, dtype=mdl.float32, seed=20 + step)
        xt, wt, bt = (torch.tensor(to_numpy(t), requires_grad=True) for t in (x, w, b))
        out = F.batch_norm(x, rm, rv, w, b, training=True)
        out_t = torch.nn.functional.batch_norm(xt, rm_t, rv_t, wt, bt, training=True)
        (out * out * out).sum().backward()
        (out_t * out_t * out_t).sum().backward()
        np.testing.assert_allclose(to_numpy(out), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
        for a, at in zip((x, w, b), (xt, wt, bt)):
            assert a.grad.dtype == np.float32
            np.testing.assert_allclose(to_numpy(a.grad), at.grad.numpy(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(to_numpy(rm), rm_t.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(rv), rv_t.numpy(), rtol=1e-5, atol=1e-6)
    x, w, b = bn_inputs(device, shape, dtype=mdl.float32, seed=5)
    out = F.batch_norm(x, rm, rv, w, b, training=False)
    out_t = torch.nn.functional.batch_norm(torch.tensor(to_numpy(x)), rm_t, rv_t,
                                           torch.tensor(to_numpy(w)), torch.tensor(to_numpy(b)))
    np.testing.assert_allclose(to_numpy(out), out_t.numpy(), rtol=1e-4, atol=1e-5)


def test_batch_norm_without_running_stats_uses_batch_stats(device):
    x, w, b = bn_inputs(device, (5, 3))
    out = F.batch_norm(x, None, None, w, b, training=True)
    np.testing.assert_allclose(to_numpy(out), np_batch_norm(*(to_numpy(t) for t in (x, w, b))),
                               rtol=1e-10)
    # evaluation mode needs the running statistics, as in PyTorch
    with pytest.raises(ValueError, match='running_mean and running_var are None'):
        F.batch_norm(x, None, None, w, b, training=False)


def test_batch_norm_float32(device):
    x, w, b = bn_inputs(device, (4, 3, 5), dtype=mdl.float32)
    rm, rv = mdl.zeros(3, device=device), mdl.ones(3, device=device)
    for training in (True, False):
        out = F.batch_norm(x, rm, rv, w, b, training=training)
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
        x.grad = w.grad = b.grad = None
    assert rm.dtype == rv.dtype == np.float32


def test_batch_norm_errors(device):
    rm, rv = mdl.zeros(3, device=device), mdl.ones(3, device=device)
    with pytest.raises(ValueError, match=r'Expected more than 1 value per channel when training, '
                                         r'got input size \(1, 3\)'):
        F.batch_norm(mdl.zeros(1, 3, device=device), rm, rv, training=True)
    with pytest.raises(ValueError, match=r'weight must have shape \(3,\).*got \(4,\)'):
        F.batch_norm(mdl.zeros(2, 3, device=device), rm, rv, weight=mdl.ones(4, device=device))
    with pytest.raises(ValueError, match=r'running_mean must have shape \(5,\)'):
        F.batch_norm(mdl.zeros(2, 5, 4, device=device), rm, rv, training=True)
    with pytest.raises(ValueError, match='at least 2 dimensions'):
        F.batch_norm(mdl.zeros(3, device=device), rm, rv)
