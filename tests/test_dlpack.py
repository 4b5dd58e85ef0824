"""DLPack: tensors cross to and from NumPy, PyTorch and CuPy without a copy (a write on one
side is seen on the other), and a tensor that requires grad is refused as PyTorch refuses it.
numpy() and from_numpy() share memory too."""
import numpy as np
import pytest

import minidl as mdl

REFUSED = "Can't export tensors that require gradient, use tensor.detach()"


def test_numpy_reads_a_tensor_through_dlpack_and_both_see_writes():
    t = mdl.arange(6, dtype=mdl.float32).reshape(2, 3)
    a = np.from_dlpack(t)
    assert a.shape == (2, 3) and a.dtype == np.float32
    a[0, 1] = 10.0                     # NumPy writes, minidl sees
    assert t[0, 1].item() == 10.0
    t.add_(1.0)                        # minidl writes in place, NumPy sees
    assert a[0, 1] == 11.0 and a[1, 2] == 6.0


def test_from_dlpack_wraps_a_numpy_array_and_both_see_writes():
    a = np.arange(6, dtype=np.float64)
    t = mdl.from_dlpack(a)
    assert t.shape == (6,) and t.dtype == np.float64 and t.device == 'cpu'
    assert not t.requires_grad and t.is_leaf
    a[2] = -1.0
    assert t[2].item() == -1.0
    t[4] = 7.0
    assert a[4] == 7.0


def test_dlpack_keeps_strides_of_a_transposed_tensor():
    t = mdl.arange(12, dtype=mdl.float32).reshape(3, 4).T      # a strided view
    a = np.from_dlpack(t)
    np.testing.assert_array_equal(a, np.arange(12, dtype=np.float32).reshape(3, 4).T)
    a[1, 0] = 100.0
    assert t[1, 0].item() == 100.0
    back = mdl.from_dlpack(t)
    back[0, 2] = -5.0
    assert t[0, 2].item() == -5.0


@pytest.mark.parametrize('dtype', ['float32', 'float64', 'int64', 'int32', 'uint8'])
def test_dlpack_round_trip_keeps_the_dtype(dtype):
    a = np.arange(5).astype(dtype)
    t = mdl.from_dlpack(a)
    assert t.dtype == np.dtype(dtype)
    assert np.from_dlpack(t).dtype == np.dtype(dtype)


def test_a_tensor_that_requires_grad_is_refused_as_pytorch_refuses_it():
    w = mdl.ones(3, requires_grad=True)
    with pytest.raises(BufferError, match=r"Can't export tensors that require gradient"):
        np.from_dlpack(w)
    with pytest.raises(BufferError, match=r"use tensor\.detach\(\)"):
        mdl.from_dlpack(w)
    y = w * 2                            # a non-leaf of the graph is refused too
    with pytest.raises(BufferError, match="require gradient"):
        y.__dlpack__()
    shared = np.from_dlpack(w.detach())  # the detached tensor shares w's memory
    shared[0] = 5.0
    assert w[0].item() == 5.0


def test_dlpack_device_and_refusal_of_other_objects():
    assert mdl.zeros(2).__dlpack_device__() == (1, 0)
    with pytest.raises(TypeError, match=r"from_dlpack expects an object with __dlpack__.*list"):
        mdl.from_dlpack([1.0, 2.0])
    with pytest.raises(TypeError, match='complex128 is not supported'):
        mdl.from_dlpack(np.zeros(2, dtype=np.complex128))


def test_numpy_and_from_numpy_share_memory():
    a = np.zeros(4, dtype=np.float32)
    t = mdl.from_numpy(a)
    a[1] = 3.0
    t[2] = 4.0
    np.testing.assert_array_equal(t.numpy(), [0, 3, 4, 0])
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)


def test_the_devices_own_array_library_exchanges_through_dlpack(device):
    # NumPy on the CPU, CuPy on a GPU: the same test
    xp = mdl.backend.module_for(device)
    a = xp.arange(4, dtype=xp.float32)
    t = mdl.from_dlpack(a)
    assert t.device == mdl.backend.canonical_device(device)
    a[0] = 9.0
    t[3] = -2.0
    back = xp.from_dlpack(t)
    back[1] = 8.0
    assert mdl.backend.to_numpy(t.array).tolist() == [9.0, 8.0, 2.0, -2.0]
    assert mdl.backend.to_numpy(a).tolist() == [9.0, 8.0, 2.0, -2.0]


# ---------------------------------------------------------------- PyTorch
@pytest.fixture
def torch():
    return pytest.importorskip('torch', reason='PyTorch (the test oracle) is not installed')


def test_torch_reads_a_tensor_and_both_see_writes(torch):
    t = mdl.arange(6, dtype=mdl.float32).reshape(2, 3)
    p = torch.from_dlpack(t)
    assert p.shape == (2, 3) and p.dtype == torch.float32
    p[1, 1] = 50.0
    assert t[1, 1].item() == 50.0
    t.mul_(2.0)
    assert p[1, 1].item() == 100.0 and p[0, 1].item() == 2.0


def test_from_dlpack_wraps_a_torch_tensor_and_both_see_writes(torch):
    p = torch.arange(8, dtype=torch.float64).reshape(2, 4)[:, 1:]    # strided
    t = mdl.from_dlpack(p)
    assert t.shape == (2, 3) and t.dtype == np.float64
    np.testing.assert_array_equal(t.numpy(), p.numpy())
    t[0, 0] = -1.0
    assert p[0, 0].item() == -1.0
    p[1, 2] = 42.0
    assert t[1, 2].item() == 42.0


def test_requires_grad_is_refused_on_both_sides_as_in_pytorch(torch):
    w, tw = mdl.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    with pytest.raises(BufferError) as ours:
        torch.from_dlpack(w)
    with pytest.raises(BufferError) as theirs:
        torch.from_dlpack(tw)
    assert str(ours.value) == str(theirs.value) == REFUSED     # PyTorch's error, word for word
    with pytest.raises(BufferError, match='require gradient'):
        mdl.from_dlpack(tw)
    shared = mdl.from_dlpack(tw.detach())
    shared[1] = 3.0
    assert tw[1].item() == 3.0


@pytest.mark.skipif(not mdl.cuda.is_available(), reason='no CUDA device (or CuPy not installed)')
def test_torch_cuda_exchanges_with_a_cuda_tensor(torch):
    if not torch.cuda.is_available():
        pytest.skip('PyTorch has no CUDA here')
    t = mdl.arange(4, dtype=mdl.float32, device='cuda')
    p = torch.from_dlpack(t)
    assert p.is_cuda
    p[0] = 7.0
    assert t[0].item() == 7.0
    back = mdl.from_dlpack(p)
    assert back.device == 'cuda:0'
    back[1] = 6.0
    assert p[1].item() == 6.0
