"""Learning-rate schedulers: lr sequences against closed-form expectations and against
torch.optim.lr_scheduler, OneCycle momentum cycling, ReduceLROnPlateau, state_dict round trips."""
import json
import math
import warnings

import pytest

import minidl as mdl
from minidl import optim
from minidl.optim import lr_scheduler as S

BASE = (0.1, 0.3)


def make_opt(kind='SGD', lrs=BASE, lib=None):
    """An optimizer (minidl, or torch when ``lib`` is torch) with one group per lr."""
    if lib is None:
        params = [mdl.zeros(2, requires_grad=True) for _ in lrs]
        cls = getattr(optim, kind)
    else:
        params = [lib.zeros(2, requires_grad=True) for _ in lrs]
        cls = getattr(lib.optim, kind)
    kw = dict(momentum=0.9) if kind == 'SGD' else {}
    return cls([{'params': [p], 'lr': lr} for p, lr in zip(params, lrs)], **kw)


def momentum_of(group):
    return group['betas'][0] if 'betas' in group else group.get('momentum')


def sequence(opt, sched, n, metrics=None):
    """[(lrs, momenta)] at construction and after each of ``n`` steps."""
    out = []
    for i in range(n + 1):
        out.append(([g['lr'] for g in opt.param_groups],
                    [momentum_of(g) for g in opt.param_groups]))
        if i < n:
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
    return out


def assert_close(mine, theirs, tol=1e-12):
    assert len(mine) == len(theirs)
    for (lr_a, m_a), (lr_b, m_b) in zip(mine, theirs):
        assert lr_a == pytest.approx(lr_b, rel=tol, abs=tol)
        assert m_a == pytest.approx(m_b, rel=tol, abs=tol)


def lrs_only(seq):
    return [lrs for lrs, _ in seq]


# ---------------------------------------------------------------- closed-form expectations
def test_step_lr():
    opt = make_opt()
    sched = S.StepLR(opt, step_size=3, gamma=0.5)
    got = lrs_only(sequence(opt, sched, 10))
    assert got == [[b * 0.5 ** (e // 3) for b in BASE] for e in range(11)]
    assert sched.last_epoch == 10 and sched.get_last_lr() == got[-1]
    assert [g['initial_lr'] for g in opt.param_groups] == list(BASE)


def test_multi_step_lr_with_repeated_milestone():
    opt = make_opt()
    sched = S.MultiStepLR(opt, milestones=[6, 2, 6], gamma=0.1)
    got = lrs_only(sequence(opt, sched, 8))
    factors = [1, 1, 0.1, 0.1, 0.1, 0.1, 1e-3, 1e-3, 1e-3]
    for lrs, f in zip(got, factors):
        assert lrs == pytest.approx([b * f for b in BASE], rel=1e-14)


def test_exponential_lr():
    opt = make_opt()
    sched = S.ExponentialLR(opt, gamma=0.9)
    for e, lrs in enumerate(lrs_only(sequence(opt, sched, 20))):
        assert lrs == pytest.approx([b * 0.9 ** e for b in BASE], rel=1e-14)


def test_cosine_annealing_lr_through_two_periods():
    opt = make_opt()
    T, eta_min = 8, 0.01
    sched = S.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min)
    got = lrs_only(sequence(opt, sched, 3 * T))
    for e, lrs in enumerate(got):
        want = [eta_min + (b - eta_min) * (1 + math.cos(math.pi * e / T)) / 2 for b in BASE]
        assert lrs == pytest.approx(want, rel=1e-14)
    assert got[T] == pytest.approx([eta_min] * 2) and got[2 * T] == pytest.approx(list(BASE))


def test_lambda_lr_per_group():
    opt = make_opt()
    sched = S.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.5 ** e])
    for e, (a, b) in enumerate(lrs_only(sequence(opt, sched, 6))):
        assert (a, b) == pytest.approx((0.1 / (e + 1), 0.3 * 0.5 ** e))
    assert 'lr_lambdas' not in sched.state_dict()
    with pytest.raises(ValueError, match='same length as optimizer.param_groups'):
        S.LambdaLR(make_opt(), [lambda e: 1.0])


def test_step_with_epoch_jumps():
    opt = make_opt()
    sched = S.ExponentialLR(opt, gamma=0.5)
    sched.step(4)
    assert sched.last_epoch == 4 and sched.get_last_lr() == pytest.approx([0.1 / 16, 0.3 / 16])


