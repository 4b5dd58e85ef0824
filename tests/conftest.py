"""Shared fixtures: every test that takes ``device`` runs on the CPU and, when CuPy sees a CUDA
device, again on the GPU (the same test, not a copy)."""
import numpy as np
import pytest

import minidl as mdl

DEVICES = ['cpu', pytest.param('cuda', marks=pytest.mark.skipif(
    not mdl.cuda.is_available(), reason='no CUDA device (or CuPy not installed)'))]


@pytest.fixture(params=DEVICES)
def device(request):
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    mdl.manual_seed(0)
    yield


def to_numpy(t):
    """Values of a Tensor (any device) as a NumPy array."""
    return np.asarray(mdl.backend.to_numpy(t.array if isinstance(t, mdl.Tensor) else t))
