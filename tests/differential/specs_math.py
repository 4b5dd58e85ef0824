"""Specs of elementwise arithmetic, comparisons, functions, matmul, where, clamp, casts and the
in-place forms (see registry.py for how to add one)."""
import operator

import torch
from hypothesis import strategies as st

import minidl as mdl

from .draw import Input, case, inputs_of, scalars, shapes, tensors
from .registry import spec

_FORMS = st.sampled_from(['method', 'function'])


def _form(method, function):
    """A call written as a Tensor method or as a module function, chosen by the case."""
    return lambda x, form: getattr(x, method)() if form == 'method' else function(x)


def _with_form(inputs):
    return case(inputs, lambda s: st.fixed_dictionaries({'form': _FORMS}))


def _with_scalar(inputs, kinds='fib'):
    return case(inputs, lambda s: st.fixed_dictionaries({'s': scalars(kinds)}))


# ---------------------------------------------------------------- binary arithmetic
_BINARY = {'add': operator.add, 'sub': operator.sub, 'mul': operator.mul,
           'truediv': operator.truediv, 'pow': operator.pow}
for _name, _op in _BINARY.items():
    _smooth = _name in ('add', 'sub', 'mul')
    spec(_name, _op, _op, case(tensors(2, kinds='fib')), covers=[f'Tensor.__{_name}__'],
         smooth=_smooth, extends=_name == 'pow')
    # (no bool number with pow: PyTorch's gradient of x ** False is NaN at 0, and True ** x
    # fails an internal assert in its backward)
    _kinds = 'fi' if _name == 'pow' else 'fib'
    spec(f'{_name} scalar', lambda a, s, op=_op: op(a, s), lambda a, s, op=_op: op(a, s),
         _with_scalar(tensors(1, kinds='fib'), _kinds), smooth=_smooth)
    spec(f'r{_name} scalar', lambda a, s, op=_op: op(s, a), lambda a, s, op=_op: op(s, a),
         _with_scalar(tensors(1, kinds='fib'), _kinds), covers=[f'Tensor.__r{_name}__'],
         smooth=_smooth)

# (PyTorch's gradient of a float base with a bool exponent raises: it subtracts 1 from a bool)
spec('pow positive base', lambda a, b: a ** b, lambda a, b: a ** b,
     case(tensors(2, kinds='f', domain='positive')), covers=['Tensor.pow'], smooth=True)
spec('add_/sub_ alpha', lambda a, b, alpha, f: getattr(a.clone(), f)(b, alpha=alpha),
     lambda a, b, alpha, f: getattr(a.clone(), f)(b, alpha=alpha),
     case(tensors(2, kinds='if'), lambda s: st.fixed_dictionaries(
         {'alpha': st.sampled_from([1, 2, -1]), 'f': st.sampled_from(['add_', 'sub_'])})))

for _name, _fn in (('maximum', 'maximum'), ('minimum', 'minimum')):
    spec(_name, getattr(mdl, _fn), getattr(torch, _fn), case(tensors(2, kinds='fib')),
         covers=[f'mdl.{_name}', f'Tensor.{_name}'])
    spec(f'{_name} method', lambda a, b, f=_fn: getattr(a, f)(b),
         lambda a, b, f=_fn: getattr(a, f)(b), case(tensors(2, kinds='f')))
spec('max binary', mdl.max, torch.max, case(tensors(2, kinds='fi')))
spec('min binary', mdl.min, torch.min, case(tensors(2, kinds='fi')))

# ---------------------------------------------------------------- comparisons and logic
_COMPARE = ('lt', 'le', 'gt', 'ge', 'eq', 'ne')
for _name in _COMPARE:
    _op = getattr(operator, _name)
    spec(_name, _op, _op, case(tensors(2, kinds='fib')), covers=[f'Tensor.__{_name}__'],
         grad=False)
    spec(f'{_name} scalar', lambda a, s, op=_op: op(a, s), lambda a, s, op=_op: op(a, s),
         _with_scalar(tensors(1, kinds='fib')), grad=False)
