"""The backward engine: graphs, accumulation, grad modes, higher-order gradients, errors."""
import gc
import weakref

import numpy as np
import pytest

import minidl as mdl
from tests.conftest import to_numpy


def test_readme_example(device):
    x = mdl.tensor([[1., 2.], [3., 4.]], requires_grad=True, device=device)
    y = (x * x).sum()
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), 2 * to_numpy(x))


def test_diamond_accumulates_both_paths(device):
    x = mdl.tensor([1.5, -2.0], requires_grad=True, device=device)
    a = x * 3
    y = a * a + a.exp()          # a reused by two consumers
    y.sum().backward()
    xn = np.array([1.5, -2.0])
    np.testing.assert_allclose(to_numpy(x.grad), 3 * (2 * 3 * xn + np.exp(3 * xn)), rtol=1e-5)


def test_chain_of_ten_thousand_ops_needs_no_recursion(device):
    x = mdl.tensor([1.0], requires_grad=True, device=device)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), [1.0001 ** 10_000], rtol=1e-3)


def test_gradients_accumulate_until_cleared(device):
    x = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [5.0, 5.0])
    x.grad = None
    (x * 4).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), [4.0, 4.0])


def test_leaf_gradients_never_alias(device):
    a = mdl.ones(3, requires_grad=True, device=device)
    b = mdl.ones(3, requires_grad=True, device=device)
    (a + b).sum().backward()
    a.grad.data *= 10            # an in-place update (as gradient clipping does)
    np.testing.assert_allclose(to_numpy(b.grad), [1.0, 1.0, 1.0])


def test_no_grad_builds_no_graph(device):
    x = mdl.ones(3, requires_grad=True, device=device)
    with mdl.no_grad():
        y = x * 2
        with mdl.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @mdl.no_grad()
    def double(t):
        return t * 2
    assert not double(x).requires_grad
    assert mdl.is_grad_enabled()


def test_requires_grad_propagation_and_detach(device):
    x = mdl.ones(2, device=device)
    w = mdl.ones(2, requires_grad=True, device=device)
    assert not (x * 2).requires_grad
    assert (x * w).requires_grad
    d = (x * w).detach()
    assert not d.requires_grad and d.is_leaf
    with pytest.raises(RuntimeError, match='floating-point'):
        mdl.tensor([1, 2]).requires_grad_()


def test_grad_only_on_leaves_unless_retained(device):
    x = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x * 3
    k = x * 4
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(to_numpy(k.grad), to_numpy(h))


def test_graph_is_freed_after_backward(device):
    x = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match='retain_graph=True'):
        y.backward()


def test_retain_graph_allows_a_second_backward(device):
    x = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), 4 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_intermediate_arrays_are_released_with_the_graph():
    x = mdl.randn(100, requires_grad=True)
    y = (x * 2).tanh()
    ref = weakref.ref(y)
    loss = y.sum()
    del y
    loss.backward()
    del loss
    gc.collect()
    assert ref() is None


def test_non_scalar_backward_needs_a_gradient(device):
    x = mdl.ones(2, 3, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=r'non-scalar.*\(2, 3\).*gradient='):
        (x * 2).backward()
    (x * 2).backward(mdl.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match=r'gradient has shape \(3,\)'):
        (x * 2).backward(mdl.ones(3, device=device))


def test_backward_of_a_constant_is_an_error():
    with pytest.raises(RuntimeError, match='does not require grad'):
        mdl.ones(2).sum().backward()


def test_second_derivatives_of_tanh_and_sin(device):
    x = mdl.tensor([0.3, -1.2, 2.0], dtype=mdl.float64, requires_grad=True, device=device)
    (dy,) = mdl.grad(x.tanh().sum(), x, create_graph=True)
    dy.sum().backward()
    t = np.tanh(to_numpy(x))
    np.testing.assert_allclose(to_numpy(dy), 1 - t ** 2)
    np.testing.assert_allclose(to_numpy(x.grad), -2 * t * (1 - t ** 2))

    x.grad = None
    (ds,) = mdl.grad(x.sin().sum(), [x], create_graph=True)
    (dds,) = mdl.grad(ds.sum(), [x], create_graph=True)
    (ddds,) = mdl.grad(dds.sum(), [x])
    np.testing.assert_allclose(to_numpy(dds), -np.sin(to_numpy(x)))
    np.testing.assert_allclose(to_numpy(ddds), -np.cos(to_numpy(x)))


def test_backward_create_graph_gives_differentiable_grads(device):
    x = mdl.tensor([1.5], dtype=mdl.float64, requires_grad=True, device=device)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    (g2,) = mdl.grad(g.sum(), x)
    np.testing.assert_allclose(to_numpy(g2), [6 * 1.5])


def _mlp(params, x):
    w1, b1, w2, b2 = params
    return ((x @ w1 + b1).tanh() @ w2 + b2).sigmoid().sum()


