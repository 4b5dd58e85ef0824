"""Specs of issue 14's ordering and counting: topk, kthvalue, median, unique, searchsorted,
bucketize, bincount, histc (see registry.py).

Among tied values, which index topk, kthvalue and median(dim) return is PyTorch's algorithm's
accident (its CPU and CUDA kernels differ); minidl returns the first (README, "Differences from
PyTorch"). So these are compared in full on distinct values, and on ties for their values and
for indices that point at those values."""
import numpy as np
import torch
from hypothesis import strategies as st

import minidl as mdl

from .draw import Case, Input, dim_of, inputs_of, scalars, shapes, tensors
from .registry import spec
from .specs_surface import with_forms


@st.composite
def _distinct(draw, min_ndim=0, kinds='fi'):
    """One input whose values all differ."""
    x = draw(tensors(1, kinds=kinds, min_ndim=min_ndim))[0]
    n = x.values.size
    order = np.asarray(draw(st.permutations(range(n))), dtype=float).reshape(x.values.shape)
    step = draw(st.sampled_from([1, -1] + [0.5] * (x.values.dtype.kind == 'f')))
    x.values = np.asarray(order * step + n // 3).astype(x.values.dtype)
    return x


def _with(inputs, **strategies):
    """Cases of one input from ``inputs`` and keywords from ``strategies``, functions of its
    number of dims giving a strategy."""
    return inputs.flatmap(lambda x: st.fixed_dictionaries(
        {k: f(x.values.ndim) for k, f in strategies.items()}).map(lambda kw: Case([x], kw)))


_K = dict(k=lambda n: st.integers(0, 3), dim=dim_of)
with_forms('topk', _with(_distinct(), **_K, largest=lambda n: st.booleans()))
with_forms('kthvalue', _with(_distinct(), **_K, keepdim=lambda n: st.booleans()))
with_forms('median', _with(_distinct(), dim=dim_of, keepdim=lambda n: st.booleans()))
# median of all elements: ties share the gradient evenly, as in PyTorch (not of no integers:
# minidl refuses, where PyTorch returns the dtype's lowest value)
with_forms('median', _with(tensors(1, kinds='fi').map(lambda i: i[0]).filter(
    lambda x: x.values.size or x.values.dtype.kind == 'f')), label='median of all')


def _pointed(op):
    """op's values, and input's elements at op's indices (equal to the values if they point
    right), with keepdim where op has it, so that the indices gather."""
    def fn(x, **kw):
        values, indices = op(x, **kw)
        return values.detach(), x.detach().gather(kw['dim'], indices)
    return fn


for _name, _args in (('topk', dict(k=lambda n: st.integers(1, 3), dim=dim_of)),
                     ('kthvalue', dict(k=lambda n: st.integers(1, 3), dim=dim_of,
                                       keepdim=lambda n: st.just(True))),
                     ('median', dict(dim=dim_of, keepdim=lambda n: st.just(True)))):
    spec(f'{_name} among ties', _pointed(getattr(mdl, _name)), _pointed(getattr(torch, _name)),
         _with(tensors(1, kinds='fi', min_ndim=1).map(lambda i: i[0]), **_args), grad=False)

# (sorted=False: PyTorch sorts anyway on the CPU, as minidl; the values of a tensor that requires
# grad require grad, with no derivative)
with_forms('unique', _with(tensors(1, kinds='fib').map(lambda i: i[0]),
                           sorted=lambda n: st.booleans(), return_inverse=lambda n: st.booleans(),
                           return_counts=lambda n: st.booleans(),
                           dim=lambda n: st.one_of(st.none(), dim_of(n))))


@st.composite
def _searchsorted_case(draw, bucketize=False):
    """Rows sorted along the last dim (1-D for bucketize; now and then unsorted, with a sorter)
    and values: leading dims as the rows' (now and then not), or any shape for 1-D rows, or a
    number; right/side/out_int32 keywords."""
    seq_shape = draw(shapes(1, 1 if bucketize else 3))
    if len(seq_shape) == 1 or draw(st.integers(0, 9)) == 0:
        value_shape = draw(shapes(0, 3))
    else:
        value_shape = seq_shape[:-1] + (draw(st.integers(0, 3)),)
    seq, values = draw(inputs_of([seq_shape, value_shape], 'fi'))
    seq.grad = values.grad = False
    kwargs = {'right': draw(st.booleans()), 'out_int32': draw(st.booleans())}
    order = np.argsort(seq.values, axis=-1, kind='stable')
    if not bucketize and draw(st.integers(0, 3)) == 0:
        kwargs['sorter'] = Input(order, grad=False)
    else:
        seq.values = np.take_along_axis(seq.values, order, -1)
    if not bucketize:
        kwargs['side'] = draw(st.sampled_from([None, 'left', 'right']))
    if draw(st.integers(0, 5)) == 0:
        values = draw(scalars('fi'))
    return Case([values, seq] if bucketize else [seq, values], kwargs)


spec('searchsorted', mdl.searchsorted, torch.searchsorted, _searchsorted_case(),
     covers=['mdl.searchsorted'])
spec('bucketize', mdl.bucketize, torch.bucketize, _searchsorted_case(bucketize=True),
     covers=['mdl.bucketize'])


@st.composite
def _bincount_case(draw):
    """1-D non-negative integers (now and then negative ones, another rank or dtype), weights of
    their length or none, a minlength."""
    x = draw(tensors(1, kinds='i', min_ndim=1, max_ndim=1))[0]
    x.values = np.abs(x.values)
    if draw(st.integers(0, 9)) == 0:
        x = draw(tensors(1, kinds='fib'))[0]
    kwargs = {'minlength': draw(st.integers(0, 4))}
    if draw(st.booleans()):
        kwargs['weights'] = draw(inputs_of([x.values.shape], 'fi'))[0]
    return Case([x], kwargs)


# (the result requires grad with weights that do, with no derivative, as in PyTorch)
with_forms('bincount', _bincount_case())
with_forms('histc', _with(tensors(1, kinds='fi').map(lambda i: i[0]),
                          bins=lambda n: st.integers(0, 4),
                          min=lambda n: st.sampled_from([0, -1, 1]),
                          max=lambda n: st.sampled_from([0, 1, 2.5])))
