"""summary(): the notes' digits network, output shapes, totals, lazy models and any Module."""
import re

import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
from tests.conftest import to_numpy


def digits_net(lazy=True):
    """The notes' digits network on (1, 8, 8) images."""
    return nn.Sequential([
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dense(10) if lazy else nn.Dense(128, 10),
    ])


def rows(table):
    """{label: (output shape, params)} from the table's layer rows."""
    out = {}
    for line in table.splitlines():
        m = re.match(r'^ (\S+ \(\w+\)|\w+)\s{2,}(\(.*?\)|\?|-)\s+([\d,]+)$', line)
        if m:
            out[m.group(1)] = (m.group(2), int(m.group(3).replace(',', '')))
    return out


def test_digits_network_figures(device, capsys):
    model = digits_net().to(device)
    assert model.summary((1, 8, 8)) is None          # printed once, as Keras: nothing to echo
    table = capsys.readouterr().out
    assert rows(table) == {
        '0 (Conv2d)': ('(None, 16, 8, 8)', 160),
        '1 (ReLU)': ('(None, 16, 8, 8)', 0),
        '2 (MaxPool2d)': ('(None, 16, 4, 4)', 0),
        '3 (Conv2d)': ('(None, 32, 4, 4)', 4640),
        '4 (ReLU)': ('(None, 32, 4, 4)', 0),
        '5 (MaxPool2d)': ('(None, 32, 2, 2)', 0),
        '6 (Flatten)': ('(None, 128)', 0),
        '7 (Dense)': ('(None, 10)', 1290),
    }
    assert 'Total params: 6,090' in table
    assert 'Trainable params: 6,090' in table and 'Non-trainable params: 0' in table
    header = table.splitlines()[2]
    assert 'Layer (type)' in header and 'Output Shape' in header and 'Param #' in header
    assert model.num_parameters() == 160 + 4640 + 1290 == 6090
    assert model[7].weight.device == mdl.backend.canonical_device(device)


def test_module_level_summary_and_print_fn(capsys):
    model = digits_net(lazy=False)
    lines = []
    assert mdl.summary(model, (1, 8, 8), print_fn=lines.append) is None
    table = nn.summary(model, (1, 8, 8), print_fn=None)
    assert lines == [table]
    assert capsys.readouterr().out == ''
    # without input_shape, the last one used is used again ...
    again = model.summary(print_fn=None)
    assert rows(again)['0 (Conv2d)'] == ('(None, 16, 8, 8)', 160)
    # ... and a built model never summarised shows unknown shapes
    no_shapes = digits_net(lazy=False).summary(print_fn=None)
    assert rows(no_shapes)['0 (Conv2d)'] == ('?', 160) and 'Total params: 6,090' in no_shapes
    assert "Output shapes '?': pass input_shape" in no_shapes      # and says how to get them
    assert no_shapes.splitlines()[-1] == 'e.g. model.summary((1, H, W))'
    assert 'pass input_shape' not in again
    # in a REPL the returned table shows as the table, not as a quoted string
    assert repr(table) == str(table)


def test_summary_says_to_drop_the_batch_dimension():
    with pytest.raises(ValueError, match=r'WITHOUT the batch dimension, e.g. \(1, 8, 8\)'):
        digits_net(lazy=False).summary((4, 1, 8, 8))


def test_unbuilt_model_needs_input_shape():
    model = digits_net()
    with pytest.raises(ValueError, match=r'pass input_shape.*model.summary\(\(1, 8, 8\)\)'):
        model.summary()
    assert model[7].weight.shape == (10, 0)     # still a placeholder


def test_summary_restores_modes_and_leaves_statistics():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Dropout(), nn.Flatten(),
                          nn.Dense(3))
    model[2].eval()
    model.summary((1, 5, 5), batch_size=1, print_fn=None)   # batch 1 is fine in eval mode
    assert model.training and model[1].training and not model[2].training
    assert np.all(to_numpy(model[1].running_mean) == 0)
    assert int(model[1].num_batches_tracked.item()) == 0
    model.eval()
    model.summary((1, 5, 5), print_fn=None)
    assert not any(m.training for m in model.modules())


def test_any_module_with_nested_names_and_frozen_layers():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.ReLU())
            self.pool = nn.GlobalAvgPool()
            self.head = nn.Dense(8, 2)
            self.temperature = nn.Parameter(mdl.ones(1))

        def forward(self, x):
            return self.head(self.pool(self.features(x))) / self.temperature

    net = Net()
    net.features.requires_grad_(False)
    table = net.summary((3, 6, 6), print_fn=None)
    assert table.splitlines()[0] == 'Model: "Net"'
    assert rows(table) == {
        'Net': ('(None, 2)', 1),
        'features.0 (Conv2d)': ('(None, 8, 4, 4)', 216),
        'features.1 (ReLU)': ('(None, 8, 4, 4)', 0),
        'pool (GlobalAvgPool)': ('(None, 8)', 0),
        'head (Dense)': ('(None, 2)', 18),
    }
    assert 'Total params: 235' in table and 'Trainable params: 19' in table
    assert 'Non-trainable params: 216' in table


def test_big_numbers_have_thousands_separators():
    table = nn.Sequential(nn.Dense(1000, 1000)).summary(print_fn=None)
    assert '1,001,000' in table and 'Total params: 1,001,000' in table


def test_dry_run_errors_are_annotated():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Dense(2))
    with pytest.raises(ValueError, match=r'Conv2d\(3, 4.*\(N, 3, H, W\)') as info:
        model.summary((1, 8, 8), print_fn=None)
    notes = getattr(info.value, '__notes__', ['dry run'])
    assert any('dry run' in note for note in notes)


def test_summary_prints_once_in_a_repl():
    # what the interactive interpreter shows for `model.summary((1, 8, 8))`: the printed table,
    # and no echo of a returned value after it (the issue: the table appeared twice)
    import code
    import contextlib
    import io
    shell = code.InteractiveInterpreter({'nn': nn, 'digits_net': digits_net})
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        shell.runsource('digits_net().summary((1, 8, 8))', symbol='single')
    assert out.getvalue().count('Total params: 6,090') == 1


@pytest.mark.parametrize('layer, hint', [
    (nn.Conv1d(3, 4, 3), '(3, L)'), (nn.Conv2d(2, 4, 3), '(2, H, W)'), (nn.Dense(20, 3), '(20,)'),
    (nn.ReLU(), '(1, 28, 28) for one-channel 28x28 images')])
def test_unknown_shapes_come_with_a_hint_from_the_first_layer(layer, hint):
    table = nn.Sequential(layer).summary(print_fn=None)
    assert table.splitlines()[-1] == f'e.g. model.summary({hint})'
