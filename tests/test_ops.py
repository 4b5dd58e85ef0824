"""Every tensor op, from one registry: forward against NumPy, gradients by gradcheck in float64.

Each spec names the op, a minidl function of Tensors, the same function on NumPy arrays and the
input shapes (broadcasting variants included). Inputs are drawn away from kinks (|x| >= 0.1,
positive where a log or sqrt needs it, distinct values where max/min must not tie).
"""
import numpy as np
import pytest

import minidl as mdl
from tests.conftest import to_numpy


def positive(shape, rng):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(shape, rng):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)


def distinct(shape, rng):
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.37 - n * 0.1).astype(float)


SPECS = [
    # name, minidl fn, numpy fn, shapes, sampler
    ('add', lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (4,)], away_from_zero),
    ('radd scalar', lambda a: 2.5 + a, lambda a: 2.5 + a, [(3, 4)], away_from_zero),
    ('sub', lambda a, b: a - b, lambda a, b: a - b, [(2, 1, 4), (3, 1)], away_from_zero),
    ('rsub scalar', lambda a: 1.0 - a, lambda a: 1.0 - a, [(5,)], away_from_zero),
    ('mul', lambda a, b: a * b, lambda a, b: a * b, [(3, 4), (3, 1)], away_from_zero),
    ('div', lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (4,)], away_from_zero),
    ('rdiv scalar', lambda a: 2.0 / a, lambda a: 2.0 / a, [(3, 4)], away_from_zero),
    ('neg', lambda a: -a, lambda a: -a, [(3, 4)], away_from_zero),
    ('pow scalar', lambda a: a ** 3, lambda a: a ** 3, [(3, 4)], away_from_zero),
    ('pow half', lambda a: a ** 0.5, lambda a: a ** 0.5, [(3, 4)], positive),
    ('pow square', lambda a: a ** 2, lambda a: a ** 2, [(3, 4)], away_from_zero),
    ('pow tensor', lambda a, b: a ** b, lambda a, b: a ** b, [(3, 4), (4,)], positive),
    ('rpow', lambda a: 2.0 ** a, lambda a: 2.0 ** a, [(3,)], away_from_zero),
    ('exp', lambda a: a.exp(), np.exp, [(3, 4)], away_from_zero),
    ('log', lambda a: a.log(), np.log, [(3, 4)], positive),
    ('sqrt', lambda a: a.sqrt(), np.sqrt, [(3, 4)], positive),
    ('abs', lambda a: a.abs(), np.abs, [(3, 4)], away_from_zero),
    ('sin', lambda a: a.sin(), np.sin, [(3, 4)], away_from_zero),
    ('cos', lambda a: a.cos(), np.cos, [(3, 4)], away_from_zero),
    ('tanh', lambda a: a.tanh(), np.tanh, [(3, 4)], away_from_zero),
    ('sigmoid', lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), [(3, 4)], away_from_zero),
    ('clip', lambda a: a.clip(-0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), [(4, 5)], distinct),
    ('clamp min', lambda a: mdl.clamp(a, min=0.3), lambda a: np.maximum(a, 0.3), [(4, 5)],
     distinct),
    ('maximum', mdl.maximum, np.maximum, [(3, 4), (4,)], distinct),
    ('minimum', mdl.minimum, np.minimum, [(3, 4), (3, 1)], distinct),
    ('where', lambda a, b: mdl.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b),
     [(3, 4), (4,)], away_from_zero),
    ('matmul 2d', lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 5)], away_from_zero),
    ('matmul batched', lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4, 2)],
     away_from_zero),
    ('matmul broadcast batch', lambda a, b: a @ b, lambda a, b: a @ b,
     [(2, 1, 3, 4), (3, 4, 2)], away_from_zero),
    ('matmul vec-mat', lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4, 3)], away_from_zero),
    ('matmul mat-vec', lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4,)],
     away_from_zero),
    ('matmul vec-vec', lambda a, b: a @ b, lambda a, b: a @ b, [(4,), (4,)], away_from_zero),
    ('sum all', lambda a: a.sum(), np.sum, [(3, 4)], away_from_zero),
    ('sum dim', lambda a: a.sum(1), lambda a: a.sum(1), [(3, 4, 2)], away_from_zero),
    ('sum dims keepdim', lambda a: a.sum((0, 2), keepdim=True),
     lambda a: a.sum((0, 2), keepdims=True), [(3, 4, 2)], away_from_zero),
    ('mean', lambda a: a.mean(-1), lambda a: a.mean(-1), [(3, 4)], away_from_zero),
    ('var', lambda a: a.var(0), lambda a: a.var(0, ddof=1), [(5, 3)], away_from_zero),
    ('var biased keepdim', lambda a: a.var(1, unbiased=False, keepdim=True),
     lambda a: a.var(1, keepdims=True), [(3, 5)], away_from_zero),
    ('std', lambda a: a.std(), lambda a: a.std(ddof=1), [(3, 5)], away_from_zero),
    ('max all', lambda a: a.max(), np.max, [(3, 4)], distinct),
    ('max dim', lambda a: a.max(1).values, lambda a: a.max(1), [(3, 4)], distinct),
    ('min dim keepdim', lambda a: a.min(0, keepdim=True).values,
     lambda a: a.min(0, keepdims=True), [(3, 4)], distinct),
    ('amax dims', lambda a: a.amax((0, 2)), lambda a: a.max((0, 2)), [(2, 3, 4)], distinct),
    ('logsumexp', lambda a: a.logsumexp(1),
     lambda a: np.log(np.exp(a).sum(1)), [(3, 4)], away_from_zero),
    ('reshape', lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [(2, 3, 2)],
     away_from_zero),
    ('view', lambda a: a.view(6, 2), lambda a: a.reshape(6, 2), [(3, 4)], away_from_zero),
    ('transpose', lambda a: a.transpose(0, 2), lambda a: a.swapaxes(0, 2), [(2, 3, 4)],
     away_from_zero),
    ('permute', lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), [(2, 3, 4)],
     away_from_zero),
    ('T', lambda a: a.T, lambda a: a.T, [(3, 4)], away_from_zero),
    ('flatten', lambda a: a.flatten(1), lambda a: a.reshape(2, -1), [(2, 3, 4)],
     away_from_zero),
    ('squeeze', lambda a: a.squeeze(1), lambda a: a.squeeze(1), [(3, 1, 4)], away_from_zero),
    ('unsqueeze', lambda a: a.unsqueeze(-1), lambda a: a[..., None], [(3, 4)], away_from_zero),
    ('expand', lambda a: a.expand(2, -1, 4), lambda a: np.broadcast_to(a, (2, 3, 4)),
     [(3, 1)], away_from_zero),
    ('broadcast_to', lambda a: a.broadcast_to((3, 4)), lambda a: np.broadcast_to(a, (3, 4)),
     [(4,)], away_from_zero),
    ('cat', lambda a, b: mdl.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
     [(2, 3), (2, 5)], away_from_zero),
    ('stack', lambda a, b: mdl.stack([a, b], -1), lambda a, b: np.stack([a, b], -1),
     [(2, 3), (2, 3)], away_from_zero),
    ('split', lambda a: a.split([1, 3], 1)[1], lambda a: a[:, 1:], [(2, 4)], away_from_zero),
    ('split equal', lambda a: a.split(2)[-1] * 2, lambda a: a[4:] * 2, [(5, 2)],
     away_from_zero),
    ('slice', lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(3, 5)], away_from_zero),
    ('int index', lambda a: a[1, -1], lambda a: a[1, -1], [(3, 5)], away_from_zero),
    ('ellipsis none', lambda a: a[..., None, 0], lambda a: a[..., None, 0], [(2, 3)],
     away_from_zero),
    ('gather repeated', lambda a: a[mdl.tensor([0, 2, 0, 0])], lambda a: a[[0, 2, 0, 0]],
     [(3, 2)], away_from_zero),
    ('gather pairs', lambda a: a[[1, 1, 0], [2, 2, 1]], lambda a: a[[1, 1, 0], [2, 2, 1]],
     [(3, 4)], away_from_zero),
    ('bool mask', lambda a: a[a > 0], lambda a: a[a > 0], [(3, 4)], away_from_zero),
    ('pad', lambda a: mdl.pad(a, (1, 2, 0, 1), value=0.5),
     lambda a: np.pad(a, ((0, 1), (1, 2)), constant_values=0.5), [(2, 3)], away_from_zero),
]


