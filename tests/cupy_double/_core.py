"""The generic layer of the CuPy double: ``ndarray`` and the wrapping of NumPy calls.

An ``ndarray`` wraps a NumPy array (``_a``) and remembers the fake device it lives on (``_dev``)
and, for a view, the array it is a view of (``_base``, as CuPy's ``base``). Every operation
unwraps its cupy operands, refuses NumPy arrays where CuPy refuses them, runs NumPy, and wraps
the results: arrays stay arrays, NumPy scalars become 0-d arrays (CuPy never returns a scalar
from array math). The behaviour copied here is CuPy's (cupy/_core/core.pyx, _kernel.pyx,
_routines_indexing.pyx, _scalar.pyx at github.com/cupy/cupy), written anew, not copied.
"""
import warnings

import numpy

from ._device import check_devices, current_device, declare_synchronize

PYTHON_SCALARS = (bool, int, float, complex)


def is_scalar(x):
    """A value CuPy's kernels take as a scalar argument (Python or NumPy scalar)."""
    return type(x) in PYTHON_SCALARS or isinstance(x, numpy.generic)


def unsupported(x):
    # cupy/_core/_scalar.pyx, CScalar: what is neither a cupy array nor a scalar
    return TypeError(f'Unsupported type {type(x)}')


def check_dtype(dtype):
    """CuPy holds booleans, integers, floats up to 64 bits and complex numbers, nothing else."""
    if dtype.kind not in 'biufc' or dtype.kind == 'f' and dtype.itemsize > 8 \
            or dtype.kind == 'c' and dtype.itemsize > 16:
        raise ValueError(f'Unsupported dtype {dtype}')


def new(a, device, base=None):
    """An ndarray holding the NumPy array ``a`` on fake device ``device``."""
    check_dtype(a.dtype)
    if a.base is not None:         # CuPy has no read-only arrays (NumPy's broadcast views);
        try:                       # set, not read: reading warns for broadcast_arrays
            a.flags.writeable = True
        except ValueError:         # as_strided's views: writeable already
            pass
    out = object.__new__(ndarray)
    out._a, out._dev, out._base = a, device, base
    return out


def unwrap(value, arrays, refuse_numpy=True):
    """``value`` with cupy arrays replaced by their NumPy arrays (collected in ``arrays``),
    looking into lists and tuples (concatenate([a, b])); a NumPy array is refused as CuPy's
    kernels refuse it: CuPy never copies host data to the GPU implicitly."""
    if isinstance(value, ndarray):
        arrays.append(value)
        return value._a
    if isinstance(value, numpy.ndarray) and refuse_numpy:
        raise unsupported(value)
    if type(value) in (list, tuple):
        return type(value)(unwrap(v, arrays, refuse_numpy) for v in value)
    return value


def wrap(result, inputs=()):
    """NumPy's result as CuPy would return it: arrays wrapped (a view keeps the device of the
    array it looks into and names it as base), NumPy scalars as 0-d arrays."""
    if isinstance(result, numpy.ndarray):
        for a in inputs:
            if result is a._a:
                return a
        if result.base is not None:
            for a in inputs:
                if numpy.may_share_memory(result, a._a):
                    return new(result, a._dev, a._base if a._base is not None else a)
        return new(result, current_device())
    if isinstance(result, numpy.generic):
        return new(numpy.asarray(result), current_device())
    if type(result) in (tuple, list):
        return type(result)(wrap(r, inputs) for r in result)
    return result


def is_view(result, inputs):
    return all(r._base is not None or any(r is a for a in inputs) for r in
               (result if isinstance(result, (tuple, list)) else (result,))
               if isinstance(r, ndarray))


def call(func, args, kwargs, views=False, refuse_numpy=True):
    """func(*args, **kwargs) on NumPy arrays, with CuPy's rules on the way in and out. With
    ``views``, a result that is a view needs no kernel and so no device check."""
    arrays = []
    args = unwrap(args, arrays, refuse_numpy)
    kwargs = {k: unwrap(v, arrays, refuse_numpy) for k, v in kwargs.items()}
    if not views:
        check_devices(arrays)
    result = wrap(func(*args, **kwargs), arrays)
    if views and not is_view(result, arrays):
        check_devices(arrays)
    return result


