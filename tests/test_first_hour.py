"""A new user's first hour (issue 19): the checks for what used to trip a newcomer that have no
better home (the README's blocks are run by test_readme.py, anomaly mode by test_anomaly.py,
fit's NaN stop and float64 figures by test_fit_checks.py, summary by test_summary.py)."""
import importlib.metadata
import os
import subprocess
import sys

import pytest

import minidl as mdl
import minidl.functional as F
from minidl import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, 'examples', 'digits.py')


def _python(args, cwd=None, env=None, timeout=120):
    """Run ``python args`` in a fresh process; (return code, stdout + stderr)."""
    out = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, **(env or {})})
    return out.returncode, out.stdout + out.stderr


# ------------------------------------------------------------------ importing minidl
def test_dir_lists_the_lazily_loaded_names():
    names = dir(mdl)
    for name in ('save', 'load', 'summary', 'nn', 'optim', 'functional', 'data', 'train',
                 'datasets', 'randn', 'Tensor'):
        assert name in names
    assert callable(mdl.save) and mdl.optim.SGD is not None


def test_importing_from_the_folder_that_holds_the_clone(tmp_path):
    # the clone is a folder named minidl with no __init__.py: from its parent, Python would take
    # it for an empty namespace package unless the installed package comes first on the path
    try:
        importlib.metadata.distribution('minidl')
    except importlib.metadata.PackageNotFoundError:
        pytest.skip('minidl is not installed (pip install -e .): the case needs an install')
    os.symlink(ROOT, tmp_path / 'minidl')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = subprocess.run([sys.executable, '-c', 'import minidl; print(minidl.randn(2).shape)'],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == '(2,)'


def test_a_file_named_mnist1d_is_named_in_the_error(tmp_path):
    (tmp_path / 'mnist1d.py').write_text('# the user named a script after the package\n')
    code, text = _python(['-c', 'import minidl; minidl.datasets.mnist1d()'], cwd=tmp_path,
                         env={'PYTHONPATH': ROOT})
    assert code != 0
    assert "mnist1d.py is found as 'mnist1d' instead of the mnist1d package" in text
    assert 'is not a package' not in text            # no confusing chain before the advice


# ------------------------------------------------------------------ the examples' options
@pytest.mark.parametrize('args, env, message', [
    (['--epochs', '0'], {}, "argument --epochs: must be a positive int, got '0'"),
    (['--lr', '-1'], {}, "argument --lr: must be a positive float, got '-1'"),
    (['--device', 'gpu'], {}, "--device gpu: device must be 'cpu', 'cuda' or 'cuda:N', got 'gpu'"),
    ([], {'MINIDL_DEVICE': 'tpu'}, "$MINIDL_DEVICE=tpu: device must be 'cpu', 'cuda' or"),
    ([], {'MINIDL_DEVICE': 'cuda:7'}, "$MINIDL_DEVICE=cuda:7: device 'cuda:7'"),
])
def test_example_options_that_cannot_work_are_refused_before_training(args, env, message):
    code, text = _python([DIGITS, *args], env=env)
    assert code == 2 and 'usage: digits.py' in text
    assert message in text
    assert 'Traceback' not in text and 'Epoch' not in text


def test_example_help_shows_each_default_once():
    code, text = _python([DIGITS, '--help'])
    assert code == 0
    text = ' '.join(text.split())                  # argparse wraps lines to the terminal
    start = text.index('--epochs EPOCHS passes')
    help_of_epochs = text[start:text.index('--batch-size', start)]
    assert help_of_epochs.count('default') == 1 and '(default: 12)' in help_of_epochs
    assert text.count('(default: 0)') == 1                    # --seed
    assert 'default: 1' in text and text.count('default: 1:') == 1   # --threads


# ------------------------------------------------------------------ silent acceptance
def test_dense_of_no_units_is_refused_but_an_empty_linear_map_is_not():
    with pytest.raises(ValueError, match='Dense: out_features must be a positive int, got 0'):
        nn.Dense(0)
    assert nn.Dense(3, 0)(mdl.randn(2, 3)).shape == (2, 0)     # PyTorch's Linear(3, 0)


@pytest.mark.parametrize('loss', [F.binary_cross_entropy, F.binary_cross_entropy_with_logits,
                                  F.kl_div])
def test_losses_on_probabilities_refuse_integer_targets(loss):
    x = mdl.rand(4) * 0.8 + 0.1
    with pytest.raises(TypeError, match=f'{loss.__name__}: .*target.* int64'):
        loss(x, mdl.tensor([0, 1, 1, 0]))
    assert loss(x, mdl.tensor([0.0, 1.0, 1.0, 0.0]), reduction='sum').shape == ()


def test_regression_losses_take_integer_targets_as_pytorch():
    # PyTorch 2 computes mse_loss and l1_loss of a float input and an int target in float
    x = mdl.tensor([0.5, 1.5, 2.0])
    assert float(F.mse_loss(x, mdl.tensor([0, 2, 2]))) == pytest.approx(0.5 / 3)
    assert F.l1_loss(x, mdl.tensor([0, 2, 2])).dtype == mdl.float32


# ------------------------------------------------------------------ the test run itself
def test_a_plain_run_sums_up_its_skips_by_reason():
    code, text = _python(['-m', 'pytest', '-q', '-p', 'no:cacheprovider',
                          os.path.join(ROOT, 'tests', 'test_summary.py')], cwd=ROOT,
                         env={'MINIDL_FAKE_CUDA': ''}, timeout=300)
    assert code == 0, text[-2000:]
    if mdl.cuda.is_available():      # a real GPU: its half of the tests runs
        return
    lines = text.splitlines()
    at = lines.index('skipped, by reason (pytest -rs lists each test):')
    assert lines[at + 1].split(None, 1)[1] == ('CUDA tests: no GPU here (`pytest --fake-cuda` '
                                               'runs them on the CPU double of CuPy)')
    assert int(lines[at + 1].split()[0]) > 0