def _inputs(shapes, sampler, device, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [sampler(s, rng) for s in shapes]
    tensors = [mdl.tensor(a, dtype=mdl.float64, device=device, requires_grad=True)
               for a in arrays]
    return arrays, tensors


@pytest.mark.parametrize('spec', SPECS, ids=[s[0] for s in SPECS])
def test_forward_matches_numpy(spec, device):
    _, fn, ref, shapes, sampler = spec
    arrays, tensors = _inputs(shapes, sampler, device)
    np.testing.assert_allclose(to_numpy(fn(*tensors)), ref(*arrays), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('spec', SPECS, ids=[s[0] for s in SPECS])
def test_gradient_matches_finite_differences(spec, device):
    _, fn, _, shapes, sampler = spec
    _, tensors = _inputs(shapes, sampler, device)
    assert mdl.gradcheck(fn, tensors)


SECOND_ORDER = [s for s in SPECS if s[0] in {
    'mul', 'div', 'pow scalar', 'pow tensor', 'exp', 'log', 'sqrt', 'sin', 'cos', 'tanh',
    'sigmoid', 'matmul batched', 'logsumexp', 'var', 'gather repeated', 'cat', 'split',
    'max dim', 'where', 'pad'}]


@pytest.mark.parametrize('spec', SECOND_ORDER, ids=[s[0] for s in SECOND_ORDER])
def test_second_derivatives(spec, device):
    _, fn, _, shapes, sampler = spec
    _, tensors = _inputs(shapes, sampler, device)
    assert mdl.gradgradcheck(fn, tensors)


@pytest.mark.parametrize('spec', SPECS, ids=[s[0] for s in SPECS])
def test_float32_stays_float32(spec, device):
    _, fn, _, shapes, sampler = spec
    rng = np.random.default_rng(1)
    tensors = [mdl.tensor(sampler(s, rng).astype(np.float32), device=device, requires_grad=True)
               for s in shapes]
    out = fn(*tensors)
    assert out.dtype == np.float32
    out.sum().backward()
    for t in tensors:
        assert t.grad.dtype == np.float32, 'gradient upcast'


def test_comparisons_are_boolean_and_outside_the_graph(device):
    a = mdl.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    for result, expected in [(a < 2, [1, 0, 0]), (a <= 2, [1, 1, 0]), (a > 2, [0, 0, 1]),
                             (a >= 2, [0, 1, 1]), (a == 2, [0, 1, 0]), (a != 2, [1, 0, 1])]:
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(to_numpy(result), np.array(expected, bool))


def test_argmax_argmin(device):
    x = mdl.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], device=device)
    assert x.argmax().item() == 3
    np.testing.assert_array_equal(to_numpy(x.argmax(1)), [1, 0])
    np.testing.assert_array_equal(to_numpy(x.argmin(0, keepdim=True)), [[0, 1, 0]])
    values, indices = x.max(1)
    np.testing.assert_array_equal(to_numpy(values), [5.0, 7.0])
    assert indices.dtype == np.int64


