"""convolve1d, conv_matrix and conv2d_matrix: the notes' three views of convolution agree.

Forward against numpy.convolve and a naive loop conv2d, against conv1d/conv2d (the layers' GEMM
path), and gradients by finite differences, on every backend."""
import itertools

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from tests.conftest import to_numpy

MODES = ('full', 'same', 'valid')
# (n, m) pairs: kernel shorter, equal, longer than the signal (numpy swaps them), length 1
LENGTHS = [(1, 1), (5, 1), (1, 4), (6, 3), (7, 4), (4, 4), (3, 5), (2, 6), (9, 2)]


def rand64(rng, *shape, device='cpu', requires_grad=False):
    return mdl.tensor(rng.standard_normal(shape), dtype=mdl.float64, device=device,
                      requires_grad=requires_grad)


# ---------------------------------------------------------------- convolve1d and conv_matrix
@pytest.mark.parametrize('n,m', LENGTHS)
def test_convolve1d_matches_numpy_and_the_toeplitz_matrix(device, n, m):
    rng = np.random.default_rng(10 * n + m)
    a, b = rand64(rng, n, device=device), rand64(rng, m, device=device)
    for mode in MODES:
        expected = np.convolve(to_numpy(a), to_numpy(b), mode)
        out = F.convolve1d(a, b, mode)
        assert out.shape == expected.shape, (mode, out.shape, expected.shape)
        assert out.dtype == np.float64 and out.device == a.device
        np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-12, atol=1e-12)
        T = F.conv_matrix(b, n, mode)
        assert T.shape == (expected.shape[0], n)
        np.testing.assert_allclose(to_numpy(T @ a), to_numpy(out), rtol=1e-12, atol=1e-12)


def test_numpy_swaps_a_long_kernel_in_valid_mode():
    # numpy.convolve([1, 2], [1, 1, 1, 1], 'valid') slides the shorter one along the longer
    out = F.convolve1d(mdl.tensor([1., 2.]), mdl.tensor([1., 1., 1., 1.]), 'valid')
    assert out.tolist() == [3.0, 3.0, 3.0] == np.convolve([1, 2], [1, 1, 1, 1], 'valid').tolist()


def test_conv_matrix_is_banded_toeplitz(device):
    b = mdl.tensor([1., 2., 3.], dtype=mdl.float64, device=device)
    T = to_numpy(F.conv_matrix(b, 4))
    assert T.shape == (6, 4)
    for j in range(4):                                       # column j: b shifted down by j
        np.testing.assert_array_equal(T[:, j], np.r_[np.zeros(j), [1, 2, 3], np.zeros(3 - j)])
    for d in range(-T.shape[1] + 1, T.shape[0]):             # constant along every diagonal
        assert len(set(np.diagonal(T, -d).tolist())) <= 1
    np.testing.assert_array_equal(to_numpy(F.conv_matrix(b, 4, 'valid')), T[2:4])
    np.testing.assert_array_equal(to_numpy(F.conv_matrix(b, 4, 'same')), T[1:5])


def test_notes_example_and_plain_lists():
    out = F.convolve1d([2., -1.], [1., 2., 1.])
    assert out.tolist() == [2.0, 3.0, 0.0, -1.0]
    a32 = mdl.tensor([2., -1.])
    assert F.convolve1d(a32, [1., 2.]).dtype == np.float32          # no upcast from a list
    assert F.conv_matrix(mdl.tensor([1., 2.]), 3).dtype == np.float32


def test_convolve1d_is_cross_correlation_with_flipped_kernel(device):
    """The docstring's claim: conv1d (cross-correlation) with the flipped kernel and m - 1 zeros
    of padding gives the mathematical convolution."""
    conv1d = F.conv1d
    rng = np.random.default_rng(1)
    a, b = rand64(rng, 7, device=device), rand64(rng, 3, device=device)
    flipped = b[mdl.arange(2, -1, -1, device=device)]
    layer = conv1d(a.reshape(1, 1, 7), flipped.reshape(1, 1, 3), padding=2).reshape(-1)
    np.testing.assert_allclose(to_numpy(layer), to_numpy(F.convolve1d(a, b)), rtol=1e-12)
    unflipped = conv1d(a.reshape(1, 1, 7), b.reshape(1, 1, 3), padding=2).reshape(-1)
    assert not np.allclose(to_numpy(unflipped), to_numpy(F.convolve1d(a, b)))


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize('n,m', [(5, 3), (2, 4), (4, 4), (1, 3)])
@pytest.mark.parametrize('mode', MODES)
def test_convolve1d_gradients(device, n, m, mode):
    rng = np.random.default_rng(n * m)
    a = rand64(rng, n, device=device, requires_grad=True)
    b = rand64(rng, m, device=device, requires_grad=True)
    assert mdl.gradcheck(lambda a, b: F.convolve1d(a, b, mode), [a, b])


