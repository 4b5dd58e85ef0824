"""Specs of issue 14's tensor ops (the PyTorch surface), each as a module function, a Tensor
method and, where there is one, an in-place method (see registry.py). Ops of one signature
share a loop: unary elementwise, binary elementwise, reductions along a dim, rearrangements."""
import operator

import torch
from hypothesis import strategies as st

import minidl as mdl

from .draw import Case, Input, case, dim_of, dims_of, inputs_of, scalars, shapes, tensors
from .registry import PENDING, spec

# Differences found on the first runs, left to the ops' owner (issue 14): these are not
# registered; their names are PENDING until a fix or a README entry settles them.
KNOWN_DIFFERENCES = {
    'kthvalue': 'the index returned among tied values differs from PyTorch\'s',
    'topk': 'the indices returned among tied values differ from PyTorch\'s',
    'median': 'the gradient goes to another one of tied median elements than PyTorch\'s',
    'logit': 'the gradient differs from PyTorch\'s at 0 and 1',
    'xlogy': 'the gradient in y differs from PyTorch\'s where x is 0',
    'atan2': 'the gradient differs from PyTorch\'s at (0, 0)',
    'arctan2': 'the gradient differs from PyTorch\'s at (0, 0)',
    'unique': 'the result does not require grad where PyTorch\'s does',
    'swapdims': 'takes no dim0=/dim1= keywords (PyTorch\'s names)',
}
PENDING['mdl.masked_fill'] = ("out of place, PyTorch also broadcasts x to a larger mask, "
                              "which minidl refuses (the other cases are compared)")


def _forms(name):
    """The forms of ``name`` that exist in both frameworks."""
    forms = []
    if hasattr(mdl, name) and hasattr(torch, name):
        forms.append('function')
    if hasattr(mdl.Tensor, name) and hasattr(torch.Tensor, name):
        forms.append('method')
    if hasattr(mdl.Tensor, name + '_') and hasattr(torch.Tensor, name + '_'):
        forms.append('inplace')
    return forms


def _call(module, name):
    def fn(*xs, form, **kwargs):
        if form == 'function':
            return getattr(module, name)(*xs, **kwargs)
        if form == 'method':
            return getattr(xs[0], name)(*xs[1:], **kwargs)
        return getattr(xs[0].clone(), name + '_')(*xs[1:], **kwargs) * 1
    return fn


def _covers(name, forms):
    names = {'function': f'mdl.{name}', 'method': f'Tensor.{name}', 'inplace': f'Tensor.{name}_'}
    return [names[f] for f in forms]


def _register(name, inputs, kwargs=None, **options):
    forms = _forms(name)
    if name in KNOWN_DIFFERENCES:
        PENDING.update(dict.fromkeys(_covers(name, forms), KNOWN_DIFFERENCES[name]))
        return
    extra = kwargs or (lambda s: st.fixed_dictionaries({}))
    spec(f'surface {name}', _call(mdl, name), _call(torch, name),
         case(inputs, lambda s: extra(s).flatmap(lambda kw: st.sampled_from(forms).map(
             lambda f: {**kw, 'form': f}))), covers=_covers(name, forms), **options)


_UNARY = ('absolute acos acosh asin asinh atan atanh arccos arccosh arcsin arcsinh arctan '
          'arctanh ceil cosh deg2rad erf exp2 expm1 fix floor frac log10 log1p log2 logit '
          'negative rad2deg reciprocal round rsqrt sgn sign signbit sinh square tan trunc '
          'isfinite isinf isnan isneginf isposinf logical_not nan_to_num relu').split()
for _name in _UNARY:
    # (extends: PyTorch has no derivative for acosh_, asinh_ and atanh_ in place)
    _register(_name, tensors(1, kinds='fib'), extends=_name in ('acosh', 'asinh', 'atanh'))
for _name in ('abs', 'cos', 'sin', 'log'):          # in-place forms of the core functions
    spec(f'{_name}_', lambda x, n=_name: getattr(x.clone(), n + '_')() * 1,
         lambda x, n=_name: getattr(x.clone(), n + '_')() * 1, case(tensors(1, kinds='fi')),
         covers=[f'Tensor.{_name}_'])

_BINARY = ('atan2 arctan2 hypot logaddexp xlogy remainder fmod floor_divide bitwise_xor eq ne '
           'lt le gt ge greater greater_equal less less_equal not_equal logical_and logical_or '
           'logical_xor mul multiply div divide true_divide sub subtract add').split()
