"""The ``cupy`` module of the CuPy double: an explicit list of what CuPy has.

Every name here exists in CuPy (cupy/__init__.py); a name CuPy lacks, or one this double does not
emulate, raises AttributeError. Functions run NumPy through _core.call, which refuses NumPy arrays
as operands (CuPy's "Unsupported type" TypeError) and returns 0-d arrays for scalars. Dtypes and
scalar types are NumPy's own objects, as in CuPy.
"""
import builtins
import sys

import numpy

from .. import _core
from .. import _ufunc
from .._core import array, fresh, from_dlpack, ndarray, unsupported  # noqa: F401
from .._ufunc import ufunc  # noqa: F401
from . import cuda, lib, random  # noqa: F401

_this = sys.modules[__name__]

# ---------------------------------------------------------------- NumPy's own objects
for _name in '''dtype finfo iinfo issubdtype promote_types isdtype isscalar mintypecode
        e pi inf nan newaxis euler_gamma generic number integer signedinteger unsignedinteger
        inexact floating complexfloating bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64
        float16 float32 float64 complex64 complex128 intp uintp byte ubyte short ushort intc
        uintc int_ uint longlong ulonglong half single double csingle cdouble'''.split():
    setattr(_this, _name, getattr(numpy, _name))
bool = numpy.bool_          # noqa: A001  (cupy.bool, as numpy.bool)
float_, complex_ = numpy.float64, numpy.complex128


def result_type(*arrays_and_dtypes):
    return numpy.result_type(*(a.dtype if isinstance(a, ndarray) else a
                               for a in arrays_and_dtypes))


def can_cast(from_, to, casting='safe'):
    return numpy.can_cast(from_.dtype if isinstance(from_, ndarray) else from_, to,
                          casting=casting)


# ---------------------------------------------------------------- ufuncs
globals().update(_ufunc.UFUNCS)
abs, conj, mod, bitwise_not, pow = absolute, conjugate, remainder, invert, power  # noqa: F821
acos, asin, atan, atan2 = arccos, arcsin, arctan, arctan2                         # noqa: F821
acosh, asinh, atanh = arccosh, arcsinh, arctanh                                   # noqa: F821
matmul = _ufunc.matmul

# ---------------------------------------------------------------- array functions
# CuPy's parameters where NumPy's function takes more (NumPy's extra ones are refused)
SIGNATURES = {name: params.split() for names, params in [
    ('sum prod mean nansum nanprod nanmean', 'a axis dtype out keepdims'),
    ('var std nanvar nanstd', 'a axis dtype out ddof keepdims'),
    ('amax amin max min nanmax nanmin ptp all any', 'a axis out keepdims'),
    ('cumsum cumprod', 'a axis dtype out'),
    ('clip', 'a a_min a_max out'),
    ('where', 'condition x y'),
    ('concatenate stack', 'tup axis out dtype casting'),
    ('count_nonzero', 'a axis'),
    ('dot', 'x y out'),
    ('broadcast_to', 'array shape'),
    ('transpose', 'a axes'),
    ('round around', 'a decimals out'),
    ('take', 'a indices axis out'),
    ('isclose allclose', 'a b rtol atol equal_nan'),
    ('array_equal', 'a1 a2 equal_nan'),
] for name in names.split()}
VIEWS = set('''reshape ravel transpose permute_dims swapaxes moveaxis rollaxis squeeze
    expand_dims broadcast_to broadcast_arrays atleast_1d atleast_2d atleast_3d split array_split
    hsplit vsplit dsplit diagonal flip fliplr flipud real imag'''.split())
ZERO_D = {'count_nonzero', 'array_equal', 'array_equiv', 'allclose'}   # CuPy: 0-d arrays
FUNCTIONS = '''all amax amin any append argwhere around array_equal array_equiv array_split
    atleast_1d atleast_2d atleast_3d average bincount broadcast_arrays broadcast_to choose clip
    column_stack compress concatenate copy corrcoef count_nonzero cov cross cumprod cumsum diag
    diagflat diagonal diff digitize dot dsplit dstack einsum expand_dims extract fix flatnonzero
    flip fliplr flipud histogram hsplit hstack inner isclose allclose kron lexsort mean median
    meshgrid moveaxis nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean
    nanmedian nanmin nanprod nanstd nansum nanvar ndim nonzero outer pad partition percentile
    prod ptp quantile ravel repeat reshape roll rollaxis rot90 round searchsorted split
    squeeze stack std sum swapaxes take_along_axis tensordot tile trace transpose tril triu unique
    var vdot vsplit vstack where real imag angle may_share_memory shares_memory argpartition
    take indices'''.split()


def _function(name):
    np_func = getattr(numpy, name)
    params = SIGNATURES.get(name)

    def function(*args, **kwargs):
        if params is not None:
            unknown = [k for k in kwargs if k not in params]
            if unknown or len(args) > len(params):
                raise TypeError(f'{name}() got an unexpected argument '
                                f'{unknown[0] if unknown else args[len(params)]!r}')
        result = _core.call(np_func, args, kwargs, views=name in VIEWS)
        if name in ZERO_D and type(result) in (builtins.bool, int):
            result = fresh(numpy.asarray(result))
        return result
    function.__name__ = function.__qualname__ = name
    return function