def test_convolve1d_second_order_gradients(device):
    rng = np.random.default_rng(3)
    a = rand64(rng, 5, device=device, requires_grad=True)
    b = rand64(rng, 3, device=device, requires_grad=True)
    for mode in MODES:
        assert mdl.gradgradcheck(lambda a, b: F.convolve1d(a, b, mode), [a, b])


def test_convolve1d_gradient_of_only_one_argument(device):
    rng = np.random.default_rng(4)
    a = rand64(rng, 6, device=device, requires_grad=True)
    b = rand64(rng, 2, device=device)
    F.convolve1d(a, b).sum().backward()
    # d(sum of a * b)/da[i] = sum(b) for every i
    np.testing.assert_allclose(to_numpy(a.grad), np.full(6, to_numpy(b).sum()), rtol=1e-12)
    assert b.grad is None


@pytest.mark.parametrize('n,m', [(4, 3), (2, 5)])
@pytest.mark.parametrize('mode', MODES)
def test_conv_matrix_gradient(device, n, m, mode):
    b = rand64(np.random.default_rng(n + m), m, device=device, requires_grad=True)
    assert mdl.gradcheck(lambda b: F.conv_matrix(b, n, mode), [b])


def test_conv2d_matrix_gradient(device):
    rng = np.random.default_rng(5)
    w = rand64(rng, 2, 2, 2, 3, device=device, requires_grad=True)
    assert mdl.gradcheck(lambda w: F.conv2d_matrix(w, (2, 4, 4), stride=2, padding=1), [w])
    w2 = rand64(rng, 3, 2, device=device, requires_grad=True)
    assert mdl.gradcheck(lambda w: F.conv2d_matrix(w, (4, 3), padding=1), [w2])


