"""Specs of minidl.functional's activations, losses, linear, dropout, flatten and batch_norm,
and of the layers that wrap them (see registry.py)."""
import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st

import minidl as mdl
import minidl.functional as F

from .draw import Case, Input, case, dim_of, inputs_of, shapes, tensors, values
from .registry import spec

_REDUCTIONS = st.sampled_from(['mean', 'sum', 'none'])


def _kw(**strategies):
    return lambda s: st.fixed_dictionaries(strategies)


# ---------------------------------------------------------------- activations
_ACTIVATIONS = {
    'relu': ({}, 'ReLU'), 'sigmoid': ({}, 'Sigmoid'), 'tanh': ({}, 'Tanh'),
    'leaky_relu': ({'negative_slope': st.sampled_from([0.01, 0.2, -0.5])}, 'LeakyReLU'),
    'elu': ({'alpha': st.sampled_from([1.0, 0.5])}, 'ELU'),
    'gelu': ({'approximate': st.sampled_from(['none', 'tanh'])}, 'GELU'),
    'softplus': ({'beta': st.sampled_from([1.0, 2.0]),
                  'threshold': st.sampled_from([20.0, 1.0])}, None),
}
_SMOOTH = ('sigmoid', 'tanh', 'gelu', 'softplus', 'elu')
for _name, (_args, _layer) in _ACTIVATIONS.items():
    spec(f'F.{_name}', getattr(F, _name), getattr(TF, _name),
         case(tensors(1, kinds='fib'), _kw(**_args)), covers=[f'F.{_name}'],
         smooth=_name in _SMOOTH)
    if _layer:
        spec(f'nn.{_layer}', lambda x, n=_layer, **kw: getattr(mdl.nn, n)(**kw)(x),
             lambda x, n=_layer, **kw: getattr(torch.nn, n)(**kw)(x),
             case(tensors(1, kinds='f'), _kw(**_args)), covers=[f'nn.{_layer}'])
for _name in ('relu', 'leaky_relu', 'elu'):
    spec(f'F.{_name} inplace', lambda x, leaf, n=_name: getattr(F, n)(
        x if leaf else x * 1, inplace=True), lambda x, leaf, n=_name: getattr(TF, n)(
        x if leaf else x * 1, inplace=True), case(tensors(1, kinds='f'), _kw(leaf=st.booleans())))

# (PyTorch refuses integer softmax, except of an empty tensor, where no kernel runs)
_NOT_EMPTY_INT = tensors(1, kinds='fi').filter(
    lambda i: i[0].values.dtype.kind == 'f' or i[0].values.size)
for _name, _layer in (('softmax', 'Softmax'), ('log_softmax', 'LogSoftmax')):
    spec(f'F.{_name}', lambda x, dim, n=_name: getattr(F, n)(x, dim),
         lambda x, dim, n=_name: getattr(TF, n)(x, dim),
         case(_NOT_EMPTY_INT, lambda s: st.fixed_dictionaries({'dim': dim_of(len(s[0]))})),
         covers=[f'F.{_name}'], smooth=True)
    spec(f'nn.{_layer}', lambda x, dim, n=_layer: getattr(mdl.nn, n)(dim)(x),
         lambda x, dim, n=_layer: getattr(torch.nn, n)(dim)(x),
         case(tensors(1, kinds='f'), lambda s: st.fixed_dictionaries({'dim': dim_of(len(s[0]))})),
         covers=[f'nn.{_layer}'])

spec('F.dropout', lambda x, p, training: F.dropout(x * 1, p, training),
     lambda x, p, training: TF.dropout(x * 1, p, training),
     case(tensors(1, kinds='f'), _kw(p=st.sampled_from([0.0, 1.0]), training=st.booleans())),
     covers=['F.dropout'])
spec('nn.Dropout', lambda x, p, train: mdl.nn.Dropout(p).train(train)(x),
     lambda x, p, train: torch.nn.Dropout(p).train(train)(x),
     case(tensors(1, kinds='f'), _kw(p=st.sampled_from([0.0, 1.0, 0.5]), train=st.just(False))),
     covers=['nn.Dropout'])