# ---------------------------------------------------------------- against torch
TORCH_CASES = [
    ('StepLR', dict(step_size=3, gamma=0.5), 30),
    ('StepLR', dict(step_size=1), 10),
    ('MultiStepLR', dict(milestones=[2, 5, 5, 9], gamma=0.5), 20),
    ('ExponentialLR', dict(gamma=0.93), 60),
    ('CosineAnnealingLR', dict(T_max=1), 6),
    ('CosineAnnealingLR', dict(T_max=7), 3 * 7),
    ('CosineAnnealingLR', dict(T_max=10, eta_min=0.01), 3 * 10),
    ('CosineAnnealingLR', dict(T_max=50, eta_min=1e-3), 2 * 50 + 5),
]


@pytest.mark.parametrize('name,kwargs,n', TORCH_CASES,
                         ids=[f'{n}-{k}' for n, k, _ in TORCH_CASES])
def test_matches_torch(name, kwargs, n):
    torch = pytest.importorskip('torch')
    opt, topt = make_opt(), make_opt(lib=torch)
    mine = sequence(opt, getattr(S, name)(opt, **kwargs), n)
    theirs = sequence(topt, getattr(torch.optim.lr_scheduler, name)(topt, **kwargs), n)
    assert_close(mine, theirs)


def test_lambda_lr_matches_torch():
    torch = pytest.importorskip('torch')
    fn = lambda e: 0.95 ** e if e > 3 else (e + 1) / 4          # noqa: E731
    opt, topt = make_opt(), make_opt(lib=torch)
    assert_close(sequence(opt, S.LambdaLR(opt, fn), 15),
                 sequence(topt, torch.optim.lr_scheduler.LambdaLR(topt, fn), 15))


# ---------------------------------------------------------------- OneCycleLR
def test_one_cycle_closed_form_and_momentum():
    opt = make_opt('SGD')
    total, max_lr = 20, (1.0, 2.0)
    sched = S.OneCycleLR(opt, max_lr=list(max_lr), total_steps=total)
    got = sequence(opt, sched, total - 1)
    up = 0.3 * total - 1                     # the step at which lr peaks
    for step, (lrs, moms) in enumerate(got):
        for m_lr, lr, mom in zip(max_lr, lrs, moms):
            lo, end = m_lr / 25.0, m_lr / 25.0 / 1e4
            if step <= up:
                pct = step / up
                want_lr = m_lr + (lo - m_lr) / 2 * (math.cos(math.pi * pct) + 1)
                want_m = 0.85 + (0.95 - 0.85) / 2 * (math.cos(math.pi * pct) + 1)
            else:
                pct = (step - up) / (total - 1 - up)
                want_lr = end + (m_lr - end) / 2 * (math.cos(math.pi * pct) + 1)
                want_m = 0.95 + (0.85 - 0.95) / 2 * (math.cos(math.pi * pct) + 1)
            assert lr == pytest.approx(want_lr, rel=1e-12)
            assert mom == pytest.approx(want_m, rel=1e-12)
    assert got[0][0] == pytest.approx([0.04, 0.08]) and got[0][1] == pytest.approx([0.95] * 2)
    assert got[-1][0] == pytest.approx([4e-6, 8e-6]) and got[-1][1] == pytest.approx([0.95] * 2)
    assert max(lrs[0] for lrs, _ in got) == pytest.approx(1.0)


def test_one_cycle_cycles_beta1_of_adam_and_keeps_beta2():
    opt = make_opt('AdamW')
    sched = S.OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=5, anneal_strategy='linear',
                         base_momentum=0.8, max_momentum=0.9)
    assert sched.total_steps == 10
    got = sequence(opt, sched, 9)
    assert [m[0] for _, m in got][:4] == pytest.approx([0.9, 0.85, 0.8, 0.8 + 0.1 / 7])
    assert all(g['betas'][1] == 0.999 for g in opt.param_groups)
    assert got[2][0] == pytest.approx([0.5, 0.5])                 # peak at step 0.3 * 10 - 1


def test_one_cycle_raises_past_total_steps():
    opt = make_opt()
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=5)
    for _ in range(5):                   # PyTorch allows reaching last_epoch == total_steps
        sched.step()
    with pytest.raises(ValueError, match='Tried to step 6 times. The specified number of '
                                         'total steps is 5'):
        sched.step()


