"""Specs of the further activations, losses, normalizations, distances, embedding, resizing,
padding modes, adaptive max pooling, fold/unfold and their layers (see registry.py)."""
import math

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import assume, strategies as st

import minidl as mdl
import minidl.functional as F

from .draw import Case, Input, case, dim_of, inputs_of, shapes, tensors
from .registry import spec
from .specs_functional import _paired, _REDUCTIONS
from .specs_layers import BATCH, _conv_case, _layer, _pool_case, _seeded


def _kw(**strategies):
    return lambda s: st.fixed_dictionaries(strategies)


def _both(name, minidl_fn, torch_fn, case_strategy, layer=None, layer_args=None, **options):
    """The functional spec F.name and, with ``layer``, the layer nn.layer built from the
    case's keyword arguments (or from ``layer_args(kwargs)``)."""
    spec(f'F.{name}', minidl_fn, torch_fn, case_strategy, covers=[f'F.{name}'], **options)
    if layer:
        build = layer_args or (lambda kw: kw)
        spec(f'nn.{layer}', lambda *xs, n=layer, **kw: getattr(mdl.nn, n)(**build(kw))(*xs),
             lambda *xs, n=layer, **kw: getattr(torch.nn, n)(**build(kw))(*xs),
             case_strategy, covers=[f'nn.{layer}'])


# ---------------------------------------------------------------- elementwise activations
_ELEMENTWISE = {      # name: (keyword strategies, layer, smooth)
    'silu': ({}, 'SiLU', True), 'mish': ({}, 'Mish', True), 'relu6': ({}, 'ReLU6', False),
    'hardsigmoid': ({}, 'Hardsigmoid', False), 'hardswish': ({}, 'Hardswish', False),
    'logsigmoid': ({}, 'LogSigmoid', True), 'softsign': ({}, 'Softsign', True),
    'tanhshrink': ({}, 'Tanhshrink', True), 'selu': ({}, 'SELU', False),
    'hardtanh': ({'min_val': st.sampled_from([-1.0, -0.5]),
                  'max_val': st.sampled_from([1.0, 2.0])}, 'Hardtanh', False),
    'celu': ({'alpha': st.sampled_from([1.0, 0.5])}, 'CELU', False),
    'hardshrink': ({'lambd': st.sampled_from([0.5, 1.0])}, 'Hardshrink', False),
    'softshrink': ({'lambd': st.sampled_from([0.5, 1.0])}, 'Softshrink', False),
    'threshold': ({'threshold': st.sampled_from([0.0, 0.5]),
                   'value': st.sampled_from([0.0, -1.0])}, 'Threshold', False),
}
for _name, (_args, _layer_name, _smooth) in _ELEMENTWISE.items():
    _both(_name, getattr(F, _name), getattr(TF, _name),
          case(tensors(1, kinds='fi'), _kw(**_args)), _layer_name, smooth=_smooth)
spec('nn.Softplus', lambda x, **kw: mdl.nn.Softplus(**kw)(x),
     lambda x, **kw: torch.nn.Softplus(**kw)(x),
     case(tensors(1), _kw(beta=st.sampled_from([1.0, 2.0]), threshold=st.sampled_from([20.0,
                                                                                      1.0]))),
     covers=['nn.Softplus'])
_both('softmin', lambda x, dim: F.softmin(x, dim), lambda x, dim: TF.softmin(x, dim),
      case(tensors(1), lambda s: st.fixed_dictionaries({'dim': dim_of(len(s[0]))})), 'Softmin',
      smooth=True)
_both('glu', lambda x, dim: F.glu(x, dim), lambda x, dim: TF.glu(x, dim),
      case(tensors(1, min_ndim=1), lambda s: st.fixed_dictionaries({'dim': dim_of(len(s[0]))})),
      'GLU', smooth=True)


@st.composite
def _prelu_case(draw):
    shape = draw(shapes(1, 4))
    channels = shape[1] if len(shape) > 1 and shape[1] else 1
    x, w = draw(inputs_of([shape, (draw(st.sampled_from([1, channels])),)], 'f',
                          same_dtype=True))
    return Case([x, w])


spec('F.prelu', F.prelu, TF.prelu, _prelu_case(), covers=['F.prelu'])
spec('nn.PReLU', _layer(lambda nn, x, n: nn.PReLU(n, dtype=x.dtype)),
     _layer(lambda nn, x, n: nn.PReLU(n, dtype=x.dtype)),
     _seeded(_prelu_case().map(lambda c: Case(c.inputs[:1], {'n': c.inputs[1].values.size}))),
     covers=['nn.PReLU'])