def index_key(key):
    """An index for NumPy: cupy arrays unwrapped; NumPy arrays and lists are allowed here (CuPy
    copies them to the GPU: _prepare_slice_list)."""
    key = key if isinstance(key, tuple) else (key,)
    return tuple(k._a if isinstance(k, ndarray) else k for k in key)


def is_basic(key):
    """Integers, slices, None and Ellipsis: CuPy answers with a view, even for a[0] of a 1-D
    array (a 0-d view), where NumPy answers with a scalar. A 0-d integer array is an array
    index to CuPy ("forces to return a new array")."""
    return all(k is None or k is Ellipsis or isinstance(k, slice) or (
        isinstance(k, (int, numpy.integer)) and not isinstance(k, (bool, numpy.bool_)))
        for k in key)


# ---------------------------------------------------------------- the array

IMPLICIT = ('Implicit conversion to a NumPy array is not allowed. '
            'Please use `.get()` to construct a NumPy array explicitly.')


class Flags:
    """CuPy's flags: c_contiguous, f_contiguous and owndata only (no ``writeable``)."""
    __slots__ = ('c_contiguous', 'f_contiguous', 'owndata')

    def __init__(self, c, f, own):
        self.c_contiguous, self.f_contiguous, self.owndata = c, f, own

    def __getitem__(self, name):
        keys = {'C_CONTIGUOUS': 'c_contiguous', 'F_CONTIGUOUS': 'f_contiguous',
                'OWNDATA': 'owndata'}
        if name not in keys:
            raise KeyError(f'{name} is not defined for cupy.ndarray.flags')
        return getattr(self, keys[name])


class MemoryPointer:
    """What ``a.data`` is in CuPy (not a memoryview): a device pointer."""
    __slots__ = ('ptr', 'device_id')

    def __init__(self, ptr, device_id):
        self.ptr, self.device_id = ptr, device_id

    @property
    def device(self):
        from .cupy.cuda import Device
        return Device(self.device_id)


def _binary(name, reflected=False):
    def op(self, other):
        # CuPy (_should_use_rop): defer to an operand that opts out of ufuncs
        # (__array_ufunc__ = None, as minidl's Tensor) or has a higher __array_priority__
        if not isinstance(other, ndarray):
            theirs = getattr(other, '__array_ufunc__', numpy)
            if theirs is None or theirs is numpy and getattr(
                    other, '__array_priority__', 0) > self.__array_priority__:
                return NotImplemented
            if isinstance(other, numpy.ndarray) and other.ndim == 0 and name in COMPARISONS:
                other = other.item()            # CuPy's workaround for 0-d NumPy arrays
        return _ufunc.UFUNCS[name](other, self) if reflected else _ufunc.UFUNCS[name](self, other)
    return op


def _inplace(name):
    def op(self, other):
        return _ufunc.UFUNCS[name](self, other, out=self)
    return op


def _method(name, views=False):
    def method(self, *args, **kwargs):
        return call(getattr(numpy.ndarray, name), (self,) + args, kwargs, views)
    method.__name__ = name
    return method


