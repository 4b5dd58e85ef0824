"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_), in place on ``.grad``."""
import math

from .. import backend
from ..tensor import Tensor, make


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients of ``parameters`` so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients taken together, as if concatenated
    into one vector ('inf' for the largest absolute value). When it exceeds max_norm every
    gradient is multiplied in place by max_norm / (total_norm + 1e-6). Returns the total norm
    (before clipping) as a 0-d Tensor on the first gradient's device; 0 when no parameter has a
    gradient. ``foreach`` is accepted for PyTorch compatibility and ignored.
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor(0.0)
    device = grads[0].device
    norms = []
    for g in grads:
        xp, a = backend.array_module(g.array), g.array
        if math.isinf(norm_type):
            n = xp.abs(a).max() if a.size else xp.zeros((), dtype=a.dtype)
        else:
            n = (xp.abs(a) ** norm_type).sum() ** (1.0 / norm_type)
        norms.append(backend.to_device(xp.asarray(n), device))
    xp = backend.module_for(device)
    stacked = xp.stack(norms)
    if math.isinf(norm_type):
        total = stacked.max()
    else:
        total = (stacked ** norm_type).sum() ** (1.0 / norm_type)
    value = float(total)
    if error_if_nonfinite and not math.isfinite(value):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    coef = max_norm / (value + 1e-6)
    if not coef >= 1.0:              # also true for a NaN norm, which (as PyTorch) spreads NaN
        for g in grads:
            g.array *= coef
    return make(xp.asarray(total))


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clip every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = backend.array_module(g.array)
        xp.clip(g.array, -clip_value, clip_value, out=g.array)