# ---------------------------------------------------------------- losses
# (input and target of one dtype: with two, PyTorch's results take either, and its huber
# backward fails, "Found dtype Float but expected Double")
_both('smooth_l1_loss', F.smooth_l1_loss, TF.smooth_l1_loss, _paired(same_dtype=True).flatmap(
    lambda c: st.sampled_from([0.5, 1.0]).map(lambda b: Case(c.inputs, {**c.kwargs,
                                                                         'beta': b}))),
    'SmoothL1Loss')
_both('huber_loss', F.huber_loss, TF.huber_loss, _paired(same_dtype=True).flatmap(
    lambda c: st.sampled_from([0.5, 1.0]).map(lambda d: Case(c.inputs, {**c.kwargs,
                                                                         'delta': d}))),
    'HuberLoss')
# (positive targets: at 0 minidl's gradient in the target is finite, PyTorch's NaN; README)
_both('kl_div', F.kl_div, TF.kl_div, _paired(target_domain='positive', same_dtype=True).flatmap(
    lambda c: st.tuples(st.booleans(), st.sampled_from(['mean', 'sum', 'none', 'batchmean']))
    .map(lambda a: Case(c.inputs, {'log_target': a[0], 'reduction': a[1]}))), 'KLDivLoss')
spec('nn.BCELoss', lambda x, t, **kw: mdl.nn.BCELoss(**kw)(x, t),
     lambda x, t, **kw: torch.nn.BCELoss(**kw)(x, t), _paired('unit', 'unit'),
     covers=['nn.BCELoss'])


# ---------------------------------------------------------------- normalization, distances
@st.composite
def _layer_norm_case(draw):
    shape = draw(shapes(1, 4))
    k = draw(st.integers(1, len(shape)))
    # (not over a single value: PyTorch's float32 result then differs from the exact 0 by its
    # rounding, up to 2e-4 in the weight's gradient)
    assume(math.prod(shape[-k:]) != 1)
    x, w, b = draw(inputs_of([shape, shape[-k:], shape[-k:]], 'f', same_dtype=True))
    return Case([x], {'normalized_shape': shape[-k:], 'weight': w if draw(st.booleans())
                      else None, 'bias': b if draw(st.booleans()) else None})


spec('F.layer_norm', F.layer_norm, TF.layer_norm, _layer_norm_case(), covers=['F.layer_norm'],
     tol=(1e-4, 1e-4), grad_tol=(1e-3, 1e-4))
spec('nn.LayerNorm', _layer(lambda nn, x, normalized_shape, affine: nn.LayerNorm(
    normalized_shape, elementwise_affine=affine, dtype=x.dtype)), _layer(
    lambda nn, x, normalized_shape, affine: nn.LayerNorm(normalized_shape,
                                                         elementwise_affine=affine,
                                                         dtype=x.dtype)),
     _seeded(_layer_norm_case().map(lambda c: Case(c.inputs, {
         'normalized_shape': c.kwargs['normalized_shape'],
         'affine': c.kwargs['weight'] is not None}))), covers=['nn.LayerNorm'],
     tol=(1e-4, 1e-4), grad_tol=(1e-3, 1e-4))


@st.composite
def _group_norm_case(draw):
    groups, per = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    # (no empty spatial dims: PyTorch's weight gradient over no values is NaN, 0/0)
    shape = (draw(st.integers(1, 3)), groups * per) + tuple(
        draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2))))
    assume(per * math.prod(shape[2:]) > 1)     # (not one value per group: as layer_norm's)
    x, w, b = draw(inputs_of([shape, shape[1:2], shape[1:2]], 'f', same_dtype=True))
    return Case([x], {'num_groups': groups, 'weight': w if draw(st.booleans()) else None,
                      'bias': b if draw(st.booleans()) else None})


# (extends: PyTorch's backward fails with a bias and no weight, "tensor does not have a device")
# (tol: where a group's values are equal PyTorch's float32 result is 3e-5 from the exact 0)
spec('F.group_norm', F.group_norm, TF.group_norm, _group_norm_case(), covers=['F.group_norm'],
     tol=(1e-4, 1e-4), grad_tol=(1e-3, 1e-4), extends=True)