class ndarray:
    """cupy.ndarray: an array on a (fake) GPU. Not a numpy.ndarray: NumPy cannot read it."""
    __slots__ = ('_a', '_dev', '_base', '__weakref__')
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order='C'):
        if memptr is not None or strides is not None:
            raise NotImplementedError('the CuPy double does not emulate memptr and strides')
        a = numpy.empty(shape, dtype=dtype, order=order)
        check_dtype(a.dtype)
        self._a, self._dev, self._base = a, current_device(), None

    # ------------------------------------------------ attributes
    shape = property(lambda self: self._a.shape)

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    dtype = property(lambda self: self._a.dtype)
    size = property(lambda self: self._a.size)
    ndim = property(lambda self: self._a.ndim)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    base = property(lambda self: self._base)
    flags = property(lambda self: Flags(self._a.flags.c_contiguous, self._a.flags.f_contiguous,
                                        self._base is None))
    data = property(lambda self: MemoryPointer(self._a.__array_interface__['data'][0],
                                               self._dev))
    T = property(lambda self: self if self.ndim < 2 else self.transpose())
    real = property(lambda self: wrap(self._a.real, (self,)))
    imag = property(lambda self: wrap(self._a.imag, (self,)))

    @property
    def mT(self):
        if self.ndim < 2:
            raise ValueError('matrix transpose with ndim < 2 is undefined')
        return self.swapaxes(-1, -2)

    @property
    def device(self):
        from .cupy.cuda import Device
        return Device(self._dev)

    @property
    def __cuda_array_interface__(self):
        return {'shape': self.shape, 'typestr': self.dtype.str, 'descr': self.dtype.descr,
                'stream': 1, 'version': 3,
                'strides': None if self._a.flags.c_contiguous else self.strides,
                'data': (self.data.ptr if self.size else 0, False)}

    def __dlpack_device__(self):
        return (2, self._dev)        # kDLCUDA

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        # CuPy exports device memory, or copies to the host when dl_device asks for the CPU
        if dl_device is not None and tuple(dl_device) == (1, 0):
            if copy is False:
                raise ValueError('GPU memory cannot be exported to CPU without copy.')
            return self.get().__dlpack__(max_version=max_version)
        return DeviceCapsule(self)



    # ------------------------------------------------ conversions
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """As CuPy: a NumPy ufunc on a cupy array runs CuPy's ufunc of the same name (or
        cupyx.scipy.special's), which then refuses NumPy arrays among the operands."""
        from . import cupy, cupyx
        if 'out' in kwargs:
            if len(kwargs['out']) != 1:
                raise ValueError("The 'out' parameter must have exactly one array value")
            inputs_out, kwargs['out'] = inputs + kwargs['out'], kwargs['out'][0]
        else:
            inputs_out = inputs
        if method not in ('__call__', 'outer', 'at', 'reduce', 'accumulate', 'reduceat'):
            return NotImplemented
        func = getattr(cupy, ufunc.__name__, None) or getattr(cupyx.scipy.special,
                                                               ufunc.__name__, None)
        if func is None or method != '__call__' and not hasattr(func, method):
            return NotImplemented
        for x in inputs_out:
            if not (is_scalar(x) or isinstance(x, (ndarray, numpy.ndarray))
                    or hasattr(x, '__cuda_array_interface__')):
                return NotImplemented
        if ufunc.__name__ in COMPARISONS:
            inputs = tuple(x.item() if isinstance(x, numpy.ndarray) and x.ndim == 0 else x
                           for x in inputs)
        return (func if method == '__call__' else getattr(func, method))(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """As CuPy: numpy.f(cupy array) runs cupy.f when CuPy has it (else NumPy raises its
        "no implementation found" TypeError)."""
        from . import cupy
        module = cupy
        for part in func.__module__.split('.')[1:]:
            module = getattr(module, part, None)
        ours = getattr(module, func.__name__, None)
        if ours is None or ours is func:
            return NotImplemented
        if not all(issubclass(t, (ndarray, numpy.ndarray)) for t in types):
            return NotImplemented
        return ours(*args, **kwargs)

    def _host(self):
        """The NumPy array, for what CuPy reads through get() (a synchronisation)."""
        declare_synchronize()
        return self._a

    def get(self, stream=None, order='C', out=None, blocking=True):
        """The explicit device-to-host copy: a new NumPy array (or ``out`` filled)."""
        declare_synchronize()
        if out is not None:
            if not isinstance(out, numpy.ndarray):
                raise TypeError('Only numpy.ndarray can be obtained from cupy.ndarray')
            if out.dtype != self.dtype:
                raise TypeError(f'{out.dtype} array cannot be obtained from {self.dtype} array')
            if out.shape != self.shape:
                raise ValueError(f'Shape mismatch. Expected shape: {out.shape}, '
                                 f'actual shape: {self.shape}')
            numpy.copyto(out, self._a)
            return out
        return numpy.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        """The explicit host-to-device copy into this array."""
        if not isinstance(arr, numpy.ndarray):
            raise TypeError(f'Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}')
        if arr.dtype != self.dtype or arr.shape != self.shape:
            raise ValueError('the dtype and shape must match')
        self._a[...] = arr

    def item(self):
        if self.size != 1:
            raise ValueError('can only convert an array of size 1 to a Python scalar')
        return self._host().item()

    def tolist(self):
        return self._host().tolist()

    def tobytes(self, order='C'):
        return self._host().tobytes(order)

    def __int__(self):          # CuPy: int(self.get()), NumPy's rules (and warnings) for ndim > 0
        return int(self._host())

    def __float__(self):
        return float(self._host())

    def __complex__(self):
        return complex(self._host())

    def __bool__(self):
        if self.size == 0:
            warnings.warn('The truth value of an empty array is ambiguous. Returning False, but '
                          'in future this will result in an error. Use `array.size > 0` to '
                          'check that an array is not empty.', DeprecationWarning, stacklevel=2)
            return False
        if self.size > 1:
            raise ValueError('The truth value of an array with more than one element is '
                             'ambiguous. Use a.any() or a.all()')
        return bool(self._host().reshape(()))
    # No __index__: CuPy has none, so a cupy array is never a Python index or length.

    def __repr__(self):
        return repr(self._host())

    def __str__(self):
        return str(self._host())

    def __format__(self, spec):
        return format(self._host(), spec)

    def __reduce__(self):
        return array, (self.get(),)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        from .cupy.cuda import Device
        with Device(self._dev):
            return self.copy()

    # ------------------------------------------------ container
    def __len__(self):
        if self.ndim == 0:
            raise TypeError('len() of unsized object')
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError('iteration over a 0-d array')
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, key):
        key = index_key(key)
        if is_basic(key):
            if Ellipsis not in key:
                key += (Ellipsis,)         # NumPy then gives a 0-d view, not a scalar
            return new(self._a[key], self._dev, self._base if self._base is not None else self)
        check_devices([self])
        return new(numpy.array(self._a[key]), current_device())     # advanced: a new array

    def __setitem__(self, key, value):
        key = index_key(key)
        if isinstance(value, ndarray):
            check_devices([value])
            value = value._a
        elif is_basic(key) and not is_scalar(value):
            # CuPy: anything but a cupy array goes through fill(), which takes scalars only
            value = numpy.asarray(value, dtype=self.dtype)
            if value.shape != ():
                raise ValueError('non-scalar numpy.ndarray cannot be used for fill')
        # else advanced indexing: CuPy copies a host value to the GPU (cupy.array(value))
        self._a[key] = value

    def fill(self, value):
        if isinstance(value, ndarray):
            if value.shape != ():
                raise ValueError('non-scalar cupy.ndarray cannot be used for fill')
            value = value._a
        else:
            value = numpy.asarray(value, dtype=self.dtype)
            if value.shape != ():
                raise ValueError('non-scalar numpy.ndarray cannot be used for fill')
        self._a.fill(value)

    def scatter_add(self, slices, value):
        warnings.warn('`ndarray.scatter_add` is deprecated. Please use `cupy.add.at` instead.',
                      DeprecationWarning, stacklevel=2)
        _ufunc.scatter(self, slices, value, 'add')

    def scatter_max(self, slices, value):
        warnings.warn('`ndarray.scatter_max` is deprecated Please use `cupy.maximum.at` '
                      'instead.', DeprecationWarning, stacklevel=2)
        _ufunc.scatter(self, slices, value, 'maximum')

    def scatter_min(self, slices, value):
        warnings.warn('`ndarray.scatter_min` is deprecated Please use `cupy.minimum.at` '
                      'instead.', DeprecationWarning, stacklevel=2)
        _ufunc.scatter(self, slices, value, 'minimum')

    # ------------------------------------------------ methods, with CuPy's signatures
    def astype(self, dtype, order='K', casting=None, subok=None, copy=True):
        a = self._a.astype(dtype, order=order, casting=casting or 'unsafe', copy=copy)
        if a is self._a:
            return self
        check_devices([self])
        return new(a, current_device())

    def copy(self, order='C'):
        # CuPy copies onto the current device (from another one only when contiguous)
        return new(self._a.copy(order=order), current_device())

    def view(self, dtype=None, type=None):
        if type is not None:
            raise NotImplementedError('the CuPy double has no ndarray subclasses')
        return wrap(self._a.view() if dtype is None else self._a.view(dtype), (self,))

    def reshape(self, *shape, order='C', copy=None):
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return call(numpy.reshape, (self, shape), {'order': order, 'copy': copy}, views=True)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes
        return call(numpy.transpose, (self, axes or None), {}, views=True)

    def swapaxes(self, axis1, axis2):
        return wrap(self._a.swapaxes(axis1, axis2), (self,))

    def flatten(self, order='C'):
        return call(numpy.ndarray.flatten, (self, order), {})

    def ravel(self, order='C'):
        return call(numpy.ravel, (self, order), {}, views=True)

    def squeeze(self, axis=None):
        return wrap(self._a.squeeze(axis), (self,))

    def take(self, indices, axis=None, out=None):
        return call(numpy.take, (self, indices, axis, out), {}, refuse_numpy=False)

    def put(self, indices, values, mode='wrap'):
        return call(numpy.put, (self, indices, values, mode), {}, refuse_numpy=False)

    def repeat(self, repeats, axis=None):
        return call(numpy.repeat, (self, repeats, axis), {})

    def sort(self, axis=-1, kind=None):
        check_kind(kind)
        self._a.sort(axis, kind='stable')

    def argsort(self, axis=-1, kind=None):
        check_kind(kind)
        return call(numpy.argsort, (self, axis), {'kind': 'stable'})

    def partition(self, kth, axis=-1):
        self._a.partition(kth, axis)

    def argpartition(self, kth, axis=-1):
        return call(numpy.argpartition, (self, kth, axis), {})

    def searchsorted(self, v, side='left', sorter=None):
        return call(numpy.searchsorted, (self, v, side, sorter), {})

    def nonzero(self):
        return call(numpy.nonzero, (self,), {})

    def compress(self, condition, axis=None, out=None):
        return call(numpy.compress, (condition, self, axis, out), {})

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return wrap(self._a.diagonal(offset, axis1, axis2), (self,))

    def max(self, axis=None, out=None, keepdims=False):
        return call(numpy.max, (self, axis, out, keepdims), {})

    def min(self, axis=None, out=None, keepdims=False):
        return call(numpy.min, (self, axis, out, keepdims), {})

    def ptp(self, axis=None, out=None, keepdims=False):
        return call(numpy.ptp, (self, axis, out, keepdims), {})

    def argmax(self, axis=None, out=None, dtype=None, keepdims=False):
        return arg_reduce(numpy.argmax, self, axis, dtype, out, keepdims)

    def argmin(self, axis=None, out=None, dtype=None, keepdims=False):
        return arg_reduce(numpy.argmin, self, axis, dtype, out, keepdims)

    def clip(self, min=None, max=None, out=None):
        return call(numpy.clip, (self, min, max, out), {})

    def round(self, decimals=0, out=None):
        return call(numpy.round, (self, decimals, out), {})

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
        return call(numpy.trace, (self, offset, axis1, axis2, dtype, out), {})

    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return call(numpy.sum, (self, axis, dtype, out, keepdims), {})

    def prod(self, axis=None, dtype=None, out=None, keepdims=None):
        return call(numpy.prod, (self, axis, dtype, out, bool(keepdims)), {})

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return call(numpy.mean, (self, axis, dtype, out, keepdims), {})

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return call(numpy.var, (self, axis, dtype, out, ddof, keepdims), {})

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return call(numpy.std, (self, axis, dtype, out, ddof, keepdims), {})

    def cumsum(self, axis=None, dtype=None, out=None):
        return call(numpy.cumsum, (self, axis, dtype, out), {})

    def cumprod(self, axis=None, dtype=None, out=None):
        return call(numpy.cumprod, (self, axis, dtype, out), {})

    def all(self, axis=None, out=None, keepdims=False):
        return call(numpy.all, (self, axis, out, keepdims), {})

    def any(self, axis=None, out=None, keepdims=False):
        return call(numpy.any, (self, axis, out, keepdims), {})

    def dot(self, b, out=None):
        if not isinstance(b, ndarray):        # a typed Cython argument in CuPy
            raise TypeError(f"Argument 'b' has incorrect type (expected cupy._core.core."
                            f"_ndarray_base, got {type(b).__name__})")
        return call(numpy.dot, (self, b, out), {})

    conj = _method('conj')
    conjugate = _method('conjugate')
    byteswap = _method('byteswap')

    # ------------------------------------------------ operators
    def __neg__(self):
        return _ufunc.UFUNCS['negative'](self)

    def __pos__(self):
        return _ufunc.UFUNCS['positive'](self)

    def __abs__(self):
        return _ufunc.UFUNCS['absolute'](self)

    def __invert__(self):
        return _ufunc.UFUNCS['invert'](self)

    def __matmul__(self, other):
        if not isinstance(other, ndarray) and getattr(other, '__array_ufunc__', 0) is None:
            return NotImplemented
        return _ufunc.matmul(self, other)

    def __rmatmul__(self, other):
        return _ufunc.matmul(other, self)