@pytest.mark.parametrize('kind', ['SGD', 'Adam', 'AdamW', 'RMSprop'])
@pytest.mark.parametrize('three_phase', [False, True])
@pytest.mark.parametrize('anneal', ['cos', 'linear'])
def test_one_cycle_matches_torch(kind, three_phase, anneal):
    torch = pytest.importorskip('torch')
    kw = dict(max_lr=[1.0, 2.0], total_steps=37, three_phase=three_phase, anneal_strategy=anneal,
              pct_start=0.25, div_factor=10.0, final_div_factor=100.0)
    opt, topt = make_opt(kind), make_opt(kind, lib=torch)
    mine = sequence(opt, S.OneCycleLR(opt, **kw), 37)
    theirs = sequence(topt, torch.optim.lr_scheduler.OneCycleLR(topt, **kw), 37)
    assert_close(mine, theirs)


def test_one_cycle_errors():
    with pytest.raises(ValueError, match='either total_steps OR'):
        S.OneCycleLR(make_opt(), max_lr=1.0)
    with pytest.raises(ValueError, match='positive integer total_steps, but got 0'):
        S.OneCycleLR(make_opt(), max_lr=1.0, total_steps=0)
    with pytest.raises(ValueError, match='pct_start, but got 1.5'):
        S.OneCycleLR(make_opt(), max_lr=1.0, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        S.OneCycleLR(make_opt(), max_lr=1.0, total_steps=10, anneal_strategy='exp')
    with pytest.raises(ValueError, match='must support momentum or beta1'):
        S.OneCycleLR(make_opt('Adagrad'), max_lr=1.0, total_steps=10)
    S.OneCycleLR(make_opt('Adagrad'), max_lr=1.0, total_steps=10, cycle_momentum=False)
    with pytest.raises(ValueError, match='max_lr must have the same length'):
        S.OneCycleLR(make_opt(), max_lr=[1.0], total_steps=10)


# ---------------------------------------------------------------- ReduceLROnPlateau
def test_plateau_patience_cooldown_and_min_lr():
    opt = make_opt(lrs=(1.0, 1.0))
    sched = S.ReduceLROnPlateau(opt, patience=2, cooldown=1, min_lr=[0.005, 0.05])
    lrs = []
    for metric in [5.0, 4.0] + [4.0] * 14:
        sched.step(metric)
        lrs.append(sched.get_last_lr()[0])
    # best 4.0 at epoch 2; epochs 3, 4, 5 are bad -> reduce after the third (patience 2);
    # one cooldown epoch (6) does not count, then three more bad epochs (7, 8, 9) -> reduce ...
    assert lrs[:4] == [1.0] * 4
    assert lrs[4:8] == pytest.approx([0.1] * 4)
    assert lrs[8:12] == pytest.approx([0.01] * 4)
    assert lrs[12:] == pytest.approx([0.005] * 4)                 # clamped at min_lr
    assert opt.param_groups[1]['lr'] == pytest.approx(0.05)       # its own min_lr
    assert sched.best == 4.0 and sched.last_epoch == 16


def test_plateau_threshold_modes_and_max_mode():
    opt = make_opt(lrs=(1.0,))
    sched = S.ReduceLROnPlateau(opt, mode='max', patience=0, threshold=0.5, threshold_mode='abs')
    sched.step(1.0)                      # improves on -inf
    sched.step(1.4)                      # not better than 1.0 + 0.5 -> reduce (patience 0)
    assert opt.param_groups[0]['lr'] == pytest.approx(0.1)
    sched.step(1.6)                      # better
    assert opt.param_groups[0]['lr'] == pytest.approx(0.1) and sched.best == 1.6
    rel = S.ReduceLROnPlateau(make_opt(lrs=(1.0,)), patience=0, threshold=0.1)
    rel.step(10.0)
    rel.step(9.5)                        # needs < 10 * (1 - 0.1) = 9 to count
    assert rel.get_last_lr() == pytest.approx([0.1])


def test_plateau_eps_skips_tiny_reductions():
    opt = make_opt(lrs=(1e-9,))
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    sched.step(1.0)
    assert opt.param_groups[0]['lr'] == 1e-9


def test_plateau_errors():
    with pytest.raises(ValueError, match='Factor should be < 1.0'):
        S.ReduceLROnPlateau(make_opt(), factor=1.0)
    with pytest.raises(ValueError, match="mode 'median' is unknown"):
        S.ReduceLROnPlateau(make_opt(), mode='median')
    with pytest.raises(ValueError, match="threshold mode 'pct' is unknown"):
        S.ReduceLROnPlateau(make_opt(), threshold_mode='pct')
    with pytest.raises(ValueError, match='min_lr must have the same length'):
        S.ReduceLROnPlateau(make_opt(), min_lr=[0.1])


PLATEAU_CASES = [dict(patience=2, cooldown=1, min_lr=[0.0005, 0.01]),
                 dict(mode='max', factor=0.5, patience=0, threshold=0.01, threshold_mode='abs'),
                 dict(patience=3, threshold=0.05, cooldown=2, eps=1e-3)]


@pytest.mark.parametrize('kwargs', PLATEAU_CASES)
def test_plateau_matches_torch(kwargs):
    torch = pytest.importorskip('torch')
    metrics = [10 / (1 + (i % 17)) + 0.1 * ((i * 7) % 5) for i in range(60)]
    opt, topt = make_opt(), make_opt(lib=torch)
    mine = sequence(opt, S.ReduceLROnPlateau(opt, **kwargs), 60, metrics)
    theirs = sequence(topt, torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs), 60,
                      metrics)
    assert_close(mine, theirs, tol=0)


