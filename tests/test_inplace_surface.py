"""The in-place methods of issue 14 beyond add_/mul_/fill_ (abs_, floor_, masked_fill_,
scatter_add_, index_add_, the random fills...): each writes what its out-of-place form computes,
keeps the gradient right when recorded, bumps the version counter, and follows PyTorch's rules
for leaves, grad mode and dtypes."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from tests.conftest import to_numpy

MODIFIED = 'modified by an inplace operation'


def _idx(like, *rows):
    """An int64 index tensor of ``like``'s library (minidl or torch)."""
    return like.new_tensor(list(rows)).long()


# name, in-place call, the same values computed out of place
INPLACE = [
    ('abs_', lambda t: t.abs_(), lambda t: t.abs()),
    ('log_', lambda t: t.abs().add(0.5).log_(), lambda t: t.abs().add(0.5).log()),
    ('sin_', lambda t: t.sin_(), lambda t: t.sin()),
    ('cos_', lambda t: t.cos_(), lambda t: t.cos()),
    ('log1p_', lambda t: t.abs().log1p_(), lambda t: t.abs().log1p()),
    ('log2_', lambda t: (t.abs() + 1).log2_(), lambda t: (t.abs() + 1).log2()),
    ('log10_', lambda t: (t.abs() + 1).log10_(), lambda t: (t.abs() + 1).log10()),
    ('square_', lambda t: t.square_(), lambda t: t.square()),
    ('reciprocal_', lambda t: t.reciprocal_(), lambda t: t.reciprocal()),
    ('remainder_', lambda t: t.remainder_(0.9), lambda t: t.remainder(0.9)),
    ('fmod_', lambda t: t.fmod_(0.9), lambda t: t.fmod(0.9)),
    ('floor_', lambda t: t.floor_(), lambda t: t.floor()),
    ('ceil_', lambda t: t.ceil_(), lambda t: t.ceil()),
    ('round_', lambda t: t.round_(decimals=1), lambda t: t.round(decimals=1)),
    ('trunc_', lambda t: t.trunc_(), lambda t: t.trunc()),
    ('sign_', lambda t: t.sign_(), lambda t: t.sign()),
    ('expm1_', lambda t: t.expm1_(), lambda t: t.expm1()),
    ('exp2_', lambda t: t.exp2_(), lambda t: t.exp2()),
    ('tan_', lambda t: (t * 0.5).tan_(), lambda t: (t * 0.5).tan()),
    ('rsqrt_', lambda t: t.abs().rsqrt_(), lambda t: t.abs().rsqrt()),
    ('relu_', lambda t: t.relu_(), lambda t: t.relu()),
    ('mdl.relu_', lambda t: mdl.relu_(t), lambda t: mdl.relu(t)),
    ('clamp_min_', lambda t: t.clamp_min_(0.1), lambda t: t.clamp_min(0.1)),
    ('clamp_max_', lambda t: t.clamp_max_(0.1), lambda t: t.clamp_max(0.1)),
    ('nan_to_num_', lambda t: t.nan_to_num_(), lambda t: t.nan_to_num()),
    ('floor_divide_', lambda t: t.floor_divide_(0.3), lambda t: t.floor_divide(0.3)),
    ('div_ trunc', lambda t: t.div_(0.3, rounding_mode='trunc'),
     lambda t: t.div(0.3, rounding_mode='trunc')),
    ('atan2_', lambda t: t.atan2_(t + 1.5), lambda t: t.atan2(t + 1.5)),
    ('erf_', lambda t: t.erf_(), lambda t: t.erf()),
    ('//=', lambda t: t.__ifloordiv__(0.3), lambda t: t // 0.3),
    ('%=', lambda t: t.__imod__(0.3), lambda t: t % 0.3),
    ('addcmul_', lambda t: t.addcmul_(t * 2, t + 1, value=0.5),
     lambda t: t.addcmul(t * 2, t + 1, value=0.5)),
    ('addcdiv_', lambda t: t.addcdiv_(t * 2, t + 3, value=-1),
     lambda t: t.addcdiv(t * 2, t + 3, value=-1)),
    ('lerp_', lambda t: t.lerp_(t + 1, 0.3), lambda t: t.lerp(t + 1, 0.3)),
    ('lerp_ tensor weight', lambda t: t.lerp_(t + 1, t - 4), lambda t: t.lerp(t + 1, t - 4)),
    ('masked_fill_', lambda t: t.masked_fill_(t > 0, 0.5), lambda t: t.masked_fill(t > 0, 0.5)),
    ('scatter_', lambda t: t.scatter_(1, _idx(t, [0, 2], [1, 0]), t[:, :2] * 3),
     lambda t: t.scatter(1, _idx(t, [0, 2], [1, 0]), t[:, :2] * 3)),
    ('scatter_ value', lambda t: t.scatter_(0, _idx(t, [1, 0, 1]), 2.0),
     lambda t: t.scatter(0, _idx(t, [1, 0, 1]), 2.0)),
    ('scatter_add_', lambda t: t.scatter_add_(1, _idx(t, [0, 0], [2, 2]), t[:, 1:] * 2),
     lambda t: t.scatter_add(1, _idx(t, [0, 0], [2, 2]), t[:, 1:] * 2)),
    ('index_add_', lambda t: t.index_add_(1, _idx(t, 2, 2), t[:, :2] * 2, alpha=3),
     lambda t: t.index_add(1, _idx(t, 2, 2), t[:, :2] * 2, alpha=3)),
    ('index_fill_', lambda t: t.index_fill_(0, _idx(t, 1), -1.0),
     lambda t: t.index_fill(0, _idx(t, 1), -1.0)),
    ('index_copy_', lambda t: t.index_copy_(1, _idx(t, 0), t[:, 2:] * 5),
     lambda t: t.index_copy(1, _idx(t, 0), t[:, 2:] * 5)),
]
IDS = [case[0] for case in INPLACE]


def _start(device, requires_grad=False):
    values = np.array([[-1.3, 0.4, 2.2], [0.7, -0.2, 1.6]])
    return mdl.tensor(values, dtype=mdl.float64, device=device, requires_grad=requires_grad)


@pytest.mark.parametrize('name, inplace, outplace', INPLACE, ids=IDS)
def test_writes_what_the_out_of_place_op_computes(name, inplace, outplace, device):
    t = _start(device)
    want = to_numpy(outplace(t.clone()))
    version = t._version
    out = inplace(t)
    np.testing.assert_allclose(to_numpy(out), want)
    if out is t:         # (those that start from a new tensor, t.abs().log_(), write into it)
        assert t._version > version


@pytest.mark.parametrize('name, inplace, outplace', INPLACE, ids=IDS)
def test_recorded_in_place_ops_give_the_out_of_place_gradient(name, inplace, outplace, device):
    weights = mdl.tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]], dtype=mdl.float64, device=device)
    grads = []
    for op in (inplace, outplace):
        w = _start(device, requires_grad=True)
        y = w * 1.0                  # a non-leaf, which autograd lets one write into
        out = op(y)
        (out * weights).sum().backward()
        grads.append(to_numpy(w.grad))
    np.testing.assert_allclose(grads[0], grads[1])


