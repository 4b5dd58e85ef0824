"""Specs of the reductions: sum, mean, var, std, max, min, amax, amin, logsumexp, argmax and
argmin, each as a Tensor method and as a module function (see registry.py)."""
import math

import torch
from hypothesis import strategies as st

import minidl as mdl

from .draw import case, dim_of, dims_of, tensors
from .registry import spec

_FORMS = st.sampled_from(['method', 'function'])


def _call(module, name):
    """x.name(**kwargs) or module.name(x, **kwargs), as the case says."""
    def fn(x, form, **kwargs):
        return getattr(x, name)(**kwargs) if form == 'method' else getattr(module, name)(
            x, **kwargs)
    return fn


def _count(shape, dim):
    """How many elements a reduction over ``dim`` of ``shape`` takes together."""
    if dim is None or dim == ():
        return math.prod(shape)
    dims = {d % max(len(shape), 1) for d in (dim if isinstance(dim, tuple) else (dim,))}
    return math.prod(n for i, n in enumerate(shape) if i in dims)


def _reduction(name, kinds='fib', dims=dims_of, extra=None, op=None, **options):
    def kwargs(shapes):
        args = {'dim': dims(len(shapes[0])), 'keepdim': st.booleans(), 'form': _FORMS}
        args.update(extra or {})
        return st.fixed_dictionaries(args)
    op = op or name
    spec(name, _call(mdl, op), _call(torch, op), case(tensors(1, kinds=kinds), kwargs),
         covers=[f'Tensor.{op}', f'mdl.{op}'], **options)


_reduction('sum', smooth=True)
_reduction('mean', smooth=True)
# (correction below N: at and past it the value is inf, and PyTorch's own gradients disagree
# between 0-d and 1-D inputs; tests/test_semantics.py checks the value)
spec('var', _call(mdl, 'var'), _call(torch, 'var'), case(tensors(1, kinds='fib'), lambda s: (
    _NOT_EMPTY(len(s[0])).flatmap(lambda d: st.fixed_dictionaries({
        'dim': st.just(d), 'keepdim': st.booleans(), 'form': _FORMS,
        'correction': st.integers(0, max(0, min(2, _count(s[0], d) - 1)))})))),
     covers=['Tensor.var', 'mdl.var'], smooth=True)
# (no dim=() for std and var: PyTorch's backward reads it as no dim, its forward as all dims)
_NOT_EMPTY = lambda n: dims_of(n).filter(lambda d: d != ())    # noqa: E731
_reduction('std', dims=_NOT_EMPTY, extra={'correction': st.sampled_from([0, 1])})
_reduction('var unbiased', kinds='f', dims=_NOT_EMPTY, extra={'unbiased': st.booleans()},
           op='var')
_reduction('amax', dims=lambda n: dims_of(n).map(lambda d: () if d is None else d))
_reduction('amin', dims=lambda n: dims_of(n).map(lambda d: () if d is None else d))
# (PyTorch's logsumexp needs a dim, and refuses dim=() for a tensor with dims: a bug of its own)
_reduction('logsumexp', dims=lambda n: dims_of(n).filter(lambda d: d not in (None, ())),
           smooth=True)
_reduction('argmax', kinds='fi', dims=lambda n: st.one_of(st.none(), dim_of(n)), grad=False)
_reduction('argmin', kinds='fi', dims=lambda n: st.one_of(st.none(), dim_of(n)), grad=False)

for _name in ('max', 'min'):
    spec(f'{_name} all', _call(mdl, _name), _call(torch, _name),
         case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries({'form': _FORMS})),
         covers=[f'Tensor.{_name}', f'mdl.{_name}'])
    spec(f'{_name} dim', _call(mdl, _name), _call(torch, _name),
         case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
             {'dim': dim_of(len(s[0])), 'keepdim': st.booleans(), 'form': _FORMS})))
