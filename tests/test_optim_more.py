"""Adadelta, NAdam and RAdam: trajectories against the update formulas written out in NumPy and
against torch.optim (several steps, weight decay, maximize, parameter groups), float32, state_dict
round trips, learning-rate schedulers and hyperparameter errors."""
import numpy as np
import pytest

import minidl as mdl
from minidl import optim
from tests.conftest import to_numpy
from tests.test_optim import problem, run_minidl, run_torch

STEPS = 12          # RAdam's rectified branch starts at step 6 with the default betas


# ---------------------------------------------------------------- NumPy references (float64)
def ref_adadelta(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    out, v, u = [], np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = (-g if maximize else g) + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
        out.append(p)
    return out


def _decay(p, g, lr, weight_decay, decoupled):
    if decoupled:
        return p * (1 - lr * weight_decay), g
    return p, g + weight_decay * p


def ref_nadam(p, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    (b1, b2), out = betas, []
    m = v = np.zeros_like(p)
    mus = [b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)) for t in range(1, len(grads) + 2)]
    for t, g in enumerate(grads, 1):
        p, g = _decay(p, -g if maximize else g, lr, weight_decay, decoupled_weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        prod, prod_next = np.prod(mus[:t]), np.prod(mus[:t + 1])
        m_bar = (1 - mus[t - 1]) / (1 - prod) * g + mus[t] / (1 - prod_next) * m
        p = p - lr * m_bar / (np.sqrt(v / (1 - b2 ** t)) + eps)
        out.append(p)
    return out


def ref_radam(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              decoupled_weight_decay=False, maximize=False):
    (b1, b2), out = betas, []
    m = v = np.zeros_like(p)
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(grads, 1):
        p, g = _decay(p, -g if maximize else g, lr, weight_decay, decoupled_weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) *
                                                               rho_t))
            # eps is added to sqrt(v), not to sqrt(v / (1 - b2**t)), as PyTorch does
            p = p - lr * m_hat * r * np.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
        else:
            p = p - lr * m_hat
        out.append(p)
    return out