spec('nn.GroupNorm', _layer(lambda nn, x, num_groups, affine: nn.GroupNorm(
    num_groups, x.shape[1], affine=affine, dtype=x.dtype)), _layer(
    lambda nn, x, num_groups, affine: nn.GroupNorm(num_groups, x.shape[1], affine=affine,
                                                   dtype=x.dtype)),
     _seeded(_group_norm_case().map(lambda c: Case(c.inputs, {
         'num_groups': c.kwargs['num_groups'], 'affine': c.kwargs['weight'] is not None}))),
     covers=['nn.GroupNorm'], tol=(1e-4, 1e-4), grad_tol=(1e-3, 1e-4))
spec('F.normalize', lambda x, p, dim: F.normalize(x, p, dim),
     lambda x, p, dim: TF.normalize(x, p, dim),
     case(tensors(1, min_ndim=1), lambda s: st.fixed_dictionaries(
         {'p': st.sampled_from([1.0, 2.0]), 'dim': dim_of(len(s[0]))})), covers=['F.normalize'])
_both('cosine_similarity', lambda a, b, dim: F.cosine_similarity(a, b, dim),
      lambda a, b, dim: TF.cosine_similarity(a, b, dim),
      case(tensors(2, min_ndim=1), lambda s: st.fixed_dictionaries(
          {'dim': dim_of(max(len(n) for n in s))})), 'CosineSimilarity')
_both('pairwise_distance', lambda a, b, p, keepdim: F.pairwise_distance(a, b, p,
                                                                         keepdim=keepdim),
      lambda a, b, p, keepdim: TF.pairwise_distance(a, b, p, keepdim=keepdim),
      case(tensors(2, min_ndim=1, max_ndim=2), _kw(p=st.sampled_from([1.0, 2.0]),
                                                  keepdim=st.booleans())), 'PairwiseDistance')


