"""Shared fixtures: every test that takes ``device`` runs on the CPU and again on a GPU (the same
test, not a copy): on a real one when CuPy sees a CUDA device, or on the strict CPU double of
CuPy in tests/cupy_double with ``pytest --fake-cuda`` or $MINIDL_FAKE_CUDA=1.

At the end of a run, the skipped tests are summed up by reason, one line each, with what would
run them (``pytest -rs`` still lists them one by one)."""
import collections
import re

import numpy as np
import pytest

import minidl as mdl
from tests import cupy_double

if cupy_double.wanted():        # before anything asks minidl's backend for cupy
    cupy_double.install()


def pytest_addoption(parser):
    parser.addoption('--fake-cuda', action='store_true',
                     help='run the cuda tests on the strict CPU double of CuPy '
                          '(tests/cupy_double; also $MINIDL_FAKE_CUDA=1)')


def pytest_configure(config):
    if config.getoption('--fake-cuda') or cupy_double.wanted():
        cupy_double.install()
        cupy_double.export_to_subprocesses()     # examples run by the tests get it too
        if not mdl.cuda.is_available():
            raise pytest.UsageError('--fake-cuda: minidl looked for CuPy before the double '
                                    'was installed')


DEVICES = ['cpu', 'cuda']


@pytest.fixture(params=DEVICES)
def device(request):
    # checked here, not at import: --fake-cuda installs the double after this file is imported
    if request.param == 'cuda' and not mdl.cuda.is_available():
        pytest.skip('no CUDA device (or CuPy not installed)')
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    mdl.manual_seed(0)
    yield


def to_numpy(t):
    """Values of a Tensor (any device) as a NumPy array."""
    return np.asarray(mdl.backend.to_numpy(t.array if isinstance(t, mdl.Tensor) else t))


def _skip_group(reason):
    """The line under which a skip ``reason`` is counted: the optional parts (a GPU, PyTorch,
    MPI, the [test] extras) each have one, saying how to run them; any other reason is its own
    group, without its parenthesised details."""
    low = reason.lower()
    if any(word in low for word in ('cuda', 'gpu', 'cupy')):
        if mdl.cuda.is_available():
            return ('device cases that do not apply with a GPU present (checks of the no-GPU '
                    'messages, the CPU half of GPU-only tests, a CUDA build of PyTorch)')
        return 'CUDA tests: no GPU here (`pytest --fake-cuda` runs them on the CPU double of CuPy)'
    if 'torch' in low:
        return "PyTorch cross-checks: torch is not installed (pip install -e '.[torch]', CPU build)"
    if 'mpi' in low:
        return "MPI tests: mpi4py or mpiexec missing (pip install -e '.[mpi]')"
    if 'pandas' in low or 'array_api' in low:
        return ("scikit-learn's own estimator checks of pandas and array-API inputs (pandas not "
                "installed, SCIPY_ARRAY_API unset)")
    for extra, words in (('mnist1d', ('mnist1d',)), ('plot', ('matplotlib',)),
                         ('onnx', ('onnx',)), ('test', ('hypothesis',))):
        if any(word in low for word in words):
            return f"tests of an optional extra that is not installed (pip install -e '.[{extra}]')"
    return re.sub(r'\s*\(.*$', '', reason).strip() or reason


def pytest_terminal_summary(terminalreporter):
    counts = collections.Counter()
    for report in terminalreporter.stats.get('skipped', []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        counts[_skip_group(reason.removeprefix('Skipped: '))] += 1
    if not counts:
        return
    terminalreporter.write_line('skipped, by reason (pytest -rs lists each test):')
    for group, n in counts.most_common():
        terminalreporter.write_line(f'{n:>7,}  {group}')
