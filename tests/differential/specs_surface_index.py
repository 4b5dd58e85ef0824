"""Specs of issue 14's writes along a dimension: scatter, scatter_add, index_add, index_copy,
index_fill and fill_diagonal_, each as a function, a method and in place (see registry.py).
Index tensors are int64 (PyTorch's rule for most of them; one spec draws int32 ones), now and
then out of range; duplicated entries are common."""
import numpy as np
import torch
from hypothesis import strategies as st

import minidl as mdl

from .draw import Case, Input, dim_of, inputs_of, scalars, shapes, tensors
from .registry import spec
from .specs_surface import with_forms


def _index(values, dtype=np.int64):
    """An index Input (no gradient) holding ``values``."""
    return Input(np.asarray(values).astype(dtype), grad=False)


def _like(draw, shape, x):
    """An Input of ``shape``, of x's dtype five times in six (else both must refuse it)."""
    other = draw(inputs_of([shape], 'fi'))[0]
    if draw(st.integers(0, 5)):
        other.values = other.values.astype(x.values.dtype)
    return other


@st.composite
def _scatter_case(draw, with_value=False):
    """x, a dim and an index of x's rank, no larger than x outside dim (its values sometimes out
    of range), and src, at least as large as index (or, ``with_value``, sometimes a number)."""
    x = draw(tensors(1, kinds='fi'))[0]
    shape = x.values.shape
    dim = draw(dim_of(len(shape), allow_bad=False))
    axis = dim % max(len(shape), 1)
    index_shape = tuple(draw(st.integers(0, 3)) if d == axis else draw(st.integers(0, n))
                        for d, n in enumerate(shape))
    size = shape[axis] if shape else 1
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    values = rng.integers(0, max(size, 1), index_shape)
    if size == 0 or draw(st.integers(0, 11)) == 0:
        values = values + size
    kwargs = {'dim': dim, 'index': _index(values)}
    if with_value and draw(st.booleans()):
        kwargs['value'] = draw(scalars('fi'))
    else:
        src_shape = tuple(n + draw(st.integers(0, 1)) for n in index_shape)
        kwargs['src'] = _like(draw, src_shape, x)
        # (PyTorch's backward fails for a src larger than index, a bug of its own)
        kwargs['src'].grad = src_shape == index_shape
    return Case([x], kwargs)


with_forms('scatter', _scatter_case(with_value=True))
with_forms('scatter_add', _scatter_case())


@st.composite
def _select_case(draw, distinct=False, value=False):
    """x, a dim, a 1-D (sometimes 0-d) index into it (``distinct`` entries, else repeats are
    common; sometimes out of range) and a source of x's shape with len(index) along dim (now and
    then one more), or (``value``) a number or a 0-d tensor to fill in."""
    x = draw(tensors(1, kinds='fi'))[0]
    shape = x.values.shape
    dim = draw(dim_of(len(shape), allow_bad=False))
    axis = dim % max(len(shape), 1)
    size = shape[axis] if shape else 1
    if distinct:
        picked = draw(st.permutations(range(size)))[:draw(st.integers(0, size))]
    elif x.values.size == 0:    # (PyTorch checks no index into an empty x; some of its checks
        picked = draw(st.lists(st.integers(0, size - 1), max_size=4)) if size else []   # crash)
    else:       # (index_fill takes -1 as the last entry; the others refuse it)
        picked = draw(st.lists(st.integers(-1 if value else 0, size), max_size=4))
    picked = np.asarray(picked, dtype=np.int64)
    if picked.size == 1 and draw(st.booleans()):
        picked = picked.reshape(())
    kwargs = {'dim': dim, 'index': _index(picked)}
    if value:
        kwargs['value'] = draw(st.one_of(scalars('fi'), inputs_of([()], 'f').map(lambda i: i[0])))
        # (a value that requires grad: PyTorch refuses it for an integer x, and its backward
        # fails for a 0-d x and for negative entries, bugs of its own)
        if isinstance(kwargs['value'], Input):
            kwargs['value'].grad = (bool(shape) and not (picked < 0).any() and
                                    x.values.dtype.kind == 'f')
        return Case([x], kwargs)
    bad = draw(st.integers(0, 7)) == 0
    source_shape = list(shape)
    if shape:
        source_shape[axis] = picked.size + bad
    elif bad:
        source_shape = [2]
    kwargs['source'] = _like(draw, tuple(source_shape), x)
    return Case([x], kwargs)


@st.composite
def _index_add_case(draw):
    c = draw(_select_case())
    alpha = draw(st.sampled_from([None, 1, 2, -0.5]))
    return c if alpha is None else Case(c.inputs, {**c.kwargs, 'alpha': alpha})


with_forms('index_add', _index_add_case())
# (distinct entries: with repeated ones, which copy wins is unspecified, as in PyTorch)
with_forms('index_copy', _select_case(distinct=True))
with_forms('index_fill', _select_case(value=True))


@st.composite
def _int32_case(draw):
    c = draw(st.one_of(_scatter_case(with_value=True), _select_case(distinct=True)))
    c.kwargs['index'] = _index(c.kwargs['index'].values, np.int32)
    return c


# (extends: gather, scatter, index_copy and index_fill take int32 index tensors, as index_select
# and index_add do, where PyTorch wants int64)
spec('int32 indices', lambda x, dim, index, **kw: (
    x.index_copy(dim, index, kw['source']) if 'source' in kw else
    (x.scatter(dim, index, **kw), x.gather(dim, index))),
    lambda x, dim, index, **kw: (
    x.index_copy(dim, index, kw['source']) if 'source' in kw else
    (x.scatter(dim, index, **kw), x.gather(dim, index))), _int32_case(), extends=True)


@st.composite
def _diagonal_case(draw):
    """A tensor of 1 to 4 dims (2-D ones tall, wide or square; higher ones mostly with equal
    dims), a value and whether the diagonal wraps."""
    ndim = draw(st.sampled_from([1, 2, 2, 2, 3, 4]))
    if ndim > 2 and draw(st.integers(0, 3)):
        shape = (draw(st.integers(0, 3)),) * ndim
    else:
        shape = draw(shapes(ndim, ndim)) if ndim != 2 else (draw(st.integers(0, 7)),
                                                            draw(st.integers(0, 3)))
    x = draw(inputs_of([shape], 'fi'))[0]
    # (wrap only with more than one column and in row-major memory: PyTorch's fill_diagonal_
    # crashes otherwise, a bug of its own)
    wrap = draw(st.booleans()) and shape[-1] != 1 and x.layout == 'contiguous'
    return Case([x], {'fill_value': draw(scalars('fi')), 'wrap': wrap})


spec('fill_diagonal_', lambda x, **kw: x.clone().fill_diagonal_(**kw) * 1,
     lambda x, **kw: x.clone().fill_diagonal_(**kw) * 1, _diagonal_case(),
     covers=['Tensor.fill_diagonal_'])
