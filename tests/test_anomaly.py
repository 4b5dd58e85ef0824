"""Anomaly mode (torch.autograd.detect_anomaly): the op that made a NaN, and where it was made."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
import minidl.nn.functional as F
from minidl.autograd import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                             set_detect_anomaly)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.filterwarnings('ignore:.*encountered in:RuntimeWarning')


def test_a_nan_gradient_names_the_function_and_the_line_that_made_it(device):
    x = mdl.tensor([4.0, 0.0, 1.0], device=device, requires_grad=True)
    with detect_anomaly():
        y = x.sqrt()                       # d/dx sqrt(x) = 1 / (2 sqrt(x)): 0 / 0 at 0
        loss = (y * mdl.tensor([1.0, 0.0, 1.0], device=device)).sum()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    message = str(info.value)
    assert "Function 'SqrtBackward' returned nan values in its gradient for input 0 (of 1)" in \
        message
    assert 'y = x.sqrt()' in message and os.path.basename(__file__) in message
    assert 'minidl/ops' not in message and 'function.py' not in message   # no mechanics


def test_a_nan_made_by_backward_itself_is_named():
    # 0 * inf inside Mul's backward: the gradient of x in x * y where y is inf and x's own
    # upstream gradient is 0
    x = mdl.tensor([1.0], requires_grad=True)
    big = mdl.tensor([float('inf')])
    with detect_anomaly():
        z = x * big
        with pytest.raises(RuntimeError, match=r"'MulBackward' returned nan values"):
            z.backward(mdl.tensor([0.0]))


def test_without_anomaly_mode_the_same_backward_goes_through_silently():
    x = mdl.tensor([4.0, 0.0, 1.0], requires_grad=True)
    (x.sqrt() * mdl.tensor([1.0, 0.0, 1.0])).sum().backward()
    assert np.isnan(x.grad.numpy()[1])
    assert not is_anomaly_enabled()


def test_a_forward_nan_is_an_error_at_its_line_with_the_state_of_the_inputs():
    a = mdl.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError) as info:
        a / a
    assert 'Div returned nan values in the forward pass, from inputs (2,) finite, (2,) finite' \
        in str(info.value)
    assert any('a / a' in str(entry.statement) for entry in info.traceback)
    poisoned = mdl.tensor([float('nan'), 1.0])            # NaN that came in with the data
    with detect_anomaly(), pytest.raises(RuntimeError, match=r'from input \(2,\) with nan'):
        poisoned.exp()


def test_infinities_pass_the_forward_pass():
    # -inf before a softmax is a mask, not an anomaly
    logits = mdl.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    mask = mdl.tensor([[False, True, False]])
    with detect_anomaly():
        p = F.softmax(logits.masked_fill(mask, float('-inf')), dim=1)
        (p * mdl.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert np.isfinite(logits.grad.numpy()).all() and logits.grad.numpy()[0, 1] == 0


def test_a_layer_is_located_by_the_model_line_and_the_layer_code():
    model = nn.Sequential([nn.Dense(3, 2)])
    with mdl.no_grad():
        model[0].weight[0, 0] = float('inf')
    x = mdl.tensor([[0.0, 1.0, 1.0]])
    with detect_anomaly(), pytest.raises(RuntimeError) as info:
        model(x)                     # inf * 0 = NaN inside the layer's matrix product
    assert 'the forward pass' in str(info.value)
    assert any('model(x)' in str(entry.statement) for entry in info.traceback)


def test_other_errors_in_backward_get_the_creation_stack_as_a_note():
    if sys.version_info < (3, 11):
        pytest.skip('exception notes need Python 3.11')
    x = mdl.tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        y = x.exp()
        z = y.sum()
        with mdl.no_grad():
            y += 1                              # modifies exp's saved output
        with pytest.raises(RuntimeError, match='modified by an inplace operation') as info:
            z.backward()
    note = '\n'.join(getattr(info.value, '__notes__', []))
    assert 'Error detected in ExpBackward' in note and 'y = x.exp()' in note


def test_graph_recorded_before_the_mode_says_the_stack_is_unknown():
    x = mdl.tensor([0.0], requires_grad=True)
    y = x.sqrt()
    with detect_anomaly(), pytest.raises(RuntimeError, match='before anomaly detection'):
        y.backward()


def test_modes_nest_restore_and_decorate():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled() and is_anomaly_check_nan_enabled()
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()

    @detect_anomaly(check_nan=False)
    def step():
        return is_anomaly_enabled(), is_anomaly_check_nan_enabled()
    assert step() == (True, False) and not is_anomaly_enabled()
    set_detect_anomaly(True)
    try:
        assert is_anomaly_enabled()
    finally:
        set_detect_anomaly(False)
    a = mdl.tensor([0.0], requires_grad=True)
    with detect_anomaly(check_nan=False):        # stacks only: values are not checked
        (a / a).sum().backward()


def test_higher_order_gradients_are_checked_too():
    x = mdl.tensor([0.0], dtype=mdl.float64, requires_grad=True)
    with detect_anomaly():
        (g,) = mdl.grad((x ** 3).sum(), x, create_graph=True)     # 3 x^2: fine
        (gg,) = mdl.grad(g.sum(), x)
        assert gg.item() == 0.0
        with pytest.raises(RuntimeError, match='SqrtBackward'):
            mdl.grad(x.sqrt().sum(), x, create_graph=True)


def test_what_a_script_shows(tmp_path):
    # what a user sees: the Function's name and their own line, in a fresh process
    script = tmp_path / 'train.py'
    script.write_text(textwrap.dedent('''
        import minidl as mdl
        w = mdl.tensor([0.0, 1.0], requires_grad=True)
        with mdl.autograd.detect_anomaly():
            loss = (w.sqrt() * mdl.tensor([0.0, 1.0])).sum()
            loss.backward()
    '''))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env={**os.environ, 'PYTHONPATH': ROOT}, timeout=120)
    assert out.returncode == 1
    assert "RuntimeError: anomaly detected: Function 'SqrtBackward'" in out.stderr
    assert f'File "{script}", line 5' in out.stderr
    assert 'loss = (w.sqrt() * mdl.tensor([0.0, 1.0])).sum()' in out.stderr