for _name in ('and', 'or'):
    _op = getattr(operator, f'{_name}_')
    spec(_name, _op, _op, case(tensors(2, kinds='bi')), covers=[f'Tensor.__{_name}__'],
         grad=False)
    spec(f'r{_name} scalar', lambda a, s, op=_op: op(s, a), lambda a, s, op=_op: op(s, a),
         _with_scalar(tensors(1, kinds='bi'), 'ib'), covers=[f'Tensor.__r{_name}__'],
         grad=False)
spec('invert', operator.invert, operator.invert, case(tensors(1, kinds='bif')),
     covers=['Tensor.__invert__'], grad=False)

# ---------------------------------------------------------------- unary functions
_UNARY = {'exp': True, 'log': True, 'sqrt': True, 'sin': True, 'cos': True, 'tanh': True,
          'sigmoid': True, 'abs': False, 'neg': True}
for _name, _smooth in _UNARY.items():
    spec(_name, _form(_name, getattr(mdl.ops, _name)), _form(_name, getattr(torch, _name)),
         _with_form(tensors(1, kinds='fib')), covers=[f'Tensor.{_name}', f'mdl.{_name}'],
         smooth=_smooth)
for _name in ('log', 'sqrt'):
    spec(f'{_name} positive', _form(_name, getattr(mdl, _name)),
         _form(_name, getattr(torch, _name)), _with_form(tensors(1, domain='positive')),
         smooth=True)
spec('neg operator', operator.neg, operator.neg, case(tensors(1, kinds='fib')),
     covers=['Tensor.__neg__'], smooth=True)
spec('abs operator', operator.abs, operator.abs, case(tensors(1, kinds='fib')),
     covers=['Tensor.__abs__'])
spec('pos operator', operator.pos, operator.pos, case(tensors(1, kinds='fi')),
     covers=['Tensor.__pos__'])

# ---------------------------------------------------------------- matmul
@st.composite
def _matmul_inputs(draw):
    n, k, m = draw(st.integers(0, 3)), draw(st.integers(0, 3)), draw(st.integers(0, 3))
    batch = draw(shapes(0, 2))
    left = draw(st.sampled_from([(k,), (n, k), batch + (n, k)]))
    right = draw(st.sampled_from([(k,), (k, m), batch[1:] + (k, m), (1,) * len(batch) + (k, m)]))
    if draw(st.integers(0, 9)) == 0:
        right = right[:-2] + (k + 1,) + right[-1:] if len(right) > 1 else (k + 1,)
    # (mixed dtypes only when non-empty: PyTorch checks them only when it multiplies)
    same = draw(st.integers(0, 5)) > 0 or 0 in left + right
    return draw(inputs_of([left, right], 'fi', same_dtype=same))


spec('matmul', lambda a, b, form: a @ b if form == 'method' else mdl.matmul(a, b),
     lambda a, b, form: a @ b if form == 'method' else torch.matmul(a, b),
     _with_form(_matmul_inputs()), covers=['mdl.matmul', 'Tensor.matmul', 'Tensor.__matmul__'],
     smooth=True)
spec('rmatmul', lambda a, b: a.__rmatmul__(b),
     lambda a, b: a.__rmatmul__(b), case(_matmul_inputs()), covers=['Tensor.__rmatmul__'],
     smooth=True)

# ---------------------------------------------------------------- where, clamp
@st.composite
def _where_inputs(draw):
    cond, a, b = draw(tensors(3, kinds='fib'))
    return [Input(cond.values.astype(bool), cond.layout, False), a, b]


spec('where', mdl.where, torch.where, case(_where_inputs()), covers=['mdl.where'])
spec('where scalars', lambda c, a, s: mdl.where(c, a, s), lambda c, a, s: torch.where(c, a, s),
     case(_where_inputs().map(lambda i: i[:2]),
          lambda s: st.fixed_dictionaries({'s': scalars()})))


