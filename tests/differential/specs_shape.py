"""Specs of the shape operations and of indexing: reshape, view, permute, transpose, T, mT, t,
flatten, squeeze, unsqueeze, broadcast_to, expand, split, cat, stack, pad, x[index] and
x[index] = value (see registry.py)."""
import math

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import minidl as mdl

from .draw import Case, Input, case, dim_of, dims_of, inputs_of, scalars, shapes, tensors
from .registry import spec

_FORMS = st.sampled_from(['method', 'function'])


def _kw(**strategies):
    return lambda s: st.fixed_dictionaries(strategies)


@st.composite
def _new_shape(draw, shape):
    """A shape with as many elements as ``shape`` (sometimes with -1), or now and then not."""
    n = math.prod(shape)
    options = [(n,), (-1,), shape[::-1], (1,) + shape, shape + (1,)]
    options += [(n // k, k) for k in (2, 3) if n % k == 0]
    options += [(k, -1) for k in (2, 3) if n and n % k == 0]
    target = draw(st.sampled_from(options))
    if draw(st.integers(0, 9)) == 0:
        target = (n + 1,)
    return tuple(target)


def _reshape(name):
    return lambda x, shape, form: getattr(x, name)(*shape) if form == 'method' and shape else \
        getattr(x, name)(shape)


spec('reshape', _reshape('reshape'), _reshape('reshape'),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
         {'shape': _new_shape(s[0]), 'form': _FORMS})), covers=['Tensor.reshape', 'mdl.reshape'],
     smooth=True)
spec('view', _reshape('view'), _reshape('view'),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
         {'shape': _new_shape(s[0]), 'form': _FORMS})), covers=['Tensor.view'])


@st.composite
def _permutation(draw, ndim):
    dims = list(draw(st.permutations(range(ndim))))
    dims = [d - ndim if draw(st.booleans()) else d for d in dims]
    if draw(st.integers(0, 9)) == 0:
        dims = dims[:-1] if dims else [0]
    return tuple(dims)


spec('permute', lambda x, dims, form: x.permute(dims) if form == 'method' else
     mdl.permute(x, dims), lambda x, dims, form: x.permute(dims) if form == 'method' else
     torch.permute(x, dims), case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
         {'dims': _permutation(len(s[0])), 'form': _FORMS})),
     covers=['Tensor.permute', 'mdl.permute'])
spec('transpose', lambda x, a, b: x.transpose(a, b), lambda x, a, b: x.transpose(a, b),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
         {'a': dim_of(len(s[0])), 'b': dim_of(len(s[0]))})),
     covers=['Tensor.transpose', 'mdl.transpose'])
spec('T, mT, t', lambda x, which: getattr(x, which)() if which == 't' else getattr(x, which),
     lambda x, which: getattr(x, which)() if which == 't' else getattr(x, which),
     case(tensors(1, kinds='fib'), _kw(which=st.sampled_from(['T', 'mT', 't']))),
     covers=['Tensor.T', 'Tensor.mT', 'Tensor.t'])
spec('flatten', lambda x, a, b: mdl.flatten(x, a, b), lambda x, a, b: torch.flatten(x, a, b),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
         {'a': dim_of(len(s[0])), 'b': dim_of(len(s[0]))})),
     covers=['Tensor.flatten', 'mdl.flatten'])
spec('squeeze', lambda x, dim: x.squeeze() if dim is None else x.squeeze(dim),
     lambda x, dim: x.squeeze() if dim is None else x.squeeze(dim),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries({'dim': dims_of(len(s[0]))})),
     covers=['Tensor.squeeze', 'mdl.squeeze'])
spec('unsqueeze', lambda x, dim: x.unsqueeze(dim), lambda x, dim: x.unsqueeze(dim),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
         {'dim': dim_of(len(s[0]) + 1)})), covers=['Tensor.unsqueeze', 'mdl.unsqueeze'])


@st.composite
def _expanded(draw, shape, minus_one=False):
    lead = draw(shapes(0, 2))
    out = [n if n != 1 else draw(st.sampled_from([1, 2, 3])) for n in shape]
    if minus_one:
        out = [-1 if draw(st.booleans()) else n for n in out]
    if shape and draw(st.integers(0, 9)) == 0:
        out[0] += 2
    return lead + tuple(out)


spec('broadcast_to', lambda x, shape: x.broadcast_to(shape),
     lambda x, shape: x.broadcast_to(shape),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries({'shape': _expanded(s[0])})),
     covers=['Tensor.broadcast_to', 'mdl.broadcast_to'])
spec('expand', lambda x, shape: x.expand(shape), lambda x, shape: x.expand(shape),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
         {'shape': _expanded(s[0], True)})), covers=['Tensor.expand'])


@st.composite
def _split_args(draw, shape):
    dim = draw(dim_of(len(shape)))
    size = shape[dim] if shape and -len(shape) <= dim < len(shape) else 0
    if draw(st.booleans()):
        return {'split': draw(st.integers(1, 3)), 'dim': dim}
    parts, left = [], size
    while left > 0:
        parts.append(draw(st.integers(0, left)))
        left -= parts[-1]
    return {'split': parts + [0] * draw(st.integers(0, 1)), 'dim': dim}


spec('split', lambda x, split, dim: x.split(split, dim), lambda x, split, dim: x.split(split, dim),
     case(tensors(1, kinds='fib', min_ndim=1), lambda s: _split_args(s[0])),
     covers=['Tensor.split', 'mdl.split'])


