"""cupy.lib.stride_tricks of the CuPy double."""
import numpy

from ... import _core


def as_strided(x, shape=None, strides=None):
    """A view of ``x`` with the given shape and strides, on x's device. As CuPy builds it from
    x's memory pointer (ndarray(memptr=x.data)), its ``base`` is None, not x."""
    if not isinstance(x, _core.ndarray):
        raise _core.unsupported(x)
    view = numpy.lib.stride_tricks.as_strided(x._a, shape, strides, writeable=True)
    return _core.new(view, x._dev)