spec('F.flatten', lambda x, a, b: F.flatten(x, a, b), lambda x, a, b: torch.flatten(x, a, b),
     case(tensors(1, kinds='fib', min_ndim=1), lambda s: st.fixed_dictionaries(
         {'a': dim_of(len(s[0])), 'b': dim_of(len(s[0]))})), covers=['F.flatten'])
spec('nn.Flatten', lambda x: mdl.nn.Flatten()(x), lambda x: torch.nn.Flatten()(x),
     case(tensors(1, kinds='fi', min_ndim=1)), covers=['nn.Flatten'])
spec('nn.Identity', lambda x: mdl.nn.Identity(3)(x), lambda x: torch.nn.Identity(3)(x),
     case(tensors(1, kinds='fi')), covers=['nn.Identity'])


# ---------------------------------------------------------------- linear
@st.composite
def _linear_inputs(draw):
    lead, n_in, n_out = draw(shapes(0, 2)), draw(st.integers(0, 3)), draw(st.integers(0, 3))
    x_in = n_in if draw(st.integers(0, 9)) else n_in + 1
    bias = [(n_out,)] if draw(st.booleans()) else []
    params = draw(inputs_of([(n_out, n_in)] + bias, 'f', same_dtype=True))
    # (mixed dtypes of input and weight only when the weight is not empty: PyTorch checks them
    # only when it multiplies; and none for the bias, which PyTorch adds with promotion to a
    # 3-D input but refuses with a 2-D one)
    same = draw(st.integers(0, 5)) > 0 or not n_out * n_in
    x = draw(inputs_of([lead + (x_in,)], 'f'))[0]
    if same:
        x = Input(x.values.astype(params[0].values.dtype), x.layout)
    return [x] + params


spec('F.linear', F.linear, TF.linear, case(_linear_inputs()), covers=['F.linear'], smooth=True)


# ---------------------------------------------------------------- losses
@st.composite
def _class_case(draw, log_probs=False):
    """cross_entropy / nll_loss inputs: logits (C,), (N, C) or (N, C, d); integer targets
    (ignored and out-of-range ones now and then) or, for cross entropy, probabilities."""
    n, c, d = draw(st.integers(0, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 2))
    shape = draw(st.sampled_from([(c,), (n, c), (n, c, d)]))
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    x = draw(inputs_of([shape], 'f'))[0]
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    probabilities = not log_probs and draw(st.integers(0, 3)) == 0
    if probabilities:
        r = rng.random(shape) + 0.01
        t = Input((r / r.sum(axis=min(1, len(shape) - 1), keepdims=True)).astype(
            x.values.dtype), grad=False)
    else:
        high = c + (1 if draw(st.integers(0, 9)) == 0 else 0)
        t = Input(np.where(rng.random(target_shape) < 0.2, -100,
                           rng.integers(0, high, target_shape)).astype(np.int64), grad=False)
    kwargs = {'reduction': draw(_REDUCTIONS)}
    if draw(st.booleans()):
        kwargs['weight'] = Input(values(rng, (c,), x.values.dtype, 'ties', 'positive'),
                                 grad=False)
    if not probabilities:
        kwargs['ignore_index'] = draw(st.sampled_from([-100, 0]))
    if not log_probs:
        kwargs['label_smoothing'] = draw(st.sampled_from([0.0, 0.0, 0.25]))
    return Case([x, t], kwargs)


spec('F.cross_entropy', F.cross_entropy, TF.cross_entropy, _class_case(),
     covers=['F.cross_entropy'], smooth=True)
spec('F.nll_loss', F.nll_loss, TF.nll_loss, _class_case(log_probs=True), covers=['F.nll_loss'])
spec('nn.CrossEntropyLoss', lambda x, t, **kw: mdl.nn.CrossEntropyLoss(**kw)(x, t),
     lambda x, t, **kw: torch.nn.CrossEntropyLoss(**kw)(x, t), _class_case(),
     covers=['nn.CrossEntropyLoss'])
