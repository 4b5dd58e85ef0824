"""In-place updates, item assignment, views and the version counter, with PyTorch's rules."""
import numpy as np
import pytest

import minidl as mdl
from minidl import nn, optim
from tests.conftest import to_numpy

MODIFIED = 'modified by an inplace operation'


# ---------------------------------------------------------------- gradient descent by hand
def test_hand_written_gradient_descent_equals_optim_sgd(device):
    mdl.manual_seed(0)
    x, y = mdl.randn(32, 3, device=device), mdl.randn(32, 1, device=device)
    w0, b0 = mdl.randn(3, 1, device=device), mdl.zeros(1, device=device)

    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    for _ in range(5):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with mdl.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad = None
        b.grad.zero_()

    w2, b2 = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    opt = optim.SGD([w2, b2], lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        ((x @ w2 + b2 - y) ** 2).mean().backward()
        opt.step()
    assert w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(to_numpy(w), to_numpy(w2))
    np.testing.assert_array_equal(to_numpy(b), to_numpy(b2))


def test_data_is_a_tensor_sharing_memory_outside_the_graph(device):
    w = mdl.ones(3, requires_grad=True, device=device)
    (w * 2).sum().backward()
    w.data -= 0.5 * w.grad                  # an old PyTorch idiom
    w.data.mul_(2).add_(1)
    np.testing.assert_allclose(to_numpy(w), [1.0, 1.0, 1.0])
    assert w.requires_grad and w.is_leaf and not w.data.requires_grad
    w.data = mdl.zeros(2, device=device)    # swaps the memory, keeps the tensor
    assert w.shape == (2,) and w.requires_grad


# ---------------------------------------------------------------- leaves and grad mode
def test_in_place_on_a_leaf_that_requires_grad_is_refused(device):
    w = mdl.ones(3, requires_grad=True, device=device)
    for write in (lambda: w.add_(1), lambda: w.__setitem__(0, 2.0), lambda: w.zero_(),
                  lambda: w[:2].mul_(2)):
        with pytest.raises(RuntimeError, match='leaf Variable that requires grad'):
            write()
    with mdl.no_grad():
        w[0] = 5.0
        w[1:].fill_(2.0)
    np.testing.assert_allclose(to_numpy(w), [5.0, 2.0, 2.0])


def test_augmented_assignment_modifies_in_place(device):
    t = mdl.zeros(3, device=device)
    same = t
    t += 1
    t *= 3
    t -= mdl.tensor([1.0, 2.0, 3.0], device=device)
    t /= 2
    assert t is same and t._version == 4
    np.testing.assert_allclose(to_numpy(t), [1.0, 0.5, 0.0])


def test_in_place_dtype_and_shape_rules():
    i = mdl.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        i += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        i /= 2
    i += 2
    assert i.tolist() == [3, 4] and i.dtype == np.int64
    f = mdl.zeros(3)
    f += mdl.ones(3, dtype=mdl.float64)          # float64 into float32: allowed, stays float32
    assert f.dtype == np.float32
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        f += mdl.ones(2, 3)
    with pytest.raises(RuntimeError, match='single memory location'):
        mdl.zeros(1).expand(3).add_(1)


# ---------------------------------------------------------------- item assignment
@pytest.mark.parametrize('index', [1, slice(0, 2), (Ellipsis, 0), (slice(None), [0, 2]),
                                   'mask'])
def test_setitem_values_and_gradients_match_torch(index):
    torch = pytest.importorskip('torch')

    def run(lib, tensor):
        a = tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
        v = tensor([7., 8., 9.], requires_grad=True)
        x = a * 2
        i = (x > 5) if isinstance(index, str) else index
        width = x[i].shape[-1]
        x[i] = (v * 3).sum() if isinstance(index, str) else (v * 3)[:width]
        (x * tensor([[1., 2., 3.], [4., 5., 6.]])).sum().backward()
        return x.detach(), a.grad, v.grad

    mine, theirs = run(mdl, mdl.tensor), run(torch, torch.tensor)
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(to_numpy(m), t.numpy(), rtol=1e-6)


def test_setitem_forms(device):
    x = mdl.zeros(2, 3, device=device)
    x[0, 1] = 5
    x[1] = mdl.tensor([1.0, 2.0, 3.0], device=device)
    x[x > 2.5] = -1
    x[:, mdl.tensor([0], device=device)] = 7
    np.testing.assert_allclose(to_numpy(x), [[7, -1, 0], [7, 2, -1]])
    n = mdl.zeros(3, dtype=mdl.int64, device=device)
    n[0] = 2.7                              # as PyTorch: assignment casts (truncates)
    assert n.tolist() == [2, 0, 0]


def test_setitem_into_a_fresh_tensor_carries_the_gradient(device):
    a = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    out = mdl.zeros(3, device=device)
    out[1:] = a * a
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), [2.0, 4.0])


