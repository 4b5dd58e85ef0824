"""examples/param_counts.py: the notes' parameter-count argument, in numbers."""
import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / 'examples' / 'param_counts.py'
_results = {}


def _load():
    spec = importlib.util.spec_from_file_location('param_counts', _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def results(device):
    # the fully connected model holds 480 MB of weights: build it once per device
    if device not in _results:
        _results[device] = _load().main(['--device', device, '--quiet'])
    return _results[device]


def test_fully_connected_layer_has_120_million_parameters(results):
    assert results['fc_params'] == 200 * 200 * 3 * 1000 + 1000 == 120_001_000
    assert 'Total params: 120,001,000' in results['fc_summary']
    assert '(None, 120000)' in results['fc_summary'] and '(None, 1000)' in results['fc_summary']


def test_conv_net_figures(results):
    conv1, conv2 = 3 * 16 * 25 + 16, 16 * 32 * 25 + 32           # 1,216 and 12,832
    fc = 32 * 12 * 12 * 1000 + 1000                              # 200 -> 50 -> 12 after pools
    assert results['conv_layer_params'] == conv1 + conv2 == 14_048
    assert results['conv_params'] == conv1 + conv2 + fc == 4_623_048
    assert 'Total params: 4,623,048' in results['conv_summary']
    assert '(None, 32, 12, 12)' in results['conv_summary']
    assert results['ratio'] == pytest.approx(120_001_000 / 4_623_048)
    assert 25 < results['ratio'] < 27


def test_script_prints_both_tables(capsys):
    out = _load().main([])
    text = capsys.readouterr().out
    assert out['fc_summary'] in text and out['conv_summary'] in text
    assert '120 million' in text and '26.0 times' in text
