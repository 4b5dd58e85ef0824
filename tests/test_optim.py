"""Optimizers: trajectories against the update formulas written out in NumPy and against
torch.optim, parameter groups, state_dict round trips, dtypes, devices and errors."""
import numpy as np
import pytest

import minidl as mdl
from minidl import optim
from tests.conftest import to_numpy

SHAPES = [(3, 4), (5,)]
STEPS = 6


# ---------------------------------------------------------------- NumPy references (float64)
def ref_sgd(p, grads, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
            maximize=False):
    out, buf = [], None
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return out


def ref_adam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
             maximize=False, decoupled=False):
    # the textbook form with bias-corrected moments m_hat, v_hat (equal to torch's arrangement)
    (b1, b2), out = betas, []
    m = v = v_max = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1 ** t)
        v_hat = (v_max if amsgrad else v) / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


def ref_adamw(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
              amsgrad=False, maximize=False):
    return ref_adam(p, grads, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=True)


def ref_rmsprop(p, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                centered=False, maximize=False):
    out = []
    v, a, b = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g
        d = (np.sqrt(v - a * a) if centered else np.sqrt(v)) + eps
        if momentum > 0:
            b = momentum * b + g / d
            p = p - lr * b
        else:
            p = p - lr * g / d
        out.append(p)
    return out


def ref_adagrad(p, grads, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                eps=1e-10, maximize=False):
    out, s = [], np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        g = g + weight_decay * p
        s = s + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
        out.append(p)
    return out


REFS = {'SGD': ref_sgd, 'Adam': ref_adam, 'AdamW': ref_adamw, 'RMSprop': ref_rmsprop,
        'Adagrad': ref_adagrad}