spec('nn.NLLLoss', lambda x, t, **kw: mdl.nn.NLLLoss(**kw)(x, t),
     lambda x, t, **kw: torch.nn.NLLLoss(**kw)(x, t), _class_case(log_probs=True),
     covers=['nn.NLLLoss'])


def _paired(domain=None, target_domain=None, kinds='f', same_dtype=False):
    """input and target of one shape (now and then one that broadcasts to it)."""
    @st.composite
    def draw_case(draw):
        shape = draw(shapes(0, 3))
        x = draw(inputs_of([shape], kinds, domain))[0]
        other = shape if draw(st.integers(0, 5)) else shape[1:]
        t = draw(inputs_of([other], 'f', target_domain))[0]
        if same_dtype:
            t = Input(t.values.astype(x.values.dtype), t.layout, t.grad)
        return Case([x, t], {'reduction': draw(_REDUCTIONS)})
    return draw_case()


for _name, _layer in (('mse_loss', 'MSELoss'), ('l1_loss', 'L1Loss')):
    spec(f'F.{_name}', getattr(F, _name), getattr(TF, _name), _paired(), covers=[f'F.{_name}'],
         smooth=_name == 'mse_loss')
    spec(f'nn.{_layer}', lambda x, t, n=_layer, **kw: getattr(mdl.nn, n)(**kw)(x, t),
         lambda x, t, n=_layer, **kw: getattr(torch.nn, n)(**kw)(x, t), _paired(),
         covers=[f'nn.{_layer}'])
spec('F.binary_cross_entropy', F.binary_cross_entropy, TF.binary_cross_entropy,
     _paired('unit', 'unit'), covers=['F.binary_cross_entropy'])


@st.composite
def _logits_case(draw):
    c = draw(_paired(target_domain='unit'))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    shape, dtype = c.inputs[0].values.shape, c.inputs[0].values.dtype
    if draw(st.booleans()):
        c.kwargs['weight'] = Input(values(rng, shape[1:], dtype, 'ties', 'positive'), grad=False)
    if draw(st.booleans()):
        c.kwargs['pos_weight'] = Input(values(rng, shape[-1:], dtype, 'ties', 'positive'),
                                       grad=False)
    return c


spec('F.binary_cross_entropy_with_logits', F.binary_cross_entropy_with_logits,
     TF.binary_cross_entropy_with_logits, _logits_case(),
     covers=['F.binary_cross_entropy_with_logits'], smooth=True)
spec('nn.BCEWithLogitsLoss', lambda x, t, **kw: mdl.nn.BCEWithLogitsLoss(**kw)(x, t),
     lambda x, t, **kw: torch.nn.BCEWithLogitsLoss(**kw)(x, t), _logits_case(),
     covers=['nn.BCEWithLogitsLoss'])


# ---------------------------------------------------------------- batch norm
@st.composite
def _batch_norm_case(draw):
    shape = draw(st.sampled_from([(2, 3), (3, 2, 4), (2, 2, 2, 3), (1, 3), (1, 2, 1)]))
    c = shape[1]
    x, w, b, rm, rv = draw(inputs_of([shape, (c,), (c,), (c,), (c,)], 'f', same_dtype=True))
    rv = Input(np.abs(rv.values) + 0.5, grad=False)
    rm.grad = False
    stats = draw(st.booleans())
    return Case([x], {'running_mean': rm if stats else None,
                      'running_var': rv if stats else None,
                      'weight': w if draw(st.booleans()) else None,
                      'bias': b if draw(st.booleans()) else None,
                      'training': draw(st.booleans()),
                      'momentum': draw(st.sampled_from([0.1, 0.5])), 'eps': 1e-5})


def _batch_norm(fn):
    def run(x, running_mean, running_var, **kw):
        out = fn(x, running_mean, running_var, **kw)
        stats = () if running_mean is None else (running_mean * 1, running_var * 1)
        return (out,) + stats
    return run


spec('F.batch_norm', _batch_norm(F.batch_norm), _batch_norm(TF.batch_norm), _batch_norm_case(),
     covers=['F.batch_norm'], grad_tol=(1e-3, 1e-4))