# (extends: minidl computes where PyTorch raises: integer operands of hypot and logaddexp,
# integer division by zero, floor_divide's gradient, atan2's with a bool operand)
_EXTENDS = {'hypot', 'logaddexp', 'remainder', 'fmod', 'floor_divide', 'atan2', 'arctan2'}
for _name in _BINARY:
    _register(_name, tensors(2, kinds='fib'), extends=_name in _EXTENDS)
for _name in ('clamp_min', 'clamp_max'):
    _register(_name, tensors(2, kinds='fi'))
_register('isclose', tensors(2, kinds='fi', same_dtype=True))
_register('lerp', tensors(3, kinds='f', same_dtype=True))
_register('addcmul', tensors(3, kinds='f'))
_register('addcdiv', tensors(3, kinds='f', domain='nonzero'))
spec('mod, floordiv, xor operators', lambda a, b, op: op(a, b), lambda a, b, op: op(a, b),
     case(tensors(2, kinds='fib'), lambda s: st.fixed_dictionaries({'op': st.sampled_from(
         [operator.mod, operator.floordiv, operator.xor, lambda a, b: operator.mod(1.5, b),
          lambda a, b: operator.floordiv(3, b)])})),
     covers=['Tensor.__mod__', 'Tensor.__rmod__', 'Tensor.__floordiv__', 'Tensor.__rfloordiv__',
             'Tensor.__xor__'], extends=True)
spec('imod, ifloordiv', lambda a, b, op: op(a.clone(), b) * 1,
     lambda a, b, op: op(a.clone(), b) * 1,
     case(tensors(2, kinds='fi'), lambda s: st.fixed_dictionaries(
         {'op': st.sampled_from([operator.imod, operator.ifloordiv])})),
     covers=['Tensor.__imod__', 'Tensor.__ifloordiv__'], extends=True)


# ---------------------------------------------------------------- reductions and sorting
def _dim_only(s):
    return st.fixed_dictionaries({'dim': dim_of(len(s[0]))})


for _name in ('cumsum', 'cumprod', 'argsort', 'msort', 'sort'):
    _register(_name, tensors(1, kinds='fi'), None if _name == 'msort' else _dim_only)
for _name in ('prod', 'any', 'all', 'count_nonzero', 'median', 'norm', 'std_mean', 'var_mean'):
    _register(_name, tensors(1, kinds='f'))
for _name in ('topk', 'kthvalue'):
    _register(_name, tensors(1, kinds='f', min_ndim=1), lambda s: st.fixed_dictionaries(
        {'k': st.integers(1, 2), 'dim': dim_of(len(s[0]))}))
_register('unique', tensors(1, kinds='fi'), grad=False)
_register('nonzero', tensors(1, kinds='fib'), grad=False)
_register('argwhere', tensors(1, kinds='fib'), grad=False)


# ---------------------------------------------------------------- rearrangements
_register('flip', tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries(
    {'dims': dims_of(len(s[0])).map(lambda d: () if d is None else d if isinstance(d, tuple)
                                    else (d,))}))
for _name in ('fliplr', 'flipud'):
    _register(_name, tensors(1, kinds='fi', min_ndim=2 if _name == 'fliplr' else 1))
# (dims in range: PyTorch checks none for an empty tensor)
_register('roll', tensors(1, kinds='fi', min_ndim=1), lambda s: st.fixed_dictionaries(
    {'shifts': st.integers(-3, 3), 'dims': dim_of(len(s[0]), allow_bad=False)}))
_register('rot90', tensors(1, kinds='fi', min_ndim=2), lambda s: st.fixed_dictionaries(
    {'k': st.integers(-2, 3)}))
_register('tile', tensors(1, kinds='fi'), lambda s: st.fixed_dictionaries(
    {'dims': st.lists(st.integers(0, 2), max_size=3).map(tuple)}))
for _name in ('chunk',):
    _register(_name, tensors(1, kinds='fi', min_ndim=1), lambda s: st.fixed_dictionaries(
        {'chunks': st.integers(1, 3), 'dim': dim_of(len(s[0]))}))
_register('unbind', tensors(1, kinds='fi', min_ndim=1), _dim_only)
for _name in ('movedim', 'moveaxis'):
    _register(_name, tensors(1, kinds='fi', min_ndim=1), lambda s: st.tuples(
        dim_of(len(s[0])), dim_of(len(s[0]))).map(lambda d: {'source': d[0],
                                                           'destination': d[1]}))
