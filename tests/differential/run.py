"""Run one case in minidl and in PyTorch and compare: which side raises, then values, dtypes,
shapes and ``requires_grad`` of every output, then first gradients with a random upstream
gradient and, for smooth ops, second gradients (of the first gradients against a random
direction)."""
import dataclasses
import warnings

import numpy as np
import torch

import minidl as mdl

from .draw import Input

TOLERANCES = {np.dtype(np.float32): (2e-4, 2e-5), np.dtype(np.float64): (1e-7, 1e-9)}
# Python errors that mean a bug, not a refused argument
_BUGS = (AttributeError, ZeroDivisionError, UnboundLocalError, NameError, AssertionError,
         RecursionError)
# phrases of NumPy's own errors: minidl must say it in its words
_NUMPY_PHRASES = ('zero-size array', 'truth value of an array', 'operands could not be broadcast',
                  'out of bounds for axis', 'ufunc', 'numpy', 'object arrays')


class Mismatch(AssertionError):
    """minidl and PyTorch disagree."""


def as_minidl(value):
    """The minidl version of a case argument (Inputs become tensors, recursively)."""
    if isinstance(value, Input):
        t = mdl.from_numpy(value.array())
        return t.requires_grad_() if value.grad and t.dtype.kind == 'f' else t
    return _convert(value, as_minidl)


def as_torch(value):
    """The PyTorch version of a case argument."""
    if isinstance(value, Input):
        t = torch.from_numpy(value.array())
        return t.requires_grad_() if value.grad and t.dtype.is_floating_point else t
    return _convert(value, as_torch)


def _convert(value, fn):
    if isinstance(value, (list, tuple)):
        return type(value)(fn(v) for v in value)
    if isinstance(value, dict):
        return {k: fn(v) for k, v in value.items()}
    return value


def call(fn, args, kwargs):
    """(result, None) or (None, the exception), warnings silenced."""
    with warnings.catch_warnings(), np.errstate(all='ignore'):
        warnings.simplefilter('ignore')
        try:
            return fn(*args, **kwargs), None
        except Exception as exc:       # noqa: BLE001 (which side raises is what we compare)
            return None, exc


def leaves(out):
    """The tensors (and numbers) of an output, flattened."""
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in leaves(o)]
    return [out]


def check_words(exc, where):
    """minidl's error must be its own, not a crash or NumPy's message."""
    if isinstance(exc, _BUGS) or type(exc).__module__.startswith('numpy'):
        raise Mismatch(f"{where}: minidl crashed with {type(exc).__name__}: {exc}") from exc
    text = str(exc).lower()
    for phrase in _NUMPY_PHRASES:
        if phrase in text:
            raise Mismatch(f"{where}: minidl let NumPy's error through: {exc}") from exc


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True)        # (force: a ZeroTensor gradient too)
    return mdl.backend.to_numpy(x.array)


def compare_tensor(m, t, what, tol=None):
    """Same type of thing, shape, dtype and values (NaN equal NaN)."""
    if not isinstance(t, torch.Tensor):
        if isinstance(m, mdl.Tensor) or m != t and not (m != m and t != t):
            raise Mismatch(f"{what}: minidl gave {m!r}, PyTorch {t!r}")
        return
    if not isinstance(m, mdl.Tensor):
        raise Mismatch(f"{what}: minidl gave {type(m).__name__} {m!r}, PyTorch a tensor")
    a, b = to_numpy(m), to_numpy(t)
    if a.shape != b.shape or a.dtype != b.dtype:
        raise Mismatch(f"{what}: minidl {a.dtype}{list(a.shape)}, PyTorch {b.dtype}"
                       f"{list(b.shape)}")
    rtol, atol = tol or TOLERANCES.get(a.dtype, (0, 0))
    scale = max(1.0, float(np.nanmax(np.abs(b[np.isfinite(b)]), initial=0))) \
        if a.dtype.kind == 'f' else 1
    if not np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True):
        raise Mismatch(f"{what}: values differ\nminidl  {a}\nPyTorch {b}")


def compare_outputs(m_out, t_out, spec):
    m_list, t_list = leaves(m_out), leaves(t_out)
    if len(m_list) != len(t_list):
        raise Mismatch(f"{spec.name}: minidl gave {len(m_list)} outputs, PyTorch {len(t_list)}")
    for i, (m, t) in enumerate(zip(m_list, t_list)):
        compare_tensor(m, t, f"{spec.name} output {i}", spec.tol)
        if isinstance(t, torch.Tensor) and bool(m.requires_grad) != t.requires_grad:
            raise Mismatch(f"{spec.name} output {i}: requires_grad is {m.requires_grad} in "
                           f"minidl, {t.requires_grad} in PyTorch")
    return m_list, t_list


def _grads(fw, outs, ins, ups, create_graph):
    if fw is torch:
        return torch.autograd.grad(outs, ins, ups, allow_unused=True, create_graph=create_graph)
    return mdl.grad(outs, ins, ups, allow_unused=True, create_graph=create_graph)


