"""ONNX export: every supported layer and the examples' models run in onnxruntime and give
minidl's outputs to 1e-5 (float32) on two batch sizes, and pass onnx.checker; an operation
without an ONNX form, or a forward that a fixed graph cannot hold, is a clear error."""
import os
import re
import runpy
import subprocess
import sys

import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl import functional as F

onnx = pytest.importorskip('onnx', reason="the [onnx] extra is not installed (pip install -e "
                                          "'.[onnx]')")
ort = pytest.importorskip('onnxruntime', reason="onnxruntime (in the [onnx] extra) is not "
                                                "installed")
from minidl.onnx import ExportError, export  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCHES = (1, 6)


def randomize_batch_norm(model):
    """Running statistics and affine parameters away from their initial 0/1, so that the
    exported per-channel affine map is tested for real."""
    gen = np.random.default_rng(1)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.running_mean.array[...] = gen.normal(size=c)
            m.running_var.array[...] = gen.uniform(0.5, 2.0, size=c)
            if m.affine:
                m.weight.array[...] = gen.normal(size=c)
                m.bias.array[...] = gen.normal(size=c)
    return model


def run_onnx(path, *inputs):
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, {n: x.numpy() for n, x in zip(names, inputs)})


def check_export(model, shapes, tmp_path, opset=None, batches=BATCHES):
    """Export on a batch of 3, then compare onnxruntime with minidl (eval mode) on random
    batches of each size in ``batches``; returns the ModelProto."""
    shapes = [shapes] if isinstance(shapes[0], int) else shapes
    path = tmp_path / 'model.onnx'
    kwargs = {} if opset is None else {'opset': opset}
    proto = export(model, tuple(mdl.randn(3, *s) for s in shapes), path, **kwargs)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    model.eval()
    for n in batches:
        inputs = [mdl.randn(n, *s) for s in shapes]
        with mdl.no_grad():
            expected = model(*inputs)
        expected = expected if isinstance(expected, tuple) else (expected,)
        got = run_onnx(path, *inputs)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape and g.dtype == e.dtype
            np.testing.assert_allclose(g, e.numpy(), rtol=1e-5, atol=1e-5)
    return proto


class Functional(nn.Module):
    """A layer made of a functional op, for the ops that have no layer (yet)."""

    def __init__(self, fn, *params):
        super().__init__()
        self.fn = fn
        for k, p in enumerate(params):
            setattr(self, f'p{k}', nn.Parameter(mdl.randn(*p)))

    def forward(self, x):
        return self.fn(x, *[getattr(self, f'p{k}') for k in range(len(self._parameters))])


