"""minidl.nn: Module registry, state_dict, modes, devices, lazy Dense, layers against PyTorch,
gradient checks with parameters, initialisation, repr, error messages and gradient clipping."""
import collections
import math

import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
from minidl.nn import init
from tests.conftest import to_numpy


def randn(*shape, device='cpu', dtype=None, requires_grad=False):
    return mdl.randn(*shape, device=device, dtype=dtype, requires_grad=requires_grad)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.register_buffer('steps', mdl.zeros(1))
        self.scale = nn.Parameter(mdl.ones(1))
        self.register_buffer('scratch', mdl.zeros(2), persistent=False)
        self.head = nn.Sequential(nn.Flatten(), nn.Dense(8, 3))

    def forward(self, x):
        return self.head(self.conv(x) * self.scale)


# ---------------------------------------------------------------- registry
def test_parameter_is_a_slotted_tensor():
    p = nn.Parameter(mdl.zeros(2, 3))
    assert isinstance(p, mdl.Tensor) and p.requires_grad and p.is_leaf
    assert not hasattr(p, '__dict__')
    assert repr(p).startswith('Parameter containing:\ntensor(')
    assert not nn.Parameter(mdl.zeros(2), requires_grad=False).requires_grad
    t = mdl.zeros(3)
    assert nn.Parameter(t).array is t.array        # shares the array, as torch
    assert type((p * 2)) is mdl.Tensor            # results of operations are plain Tensors


def test_registration_order_and_dotted_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        'scale', 'conv.weight', 'conv.bias', 'head.1.weight', 'head.1.bias']
    assert [n for n, _ in net.named_buffers()] == ['steps', 'scratch']
    assert list(net.state_dict()) == ['scale', 'steps', 'conv.weight', 'conv.bias',
                                      'head.1.weight', 'head.1.bias']
    assert [n for n, _ in net.named_children()] == ['conv', 'head']
    assert [n for n, _ in net.named_modules()] == ['', 'conv', 'head', 'head.0', 'head.1']
    assert all(b is not p for b in net.buffers() for p in net.parameters())
    assert net.num_parameters() == 1 + 2 * 9 + 2 + 8 * 3 + 3
    net.conv.requires_grad_(False)
    assert net.num_parameters(trainable_only=True) == 1 + 24 + 3


def test_shared_parameters_listed_once():
    a = nn.Dense(3, 3)
    model = nn.Sequential(a, nn.ReLU(), a)
    assert [n for n, _ in model.named_parameters()] == ['0.weight', '0.bias']
    assert list(model.state_dict()) == ['0.weight', '0.bias', '2.weight', '2.bias']   # as torch
    model.load_state_dict(model.state_dict())
    assert len(list(model.modules())) == 3
    assert model.num_parameters() == 12


def test_attribute_rules():
    m = Net()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        m.scale = mdl.ones(1)
    m.steps = mdl.ones(1)                     # buffers take Tensors
    assert 'steps' in dict(m.named_buffers())
    m.conv = nn.Conv2d(1, 2, 3)                # re-assigning keeps the registration place
    assert [n for n, _ in m.named_children()] == ['conv', 'head']
    del m.scale
    assert 'scale' not in dict(m.named_parameters())
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        m.nope

    class Forgot(nn.Module):
        def __init__(self):
            self.layer = nn.ReLU()
    with pytest.raises(AttributeError, match=r'super\(\).__init__\(\)'):
        Forgot()


