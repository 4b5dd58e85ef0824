"""Issue 14's layers: containers (ModuleDict, ParameterList, ParameterDict), LayerNorm,
GroupNorm, Embedding, Upsample, Unflatten, Dropout1d/2d/3d, the other activations and losses.

PyTorch's constructor signatures, defaults, parameter shapes, initialisation and repr; summary
rows; values and gradients against PyTorch with the same weights (skipped without torch).
"""
import inspect
import math

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
import minidl.nn as nn
from tests.conftest import to_numpy
from tests.test_summary import rows


# ---------------------------------------------------------------- containers
def test_module_dict_registers_in_order_and_behaves_as_a_dict(device):
    d = nn.ModuleDict({'conv': nn.Conv2d(1, 2, 3), 'act': nn.ReLU()})
    d['head'] = nn.Dense(4, 2)
    d.update([('norm', nn.LayerNorm(2))])
    assert list(d) == list(d.keys()) == ['conv', 'act', 'head', 'norm']
    assert 'head' in d and len(d) == 4 and isinstance(d['act'], nn.ReLU)
    assert list(d.state_dict()) == ['conv.weight', 'conv.bias', 'head.weight', 'head.bias',
                                    'norm.weight', 'norm.bias']
    popped = d.pop('act')
    assert isinstance(popped, nn.ReLU) and 'act' not in d
    d.to(device)
    assert all(p.device == mdl.backend.canonical_device(device) for p in d.parameters())
    with pytest.raises(TypeError, match='keys must be strings'):
        d[1] = nn.ReLU()
    with pytest.raises(TypeError, match='not a Module'):
        d['f'] = F.relu
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []


def test_parameter_list_and_dict(device):
    weights = nn.ParameterList([mdl.zeros(2, 3), nn.Parameter(mdl.ones(3))])
    weights.append(mdl.randn(4))
    assert [tuple(p.shape) for p in weights] == [(2, 3), (3,), (4,)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in weights)
    assert list(weights.state_dict()) == ['0', '1', '2'] and len(weights) == 3
    assert weights[-1] is list(weights.parameters())[-1]
    weights[0] = mdl.ones(5)
    assert tuple(weights[0].shape) == (5,)
    table = nn.ParameterDict({'scale': mdl.ones(3)})
    table['shift'] = nn.Parameter(mdl.zeros(3))
    assert list(table.state_dict()) == ['scale', 'shift'] and table['scale'].requires_grad

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights, self.table = weights, table

    model = Model().to(device)
    assert len(list(model.parameters())) == 5
    assert list(model.state_dict())[:2] == ['weights.0', 'weights.1']
    assert table['shift'].device == mdl.backend.canonical_device(device)
    assert repr(table) == ('ParameterDict((scale): Parameter containing: [float32 of size 3'
                           + ('' if device == 'cpu' else f" ({table['scale'].device})")
                           + '], (shift): Parameter containing: [float32 of size 3'
                           + ('' if device == 'cpu' else f" ({table['scale'].device})") + '])')
    with pytest.raises(TypeError, match="entry 'x' must be a Parameter or a Tensor"):
        table['x'] = 3.0


def test_containers_have_pytorchs_methods():
    torch = pytest.importorskip('torch')
    for ours, theirs in ((nn.ModuleDict, torch.nn.ModuleDict),
                         (nn.ParameterDict, torch.nn.ParameterDict),
                         (nn.ParameterList, torch.nn.ParameterList)):
        wanted = {'keys', 'items', 'values', 'pop', 'update', 'clear', 'get', 'append', 'extend'}
        missing = {m for m in wanted if hasattr(theirs, m) and not hasattr(ours, m)}
        assert not missing, f"{ours.__name__} lacks {missing}"