@pytest.mark.parametrize('name, inplace, outplace', INPLACE, ids=IDS)
def test_in_place_ops_check_their_gradients_by_finite_differences(name, inplace, outplace):
    assert mdl.gradcheck(lambda w: inplace(w * 1.0), [_start('cpu', requires_grad=True)])


# the cases whose in-place op writes into the leaf itself (log_ and a few others start from a
# new tensor, t.abs().log_(), to stay in their domain)
ON_THE_LEAF = [case for case in INPLACE
               if case[0] not in ('log_', 'log1p_', 'log2_', 'log10_', 'rsqrt_', 'tan_')]


@pytest.mark.parametrize('name, inplace, outplace', ON_THE_LEAF,
                         ids=[case[0] for case in ON_THE_LEAF])
def test_a_leaf_that_requires_grad_is_refused_outside_no_grad(name, inplace, outplace):
    w = _start('cpu', requires_grad=True)
    with pytest.raises(RuntimeError, match='leaf Variable that requires grad'):
        inplace(w)
    with mdl.no_grad():
        inplace(w)
    assert w.is_leaf and w.requires_grad


@pytest.mark.parametrize('write', [
    lambda t: t.abs_(), lambda t: t.floor_(), lambda t: t.masked_fill_(t > 1, 0.0),
    lambda t: t.scatter_add_(0, _idx(t, [0, 1, 0]), t[:1] * 1), lambda t: t.normal_(),
    lambda t: t.index_add_(0, _idx(t, 0), t[:1] * 1), lambda t: t.relu_(), lambda t: t.lerp_(t, 1),
    lambda t: t.zero_(), lambda t: t.fill_(2.0), lambda t: t.copy_(mdl.ones(3)),
])
def test_a_saved_tensor_written_in_place_makes_backward_raise(write):
    w = _start('cpu', requires_grad=True)
    y = w * 1.0
    z = y * y                        # Mul saves y for its backward
    write(y)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.sum().backward()


