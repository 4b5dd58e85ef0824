"""Regression tests for minidl's CuPy bugs that the CuPy double found (pytest --fake-cuda): each
failed on cuda before its fix. On the CPU the same tests pass; without a GPU or the double, the
cuda ones skip."""
import warnings

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F


def test_gradcheck_perturbs_a_copy_of_the_element(device):
    x = mdl.tensor([0.3], dtype=mdl.float64, device=device, requires_grad=True)
    assert mdl.gradcheck(lambda t: t * t, x)


def test_randperm_takes_a_numpy_integer(device):
    assert sorted(mdl.randperm(np.int64(5), device=device).tolist()) == [0, 1, 2, 3, 4]


def test_rng_state_repeats_the_draws_of_every_device(device):
    state = mdl.backend.get_rng_state()
    first = mdl.rand(4, device=device).tolist()
    mdl.backend.set_rng_state(state)
    assert mdl.rand(4, device=device).tolist() == first


def test_gather_backward_uses_no_deprecated_cupy_api(device):
    x = mdl.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter('error', DeprecationWarning)
        x[mdl.tensor([0, 0, 2], device=device)].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_cross_entropy_does_not_wait_for_the_gpu(device):
    if device == 'cpu':
        pytest.skip('a GPU question')
    import cupyx
    logits = mdl.randn(4, 3, device=device)
    target = mdl.tensor([0, 1, 2, 1], device=device)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')         # allow_synchronize itself is deprecated
        with cupyx.allow_synchronize(False):
            F.cross_entropy(logits, target)


@pytest.fixture
def two_gpus(monkeypatch):
    cupy = __import__('sys').modules.get('cupy')
    if getattr(cupy, '__name__', '').startswith('tests.cupy_double'):
        from tests.cupy_double import _device
        monkeypatch.setenv(_device.DEVICES_ENV, '2')
    if mdl.cuda.device_count() < 2:
        pytest.skip('needs two GPUs (or the CuPy double: pytest --fake-cuda)')


def test_new_tensors_land_on_the_device_asked_for(two_gpus):
    assert mdl.ones(2, device='cuda:1').device == 'cuda:1'


def test_ops_on_a_second_gpu_run_there(two_gpus):
    x = mdl.tensor([1.0, 2.0]).to('cuda:1')
    assert (x * x).sum().device == 'cuda:1'


def test_a_training_step_never_waits_for_the_gpu(device):
    if device == 'cpu':
        pytest.skip('a GPU question')
    import cupyx
    from minidl import nn, optim
    model = nn.Sequential([nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                           nn.MaxPool2d(2), nn.Dropout(0.2), nn.Flatten(), nn.Dense(10)])
    x, y = mdl.randn(8, 1, 8, 8, device=device), mdl.randint(0, 10, (8,), device=device)
    model.to(device)(x)                          # builds the lazy Dense
    opt = optim.Adam(model.parameters(), lr=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')          # allow_synchronize itself is deprecated
        with cupyx.allow_synchronize(False):
            for _ in range(2):
                opt.zero_grad()
                F.cross_entropy(model(x), y, label_smoothing=0.1).backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
