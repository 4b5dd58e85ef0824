"""Specs of issue 14's reshaping and joining ops (repeat, unflatten, Tensor.unfold,
split_with_sizes, sum_to_size, broadcast_tensors, meshgrid) and of cdist (see registry.py)."""
import math

import torch
from hypothesis import strategies as st

import minidl as mdl

from .draw import Case, dim_of, inputs_of, shapes, tensors
from .registry import spec
from .specs_surface import with_forms


def _one(kinds='fib', min_ndim=0, max_ndim=4):
    return tensors(1, kinds=kinds, min_ndim=min_ndim, max_ndim=max_ndim).map(lambda i: i[0])


def _cases(inputs, arguments):
    """Cases of one input and the keywords ``arguments(shape)`` draws (a strategy)."""
    return inputs.flatmap(lambda x: arguments(x.values.shape).map(lambda kw: Case([x], kw)))


def _axis(shape, dim):
    return dim % max(len(shape), 1)


spec('repeat', lambda x, sizes, unpacked: x.repeat(*sizes) if unpacked else x.repeat(sizes),
     lambda x, sizes, unpacked: x.repeat(*sizes) if unpacked else x.repeat(sizes),
     _cases(_one(max_ndim=3), lambda s: st.fixed_dictionaries({
         'sizes': st.lists(st.integers(0, 3), min_size=max(len(s) - 1, 0),
                           max_size=len(s) + 1).map(tuple),
         'unpacked': st.booleans()})), covers=['Tensor.repeat'])


@st.composite
def _unflatten_sizes(draw, shape):
    """sizes for unflattening dimension ``dim``: a -1 now and then, products that now and then
    do not match."""
    dim = draw(dim_of(len(shape), allow_bad=False))
    n = shape[_axis(shape, dim)] if shape else 1
    options = [(n,), (1, n), (n, 1), (-1,), (1, -1), (-1, 1), (n + 1,), (-1, -1), (0, -1)]
    options += [(2, n // 2), (-1, 2), (2, -1)] if n % 2 == 0 and n else [(2, -1)]
    return {'dim': dim, 'sizes': draw(st.sampled_from(options))}


with_forms('unflatten', _cases(_one(min_ndim=1), _unflatten_sizes))


@st.composite
def _windows(draw, shape):
    dim = draw(dim_of(len(shape), allow_bad=False))
    n = shape[_axis(shape, dim)] if shape else 1
    return {'dimension': dim, 'size': draw(st.integers(0, n + 1)), 'step': draw(st.integers(0, 3))}


spec('Tensor.unfold', lambda x, **kw: x.unfold(**kw), lambda x, **kw: x.unfold(**kw),
     _cases(_one(), _windows), covers=['Tensor.unfold'])


@st.composite
def _split_sizes(draw, shape):
    dim = draw(dim_of(len(shape), allow_bad=False))
    n = shape[_axis(shape, dim)] if shape else 0
    cut = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = [b - a for a, b in zip([0] + cut, cut + [n])]
    if draw(st.integers(0, 7)) == 0:            # sizes that do not add up, or a negative one
        sizes[draw(st.integers(0, len(sizes) - 1))] += draw(st.sampled_from([1, -1, -n - 1]))
    return {'split_sizes': sizes, 'dim': dim}


spec('split_with_sizes', lambda x, **kw: x.split_with_sizes(**kw),
     lambda x, **kw: x.split_with_sizes(**kw), _cases(_one(min_ndim=1), _split_sizes),
     covers=['Tensor.split_with_sizes'])


@st.composite
def _sum_sizes(draw, shape):
    """A size that ``shape`` expands from (leading dims dropped, dims set to 1), now and then
    one that it does not; unpacked or as one tuple."""
    size = list(shape[draw(st.integers(0, len(shape))):])
    for i in range(len(size)):
        if draw(st.integers(0, 2)) == 0:
            size[i] = 1
    if draw(st.integers(0, 7)) == 0:
        size = [1] + size if draw(st.booleans()) or not size else size[:-1] + [size[-1] + 2]
    return {'size': tuple(size), 'unpacked': draw(st.booleans())}


spec('sum_to_size', lambda x, size, unpacked: x.sum_to_size(*size) if unpacked else
     x.sum_to_size(size), lambda x, size, unpacked: x.sum_to_size(*size) if unpacked else
     x.sum_to_size(size), _cases(_one('f'), _sum_sizes), covers=['Tensor.sum_to_size'])
spec('broadcast_tensors', mdl.broadcast_tensors, torch.broadcast_tensors,
     st.integers(1, 3).flatmap(lambda n: tensors(n, kinds='fib')).map(Case),
     covers=['mdl.broadcast_tensors'])


@st.composite
def _grid_inputs(draw):
    """One to three 0-d or 1-D inputs, of one dtype five times in six."""
    shape_list = [draw(shapes(0, 1)) for _ in range(draw(st.integers(1, 3)))]
    return draw(inputs_of(shape_list, 'fi', same_dtype=draw(st.integers(0, 5)) > 0))


spec('meshgrid', lambda *xs, indexing, listed: mdl.meshgrid(list(xs) if listed else xs,
                                                            indexing=indexing)
     if listed else mdl.meshgrid(*xs, indexing=indexing),
     lambda *xs, indexing, listed: torch.meshgrid(list(xs), indexing=indexing)
     if listed else torch.meshgrid(*xs, indexing=indexing),
     _grid_inputs().flatmap(lambda xs: st.fixed_dictionaries(
         {'indexing': st.sampled_from(['ij', 'xy']), 'listed': st.booleans()}).map(
         lambda kw: Case(xs, kw))), covers=['mdl.meshgrid'])


@st.composite
def _cdist_case(draw):
    """x1 (..., P, M) and x2 (..., R, M), batch dims that broadcast (now and then not, or M
    that differs), and a p."""
    p, r, m = (draw(st.integers(0, 3)) for _ in range(3))
    batch1, batch2 = draw(st.sampled_from([((), ()), ((2,), (2,)), ((2, 1), (3,)), ((1,), ()),
                                           ((2,), (3,))]))
    m2 = m + 1 if draw(st.integers(0, 9)) == 0 else m
    ndim = draw(st.sampled_from([2, 2, 2, 1]))
    shape1, shape2 = (batch1 + (p, m))[-ndim:], (batch2 + (r, m2))[-ndim:]
    # (two dtypes only for inputs and a result with elements: PyTorch checks no dtypes there)
    same = draw(st.integers(0, 5)) > 0 or 0 in (p, r, m)
    x1, x2 = draw(inputs_of([shape1, shape2], 'f', same_dtype=same))
    return Case([x1, x2], {'p': draw(st.sampled_from([2.0, 1.0, 0.0, 3.0, 0.5, math.inf,
                                                      -1.0]))})


spec('cdist', mdl.cdist, torch.cdist, _cdist_case(), covers=['mdl.cdist'])