# ---------------------------------------------------------------- construction and repr
LAYERS = {    # constructor call (the same in minidl and PyTorch), PyTorch's repr
    'LayerNorm(5)': 'LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)',
    'LayerNorm((3, 4), elementwise_affine=False)':
        'LayerNorm((3, 4), eps=1e-05, elementwise_affine=False, bias=False)',
    'LayerNorm(4, bias=False)': 'LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)',
    'GroupNorm(2, 4)': 'GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)',
    'GroupNorm(2, 4, affine=False)': 'GroupNorm(2, 4, eps=1e-05, affine=False, bias=False)',
    'Embedding(10, 3)': 'Embedding(10, 3)',
    'Embedding(10, 3, padding_idx=0, max_norm=1.0)':
        'Embedding(10, 3, padding_idx=0, max_norm=1.0)',
    'Upsample(scale_factor=2)': "Upsample(scale_factor=2.0, mode='nearest')",
    "Upsample(size=(4, 5), mode='bilinear')": "Upsample(size=(4, 5), mode='bilinear')",
    'UpsamplingBilinear2d(size=3)': "UpsamplingBilinear2d(size=3, mode='bilinear')",
    'UpsamplingNearest2d(scale_factor=2)': "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')",
    'Unflatten(1, (2, 3))': 'Unflatten(dim=1, unflattened_size=(2, 3))',
    'Dropout1d()': 'Dropout1d(p=0.5, inplace=False)',
    'Dropout2d(0.3)': 'Dropout2d(p=0.3, inplace=False)',
    'Dropout3d()': 'Dropout3d(p=0.5, inplace=False)',
    'SiLU()': 'SiLU()', 'SiLU(inplace=True)': 'SiLU(inplace=True)', 'Mish()': 'Mish()',
    'Hardtanh()': 'Hardtanh(min_val=-1.0, max_val=1.0)',
    'Hardtanh(-2.0, 2.0, True)': 'Hardtanh(min_val=-2.0, max_val=2.0, inplace=True)',
    'ReLU6()': 'ReLU6()', 'Hardsigmoid()': 'Hardsigmoid()', 'Hardswish()': 'Hardswish()',
    'LogSigmoid()': 'LogSigmoid()', 'Softplus()': 'Softplus(beta=1.0, threshold=20.0)',
    'Softsign()': 'Softsign()', 'Tanhshrink()': 'Tanhshrink()', 'CELU()': 'CELU(alpha=1.0)',
    'SELU(inplace=True)': 'SELU(inplace=True)', 'PReLU()': 'PReLU(num_parameters=1)',
    'PReLU(3)': 'PReLU(num_parameters=3)',
    'ModuleDict({"a": nn.ReLU()})': 'ModuleDict(\n  (a): ReLU()\n)',
    'CosineSimilarity()': 'CosineSimilarity()', 'PairwiseDistance()': 'PairwiseDistance()',
    'Softmin(1)': 'Softmin(dim=1)', 'Threshold(0.1, 20.0)': 'Threshold(threshold=0.1, value=20.0)',
    'Threshold(0.1, 20.0, True)': 'Threshold(threshold=0.1, value=20.0, inplace=True)',
    'Hardshrink()': 'Hardshrink(0.5)', 'Softshrink(0.3)': 'Softshrink(0.3)',
    'GLU()': 'GLU(dim=-1)',
    'AdaptiveMaxPool2d(3)': 'AdaptiveMaxPool2d(output_size=3)',
    'AdaptiveMaxPool1d(3, return_indices=True)': 'AdaptiveMaxPool1d(output_size=3)',
}


@pytest.mark.parametrize('call', sorted(LAYERS))
def test_repr_is_pytorchs(call):
    assert repr(eval('nn.' + call)) == LAYERS[call]


def test_repr_table_is_what_pytorch_prints():
    torch = pytest.importorskip('torch')
    for call, expected in LAYERS.items():
        assert repr(eval('torch.nn.' + call, {'torch': torch, 'nn': torch.nn})) == expected