# ---------------------------------------------------------------- embedding, one_hot, dropout
@st.composite
def _embedding_case(draw):
    vocab, dim = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    index = draw(shapes(0, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    idx = Input(rng.integers(0, vocab, index), grad=False)
    w = draw(inputs_of([(vocab, dim)], 'f'))[0]
    return Case([idx, w], {'padding_idx': draw(st.sampled_from([None, 0]))})


spec('F.embedding', F.embedding, TF.embedding, _embedding_case(), covers=['F.embedding'])
spec('nn.Embedding', _layer(lambda nn, x, vocab, dim, padding_idx: nn.Embedding(
    vocab, dim, padding_idx=padding_idx)), _layer(lambda nn, x, vocab, dim, padding_idx:
                                                  nn.Embedding(vocab, dim, padding_idx)),
     _seeded(_embedding_case().map(lambda c: Case(c.inputs[:1], {
         'vocab': c.inputs[1].values.shape[0], 'dim': c.inputs[1].values.shape[1],
         'padding_idx': c.kwargs['padding_idx']}))), covers=['nn.Embedding'])
@st.composite
def _one_hot_case(draw):
    high = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    index = Input(rng.integers(0, high, draw(shapes(0, 2))), grad=False)
    return Case([index], {'n': draw(st.sampled_from([-1, high, high + 1]))})


spec('F.one_hot', lambda t, n: F.one_hot(t, n), lambda t, n: TF.one_hot(t, n), _one_hot_case(),
     covers=['F.one_hot'], grad=False)


for _dims in (1, 2, 3):
    _name = f'dropout{_dims}d'
    _both(_name, lambda x, p, training, n=_name: getattr(F, n)(x * 1, p, training),
          lambda x, p, training, n=_name: getattr(TF, n)(x * 1, p, training),
          case(tensors(1, min_ndim=_dims + 1, max_ndim=_dims + 2, broadcast=False),
               _kw(p=st.sampled_from([0.0, 1.0]), training=st.booleans())),
          f'Dropout{_dims}d', layer_args=lambda kw: {'p': kw['p']} if not kw['training'] else
          {'p': 0.0})


# ---------------------------------------------------------------- resizing, padding, windows
@st.composite
def _interpolate_case(draw):
    dims = draw(st.integers(1, 2))
    shape = draw(st.sampled_from(BATCH[:3])) + (draw(st.integers(1, 2)),) + tuple(
        draw(st.integers(1, 4)) for _ in range(dims))
    mode = draw(st.sampled_from(['nearest', 'nearest-exact', 'area',
                                 'linear' if dims == 1 else 'bilinear']))
    kwargs = {'mode': mode}
    if draw(st.booleans()):
        kwargs['size'] = draw(st.integers(1, 5))
    else:       # (0.5 only where it leaves an output: PyTorch checks none for a batch of 0)
        kwargs['scale_factor'] = draw(st.sampled_from([0.5, 1.5, 2.0, 3.0] if min(shape[2:]) > 1
                                                      else [1.5, 2.0, 3.0]))
    if mode in ('linear', 'bilinear'):
        kwargs['align_corners'] = draw(st.booleans())
    return Case(draw(inputs_of([shape], 'f')), kwargs)


spec('F.interpolate', F.interpolate, TF.interpolate, _interpolate_case(),
     covers=['F.interpolate', 'nn.Upsample', 'nn.UpsamplingNearest2d',
             'nn.UpsamplingBilinear2d'])
spec('nn.Upsample', lambda x, **kw: mdl.nn.Upsample(**kw)(x),
     lambda x, **kw: torch.nn.Upsample(**kw)(x), _interpolate_case())


@st.composite
def _pad_case(draw):
    mode = draw(st.sampled_from(['constant', 'reflect', 'replicate', 'circular']))
    shape = draw(shapes(2, 4)) if mode != 'constant' else draw(shapes(0, 4))
    widths = draw(st.lists(st.integers(0, 2), max_size=2 * min(len(shape), 3)))
    kwargs = {'pad': tuple(widths), 'mode': mode}
    if mode == 'constant':
        kwargs['value'] = draw(st.sampled_from([0.0, 1.5]))
    return Case(draw(inputs_of([shape], 'f')), kwargs)


spec('F.pad modes', F.pad, TF.pad, _pad_case())


@st.composite
def _unfold_case(draw):
    c = draw(_conv_case(2))
    x = c.inputs[0]
    if x.values.ndim == 3:
        x = Input(x.values[None], x.layout)
    kernel = c.inputs[1].values.shape[2:]
    return Case([x], {'kernel_size': kernel, 'dilation': c.kwargs['dilation'],
                      'padding': draw(st.integers(0, 1)), 'stride': c.kwargs['stride']})


_both('unfold', F.unfold, TF.unfold, _unfold_case(), 'Unfold')


@st.composite
def _fold_case(draw):
    k, s = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    out = (draw(st.integers(k, 4)), draw(st.integers(k, 4)))
    blocks = ((out[0] - k) // s + 1) * ((out[1] - k) // s + 1)
    shape = draw(st.sampled_from([(1,), (2,)])) + (draw(st.integers(1, 2)) * k * k, blocks)
    return Case(draw(inputs_of([shape], 'f')), {'output_size': out, 'kernel_size': k,
                                                'stride': s})


_both('fold', F.fold, TF.fold, _fold_case(), 'Fold')
for _dims in (1, 2):
    _both(f'adaptive_max_pool{_dims}d', getattr(F, f'adaptive_max_pool{_dims}d'),
          getattr(TF, f'adaptive_max_pool{_dims}d'), _pool_case(_dims, 'adaptive'),
          f'AdaptiveMaxPool{_dims}d')


# ---------------------------------------------------------------- shape and transposed layers
spec('nn.Unflatten', lambda x, dim, sizes: mdl.nn.Unflatten(dim, sizes)(x),
     lambda x, dim, sizes: torch.nn.Unflatten(dim, sizes)(x),
     case(tensors(1, min_ndim=1), lambda s: st.integers(0, len(s[0]) - 1).map(
         lambda d: {'dim': d, 'sizes': (1, s[0][d]) if s[0][d] % 2 else (2, s[0][d] // 2)})),
     covers=['nn.Unflatten'])


def _transposed_layer(dims):
    def build(nn, x, weight_shape, output_padding, **kw):
        c_in = x.shape[1] if x.ndim == dims + 2 else x.shape[0]
        return getattr(nn, f'ConvTranspose{dims}d')(
            c_in, weight_shape[1] * kw['groups'], weight_shape[2:], output_padding=output_padding,
            **kw, dtype=x.dtype)
    return build


@st.composite
def _transposed_layer_case(draw, dims):
    c = draw(_conv_case(dims, transposed=True))
    return Case(c.inputs[:1], {**c.kwargs, 'bias': len(c.inputs) == 3,
                               'weight_shape': c.inputs[1].values.shape})


for _dims in (1, 2):
    spec(f'nn.ConvTranspose{_dims}d', _layer(_transposed_layer(_dims)),
         _layer(_transposed_layer(_dims)), _seeded(_transposed_layer_case(_dims)),
         covers=[f'nn.ConvTranspose{_dims}d'], tol=(1e-4, 1e-5))