@st.composite
def _joinable(draw, stack):
    shape = draw(shapes(0, 3))
    count = draw(st.integers(1, 3))
    dim = draw(dim_of(len(shape) + stack))
    shape_list = []
    for _ in range(count):
        s = list(shape)
        if not stack and s and -len(s) <= dim < len(s):
            s[dim] = draw(st.integers(0, 3))
        if not stack and draw(st.integers(0, 11)) == 0:
            s = [0]                          # PyTorch's legacy empty tensor
        shape_list.append(tuple(s))
    inputs = draw(inputs_of(shape_list, 'fib', same_dtype=draw(st.integers(0, 3)) > 0))
    return inputs, dim


def _join(module, name):
    return lambda *xs, dim: getattr(module, name)(list(xs), dim)


for _name, _stack in (('cat', 0), ('stack', 1)):
    spec(_name, _join(mdl, _name), _join(torch, _name),
         _joinable(_stack).map(lambda d: _case_of(*d)), covers=[f'mdl.{_name}'])
spec('concatenate', _join(mdl, 'concatenate'), _join(torch, 'concatenate'),
     _joinable(0).map(lambda d: _case_of(*d)), covers=['mdl.concatenate'])


def _case_of(inputs, dim):
    return Case(inputs, {'dim': dim})


@st.composite
def _pad_args(draw, shape):
    widths = draw(st.lists(st.integers(0, 2), max_size=2 * len(shape) + 1))
    return {'pad': tuple(widths), 'value': draw(scalars('fi'))}


spec('pad', lambda x, pad, value: mdl.pad(x, pad, value=value),
     lambda x, pad, value: TF.pad(x, pad, value=value),
     case(tensors(1, kinds='f'), lambda s: _pad_args(s[0])), covers=['mdl.pad', 'F.pad'])


# ---------------------------------------------------------------- indexing
@st.composite
def _part(draw, size, kinds):
    """One index part for a dim of ``size``, and how many dims it takes."""
    kind = draw(st.sampled_from(kinds))
    if kind == 'int':
        return draw(st.integers(-size - 1, size)), 1
    if kind == 'slice':
        bound = st.one_of(st.none(), st.integers(-size - 1, size + 1))
        return slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3]))), 1
    if kind == 'none':
        return None, 0
    if kind == 'bool':
        return draw(st.booleans()), 0
    positions = st.integers(-size, size - 1) if size else st.integers(-1, 0)
    if kind == 'list':
        return draw(st.lists(positions, max_size=3)), 1
    if kind in ('tensor', 'tensor0d'):
        shape = () if kind == 'tensor0d' else draw(st.sampled_from([(0,), (1,), (2,), (3,),
                                                                    (2, 2)]))
        rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
        low, high = (-size, size) if size else (-1, 1)
        return Input(rng.integers(low, high, shape), grad=False), 1
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))   # a mask over one dim
    return Input(rng.random((size,)) < 0.5, grad=False), 1


_KINDS = ['int', 'int', 'slice', 'slice', 'none', 'list', 'tensor', 'tensor0d', 'mask', 'bool']


@st.composite
def _index(draw, shape):
    """A PyTorch index for ``shape``: a tuple of parts (maybe with an Ellipsis, parts after it
    taking the last dims), a single part, or a bare list."""
    ndim, front, back = len(shape), 0, 0
    head, tail = [], []
    for _ in range(draw(st.integers(0, ndim + 1))):
        left = ndim - front
        part, k = draw(_part(shape[front] if left else 0, _KINDS if left else ['none', 'int']))
        head.append(part)
        front += k
    if draw(st.booleans()):
        for _ in range(draw(st.integers(0, max(ndim - front, 0)))):
            part, k = draw(_part(shape[ndim - 1 - back], _KINDS))
            tail.append(part)
            back += k
        head = head + [Ellipsis] + tail[::-1]
    if len(head) == 1 and draw(st.booleans()):
        return head[0]
    return tuple(head)


spec('getitem', lambda x, index: x[index], lambda x, index: x[index],
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries({'index': _index(s[0])})),
     covers=['Tensor.__getitem__'], smooth=True)


@st.composite
def _value_for(draw, shape, index):
    kind = draw(st.sampled_from(['scalar', 'scalar', 'tensor']))
    if kind == 'scalar':
        return draw(scalars('fi'))
    try:
        region = tuple(torch.zeros(shape)[_torch_index(index)].shape)
    except Exception:      # noqa: BLE001  (an invalid index: any value will do)
        region = ()
    region = region[draw(st.integers(0, len(region))):]
    return draw(inputs_of([region], 'fi'))[0]


def _torch_index(index):
    from .run import as_torch
    return as_torch(index)


def _setitem(x, index, value):
    out = x.clone()
    out[index] = value
    return out


# (float x only: PyTorch lets an int x written from a value that requires grad require grad)
@st.composite
def _setitem_case(draw):
    x = draw(tensors(1, kinds='f'))[0]
    index = draw(_index(x.values.shape))
    value = draw(_value_for(x.values.shape, index))
    parts = index if isinstance(index, tuple) else (index,)
    masks = any(isinstance(p, bool) or isinstance(p, Input) and p.values.dtype == bool
                for p in parts)
    if isinstance(value, Input) and (masks or value.values.size == 0):
        # (a value of another dtype with a mask, or an empty one: PyTorch refuses it or not by
        # the internal path it takes; with integer index tensors it always refuses, as minidl)
        value = Input(value.values.astype(x.values.dtype), value.layout)
    return Case([x], {'index': index, 'value': value})


spec('setitem', _setitem, _setitem, _setitem_case(), covers=['Tensor.__setitem__'])
