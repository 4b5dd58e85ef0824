"""Specs of convolution and pooling (functional and layers) and of the layers with parameters:
Dense/Linear, Conv1d/2d, BatchNorm1d/2d and the pools (see registry.py).

A layer spec builds the layer in each framework, fills its parameters and buffers with the
same values, runs it, and returns its output, the gradients of its parameters (for a fixed
random upstream gradient) and its buffers afterwards, so all of them are compared.

Inputs are batched (N, C, ...) with N from 0 to 2, or unbatched (C, ...), as PyTorch takes them.
"""
import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import assume, strategies as st

import minidl as mdl
import minidl.functional as F

from .draw import Case, inputs_of
from .registry import spec

BATCH = ((0,), (1,), (2,), ())        # the lead dims before the channels: () is unbatched


# ---------------------------------------------------------------- convolution
@st.composite
def _conv_case(draw, dims, transposed=False):
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    stride, dilation = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    x_shape = draw(st.sampled_from(BATCH)) + (c_in,) + spatial
    w_shape = ((c_in, c_out // groups) if transposed else (c_out, c_in // groups)) + kernel
    shape_list = [x_shape, w_shape] + ([(c_out,)] if draw(st.booleans()) else [])
    inputs = draw(inputs_of(shape_list, 'f', same_dtype=True))
    kwargs = {'stride': stride, 'dilation': dilation, 'groups': groups,
              'padding': draw(st.sampled_from([0, 1] if transposed else [0, 1, 'same', 'valid']))}
    if transposed:
        # (an invalid output_padding only with samples: PyTorch checks none for a batch of 0)
        empty = x_shape[0] == 0 and len(x_shape) == dims + 2
        kwargs['output_padding'] = draw(st.integers(0, max(stride, dilation) - empty))
        # (a transposed output of size 0: PyTorch gives an empty tensor, minidl refuses; to
        # compare when convolution is redesigned)
        assume(all((n - 1) * stride - 2 * kwargs['padding'] + dilation * (k - 1) +
                   kwargs['output_padding'] + 1 > 0 for n, k in zip(spatial, kernel)))
    return Case(inputs, kwargs)


for _dims in (1, 2):
    for _name in (f'conv{_dims}d', f'conv_transpose{_dims}d'):
        spec(f'F.{_name}', getattr(F, _name), getattr(TF, _name),
             _conv_case(_dims, 'transpose' in _name), covers=[f'F.{_name}'], smooth=True,
             tol=(1e-4, 1e-5), grad_tol=(1e-3, 1e-4))


# ---------------------------------------------------------------- pooling
@st.composite
def _pool_case(draw, dims, kind):
    lead = draw(st.sampled_from(BATCH)) + (draw(st.integers(1, 2)),)
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    # integers too for max pooling in 2-D (PyTorch's max_pool1d has no integer kernel)
    x = draw(inputs_of([lead + spatial], 'fi' if (kind, dims) == ('max', 2) else 'f'))
    if kind == 'adaptive':
        size = draw(st.integers(1, 4))
        return Case(x, {'output_size': size if dims == 1 or draw(st.booleans()) else (size, 2)})
    k = draw(st.integers(1, 3))
    kwargs = {'kernel_size': k, 'stride': draw(st.sampled_from([None, 1, 2])),
              'padding': draw(st.integers(0, k // 2 + (draw(st.integers(0, 9)) == 0))),
              'ceil_mode': draw(st.booleans())}
    if kind == 'max':
        # no dilation with padding: a window wholly in the padding makes PyTorch's backward
        # write out of bounds (it aborts)
        kwargs['dilation'] = 1 if kwargs['padding'] else draw(st.integers(1, 2))
    else:
        kwargs['count_include_pad'] = draw(st.booleans())
    return Case(x, kwargs)


for _dims in (1, 2):
    for _kind, _name in (('max', f'max_pool{_dims}d'), ('avg', f'avg_pool{_dims}d'),
                         ('adaptive', f'adaptive_avg_pool{_dims}d')):
        spec(f'F.{_name}', getattr(F, _name), getattr(TF, _name), _pool_case(_dims, _kind),
             covers=[f'F.{_name}'])
    spec(f'F.max_pool{_dims}d indices', lambda x, n=_dims, **kw: getattr(F, f'max_pool{n}d')(
        x, return_indices=True, **kw), lambda x, n=_dims, **kw: getattr(TF, f'max_pool{n}d')(
        x, return_indices=True, **kw), _pool_case(_dims, 'max'))


# ---------------------------------------------------------------- layers
def _state(layer):
    return sorted(layer.state_dict(keep_vars=True).items())


def _fill(layer, seed):
    """The same values in every parameter and buffer of ``layer`` in both frameworks."""
    rng = np.random.default_rng(seed)
    for name, t in _state(layer):
        if name == 'num_batches_tracked':
            continue
        v = rng.standard_normal(tuple(t.shape))
        v = np.abs(v) + 0.5 if 'var' in name else v
        if isinstance(t, torch.Tensor):
            with torch.no_grad():
                t.copy_(torch.from_numpy(v))
        else:
            t.array[...] = v


def _layer(build):
    """A spec function: the layer from build(nn, x, **kw), filled; returns its output, its
    parameters' gradients and its buffers."""
    def run(x, seed, train=True, **kw):
        fw = torch if isinstance(x, torch.Tensor) else mdl
        layer = build(fw.nn, x, **kw).train(train)
        _fill(layer, seed)
        out = layer(x)
        params = [t for _, t in _state(layer) if t.requires_grad]
        grads = ()
        if params and out.requires_grad:
            up = np.random.default_rng(1).standard_normal(tuple(out.shape))
            up = torch.from_numpy(up).to(out.dtype) if fw is torch else mdl.tensor(up).to(
                dtype=out.dtype)
            grads = fw.autograd.grad(out, params, up, retain_graph=True, allow_unused=True) \
                if fw is torch else mdl.grad(out, params, up, retain_graph=True,
                                             allow_unused=True)
        buffers = [t * 1 for name, t in _state(layer) if not t.requires_grad]
        return (out, *grads, *buffers)
    return run


def _seeded(case_strategy, **extra):
    @st.composite
    def draw_case(draw):
        c = draw(case_strategy)
        c.kwargs.update(seed=draw(st.integers(0, 2 ** 16)), **{k: draw(v)
                                                              for k, v in extra.items()})
        return c
    return draw_case()


@st.composite
def _dense_case(draw):
    lead, n_in = draw(st.sampled_from([(), (2,), (2, 1), (0,)])), draw(st.integers(1, 3))
    x = draw(inputs_of([lead + (n_in,)], 'f'))
    return Case(x, {'out': draw(st.integers(1, 3)), 'bias': draw(st.booleans())})


for _layer_name in ('Dense', 'Linear'):
    spec(f'nn.{_layer_name}', _layer(lambda nn, x, out, bias, n=_layer_name: (
        nn.Linear if nn is torch.nn else getattr(nn, n))(x.shape[-1], out, bias, dtype=x.dtype)),
         _layer(lambda nn, x, out, bias: nn.Linear(x.shape[-1], out, bias, dtype=x.dtype)),
         _seeded(_dense_case()), covers=[f'nn.{_layer_name}'])


def _conv_layer(dims):
    def build(nn, x, weight_shape, **kw):
        c_in = x.shape[1] if x.ndim == dims + 2 else x.shape[0]
        return getattr(nn, f'Conv{dims}d')(c_in, weight_shape[0], weight_shape[2:], **kw,
                                           dtype=x.dtype)
    return build


@st.composite
def _conv_layer_case(draw, dims):
    c = draw(_conv_case(dims))
    x, w = c.inputs[0], c.inputs[1]
    c.kwargs['bias'] = len(c.inputs) == 3
    c.kwargs['weight_shape'] = w.values.shape
    return Case([x], c.kwargs)


for _dims in (1, 2):
    spec(f'nn.Conv{_dims}d', _layer(_conv_layer(_dims)), _layer(_conv_layer(_dims)),
         _seeded(_conv_layer_case(_dims)), covers=[f'nn.Conv{_dims}d'], tol=(1e-4, 1e-5))


@st.composite
def _bn_case(draw, dims):
    shape = draw(st.sampled_from([(2, 3), (3, 2, 4), (1, 3)] if dims == 1 else
                                 [(2, 3, 2, 2), (1, 2, 1, 1)]))
    x = draw(inputs_of([shape], 'f'))
    return Case(x, {'momentum': draw(st.sampled_from([0.1, None])),
                    'affine': draw(st.booleans()),
                    'track_running_stats': draw(st.booleans())})


for _dims in (1, 2):
    spec(f'nn.BatchNorm{_dims}d', _layer(lambda nn, x, d=_dims, **kw: getattr(
        nn, f'BatchNorm{d}d')(x.shape[1], **kw, dtype=x.dtype)),
         _layer(lambda nn, x, d=_dims, **kw: getattr(nn, f'BatchNorm{d}d')(
             x.shape[1], **kw, dtype=x.dtype)),
         _seeded(_bn_case(_dims), train=st.booleans()), covers=[f'nn.BatchNorm{_dims}d'],
         grad_tol=(1e-3, 1e-4))

_POOLS = {'MaxPool': 'max', 'AvgPool': 'avg', 'AdaptiveAvgPool': 'adaptive'}
for _dims in (1, 2):
    for _layer_name, _kind in _POOLS.items():
        _full = f'{_layer_name}{_dims}d'
        spec(f'nn.{_full}', lambda x, n=_full, **kw: getattr(mdl.nn, n)(**kw)(x),
             lambda x, n=_full, **kw: getattr(torch.nn, n)(**kw)(x),
             _pool_case(_dims, _kind), covers=[f'nn.{_full}'])