def test_logsumexp_is_stable(device):
    x = mdl.tensor([[1e4, 0.0], [-1e4, -1e4]], device=device, requires_grad=True)
    out = x.logsumexp(1)
    np.testing.assert_allclose(to_numpy(out), [1e4, -1e4 + np.log(2)], rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [[1, 0], [0.5, 0.5]], atol=1e-6)


def test_max_ties_share_the_gradient(device):
    x = mdl.tensor([3.0, 1.0, 3.0], device=device, requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [0.5, 0.0, 0.5])


def test_repeated_index_accumulates(device):
    x = mdl.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    idx = mdl.tensor([0, 0, 2, 0])
    (x[idx] * mdl.tensor([1.0, 2.0, 3.0, 4.0], device=device)).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [7.0, 0.0, 3.0])


def test_split_with_unused_pieces(device):
    x = mdl.arange(6.0, device=device).requires_grad_()
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [0, 0, 3, 3, 0, 0])


def test_ndarray_on_the_left(device):
    if device != 'cpu':
        pytest.skip('NumPy arrays live on the CPU')
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x + np.float32(1)
    assert isinstance(y, mdl.Tensor) and y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [3.0, 4.0])


@pytest.mark.parametrize('op', ['add', 'mul', 'matmul'])
def test_shape_mismatch_names_both_shapes(op, device):
    a = mdl.ones(2, 3, device=device)
    b = mdl.ones(4, 5, device=device)
    fn = {'add': lambda: a + b, 'mul': lambda: a * b, 'matmul': lambda: a @ b}[op]
    with pytest.raises(ValueError, match=r'\(2, 3\).*\(4, 5\)'):
        fn()


def test_reshape_and_cat_errors():
    with pytest.raises(ValueError, match=r'shape \(2, 3\).*\(4, 2\)'):
        mdl.ones(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match=r'tensors\[1\] has shape \(3, 3\)'):
        mdl.cat([mdl.ones(2, 2), mdl.ones(3, 3)], 1)
    with pytest.raises(IndexError, match='dim=3'):
        mdl.ones(2, 2).sum(3)


def test_semantics_that_follow_pytorch(device):
    i = mdl.tensor([1, 2], device=device)
    assert (i / 2).dtype == np.float32 and (i / i).dtype == np.float32
    x = mdl.ones(2, 3, device=device)
    assert x.pow(np.float64(2)).dtype == np.float32
    assert x.clamp(min=np.float64(0)).dtype == np.float32
    assert x.sum(dim=()).shape == ()
    assert np.isnan(to_numpy(mdl.ones(0, 2, device=device).mean(0))).all()
    with pytest.raises(IndexError):
        x.permute(-3, 0)
    with pytest.raises(ValueError, match='expand'):
        x.expand(-1, 2, 3)
    with pytest.raises(TypeError, match='dim must be an int'):
        x.sum(1.0)
    with pytest.raises(ValueError, match=r'maximum: shapes \(2, 3\) and \(4,\)'):
        mdl.maximum(x, mdl.ones(4, device=device))
    with pytest.raises(ValueError, match='where: condition'):
        mdl.where(x > 0, x, mdl.ones(4, device=device))
    with pytest.raises(ValueError, match='ragged'):
        mdl.tensor([[1, 2], [3]])