def test_hessian_vector_product_of_a_small_mlp_matches_finite_differences(device):
    rng = np.random.default_rng(0)
    shapes = [(4, 5), (5,), (5, 2), (2,)]
    arrays = [rng.standard_normal(s) * 0.7 for s in shapes]
    vectors = [rng.standard_normal(s) for s in shapes]
    x = mdl.tensor(rng.standard_normal((3, 4)), dtype=mdl.float64, device=device)

    params = [mdl.tensor(a, dtype=mdl.float64, requires_grad=True, device=device)
              for a in arrays]
    grads = mdl.grad(_mlp(params, x), params, create_graph=True)
    dot = sum((g * mdl.tensor(v, device=device)).sum() for g, v in zip(grads, vectors))
    hvp = mdl.grad(dot, params)

    def gradient_at(shift):
        ps = [mdl.tensor(a + shift * v, dtype=mdl.float64, requires_grad=True, device=device)
              for a, v in zip(arrays, vectors)]
        return [to_numpy(g) for g in mdl.grad(_mlp(ps, x), ps)]

    eps = 1e-5
    plus, minus = gradient_at(eps), gradient_at(-eps)
    for h, p, m in zip(hvp, plus, minus):
        np.testing.assert_allclose(to_numpy(h), (p - m) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_grad_returns_without_touching_dot_grad(device):
    x = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x * 2
    (gh, gx) = mdl.grad((h * h).sum(), [h, x])
    assert x.grad is None
    np.testing.assert_allclose(to_numpy(gh), 2 * to_numpy(h))
    np.testing.assert_allclose(to_numpy(gx), 8 * to_numpy(x))


def test_grad_unused_input(device):
    x = mdl.ones(2, requires_grad=True, device=device)
    z = mdl.ones(2, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match='not used'):
        mdl.grad((x * 2).sum(), [x, z])
    assert mdl.grad((x * 2).sum(), [x, z], allow_unused=True)[1] is None


def test_gradcheck_catches_a_wrong_backward_and_names_it():
    class BadSquare(mdl.Function):
        def forward(self, a):
            return a * a

        def backward(self, gy):
            return gy * self.inputs[0] * 3          # should be 2

    x = mdl.tensor([[0.5, 1.0], [1.5, 2.0]], dtype=mdl.float64, requires_grad=True)
    with pytest.raises(mdl.GradcheckError, match=r'input 0 .*element \(\d, \d\).*analytical'
                                                  r'.*numerical.*tolerance'):
        mdl.gradcheck(lambda a: BadSquare()(a), [x])
    assert mdl.gradcheck(lambda a: BadSquare()(a), [x], raise_exception=False) is False
    with pytest.raises(mdl.GradcheckError, match='random direction'):
        mdl.gradcheck(lambda a: BadSquare()(a), [x], directional=True)


def test_gradcheck_refuses_low_precision():
    x = mdl.ones(3, requires_grad=True)
    with pytest.raises(TypeError, match='float64'):
        mdl.gradcheck(lambda a: a * 2, [x])


def test_gradcheck_directional_mode_passes_on_a_large_input():
    x = mdl.randn(300, 200, dtype=mdl.float64, requires_grad=True)
    assert mdl.gradcheck(lambda a: (a.tanh() * a).sum(0), [x], directional=True)


def test_devices_must_match():
    if not mdl.cuda.is_available():
        pytest.skip('needs a CUDA device')
    a = mdl.ones(2)
    b = mdl.ones(2, device='cuda')
    with pytest.raises(RuntimeError, match=r'cpu.*cuda:0'):
        a + b


def test_grad_stops_at_its_targets(device):
    x = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x.exp()
    (gh,) = mdl.grad((h * h).sum(), h)
    # the graph below h was not walked (nor freed): it can still be differentiated
    (gx,) = mdl.grad(h.sum(), x)
    np.testing.assert_allclose(to_numpy(gh), 2 * to_numpy(h))
    np.testing.assert_allclose(to_numpy(gx), to_numpy(h))


def test_views_of_one_gradient_never_become_two_leaves_grads(device):
    a = mdl.randn(3, 3, requires_grad=True, device=device)
    b = mdl.randn(3, 3, requires_grad=True, device=device)
    (a + b.T).sum().backward()
    a.grad.data *= 0
    np.testing.assert_allclose(to_numpy(b.grad), np.ones((3, 3)))
    # the caller's upstream gradient is not adopted as a .grad either
    c = mdl.randn(4, requires_grad=True, device=device)
    upstream = mdl.ones(4, device=device)
    c.reshape(4).backward(upstream)
    c.grad.data *= 3
    np.testing.assert_allclose(to_numpy(upstream), np.ones(4))


def test_create_graph_gradients_can_be_zeroed_and_clipped_in_place(device):
    x = mdl.ones(3, requires_grad=True, device=device)
    (x + 0).sum().backward(create_graph=True)
    x.grad.data *= 0.5           # as clip_grad_norm_ and zero_grad(set_to_none=False) do
    np.testing.assert_allclose(to_numpy(x.grad), [0.5] * 3)


def test_post_accumulate_grad_hook_sees_the_whole_gradient_once_per_backward(device):
    w = mdl.tensor([1.0, 2.0], requires_grad=True, device=device)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(to_numpy(t.grad).copy()))
    ((w * 3).sum() + (w * w).sum()).backward()     # two Functions send w a gradient
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [5.0, 7.0])
    (w * 2).sum().backward()                        # accumulated: the hook sees the sum
    np.testing.assert_allclose(seen[1], [7.0, 9.0])
    w.grad = None
    (w * 2).sum().backward(inputs=[w])              # backward(inputs=...) fires it too
    np.testing.assert_allclose(seen[2], [2.0, 2.0])
    mdl.grad((w * 2).sum(), w)                      # grad() writes no .grad: no hook
    handle.remove()
    (w * 2).sum().backward()
    assert len(seen) == 3


def test_post_accumulate_grad_hook_only_on_leaves():
    x = mdl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match='non-leaf'):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match='hook must be callable'):
        x.register_post_accumulate_grad_hook(3)
