"""PyTorch's semantics at the edges (issue 13): one regression test per example of the issue,
class by class, with the values PyTorch gives. They need no PyTorch; the differential test
(tests/differential) compares every op with PyTorch on random cases where it is installed. The
tests that take ``device`` run on the GPU too (or on the CuPy double, ``pytest --fake-cuda``)."""
import warnings

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from minidl import nn
from tests.conftest import to_numpy


@pytest.fixture(autouse=True)
def _on_device(request):
    """A test that takes ``device`` makes its tensors there (the default device)."""
    mdl.set_default_device(request.getfixturevalue('device') if 'device' in
                           request.fixturenames else 'cpu')
    yield
    mdl.set_default_device('cpu')


def grad_of(fn, *values, device=None, dtype=mdl.float64):
    """The gradients of fn(*inputs).sum() with respect to each input."""
    xs = [mdl.tensor(v, dtype=dtype, device=device, requires_grad=True) for v in values]
    fn(*xs).sum().backward()
    return [to_numpy(x.grad) for x in xs]


def no_numpy_error(exc_info):
    """The message is minidl's: none of NumPy's internals in it."""
    text = str(exc_info.value)
    for phrase in ('AxisError', 'zero-size array', 'truth value of an array', 'axis '):
        assert phrase not in text, text


# ---------------------------------------------------------------- 1. backward through 0-d
@pytest.mark.parametrize('fn', [
    lambda x: x.abs(), lambda x: x.max(), lambda x: x.min(), lambda x: mdl.maximum(x, x * 2),
    lambda x: mdl.minimum(x, x * 2), F.softplus, F.elu, F.leaky_relu, F.dropout,
    lambda x: F.l1_loss(x, mdl.tensor(1., dtype=mdl.float64)),
    lambda x: F.binary_cross_entropy_with_logits(x, mdl.tensor(1., dtype=mdl.float64)),
], ids=['abs', 'max', 'min', 'maximum', 'minimum', 'softplus', 'elu', 'leaky_relu', 'dropout',
        'l1_loss', 'bce_with_logits'])
def test_backward_through_0d_tensors(fn, device):
    x = mdl.tensor(-2.5, dtype=mdl.float64, requires_grad=True)
    fn(x).backward()
    assert x.grad.shape == () and np.isfinite(to_numpy(x.grad))


def test_abs_of_0d_has_the_sign_as_gradient(device):
    assert grad_of(lambda x: x.abs(), -2.5)[0] == -1.0


