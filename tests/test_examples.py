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


@pytest.mark.slow
def test_digits_script_prints_summary_confusion_and_last_line():
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'digits.py'),
                          '--epochs', '2', '--seed', '1'], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert 'Total params: 6,186' in out
    assert 'confusion matrix' in out and 'wall time' in out
    last = out.strip().splitlines()[-1]
    assert last.startswith('test accuracy: 0.') and float(last.split()[-1]) > 0.8


@pytest.mark.slow
def test_mnist1d_short_run_reaches_its_floor(capsys):
    pytest.importorskip('mnist1d')
    result = _example('mnist1d.py')['main'](['--epochs', '4', '--quiet'])
    assert result['accuracy'] >= 0.95
    assert result['confusion'].sum() == 1000
    assert capsys.readouterr().out.strip().splitlines()[-1] == \
        f"test accuracy: {result['accuracy']:.4f}"


@pytest.mark.slow
def test_mnist1d_script_finds_the_package_despite_its_name():
    pytest.importorskip('mnist1d')
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'mnist1d.py'),
                          '--epochs', '1', '--quiet'], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().startswith('test accuracy: 0.')


@pytest.mark.slow
@pytest.mark.parametrize('script, epochs', [('digits.py', '2'), ('mnist1d.py', '1')])
def test_examples_reach_the_same_accuracy_on_the_cupy_double(script, epochs):
    # The double computes with NumPy, and the data, the initialisation and the shuffling come
    # from the CPU generator, so the same seed must give the same figure on 'cuda'.
    if script == 'mnist1d.py':
        pytest.importorskip('mnist1d')
    args = [os.path.join('examples', script), '--epochs', epochs, '--quiet']
    on_cpu = subprocess.run([sys.executable] + args + ['--device', 'cpu'], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    on_double = subprocess.run([sys.executable, '-m', 'tests.cupy_double.run'] + args +
                               ['--device', 'cuda'], cwd=ROOT, capture_output=True, text=True,
                               timeout=300)
    assert on_cpu.returncode == 0, on_cpu.stderr[-2000:]
    assert on_double.returncode == 0, on_double.stderr[-2000:]
    assert on_double.stdout.strip().startswith('test accuracy: 0.')
    assert on_double.stdout.strip() == on_cpu.stdout.strip()


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


@pytest.mark.slow
def test_sklearn_digits_grid_search_in_two_processes():
    # a fresh process, as from the command line: loky's workers outlive a GridSearchCV and are
    # reused, and workers started by an earlier test would not see examples/ on sys.path
    done = subprocess.run([sys.executable, os.path.join(ROOT, 'examples', 'sklearn_digits.py'),
                           '--lr', '0.003', '0.03', '--channels', '4', '--epochs', '3', '--cv',
                           '2', '--jobs', '2'], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len([line for line in lines if ' +- ' in line]) == 2           # the grid's rows
    assert any(line.startswith("best parameters: {'lr': 0.0") and
               "'module__channels': 4}" in line for line in lines)
    assert lines[-1].startswith('test accuracy: 0.') and float(lines[-1].split()[-1]) >= 0.9
