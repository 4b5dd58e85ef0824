"""Vector norms and similarities along a dimension: normalize, cosine_similarity and
pairwise_distance, as torch.nn.functional.

Each is composed from differentiable operations. Where a norm is clamped below by ``eps``
(normalize, cosine_similarity), the clamp is applied to the sum of powers before the root,
max(||x||, eps) = max(sum |x|^p, eps^p)^(1/p): the same value, and a zero vector then gets the
gradient of x / eps, with none through its norm (no 0/0), as in PyTorch.
"""
import math

from .. import validate
from ..ops import broadcast_to
from ..ops.promotion import broadcast_shapes

__all__ = ['normalize', 'cosine_similarity', 'pairwise_distance']


def _p(where, p):
    p = validate.number(where, 'p', p)
    if not p > 0:
        raise ValueError(f"{where}: p must be positive (or inf), got {p}")
    return p


def _norm(x, p, dim, keepdim=False, floor=None):
    """(sum |x|^p over dim)^(1/p), or max |x| for p = inf; with ``floor``, at least floor."""
    if math.isinf(p):
        size = x.abs().amax(dim, keepdim=keepdim)
        return size if floor is None else size.clamp(min=floor)
    powers = (x * x) if p == 2 else x.abs() ** p
    total = powers.sum(dim, keepdim=keepdim)
    if floor is not None:
        total = total.clamp(min=floor ** p)
    return total.sqrt() if p == 2 else total ** (1 / p)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(||input||_p, eps) along ``dim``: unit vectors of the same shape (a vector
    shorter than eps is divided by eps instead)."""
    validate.floating('normalize', 'input', input)
    p = _p('normalize', p)
    return input / _norm(input, p, dim, keepdim=True, floor=validate.number(
        'normalize', 'eps', eps, low=0))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between x1 and x2 along ``dim`` (the two broadcast together):
    sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)), with ``dim`` removed."""
    validate.floating('cosine_similarity', 'x1', x1)
    validate.floating('cosine_similarity', 'x2', x2)     # (another float dtype promotes)
    eps = validate.number('cosine_similarity', 'eps', eps, low=0)
    shape = broadcast_shapes(x1.shape, x2.shape, name='cosine_similarity')
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    dot = (x1 * x2).sum(dim)
    return dot / (_norm(x1, 2, dim, floor=eps) * _norm(x2, 2, dim, floor=eps))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm distance ||x1 - x2 + eps||_p over the last dimension, x1 (N, D) or (D,) and
    x2 broadcasting to it: (N,) (or (N, 1) with keepdim). eps keeps the 2-norm's gradient
    finite where x1 == x2."""
    validate.floating('pairwise_distance', 'x1', x1)
    validate.floating('pairwise_distance', 'x2', x2)     # (another float dtype promotes)
    p = _p('pairwise_distance', p)
    eps = validate.number('pairwise_distance', 'eps', eps)
    return _norm(x1 - x2 + eps, p, -1, keepdim=keepdim)
