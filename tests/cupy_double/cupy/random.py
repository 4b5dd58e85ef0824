"""cupy.random of the CuPy double: CuPy's legacy RandomState API (cupy/random/_generator.py),
drawing from NumPy's PCG64 (so its numbers differ from cuRAND's), and the module functions over
one RandomState per device. No Generator API (default_rng, integers, random, bit_generator):
minidl does not use CuPy's, so the double leaves it out rather than half-emulate it."""
import os

import numpy

from .. import _core
from .._core import ndarray


def _float_dtype(dtype):
    dtype = numpy.dtype(dtype)
    if dtype.char not in 'fd':
        raise TypeError('cupy.random only supports float32 and float64')
    return dtype


class RandomState:
    """cupy.random.RandomState(seed=None): the state lives on the device current at creation."""

    def __init__(self, seed=None, method=None):
        from .cuda import curand
        if method is not None and method not in curand.PSEUDO_METHODS:
            raise ValueError(f'unknown cuRAND generator type {method!r}')
        self._device = _core.current_device()
        self.seed(seed)

    def seed(self, seed=None):
        if seed is not None:
            if isinstance(seed, numpy.ndarray):
                seed = int.from_bytes(seed.tobytes()[:8].ljust(8, b'\0'), 'little')
            else:
                value = numpy.asarray(seed)
                if value.dtype.kind not in 'biu':
                    raise TypeError('Seed must be an integer.')
                seed = int(value)
                if not 0 <= seed < 2 ** 64:
                    raise ValueError('Seed must be an integer between 0 and 2**64 - 1')
        self._gen = numpy.random.Generator(numpy.random.PCG64(seed))

    def _out(self, a):
        return _core.new(numpy.asarray(a), self._device)

    def random_sample(self, size=None, dtype=float):
        return self._out(self._gen.random(size if size is not None else (),
                                          dtype=_float_dtype(dtype)))

    def rand(self, *size, **kwarg):
        dtype = kwarg.pop('dtype', float)
        if kwarg:
            raise TypeError(f"rand() got unexpected keyword arguments {', '.join(kwarg)}")
        return self.random_sample(size=size, dtype=dtype)

    def randn(self, *size, **kwarg):
        dtype = kwarg.pop('dtype', float)
        if kwarg:
            raise TypeError(f"randn() got unexpected keyword arguments {', '.join(kwarg)}")
        return self.normal(size=size, dtype=dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        dtype = _float_dtype(dtype)
        if size is None:      # CuPy: cupy.broadcast(loc, scale).shape
            size = numpy.broadcast(*(x._a if isinstance(x, ndarray) else x
                                     for x in (loc, scale))).shape
        z = self._gen.standard_normal(size).astype(dtype)
        if isinstance(scale, ndarray) or isinstance(loc, ndarray):
            return self._out(z) * scale + loc    # cupy.multiply, cupy.add: NumPy arrays refused
        for x in (loc, scale):
            if not _core.is_scalar(x):           # CuPy hands them to cuRAND as C doubles
                raise _core.unsupported(x)
        return self._out(z * dtype.type(scale) + dtype.type(loc))

    def standard_normal(self, size=None, dtype=float):
        return self.normal(size=size, dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        if not numpy.isscalar(low):
            low = asarray_like(low, dtype)
        if not numpy.isscalar(high):
            high = asarray_like(high, dtype)
        if size is None:
            size = numpy.broadcast(*(x._a if isinstance(x, ndarray) else x
                                     for x in (low, high))).shape
        rand = self.random_sample(size=size, dtype=dtype)
        return low + rand * (high - low)

    def randint(self, low, high=None, size=None, dtype=int):
        if not numpy.isscalar(low):
            raise NotImplementedError('the CuPy double takes scalar bounds only in randint')
        lo, hi = (0, int(low)) if high is None else (int(low), int(high))
        if lo >= hi:
            raise ValueError('low >= high')
        if isinstance(size, int):
            size = (size,)
        # CuPy multiplies the sizes with functools.reduce: a NumPy integer is not iterable
        shape = () if size is None else tuple(size)
        return self._out(self._gen.integers(lo, hi, shape).astype(dtype))

    def _permutation(self, num):
        return self._out(self._gen.permutation(num).astype(numpy.int64))

    def permutation(self, a):
        """A permuted range for a Python int; else a[permuted indices] (CuPy calls len(a), so
        a NumPy integer fails with a TypeError)."""
        if isinstance(a, int):
            return self._permutation(a)
        return a[self._permutation(len(a))]

    def shuffle(self, a):
        if not isinstance(a, ndarray):
            raise TypeError('The array must be cupy.ndarray')
        if a.ndim == 0:
            raise TypeError('An array whose ndim is 0 is not supported')
        a[:] = a[self._permutation(len(a))]

    def choice(self, a, size=None, replace=True, p=None):
        if a is None:
            raise ValueError('a must be 1-dimensional or an integer')
        if isinstance(a, ndarray) and a.ndim == 0:
            raise NotImplementedError
        if size is None:
            raise NotImplementedError('choice() without specifying size is not supported yet')
        population = a if isinstance(a, int) else _core.array(a, copy=False)
        if not isinstance(a, int) and population.ndim != 1:
            raise ValueError('a must be 1-dimensional or an integer')
        if p is not None:
            p = _core.array(p)._a
        picks = self._gen.choice(a if isinstance(a, int) else len(population), size,
                                 replace=replace, p=p)
        index = self._out(numpy.asarray(picks, dtype=numpy.int64))
        return index if isinstance(a, int) else population[index]


def asarray_like(x, dtype):
    return x.astype(dtype, copy=False) if isinstance(x, ndarray) else _core.array(x, dtype)


# ---------------------------------------------------------------- module functions
_states = {}


def get_random_state():
    """The RandomState of the current device ($CUPY_SEED seeds a new one)."""
    device = _core.current_device()
    if device not in _states:
        seed = os.environ.get('CUPY_SEED')
        _states[device] = RandomState(None if seed is None else int(seed))
    return _states[device]


def set_random_state(rs):
    if not isinstance(rs, RandomState):
        raise TypeError(f'Random state must be an instance of RandomState. Actual: {type(rs)}')
    _states[_core.current_device()] = rs


def reset_states():
    _states.clear()


def seed(seed=None):
    get_random_state().seed(seed)


def rand(*size, **kwarg):
    return get_random_state().rand(*size, **kwarg)


def randn(*size, **kwarg):
    return get_random_state().randn(*size, **kwarg)


def random_sample(size=None, dtype=float):
    return get_random_state().random_sample(size, dtype)


random = ranf = sample = random_sample


def randint(low, high=None, size=None, dtype='l'):
    return get_random_state().randint(low, high, size, dtype)


def normal(loc=0.0, scale=1.0, size=None, dtype=float):
    return get_random_state().normal(loc, scale, size, dtype)


def standard_normal(size=None, dtype=float):
    return get_random_state().standard_normal(size, dtype)


def uniform(low=0.0, high=1.0, size=None, dtype=float):
    return get_random_state().uniform(low, high, size, dtype)


def permutation(a):
    return get_random_state().permutation(a)


def shuffle(a):
    get_random_state().shuffle(a)


def choice(a, size=None, replace=True, p=None):
    return get_random_state().choice(a, size, replace, p)


__all__ = ['RandomState', 'get_random_state', 'set_random_state', 'reset_states', 'seed', 'rand',
           'randn', 'random_sample', 'random', 'ranf', 'sample', 'randint', 'normal',
           'standard_normal', 'uniform', 'permutation', 'shuffle', 'choice']