def test_sequential_forms_indexing_and_append():
    layers = [nn.Dense(4, 3), nn.ReLU(), nn.Dense(3, 2)]
    for model in (nn.Sequential(*layers), nn.Sequential(layers)):
        assert len(model) == 3 and model[0] is layers[0] and model[-1] is layers[2]
        assert list(model) == layers
        tail = model[1:]
        assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
        assert [n for n, _ in tail.named_children()] == ['1', '2']
    named = nn.Sequential(collections.OrderedDict([('fc', layers[0]), ('act', layers[1])]))
    assert [n for n, _ in named.named_parameters()] == ['fc.weight', 'fc.bias']
    model = nn.Sequential(layers).append(nn.Softmax(dim=1))
    assert len(model) == 4 and isinstance(model[3], nn.Softmax)
    assert model(randn(5, 4)).shape == (5, 2)
    with pytest.raises(IndexError):
        model[4]
    with pytest.raises(TypeError, match='not a Module'):
        nn.Sequential([nn.Dense(2, 2), mdl.functional.relu])
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.append(nn.Sigmoid())
    assert len(ml) == 3 and isinstance(ml[-1], nn.Sigmoid) and len(ml[:2]) == 2


# ---------------------------------------------------------------- state_dict
def test_state_dict_round_trip(device):
    a, b = Net().to(device), Net().to(device)
    x = randn(2, 1, 4, 4, device=device)
    assert not np.allclose(to_numpy(a(x)), to_numpy(b(x)))
    sd = a.state_dict()
    assert all(type(v) is mdl.Tensor and not v.requires_grad for v in sd.values())
    assert sd['conv.weight'].array is a.conv.weight.array       # references, as PyTorch
    weight, array = b.conv.weight, b.conv.weight.array
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.conv.weight is weight and b.conv.weight.array is array    # copied in place
    np.testing.assert_array_equal(to_numpy(a(x)), to_numpy(b(x)))
    numpy_sd = {k: to_numpy(v) for k, v in a.state_dict().items()}  # NumPy arrays work too
    Net().load_state_dict(numpy_sd)


def test_load_state_dict_strict_errors_list_everything():
    model = nn.Sequential(nn.Dense(4, 3), nn.ReLU(), nn.Dense(3, 2))
    sd = model.state_dict()
    sd = {k: v for k, v in sd.items() if k != '2.bias'}
    sd['0.weight'] = np.zeros((3, 5), dtype=np.float32)
    sd['extra'] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(sd)
    text = str(info.value)
    assert 'Missing key(s) in state_dict: "2.bias"' in text
    assert 'Unexpected key(s) in state_dict: "extra"' in text
    assert 'size mismatch for 0.weight' in text and '(3, 5)' in text and '(3, 4)' in text
    del sd['0.weight']
    sd['0.weight'] = model[0].weight.detach()
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert missing == ['2.bias'] and unexpected == ['extra']
    bn = nn.BatchNorm1d(2)
    bad = dict(bn.state_dict(), num_batches_tracked=np.float32(1.5))
    with pytest.raises(RuntimeError, match='dtype mismatch for num_batches_tracked'):
        bn.load_state_dict(bad)


def test_load_state_dict_casts_and_builds_lazy_dense():
    src = nn.Sequential(nn.Flatten(), nn.Dense(12, 5))
    dst = nn.Sequential(nn.Flatten(), nn.Dense(5))
    assert [p.shape for p in dst.parameters()] == [(5, 0), (5,)]   # placeholders
    dst.load_state_dict({k: to_numpy(v).astype(np.float64) for k, v in src.state_dict().items()})
    assert dst[1].in_features == 12 and dst[1].weight.dtype == np.float32
    x = randn(2, 3, 4)
    np.testing.assert_array_equal(to_numpy(src(x)), to_numpy(dst(x)))
    with pytest.raises(RuntimeError, match='Missing key.*"1.weight", "1.bias"'):
        nn.Sequential(nn.Flatten(), nn.Dense(5)).load_state_dict({})


# ---------------------------------------------------------------- modes
def test_train_eval_dropout(device):
    model = nn.Sequential(nn.Dense(4, 4), nn.Sequential(nn.Dropout(0.5)))
    assert model.training and model[1][0].training
    assert model.eval() is model and not model[1][0].training
    x = mdl.ones(1000, device=device)
    drop = model[1][0]
    np.testing.assert_array_equal(to_numpy(drop(x)), 1)
    model.train()
    out = to_numpy(drop(x))
    assert set(np.unique(out)) == {0.0, 2.0} and 400 < (out == 0).sum() < 600
    with pytest.raises(ValueError, match=r'p must be a number in \[0, 1\]'):
        nn.Dropout(1.5)


