"""Where an operation runs: on the device of its tensors.

CuPy launches kernels, and makes new arrays, on the current GPU. A Function's forward and
backward run with their input's GPU current (autograd sees to it); a function that works on raw
arrays outside a Function (a comparison, an argsort, an index range) says so with
``on_input_device``, so that a tensor on cuda:1 is computed on cuda:1.
"""
import functools

from .. import backend


def on_input_device(function):
    """``function`` run with the device of its first tensor argument current (on the CPU this
    changes nothing)."""
    @functools.wraps(function)
    def placed(*args, **kwargs):
        for arg in args:
            array = getattr(arg, 'array', None)
            if array is not None:
                if type(array) is _NDARRAY:     # the CPU: nothing to make current
                    break
                with backend.current(array):
                    return function(*args, **kwargs)
        return function(*args, **kwargs)
    return placed


_NDARRAY = backend.NDARRAY