for _name in ('swapaxes', 'swapdims'):
    _register(_name, tensors(1, kinds='fi', min_ndim=1), lambda s: st.tuples(
        dim_of(len(s[0])), dim_of(len(s[0]))).map(lambda d: {'dim0': d[0], 'dim1': d[1]}))
_register('narrow', tensors(1, kinds='fi', min_ndim=1), lambda s: st.tuples(
    dim_of(len(s[0]), allow_bad=False), st.integers(0, 2), st.integers(0, 2)).map(
    lambda a: {'dim': a[0], 'start': a[1], 'length': a[2]}))
_register('select', tensors(1, kinds='fi', min_ndim=1), lambda s: st.tuples(
    dim_of(len(s[0]), allow_bad=False), st.integers(-2, 2)).map(
    lambda a: {'dim': a[0], 'index': a[1]}))
_register('diff', tensors(1, kinds='fi', min_ndim=1), _dim_only)
_register('repeat_interleave', tensors(1, kinds='fi', min_ndim=1), lambda s: st.fixed_dictionaries(
    {'repeats': st.integers(0, 2), 'dim': dim_of(len(s[0]), allow_bad=False)}))
for _name in ('tril', 'triu'):
    _register(_name, tensors(1, kinds='fi', min_ndim=2), lambda s: st.fixed_dictionaries(
        {'diagonal': st.integers(-2, 2)}))
for _name in ('trace', 'diag'):
    _register(_name, tensors(1, kinds='fi', min_ndim=1, max_ndim=2))
_register('diagonal', tensors(1, kinds='fi', min_ndim=2), lambda s: st.fixed_dictionaries(
    {'offset': st.integers(-1, 1)}))


# ---------------------------------------------------------------- products
@st.composite
def _pair(draw, kind):
    n, k, m, b = (draw(st.integers(0, 3)) for _ in range(4))
    shapes_of = {'mm': [(n, k), (k, m)], 'bmm': [(b, n, k), (b, k, m)], 'mv': [(n, k), (k,)],
                 'dot': [(k,), (k,)], 'outer': [(n,), (m,)], 'ger': [(n,), (m,)],
                 'cross': [(n, 3), (n, 3)]}[kind]
    return draw(inputs_of(shapes_of, 'f', same_dtype=True))


for _name in ('mm', 'bmm', 'mv', 'dot', 'outer', 'ger', 'cross'):
    _register(_name, _pair(_name), smooth=_name != 'cross')


@st.composite
def _addmm(draw):
    n, k, m = (draw(st.integers(0, 3)) for _ in range(3))
    return draw(inputs_of([draw(st.sampled_from([(n, m), (m,), ()])), (n, k), (k, m)], 'f',
                          same_dtype=True))


_register('addmm', _addmm(), smooth=True)
spec('surface einsum', lambda a, b: mdl.einsum('ij,jk->ik', a, b),
     lambda a, b: torch.einsum('ij,jk->ik', a, b), case(_pair('mm')), covers=['mdl.einsum'])
spec('surface tensordot', lambda a, b: mdl.tensordot(a, b, 1),
     lambda a, b: torch.tensordot(a, b, 1), case(_pair('mm')), covers=['mdl.tensordot'])


# ---------------------------------------------------------------- indexing with tensors
@st.composite
def _gather_case(draw):
    shape = draw(shapes(1, 3))
    dim = draw(dim_of(len(shape), allow_bad=False))
    x = draw(inputs_of([shape], 'f'))[0]
    index_shape = tuple(min(n, draw(st.integers(0, 2))) if i != dim % len(shape) else
                        draw(st.integers(0, 3)) for i, n in enumerate(shape))
    rng = __import__('numpy').random.default_rng(draw(st.integers(0, 2 ** 16)))
    high = max(shape[dim % len(shape)], 1)
    index = Input(rng.integers(0, high, index_shape), grad=False)
    return Case([x], {'dim': dim, 'index': index})


spec('surface gather', lambda x, dim, index, form: mdl.gather(x, dim, index)
     if form == 'function' else x.gather(dim, index),
     lambda x, dim, index, form: torch.gather(x, dim, index) if form == 'function' else
     x.gather(dim, index), _gather_case().flatmap(lambda c: st.sampled_from(
         ['function', 'method']).map(lambda f: Case(c.inputs, {**c.kwargs, 'form': f}))),
     covers=['mdl.gather', 'Tensor.gather'])