NEW_LAYERS = ['LayerNorm', 'GroupNorm', 'Embedding', 'Upsample', 'Unflatten', 'Dropout1d',
              'Dropout2d', 'Dropout3d', 'SiLU', 'Mish', 'Hardtanh', 'ReLU6', 'Hardsigmoid',
              'Hardswish', 'LogSigmoid', 'Softplus', 'Softsign', 'Tanhshrink', 'CELU', 'SELU',
              'PReLU', 'ModuleDict', 'ParameterList', 'ParameterDict', 'SmoothL1Loss',
              'HuberLoss', 'KLDivLoss', 'BCELoss', 'UpsamplingNearest2d', 'UpsamplingBilinear2d',
              'CosineSimilarity', 'PairwiseDistance', 'Softmin', 'Threshold', 'Hardshrink',
              'Softshrink', 'GLU', 'AdaptiveMaxPool1d', 'AdaptiveMaxPool2d', 'ConvTranspose1d',
              'ConvTranspose2d', 'Fold', 'Unfold', 'Conv1d', 'Conv2d']


@pytest.mark.parametrize('name', NEW_LAYERS)
def test_constructor_signature_is_pytorchs(name):
    torch = pytest.importorskip('torch')
    ours = inspect.signature(getattr(nn, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.nn, name).__init__).parameters
    # PyTorch's deprecated arguments, and Module's (*args, **kwargs) that option-less layers
    # inherit
    deprecated = {'size_average', 'reduce', 'min_value', 'max_value', 'args', 'kwargs'}
    expected = [p for p in theirs if p not in deprecated]
    assert list(ours) == expected
    for p in expected:
        default = theirs[p].default
        assert ours[p].default == default or (ours[p].default is None and default is None), p


def test_parameter_shapes_and_initialisation():
    mdl.manual_seed(0)
    ln, gn = nn.LayerNorm((3, 4)), nn.GroupNorm(2, 6)
    assert ln.weight.shape == ln.bias.shape == (3, 4) and gn.weight.shape == (6,)
    assert np.all(to_numpy(ln.weight) == 1) and np.all(to_numpy(gn.bias) == 0)
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    assert nn.GroupNorm(1, 2, bias=False).bias is None
    emb = nn.Embedding(2000, 50, padding_idx=3)
    values = to_numpy(emb.weight)
    assert values.shape == (2000, 50) and np.all(values[3] == 0)
    assert abs(values.mean()) < 0.01 and abs(values.std() - 1) < 0.01     # N(0, 1)
    prelu = nn.PReLU(4, init=0.1)
    np.testing.assert_allclose(to_numpy(prelu.weight), [0.1] * 4, rtol=1e-6)
    assert nn.Embedding(3, 2, dtype=mdl.float64).weight.dtype == np.float64


def test_embedding_from_pretrained_shares_and_freezes():
    table = mdl.randn(4, 3)
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad and np.shares_memory(emb.weight.array, table.array)
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    np.testing.assert_array_equal(to_numpy(emb(mdl.tensor([2, 0]))), to_numpy(table)[[2, 0]])


# ---------------------------------------------------------------- values against PyTorch
def _same_weights(ours, theirs, torch):
    theirs.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in ours.state_dict().items()})
    return theirs


