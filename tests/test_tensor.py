"""Creating tensors, dtypes, devices, conversion and repr."""
import importlib

import numpy as np
import pytest

import minidl as mdl
from minidl import backend, cpu
from tests.conftest import to_numpy


def test_python_floats_become_float32_and_ints_int64(device):
    assert mdl.tensor([[1., 2.], [3., 4.]], device=device).dtype == np.float32
    assert mdl.tensor(3.5, device=device).dtype == np.float32
    assert mdl.tensor([1, 2, 3], device=device).dtype == np.int64
    assert mdl.tensor([True, False], device=device).dtype == np.bool_
    assert mdl.tensor([1, 2], dtype=mdl.float64, device=device).dtype == np.float64


def test_numpy_arrays_keep_their_dtype():
    assert mdl.tensor(np.zeros(3)).dtype == np.float64
    assert mdl.tensor(np.zeros(3, np.int32)).dtype == np.int32
    assert mdl.Tensor(np.zeros(3, np.float32)).dtype == np.float32


def test_tensor_copies_but_from_numpy_shares():
    a = np.zeros(3, np.float32)
    t, s = mdl.tensor(a), mdl.from_numpy(a)
    a[0] = 5
    assert t.data[0] == 0 and s.data[0] == 5


def test_unsupported_dtypes_say_which():
    with pytest.raises(TypeError, match='object'):
        mdl.tensor(np.array(['a', None], dtype=object))
    with pytest.raises(TypeError, match='complex'):
        mdl.tensor(np.ones(2, np.complex64))


def test_scalars_never_upcast_float32(device):
    x = mdl.ones(3, device=device)
    for y in (x * 2.5, 2.5 * x, x + np.float64(1.0), x / 3, x ** 2.0, x - 1):
        assert y.dtype == np.float32
    assert (mdl.tensor([1, 2], device=device) * 1.5).dtype == np.float32
    assert (mdl.tensor([1, 2], device=device) * 2).dtype == np.int64


def test_creation_functions(device):
    assert mdl.zeros(2, 3, device=device).shape == (2, 3)
    assert mdl.ones((4,), device=device).dtype == np.float32
    assert mdl.full((2, 2), 7, device=device).dtype == np.int64
    assert to_numpy(mdl.full((2,), 1.5, device=device)).tolist() == [1.5, 1.5]
    assert mdl.empty(5, device=device).shape == (5,)
    x = mdl.ones(2, 3, dtype=mdl.float64, device=device)
    assert mdl.zeros_like(x).dtype == np.float64 and mdl.ones_like(x).shape == (2, 3)
    assert mdl.arange(5, device=device).tolist() == [0, 1, 2, 3, 4]
    assert mdl.arange(5, device=device).dtype == np.int64
    assert mdl.arange(0, 1, 0.25, device=device).dtype == np.float32
    assert mdl.eye(3, device=device).tolist()[1] == [0, 1, 0]
    with pytest.raises(ValueError, match='size'):
        mdl.zeros(-1)


def test_random_draws_repeat_with_manual_seed(device):
    mdl.manual_seed(42)
    a = [mdl.randn(3, device=device), mdl.rand(3, device=device),
         mdl.normal(1.0, 2.0, (3,), device=device), mdl.uniform(-1, 1, (3,), device=device)]
    mdl.manual_seed(42)
    b = [mdl.randn(3, device=device), mdl.rand(3, device=device),
         mdl.normal(1.0, 2.0, (3,), device=device), mdl.uniform(-1, 1, (3,), device=device)]
    for x, y in zip(a, b):
        assert x.dtype == np.float32
        np.testing.assert_array_equal(to_numpy(x), to_numpy(y))
    assert not np.array_equal(to_numpy(a[0]), to_numpy(mdl.randn(3, device=device)))
    u = to_numpy(mdl.uniform(-1, 1, (1000,), device=device))
    assert u.min() >= -1 and u.max() < 1


def test_rng_state_round_trip():
    mdl.manual_seed(3)
    state = mdl.get_rng_state()
    a = mdl.randn(4)
    mdl.set_rng_state(state)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(mdl.randn(4)))


def test_fork_rng_leaves_the_generators_as_they_were(device):
    mdl.manual_seed(5)
    expected = to_numpy(mdl.randn(4, device=device))
    mdl.manual_seed(5)                       # no generator made yet: the seed must come back
    with mdl.backend.fork_rng():
        mdl.manual_seed(1)
        inside = to_numpy(mdl.randn(4, device=device))
    np.testing.assert_array_equal(to_numpy(mdl.randn(4, device=device)), expected)
    assert not np.array_equal(inside, expected)
    state = mdl.get_rng_state()              # a generator that has drawn keeps its place
    with mdl.backend.fork_rng():
        mdl.randn(7, device=device)
        mdl.set_rng_state({'cpu': state['cpu']})
    after = to_numpy(mdl.randn(4, device=device))
    mdl.set_rng_state(state)
    np.testing.assert_array_equal(to_numpy(mdl.randn(4, device=device)), after)