@st.composite
def _masked_case(draw):
    # (a mask that broadcasts to x's shape: PyTorch's out-of-place masked_fill also grows x to a
    # larger mask, which minidl refuses; PENDING)
    x, mask = draw(tensors(2, kinds='fb').filter(lambda i: i[1].values.size and all(
        m in (1, n) for m, n in zip(i[1].values.shape[::-1], i[0].values.shape[::-1])) and
        i[1].values.ndim <= i[0].values.ndim))
    return Case([x, Input(mask.values.astype(bool), grad=False)],
                {'value': draw(scalars('f'))})


spec('surface masked_fill', lambda x, m, value: x.masked_fill(m, value),
     lambda x, m, value: x.masked_fill(m, value), _masked_case(),
     covers=['Tensor.masked_fill', 'mdl.masked_fill'])
spec('surface masked_fill_', lambda x, m, value: x.clone().masked_fill_(m, value) * 1,
     lambda x, m, value: x.clone().masked_fill_(m, value) * 1, _masked_case(),
     covers=['Tensor.masked_fill_'])
spec('surface masked_select', lambda x, m, value: x.masked_select(m),
     lambda x, m, value: x.masked_select(m), _masked_case(),
     covers=['Tensor.masked_select', 'mdl.masked_select'])


# ---------------------------------------------------------------- more spellings
for _name in ('softmax', 'log_softmax'):
    _register(_name, tensors(1, kinds='f'), _dim_only, smooth=True)
spec('surface relu_', lambda x: mdl.relu_(x.clone()) * 1, lambda x: torch.relu_(x.clone()) * 1,
     case(tensors(1)), covers=['mdl.relu_'])
spec('surface pow', lambda a, b: mdl.pow(a, b), lambda a, b: torch.pow(a, b),
     case(tensors(2, kinds='fi', domain='positive')), covers=['mdl.pow'])
spec('surface clone', lambda x: mdl.clone(x), lambda x: torch.clone(x), case(tensors(1)),
     covers=['mdl.clone'])
for _name in ('equal', 'allclose'):
    _register(_name, tensors(2, kinds='f', same_dtype=True), grad=False)
for _name in ('concat', 'hstack', 'vstack'):
    spec(f'surface {_name}', lambda a, b, n=_name: getattr(mdl, n)([a, b]),
         lambda a, b, n=_name: getattr(torch, n)([a, b]),
         case(tensors(2, kinds='fi', broadcast=False, same_dtype=True)), covers=[f'mdl.{_name}'])
for _name in ('view_as', 'reshape_as', 'expand_as', 'type_as'):
    spec(f'surface {_name}', lambda a, b, n=_name: getattr(a, n)(b),
         lambda a, b, n=_name: getattr(a, n)(b), case(tensors(2, kinds='fi')),
         covers=[f'Tensor.{_name}'])
spec('surface where method', lambda c, a, b: a.where(c, b), lambda c, a, b: a.where(c, b),
     case(tensors(3, kinds='fb').map(lambda i: [Input(i[0].values.astype(bool), grad=False),
                                                 i[1], i[2]])), covers=['Tensor.where'])


@st.composite
def _index_select_case(draw):
    x = draw(tensors(1, kinds='f', min_ndim=1))[0]
    dim = draw(dim_of(x.values.ndim, allow_bad=False))
    size = x.values.shape[dim]
    rng = __import__('numpy').random.default_rng(draw(st.integers(0, 2 ** 16)))
    index = Input(rng.integers(0, max(size, 1), draw(st.integers(0, 3)) if size else 0),
                  grad=False)
    return Case([x], {'dim': dim, 'index': index})


spec('surface index_select', lambda x, dim, index: mdl.index_select(x, dim, index),
     lambda x, dim, index: torch.index_select(x, dim, index), _index_select_case(),
     covers=['mdl.index_select', 'Tensor.index_select'])

PENDING.update(dict.fromkeys(
    ['Tensor.' + n for n in (
        'index_add index_add_ index_copy index_copy_ index_fill index_fill_ scatter scatter_ '
        'scatter_add scatter_add_ repeat sum_to_size split_with_sizes unflatten unfold '
        'fill_diagonal_ bincount histc').split()] +
    ['mdl.' + n for n in (
        'index_add index_copy index_fill scatter scatter_add unflatten bincount histc bucketize '
        'searchsorted cdist meshgrid broadcast_tensors').split()],
    "issue 14's op: its spec is still to write"))