OPERATORS = {'add': 'add', 'sub': 'subtract', 'mul': 'multiply', 'truediv': 'true_divide',
             'floordiv': 'floor_divide', 'mod': 'remainder', 'pow': 'power',
             'divmod': 'divmod', 'and': 'bitwise_and', 'or': 'bitwise_or',
             'xor': 'bitwise_xor', 'lshift': 'left_shift', 'rshift': 'right_shift'}
COMPARISONS = {'lt': 'less', 'le': 'less_equal', 'gt': 'greater', 'ge': 'greater_equal',
               'eq': 'equal', 'ne': 'not_equal'}
for _op, _name in OPERATORS.items():
    setattr(ndarray, f'__{_op}__', _binary(_name))
    setattr(ndarray, f'__r{_op}__', _binary(_name, reflected=True))
    if _op != 'divmod':
        setattr(ndarray, f'__i{_op}__', _inplace(_name))
for _op, _name in COMPARISONS.items():
    setattr(ndarray, f'__{_op}__', _binary(_name))
COMPARISONS = set(COMPARISONS.values())
ndarray.__module__ = 'cupy'


def _eq_none(compare, fill):
    # CuPy: == and != with None or an object without its own __eq__ give all False / all True
    def op(self, other):
        if other is None or not isinstance(other, ndarray) and not is_scalar(other) and \
                not isinstance(other, numpy.ndarray) and type(other).__eq__ is object.__eq__:
            return new(numpy.full(self.shape, fill), self._dev)
        return compare(self, other)
    return op


