"""The examples train for real and reach their accuracy, on shortened settings."""
import os
import runpy
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _example(name):
    return runpy.run_path(os.path.join(ROOT, 'examples', name), run_name='example')


def test_digits_short_run_reaches_its_floor(tmp_path, capsys):
    digits = _example('digits.py')
    path = tmp_path / 'digits.npz'
    result = digits['main'](['--epochs', '4', '--quiet', '--save', str(path)])
    assert result['accuracy'] >= 0.97
    assert result['confusion'].sum() == 360
    assert capsys.readouterr().out.strip().splitlines()[-1] == \
        f"test accuracy: {result['accuracy']:.4f}"
    import minidl as mdl
    model = digits['build_model']()
    model.load_state_dict(mdl.load(str(path)))


def test_digits_script_prints_summary_confusion_and_last_line():
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'digits.py'),
                          '--epochs', '2', '--seed', '1'], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert 'Total params: 6,186' in out
    assert 'confusion matrix' in out and 'wall time' in out
    last = out.strip().splitlines()[-1]
    assert last.startswith('test accuracy: 0.') and float(last.split()[-1]) > 0.8


def test_mnist1d_short_run_reaches_its_floor(capsys):
    pytest.importorskip('mnist1d')
    result = _example('mnist1d.py')['main'](['--epochs', '4', '--quiet'])
    assert result['accuracy'] >= 0.95
    assert result['confusion'].sum() == 1000
    assert capsys.readouterr().out.strip().splitlines()[-1] == \
        f"test accuracy: {result['accuracy']:.4f}"


def test_mnist1d_script_finds_the_package_despite_its_name():
    pytest.importorskip('mnist1d')
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'mnist1d.py'),
                          '--epochs', '1', '--quiet'], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().startswith('test accuracy: 0.')


def test_digits_plot_writes_the_four_pictures(tmp_path):
    pytest.importorskip('matplotlib', reason='matplotlib not installed (pip install -e .[plot])')
    from tests.test_plot import check_png
    result = _example('digits.py')['main'](['--epochs', '2', '--quiet', '--plot', str(tmp_path)])
    sizes = {'curves.png': (1200, 320), 'filters.png': (400, 350),
             'feature_maps.png': (1040, 605), 'confusion.png': (630, 590)}
    assert [os.path.basename(p) for p in result['plots']] == list(sizes)
    for name, (width, height) in sizes.items():
        check_png(tmp_path / name, width, height)
    assert len(result['history']['val_accuracy']) == 2       # the test set, watched per epoch
    assert result['accuracy'] >= 0.9


def test_digits_plot_without_matplotlib_says_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)     # makes `import matplotlib` fail
    with pytest.raises(SystemExit) as exc:
        _example('digits.py')['main'](['--plot', str(tmp_path / 'figures')])
    assert exc.value.code == 2 and 'pip install -e .[plot]' in capsys.readouterr().err
    assert not (tmp_path / 'figures').exists()


def test_sklearn_digits_grid_search_in_two_processes(capsys):
    result = _example('sklearn_digits.py')['main'](
        ['--lr', '0.003', '0.03', '--channels', '4', '--epochs', '3', '--cv', '2',
         '--jobs', '2'])
    grid = result['grid']
    assert grid.best_params_['module__channels'] == 4 and grid.best_params_['lr'] in (0.003, 0.03)
    assert len(grid.cv_results_['params']) == 2
    assert result['accuracy'] >= 0.9
    out = capsys.readouterr().out
    assert f"best parameters: {grid.best_params_}" in out
    assert out.strip().splitlines()[-1] == f"test accuracy: {result['accuracy']:.4f}"