def test_batchnorm_running_stats_only_in_training(device):
    bn = nn.BatchNorm1d(3).to(device)
    assert [n for n, _ in bn.named_parameters()] == ['weight', 'bias']
    assert list(bn.state_dict()) == ['weight', 'bias', 'running_mean', 'running_var',
                                     'num_batches_tracked']
    assert bn.num_batches_tracked.dtype == np.int64
    x = randn(8, 3, device=device) * 2 + 1
    bn(x)
    xn = to_numpy(x)
    np.testing.assert_allclose(to_numpy(bn.running_mean), 0.1 * xn.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(bn.running_var), 0.9 + 0.1 * xn.var(0, ddof=1),
                               rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    before = to_numpy(bn.running_mean).copy()
    out = bn(x)
    np.testing.assert_array_equal(to_numpy(bn.running_mean), before)
    assert int(bn.num_batches_tracked.item()) == 1
    expected = (xn - before) / np.sqrt(to_numpy(bn.running_var) + 1e-5)
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-4, atol=1e-5)


def test_batchnorm_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm2d(2, momentum=None)
    xs = [randn(3, 2, 2, 2) + i for i in range(3)]
    for x in xs:
        bn(x)
    means = [to_numpy(x).mean((0, 2, 3)) for x in xs]
    np.testing.assert_allclose(to_numpy(bn.running_mean), np.mean(means, 0), rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 3


# ---------------------------------------------------------------- devices and dtypes
def test_to_keeps_parameter_identity(device):
    model = Net()
    params = list(model.parameters())
    model(randn(2, 1, 4, 4)).sum().backward()
    assert model.to(mdl.float64) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert model.steps.dtype == np.float64
    model.to(device)
    assert all(p.device == mdl.backend.canonical_device(device) for p in model.parameters())
    assert model.steps.device == mdl.backend.canonical_device(device)
    out = model(randn(2, 1, 4, 4, device=device, dtype=mdl.float64))
    assert out.dtype == np.float64
    model.float().cpu()
    assert all(p.dtype == np.float32 and p.device == 'cpu' for p in params)
    bn = nn.BatchNorm2d(2).double()
    assert bn.num_batches_tracked.dtype == np.int64 and bn.running_var.dtype == np.float64
    with pytest.raises(TypeError, match='floating-point'):
        model.to(mdl.int64)


def test_zero_grad_apply_requires_grad():
    model = nn.Sequential(nn.Dense(3, 2), nn.Dense(2, 1))
    model(randn(4, 3)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(np.all(to_numpy(p.grad) == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ['Dense', 'Dense', 'Sequential']
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


# ---------------------------------------------------------------- lazy Dense
def test_lazy_dense_builds_on_first_call(device):
    layer = nn.Dense(4)
    assert not layer.built and [p.shape for p in layer.parameters()] == [(4, 0), (4,)]
    assert 'in_features=None' in repr(layer)
    x = randn(3, 7, device=device, dtype=mdl.float64)
    y = layer(x)
    assert y.shape == (3, 4) and layer.in_features == 7
    assert layer.weight.shape == (4, 7) and layer.weight.dtype == np.float64
    assert layer.weight.device == x.device
    assert nn.Linear is nn.Dense and nn.Dense(7, 4, bias=False).bias is None
    assert nn.Dense(out_features=3).out_features == 3


def test_lazy_dense_respects_to_before_build():
    model = nn.Sequential(nn.Dense(2)).double()
    model.summary((3,), print_fn=None)            # the dry run uses the dtype asked for
    assert model[0].weight.dtype == np.float64
    model = nn.Sequential(nn.Dense(2)).double()
    model.load_state_dict({'0.weight': np.ones((2, 3), np.float32), '0.bias': np.zeros(2)})
    assert model[0].weight.dtype == np.float64 and model[0].in_features == 3


# ---------------------------------------------------------------- layers against PyTorch
LAYERS = [
    ('dense', lambda m: m.Linear(5, 3), (4, 5)),
    ('dense_3d_nobias', lambda m: m.Linear(5, 3, bias=False), (2, 3, 5)),
    ('conv1d', lambda m: m.Conv1d(2, 4, 3, stride=2, padding=1), (2, 2, 9)),
    ('conv1d_dil', lambda m: m.Conv1d(2, 2, 2, dilation=2, groups=2), (1, 2, 7)),
    ('conv2d', lambda m: m.Conv2d(2, 4, 3, padding=1), (2, 2, 5, 5)),
    ('conv2d_grid', lambda m: m.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0),
                                       dilation=(1, 2), groups=2), (2, 4, 6, 6)),
    ('conv2d_same', lambda m: m.Conv2d(2, 3, 3, padding='same', bias=False), (1, 2, 4, 5)),
    ('maxpool1d', lambda m: m.MaxPool1d(2), (2, 3, 8)),
    ('maxpool2d', lambda m: m.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    ('maxpool2d_ceil', lambda m: m.MaxPool2d(2, ceil_mode=True), (1, 2, 5, 5)),
    ('avgpool1d', lambda m: m.AvgPool1d(3, stride=2, padding=1), (2, 3, 8)),
    ('avgpool2d', lambda m: m.AvgPool2d(2), (2, 3, 6, 4)),
    ('adaptive1d', lambda m: m.AdaptiveAvgPool1d(3), (2, 3, 7)),
    ('adaptive2d', lambda m: m.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
    ('flatten', lambda m: m.Flatten(), (2, 3, 2, 2)),
    ('identity', lambda m: m.Identity(), (2, 3)),
    ('relu', lambda m: m.ReLU(), (3, 4)),
    ('leaky_relu', lambda m: m.LeakyReLU(0.2), (3, 4)),
    ('elu', lambda m: m.ELU(0.5), (3, 4)),
    ('gelu', lambda m: m.GELU(), (3, 4)),
    ('gelu_tanh', lambda m: m.GELU(approximate='tanh'), (3, 4)),
    ('sigmoid', lambda m: m.Sigmoid(), (3, 4)),
    ('tanh', lambda m: m.Tanh(), (3, 4)),
    ('softmax', lambda m: m.Softmax(dim=1), (3, 4)),
    ('log_softmax', lambda m: m.LogSoftmax(dim=-1), (2, 3, 4)),
    ('batchnorm1d', lambda m: m.BatchNorm1d(3), (4, 3)),
    ('batchnorm1d_seq', lambda m: m.BatchNorm1d(3), (4, 3, 5)),
    ('batchnorm2d', lambda m: m.BatchNorm2d(3), (4, 3, 3, 3)),
    ('batchnorm2d_noaffine', lambda m: m.BatchNorm2d(2, affine=False, momentum=None),
     (3, 2, 2, 2)),
]
IDS = [case[0] for case in LAYERS]


def _ours(make, device, dtype=mdl.float32):
    layer = make(nn).to(device, dtype)
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)) and layer.affine:
        init.uniform_(layer.weight, 0.5, 1.5)       # make the affine part non-trivial
        init.uniform_(layer.bias, -0.5, 0.5)
    return layer


@pytest.mark.parametrize('name,make,shape', LAYERS, ids=IDS)
def test_layer_matches_torch(name, make, shape, device):
    torch = pytest.importorskip('torch')
    ours = _ours(make, device)
    theirs = make(torch.nn)
    theirs.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in ours.state_dict().items()})
    x = randn(*shape, device=device)
    for _ in range(2):                             # twice: running statistics evolve
        out = ours(x)
        expected = theirs(torch.tensor(to_numpy(x)))
        np.testing.assert_allclose(to_numpy(out), expected.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(to_numpy(ours.state_dict()[k]), v.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=k)
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(to_numpy(ours(x)), theirs(torch.tensor(to_numpy(x))).detach()
                               .numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name,make,shape', LAYERS, ids=IDS)
def test_layer_gradcheck_with_parameters(name, make, shape, device):
    layer = _ours(make, device, mdl.float64)
    x = randn(*shape, device=device, dtype=mdl.float64, requires_grad=True)
    params = list(layer.parameters())
    assert mdl.gradcheck(lambda x, *ps: layer(x), [x] + params)


def test_global_avg_pool_and_unbatched_pool(device):
    x = randn(2, 3, 4, 5, device=device)
    out = nn.GlobalAvgPool()(x)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(to_numpy(out), to_numpy(x).mean((2, 3)), rtol=1e-5, atol=1e-6)
    assert nn.GlobalAvgPool()(randn(2, 3, 8, device=device)).shape == (2, 3)
    x64 = randn(2, 2, 3, 3, device=device, dtype=mdl.float64, requires_grad=True)
    assert mdl.gradcheck(nn.GlobalAvgPool(), [x64])
    pool = nn.MaxPool2d()
    np.testing.assert_array_equal(to_numpy(pool(x[0])), to_numpy(pool(x))[0])
    assert pool.stride == 2 and nn.MaxPool1d().kernel_size == 2


def test_dropout_gradcheck_in_training(device):
    drop = nn.Dropout(0.3)
    x = randn(4, 5, device=device, dtype=mdl.float64, requires_grad=True)

    def fn(x):
        mdl.manual_seed(1)            # the same mask for every evaluation
        return drop(x)
    assert mdl.gradcheck(fn, [x])


LOSSES = [
    ('cross_entropy', lambda m, t: m.CrossEntropyLoss(weight=t([1.0, 2.0, 0.5]),
                                                      label_smoothing=0.1), 'class'),
    ('cross_entropy_ignore', lambda m, t: m.CrossEntropyLoss(ignore_index=1,
                                                             reduction='sum'), 'class'),
    ('nll', lambda m, t: m.NLLLoss(), 'class'),
    ('mse', lambda m, t: m.MSELoss(), 'same'),
    ('l1', lambda m, t: m.L1Loss(reduction='none'), 'same'),
    ('bce_logits', lambda m, t: m.BCEWithLogitsLoss(pos_weight=t([2.0, 1.0, 0.5])), 'prob'),
]


@pytest.mark.parametrize('name,make,kind', LOSSES, ids=[c[0] for c in LOSSES])
def test_losses_match_torch_and_gradcheck(name, make, kind, device):
    torch = pytest.importorskip('torch')
    x = randn(5, 3, device=device, dtype=mdl.float64, requires_grad=True)
    if kind == 'class':
        target = mdl.tensor([0, 2, 1, 1, 2], device=device)
    elif kind == 'prob':
        target = mdl.rand(5, 3, device=device, dtype=mdl.float64)
    else:
        target = randn(5, 3, device=device, dtype=mdl.float64)
    ours = make(nn, lambda v: mdl.tensor(v, dtype=mdl.float64)).to(device)
    theirs = make(torch.nn, lambda v: torch.tensor(v, dtype=torch.float64))
    expected = theirs(torch.tensor(to_numpy(x)), torch.tensor(to_numpy(target)))
    np.testing.assert_allclose(to_numpy(ours(x, target)), expected.numpy(), rtol=1e-6,
                               atol=1e-8)
    assert mdl.gradcheck(lambda x: ours(x, target), [x])


# ---------------------------------------------------------------- initialisation
def test_default_init_bounds_and_seeding():
    layer = nn.Dense(64, 200)
    for p in (layer.weight, layer.bias):
        values = to_numpy(p)
        assert np.abs(values).max() <= 1 / 8 and np.abs(values).max() > 0.95 / 8
    conv = nn.Conv2d(3, 16, 5)
    bound = 1 / math.sqrt(3 * 25)
    assert np.abs(to_numpy(conv.weight)).max() <= bound
    assert np.abs(to_numpy(conv.bias)).max() <= bound
    bn = nn.BatchNorm2d(4)
    assert np.all(to_numpy(bn.weight) == 1) and np.all(to_numpy(bn.bias) == 0)
    mdl.manual_seed(3)
    a = to_numpy(nn.Dense(5, 5).weight)
    mdl.manual_seed(3)
    np.testing.assert_array_equal(a, to_numpy(nn.Dense(5, 5).weight))


def test_init_functions_statistics(device):
    w = mdl.zeros(400, 300, device=device)
    fan_in, fan_out = 300, 400
    assert init.kaiming_uniform_(w, nonlinearity='relu') is w
    bound = math.sqrt(6 / fan_in)
    values = to_numpy(w)
    assert np.abs(values).max() <= bound and abs(values.std() - bound / math.sqrt(3)) < 0.01 * bound
    init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')
    assert abs(to_numpy(w).std() / math.sqrt(2 / fan_out) - 1) < 0.02
    init.xavier_uniform_(w)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(to_numpy(w)).max() <= bound
    init.xavier_normal_(w, gain=2.0)
    assert abs(to_numpy(w).std() / (2 * math.sqrt(2 / (fan_in + fan_out))) - 1) < 0.02
    init.uniform_(w, -2, 3)
    assert to_numpy(w).min() >= -2 and to_numpy(w).max() < 3
    init.normal_(w, 1.0, 0.5)
    assert abs(to_numpy(w).mean() - 1) < 0.01 and abs(to_numpy(w).std() - 0.5) < 0.01
    d = mdl.zeros(3, 4, dtype=mdl.float64, device=device)
    init.constant_(d, 2.5)
    assert d.dtype == np.float64 and np.all(to_numpy(d) == 2.5)
    assert np.all(to_numpy(init.ones_(d)) == 1) and np.all(to_numpy(init.zeros_(d)) == 0)
    assert init.kaiming_uniform_(d).dtype == np.float64 and w.device == d.device
    assert init.calculate_gain('relu') == math.sqrt(2)
    assert init.calculate_gain('tanh') == 5 / 3
    assert init.calculate_gain('leaky_relu', 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match='fewer than 2 dimensions'):
        init.xavier_uniform_(mdl.zeros(3))


# ---------------------------------------------------------------- repr and errors
def test_repr_like_pytorch():
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Sequential(nn.Flatten(), nn.Dense(64, 10)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (3): Sequential(\n"
        "    (0): Flatten(start_dim=1, end_dim=-1)\n"
        "    (1): Dense(in_features=64, out_features=10, bias=True)\n"
        "  )\n"
        ")")
    assert repr(nn.BatchNorm1d(4)) == ('BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, '
                                       'track_running_stats=True)')
    assert repr(nn.Conv1d(2, 4, 3, groups=2, bias=False)) == \
        'Conv1d(2, 4, kernel_size=(3,), stride=(1,), groups=2, bias=False)'


def test_layer_input_errors_name_layer_and_shapes():
    conv = nn.Conv2d(1, 16, 3)
    # (2, 8, 8) reads as one sample of 2 channels, as in PyTorch; the hint says what was meant
    with pytest.raises(ValueError, match=r"Conv2d\(1, 16, kernel_size=\(3, 3\).*expected input "
                                         r"of shape \(N, 1, H, W\) or \(1, H, W\).*got shape "
                                         r"\(2, 8, 8\).*unsqueeze\(1\)"):
        conv(mdl.zeros(2, 8, 8))
    with pytest.raises(ValueError, match=r"Conv2d.*\(N, 1, H, W\) or \(1, H, W\) with 1 "
                                         r"channels.*\(2, 3, 8, 8\) \(3 channels\)"):
        conv(mdl.zeros(2, 3, 8, 8))
    dense = nn.Dense(64, 10)
    with pytest.raises(ValueError, match=r"Dense\(in_features=64.*expected input of shape "
                                         r"\(N, 64\).*got shape \(2, 4, 4, 4\).*Flatten\(\)"):
        dense(mdl.zeros(2, 4, 4, 4))
    with pytest.raises(ValueError, match=r'got shape \(2, 32\) \(last dimension 32\)$'):
        dense(mdl.zeros(2, 32))
    with pytest.raises(TypeError, match='input must be a minidl Tensor.*mdl.tensor'):
        dense(np.zeros((2, 64)))
    with pytest.raises(ValueError, match=r'BatchNorm2d\(3.*\(N, 3, H, W\).*\(4, 3, 5\)'):
        nn.BatchNorm2d(3)(mdl.zeros(4, 3, 5))
    with pytest.raises(ValueError, match=r'MaxPool2d.*\(N, C, H, W\) or \(C, H, W\)'):
        nn.MaxPool2d()(mdl.zeros(4, 4))
    with pytest.raises(ValueError, match="padding_mode must be one of 'zeros', 'reflect'"):
        nn.Conv2d(1, 1, 3, padding_mode='mirror')
    with pytest.raises(ValueError, match='divisible by groups'):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match='more than 1 value per channel'):
        nn.BatchNorm1d(3)(mdl.zeros(1, 3))


# ---------------------------------------------------------------- gradient clipping
def test_clip_grad_norm_and_value(device):
    ps = [nn.Parameter(mdl.zeros(3, device=device)), nn.Parameter(mdl.zeros(2, 2, device=device)),
          nn.Parameter(mdl.zeros(1, device=device))]
    g0, g1 = np.array([3.0, 0.0, -4.0]), np.array([[1.0, -2.0], [2.0, 0.0]])
    ps[0].grad, ps[1].grad = (mdl.tensor(g.astype(np.float32), device=device) for g in (g0, g1))
    total = nn.utils.clip_grad_norm_(ps, max_norm=3.0)
    norm = math.sqrt(25 + 9)
    assert abs(total.item() - norm) < 1e-5 and total.dtype == np.float32
    np.testing.assert_allclose(to_numpy(ps[0].grad), g0 * 3 / (norm + 1e-6), rtol=1e-6)
    new = math.sqrt(sum(float((to_numpy(p.grad) ** 2).sum()) for p in ps[:2]))
    assert abs(new - 3.0) < 1e-4
    assert abs(nn.utils.clip_grad_norm_(ps, 10.0).item() - new) < 1e-5     # no change below
    assert abs(new - math.sqrt(sum(float((to_numpy(p.grad) ** 2).sum()) for p in ps[:2]))) < 1e-6
    ps[0].grad = mdl.tensor([3.0, -7.0, 1.0], device=device)
    assert nn.utils.clip_grad_norm_(ps, 1.0, norm_type='inf').item() == 7.0
    nn.utils.clip_grad_value_(ps, 0.1)
    assert all(np.abs(to_numpy(p.grad)).max() <= 0.1 for p in ps[:2])
    ps[0].grad = mdl.tensor([float('nan'), 1.0, 1.0], device=device)
    with pytest.raises(RuntimeError, match='non-finite'):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert nn.utils.clip_grad_norm_([nn.Parameter(mdl.zeros(1))], 1.0).item() == 0.0


def test_functional_reachable_from_nn():
    import minidl.nn.functional as F1
    from minidl.nn import functional as F2
    assert F1 is F2 is mdl.functional is nn.functional


def test_optimizer_built_before_a_lazy_dense_still_trains_it():
    from minidl import nn, optim
    model = nn.Sequential([nn.Flatten(), nn.Dense(3)])
    assert model[1].weight.shape == (3, 0)
    for make in (lambda p: optim.Adam(p, lr=0.1), lambda p: optim.Adagrad(p, lr=0.1),
                 lambda p: optim.SGD(p, lr=0.1, momentum=0.9)):
        model = nn.Sequential([nn.Flatten(), nn.Dense(3)])
        opt = make(model.parameters())
        weight = model[1].weight
        x = mdl.randn(4, 2, 2)
        model(x).sum().backward()
        assert weight.shape == (3, 4) and model[1].weight is weight
        before = weight.array.copy()
        opt.step()
        assert not np.allclose(weight.array, before)
