"""Convolution three ways, as the notes explain it: translate and scale, a Toeplitz matrix, GEMM.

1. Translate and scale. The (mathematical) convolution of a (n,) with b (m,) is

       (a * b)[k] = sum_i a[i] * b[k - i],        k = 0 .. n + m - 2,

   that is: for every component a[i], translate b by i places and scale it by a[i]; add the
   n copies. The result has n + m - 1 components (the last copy starts at n - 1 and is m long).
   ``convolve1d`` computes exactly this, with numpy.convolve's modes.

2. A matrix. Each output is a linear function of a, so a * b == T @ a for an (n + m - 1, n)
   matrix T whose column j is b translated down by j places: a banded Toeplitz matrix (constant
   along every diagonal). ``conv_matrix`` builds it. In 2-D the same idea gives a doubly
   block-Toeplitz matrix (``conv2d_matrix``). It is mostly zeros, which is why nobody computes a
   layer this way; it is the clearest statement that convolution is linear.

3. GEMM. Deep-learning layers gather the input windows into a matrix (im2col) and multiply it by
   the flattened kernel: one dense matrix product, which BLAS and GPUs do fast
   (minidl.functional.conv).

Convolution or cross-correlation? Conv1d/Conv2d layers (conv1d, conv2d here, and those of
PyTorch, TensorFlow, JAX and every other deep-learning framework) compute the cross-correlation
out[k] = sum_j x[k + j] * w[j]: the kernel slides over the input as it is, not flipped. The
convolution of the notes (and of numpy.convolve, and of signal processing) is
(a * b)[k] = sum_j a[k - j] * b[j]: the kernel is flipped. The two differ only by that flip --
convolve1d(a, b) == cross-correlation of a (zero-padded by m - 1 on each side) with b[::-1] --
and since a layer learns its kernel, a learned flipped kernel is as good as an unflipped one,
so the frameworks skip the flip and still call it convolution.
"""
from .. import backend
from ..autograd import Function
from ..ops import cat
from ..tensor import Tensor, make

MODES = ('full', 'same', 'valid')
_MAX_MATRIX_ENTRIES = 50_000_000   # conv2d_matrix is for small examples: refuse ~400 MB and up


# ---------------------------------------------------------------- the primitives (1-D)
class Convolve(Function):
    """Full convolution of two 1-D arrays: c[k] = sum_i a[i] b[k - i], length n + m - 1."""

    def forward(self, a, b):
        if len(a) < len(b):            # convolution is symmetric: loop over the shorter one
            a, b = b, a
        xp = backend.array_module(a)
        out = xp.zeros(len(a) + len(b) - 1, dtype=backend.result_type(a.dtype, b.dtype))
        for i in range(len(b)):        # translate a by i places and scale it by b[i]
            out[i:i + len(a)] += b[i] * a
        return out

    def backward(self, gc):
        a, b = self.inputs
        # c[k] = sum_i a[i] b[k - i], so dL/da[i] = sum_k gc[k] b[k - i]: a cross-correlation
        # of the upstream gradient with b (and the same with a for dL/db).
        ga = CorrelateValid()(gc, b) if a.requires_grad else None
        gb = CorrelateValid()(gc, a) if b.requires_grad else None
        return ga, gb


class CorrelateValid(Function):
    """Cross-correlation without padding: r[j] = sum_k g[j + k] b[k], length len(g) - len(b) + 1.

    It is the vector-Jacobian product of Convolve; its own backward is expressed through Convolve
    and itself, so every derivative order works.
    """

    def forward(self, g, b):
        xp = backend.array_module(g)
        n_out = len(g) - len(b) + 1
        dtype = backend.result_type(g.dtype, b.dtype)
        if len(b) <= n_out:            # few taps: one shifted slice of g per tap
            out = xp.zeros(n_out, dtype=dtype)
            for k in range(len(b)):
                out += b[k] * g[k:k + n_out]
            return out
        # few outputs: one dot product (window of g times b) per output
        return xp.stack([xp.dot(g[j:j + len(b)], b) for j in range(n_out)]).astype(dtype)

    def backward(self, gr):
        g, b = self.inputs
        gg = Convolve()(gr, b) if g.requires_grad else None        # g[j + k] meets gr[j] b[k]
        gb = CorrelateValid()(g, gr) if b.requires_grad else None
        return gg, gb