# ---------------------------------------------------------------- views
def test_views_share_memory_both_ways(device):
    base = mdl.arange(6, device=device).reshape(2, 3)
    row, col, flat = base[0], base[:, 1], base.reshape(-1)
    row[0] = 10
    col += 100
    flat[-1] = -1
    assert base.tolist() == [[10, 101, 2], [3, 104, -1]]
    assert row._version == base._version == flat._version == 3
    base.zero_()
    assert to_numpy(row).tolist() == [0, 0, 0]


def test_write_through_a_view_gives_the_base_the_right_gradient():
    torch = pytest.importorskip('torch')

    def run(lib, tensor):
        a = tensor([[1., 2.], [3., 4.]], requires_grad=True)
        x = a * 1
        x[0].mul_(10)                    # through a view of x
        x.t()[1].add_(a[0])              # through a view of a view
        (x * tensor([[1., 2.], [3., 4.]])).sum().backward()
        return x.detach(), a.grad

    for m, t in zip(run(mdl, mdl.tensor), run(torch, torch.tensor)):
        np.testing.assert_allclose(to_numpy(m), t.numpy())


def test_another_view_of_the_base_follows_the_write(device):
    a = mdl.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True, device=device)
    x = a.clone()
    first, second = x[:2], x[2:]
    first.mul_(2)
    ((second * 3).sum() + (x * 0).sum()).backward()
    np.testing.assert_allclose(to_numpy(a.grad), [0.0, 0.0, 3.0, 3.0])


def test_detach_shares_the_version_counter(device):
    a = mdl.ones(3, requires_grad=True, device=device)
    y = a.exp()
    y.detach().zero_()
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


# ---------------------------------------------------------------- the version counter
def test_modifying_a_saved_tensor_then_backward_raises(device):
    a = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = a * 2
    c = b * b                            # saves b
    b.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + '.*is at version 1; expected version 0'):
        c.sum().backward()


def test_modifying_an_unsaved_input_is_fine_as_in_torch(device):
    a = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = a * 2
    c = b + 1                            # Add saves nothing
    d = b * 3                            # Mul by a constant reads only the constant
    b.add_(1)
    (c + d).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), [8.0, 8.0])


@pytest.mark.parametrize('update', ['pow_', 'clamp_', 'exp_', 'exp_add_', 'mul_self_',
                                    'sigmoid_mul_', 'div_'])
def test_in_place_chains_differentiate_or_refuse_as_in_torch(update):
    torch = pytest.importorskip('torch')
    updates = {'pow_': lambda x, t: x.pow_(2), 'clamp_': lambda x, t: x.clamp_(max=1.0),
               'exp_': lambda x, t: x.exp_(), 'exp_add_': lambda x, t: x.exp_().add_(1),
               'mul_self_': lambda x, t: x.mul_(x),
               'sigmoid_mul_': lambda x, t: x.sigmoid_().mul_(2),
               'div_': lambda x, t: x.div_(t([2., 3.], requires_grad=True))}

    def run(tensor):
        a = tensor([0.5, 2.0], requires_grad=True)
        x = a * 1
        try:
            updates[update](x, tensor)
            x.sum().backward()
        except RuntimeError as error:
            assert 'modified by an inplace operation' in str(error)
            return None
        return a.grad

    mine, theirs = run(mdl.tensor), run(torch.tensor)
    assert (mine is None) == (theirs is None)
    if theirs is not None:
        np.testing.assert_allclose(to_numpy(mine), theirs.numpy(), rtol=1e-6)


def test_relu_in_place_after_a_layer(device):
    layer = nn.Dense(2, 3).to(device)
    x = mdl.randn(4, 2, device=device)
    y = layer(x)
    ref = mdl.functional.relu(y).sum()
    ref.backward()
    expected = to_numpy(layer.weight.grad).copy()
    layer.zero_grad()
    out = layer(x)
    nn.ReLU(inplace=True)(out).sum().backward()
    np.testing.assert_allclose(to_numpy(layer.weight.grad), expected)


def test_optimizer_step_bumps_versions_so_a_stale_graph_refuses(device):
    w = mdl.ones(2, requires_grad=True, device=device)
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()