LAYERS = {
    # convolutions: stride, padding (incl. 'same' with an even kernel), dilation, groups
    'conv2d': (lambda: nn.Conv2d(3, 4, 3), (3, 9, 9)),
    'conv2d_stride_pad': (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (3, 9, 8)),
    'conv2d_same_even': (lambda: nn.Conv2d(2, 3, 4, padding='same'), (2, 7, 7)),
    'conv2d_dilated': (lambda: nn.Conv2d(2, 3, 3, padding=2, dilation=2), (2, 8, 9)),
    'conv2d_groups': (lambda: nn.Conv2d(4, 6, 3, groups=2, bias=False), (4, 6, 6)),
    'conv2d_depthwise': (lambda: nn.Conv2d(4, 4, (2, 3), groups=4, stride=(1, 2)), (4, 6, 7)),
    'conv2d_wide': (lambda: nn.Conv2d(64, 64, 3, padding=1), (64, 12, 12)),
    'conv1d': (lambda: nn.Conv1d(2, 4, 5, padding=2), (2, 20)),
    'conv1d_stride': (lambda: nn.Conv1d(2, 4, 3, stride=2), (2, 21)),
    'conv1d_same_dilated': (lambda: nn.Conv1d(2, 4, 4, padding='same', dilation=2), (2, 15)),
    'conv1d_groups': (lambda: nn.Conv1d(4, 8, 3, groups=4), (4, 10)),
    'conv_transpose2d': (lambda: Functional(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        (3, 4, 3, 3), (4,)), (3, 5, 6)),
    'conv_transpose2d_groups_dilation': (lambda: Functional(
        lambda x, w: F.conv_transpose2d(x, w, stride=(2, 1), output_padding=1, groups=2,
                                        dilation=2),
        (4, 3, 2, 3)), (4, 4, 5)),
    'conv_transpose1d': (lambda: Functional(
        lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=2, output_padding=2),
        (2, 3, 4), (3,)), (2, 9)),
    # pooling, incl. padding and ceil_mode
    'max_pool2d': (lambda: nn.MaxPool2d(2), (3, 8, 8)),
    'max_pool2d_pad': (lambda: nn.MaxPool2d(3, stride=2, padding=1), (3, 9, 8)),
    'max_pool2d_ceil': (lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), (3, 8, 10)),
    'max_pool2d_ceil_odd': (lambda: nn.MaxPool2d(2, ceil_mode=True), (3, 7, 9)),
    'max_pool2d_dilated': (lambda: nn.MaxPool2d(2, stride=1, dilation=2), (2, 7, 7)),
    'max_pool1d': (lambda: nn.MaxPool1d(2), (3, 11)),
    'max_pool1d_ceil': (lambda: nn.MaxPool1d(3, 2, padding=1, ceil_mode=True), (3, 10)),
    'avg_pool2d': (lambda: nn.AvgPool2d(2), (3, 8, 8)),
    'avg_pool2d_pad': (lambda: nn.AvgPool2d(3, stride=2, padding=1), (3, 9, 8)),
    'avg_pool2d_pad_exclude': (lambda: nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
                               (3, 9, 8)),
    'avg_pool2d_ceil': (lambda: nn.AvgPool2d(3, stride=2, ceil_mode=True), (2, 8, 10)),
    'avg_pool2d_divisor': (lambda: nn.AvgPool2d(2, divisor_override=3), (2, 6, 6)),
    'avg_pool1d': (lambda: nn.AvgPool1d(3, 2, padding=1, ceil_mode=True), (3, 10)),
    'adaptive_avg_pool2d_global': (lambda: nn.AdaptiveAvgPool2d(1), (3, 5, 7)),
    'adaptive_avg_pool2d_equal': (lambda: nn.AdaptiveAvgPool2d(2), (3, 8, 6)),
    'adaptive_avg_pool2d_uneven': (lambda: nn.AdaptiveAvgPool2d((2, 3)), (3, 7, 8)),
    'adaptive_avg_pool1d': (lambda: nn.AdaptiveAvgPool1d(3), (3, 10)),
    'global_avg_pool': (lambda: nn.GlobalAvgPool(), (3, 5, 4)),
    # dense, normalisation, dropout, flatten
    'dense': (lambda: nn.Dense(6, 4), (6,)),
    'dense_lazy_3d': (lambda: nn.Dense(5), (4, 6)),
    'linear_no_bias': (lambda: nn.Linear(6, 3, bias=False), (6,)),
    'batch_norm1d': (lambda: randomize_batch_norm(nn.BatchNorm1d(4)), (4,)),
    'batch_norm1d_length': (lambda: randomize_batch_norm(nn.BatchNorm1d(4)), (4, 7)),
    'batch_norm2d': (lambda: randomize_batch_norm(nn.BatchNorm2d(3)), (3, 5, 5)),
    'batch_norm2d_no_affine': (lambda: randomize_batch_norm(nn.BatchNorm2d(3, affine=False)),
                               (3, 4, 4)),
    'dropout': (lambda: nn.Sequential([nn.Dropout(0.5), nn.Dense(5, 2)]), (5,)),
    'flatten': (lambda: nn.Flatten(), (3, 4, 5)),
    'flatten_middle': (lambda: nn.Flatten(2, 3), (3, 4, 5)),
    # activations
    'relu': (lambda: nn.ReLU(), (4, 5)),
    'leaky_relu': (lambda: nn.LeakyReLU(0.2), (4, 5)),
    'elu': (lambda: nn.ELU(0.7), (4, 5)),
    'sigmoid': (lambda: nn.Sigmoid(), (4, 5)),
    'tanh': (lambda: nn.Tanh(), (4, 5)),
    'gelu': (lambda: nn.GELU(), (4, 5)),
    'gelu_tanh': (lambda: nn.GELU('tanh'), (4, 5)),
    'softmax': (lambda: nn.Softmax(dim=1), (4, 5)),
    'softmax_last': (lambda: nn.Softmax(dim=-1), (4, 5)),
    'log_softmax': (lambda: nn.LogSoftmax(dim=1), (7,)),
}


@pytest.mark.parametrize('name', LAYERS)
def test_layer_matches_onnxruntime_on_two_batch_sizes(name, tmp_path):
    build, shape = LAYERS[name]
    check_export(build(), shape, tmp_path)