CASES = [
    ('SGD', dict(lr=0.1)),
    ('SGD', dict(lr=0.1, weight_decay=0.05)),
    ('SGD', dict(lr=0.1, momentum=0.9)),
    ('SGD', dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ('SGD', dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05)),
    ('SGD', dict(lr=0.1, momentum=0.9, maximize=True)),
    ('Adam', dict(lr=0.05)),
    ('Adam', dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ('Adam', dict(lr=0.05, amsgrad=True)),
    ('Adam', dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ('AdamW', dict(lr=0.05)),
    ('AdamW', dict(lr=0.05, weight_decay=0.3, amsgrad=True, betas=(0.5, 0.9))),
    ('RMSprop', dict()),
    ('RMSprop', dict(lr=0.01, alpha=0.9, weight_decay=0.1)),
    ('RMSprop', dict(lr=0.01, momentum=0.7)),
    ('RMSprop', dict(lr=0.01, centered=True, eps=1e-6)),
    ('RMSprop', dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ('Adagrad', dict(lr=0.1)),
    ('Adagrad', dict(lr=0.1, lr_decay=0.2, weight_decay=0.1, initial_accumulator_value=0.5)),
    ('Adagrad', dict(lr=0.1, eps=1e-3, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]


def problem(dtype=np.float64, seed=0, shapes=SHAPES, steps=STEPS):
    """Initial values and a fixed gradient sequence per parameter."""
    rng = np.random.default_rng(seed)
    inits = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for _ in range(steps)] for s in shapes]
    return inits, grads


def run_minidl(cls, kwargs, inits, grads, device, groups=None):
    """Parameter values after each step: traj[i][t] for parameter i after step t + 1."""
    params = [mdl.tensor(x, device=device, requires_grad=True) for x in inits]
    opt = cls(groups(params) if groups else params, **kwargs)
    traj = [[] for _ in params]
    for t in range(len(grads[0])):
        for p, g in zip(params, grads):
            p.grad = mdl.tensor(g[t], device=device)
        opt.step()
        for i, p in enumerate(params):
            traj[i].append(to_numpy(p).copy())
    return traj, params, opt


def run_torch(torch, name, kwargs, inits, grads, groups=None):
    params = [torch.tensor(x, requires_grad=True) for x in inits]
    opt = getattr(torch.optim, name)(groups(params) if groups else params, **kwargs)
    traj = [[] for _ in params]
    for t in range(len(grads[0])):
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g[t])
        opt.step()
        for i, p in enumerate(params):
            traj[i].append(p.detach().numpy().copy())
    return traj


# ---------------------------------------------------------------- trajectories
@pytest.mark.parametrize('name,kwargs', CASES, ids=IDS)
def test_trajectory_matches_numpy_formula(device, name, kwargs):
    inits, grads = problem()
    traj, params, _ = run_minidl(getattr(optim, name), kwargs, inits, grads, device)
    for i, (x0, gs) in enumerate(zip(inits, grads)):
        expected = REFS[name](x0, gs, **kwargs)
        np.testing.assert_allclose(np.array(traj[i]), np.array(expected), rtol=1e-10, atol=1e-12)
        assert params[i].dtype == np.float64


@pytest.mark.parametrize('name,kwargs', CASES, ids=IDS)
def test_trajectory_matches_torch(device, name, kwargs):
    torch = pytest.importorskip('torch')
    inits, grads = problem(seed=1)
    traj, _, _ = run_minidl(getattr(optim, name), kwargs, inits, grads, device)
    expected = run_torch(torch, name, kwargs, inits, grads)
    for mine, theirs in zip(traj, expected):
        np.testing.assert_allclose(np.array(mine), np.array(theirs), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('name,kwargs', CASES, ids=IDS)
def test_float32_stays_float32(device, name, kwargs):
    inits, grads = problem(dtype=np.float32, seed=2)
    kwargs = dict(kwargs, lr=np.float64(kwargs.get('lr', 0.01)))   # a NumPy float64 lr
    traj, params, opt = run_minidl(getattr(optim, name), kwargs, inits, grads, device)
    for i, p in enumerate(params):
        assert p.dtype == np.float32 and p.device == mdl.backend.canonical_device(device)
        for value in opt.state[p].values():
            if not isinstance(value, (int, float)):
                assert value.dtype == np.float32
                assert mdl.backend.device_of(value) == p.device
        # the float32 path computes the same update to float32 rounding
        expected = REFS[name](inits[i].astype(np.float64),
                              [g.astype(np.float64) for g in grads[i]], **kwargs)
        np.testing.assert_allclose(np.array(traj[i]), np.array(expected), rtol=2e-5, atol=2e-5)


def test_parameter_groups_with_different_hyperparameters(device):
    inits, grads = problem(shapes=[(3, 4), (5,), (2,)])
    groups = lambda ps: [{'params': [ps[0], ps[2]]},                            # noqa: E731
                         {'params': [ps[1]], 'lr': 0.5, 'nesterov': True, 'weight_decay': 0.1}]
    kwargs = dict(lr=0.1, momentum=0.9)
    traj, params, opt = run_minidl(optim.SGD, kwargs, inits, grads, device, groups)
    assert [g['lr'] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]['momentum'] == 0.9 and opt.param_groups[0]['nesterov'] is False
    for i, kw in [(0, kwargs), (2, kwargs), (1, dict(kwargs, lr=0.5, nesterov=True,
                                                     weight_decay=0.1))]:
        np.testing.assert_allclose(np.array(traj[i]), np.array(ref_sgd(inits[i], grads[i], **kw)),
                                   rtol=1e-12)
    torch = pytest.importorskip('torch')
    expected = run_torch(torch, 'SGD', kwargs, inits, grads, groups)
    for mine, theirs in zip(traj, expected):
        np.testing.assert_allclose(np.array(mine), np.array(theirs), rtol=1e-12, atol=1e-14)


def test_adam_groups_against_torch(device):
    torch = pytest.importorskip('torch')
    inits, grads = problem(seed=3)
    groups = lambda ps: [{'params': [ps[0]], 'betas': (0.5, 0.9)},              # noqa: E731
                         {'params': [ps[1]], 'lr': 0.2, 'amsgrad': True}]
    traj, _, _ = run_minidl(optim.AdamW, dict(lr=0.05), inits, grads, device, groups)
    for mine, theirs in zip(traj, run_torch(torch, 'AdamW', dict(lr=0.05), inits, grads, groups)):
        np.testing.assert_allclose(np.array(mine), np.array(theirs), rtol=1e-12, atol=1e-14)


def test_add_param_group(device):
    a = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = mdl.tensor([3.0], device=device, requires_grad=True)
    opt = optim.Adagrad([a], lr=0.5, initial_accumulator_value=0.1)
    opt.add_param_group({'params': b, 'lr': 0.25})
    assert opt.param_groups[1]['lr'] == 0.25 and opt.param_groups[1]['lr_decay'] == 0
    assert float(to_numpy(opt.state[b]['sum'])[0]) == pytest.approx(0.1)
    b.grad = mdl.tensor([2.0], device=device)
    opt.step()
    assert to_numpy(b)[0] == pytest.approx(3.0 - 0.25 * 2.0 / (np.sqrt(0.1 + 4.0) + 1e-10))
    np.testing.assert_array_equal(to_numpy(a), [1.0, 2.0])       # a had no gradient
    with pytest.raises(ValueError, match='more than one parameter group'):
        opt.add_param_group({'params': [a]})


# ---------------------------------------------------------------- semantics
def test_grad_none_is_skipped(device):
    a = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = mdl.tensor([3.0, 4.0], device=device, requires_grad=True)
    for cls, kw in [(optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                    (optim.Adam, dict(weight_decay=0.1)), (optim.AdamW, {}),
                    (optim.RMSprop, dict(momentum=0.9)), (optim.Adagrad, dict(weight_decay=0.1))]:
        opt = cls([a, b], **kw)
        b.grad = mdl.tensor([1.0, 1.0], device=device)
        before = to_numpy(a).copy()
        opt.step()
        np.testing.assert_array_equal(to_numpy(a), before)
        assert cls is optim.Adagrad or a not in opt.state     # Adagrad creates state upfront
        assert b in opt.state


def test_user_gradient_is_not_modified(device):
    g = np.array([0.5, -1.0])
    for cls, kw in [(optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)),
                    (optim.Adam, dict(weight_decay=0.1, maximize=True)),
                    (optim.RMSprop, dict(weight_decay=0.1, centered=True, momentum=0.5,
                                         maximize=True)),
                    (optim.Adagrad, dict(weight_decay=0.1, maximize=True))]:
        p = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
        opt = cls([p], **kw)
        for _ in range(3):
            p.grad = mdl.tensor(g, device=device)
            opt.step()
            np.testing.assert_array_equal(to_numpy(p.grad), g)
        assert p.is_leaf and p.grad_fn is None and p.requires_grad


def test_zero_grad(device):
    p = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    q = mdl.tensor([1.0], device=device, requires_grad=True)
    opt = optim.SGD([p, q])
    (p * p).sum().backward()
    grad_array = p.grad.array
    opt.zero_grad(set_to_none=False)
    assert p.grad.array is grad_array and not to_numpy(p.grad).any() and q.grad is None
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure(device):
    x = mdl.tensor([1.0, -2.0], device=device, requires_grad=True)
    opt = optim.SGD([x], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        calls.append(1)
        return loss

    with mdl.no_grad():          # the closure still records its graph
        loss = opt.step(closure)
    assert len(calls) == 1 and float(loss) == pytest.approx(5.0)
    np.testing.assert_allclose(to_numpy(x), [0.5, -1.0])
    assert opt.step() is None


@pytest.mark.parametrize('cls,kw', [(optim.SGD, dict(lr=0.1, momentum=0.9)),
                                    (optim.Adam, dict(lr=0.1)), (optim.AdamW, dict(lr=0.1)),
                                    (optim.RMSprop, dict(lr=0.03)), (optim.Adagrad, dict(lr=0.5))])
def test_minimizes_a_quadratic_through_autograd(device, cls, kw):
    target = mdl.tensor([1.0, -2.0, 3.0], device=device)
    x = mdl.zeros(3, device=device, requires_grad=True)
    opt = cls([x], **kw)
    for _ in range(300):
        opt.zero_grad()
        ((x - target) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(to_numpy(x), to_numpy(target), atol=0.05)


def test_adamw_decay_is_decoupled(device):
    # with a zero gradient, AdamW only shrinks the weights; Adam's L2 term goes through m / v
    p1 = mdl.tensor([2.0], device=device, requires_grad=True)
    p2 = mdl.tensor([2.0], device=device, requires_grad=True)
    o1, o2 = optim.AdamW([p1], lr=0.1, weight_decay=0.5), optim.Adam([p2], lr=0.1,
                                                                    weight_decay=0.5)
    p1.grad = mdl.tensor([0.0], device=device)
    p2.grad = mdl.tensor([0.0], device=device)
    o1.step(), o2.step()
    assert to_numpy(p1)[0] == pytest.approx(2.0 * (1 - 0.05))
    assert to_numpy(p2)[0] == pytest.approx(2.0 - 0.1, rel=1e-6)   # sign step of size lr


# ---------------------------------------------------------------- state_dict
@pytest.mark.parametrize('name,kwargs', [CASES[3], CASES[4], CASES[9], CASES[11], CASES[16],
                                         CASES[18]], ids=[IDS[i] for i in (3, 4, 9, 11, 16, 18)])
def test_state_dict_round_trip_continues_identically(device, name, kwargs):
    cls = getattr(optim, name)
    inits, grads = problem(seed=4, steps=8)
    params = [mdl.tensor(x, device=device, requires_grad=True) for x in inits]
    groups = [{'params': [params[0]]}, {'params': [params[1]], 'lr': 0.02}]
    opt = cls(groups, **kwargs)

    def steps(opt, params, ts):
        for t in ts:
            for p, g in zip(params, grads):
                p.grad = mdl.tensor(g[t], device=device)
            opt.step()
        return [to_numpy(p).copy() for p in params]

    steps(opt, params, range(4))
    sd = opt.state_dict()
    middle = [to_numpy(p).copy() for p in params]
    final = steps(opt, params, range(4, 8))
    # the layout is PyTorch's: indices for parameters, hyperparameters per group
    assert sorted(sd['state']) == [0, 1]
    assert [g['params'] for g in sd['param_groups']] == [[0], [1]]
    assert sd['param_groups'][1]['lr'] == 0.02
    assert all(isinstance(v, (int, float, mdl.Tensor)) for s in sd['state'].values()
               for v in s.values())
    # a fresh optimizer on the saved parameter values continues exactly like the original
    params2 = [mdl.tensor(x, device=device, requires_grad=True) for x in middle]
    opt2 = cls([{'params': [params2[0]]}, {'params': [params2[1]]}], **kwargs)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]['lr'] == 0.02 and opt2.param_groups[1]['params'][0] is params2[1]
    for mine, theirs in zip(steps(opt2, params2, range(4, 8)), final):
        np.testing.assert_array_equal(mine, theirs)


def test_state_dict_is_a_snapshot_and_load_copies(device):
    p = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = mdl.tensor([1.0, 1.0], device=device)
    opt.step()
    sd = opt.state_dict()
    saved = to_numpy(sd['state'][0]['momentum_buffer']).copy()
    opt.step()
    np.testing.assert_array_equal(to_numpy(sd['state'][0]['momentum_buffer']), saved)
    opt.load_state_dict(sd)
    opt.step()
    np.testing.assert_array_equal(to_numpy(sd['state'][0]['momentum_buffer']), saved)


def test_load_state_dict_moves_to_parameter_device_and_dtype(device):
    p = mdl.tensor(np.ones(3, dtype=np.float32), device=device, requires_grad=True)
    opt = optim.Adam([p])
    sd = {'state': {0: {'step': np.array(5.0), 'exp_avg': np.full(3, 0.5),        # float64,
                        'exp_avg_sq': mdl.tensor(np.full(3, 0.25))}},            # on the CPU
          'param_groups': [dict(opt.state_dict()['param_groups'][0], lr=0.01)]}
    opt.load_state_dict(sd)
    s = opt.state[p]
    assert s['step'] == 5 and isinstance(s['step'], int)
    for key in ('exp_avg', 'exp_avg_sq'):
        assert s[key].dtype == np.float32 and mdl.backend.device_of(s[key]) == p.device
    p.grad = mdl.tensor(np.ones(3, dtype=np.float32), device=device)
    opt.step()
    m, v = 0.9 * 0.5 + 0.1, 0.999 * 0.25 + 0.001
    expected = 1 - 0.01 / (1 - 0.9 ** 6) * m / (np.sqrt(v / (1 - 0.999 ** 6)) + 1e-8)
    np.testing.assert_allclose(to_numpy(p), np.full(3, expected), rtol=1e-6)
    assert p.dtype == np.float32


def test_load_state_dict_errors(device):
    a = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = mdl.tensor([3.0], device=device, requires_grad=True)
    opt = optim.SGD([a, b], momentum=0.9)
    a.grad, b.grad = mdl.tensor([1.0, 1.0], device=device), mdl.tensor([1.0], device=device)
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match='2 parameter groups, but the optimizer has 1'):
        optim.SGD([a, b]).load_state_dict({'state': {}, 'param_groups': sd['param_groups'] * 2})
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a]).load_state_dict(sd)
    swapped = optim.SGD([b, a], momentum=0.9)
    with pytest.raises(ValueError, match=r"has shape \(2,\), but the parameter has shape \(1,\)"):
        swapped.load_state_dict(sd)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize('make,match', [
    (lambda p: optim.SGD(p, lr=-1), 'Invalid learning rate: -1'),
    (lambda p: optim.SGD(p, momentum=-0.5), 'Invalid momentum value: -0.5'),
    (lambda p: optim.SGD(p, weight_decay=-1e-3), 'Invalid weight_decay value: -0.001'),
    (lambda p: optim.SGD(p, nesterov=True), 'Nesterov momentum requires a momentum'),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
     'Nesterov momentum requires a momentum and zero dampening'),
    (lambda p: optim.SGD([{'params': p, 'lr': -0.5}], lr=0.1), 'Invalid learning rate: -0.5'),
    (lambda p: optim.Adam(p, lr=-0.1), 'Invalid learning rate: -0.1'),
    (lambda p: optim.Adam(p, eps=-1.0), 'Invalid epsilon value: -1.0'),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), 'Invalid beta parameter at index 0: 1.0'),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), 'Invalid beta parameter at index 1: -0.1'),
    (lambda p: optim.AdamW(p, weight_decay=-0.1), 'Invalid weight_decay value: -0.1'),
    (lambda p: optim.RMSprop(p, alpha=-0.1), 'Invalid alpha value: -0.1'),
    (lambda p: optim.RMSprop(p, momentum=-1), 'Invalid momentum value: -1'),
    (lambda p: optim.RMSprop(p, eps=-1e-8), 'Invalid epsilon value: -1e-08'),
    (lambda p: optim.Adagrad(p, lr_decay=-1), 'Invalid lr_decay value: -1'),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
     'Invalid initial_accumulator_value value: -1'),
    (lambda p: optim.Adagrad(p, eps=-1), 'Invalid epsilon value: -1'),
])
def test_invalid_hyperparameters(device, make, match):
    p = [mdl.tensor([1.0], device=device, requires_grad=True)]
    with pytest.raises(ValueError, match=match):
        make(p)


