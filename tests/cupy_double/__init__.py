"""A strict CPU double of CuPy, so that every device='cuda' test runs without a GPU.

Switch it on with ``pytest --fake-cuda`` or ``MINIDL_FAKE_CUDA=1 pytest``; run a script under it
with ``python -m tests.cupy_double.run SCRIPT [ARGS]``. ``install()`` puts its modules into
sys.modules as ``cupy``, ``cupy.cuda``, ``cupy.cuda.runtime``, ``cupy.random``, ``cupy.lib``,
``cupy.lib.stride_tricks``, ``cupyx``, ``cupyx.scipy`` and ``cupyx.scipy.special``; minidl never
imports this package, and without the switch nothing is installed (the double's own tests import
it as ``tests.cupy_double.cupy``). With $MINIDL_FAKE_CUDA_DEVICES=2 it reports two GPUs.

What it emulates, after CuPy's source (github.com/cupy/cupy; real CuPy wins where they differ):
- ``cupy.ndarray`` is its own type wrapping a NumPy array, not a numpy.ndarray subclass.
  numpy.asarray/numpy.array on it, or storing it into a NumPy array, raise CuPy's TypeError
  ("Implicit conversion to a NumPy array is not allowed..."); ``.get()``, ``cupy.asnumpy``,
  ``item()``, ``tolist()``, ``float()``, ``int()``, ``bool()`` are the explicit ways out. It has no
  ``__index__``, no ``flags.writeable``, no buffer protocol.
- NumPy arrays as operands of cupy ufuncs, functions and operators are refused with CuPy's
  TypeError ("Unsupported type <class 'numpy.ndarray'>"); Python and NumPy scalars are taken.
  cupy.asarray/cupy.array (host to device) and NumPy index arrays are allowed, as in CuPy.
  a[basic index] = NumPy array raises CuPy's ValueError (its fill() takes scalars only).
- A NumPy ufunc or function applied to a cupy array dispatches to CuPy's function of the same
  name (__array_ufunc__, __array_function__), which then refuses any NumPy array operand.
- Reductions and ufuncs never return scalars: 0-d cupy arrays. a[i] (integers, slices) is a
  view, also when 0-d, and ``base`` names the array viewed; array indices give new arrays.
- Binary operators defer to an operand with ``__array_ufunc__ = None`` (minidl's Tensor).
- Dtypes are NumPy's objects; promotion is NumPy 2's (NEP 50), which CuPy follows (unsure for
  CuPy releases before 14). Object, string and long-double dtypes are refused.
- Fake devices: arrays remember the device current at their creation (``a.device.id``);
  ``cupy.cuda.Device(i)`` is a context manager; a kernel reading an array of another device
  raises CuPy's ValueError for GPUs without peer access.
- cupy.random.RandomState with CuPy's API (seed, rand, randn, random_sample, normal,
  standard_normal, uniform, randint, permutation, shuffle, choice) and no Generator API;
  cupy.lib.stride_tricks.as_strided, cupyx.scatter_add (with CuPy's DeprecationWarning), the
  ufuncs' ``.at`` with CuPy's dtype limits, cupyx.scipy.special.erf, ``__cuda_array_interface__``,
  ``__dlpack_device__`` (kDLCUDA).

What it does not emulate: cuBLAS/cuDNN rounding and summation order (results are NumPy's),
asynchrony and streams, speed, device memory (limits, pools, pointers into the GPU), custom
kernels (ElementwiseKernel, RawKernel, fusion), CuPy's wrap-around of out-of-bounds array
indices (the double raises NumPy's IndexError), cuRAND's numbers, the Generator API, linalg,
fft, sparse, and NumPy keyword arguments that CuPy lacks on functions outside its SIGNATURES.
"""
import os
import sys

ENV = 'MINIDL_FAKE_CUDA'
HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = os.path.join(HERE, 'shim')      # put on PYTHONPATH: `import cupy` there installs the double
MODULES = ('cupy', 'cupy.cuda', 'cupy.cuda.runtime', 'cupy.random', 'cupy.lib',
           'cupy.lib.stride_tricks', 'cupyx', 'cupyx.scipy', 'cupyx.scipy.special')


def wanted():
    """True when $MINIDL_FAKE_CUDA asks for the double."""
    return os.environ.get(ENV, '').strip().lower() in ('1', 'true', 'yes', 'on')


def install():
    """Make ``import cupy`` (and cupyx ...) give the double; returns the double's cupy module.
    Refuses when a real CuPy is already imported."""
    import importlib
    present = sys.modules.get('cupy')
    if present is not None and not getattr(present, '__name__', '').startswith(__name__):
        raise RuntimeError('a real CuPy is already imported: the CuPy double cannot replace it')
    for name in MODULES:
        sys.modules[name] = importlib.import_module(f'{__name__}.{name}')
    return sys.modules['cupy']


def uninstall():
    """Remove the double's entries from sys.modules (modules that imported it keep it)."""
    for name in MODULES:
        if getattr(sys.modules.get(name), '__name__', '').startswith(__name__):
            del sys.modules[name]


def export_to_subprocesses(environ=os.environ):
    """Set $MINIDL_FAKE_CUDA=1 and put the shim on $PYTHONPATH, so that child Python processes
    (examples run by the tests) import the double as cupy too."""
    environ[ENV] = '1'
    paths = [p for p in environ.get('PYTHONPATH', '').split(os.pathsep) if p]
    if SHIM not in paths:
        environ['PYTHONPATH'] = os.pathsep.join([SHIM] + paths)
