"""cupyx of the CuPy double: the scatter functions, synchronisation detection and
cupyx.scipy.special."""
from .._core import ndarray
from .._device import DeviceSynchronized, allow_synchronize  # noqa: F401
from . import scipy  # noqa: F401


def scatter_add(a, slices, value):
    """a[slices] += value with repeated indices accumulating. Real CuPy does this through the
    deprecated ndarray.scatter_add, so it warns (DeprecationWarning: use cupy.add.at)."""
    a.scatter_add(slices, value)


def scatter_max(a, slices, value):
    a.scatter_max(slices, value)


def scatter_min(a, slices, value):
    a.scatter_min(slices, value)


def get_array_module(*args):
    from .. import cupy
    import numpy
    return cupy if any(isinstance(a, ndarray) for a in args) else numpy