def test_invalid_params(device):
    a = mdl.tensor([1.0], device=device, requires_grad=True)
    with pytest.raises(ValueError, match='empty parameter list'):
        optim.SGD([])
    with pytest.raises(TypeError, match='iterable of Tensors or dicts, but got a Tensor'):
        optim.SGD(a)
    with pytest.raises(TypeError, match='can only optimize Tensors.*ndarray'):
        optim.Adam([np.ones(3)])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.Adam([a * 2])
    with pytest.raises(ValueError, match='more than one parameter group'):
        optim.SGD([{'params': [a]}, {'params': [a]}])
    with pytest.raises(ValueError, match='same parameter more than once'):
        optim.SGD([a, a])
    with pytest.raises(TypeError, match='ordered collections'):
        optim.SGD({'params': {a}})


def test_repr_and_defaults():
    p = mdl.tensor([1.0], requires_grad=True)
    opt = optim.Adam([p])
    assert opt.defaults['betas'] == (0.9, 0.999) and opt.param_groups[0]['lr'] == 1e-3
    assert optim.AdamW([p]).param_groups[0]['weight_decay'] == 1e-2
    assert optim.SGD([p]).param_groups[0]['lr'] == 1e-3
    assert optim.RMSprop([p]).param_groups[0]['alpha'] == 0.99
    assert optim.Adagrad([p]).param_groups[0]['eps'] == 1e-10
    text = repr(opt)
    assert text.startswith('Adam (') and 'Parameter Group 0' in text and 'amsgrad: False' in text