REFS = {'Adadelta': ref_adadelta, 'NAdam': ref_nadam, 'RAdam': ref_radam}
CASES = [
    ('Adadelta', dict()),
    ('Adadelta', dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ('Adadelta', dict(lr=0.3, maximize=True)),
    ('NAdam', dict()),
    ('NAdam', dict(lr=0.01, betas=(0.8, 0.95), momentum_decay=0.02, weight_decay=0.1)),
    ('NAdam', dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ('RAdam', dict()),
    ('RAdam', dict(lr=0.01, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.1)),
    ('RAdam', dict(lr=0.01, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]


@pytest.fixture
def torch64():
    """PyTorch with float64 as its default dtype: NAdam then keeps its momentum product in
    float64, as minidl does (in float32 otherwise, which moves the trajectory by ~1e-8)."""
    torch = pytest.importorskip('torch')
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


@pytest.mark.parametrize('name,kwargs', CASES, ids=IDS)
def test_trajectory_matches_numpy_formula(device, name, kwargs):
    inits, grads = problem(steps=STEPS)
    traj, params, _ = run_minidl(getattr(optim, name), kwargs, inits, grads, device)
    for i, (x0, gs) in enumerate(zip(inits, grads)):
        expected = REFS[name](x0, gs, **kwargs)
        np.testing.assert_allclose(np.array(traj[i]), np.array(expected), rtol=1e-10, atol=1e-12)
        assert params[i].dtype == np.float64


@pytest.mark.parametrize('name,kwargs', CASES, ids=IDS)
def test_trajectory_matches_torch(device, name, kwargs, torch64):
    inits, grads = problem(seed=1, steps=STEPS)
    traj, _, _ = run_minidl(getattr(optim, name), kwargs, inits, grads, device)
    expected = run_torch(torch64, name, kwargs, inits, grads)
    for mine, theirs in zip(traj, expected):
        np.testing.assert_allclose(np.array(mine), np.array(theirs), rtol=1e-12, atol=1e-14)


def test_radam_takes_both_branches():
    # the test above would not notice a wrong branch choice unless both are taken
    rho_inf = 2 / (1 - 0.999) - 1
    rho = [rho_inf - 2 * t * 0.999 ** t / (1 - 0.999 ** t) for t in range(1, STEPS + 1)]
    assert rho[0] <= 5 < rho[-1]


@pytest.mark.parametrize('name,kwargs', CASES, ids=IDS)
def test_parameter_groups_against_torch(device, name, kwargs, torch64):
    inits, grads = problem(seed=2, shapes=[(3, 4), (5,), (2,)], steps=STEPS)
    override = {'Adadelta': dict(lr=0.2, rho=0.5), 'NAdam': dict(lr=0.05, momentum_decay=0.01),
                'RAdam': dict(lr=0.05, betas=(0.6, 0.95))}[name]
    groups = lambda ps: [{'params': [ps[0], ps[2]]},                            # noqa: E731
                         {'params': [ps[1]], 'weight_decay': 0.05, **override}]
    traj, _, opt = run_minidl(getattr(optim, name), kwargs, inits, grads, device, groups)
    assert all(opt.param_groups[1][k] == v for k, v in override.items())
    expected = run_torch(torch64, name, kwargs, inits, grads, groups)
    for mine, theirs in zip(traj, expected):
        np.testing.assert_allclose(np.array(mine), np.array(theirs), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize('name,kwargs', CASES, ids=IDS)
def test_float32_stays_float32(device, name, kwargs):
    inits, grads = problem(dtype=np.float32, seed=3, steps=STEPS)
    kwargs = dict(kwargs, lr=np.float64(kwargs.get('lr', 0.01)))   # a NumPy float64 lr
    traj, params, opt = run_minidl(getattr(optim, name), kwargs, inits, grads, device)
    for i, p in enumerate(params):
        assert p.dtype == np.float32 and p.device == mdl.backend.canonical_device(device)
        for value in opt.state[p].values():
            if not isinstance(value, (int, float)):
                assert value.dtype == np.float32 and mdl.backend.device_of(value) == p.device
        expected = REFS[name](inits[i].astype(np.float64),
                              [g.astype(np.float64) for g in grads[i]], **kwargs)
        np.testing.assert_allclose(np.array(traj[i]), np.array(expected), rtol=3e-5, atol=3e-5)


def test_nadam_with_torchs_float32_momentum_product_is_close():
    torch = pytest.importorskip('torch')
    inits, grads = problem(seed=4, steps=STEPS)
    traj, _, _ = run_minidl(optim.NAdam, dict(lr=0.01), inits, grads, 'cpu')
    for mine, theirs in zip(traj, run_torch(torch, 'NAdam', dict(lr=0.01), inits, grads)):
        np.testing.assert_allclose(np.array(mine), np.array(theirs), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize('cls,kw', [(optim.Adadelta, dict(lr=10.0)), (optim.NAdam, dict(lr=0.05)),
                                    (optim.RAdam, dict(lr=0.05))])
def test_minimizes_a_quadratic_through_autograd(device, cls, kw):
    target = mdl.tensor([1.0, -2.0, 3.0], device=device)
    x = mdl.zeros(3, device=device, requires_grad=True)
    opt = cls([x], **kw)
    for _ in range(400):
        opt.zero_grad()
        ((x - target) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(to_numpy(x), to_numpy(target), atol=0.05)


def test_grad_none_is_skipped_and_user_gradient_kept(device):
    g = np.array([0.5, -1.0])
    for cls, kw in [(optim.Adadelta, dict(weight_decay=0.1, maximize=True)),
                    (optim.NAdam, dict(weight_decay=0.1, maximize=True)),
                    (optim.RAdam, dict(weight_decay=0.1, decoupled_weight_decay=True))]:
        a = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
        b = mdl.tensor([3.0, 4.0], device=device, requires_grad=True)
        opt = cls([a, b], **kw)
        for _ in range(3):
            b.grad = mdl.tensor(g, device=device)
            opt.step()
            np.testing.assert_array_equal(to_numpy(b.grad), g)
        np.testing.assert_array_equal(to_numpy(a), [1.0, 2.0])
        assert a not in opt.state and opt.state[b]['step'] == 3


# ---------------------------------------------------------------- state_dict
@pytest.mark.parametrize('name,kwargs', [CASES[1], CASES[4], CASES[5], CASES[7], CASES[8]],
                         ids=[IDS[i] for i in (1, 4, 5, 7, 8)])
def test_state_dict_round_trip_continues_identically(device, name, kwargs, tmp_path):
    cls = getattr(optim, name)
    inits, grads = problem(seed=5, steps=10)
    params = [mdl.tensor(x, device=device, requires_grad=True) for x in inits]
    opt = cls([{'params': [params[0]]}, {'params': [params[1]], 'lr': 0.02}], **kwargs)

    def steps(opt, params, ts):
        for t in ts:
            for p, g in zip(params, grads):
                p.grad = mdl.tensor(g[t], device=device)
            opt.step()
        return [to_numpy(p).copy() for p in params]

    steps(opt, params, range(5))
    mdl.save(opt.state_dict(), tmp_path / 'opt.npz')       # through a file, as checkpoints do
    middle = [to_numpy(p).copy() for p in params]
    final = steps(opt, params, range(5, 10))
    sd = mdl.load(tmp_path / 'opt.npz', device=device)
    assert sorted(sd['state']) == [0, 1] and sd['param_groups'][1]['lr'] == 0.02
    params2 = [mdl.tensor(x, device=device, requires_grad=True) for x in middle]
    opt2 = cls([{'params': [params2[0]]}, {'params': [params2[1]]}], **kwargs)
    opt2.load_state_dict(sd)
    assert opt2.state[params2[0]]['step'] == 5 and isinstance(opt2.state[params2[0]]['step'], int)
    if name == 'NAdam':
        mu_product = opt2.state[params2[0]]['mu_product']
        assert isinstance(mu_product, float) and mu_product == sd['state'][0]['mu_product']
    for mine, theirs in zip(steps(opt2, params2, range(5, 10)), final):
        np.testing.assert_array_equal(mine, theirs)


def test_state_dict_keys_are_pytorchs(torch64):
    inits, grads = problem(seed=6, steps=2)
    for name, kwargs in [('Adadelta', {}), ('NAdam', {}), ('RAdam', {})]:
        _, _, opt = run_minidl(getattr(optim, name), kwargs, inits, grads, 'cpu')
        params = [torch64.tensor(x, requires_grad=True) for x in inits]
        theirs = getattr(torch64.optim, name)(params, **kwargs)
        for p, g in zip(params, grads):
            p.grad = torch64.tensor(g[0])
        theirs.step()
        mine, ref = opt.state_dict(), theirs.state_dict()
        assert set(mine['state'][0]) == set(ref['state'][0])
        assert set(mine['param_groups'][0]) <= set(ref['param_groups'][0])
        ours = {k: v for k, v in mine['param_groups'][0].items() if k != 'params'}
        assert ours == {k: ref['param_groups'][0][k] for k in ours}      # PyTorch's defaults


# ---------------------------------------------------------------- schedulers
@pytest.mark.parametrize('name', ['Adadelta', 'NAdam', 'RAdam'])
def test_lr_schedulers_drive_them_as_in_torch(name, torch64):
    inits, grads = problem(seed=7, steps=STEPS)

    def make(lib, param):
        opt = getattr(lib.optim, name)([param], lr=0.05)
        if name == 'Adadelta':         # no momentum for OneCycleLR to cycle
            return opt, lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        return opt, lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=STEPS)

    p = mdl.tensor(inits[0], requires_grad=True)
    q = torch64.tensor(inits[0], requires_grad=True)
    (mine, sched), (theirs, their_sched) = make(mdl, p), make(torch64, q)
    for g in grads[0]:
        p.grad, q.grad = mdl.tensor(g), torch64.tensor(g)
        mine.step(), theirs.step()
        sched.step(), their_sched.step()
        for key in ('lr', 'betas') if name != 'Adadelta' else ('lr',):
            assert np.allclose(mine.param_groups[0][key], theirs.param_groups[0][key],
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(to_numpy(p), q.detach().numpy(), rtol=1e-11, atol=1e-13)


def test_one_cycle_refuses_adadelta_which_has_no_momentum():
    p = mdl.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match='momentum or beta1'):
        optim.lr_scheduler.OneCycleLR(optim.Adadelta([p]), max_lr=0.1, total_steps=5)
    optim.lr_scheduler.OneCycleLR(optim.Adadelta([p]), max_lr=0.1, total_steps=5,
                                  cycle_momentum=False)


# ---------------------------------------------------------------- defaults and errors
def test_defaults_are_pytorchs():
    p = mdl.tensor([1.0], requires_grad=True)
    assert optim.Adadelta([p]).defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0,
                                                maximize=False)
    assert optim.NAdam([p]).defaults == dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8,
                                             weight_decay=0, momentum_decay=4e-3,
                                             decoupled_weight_decay=False, maximize=False)
    assert optim.RAdam([p]).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                             weight_decay=0, decoupled_weight_decay=False,
                                             maximize=False)
    assert repr(optim.NAdam([p])).startswith('NAdam (') and 'momentum_decay: 0.004' in \
        repr(optim.NAdam([p]))


@pytest.mark.parametrize('make,match', [
    (lambda p: optim.Adadelta(p, lr=-1), 'Invalid learning rate: -1'),
    (lambda p: optim.Adadelta(p, rho=1.5), 'Invalid rho value: 1.5'),
    (lambda p: optim.Adadelta(p, rho=-0.1), 'Invalid rho value: -0.1'),
    (lambda p: optim.Adadelta(p, eps=-1e-6), 'Invalid epsilon value: -1e-06'),
    (lambda p: optim.Adadelta(p, weight_decay=-1), 'Invalid weight_decay value: -1'),
    (lambda p: optim.NAdam(p, lr=-0.1), 'Invalid learning rate: -0.1'),
    (lambda p: optim.NAdam(p, eps=-1.0), 'Invalid epsilon value: -1.0'),
    (lambda p: optim.NAdam(p, betas=(1.0, 0.999)), 'Invalid beta parameter at index 0: 1.0'),
    (lambda p: optim.NAdam(p, betas=(0.9, 1.0)), 'Invalid beta parameter at index 1: 1.0'),
    (lambda p: optim.NAdam(p, weight_decay=-0.1), 'Invalid weight_decay value: -0.1'),
    (lambda p: optim.NAdam(p, momentum_decay=-0.1), 'Invalid momentum_decay value: -0.1'),
    (lambda p: optim.RAdam(p, lr=-0.1), 'Invalid learning rate: -0.1'),
    (lambda p: optim.RAdam(p, eps=-1.0), 'Invalid epsilon value: -1.0'),
    (lambda p: optim.RAdam(p, betas=(0.9, -0.1)), 'Invalid beta parameter at index 1: -0.1'),
    (lambda p: optim.RAdam(p, weight_decay=-0.1), 'Invalid weight_decay value: -0.1'),
    (lambda p: optim.RAdam([{'params': p, 'betas': (2, 0.9)}]),
     'Invalid beta parameter at index 0: 2'),
])
def test_invalid_hyperparameters(make, match):
    p = [mdl.tensor([1.0], requires_grad=True)]
    with pytest.raises(ValueError, match=match):
        make(p)


def test_updates_bump_the_version_so_a_stale_graph_refuses_backward(device):
    for cls in (optim.Adadelta, optim.NAdam, optim.RAdam):
        w = mdl.tensor([1.0, 2.0], device=device, requires_grad=True)
        opt = cls([w])
        loss = (w * w).sum()            # saves w for the backward pass
        w.grad = mdl.tensor([1.0, 1.0], device=device)
        opt.step()
        with pytest.raises(RuntimeError, match='modified by an inplace operation'):
            loss.backward()