for _name in FUNCTIONS:
    setattr(_this, _name, _function(_name))
max, min, concat, permute_dims = amax, amin, concatenate, transpose  # noqa: F821


def argmax(a, axis=None, dtype=None, out=None, keepdims=False):
    return _core.arg_reduce(numpy.argmax, a, axis, dtype, out, keepdims)


def argmin(a, axis=None, dtype=None, out=None, keepdims=False):
    return _core.arg_reduce(numpy.argmin, a, axis, dtype, out, keepdims)


def sort(a, axis=-1, kind=None):
    _core.check_kind(kind)          # CuPy sorts stably, and knows no other kind
    return _core.call(numpy.sort, (a, axis), {'kind': 'stable'})


def argsort(a, axis=-1, kind=None):
    _core.check_kind(kind)
    return _core.call(numpy.argsort, (a, axis), {'kind': 'stable'})


def copyto(dst, src, casting='same_kind', where=None):
    """CuPy's copyto: a NumPy ``src`` must hold one value; a cupy ``src`` may live on another
    device (CuPy copies it over)."""
    if not isinstance(dst, ndarray):
        raise unsupported(dst)
    if isinstance(src, numpy.ndarray):
        if src.size != 1:
            raise ValueError('non-scalar numpy.ndarray cannot be used for copyto')
        src = src.squeeze()[()]
    if isinstance(where, numpy.ndarray):
        raise unsupported(where)
    numpy.copyto(dst._a, src._a if isinstance(src, ndarray) else src, casting=casting,
                 where=True if where is None else where._a if isinstance(where, ndarray)
                 else where)


# ---------------------------------------------------------------- creation and transfers
def zeros(shape, dtype=float, order='C'):
    return fresh(numpy.zeros(shape, dtype, order))


def ones(shape, dtype=float, order='C'):
    return fresh(numpy.ones(shape, dtype, order))


def empty(shape, dtype=float, order='C'):
    return fresh(numpy.empty(shape, dtype, order))


def full(shape, fill_value, dtype=None, order='C'):
    if dtype is None:
        dtype = fill_value.dtype if isinstance(fill_value, ndarray) else numpy.array(
            fill_value).dtype
    out = empty(shape, dtype, order)
    out.fill(fill_value)
    return out


def _prototype(a):
    # the *_like functions read only the shape, dtype and layout of ``a`` (cupy or NumPy)
    return a._a if isinstance(a, ndarray) else a


def zeros_like(a, dtype=None, order='K', subok=None, shape=None):
    return fresh(numpy.zeros_like(_prototype(a), dtype, order, shape=shape))


def ones_like(a, dtype=None, order='K', subok=None, shape=None):
    return fresh(numpy.ones_like(_prototype(a), dtype, order, shape=shape))


def empty_like(a, dtype=None, order='K', subok=None, shape=None):
    return fresh(numpy.empty_like(_prototype(a), dtype, order, shape=shape))


def full_like(a, fill_value, dtype=None, order='K', subok=None, shape=None):
    out = empty_like(a, dtype, order, shape=shape)
    out.fill(fill_value)
    return out


def arange(start, stop=None, step=1, dtype=None):
    return fresh(numpy.arange(start, stop, step, dtype=dtype) if stop is not None
                 else numpy.arange(start, step=step, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return _core.call(numpy.linspace, (start, stop, num, endpoint, retstep, dtype, axis), {})


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    return _core.call(numpy.logspace, (start, stop, num, endpoint, base, dtype, axis), {})


def eye(N, M=None, k=0, dtype=float, order='C'):
    return fresh(numpy.eye(N, M, k, dtype, order))


def identity(n, dtype=float):
    return fresh(numpy.identity(n, dtype))


def tri(N, M=None, k=0, dtype=float):
    return fresh(numpy.tri(N, M, k, dtype))


def asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    return array(a, dtype, copy=builtins.bool(copy), order=order or 'K')


def asanyarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    return asarray(a, dtype, order, copy=copy)


def _contiguous(np_func):
    def convert(a, dtype=None):
        if not isinstance(a, ndarray):      # a typed argument in CuPy
            raise TypeError(f"Argument 'a' has incorrect type (expected cupy._core.core."
                            f"_ndarray_base, got {type(a).__name__})")
        return _core.call(np_func, (a,), {'dtype': dtype})
    return convert


ascontiguousarray = _contiguous(numpy.ascontiguousarray)
asfortranarray = _contiguous(numpy.asfortranarray)


def asnumpy(a, stream=None, order='C', out=None, *, blocking=True):
    """The explicit device-to-host copy (anything else goes through numpy.asarray)."""
    if isinstance(a, ndarray):
        return a.get(stream, order, out, blocking)
    host = numpy.asarray(a, order=order)
    if out is None:
        return host
    out[...] = host
    return out


def get_array_module(*args):
    return _this if builtins.any(isinstance(a, ndarray) for a in args) else numpy


def is_available():
    return cuda.is_available()