# ---------------------------------------------------------------- argument checks
def _as_1d(x, name, like=None):
    if not isinstance(x, Tensor):       # a list or array: made beside the other argument
        x = Tensor(x) if like is None else Tensor(
            x, dtype=like.dtype if like.dtype.kind == 'f' else None, device=like.device)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-D tensor, got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} cannot be empty")
    return x


def _check_mode(mode):
    if mode not in MODES:
        raise ValueError(f"mode must be one of 'full', 'same', 'valid', got {mode!r}")


def _output_window(n, m, mode):
    """(start, length) of the ``mode`` output inside the full convolution of lengths n and m.

    As numpy.convolve: 'full' keeps all n + m - 1 values; 'same' keeps max(n, m) values centred
    (the extra one of an even kernel on the left); 'valid' keeps the max(n, m) - min(n, m) + 1
    values where the shorter sequence lies wholly inside the longer. The window is defined by
    the longer sequence whichever argument it is, which is numpy's swap when m > n.
    """
    long, short = max(n, m), min(n, m)
    if mode == 'full':
        return 0, n + m - 1
    if mode == 'same':
        return (short - 1) // 2, long
    return short - 1, long - short + 1


# ---------------------------------------------------------------- public functions
def convolve1d(a, b, mode='full'):
    """The convolution of the notes, (a * b)[k] = sum_i a[i] b[k - i], like numpy.convolve.

    a: (n,) and b: (m,) tensors (or lists of numbers, made into tensors beside the other). The
    result has n + m - 1 values ('full'), max(n, m) ('same') or max(n, m) - min(n, m) + 1
    ('valid'). Differentiable in a and b, to any order. The kernel is flipped, unlike conv1d
    (cross-correlation): see the module docstring.
    """
    _check_mode(mode)
    if isinstance(a, Tensor) or not isinstance(b, Tensor):
        a = _as_1d(a, 'a')
        b = _as_1d(b, 'b', like=a)
    else:
        b = _as_1d(b, 'b')
        a = _as_1d(a, 'a', like=b)
    if a.dtype != b.dtype:
        raise TypeError(f"convolve1d: a has dtype {a.dtype} but b has dtype {b.dtype}; "
                        "convert one with .to(dtype=...)")
    full = Convolve()(a, b)
    start, length = _output_window(a.shape[0], b.shape[0], mode)
    return full if length == full.shape[0] else full[start:start + length]


def conv_matrix(b, n, mode='full'):
    """The banded Toeplitz matrix T with T @ a == convolve1d(a, b, mode) for every a of length n.

    b: (m,) tensor; n: the length of the vectors it will multiply. T has shape (L, n) with
    L = n + m - 1 ('full'), max(n, m) ('same') or max(n, m) - min(n, m) + 1 ('valid'):
    column j is b translated down by j places (T[k, j] = b[k - j], zero outside 0..m-1), with
    the rows of ``mode`` kept. Differentiable with respect to b.
    """
    _check_mode(mode)
    b = _as_1d(b, 'b')
    if not isinstance(n, backend.INTEGER_TYPES) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (the length of a), got {n!r}")
    n, m = int(n), b.shape[0]
    start, length = _output_window(n, m, mode)
    xp = backend.array_module(b.array)
    # Pad b with n - 1 zeros on each side; then T[k, j] = b[k - j] = padded[k - j + n - 1],
    # one gather whose gradient scatters back into b.
    zeros = make(xp.zeros(n - 1, dtype=b.dtype))
    padded = cat([zeros, b, zeros]) if n > 1 else b
    rows = xp.arange(start, start + length)[:, None]
    cols = xp.arange(n)[None, :]
    return padded[rows - cols + (n - 1)]


def _pair(value, name):
    if isinstance(value, backend.INTEGER_TYPES) and not isinstance(value, bool):
        value = (int(value), int(value))
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, backend.INTEGER_TYPES) for v in value)):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(value[0]), int(value[1])


