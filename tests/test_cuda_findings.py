"""minidl's CuPy bugs that the CuPy double found (pytest --fake-cuda), kept as strict xfails on
cuda: when one is fixed, its test passes unexpectedly, fails, and its mark should go. On the CPU
the same tests pass; without a GPU or the double, the cuda ones skip."""
import warnings

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F


def _xfail_on_cuda(request, device, reason):
    request.applymarker(pytest.mark.xfail(device != 'cpu', reason=reason, strict=True))


def test_gradcheck_perturbs_a_copy_of_the_element(request, device):
    _xfail_on_cuda(request, device, "gradcheck.py: `saved = flat[k]` is a 0-d view on CuPy, so "
                                    "it moves with the perturbation (use flat[k].item())")
    x = mdl.tensor([0.3], dtype=mdl.float64, device=device, requires_grad=True)
    assert mdl.gradcheck(lambda t: t * t, x)


def test_randperm_takes_a_numpy_integer(request, device):
    _xfail_on_cuda(request, device, "creation.py randperm: CuPy's permutation(a) treats all but "
                                    "a Python int as an array and calls len(a)")
    assert sorted(mdl.randperm(np.int64(5), device=device).tolist()) == [0, 1, 2, 3, 4]


def test_rng_state_repeats_the_draws_of_every_device(request, device):
    _xfail_on_cuda(request, device, "backend.get_rng_state/set_rng_state hold the CPU "
                                    "generator's state only")
    state = mdl.backend.get_rng_state()
    first = mdl.rand(4, device=device).tolist()
    mdl.backend.set_rng_state(state)
    assert mdl.rand(4, device=device).tolist() == first


def test_gather_backward_uses_no_deprecated_cupy_api(request, device):
    _xfail_on_cuda(request, device, "backend.scatter_add calls cupyx.scatter_add, which CuPy "
                                    "deprecates (DeprecationWarning: use cupy.add.at)")
    x = mdl.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter('error', DeprecationWarning)
        x[mdl.tensor([0, 0, 2], device=device)].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_cross_entropy_does_not_wait_for_the_gpu(request, device):
    if device == 'cpu':
        pytest.skip('a GPU question')
    _xfail_on_cuda(request, device, "functional/loss.py: `if bad.any():` (the target range "
                                    "check) reads a device value back to the host every call")
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


@pytest.mark.xfail(strict=True, reason="creation.py: module_for('cuda:1') gives cupy, whose "
                                       "arrays land on the current device (0)")
def test_new_tensors_land_on_the_device_asked_for(two_gpus):
    assert mdl.ones(2, device='cuda:1').device == 'cuda:1'


@pytest.mark.xfail(strict=True, reason="ops run their kernels on the current device (0), not "
                                       "their inputs' device: CuPy refuses without peer access")
def test_ops_on_a_second_gpu_run_there(two_gpus):
    x = mdl.tensor([1.0, 2.0]).to('cuda:1')
    assert (x * x).sum().device == 'cuda:1'