# ---------------------------------------------------------------- conv2d_matrix
def naive_conv2d(x, w, stride, padding, dilation=(1, 1)):
    """Cross-correlation of x (Cin, H, W) with w (Cout, Cin, KH, KW) by loops (the reference)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    cout, _, kh, kw = w.shape
    oh = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((cout, oh, ow))
    for co, i, j in itertools.product(range(cout), range(oh), range(ow)):
        window = xp[:, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
        out[co, i, j] = (window * w[co]).sum()
    return out


CASES_2D = [((1, 1, 2, 2), (1, 4, 4)), ((3, 2, 3, 3), (2, 5, 6)), ((2, 3, 2, 3), (3, 6, 5)),
            ((1, 1, 3, 1), (1, 5, 4))]


@pytest.mark.parametrize('wshape,xshape', CASES_2D)
@pytest.mark.parametrize('stride', [1, 2, (2, 1)])
@pytest.mark.parametrize('padding', [0, 1, (1, 0)])
def test_conv2d_matrix_matches_naive_loops(device, wshape, xshape, stride, padding):
    rng = np.random.default_rng(sum(wshape) + sum(xshape))
    w, x = rand64(rng, *wshape, device=device), rand64(rng, *xshape, device=device)
    M = F.conv2d_matrix(w, xshape, stride=stride, padding=padding)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    expected = naive_conv2d(to_numpy(x), to_numpy(w), pair(stride), pair(padding))
    assert M.shape == (expected.size, x.numel())
    np.testing.assert_allclose(to_numpy(M @ x.flatten()), expected.ravel(), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize('stride,padding', [(1, 0), (1, 1), (2, 0), (2, 1)])
def test_conv2d_matrix_matches_conv2d(device, stride, padding):
    rng = np.random.default_rng(7)
    # multi-channel: weight (Cout, Cin, KH, KW), input_shape (Cin, H, W)
    w, x = rand64(rng, 3, 2, 3, 2, device=device), rand64(rng, 2, 6, 5, device=device)
    out = F.conv2d(x.unsqueeze(0), w, stride=stride, padding=padding)
    M = F.conv2d_matrix(w, (2, 6, 5), stride=stride, padding=padding)
    np.testing.assert_allclose(to_numpy(M @ x.flatten()), to_numpy(out.flatten()), rtol=1e-12,
                               atol=1e-12)
    # single channel: weight (KH, KW), input_shape (H, W)
    w1, x1 = rand64(rng, 2, 2, device=device), rand64(rng, 5, 5, device=device)
    out1 = F.conv2d(x1.reshape(1, 1, 5, 5), w1.reshape(1, 1, 2, 2), stride=stride,
                    padding=padding)
    M1 = F.conv2d_matrix(w1, (5, 5), stride=stride, padding=padding)
    np.testing.assert_allclose(to_numpy(M1 @ x1.flatten()), to_numpy(out1.flatten()),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('padding,dilation', [('same', 1), ('same', 2), ('valid', 1), (2, 2)])
def test_conv2d_matrix_same_valid_and_dilation(device, padding, dilation):
    rng = np.random.default_rng(8)
    w, x = rand64(rng, 2, 2, 2, 3, device=device), rand64(rng, 2, 5, 6, device=device)
    out = F.conv2d(x.unsqueeze(0), w, padding=padding, dilation=dilation)
    M = F.conv2d_matrix(w, (2, 5, 6), padding=padding, dilation=dilation)
    if padding == 'same':
        assert M.shape == (2 * 5 * 6, 2 * 5 * 6)
    np.testing.assert_allclose(to_numpy(M @ x.flatten()), to_numpy(out.flatten()), rtol=1e-12,
                               atol=1e-12)


def test_conv2d_matrix_of_the_notes_kernel():
    M = F.conv2d_matrix(mdl.tensor([[1., 2.], [3., 4.]]), (3, 3))
    assert M.tolist() == [[1, 2, 0, 3, 4, 0, 0, 0, 0], [0, 1, 2, 0, 3, 4, 0, 0, 0],
                          [0, 0, 0, 1, 2, 0, 3, 4, 0], [0, 0, 0, 0, 1, 2, 0, 3, 4]]


# ---------------------------------------------------------------- errors
def test_errors_name_the_argument():
    v = mdl.tensor([1., 2., 3.])
    with pytest.raises(ValueError, match=r"a must be a 1-D tensor, got shape \(2, 2\)"):
        F.convolve1d(mdl.ones(2, 2), v)
    with pytest.raises(ValueError, match=r"b must be a 1-D tensor, got shape \(\)"):
        F.convolve1d(v, mdl.tensor(2.0))
    with pytest.raises(ValueError, match="b cannot be empty"):
        F.convolve1d(v, mdl.zeros(0))
    with pytest.raises(ValueError, match=r"mode must be one of 'full', 'same', 'valid', "
                                         r"got 'circular'"):
        F.convolve1d(v, v, mode='circular')
    with pytest.raises(ValueError, match="mode must be one of .* got 'Full'"):
        F.conv_matrix(v, 3, mode='Full')
    with pytest.raises(TypeError, match="a has dtype float32 but b has dtype float64"):
        F.convolve1d(v, v.double())
    with pytest.raises(ValueError, match=r"b must be a 1-D tensor, got shape \(1, 3\)"):
        F.conv_matrix(v.reshape(1, 3), 4)
    with pytest.raises(ValueError, match="n must be a positive integer .* got 0"):
        F.conv_matrix(v, 0)


def test_conv2d_matrix_errors():
    with pytest.raises(ValueError, match=r"input_shape \(H, W\)"):
        F.conv2d_matrix(mdl.ones(2, 2), (1, 4, 4))
    with pytest.raises(ValueError, match=r"input_shape \(Cin=3, H, W\), got \(2, 4, 4\)"):
        F.conv2d_matrix(mdl.ones(1, 3, 2, 2), (2, 4, 4))
    with pytest.raises(ValueError, match=r"weight must be \(KH, KW\) or .* got shape \(2, 2, 2\)"):
        F.conv2d_matrix(mdl.ones(2, 2, 2), (4, 4))
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv2d_matrix(mdl.ones(5, 5), (3, 3))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv2d_matrix(mdl.ones(3, 3), (5, 5), stride=2, padding='same')
    with pytest.raises(ValueError, match="meant for small examples"):
        F.conv2d_matrix(mdl.ones(16, 3, 5, 5), (3, 200, 200), padding=2)