@st.composite
def _bounds(draw, shape):
    """min and max: numbers or tensors (PyTorch takes no mix of the two), either maybe None."""
    tensor_bounds = draw(st.booleans())
    bounds = []
    for _ in range(2):
        if draw(st.integers(0, 3)) == 0:
            bounds.append(None)
        elif tensor_bounds:
            bounds.append(draw(tensors(1, kinds='fi', max_ndim=len(shape)))[0])
        else:
            bounds.append(draw(scalars('fi')))
    return {'min': bounds[0], 'max': bounds[1], 'form': draw(st.sampled_from(
        ['clamp', 'clip', 'mdl.clamp', 'clamp_', 'clip_']))}


def _clamp_case():
    return case(tensors(1, kinds='fib'), lambda s: _bounds(s[0]))


def _clamp(module):
    def fn(x, min, max, form):
        if form.endswith('_'):
            return getattr(x.clone(), form)(min=min, max=max)
        if form == 'mdl.clamp':
            return module.clamp(x, min=min, max=max)
        return getattr(x, form)(min=min, max=max)
    return fn


# (extends: PyTorch's backward fails for tensor bounds that broadcast an empty tensor)
spec('clamp', _clamp(mdl), _clamp(torch), _clamp_case(),
     covers=['Tensor.clamp', 'Tensor.clip', 'mdl.clamp', 'mdl.clip', 'Tensor.clamp_',
             'Tensor.clip_'], extends=True)

# ---------------------------------------------------------------- casts and copies
_CASTS = ('float', 'double', 'half', 'long', 'int', 'bool', 'clone')
spec('casts', lambda x, to: getattr(x, to)(), lambda x, to: getattr(x, to)(),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries({'to': st.sampled_from(
         _CASTS)})), covers=[f'Tensor.{n}' for n in _CASTS], smooth=True)
spec('like', lambda x, f: getattr(mdl, f)(x), lambda x, f: getattr(torch, f)(x),
     case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries({'f': st.sampled_from(
         ['zeros_like', 'ones_like'])})), covers=['mdl.zeros_like', 'mdl.ones_like'])
spec('full_like', lambda x, v: mdl.full_like(x, v), lambda x, v: torch.full_like(x, v),
     _with_scalar(tensors(1, kinds='fib')).map(lambda c: type(c)(c.inputs, {'v': c.kwargs['s']})),
     covers=['mdl.full_like'])

# ---------------------------------------------------------------- in place
_INPLACE_BINARY = ('add_', 'sub_', 'mul_', 'div_', '__iadd__', '__isub__', '__imul__',
                   '__itruediv__')


def _inplace(name):
    def fn(a, b, leaf):
        target = a if leaf else a.clone()
        return getattr(target, name)(b) * 1
    return fn


for _name in _INPLACE_BINARY:
    spec(_name, _inplace(_name), _inplace(_name), case(tensors(2, kinds='fib'), lambda s: (
        st.fixed_dictionaries({'leaf': st.booleans()}))), covers=[f'Tensor.{_name}'])
for _name in ('exp_', 'neg_', 'sqrt_', 'sigmoid_', 'tanh_'):
    spec(_name, lambda a, leaf, n=_name: getattr(a if leaf else a.clone(), n)() * 1,
         lambda a, leaf, n=_name: getattr(a if leaf else a.clone(), n)() * 1,
         case(tensors(1, kinds='fib'), lambda s: st.fixed_dictionaries({'leaf': st.booleans()})),
         covers=[f'Tensor.{_name}'])
spec('pow_', lambda a, s: a.clone().pow_(s) * 1, lambda a, s: a.clone().pow_(s) * 1,
     _with_scalar(tensors(1, kinds='fi'), 'fi'), covers=['Tensor.pow_'])
spec('fill_/zero_', lambda a, s: (a.clone().fill_(s) * 1, a.clone().zero_() * 1),
     lambda a, s: (a.clone().fill_(s) * 1, a.clone().zero_() * 1),
     _with_scalar(tensors(1, kinds='fib')), covers=['Tensor.fill_', 'Tensor.zero_'])
spec('copy_', lambda a, b: a.clone().copy_(b) * 1, lambda a, b: a.clone().copy_(b) * 1,
     case(tensors(2, kinds='fib')), covers=['Tensor.copy_'])
