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
    gradient is multiplied in place by max_norm / (total_norm + 1e-6), without waiting for a GPU
    (unless ``error_if_nonfinite``, which must read the norm). Returns the total norm
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
    with backend.on(device) as xp:
        stacked = xp.stack(norms)
        total = stacked.max() if math.isinf(norm_type) else \
            (stacked ** norm_type).sum() ** (1.0 / norm_type)
        if error_if_nonfinite and not math.isfinite(float(total)):    # reads the device
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                               "`parameters` is non-finite, so it cannot be clipped. To disable "
                               "this error and scale the gradients by the non-finite norm "
                               "anyway, set `error_if_nonfinite=False`")
        # min(coef, 1) stays on the device (no host read per step); a NaN norm spreads NaN
        coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g.array *= coef.astype(g.dtype)
        g._version_counter.count += 1
    return make(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clip every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = backend.array_module(g.array)
        xp.clip(g.array, -clip_value, clip_value, out=g.array)