def test_memmap_weights_are_on_the_cpu(tmp_path):
    weights = np.lib.format.open_memmap(tmp_path / 'w.npy', mode='w+', dtype='float32',
                                        shape=(3,))
    weights[:] = [1, 2, 3]
    w = mdl.from_numpy(np.load(tmp_path / 'w.npy', mmap_mode='r'))
    x = mdl.tensor([1., 1., 1.], requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.tolist() == [1., 2., 3.]


# ---------------------------------------------------------------- 2. dims of 0-d tensors
@pytest.mark.parametrize('op, expected', [
    (lambda s: s.sum(0), 3.0), (lambda s: s.mean(0), 3.0), (lambda s: s.squeeze(-1), 3.0),
    (lambda s: s.transpose(0, 0), 3.0), (lambda s: s.mT, 3.0), (lambda s: s.sum(-1), 3.0),
    (lambda s: s.logsumexp(0), 3.0), (lambda s: s.amax(0), 3.0), (lambda s: s.max(0).values, 3.0),
], ids=['sum', 'mean', 'squeeze', 'transpose', 'mT', 'sum(-1)', 'logsumexp', 'amax', 'max'])
def test_dim_0_and_minus_1_of_a_0d_tensor(op, expected, device):
    out = op(mdl.tensor(3.))
    assert out.shape == () and out.item() == expected


def test_var_of_0d_is_nan_and_out_of_range_dims_are_refused(device):
    assert np.isnan(mdl.tensor(3.).var(0).item())
    with pytest.raises(IndexError, match='out of range') as info:
        mdl.tensor(3.).sum(1)
    no_numpy_error(info)
    with pytest.raises(RuntimeError, match='more than once'):
        mdl.ones(2, 3).sum((0, -2))


def test_argmax_keepdim_shapes(device):
    assert mdl.tensor(3.).argmax(dim=0, keepdim=True).shape == ()
    assert mdl.ones(2, 3).argmax(keepdim=True).shape == (1, 1)
    assert mdl.tensor([[1, 5], [7, 2]]).argmax(keepdim=True).tolist() == [[2]]


# ---------------------------------------------------------------- 3. empty tensors
def test_reductions_over_empty_dims(device):
    e = mdl.zeros(0, 3)
    assert e.logsumexp(0).tolist() == [-np.inf] * 3
    assert e.logsumexp(1).shape == (0,)
    assert F.softmax(e, 0).shape == (0, 3) and F.log_softmax(e, 1).shape == (0, 3)
    assert e.amax(1).shape == (0,)
    values, indices = e.max(1)
    assert values.shape == (0,) and indices.shape == (0,) and indices.dtype == np.int64
    for op in (lambda: e.amax(0), lambda: e.max(0), lambda: e.argmax(0)):
        with pytest.raises(IndexError, match='empty') as info:
            op()
        no_numpy_error(info)
    with pytest.raises(RuntimeError, match='empty tensor') as info:
        e.max()
    no_numpy_error(info)


def test_empty_index_and_flatten(device):
    assert mdl.ones(3)[[]].shape == (0,)
    assert mdl.ones(3, 2)[[]].shape == (0, 2)
    assert mdl.zeros(0, 3, 4).flatten(1).shape == (0, 12)
    assert mdl.zeros(0, 3).flatten().shape == (0,)


def test_cross_entropy_of_an_empty_batch_is_nan_without_warnings(device):
    logits = mdl.zeros(0, 3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        loss = F.cross_entropy(logits, mdl.zeros(0, dtype=mdl.int64))
        loss.backward()
    assert np.isnan(loss.item()) and logits.grad.shape == (0, 3)


def test_losses_over_only_ignored_targets_are_nan_with_zero_gradient(device):
    for fn in (F.cross_entropy, F.nll_loss):
        x = mdl.tensor([[0.5, -1.0]], requires_grad=True)
        loss = fn(x, mdl.tensor([-100]))
        loss.backward()
        assert np.isnan(loss.item()) and x.grad.tolist() == [[0.0, 0.0]]


# ---------------------------------------------------------------- 4. ties and kinks
def test_max_with_dim_sends_the_gradient_to_the_returned_index_only(device):
    assert grad_of(lambda x: x.max(0).values, [1., 1., 0.])[0].tolist() == [1, 0, 0]
    assert grad_of(lambda x: x.min(1).values, [[0., 0.], [2., 2.]])[0].tolist() == [
        [1, 0], [1, 0]]
    # amax, amin and the full max() share it among the ties
    assert grad_of(lambda x: x.amax(0), [1., 1., 0.])[0].tolist() == [0.5, 0.5, 0]
    assert grad_of(lambda x: x.max(), [1., 1., 0.])[0].tolist() == [0.5, 0.5, 0]


def test_pow_gradients_at_zero(device):
    assert grad_of(lambda x: x ** 0, [0.])[0].tolist() == [0.0]
    zero = mdl.tensor([0.], dtype=mdl.float64)
    assert grad_of(lambda y: zero ** y, [2.])[0].tolist() == [0.0]
    assert grad_of(lambda y: 0 ** y, [0.])[0].tolist() == [0.0]
    assert [g.tolist() for g in grad_of(lambda x, y: x ** y, [0.], [0.])] == [[0.0], [0.0]]


def test_std_of_identical_values_has_zero_gradient(device):
    assert grad_of(lambda x: x.std(), [1., 1., 1.])[0].tolist() == [0.0, 0.0, 0.0]


def test_var_and_std_with_correction_at_least_n_are_inf(device):
    x = mdl.tensor([1., 2.])
    assert x.var(correction=2).item() == np.inf and x.std(correction=3).item() == np.inf


# ---------------------------------------------------------------- 5. type promotion
F32, I64 = mdl.tensor([1., 2.]), mdl.tensor([1, 2])


@pytest.mark.parametrize('op, dtype', [
    (lambda: F32 * mdl.tensor(2., dtype=mdl.float64), np.float32),
    (lambda: F32 * 2.5, np.float32),
    (lambda: mdl.tensor([1, 4], dtype=mdl.int32) ** 0.5, np.float32),
    (lambda: 0.7 ** I64, np.float32),
    (lambda: I64.clamp(0, 3), np.int64),
    (lambda: mdl.where(mdl.tensor([True, False]), F32, I64), np.float32),
    (lambda: mdl.tensor([True, False]) ** 2, np.int64),
    (lambda: mdl.tensor([1, 2], dtype=mdl.int32) + mdl.tensor(2., dtype=mdl.float64), np.float64),
    (lambda: mdl.tensor([1, 2], dtype=mdl.int8) + mdl.tensor(300), np.int8),
    (lambda: mdl.tensor([1, 2], dtype=mdl.uint8) + mdl.tensor([1], dtype=mdl.int8), np.int16),
    (lambda: I64 + mdl.tensor([1.], dtype=mdl.float16), np.float16),
    (lambda: mdl.tensor([True]) + 1, np.int64),
    (lambda: I64 / I64, np.float32),
    (lambda: mdl.cat([I64, F32]), np.float32),
], ids=['f32*f64 0-d', 'f32*float', 'int32**0.5', '0.7**int', 'clamp int', 'where',
        'bool**2', 'int32+f64 0-d', 'int8+int64 0-d', 'uint8+int8', 'int64+f16', 'bool+1',
        'int/int', 'cat'])
def test_type_promotion(op, dtype):
    assert op().dtype == dtype


def test_a_gradient_has_its_inputs_dtype(device):
    a = mdl.tensor([1., 2.], dtype=mdl.float64, requires_grad=True)
    b = mdl.tensor([3., 4.], requires_grad=True)
    (a * b).sum().backward()
    assert b.grad.dtype == np.float32 and a.grad.dtype == np.float64


def test_integer_outputs_never_require_grad(device):
    x = mdl.tensor([1.5, -2.5], requires_grad=True)
    assert not x.long().requires_grad and not x.bool().requires_grad
    assert x.double().requires_grad


# ---------------------------------------------------------------- 6. operands
def test_arrays_and_lists_as_operands_of_division(device):
    t = mdl.tensor([1, 2, 3])
    assert (np.array([1, 2, 3]) / t).tolist() == [1.0, 1.0, 1.0]
    assert ([2, 4] / mdl.tensor([1., 2.])).tolist() == [2.0, 2.0]


def test_binary_max_and_min(device):
    a, b = mdl.tensor([1., 3.]), mdl.tensor([2., 2.])
    assert mdl.max(a, b).tolist() == [2., 3.] and mdl.min(a, b).tolist() == [1., 2.]
    assert a.max(b).tolist() == [2., 3.]


def test_clamp_with_tensor_bounds_and_its_gradients(device):
    x = mdl.tensor([1., 3., 5.], requires_grad=True)
    low = mdl.tensor([2., 2., 2.], requires_grad=True)
    high = mdl.tensor([4., 4., 4.], requires_grad=True)
    out = x.clamp(min=low, max=high)
    assert out.tolist() == [2., 3., 4.]
    out.sum().backward()
    assert x.grad.tolist() == [0, 1, 0] and low.grad.tolist() == [1, 0, 0]
    assert high.grad.tolist() == [0, 0, 1]
    assert mdl.tensor([1, 5]).clamp(min=mdl.tensor(2.)).tolist() == [2., 5.]


def test_integer_powers_with_negative_exponents(device):
    assert (2 ** mdl.tensor([-1, 2])).tolist() == [0, 4]
    assert (mdl.tensor([-1, 1, 2]) ** mdl.tensor([-1, -2, -1])).tolist() == [-1, 1, 0]
    with pytest.raises(RuntimeError, match='negative integer power'):
        mdl.tensor([1, 2]) ** -1


def test_bool_operands_refused_as_pytorch(device):
    with pytest.raises(TypeError, match='bool'):
        mdl.tensor([True]) - mdl.tensor([True])
    with pytest.raises(TypeError, match='bool'):
        mdl.tensor([1.]) - True
    with pytest.raises(TypeError, match='bool'):
        -mdl.tensor([True])
    with pytest.raises(TypeError, match='same dtype'):
        mdl.ones(2, 2) @ mdl.ones(2, 2, dtype=mdl.float64)


# ---------------------------------------------------------------- 7. unbatched inputs
def test_pool_layers_take_unbatched_inputs(device):
    assert nn.MaxPool1d(2)(mdl.ones(3, 8)).shape == (3, 4)
    assert nn.AvgPool2d(2)(mdl.ones(3, 4, 4)).shape == (3, 2, 2)


def test_convolution_takes_one_sample_without_its_batch_dimension(device):
    x, w = mdl.randn(2, 5, 5), mdl.randn(3, 2, 3, 3)
    np.testing.assert_allclose(to_numpy(F.conv2d(x, w, padding=1)),
                               to_numpy(F.conv2d(x.unsqueeze(0), w, padding=1)[0]), rtol=1e-6)
    assert F.conv1d(mdl.ones(2, 6), mdl.ones(4, 2, 3)).shape == (4, 4)
    assert F.conv_transpose2d(mdl.ones(2, 3, 3), mdl.ones(2, 1, 2, 2)).shape == (1, 4, 4)
    assert nn.Conv1d(2, 4, 3)(mdl.ones(2, 6)).shape == (4, 4)
    layer = nn.Conv2d(2, 3, 3)
    layer(mdl.ones(2, 5, 5)).sum().backward()
    assert layer.weight.grad.shape == (3, 2, 3, 3)
    with pytest.raises(ValueError, match=r'2 channels in dimension 0, got shape \(3, 5, 5\)'):
        layer(mdl.ones(3, 5, 5))


def test_functional_pools_take_one_sample(device):
    assert F.max_pool1d(mdl.ones(3, 8), 2).shape == (3, 4)
    values, indices = F.max_pool2d(mdl.ones(3, 4, 4), 2, return_indices=True)
    assert values.shape == indices.shape == (3, 2, 2)
    assert F.avg_pool2d(mdl.ones(3, 4, 4), 2).shape == (3, 2, 2)
    assert F.adaptive_avg_pool1d(mdl.ones(3, 6), 2).shape == (3, 2)


def test_max_pooling_of_integers(device):
    x = mdl.arange(16).reshape(1, 1, 4, 4)
    assert F.max_pool2d(x, 2).tolist() == [[[[5, 7], [13, 15]]]]
    assert F.max_pool2d(x, 2, padding=1).tolist() == [[[[0, 2, 3], [8, 10, 11], [12, 14, 15]]]]
    assert F.max_pool2d(x.to(dtype='uint8'), 2).dtype == np.uint8
    with pytest.raises(TypeError, match='floating-point input'):
        F.avg_pool2d(x, 2)


def test_convolution_of_a_batch_of_zero(device):
    x = mdl.zeros(0, 1, 4, 4, requires_grad=True)
    w = mdl.ones(2, 1, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    assert y.shape == (0, 2, 2, 2)
    y.sum().backward()
    assert x.grad.shape == (0, 1, 4, 4) and to_numpy(w.grad).tolist() == np.zeros(
        (2, 1, 3, 3)).tolist()
    assert F.conv1d(mdl.zeros(0, 1, 4), mdl.ones(2, 1, 3)).shape == (0, 2, 2)
    assert F.conv_transpose2d(mdl.zeros(0, 1, 4, 4), mdl.ones(1, 2, 3, 3)).shape == (0, 2, 6, 6)
    model = nn.Sequential([nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Dense(2 * 2 * 2, 3)])
    assert mdl.train.predict(model, mdl.zeros(0, 1, 4, 4)).shape == (0, 3)


# ---------------------------------------------------------------- 8. indexing
def test_integers_apply_before_index_tensors_are_placed(device):
    x = mdl.arange(2 * 3 * 12 * 5 * 4).reshape(2, 3, 12, 5, 4)
    idx = mdl.tensor([0, 1])
    assert x[1, :, 3:11:2, idx, 0:2].shape == (3, 4, 2, 2)
    assert x[1, :, 0, idx].shape == (3, 2, 4)
    assert x[mdl.tensor(1), :, 0, idx].shape == (3, 2, 4)      # a 0-d index is an integer
    np.testing.assert_array_equal(to_numpy(x[1, :, 3:11:2, idx, 0:2]),
                                  to_numpy(x)[1][:, 3:11:2][:, :, [0, 1], 0:2])


def test_setitem_follows_the_same_rule(device):
    x = mdl.zeros(2, 3, 4)
    x[1, :, [0, 2]] = mdl.tensor([1., 2.])           # the region is (3, 2), as in PyTorch
    assert to_numpy(x)[1].tolist() == [[1, 0, 2, 0]] * 3


def test_nested_list_index_is_a_tuple_as_pytorch(device):
    x = mdl.arange(6).reshape(2, 3)
    assert x[[[0, 1], [1, 0]]].tolist() == [1, 3]          # x[[0, 1], [1, 0]]
    assert x[[0, 1]].shape == (2, 3)


def test_view_of_a_non_contiguous_tensor_raises(device):
    x = mdl.ones(2, 3)
    assert x.view(6).shape == (6,) and x.T.reshape(6).shape == (6,)
    with pytest.raises(RuntimeError, match='reshape'):
        x.T.view(6)


def test_basic_indexing_returns_views(device):
    x = mdl.zeros(3)
    v = x[1]
    v.fill_(5.)
    assert x.tolist() == [0., 5., 0.]


def test_index_errors_in_minidls_words(device):
    for op in (lambda: mdl.ones(3)[5], lambda: mdl.ones(3)[mdl.tensor([0, 7])],
               lambda: mdl.ones(3)[0, 0]):
        with pytest.raises(IndexError, match='tensor of shape') as info:
            op()
        assert 'axis' not in str(info.value)


# ---------------------------------------------------------------- 9. errors and batch norm
def test_batch_norm_eval_without_running_stats_says_so(device):
    with pytest.raises(ValueError, match='running_mean and running_var are None'):
        F.batch_norm(mdl.ones(1, 2), None, None, training=False)


def test_batch_norm_momentum_none_is_a_cumulative_average(device):
    bn = nn.BatchNorm1d(2, momentum=None)
    batches = [mdl.randn(4, 2) for _ in range(3)]
    for b in batches:
        bn(b)
    expected = np.mean([to_numpy(b).mean(0) for b in batches], axis=0)
    np.testing.assert_allclose(to_numpy(bn.running_mean), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='momentum'):
        F.batch_norm(mdl.ones(3, 2), mdl.zeros(2), mdl.ones(2), training=True, momentum=None)


def test_fill_and_copy_keep_the_graph(device):
    x = mdl.tensor([1., 2.], requires_grad=True)
    y = x * 1
    y.fill_(3.)
    assert y.requires_grad
    y.sum().backward()
    assert x.grad is None or x.grad.tolist() == [0., 0.]


class _EdgeNodes(nn.Module):
    """var, std, max along a dim and clamp with tensor bounds: the nodes this issue added."""

    def forward(self, x):
        centre = x.mean(1, keepdim=True)
        return (x.var(1, keepdim=True) + x.std(1, correction=0, keepdim=True) +
                x.max(1, keepdim=True).values + x.clamp(min=centre, max=centre + 0.5))


def test_the_new_nodes_export_to_onnx(tmp_path):
    test_onnx = pytest.importorskip('tests.test_onnx')
    proto = test_onnx.check_export(_EdgeNodes(), (5,), tmp_path)
    assert {'ReduceSum', 'Sqrt', 'ReduceMax', 'Max', 'Min'} <= {n.op_type for n in
                                                                proto.graph.node}


# ---------------------------------------------------------------- found by the differential test
def test_second_derivatives_at_the_kinks_of_elu_and_softplus(device):
    # PyTorch's: ELU's second derivative is 0 at 0 (its first is alpha there), softplus's is 0
    # at the threshold (its first is the sigmoid there)
    for fn, x, at_kink in ((F.elu, [0.0, -1.0], 0), (lambda x: F.softplus(x, threshold=1.0),
                                                    [1.0, 0.0], 0)):
        x = mdl.tensor(x, dtype=mdl.float64, requires_grad=True)
        (g,) = mdl.grad(fn(x).sum(), x, create_graph=True)
        (gg,) = mdl.grad(g.sum(), x)
        assert to_numpy(gg)[at_kink] == 0.0 and to_numpy(gg)[1] > 0


def test_activations_in_place_and_on_integers(device):
    x = mdl.tensor([-1.0, 2.0], requires_grad=True)
    y = x * 1
    F.leaky_relu(y, 0.1, inplace=True).sum().backward()     # its backward needs no input
    assert x.grad.tolist() == pytest.approx([0.1, 1.0])
    assert F.relu(mdl.tensor([-3, 3])).tolist() == [0, 3]
    with pytest.raises(TypeError, match='bool'):
        +mdl.tensor([True])


def test_shape_edges(device):
    with pytest.raises(ValueError, match='at most 2 dimensions'):
        mdl.ones(2, 2, 2).t()
    assert F.pad(mdl.tensor(1.), ()).item() == 1.0
    assert mdl.zeros(0).split([]) == ()
    assert mdl.cat([mdl.zeros(0), mdl.zeros(0)], 5).shape == (0,)
    assert mdl.cat([mdl.ones(2, 3), mdl.zeros(0)], 1).shape == (2, 3)
    assert mdl.ones(1, 2).squeeze(()).shape == (1, 2)
    assert mdl.ones(1, 2).squeeze((0,)).shape == (2,)


def test_loss_edges(device):
    # class probabilities over no sample: NaN, as PyTorch
    assert np.isnan(F.cross_entropy(mdl.zeros(0, 2), mdl.zeros(0, 2)).item())
    # the target's gradient of binary cross entropy is -logit(input), infinite at 0 and 1
    x = mdl.tensor([0.0, 0.5], dtype=mdl.float64)
    t = mdl.tensor([0.25, 0.25], dtype=mdl.float64, requires_grad=True)
    F.binary_cross_entropy(x, t, reduction='sum').backward()
    assert to_numpy(t.grad).tolist() == [np.inf, 0.0]
    with pytest.raises(TypeError, match='dtype'):
        F.binary_cross_entropy(x, mdl.tensor([0.25, 0.25]))
    # with logits: the result has the target's dtype
    logits = mdl.tensor([0.5, -1.0], dtype=mdl.float64)
    assert F.binary_cross_entropy_with_logits(logits, mdl.tensor([0., 1.])).dtype == np.float32
    # a float32 input meets a float64 0-d target: broadcast first, so float64 (PyTorch's)
    with pytest.warns(UserWarning, match='target size'):
        out = F.mse_loss(mdl.tensor([1.0, 2.0]), mdl.tensor(1.0, dtype=mdl.float64))
    assert out.dtype == np.float64


def test_setitem_with_index_tensors_needs_the_same_dtype(device):
    x = mdl.zeros(3)
    x[mdl.tensor([0, 2])] = mdl.tensor([1.0, 2.0])
    assert x.tolist() == [1.0, 0.0, 2.0]
    with pytest.raises(TypeError, match="x's dtype"):
        x[mdl.tensor([0])] = mdl.tensor([1.0], dtype=mdl.float64)
    x[mdl.tensor([True, False, False])] = mdl.tensor(7.0, dtype=mdl.float64)    # a mask casts
    assert x[0].item() == 7.0
    x[0] = mdl.tensor(5.0, dtype=mdl.float64)          # basic indexing casts, as PyTorch
    assert x[0].item() == 5.0


def test_variance_gradient_is_pytorchs_closed_form(device):
    x = mdl.tensor([1.0, 2.0, 4.0], dtype=mdl.float64, requires_grad=True)
    x.var().backward()
    mean = 7 / 3
    np.testing.assert_allclose(to_numpy(x.grad), [2 * (v - mean) / 2 for v in (1, 2, 4)])