def _check_layer(ours, theirs, x, torch, rtol=1e-6):
    """Same output and same input and parameter gradients as the PyTorch layer."""
    ours.train(theirs.training)
    mine = mdl.tensor(x, requires_grad=x.dtype.kind == 'f')
    yours = torch.tensor(x, requires_grad=x.dtype.kind == 'f')
    out, expected = ours(mine), theirs(yours)
    np.testing.assert_allclose(to_numpy(out), expected.detach().numpy(), rtol=rtol, atol=1e-6)
    dtype = x.dtype if x.dtype.kind == 'f' else np.float32
    upstream = np.random.default_rng(5).standard_normal(expected.shape).astype(dtype)
    out.backward(mdl.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    if x.dtype.kind == 'f':
        np.testing.assert_allclose(to_numpy(mine.grad), yours.grad.numpy(), rtol=rtol, atol=1e-6)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(to_numpy(p.grad), q.grad.numpy(), rtol=rtol, atol=1e-6,
                                   err_msg=name)


LAYER_CASES = [   # constructor call, input shape (ints: class indices below 10)
    ('LayerNorm(6)', (4, 3, 6)), ('LayerNorm((3, 6), eps=1e-3)', (4, 3, 6)),
    ('GroupNorm(3, 6)', (2, 6, 4, 4)), ('GroupNorm(2, 4, affine=False)', (2, 4, 5)),
    ('Embedding(10, 4, padding_idx=2)', 'int'), ('PReLU(6)', (2, 6, 3)), ('PReLU()', (5, 4)),
    ("Upsample(scale_factor=2, mode='bilinear', align_corners=True)", (1, 2, 3, 4)),
    ("Upsample(size=(5, 7), mode='bilinear')", (1, 2, 3, 4)),
    ('Upsample(scale_factor=3)', (1, 2, 3, 4)),
    ('UpsamplingBilinear2d(scale_factor=2)', (1, 2, 3, 3)), ('Unflatten(1, (3, -1))', (2, 12)),
    ('SiLU()', (3, 7)), ('Mish()', (3, 7)), ('Hardtanh(-2.0, 1.5)', (3, 7)), ('ReLU6()', (3, 7)),
    ('Hardsigmoid()', (3, 7)), ('Hardswish()', (3, 7)), ('LogSigmoid()', (3, 7)),
    ('Softplus(beta=2.0, threshold=5.0)', (3, 7)), ('Softsign()', (3, 7)),
    ('Tanhshrink()', (3, 7)), ('CELU(0.5)', (3, 7)), ('SELU()', (3, 7)),
    ('Threshold(0.2, -1.0)', (3, 7)), ('Hardshrink(0.7)', (3, 7)), ('Softshrink()', (3, 7)),
    ('Softmin(dim=1)', (3, 7)), ('GLU(dim=1)', (3, 8)),
    ('AdaptiveMaxPool2d((2, 3))', (2, 3, 5, 7)),
    ('AdaptiveMaxPool1d(4)', (2, 3, 9)), ('AdaptiveMaxPool2d(2)', (3, 4, 4)),
]


@pytest.mark.parametrize('call, shape', LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layer_matches_torch(call, shape):
    torch = pytest.importorskip('torch')
    mdl.manual_seed(1)
    ours = eval('nn.' + call)
    theirs = _same_weights(ours, eval('torch.nn.' + call, {'torch': torch}), torch)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, (3, 5)) if shape == 'int' else \
        (rng.standard_normal(shape) * 3).astype(np.float32)
    _check_layer(ours, theirs, x, torch, rtol=1e-5)


LOSS_CASES = [('SmoothL1Loss(beta=0.5)', 'float'),
              ("HuberLoss(delta=2.0, reduction='sum')", 'float'),
              ("KLDivLoss(reduction='batchmean')", 'probabilities'),
              ('KLDivLoss(log_target=True)', 'log-probabilities'), ('BCELoss()', 'binary')]


@pytest.mark.filterwarnings("ignore:.*'batchmean'")     # KLDivLoss's 'mean', in both
@pytest.mark.parametrize('call, kind', LOSS_CASES, ids=[c[0] for c in LOSS_CASES])
def test_loss_modules_match_torch(call, kind):
    torch = pytest.importorskip('torch')
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 5)) * 2
    target = {'float': rng.standard_normal((4, 5)), 'probabilities': rng.dirichlet(np.ones(5), 4),
              'log-probabilities': np.log(rng.dirichlet(np.ones(5), 4)),
              'binary': rng.uniform(0, 1, (4, 5))}[kind]
    if kind != 'float':
        x = np.log(rng.dirichlet(np.ones(5), 4)) if kind != 'binary' else rng.uniform(0.05, 0.95,
                                                                                    (4, 5))
    mine, yours = mdl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = eval('nn.' + call)(mine, mdl.tensor(target))
    expected = eval('torch.nn.' + call, {'torch': torch})(yours, torch.tensor(target))
    np.testing.assert_allclose(to_numpy(out), expected.detach().numpy(), rtol=1e-10)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(to_numpy(mine.grad), yours.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_loss_module_options_are_checked():
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be one of"):
        nn.KLDivLoss(reduction='avg')
    with pytest.raises(ValueError, match='SmoothL1Loss: beta must be a number >= 0'):
        nn.SmoothL1Loss(beta=-1)
    assert repr(nn.HuberLoss(reduction='sum')) == "HuberLoss(reduction='sum')"


# ---------------------------------------------------------------- behaviour
def test_layers_run_on_every_device(device):
    model = nn.Sequential(nn.Embedding(12, 6, padding_idx=0), nn.LayerNorm(6), nn.SiLU(),
                          nn.Unflatten(2, (2, 3)), nn.Flatten(), nn.Dense(24, 8), nn.PReLU(),
                          nn.Unflatten(1, (2, 2, 2)), nn.GroupNorm(1, 2), nn.Hardswish(),
                          nn.Upsample(scale_factor=2, mode='bilinear'), nn.Dropout2d(0.2),
                          nn.Flatten(), nn.Dense(32, 3)).to(device)
    tokens = mdl.tensor(np.random.default_rng(0).integers(0, 12, (5, 4)), device=device)
    loss = F.cross_entropy(model(tokens), mdl.tensor([0, 1, 2, 0, 1], device=device))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.device == p.device, name
    assert np.all(to_numpy(model[0].weight.grad)[0] == 0)           # the padding row


def test_summary_rows_for_the_new_layers(device):
    model = nn.Sequential(nn.Embedding(10, 4), nn.LayerNorm(4), nn.Unflatten(2, (2, 2)),
                          nn.GroupNorm(1, 5), nn.Upsample(scale_factor=2), nn.PReLU(5),
                          nn.Dropout2d(), nn.Flatten(), nn.Dense(3)).to(device)
    table = model.summary((5,), print_fn=None)       # an Embedding first: int64 indices
    assert rows(table) == {
        '0 (Embedding)': ('(None, 5, 4)', 40), '1 (LayerNorm)': ('(None, 5, 4)', 8),
        '2 (Unflatten)': ('(None, 5, 2, 2)', 0), '3 (GroupNorm)': ('(None, 5, 2, 2)', 10),
        '4 (Upsample)': ('(None, 5, 4, 4)', 0), '5 (PReLU)': ('(None, 5, 4, 4)', 5),
        '6 (Dropout2d)': ('(None, 5, 4, 4)', 0), '7 (Flatten)': ('(None, 80)', 0),
        '8 (Dense)': ('(None, 3)', 243)}
    assert 'Total params: 306' in table


def test_relu_inplace_is_honoured_with_pytorchs_rules(device):
    x = mdl.randn(3, 4, device=device, requires_grad=True)
    # (LeakyReLU is left out here: on main, F.leaky_relu(inplace=True) keeps no copy of the
    # input its backward reads; branch semantics fixes that)
    for layer in (nn.ReLU(inplace=True), nn.ELU(inplace=True), nn.Hardtanh(inplace=True),
                  nn.SiLU(inplace=True), nn.SELU(inplace=True)):
        hidden = x * 2
        assert layer(hidden) is hidden
        hidden.sum().backward()
        expected = layer.__class__()(x * 2)
        mine, = mdl.grad(expected.sum(), x)
        np.testing.assert_allclose(to_numpy(x.grad), to_numpy(mine), rtol=1e-6)
        x.grad = None
    with pytest.raises(RuntimeError, match='leaf Variable that requires grad'):
        nn.ReLU(inplace=True)(mdl.randn(3, device=device, requires_grad=True))


def test_dropout_layers_follow_train_and_eval():
    x = mdl.rand(6, 8, 3, 3) + 1
    layer = nn.Dropout2d(0.5)
    ratio = (to_numpy(layer(x)) / to_numpy(x)).reshape(6, 8, -1)
    assert np.allclose(ratio, ratio[..., :1])        # one factor (0 or 2) per channel
    assert layer.eval()(x) is x
    with pytest.raises(ValueError, match=r'Dropout1d: p must be a number in \[0, 1\]'):
        nn.Dropout1d(1.5)


def test_unflatten_errors():
    with pytest.raises(ValueError, match=r"don't multiply up to the size of dim 1 \(12\)"):
        nn.Unflatten(1, (5, 2))(mdl.randn(2, 12))
    with pytest.raises(ValueError, match='at most one -1'):
        nn.Unflatten(1, (-1, -1))
    with pytest.raises(IndexError, match='dim 3 is out of range'):
        nn.Unflatten(3, (2, 6))(mdl.randn(2, 12))
    assert nn.Unflatten(-1, (3, 4))(mdl.randn(2, 12)).shape == (2, 3, 4)


def test_group_norm_channel_mismatch_message():
    with pytest.raises(ValueError, match=r'expected an input of shape \(N, 4, \*\)'):
        nn.GroupNorm(2, 4)(mdl.randn(2, 6, 3))
    with pytest.raises(ValueError, match=r'num_channels \(6\) must be divisible by num_groups'):
        nn.GroupNorm(4, 6)


def test_embedding_summary_counts_and_max_norm_layer():
    emb = nn.Embedding(5, 2, max_norm=1.0)
    emb(mdl.tensor([0, 1, 2, 3, 4]))
    norms = np.linalg.norm(to_numpy(emb.weight), axis=1)
    assert np.all(norms <= 1 + 1e-6) and emb.num_parameters() == 10
    assert math.isclose(float(norms.max()), 1.0, rel_tol=1e-4)


def test_distance_layers_take_two_inputs():
    a, b = mdl.randn(4, 3), mdl.randn(4, 3)
    np.testing.assert_array_equal(to_numpy(nn.CosineSimilarity(dim=1)(a, b)),
                                  to_numpy(F.cosine_similarity(a, b, 1)))
    np.testing.assert_array_equal(to_numpy(nn.PairwiseDistance(p=1.0, keepdim=True)(a, b)),
                                  to_numpy(F.pairwise_distance(a, b, 1.0, keepdim=True)))


# ---------------------------------------------------------------- convolution layers
CONV_REPRS = {
    'ConvTranspose2d(2, 3, 3)': 'ConvTranspose2d(2, 3, kernel_size=(3, 3), stride=(1, 1))',
    'ConvTranspose1d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, '
    'dilation=2)': 'ConvTranspose1d(2, 4, kernel_size=(3,), stride=(2,), padding=(1,), '
                   'dilation=(2,), output_padding=(1,), groups=2, bias=False)',
    "Conv2d(2, 3, 3, padding=1, padding_mode='reflect')":
        'Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=reflect)',
    "Conv1d(2, 3, 3, padding='same', padding_mode='circular')":
        'Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=same, padding_mode=circular)',
    'Fold(4, 2)': 'Fold(output_size=4, kernel_size=2, dilation=1, padding=0, stride=1)',
    'Unfold(2, padding=1)': 'Unfold(kernel_size=2, dilation=1, padding=1, stride=1)',
}


@pytest.mark.parametrize('call', sorted(CONV_REPRS))
def test_conv_layer_reprs_are_pytorchs(call):
    assert repr(eval('nn.' + call)) == CONV_REPRS[call]
    torch = pytest.importorskip('torch')
    assert repr(eval('torch.nn.' + call, {'torch': torch})) == CONV_REPRS[call]


def test_conv_transpose_parameters_and_initialisation():
    mdl.manual_seed(0)
    layer = nn.ConvTranspose2d(16, 8, (3, 2), groups=2)
    assert layer.weight.shape == (16, 4, 3, 2) and layer.bias.shape == (8,)
    bound = 1 / math.sqrt(4 * 3 * 2)                 # fan_in = weight.shape[1] * kernel
    weights = to_numpy(layer.weight)
    assert weights.max() <= bound and weights.min() >= -bound and weights.max() > 0.9 * bound
    assert np.abs(to_numpy(layer.bias)).max() <= bound
    with pytest.raises(ValueError, match='only padding_mode="zeros"'):
        nn.ConvTranspose2d(2, 3, 3, padding_mode='reflect')
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(2, 3, 3, padding_mode='mirror')


CONV_CASES = [
    ('ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)', (2, 4, 5, 4)),
    ('ConvTranspose2d(3, 2, (2, 3), dilation=2, bias=False)', (1, 3, 4, 4)),
    ('ConvTranspose1d(3, 4, 4, stride=3, padding=2)', (2, 3, 6)),
    ("Conv2d(3, 4, 3, padding=2, padding_mode='reflect')", (2, 3, 6, 5)),
    ("Conv2d(3, 4, (3, 4), padding='same', padding_mode='replicate', dilation=2)", (2, 3, 9, 9)),
    ("Conv2d(2, 4, 3, stride=2, padding=(1, 2), padding_mode='circular', groups=2)",
     (2, 2, 7, 6)),
    ("Conv1d(3, 2, 5, padding=2, padding_mode='reflect')", (2, 3, 8)),
    ("Conv1d(3, 2, 3, padding='same', padding_mode='circular')", (2, 3, 5)),
    ('Unfold((2, 3), dilation=(2, 1), padding=1, stride=2)', (2, 3, 6, 7)),
]


@pytest.mark.parametrize('call, shape', CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_layers_match_torch(call, shape):
    torch = pytest.importorskip('torch')
    mdl.manual_seed(2)
    ours = eval('nn.' + call)
    theirs = _same_weights(ours, eval('torch.nn.' + call, {'torch': torch}), torch)
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    _check_layer(ours, theirs, x, torch, rtol=1e-4)


def test_conv_transpose_output_size(device):
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).to(device)
    x = mdl.randn(1, 2, 4, 4, device=device)
    assert layer(x).shape == (1, 3, 7, 7)
    assert layer(x, output_size=(8, 8)).shape == layer(x, output_size=[1, 3, 8, 8]).shape \
        == (1, 3, 8, 8)
    with pytest.raises(ValueError, match=r'valid sizes range from \[7, 7\] to \[8, 8\]'):
        layer(x, output_size=(10, 10))
    # the transposed convolution undoes a strided convolution's shape
    down = nn.Conv2d(3, 2, 3, stride=2, padding=1).to(device)
    image = mdl.randn(1, 3, 8, 8, device=device)
    assert layer(down(image), output_size=image.shape).shape == image.shape


def test_padding_modes_pad_then_convolve(device):
    x = mdl.randn(2, 3, 6, 5, device=device, requires_grad=True)
    for mode in ('reflect', 'replicate', 'circular'):
        layer = nn.Conv2d(3, 4, 3, padding=1, padding_mode=mode).to(device)
        expected = F.conv2d(F.pad(x, (1, 1, 1, 1), mode=mode), layer.weight, layer.bias)
        np.testing.assert_allclose(to_numpy(layer(x)), to_numpy(expected), rtol=1e-6)
        assert layer(x).shape == (2, 4, 6, 5)
    layer = nn.Conv1d(3, 2, 3, padding=1, padding_mode='reflect').double().to(device)
    xs = mdl.randn(1, 3, 5, dtype=mdl.float64, device=device, requires_grad=True)
    assert mdl.gradcheck(lambda t: layer(t), [xs])


def test_summary_of_an_encoder_decoder(device):
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, padding_mode='reflect'), nn.ReLU(),
                          nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),
                          nn.ConvTranspose2d(8, 4, 2, stride=2), nn.ReLU(),
                          nn.Conv2d(4, 1, 1)).to(device)
    assert rows(model.summary((1, 8, 8), print_fn=None)) == {
        '0 (Conv2d)': ('(None, 4, 8, 8)', 40), '1 (ReLU)': ('(None, 4, 8, 8)', 0),
        '2 (Conv2d)': ('(None, 8, 4, 4)', 296), '3 (ReLU)': ('(None, 8, 4, 4)', 0),
        '4 (ConvTranspose2d)': ('(None, 4, 8, 8)', 132), '5 (ReLU)': ('(None, 4, 8, 8)', 0),
        '6 (Conv2d)': ('(None, 1, 8, 8)', 5)}
