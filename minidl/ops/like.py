"""Tensors made after another one: the ``*_like`` functions (its shape, dtype and device), the
``new_*`` methods (its dtype and device, a shape of their own), and the in-place random fills
that ``nn.init``-style code uses (``w.normal_(0, 0.02)``, ``b.uniform_(-k, k)``).

The fills are ``copy_`` of fresh random values, so they follow copy_'s rules: refused on a leaf
that requires grad outside ``no_grad``, and they bump the version counter.
"""
import math

from .. import backend, creation
from ..tensor import as_array, check_dtype, make
from .inplace import copy_


def _device(input, device):
    return input.device if device is None else device


def empty_like(input, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor with input's shape (and its dtype and device unless given)."""
    return creation.empty(input.shape, dtype=dtype or input.dtype,
                          device=_device(input, device), requires_grad=requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1) with input's shape, dtype and device."""
    return creation.rand(input.shape, dtype=dtype or input.dtype, device=_device(input, device),
                         requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False):
    """Standard normal samples with input's shape, dtype and device."""
    return creation.randn(input.shape, dtype=dtype or input.dtype,
                          device=_device(input, device), requires_grad=requires_grad)


def randint_like(input, low, high=None, dtype=None, device=None):
    """Random integers in [low, high) (or [0, low)) with input's shape, in input's dtype."""
    return creation.randint(low, high, input.shape, dtype=dtype or input.dtype,
                            device=_device(input, device))


def _new(fill):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return fill(*size, dtype=dtype or self.dtype, device=_device(self, device),
                    requires_grad=requires_grad)
    return method


new_zeros, new_ones, new_empty = (_new(f) for f in (creation.zeros, creation.ones,
                                                      creation.empty))
new_zeros.__doc__ = "Zeros of ``size``, with this tensor's dtype and device (unless given)."
new_ones.__doc__ = "Ones of ``size``, with this tensor's dtype and device (unless given)."
new_empty.__doc__ = "An uninitialised tensor of ``size``, with this tensor's dtype and device."
new_zeros.__name__, new_ones.__name__, new_empty.__name__ = 'new_zeros', 'new_ones', 'new_empty'


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` in a tensor of ``size``, with this tensor's dtype and device."""
    return creation.full(size, fill_value, dtype=dtype or self.dtype,
                         device=_device(self, device), requires_grad=requires_grad)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data``, with this tensor's dtype and device (unless
    given)."""
    array = as_array(data, check_dtype(dtype or self.dtype), _device(self, device))
    out = make(array)
    return out.requires_grad_() if requires_grad else out


def bernoulli(input, p=None):
    """1 with probability input (or ``p``), else 0, elementwise: input's shape and dtype."""
    probability = input if p is None else p
    return (rand_like(input, dtype=backend.float32 if input.dtype.kind != 'f' else None)
            < probability).to(dtype=input.dtype)


def multinomial(input, num_samples, replacement=False):
    """``num_samples`` category indices drawn from each row of the (unnormalised,
    non-negative) weights input (C,) or (N, C): int64, (num_samples,) or (N, num_samples).
    Without replacement, by the Gumbel top-k trick: the k largest of log(w) + Gumbel noise are
    k draws without replacement."""
    rows = input.reshape(1, -1) if input.ndim == 1 else input
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without replacement "
                           f"from {rows.shape[1]} categories")
    weights = rows.detach().to(dtype=backend.float64)
    if replacement:
        cdf = weights.cumsum(1) / weights.sum(1, keepdim=True)
        draws = rand_like(cdf[:, :1].expand(rows.shape[0], num_samples))
        picked = (draws.unsqueeze(-1) >= cdf.unsqueeze(1)).sum(-1)   # inverse of the CDF
        picked = picked.clamp_max(rows.shape[1] - 1).long()
    else:
        if weights.device == 'cpu' and int((weights > 0).sum(1).min().item()) < num_samples:
            raise RuntimeError(f"multinomial: a row has fewer than {num_samples} categories of "
                               "nonzero weight to draw without replacement")
        gumbel = -(-rand_like(weights).clamp_min(1e-300).log()).log()
        scores = weights.clamp_min(1e-300).log().masked_fill(weights == 0, -math.inf)
        picked = (scores + gumbel).topk(num_samples, dim=1).indices
    return picked.reshape(-1) if input.ndim == 1 else picked


# ---------------------------------------------------------------- in-place random fills
def _fill_random(self, draw):
    """copy_ of ``draw(generator, shape, scalar)``: numbers drawn on self's device in self's
    floating dtype (float32 below that), ``scalar`` making a number of that dtype."""
    dtype = self.dtype if self.dtype.kind == 'f' and self.dtype.itemsize >= 4 else \
        backend.dtype(backend.float32)
    values = draw(backend.generator(self.device), self.shape, dtype.type)
    return copy_(self, make(values.astype(self.dtype, copy=False)))


def _floating(name, self):
    if self.dtype.kind != 'f':
        raise TypeError(f"{name}: needs a floating-point tensor, got dtype {self.dtype}")


def normal_(self, mean=0.0, std=1.0):
    """Fill with normal samples of mean ``mean`` and standard deviation ``std``, in place."""
    _floating('normal_', self)
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    return _fill_random(self, lambda g, shape, scalar: g.standard_normal(shape, scalar) *
                        scalar(std) + scalar(mean))


def uniform_(self, a=0.0, b=1.0):
    """Fill with uniform samples in [a, b), in place."""
    _floating('uniform_', self)
    if b < a:
        raise ValueError(f"uniform_: b ({b}) must not be below a ({a})")
    return _fill_random(self, lambda g, shape, scalar: g.random(shape, scalar) *
                        scalar(b - a) + scalar(a))


def exponential_(self, lambd=1.0):
    """Fill with exponential samples of rate ``lambd`` (-log(1 - u) / lambd), in place."""
    _floating('exponential_', self)

    def draw(g, shape, scalar):
        u = g.random(shape, scalar)
        return -backend.array_module(u).log1p(-u) / scalar(lambd)
    return _fill_random(self, draw)


def bernoulli_(self, p=0.5):
    """Fill with 1 (probability ``p``) or 0, in place."""
    if not 0 <= p <= 1:
        raise ValueError(f"bernoulli_: p must be in [0, 1], got {p}")
    return _fill_random(self, lambda g, shape, scalar: g.random(shape, scalar) < p)


def random_(self, from_=None, to=None):
    """Fill with random integers in [from_, to), or [0, from_) when only one bound is given
    (PyTorch's random_(to)), in place."""
    if from_ is None:
        raise TypeError("random_: give an upper bound, random_(to), or both, random_(from, to)")
    low, high = (0, from_) if to is None else (from_, to)
    return _fill_random(self, lambda g, shape, scalar: g.integers(low, high, shape))
