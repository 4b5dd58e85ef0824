"""Check analytical gradients against central finite differences (PyTorch's gradcheck semantics).

The check runs in float64: below that, rounding swamps the finite differences, so lower
precisions are refused. The output is contracted with a random upstream gradient (never all
ones, which would hide errors that cancel in a sum). Every input that requires grad is checked;
``directional=True`` compares one random direction per input instead of every element, for
large inputs.
"""
import numpy

from . import backend
from .autograd import grad as autograd_grad
from .tensor import Tensor, make


class GradcheckError(AssertionError):
    """Raised when an analytical gradient disagrees with finite differences."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _differentiable(inputs):
    checked = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.dtype != numpy.float64:
                raise TypeError(f"gradcheck: input {i} has dtype {x.dtype}; finite differences "
                                "need float64 inputs (use .double() or dtype=float64)")
            checked.append(i)
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    return checked


def _contract(fn, inputs, upstream):
    """sum_k <output_k, upstream_k> as a Python float (with grad mode on, since fn may itself
    differentiate, as in gradgradcheck)."""
    outs = _outputs(fn, inputs)
    total = 0.0
    for out, u in zip(outs, upstream):
        if u is not None:
            total += float((out.array.astype(backend.float64) * u).sum())
    return total


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              directional=False, seed=0):
    """Compare the gradients of ``fn(*inputs)`` with central finite differences.

    fn: a function of Tensors returning a Tensor or a tuple of Tensors; inputs: a Tensor or a
    sequence (only float64 Tensors with requires_grad=True are checked). An element passes when
    |analytical - numerical| <= atol + rtol * |numerical|. Returns True, or raises GradcheckError
    (False when raise_exception=False) naming the input, the worst element, both values and the
    tolerance.
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = _differentiable(inputs)
    rng = numpy.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    upstream = [backend.array_module(o.array).asarray(rng.standard_normal(o.shape)).astype(
        o.dtype) if isinstance(o, Tensor) and o.dtype.kind == 'f' else None for o in outs]
    if all(u is None for u in upstream):
        raise ValueError("gradcheck: fn returned no floating-point tensor")
    # An output that does not require grad does not depend on the inputs: its analytical
    # gradient is zero, which the finite differences must confirm.
    pairs = [(o, make(u)) for o, u in zip(outs, upstream) if u is not None and o.requires_grad]
    targets = [inputs[i] for i in checked]
    analytical = (autograd_grad([p[0] for p in pairs], targets, [p[1] for p in pairs],
                                allow_unused=True) if pairs else [None] * len(targets))
    for i, g in zip(checked, analytical):
        x = inputs[i]
        analytic = numpy.zeros(x.shape) if g is None else backend.to_numpy(g.array)
        difference = _directional if directional else _elementwise
        analytic, numerical, where = difference(fn, inputs, x, upstream, eps, analytic, rng)
        message = _mismatch(i, x, analytic, numerical, where, atol, rtol)
        if message is not None:
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _elementwise(fn, inputs, x, upstream, eps, analytic, rng):
    """(analytical, numerical, names) per element of x: central differences, one element at
    a time (x's array is swapped for a perturbed copy, then put back)."""
    original = x.array
    flat = original.copy().reshape(-1)
    numerical = numpy.empty(flat.size)
    try:
        for k in range(flat.size):
            saved = float(flat[k])      # a number: on CuPy, flat[k] is a view that would change
            values = []
            for step in (eps, -eps):
                flat[k] = saved + step
                x.array = flat.reshape(original.shape)
                values.append(_contract(fn, inputs, upstream))
            flat[k] = saved
            numerical[k] = (values[0] - values[1]) / (2 * eps)
    finally:
        x.array = original
    where = [f"element {tuple(int(j) for j in numpy.unravel_index(k, x.shape))}"
             for k in range(flat.size)]
    return analytic.reshape(-1).astype(numpy.float64), numerical, where


def _directional(fn, inputs, x, upstream, eps, analytic, rng):
    """(analytical, numerical, names) of the derivative along one random unit direction."""
    original = x.array
    direction = rng.standard_normal(x.shape)
    direction /= max(float(numpy.sqrt((direction ** 2).sum())), 1e-12)
    step = backend.array_module(original).asarray(eps * direction)
    try:
        x.array = original + step
        plus = _contract(fn, inputs, upstream)
        x.array = original - step
        minus = _contract(fn, inputs, upstream)
    finally:
        x.array = original
    return (numpy.array([float((analytic * direction).sum())]),
            numpy.array([(plus - minus) / (2 * eps)]), ['a random direction (directional mode)'])


def _mismatch(i, x, analytic, numerical, where, atol, rtol):
    """The failure message for input ``i``, or None when every element passes."""
    error = numpy.abs(analytic - numerical)
    allowed = atol + rtol * numpy.abs(numerical)
    bad = error > allowed
    if not bad.any() and numpy.isfinite(analytic).all():
        return None
    k = int(numpy.argmax(numpy.where(bad, error - allowed, -numpy.inf))) if bad.any() \
        else int(numpy.argmin(numpy.isfinite(analytic)))
    return (f"gradcheck failed for input {i} (shape {x.shape}) at {where[k]}: analytical "
            f"{analytic[k]:.8g}, numerical {numerical[k]:.8g}, difference {error[k]:.3g} > "
            f"tolerance {allowed[k]:.3g} (atol={atol}, rtol={rtol}); {int(bad.sum())} of "
            f"{bad.size} elements fail")


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
                  directional=False, seed=0):
    """Check second derivatives: gradcheck of the function (inputs, v) -> d<fn(inputs), v>/d inputs
    built with create_graph=True, for a random fixed upstream v."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = _differentiable(inputs)
    rng = numpy.random.default_rng(seed + 1)
    outs = _outputs(fn, inputs)
    vs = [Tensor(rng.standard_normal(o.shape), dtype=numpy.float64, device=o.device)
          for o in outs]

    def first_derivative(*args):
        results = _outputs(fn, args)
        pairs = [(r, v) for r, v in zip(results, vs) if r.requires_grad]
        grads = autograd_grad([p[0] for p in pairs], [args[i] for i in checked],
                              [p[1] for p in pairs], create_graph=True, allow_unused=True)
        return tuple(g if g is not None else args[i].detach() * 0
                     for g, i in zip(grads, checked))

    return gradcheck(first_derivative, inputs, eps, atol, rtol, raise_exception, directional, seed)
