"""cupy.ufunc of the CuPy double, cupy.matmul, and the scatter operations behind ufunc.at and
cupyx.scatter_add."""
import numpy

from ._core import call, index_key, is_basic, is_scalar, ndarray, unsupported, wrap
from ._device import check_devices


def matmul(a, b, out=None, **kwargs):
    for x in (a, b):
        if not isinstance(x, ndarray):
            raise unsupported(x)
    return call(numpy.matmul, (a, b), dict(kwargs, out=out))


# the ufuncs whose .at CuPy implements (_scatter_op), and the dtypes each one accepts
SCATTER_DTYPES = {
    'add': ('int32', 'int64', 'float16', 'float32', 'float64', 'uint32', 'uint64'),
    'subtract': ('int32', 'uint32'),
    'maximum': ('int32', 'int64', 'float32', 'float64', 'uint32', 'uint64'),
    'minimum': ('int32', 'int64', 'float32', 'float64', 'uint32', 'uint64'),
    'bitwise_and': ('int32', 'int64', 'uint32', 'uint64'),
    'bitwise_or': ('int32', 'int64', 'uint32', 'uint64'),
    'bitwise_xor': ('int32', 'int64', 'uint32', 'uint64'),
}


class ufunc:
    """cupy.ufunc: a NumPy ufunc behind CuPy's argument rules (only cupy arrays and scalars as
    operands; out, dtype and casting as keywords; reduce/accumulate for add and multiply)."""

    def __init__(self, np_ufunc, name=None):
        self._u = np_ufunc
        self.__name__ = name or np_ufunc.__name__
        self.name = 'cupy_' + self.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs

    def __repr__(self):
        return f'<ufunc {self.name!r}>'

    def __call__(self, *args, out=None, dtype=None, casting='same_kind', **kwargs):
        if kwargs:
            raise TypeError(f'Wrong arguments {kwargs}')
        if not self.nin <= len(args) <= self.nargs:
            raise TypeError(f'Wrong number of arguments for {self.name!r}. It must be either '
                            f'{self.nin} or {self.nargs} (with outputs), but given {len(args)}.')
        if out is not None:
            args += out if isinstance(out, tuple) else (out,)
        for i, x in enumerate(args):
            if not (isinstance(x, ndarray) or i < self.nin and is_scalar(x)
                    or i >= self.nin and x is None):
                raise unsupported(x)
        arrays = [x for x in args if isinstance(x, ndarray)]
        check_devices(arrays)
        outs = tuple(x._a if x is not None else None for x in args[self.nin:]) or None
        result = self._u(*(x._a if isinstance(x, ndarray) else x for x in args[:self.nin]),
                         out=outs, dtype=dtype, casting=casting)
        return wrap(result, arrays)

    def outer(self, a, b, **kwargs):
        return call(self._u.outer, (a, b), kwargs)

    def at(self, a, indices, b=None):
        if self.__name__ not in SCATTER_DTYPES:
            raise NotImplementedError(f'`{self.name}.at` is not supported yet')
        scatter(a, indices, b, self.__name__)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        if self.__name__ == 'add':
            return array.sum(axis, dtype, out, keepdims)
        if self.__name__ == 'multiply':
            return array.prod(axis, dtype, out, keepdims)
        raise NotImplementedError(f'`{self.name}.reduce` is not supported yet')

    def accumulate(self, array, axis=0, dtype=None, out=None):
        if self.__name__ == 'add':
            return array.cumsum(axis, dtype, out)
        if self.__name__ == 'multiply':
            return array.cumprod(axis, dtype, out)
        raise NotImplementedError(f'`{self.name}.accumulate` is not supported yet')


def scatter(a, slices, value, name):
    """a[slices] op= value, unbuffered (CuPy's _scatter_op). With array indices CuPy takes any
    array-like value (it copies host data over) and checks the dtype its atomics support; with
    basic indices it applies the ufunc to the view, which refuses NumPy operands."""
    key = index_key(slices)
    if is_basic(key):
        view = a[slices]
        UFUNCS[name](view, value, out=view)
        return
    if a.dtype.name not in SCATTER_DTYPES[name]:
        raise TypeError(f'cupy.{name}.at only supports '
                        f'{", ".join(SCATTER_DTYPES[name])} as data type')
    check_devices([a] + ([value] if isinstance(value, ndarray) else []))
    value = value._a if isinstance(value, ndarray) else numpy.asarray(value)
    getattr(numpy, name).at(a._a, key, value.astype(a.dtype, copy=False))


UFUNC_NAMES = '''add subtract multiply divide true_divide floor_divide power float_power remainder
    fmod negative positive absolute sign reciprocal exp exp2 expm1 log log2 log10 log1p logaddexp
    logaddexp2 sqrt square cbrt sin cos tan arcsin arccos arctan arctan2 hypot sinh cosh tanh
    arcsinh arccosh arctanh deg2rad rad2deg degrees radians floor ceil trunc rint maximum minimum
    fmax fmin isfinite isinf isnan signbit copysign nextafter ldexp frexp modf divmod greater
    greater_equal less less_equal equal not_equal logical_and logical_or logical_xor logical_not
    bitwise_and bitwise_or bitwise_xor invert left_shift right_shift gcd lcm heaviside
    conjugate'''.split()
UFUNCS = {name: ufunc(getattr(numpy, name), name) for name in UFUNC_NAMES}
