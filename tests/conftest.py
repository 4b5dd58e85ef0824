"""Shared fixtures: every test that takes ``device`` runs on the CPU and again on a GPU (the same
test, not a copy): on a real one when CuPy sees a CUDA device, or on the strict CPU double of
CuPy in tests/cupy_double with ``pytest --fake-cuda`` or $MINIDL_FAKE_CUDA=1."""
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
