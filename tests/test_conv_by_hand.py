"""examples/conv_by_hand.py runs, its three views agree, its counts are right, it draws a PNG."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


@pytest.fixture(scope='module')
def example():
    spec = importlib.util.spec_from_file_location(
        'conv_by_hand', os.path.join(ROOT, 'examples', 'conv_by_hand.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_walk_through_values_and_printout(example, device, capsys):
    r = example.main(['--device', device])
    out = capsys.readouterr().out
    # 1-D: a = (2, -1), b = (1, 2, 1)
    np.testing.assert_array_equal(r['copies_1d'][0], [2, 4, 2, 0])
    np.testing.assert_array_equal(r['copies_1d'][1], [0, -1, -2, -1])
    for key in ('sum_1d', 'toeplitz_times_a', 'convolve1d'):
        np.testing.assert_array_equal(r[key], [2, 3, 0, -1])
    np.testing.assert_array_equal(r['toeplitz'], [[1, 0], [2, 1], [1, 2], [0, 1]])
    assert out.count('[2 3 0 -1]') == 4          # the sum, T @ a, convolve1d, numpy.convolve
    assert 'n + m - 1 = 2 + 3 - 1 = 4' in out
    # 2-D: four scaled translations summed == conv2d == M @ x == im2col @ w
    x, w = r['x'], r['w']
    assert sorted(r['translations_2d']) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for (dy, dx), part in r['translations_2d'].items():
        np.testing.assert_array_equal(part, x[dy:dy + 3, dx:dx + 3] * w[dy, dx])
    expected = np.array([[(x[i:i + 2, j:j + 2] * w).sum() for j in range(3)] for i in range(3)])
    for key in ('sum_2d', 'conv2d', 'matrix_times_x', 'windows_times_w'):
        np.testing.assert_array_equal(r[key], expected)
    assert r['windows'].shape == (9, 4) and r['matrix_2d'].shape == (9, 16)
    np.testing.assert_array_equal(r['unfold'], r['windows'].T)     # F.unfold: the same matrix
    assert 'F.unfold(x, (2, 2)) returns it (4x9' in out
    assert out.count('[[7 1 -1]') == 4            # the sum, conv2d, M @ x, im2col @ w
    assert out.count('All equal.') == 2 and 'Equal to conv2d again.' in out
    # 3. multiply-adds, printed with thousands separators
    for cout, direct, dense in ((1, 3_000_000, 4_800_000_000), (16, 48_000_000, 76_800_000_000)):
        c = r['multiply_adds'][cout]
        assert c['direct'] == c['im2col'] == direct and c['toeplitz'] == dense
        assert f'{direct:,}' in out and f'{dense:,}' in out
    assert 'plot' not in r


def test_multiply_add_counts_match_the_matrix(example):
    """The counted non-zeros of the Toeplitz matrix are the real (non-padding) taps of conv2d."""
    w = mdl.rand(2, 3, 5, 5) + 0.5                      # no zero weights
    M = F.conv2d_matrix(w, (3, 7, 6), padding='same')
    c = example.multiply_adds(height=7, width=6, channels=3, kernel=5, out_channels=2)
    assert c['toeplitz'] == M.numel()
    assert c['toeplitz_nonzero'] == int((M.numpy() != 0).sum())
    assert c['direct'] == c['im2col'] == 2 * 7 * 6 * 3 * 25


def test_plot_writes_a_png(example, tmp_path, capsys):
    pytest.importorskip('matplotlib', reason='matplotlib not installed (pip install -e .[plot])')
    import matplotlib.pyplot as plt
    path = tmp_path / 'conv.png'
    r = example.main(['--plot', str(path)])
    assert r['plot'] == str(path)
    assert f'Saved the translate-and-scale picture to {path}' in capsys.readouterr().out
    with open(path, 'rb') as f:
        assert f.read(8) == PNG_SIGNATURE
    image = plt.imread(path)
    assert image.ndim == 3 and image.shape[2] in (3, 4) and min(image.shape[:2]) > 200


def test_plot_without_matplotlib_says_how_to_install(example, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)     # makes `import matplotlib` fail
    with pytest.raises(SystemExit) as exc:
        example.main(['--plot', str(tmp_path / 'conv.png')])
    assert exc.value.code not in (0, None)
    assert 'pip install -e .[plot]' in capsys.readouterr().err
    assert not (tmp_path / 'conv.png').exists()


def test_runs_as_a_script():
    done = subprocess.run([sys.executable, os.path.join('examples', 'conv_by_hand.py')],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'Equal to conv2d again.' in done.stdout
