"""minidl.cuda: is a GPU usable from here?"""
from . import backend


def is_available():
    """True when CuPy is installed and a CUDA device is visible."""
    return backend.cuda_is_available()


def device_count():
    """The number of visible CUDA devices (0 without CuPy)."""
    return backend.cuda_device_count()
