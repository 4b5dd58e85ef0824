"""Things a PyTorch user types on day one behave as they expect (found by an acceptance pass)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from minidl import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_class_constructor_makes_python_data_float32_like_torch_tensor():
    assert mdl.Tensor([1, 2]).dtype == np.float32
    assert mdl.Tensor([1, 2], requires_grad=True).requires_grad
    assert mdl.tensor([1, 2]).dtype == np.int64            # the function infers, as torch.tensor
    assert mdl.Tensor(np.arange(3)).dtype == np.int64      # arrays keep their dtype


@pytest.mark.parametrize('op', ['exp', 'log', 'sqrt', 'sin', 'cos', 'tanh', 'sigmoid'])
def test_math_on_integer_tensors_gives_float32(op):
    assert getattr(mdl.tensor([1, 2]), op)().dtype == np.float32


def test_no_grad_as_a_bare_decorator():
    @mdl.no_grad
    def double(x):
        return x * 2
    assert not double(mdl.ones(2, requires_grad=True)).requires_grad
    assert mdl.is_grad_enabled()


def test_functional_pad():
    x = mdl.ones(1, 2)
    assert F.pad(x, (1, 1), mode='constant', value=0.5).shape == (1, 4)
    assert F.pad(x, (1, 1), mode='reflect').shape == (1, 4)
    with pytest.raises(ValueError, match="pad: mode must be one of"):
        F.pad(x, (1, 1), mode='mirror')


@pytest.mark.parametrize('make, message', [
    (lambda: nn.Conv2d(1, 2, 3, stride=0), 'Conv2d: stride must be a positive'),
    (lambda: nn.Conv2d(1, 2, 0), 'Conv2d: kernel_size must be a positive'),
    (lambda: nn.Conv1d(1, 2, 3, padding=-1), 'Conv1d: padding must be a non-negative'),
    (lambda: nn.MaxPool2d(0), 'MaxPool2d: kernel_size must be a positive'),
    (lambda: nn.AvgPool1d(2, stride=0), 'AvgPool1d: stride must be a positive'),
])
def test_layer_constructors_check_their_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_optimizer_state_from_another_optimizer_is_refused():
    p = [mdl.ones(2, requires_grad=True)]
    adam = mdl.optim.AdamW(p)
    with pytest.raises(ValueError, match=r"lacks SGD's hyperparameters \['momentum'"):
        mdl.optim.SGD(p, lr=0.1).load_state_dict(adam.state_dict())


def test_saving_a_model_suggests_its_state_dict(tmp_path):
    with pytest.raises(TypeError, match=r'state_dict\(\)'):
        mdl.save(nn.Dense(2, 3), str(tmp_path / 'm.npz'))


def test_a_pytorch_checkpoint_is_named_as_such(tmp_path):
    torch = pytest.importorskip('torch')
    path = str(tmp_path / 'model.pt')
    torch.save({'w': torch.ones(2)}, path)
    with pytest.raises(mdl.io.FormatError, match='PyTorch'):
        mdl.load(path)


def test_examples_refuse_an_unusable_device_without_a_traceback():
    if mdl.cuda.is_available():
        pytest.skip('a CUDA device is present')
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'digits.py'),
                          '--device', 'cuda'], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert 'error: --device cuda' in out.stderr and 'Traceback' not in out.stderr