class Mixed(nn.Module):
    """A custom Module whose forward uses elementwise arithmetic, reshape, permute, cat, slicing,
    split, padding, reductions and a parameter of its own."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.scale = nn.Parameter(mdl.randn(4, 1, 1))
        self.head = nn.Dense(4 * 6 * 6 + 4, 3)

    def forward(self, x):
        y = self.conv(x) * self.scale + 1.0
        y = (y - y.mean(dim=(2, 3), keepdim=True)) / (y.abs() + 2) ** 0.5
        y = mdl.maximum(y, -y.exp() * 0.5).clamp(-3, 3)
        z = y.permute(0, 2, 3, 1).reshape(x.shape[0], -1)          # channels last, flattened
        a, b = y[:, :, 1:, ::2].split(2, dim=1)
        extra = mdl.cat([a.amax(dim=(2, 3)), b.sum(dim=(2, 3))], dim=1)
        out = self.head(mdl.cat([z, extra], dim=1))
        return F.pad(out[:, None, 1:], (1, 0)).squeeze(1) - out.sin() * out.cos()


class TwoInOut(nn.Module):
    """Two inputs, two outputs."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Dense(4, 3), nn.Dense(5, 3)

    def forward(self, x, y):
        h = self.a(x).tanh() + self.b(y).sigmoid()
        spread = (x[:, :1] ** 2 + 1).sqrt() + mdl.stack([h, -h], 2).sum(2)
        return h, F.log_softmax(h, dim=1) - spread


def test_custom_module_with_elementwise_and_shape_ops(tmp_path):
    proto = check_export(Mixed(), (2, 6, 6), tmp_path)
    ops = {n.op_type for n in proto.graph.node}
    assert {'Conv', 'Transpose', 'Reshape', 'Concat', 'Slice', 'Split', 'Pad', 'ReduceSum',
            'ReduceMax', 'Max', 'Clip', 'Gemm'} <= ops


@pytest.mark.parametrize('opset', [13, 17, onnx.defs.onnx_opset_version()])
def test_every_supported_opset(opset, tmp_path):
    proto = check_export(Mixed(), (2, 6, 6), tmp_path, opset=opset)
    assert proto.opset_import[0].version == opset


def test_two_inputs_and_two_outputs_get_their_names(tmp_path):
    model = TwoInOut()
    xs = (mdl.rand(2, 4), mdl.randn(2, 5))
    proto = export(model, xs, tmp_path / 'm.onnx', input_names=['x', 'y'],
                   output_names=('h', 'scores'))
    assert [i.name for i in proto.graph.input] == ['x', 'y']
    assert [o.name for o in proto.graph.output] == ['h', 'scores']
    check_export(model, [(4,), (5,)], tmp_path)


def test_graph_has_a_dynamic_batch_named_values_and_weights_as_initializers(tmp_path):
    model = nn.Sequential([nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Dense(3)])
    model.train()
    proto = export(model, mdl.randn(2, 1, 5, 5), tmp_path / 'm.onnx')
    assert model.training and all(m.training for m in model.modules())   # mode restored
    assert not model._forward_hooks and not model[0]._forward_pre_hooks  # hooks removed
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert inp.name == 'input' and out.name == 'output'
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == \
        ['batch', 1, 5, 5]
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ['batch', 3]
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    np.testing.assert_array_equal(inits['0.weight'], model[0].weight.detach().numpy())
    np.testing.assert_array_equal(inits['3.bias'], model[3].bias.detach().numpy())
    assert [n.name for n in proto.graph.node][:2] == ['0/Conv', '1/Relu']


# ---------------------------------------------------------------- the examples' models
def _example(name):
    return runpy.run_path(os.path.join(ROOT, 'examples', name), run_name='example')


def test_digits_model_exports(tmp_path):
    model = randomize_batch_norm(_example('digits.py')['build_model']())
    check_export(model, (1, 8, 8), tmp_path)


def test_mnist1d_model_exports(tmp_path):
    model = randomize_batch_norm(_example('mnist1d.py')['build_model']())
    check_export(model, (1, 40), tmp_path)


@pytest.mark.parametrize('name', ['fully_connected', 'small_convnet'])
def test_param_counts_models_export(name, tmp_path):
    # the example's architectures with 10 units instead of 1,000 (the file stays small)
    model = _example('param_counts.py')[name](units=10)
    check_export(model, (3, 200, 200), tmp_path, batches=(1, 2))


