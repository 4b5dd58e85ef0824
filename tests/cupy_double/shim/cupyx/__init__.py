"""Found first on $PYTHONPATH in child processes of a --fake-cuda run (see
tests.cupy_double.export_to_subprocesses): with $MINIDL_FAKE_CUDA=1, ``import cupy`` (or cupyx)
installs the CuPy double and gives it; otherwise it is as if CuPy were not installed."""
import os
import sys

if os.environ.get('MINIDL_FAKE_CUDA', '').strip().lower() not in ('1', 'true', 'yes', 'on'):
    raise ImportError('the CuPy double is on PYTHONPATH, but $MINIDL_FAKE_CUDA is not set')
_root = os.path.abspath(os.path.join(os.path.dirname(__file__), *['..'] * 4))
sys.path.insert(0, _root)
try:
    from tests import cupy_double
finally:
    sys.path.remove(_root)
del sys.modules[__name__]       # the import statement then returns what install() put there
cupy_double.install()