def test_in_place_dtype_rules():
    i = mdl.tensor([1, -2, 3])
    i.abs_().floor_()
    assert i.tolist() == [1, 2, 3] and i.dtype == mdl.int64
    for write in (lambda: i.log_(), lambda: i.sqrt_(), lambda: i.reciprocal_()):
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            write()
    i //= 2
    i %= 2
    assert i.tolist() == [0, 1, 1]
    assert i.masked_fill_(i > 0, 9.7).tolist() == [0, 9, 9]


def test_in_place_matches_pytorch_values_and_gradients():
    torch = pytest.importorskip('torch')
    for name, inplace, _ in INPLACE:
        if name.startswith('mdl.'):
            continue
        results = []
        for L in (mdl, torch):
            w = L.tensor([[-1.3, 0.4, 2.2], [0.7, -0.2, 1.6]], dtype=L.float64,
                         requires_grad=True)
            out = inplace(w * 1.0)
            results.append([np.asarray(out.tolist())])
            if name not in ('floor_divide_', '//='):     # PyTorch has no derivative there
                (out * L.tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]], dtype=L.float64)) \
                    .sum().backward()
                results[-1].append(np.asarray(w.grad.tolist()))
        for ours, theirs in zip(*results):
            np.testing.assert_allclose(ours, theirs, err_msg=name)


# ---------------------------------------------------------------- random fills (nn.init style)
def test_random_fills(device):
    t = mdl.empty(20000, device=device)
    version = t._version
    v = to_numpy(t.normal_(2.0, 0.5))
    assert abs(v.mean() - 2.0) < 0.02 and abs(v.std() - 0.5) < 0.02
    v = to_numpy(t.uniform_(-3.0, -1.0))
    assert v.min() >= -3.0 and v.max() < -1.0 and abs(v.mean() + 2.0) < 0.03
    v = to_numpy(t.bernoulli_(0.25))
    assert set(np.unique(v)) == {0.0, 1.0} and abs(v.mean() - 0.25) < 0.02
    v = to_numpy(t.random_(3, 6))
    assert set(np.unique(v)) == {3.0, 4.0, 5.0}
    assert set(np.unique(to_numpy(t.random_(2)))) == {0.0, 1.0}
    v = to_numpy(t.exponential_(4.0))
    assert v.min() >= 0 and abs(v.mean() - 0.25) < 0.01
    assert t._version == version + 6 and t.dtype == mdl.float32


def test_random_fills_keep_the_dtype_repeat_with_the_seed_and_follow_the_leaf_rule():
    for dtype in (mdl.float64, mdl.float16):
        assert mdl.zeros(3, dtype=dtype).normal_().dtype == dtype
    mdl.manual_seed(3)
    a = to_numpy(mdl.zeros(5).uniform_())
    mdl.manual_seed(3)
    np.testing.assert_array_equal(to_numpy(mdl.zeros(5).uniform_()), a)
    layer = nn.Dense(3, 2)
    layer(mdl.zeros(1, 3))
    with pytest.raises(RuntimeError, match='leaf Variable that requires grad'):
        layer.weight.normal_(0, 0.02)
    with mdl.no_grad():
        layer.weight.normal_(0, 0.02)
        layer.bias.uniform_(-0.1, 0.1)
    assert layer.weight.requires_grad and to_numpy(layer.weight).std() < 0.1
    with pytest.raises(TypeError, match='normal_: needs a floating-point tensor'):
        mdl.zeros(2, dtype=mdl.int64).normal_()
    assert mdl.zeros(4, dtype=mdl.int64).random_(5, 6).tolist() == [5, 5, 5, 5]


def test_fill_diagonal(device):
    x = mdl.zeros(3, 2, device=device)
    assert x.fill_diagonal_(4.0) is x
    np.testing.assert_array_equal(to_numpy(x), [[4, 0], [0, 4], [0, 0]])