# ---------------------------------------------------------------- state_dict and protocol
def _plain(value):
    """True when ``value`` is plain Python data (no arrays or Tensors)."""
    if isinstance(value, dict):
        return all(isinstance(k, (str, int)) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


SCHEDULERS = [
    ('StepLR', dict(step_size=2, gamma=0.5), 'SGD'),
    ('MultiStepLR', dict(milestones=[3, 7]), 'SGD'),
    ('ExponentialLR', dict(gamma=0.8), 'Adam'),
    ('CosineAnnealingLR', dict(T_max=6, eta_min=0.001), 'SGD'),
    ('OneCycleLR', dict(max_lr=1.0, total_steps=12, three_phase=True), 'Adam'),
    ('OneCycleLR', dict(max_lr=[1.0, 0.5], total_steps=12), 'SGD'),
    ('LambdaLR', dict(lr_lambda=lambda e: 1 / (1 + e)), 'SGD'),
    ('ReduceLROnPlateau', dict(patience=1, cooldown=1), 'SGD'),
]


@pytest.mark.parametrize('name,kwargs,kind', SCHEDULERS,
                         ids=[f'{n}-{i}' for i, (n, _, _) in enumerate(SCHEDULERS)])
def test_state_dict_round_trip(name, kwargs, kind):
    metrics = [3.0, 2.0, 2.0, 2.0, 2.5, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    plateau = name == 'ReduceLROnPlateau'
    opt = make_opt(kind)
    sched = getattr(S, name)(opt, **kwargs)
    first = sequence(opt, sched, 5, metrics[:5] if plateau else None)
    sd, opt_sd = sched.state_dict(), opt.state_dict()
    assert _plain(sd), sd
    json.dumps(sd)                                             # saveable as a JSON header
    rest = sequence(opt, sched, 6, metrics[5:] if plateau else None)
    # a new optimizer and scheduler, restored from the dicts, continue identically
    opt2 = make_opt(kind)
    sched2 = getattr(S, name)(opt2, **kwargs)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sd)
    assert sched2.get_last_lr() == first[-1][0]
    assert sequence(opt2, sched2, 6, metrics[5:] if plateau else None) == rest


def test_constructor_protocol():
    opt = make_opt()
    with pytest.raises(KeyError, match="'initial_lr' is not specified in param_groups"):
        S.StepLR(opt, step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match='list is not an Optimizer'):
        S.StepLR([], step_size=2)
    with pytest.raises(ValueError, match='step_size must be a positive integer'):
        S.StepLR(opt, step_size=0)
    # resuming: base_lrs come from 'initial_lr', and the first step sets the next epoch's lr
    opt.param_groups[0]['initial_lr'] = 1.0
    opt.param_groups[1]['initial_lr'] = 2.0
    sched = S.StepLR(opt, step_size=2, gamma=0.5, last_epoch=3)
    assert sched.base_lrs == [1.0, 2.0] and sched.last_epoch == 4
    assert sched.get_last_lr() == [0.25, 0.5]


def test_scheduler_and_optimizer_steps_interleave():
    # schedulers touch only param_groups: an optimizer step in between works as usual
    p = mdl.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = S.StepLR(opt, step_size=1, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for _ in range(3):
            p.grad = mdl.tensor([1.0])
            opt.step()
            sched.step()
    assert float(p.data[0]) == pytest.approx(1.0 - 1.0 - 0.5 - 0.25)