def _padding(padding, kernel, dilation, stride):
    """Zero padding before each spatial dimension and the extra (after - before) amount."""
    if padding == 'valid':
        return (0, 0), (0, 0)
    if padding == 'same':
        if stride != (1, 1):
            raise ValueError(f"padding='same' is not supported for strided convolutions, got "
                             f"stride={stride}")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        before = tuple(t // 2 for t in total)               # PyTorch: the odd one goes after
        return before, tuple(t - 2 * p for t, p in zip(total, before))
    before = _pair(padding, 'padding')
    if min(before) < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return before, (0, 0)


def _weight_and_input(weight, input_shape):
    """The weight as (Cout, Cin, KH, KW) and the input's (Cin, H, W), checked."""
    if not isinstance(weight, Tensor):
        weight = Tensor(weight)
    shape = tuple(int(s) for s in input_shape)
    if weight.ndim == 2:
        if len(shape) != 2:
            raise ValueError(f"a 2-D weight (KH, KW) needs input_shape (H, W), got {shape}")
        return weight.reshape(1, 1, *weight.shape), (1,) + shape
    if weight.ndim == 4:
        if len(shape) != 3 or shape[0] != weight.shape[1]:
            raise ValueError(f"a weight of shape {tuple(weight.shape)} (Cout, Cin, KH, KW) needs "
                             f"input_shape (Cin={weight.shape[1]}, H, W), got {shape}")
        return weight, shape
    raise ValueError(f"weight must be (KH, KW) or (Cout, Cin, KH, KW), got shape "
                     f"{tuple(weight.shape)}")


def conv2d_matrix(weight, input_shape, stride=1, padding=0, dilation=1):
    """The doubly block-Toeplitz matrix M of a small 2-D cross-correlation (conv2d of one sample).

    weight: (KH, KW) with input_shape (H, W), or (Cout, Cin, KH, KW) with input_shape
    (Cin, H, W). stride, padding (int, pair, 'valid' or 'same') and dilation as conv2d.
    M has shape (Cout * OH * OW, Cin * H * W) (Cout = Cin = 1 for a 2-D weight) and satisfies
    conv2d(x[None], weight, stride=..., padding=..., dilation=...).flatten() == M @ x.flatten().
    Row (co, oy, ox) holds the kernel of output channel co laid over the input window of output
    pixel (oy, ox): W[co, ci, ky, kx] at column (ci, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw);
    taps that fall on the zero padding are dropped. Differentiable with respect to weight.
    """
    w4, (cin, h, w) = _weight_and_input(weight, input_shape)
    cout, _, kh, kw = w4.shape
    stride, dilation = _pair(stride, 'stride'), _pair(dilation, 'dilation')
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"stride and dilation must be positive, got {stride} and {dilation}")
    (ph, pw), (eh, ew) = _padding(padding, (kh, kw), dilation, stride)
    oh = (h + 2 * ph + eh - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + 2 * pw + ew - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"the (dilated) kernel {(kh, kw)} is larger than the padded input "
                         f"{(h + 2 * ph + eh, w + 2 * pw + ew)}")
    rows, cols = cout * oh * ow, cin * h * w
    if rows * cols > _MAX_MATRIX_ENTRIES:
        raise ValueError(f"conv2d_matrix would have {rows:,} x {cols:,} = {rows * cols:,} "
                         "entries; it is meant for small examples (use conv2d for real sizes)")
    xp = backend.array_module(w4.array)
    # Input row of tap ky at output row oy (and likewise for columns), shape (OH, KH).
    iy = (xp.arange(oh) * stride[0])[:, None] + (xp.arange(kh) * dilation[0])[None, :] - ph
    ix = (xp.arange(ow) * stride[1])[:, None] + (xp.arange(kw) * dilation[1])[None, :] - pw
    iy, ix = iy[:, None, :, None], ix[None, :, None, :]             # (OH, OW, KH, KW)
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    out_pos = (xp.arange(oh)[:, None] * ow + xp.arange(ow)[None, :])[:, :, None, None]
    tap = (xp.arange(kh)[:, None] * kw + xp.arange(kw)[None, :])[None, None]
    o, p, t = [xp.broadcast_to(v, inside.shape)[inside]
               for v in (out_pos, iy * w + ix, tap)]                 # one entry per real tap
    # Index into the flattened weight followed by one zero: every entry of M not set below
    # points at that zero, so M is one differentiable gather from the weight.
    zero_slot = w4.numel()
    index = xp.full((cout, oh * ow, cin, h * w), zero_slot, dtype=xp.int64)
    co, ci = xp.arange(cout)[:, None, None], xp.arange(cin)[None, :, None]
    index[co, o[None, None, :], ci, p[None, None, :]] = (co * cin + ci) * (kh * kw) + t
    flat = cat([w4.reshape(-1), make(xp.zeros(1, dtype=w4.dtype))])
    return flat[index].reshape(rows, cols)