def _both(spec, what, m_call, t_call):
    """Run a step on both sides: both raise (fine, return None) or neither."""
    m, m_err = call(m_call, (), {})
    t, t_err = call(t_call, (), {})
    if m_err is None and t_err is not None and spec.extends:
        return None
    if (m_err is None) != (t_err is None):
        raise Mismatch(f"{spec.name} {what}: minidl {'raised ' + repr(m_err) if m_err else 'ran'}"
                       f", PyTorch {'raised ' + repr(t_err) if t_err else 'ran'}")
    if m_err is not None:
        check_words(m_err, f"{spec.name} {what}")
        return None
    return m, t


def compare_gradients(spec, m_ins, t_ins, m_outs, t_outs, rng):
    """First gradients with a random upstream gradient; second ones for smooth specs."""
    pairs = [(m, t) for m, t in zip(m_ins, t_ins) if isinstance(t, torch.Tensor) and
             t.requires_grad]
    outs = [(m, t) for m, t in zip(m_outs, t_outs) if isinstance(t, torch.Tensor) and
            t.requires_grad]
    if not pairs or not outs:
        return
    ups = [rng.standard_normal(t.shape).astype(to_numpy(t).dtype) for _, t in outs]
    mi, ti = [m for m, _ in pairs], [t for _, t in pairs]
    m_ups, t_ups = [mdl.tensor(u) for u in ups], [torch.from_numpy(u) for u in ups]
    got = _both(spec, 'backward',
                lambda: _grads(mdl, [m for m, _ in outs], mi, m_ups, spec.smooth),
                lambda: _grads(torch, [t for _, t in outs], ti, t_ups, spec.smooth))
    if got is None:
        return
    for i, (gm, gt) in enumerate(zip(*got)):
        compare_tensor(_zeros_for(gm, mi[i]), _zeros_for(gt, ti[i]), f"{spec.name} grad {i}",
                       spec.grad_tol)
    finite = all(g is None or bool(torch.isfinite(g).all()) for g in got[1])
    if spec.smooth and finite:      # second derivatives through a NaN or inf say nothing
        _second(spec, mi, ti, got, rng)


def _zeros_for(g, x):
    if g is not None:
        return g
    return torch.zeros_like(x) if isinstance(x, torch.Tensor) else mdl.zeros_like(x.detach())


def _second(spec, mi, ti, got, rng):
    directions = [rng.standard_normal(t.shape).astype(to_numpy(t).dtype) for t in ti]
    m_terms = [(g * mdl.tensor(v)).sum() for g, v in zip(got[0], directions)
               if g is not None and g.requires_grad]
    t_terms = [(g * torch.from_numpy(v)).sum() for g, v in zip(got[1], directions)
               if g is not None and g.requires_grad]
    if not t_terms:        # PyTorch's first gradient is constant: so must minidl's second be
        m_second = _grads(mdl, m_terms, mi, None, False) if m_terms else [None] * len(mi)
        t_second = [None] * len(ti)
    else:
        if not m_terms:
            raise Mismatch(f"{spec.name}: minidl's first gradient is not differentiable")
        m_second = _grads(mdl, [sum(m_terms)], mi, None, False)
        t_second = _grads(torch, [sum(t_terms)], ti, None, False)
    for i, (gm, gt) in enumerate(zip(m_second, t_second)):
        compare_tensor(_zeros_for(gm, mi[i]), _zeros_for(gt, ti[i]),
                       f"{spec.name} second grad {i}", spec.grad_tol)


def _float_dtypes(value):
    if isinstance(value, Input):
        return {value.values.dtype} if value.values.dtype.kind == 'f' else set()
    if isinstance(value, (list, tuple)):
        return set().union(*map(_float_dtypes, value)) if value else set()
    if isinstance(value, dict):
        return _float_dtypes(list(value.values()))
    return set()


def run_case(spec, case):
    """Compare minidl and PyTorch on one case of ``spec``."""
    if len(_float_dtypes([case.inputs, case.kwargs])) > 1:
        # float32 meets float64: a result is only as precise as float32 (PyTorch computes a
        # float64 0-d operand's gradient in float32, for one)
        low = TOLERANCES[np.dtype(np.float32)]
        spec = dataclasses.replace(spec, tol=spec.tol or low, grad_tol=spec.grad_tol or low)
    m_args, m_kwargs = as_minidl(case.inputs), as_minidl(case.kwargs)
    t_args, t_kwargs = as_torch(case.inputs), as_torch(case.kwargs)
    m_out, m_err = call(spec.minidl, m_args, m_kwargs)
    t_out, t_err = call(spec.torch, t_args, t_kwargs)
    if t_err is not None and m_err is not None:
        check_words(m_err, spec.name)
        return
    if t_err is not None and not spec.extends:
        raise Mismatch(f"{spec.name}: PyTorch raised {t_err!r}, minidl returned a result")
    if m_err is not None:
        raise Mismatch(f"{spec.name}: minidl raised {m_err!r}, PyTorch did not") from m_err
    if t_err is not None:
        return
    m_outs, t_outs = compare_outputs(m_out, t_out, spec)
    if spec.grad:
        rng = np.random.default_rng(0)
        m_ins = leaves(m_args) + leaves(list(m_kwargs.values()))
        t_ins = leaves(t_args) + leaves(list(t_kwargs.values()))
        compare_gradients(spec, m_ins, t_ins, m_outs, t_outs, rng)