def test_conversions(device):
    x = mdl.tensor([[1.5, 2.0]], device=device)
    assert x.tolist() == [[1.5, 2.0]]
    assert x[0, 1].item() == 2.0 and float(x[0, 0]) == 1.5
    assert x.shape == (1, 2) and x.ndim == 2 and x.numel() == 2 and x.size(1) == 2
    assert x.device == ('cpu' if device == 'cpu' else 'cuda:0')
    assert isinstance(x.cpu().numpy(), np.ndarray)
    assert x.double().dtype == np.float64 and x.long().dtype == np.int64
    with pytest.raises(RuntimeError, match='detach'):
        x.requires_grad_().numpy()
    with pytest.raises(ValueError, match='one element'):
        x.item()


def test_cast_is_differentiable():
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_repr_is_readable():
    assert repr(mdl.tensor([1.0, 2.0])) == 'tensor([1., 2.])'
    assert 'requires_grad=True' in repr(mdl.tensor([1.0], requires_grad=True))
    assert 'grad_fn=<MulBackward>' in repr(mdl.tensor([1.0], requires_grad=True) * 2)
    assert 'dtype=float64' in repr(mdl.tensor([1.0], dtype=mdl.float64))


def test_default_device(monkeypatch):
    monkeypatch.setattr(backend, '_default_device', None)
    monkeypatch.setenv('MINIDL_DEVICE', 'cpu')
    assert mdl.default_device() == 'cpu'
    mdl.set_default_device('cpu')
    assert mdl.zeros(1).device == 'cpu'
    with pytest.raises(ValueError, match="'tpu'"):
        mdl.set_default_device('tpu')


def test_cuda_errors_say_why_and_how_to_fix(monkeypatch):
    if mdl.cuda.is_available():
        pytest.skip('a CUDA device is present')
    with pytest.raises(RuntimeError, match=r'cuda12|no CUDA device'):
        mdl.zeros(2, device='cuda')
    with pytest.raises(RuntimeError, match=r'cuda12|no CUDA device'):
        mdl.ones(2).to('cuda')


def test_cuda_round_trip():
    if not mdl.cuda.is_available():
        pytest.skip('needs a CUDA device')
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    y = (x.to('cuda') * 2).cpu()
    y.sum().backward()
    assert x.grad.device == 'cpu'
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_import_never_needs_cupy():
    import subprocess
    import sys
    code = ("import sys; sys.modules['cupy'] = None; import minidl as m; "
            "print(m.cuda.is_available(), (m.ones(2) * 2).tolist())")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'False [2.0, 2.0]'


def test_set_num_threads():
    before = mdl.get_num_threads()
    try:
        mdl.set_num_threads(1)
        assert mdl.get_num_threads() == 1
    finally:
        mdl.set_num_threads(before)
    with pytest.raises(ValueError, match='positive int'):
        mdl.set_num_threads(0)


def test_get_num_threads_reports_numpys_blas_not_scipys():
    importlib.import_module('scipy.linalg')     # loads SciPy's own OpenBLAS
    from threadpoolctl import ThreadpoolController
    from minidl import backend
    libs = ThreadpoolController().select(user_api='blas').lib_controllers
    numpys = {lib.filepath for lib in cpu._blas_libraries()}
    others = [lib for lib in libs if lib.filepath not in numpys]
    if not others:
        pytest.skip('NumPy and SciPy share one BLAS here')
    before = [lib.get_num_threads() for lib in libs]
    try:
        for lib in libs:
            lib.set_num_threads(1 if lib.filepath in numpys else 2)
        assert mdl.get_num_threads() == 1
    finally:
        for lib, n in zip(libs, before):
            lib.set_num_threads(n)


def test_minidl_runs_no_threads_of_its_own():
    # many cores are many processes (minidl.distributed); within one, BLAS's own threads only
    import threading
    import minidl.functional as F
    from minidl.functional.conv.strategies import WinogradTiles
    before = threading.active_count()
    rng = np.random.default_rng(0)
    x = mdl.tensor(rng.standard_normal((8, 64, 14, 13)), requires_grad=True)
    w = mdl.tensor(rng.standard_normal((64, 64, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert isinstance(y.grad_fn.record, WinogradTiles)
    y.sum().backward()
    assert threading.active_count() == before


def test_backend_matmul_agrees_with_numpy_on_any_thread_count():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 2))
    before = mdl.get_num_threads()
    try:
        for n in (1, 2):
            mdl.set_num_threads(n)
            np.testing.assert_allclose(backend.matmul(a, b), a @ b)
            out = np.empty((3, 4, 2))
            backend.matmul(a, b, out=out)
            np.testing.assert_allclose(out, a @ b)
            assert mdl.get_num_threads() == n       # restored after a small product
    finally:
        mdl.set_num_threads(before)