ndarray.__eq__ = _eq_none(ndarray.__eq__, False)
ndarray.__ne__ = _eq_none(ndarray.__ne__, True)


def check_kind(kind):
    if kind is not None and kind != 'stable':
        raise ValueError("kind can only be None or 'stable'")


def arg_reduce(func, a, axis, dtype, out, keepdims):
    """argmax/argmin: CuPy's take a dtype for the indices, NumPy's do not."""
    result = call(func, (a, axis), {'keepdims': keepdims})
    if dtype is not None:
        result = result.astype(dtype, copy=False)
    if out is not None:
        out[...] = result
        return out
    return result


# ---------------------------------------------------------------- creation

def fresh(a):
    """A new array on the current device holding the NumPy array ``a``."""
    return new(a, current_device())


def host_value(obj):
    """``obj`` for numpy.array: cupy arrays inside nested lists are allowed (CuPy copies them
    over); the result is checked for a dtype CuPy supports."""
    if isinstance(obj, ndarray):
        return obj._a
    if type(obj) in (list, tuple):
        return type(obj)(host_value(v) for v in obj)
    return obj


def array(obj, dtype=None, copy=True, order='K', subok=False, ndmin=0, *, blocking=False):
    """cupy.array: a cupy array from cupy data (copied onto the current device) or from host
    data (NumPy arrays, lists, scalars: the explicit host-to-device copy). copy=False avoids a
    copy where it can (unsure: whether recent CuPy raises as NumPy 2 does when it cannot)."""
    if isinstance(obj, ndarray):
        if obj._dev != current_device():
            copy = True
        a = numpy.array(obj._a, dtype=dtype, copy=True if copy else None, order=order,
                        ndmin=ndmin)
        return wrap(a, (obj,))
    a = numpy.array(host_value(obj), dtype=dtype, copy=True, order=order, ndmin=ndmin)
    return fresh(a)


from . import _ufunc  # noqa: E402  (last: it builds on ndarray)


class DeviceCapsule:
    """What the double's ``__dlpack__`` hands out for its "device memory": not a real DLPack
    capsule (NumPy cannot read a CUDA one either), but the array itself, which the double's
    ``from_dlpack`` turns back into a view sharing the memory, as CuPy's zero-copy exchange."""
    __slots__ = ('array',)

    def __init__(self, array):
        self.array = array


def from_dlpack(x, *, device=None, copy=None):
    """cupy.from_dlpack: a view of another library's CUDA array (here: anything whose
    ``__dlpack__`` gives a DeviceCapsule), without a copy."""
    if not hasattr(x, '__dlpack__'):
        raise TypeError(f'from_dlpack expects an object with __dlpack__, got {type(x).__name__}')
    capsule = x.__dlpack__()
    if not isinstance(capsule, DeviceCapsule):
        raise BufferError('the CuPy double can only import device arrays (kDLCUDA)')
    source = capsule.array
    return new(source._a, source._dev, source._base if source._base is not None else source)