@pytest.mark.slow
def test_digits_script_exports_the_trained_model(tmp_path):
    digits = _example('digits.py')
    onnx_path, weights = tmp_path / 'digits.onnx', tmp_path / 'digits.npz'
    digits['main'](['--epochs', '1', '--quiet', '--save', str(weights), '--export',
                    str(onnx_path)])
    model = digits['build_model']()
    model.load_state_dict(mdl.load(str(weights)))
    model.eval()
    _, test = mdl.datasets.digits()
    images = test.tensors[0][:100]
    with mdl.no_grad():
        expected = model(images).numpy()
    (got,) = run_onnx(onnx_path, images)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert (got.argmax(1) == expected.argmax(1)).all()
    # the README's five lines, on the file the README's command writes
    with open(os.path.join(ROOT, 'README.md')) as f:
        (block,) = [b for b in re.findall(r'```python\n(.*?)\n```', f.read(), re.S)
                    if 'onnxruntime' in b]
    assert len(block.splitlines()) == 5
    out = subprocess.run([sys.executable, '-c', block], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={**os.environ, 'PYTHONPATH': ROOT})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == str(expected[:5].argmax(1))


# ---------------------------------------------------------------- what cannot be exported
class Softplussed(nn.Module):
    def forward(self, x):
        return F.softplus(x)


def test_an_op_without_converter_names_the_op_and_the_module(tmp_path):
    model = nn.Sequential([nn.Dense(4, 4), Softplussed()])
    with pytest.raises(ExportError, match=r"Softplus \(in module '1' \(Softplussed\)\) has no "
                                          "ONNX converter"):
        export(model, mdl.randn(2, 4), tmp_path / 'm.onnx')
    with pytest.raises(ExportError, match=r"Softplus \(in the model's own forward "
                                          r"\(Softplussed\)\)"):
        export(Softplussed(), mdl.randn(2, 4), tmp_path / 'm.onnx')
    assert not os.path.exists(tmp_path / 'm.onnx')


def test_batch_norm_without_running_statistics_is_refused(tmp_path):
    model = nn.Sequential([nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2, track_running_stats=False)])
    with pytest.raises(ExportError, match=r"BatchNormTrain \(in module '1' \(BatchNorm2d\)\)"):
        export(model, mdl.randn(2, 1, 5, 5), tmp_path / 'm.onnx')


class Branchy(nn.Module):
    def forward(self, x):
        return x * 2 if x.shape[0] < 4 else x + 1


class ItemScaled(nn.Module):
    def forward(self, x):
        return x / x.abs().max().item()


class BatchSizedConstant(nn.Module):
    def forward(self, x):
        return x + mdl.ones(x.shape[0], 1)


class Constant(nn.Module):
    def forward(self, x):
        return mdl.ones(3)


@pytest.mark.parametrize('model, message', [
    (Branchy(), 'ran different operations'),
    (ItemScaled(), r"input 1 of Div \(in the model's own forward \(ItemScaled\)\) is a constant "
                   "computed from the input's values or batch size"),
    (BatchSizedConstant(), r'Add .* constant computed from .* \(shape \(3, 1\), then \(4, 1\)\)'),
    (Constant(), 'output 0 does not depend on the input'),
])
def test_a_forward_a_fixed_graph_cannot_hold_is_refused(model, message, tmp_path):
    with pytest.raises(ExportError, match=message):
        export(model, mdl.randn(3, 4), tmp_path / 'm.onnx')


def test_arguments_are_checked(tmp_path):
    model = nn.Dense(4, 2)
    x = mdl.randn(2, 4)
    with pytest.raises(ValueError, match='opset must be an int from 13 to'):
        export(model, x, tmp_path / 'm.onnx', opset=12)
    with pytest.raises(TypeError, match='model must be a minidl.nn.Module, got function'):
        export(lambda x: x, x, tmp_path / 'm.onnx')
    with pytest.raises(ExportError, match='example input must be a Tensor .* got ndarray'):
        export(model, x.numpy(), tmp_path / 'm.onnx')
    with pytest.raises(ExportError, match='example input 0 must be floating point'):
        export(model, mdl.ones(2, 4, dtype=mdl.int64), tmp_path / 'm.onnx')
    with pytest.raises(ValueError, match=r"input_names must be 1 distinct non-empty strings"):
        export(model, x, tmp_path / 'm.onnx', input_names=['a', 'b'])


def test_import_minidl_does_not_import_onnx():
    code = "import sys, minidl; print('onnx' in sys.modules, 'onnxruntime' in sys.modules)"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    assert out.split() == ['False', 'False']
