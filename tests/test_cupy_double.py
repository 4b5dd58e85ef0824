"""The CuPy double (tests/cupy_double) refuses what CuPy refuses and agrees with NumPy's numbers.

These tests import the double directly, as tests.cupy_double.cupy, without installing it as
``cupy``; installing it is tested in child processes only, so nothing leaks into this run."""
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import tests.cupy_double as double
from tests.cupy_double import cupy as cp
from tests.cupy_double import cupyx
from tests.cupy_double.cupy.lib.stride_tricks import as_strided

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPLICIT = 'Implicit conversion to a NumPy array is not allowed'


def test_its_array_is_its_own_type_and_numpy_cannot_read_it():
    a = cp.arange(3.0)
    assert isinstance(a, cp.ndarray) and not isinstance(a, np.ndarray)
    assert type(a).__module__ == 'cupy' and type(a).__name__ == 'ndarray'
    host = np.zeros(3)
    for convert in (np.asarray, np.array, lambda x: host.__setitem__(Ellipsis, x)):
        with pytest.raises(TypeError, match=IMPLICIT):
            convert(a)
    with pytest.raises(TypeError):
        memoryview(a)


def test_explicit_ways_out():
    a = cp.array([[1.5, 2.0]])
    assert isinstance(a.get(), np.ndarray) and a.get().tolist() == [[1.5, 2.0]]
    assert cp.asnumpy(a).tolist() == [[1.5, 2.0]] and a.tolist() == [[1.5, 2.0]]
    assert float(a[0, 0]) == 1.5 and int(a[0, 1]) == 2 and bool(a[0, 0]) is True
    assert a[0, 1].item() == 2.0 and type(a[0, 1].item()) is float
    with pytest.raises(ValueError, match='more than one element'):
        bool(a)
    with pytest.raises(ValueError, match='size 1'):
        a.item()
    with pytest.raises(TypeError):         # no __index__ in CuPy
        range(cp.array(3))
    out = np.empty((1, 2))
    assert a.get(out=out) is out and out.tolist() == [[1.5, 2.0]]


def test_numpy_arrays_are_refused_as_operands():
    a, host = cp.ones(3), np.ones(3)
    refused = [lambda: a + host, lambda: host + a, lambda: a * host, lambda: cp.add(a, host),
               lambda: cp.maximum(a, host), lambda: cp.matmul(a, host), lambda: a @ host,
               lambda: cp.concatenate([a, host]), lambda: cp.where(a > 0, a, host),
               lambda: cp.stack([a, host]), lambda: np.add(host, a), lambda: cp.add(a, [1, 2, 3]),
               lambda: cp.add(a, np.array(2.0)), lambda: a.dot(host), lambda: cp.copyto(a, host)]
    for op in refused:
        with pytest.raises((TypeError, ValueError), match='Unsupported type|incorrect type|'
                                                          'non-scalar'):
            op()
    with pytest.raises(ValueError, match='non-scalar numpy.ndarray'):
        a[...] = host                       # CuPy's fill() takes scalars only
    with pytest.raises(ValueError, match='non-scalar numpy.ndarray'):
        a[:2] = [1.0, 2.0]


def test_scalars_host_indices_and_explicit_copies_are_accepted():
    a = cp.arange(4.0)
    for result in (a + 1, 2 * a, a + np.float64(1), cp.add(a, np.int32(1)), a > np.float32(1)):
        assert isinstance(result, cp.ndarray)
    assert a[np.array([0, 2])].tolist() == [0.0, 2.0] and a[[1, 3]].tolist() == [1.0, 3.0]
    a[np.array([0])] = np.array([9.0])      # array index: CuPy copies the host value over
    a[1] = np.array(5.0)                    # a 0-d NumPy array is a scalar to fill()
    assert a.tolist() == [9.0, 5.0, 2.0, 3.0]
    assert cp.asarray(np.ones(2)).tolist() == [1.0, 1.0]
    assert cp.array([cp.ones(2), cp.zeros(2)]).shape == (2, 2)


def test_numpy_functions_dispatch_to_cupy():
    a = cp.arange(4.0)
    assert isinstance(np.exp(a), cp.ndarray) and isinstance(np.sum(a), cp.ndarray)
    assert isinstance(np.concatenate([a, a]), cp.ndarray)
    assert isinstance(np.maximum(a, 1), cp.ndarray)
    with pytest.raises(TypeError, match='Unsupported type'):
        np.concatenate([a, np.ones(2)])
    with pytest.raises(TypeError):          # CuPy has no histogram2d
        np.histogram2d(a, a)


def test_math_never_returns_scalars():
    a = cp.arange(6.0).reshape(2, 3)
    for result in (a.sum(), cp.max(a), a.max(), a.argmax(), a.mean(), cp.sum(a), a[0, 1],
                   cp.exp(a[0, 0]), a[0, 0] + 1, (a > 2).any(), cp.count_nonzero(a),
                   cp.array_equal(a, a), cp.allclose(a, a)):
        assert isinstance(result, cp.ndarray) and result.shape == ()


def test_integer_indexing_gives_views():
    a = cp.arange(4.0)
    v = a[1]
    assert v.shape == () and v.base is a and not v.flags.owndata
    v[...] = 7.0
    assert a[1].item() == 7.0
    a[1] = 8.0
    assert v.item() == 8.0                  # the view sees the base change (gradcheck's trap)
    row = cp.zeros((2, 3))[1]
    assert row.base is not None
    for copy in (a[[1]], a[cp.array([1])], a[cp.array(1)], a[a > 2]):
        assert copy.base is None and copy.flags.owndata


def test_operators_defer_to_objects_that_opt_out_of_ufuncs():
    class Tensorish:
        __array_ufunc__ = None

        def __radd__(self, other):
            return 'deferred'

    assert cp.ones(2) + Tensorish() == 'deferred'


def test_dtypes_and_promotion_are_numpys():
    f32, i32 = cp.ones(2, cp.float32), cp.ones(2, cp.int32)
    assert cp.float32 is np.float32 and f32.dtype == np.dtype('float32')
    cases = [(f32 + 1.0, np.float32), (f32 + np.float64(1), np.float64), (i32 + 1, np.int32),
             (i32 / 2, np.float64), (f32 * cp.ones((), cp.float64), np.float64),
             (cp.maximum(f32, 0), np.float32), (i32 + 1.5, np.float64)]
    for result, dtype in cases:
        assert result.dtype == dtype
    for bad in (['a'], np.array([object()]), np.ones(2, np.longdouble)):
        with pytest.raises(ValueError, match='Unsupported dtype'):
            cp.array(bad)


def test_random_state_has_cupys_api_not_numpys_generator():
    rs = cp.random.RandomState(0)
    for name in ('seed', 'rand', 'randn', 'random_sample', 'standard_normal', 'uniform',
                 'normal', 'randint', 'permutation', 'choice', 'shuffle'):
        assert callable(getattr(rs, name))
    for name in ('integers', 'random', 'bit_generator'):
        assert not hasattr(rs, name)
    x = rs.standard_normal((3, 2), dtype=np.float32)
    assert isinstance(x, cp.ndarray) and x.dtype == np.float32 and x.shape == (3, 2)
    assert rs.random_sample(4).dtype == np.float64 and rs.randint(0, 5, size=3).dtype == np.int64
    assert sorted(rs.permutation(5).tolist()) == [0, 1, 2, 3, 4]
    assert rs.randint(3).shape == ()
    with pytest.raises(TypeError):
        rs.permutation(np.int64(5))          # CuPy calls len() on anything but a Python int
    with pytest.raises(TypeError, match='float32 and float64'):
        rs.random_sample(3, dtype=np.int32)
    assert cp.random.RandomState(1).rand(3).tolist() == cp.random.RandomState(1).rand(3).tolist()
    assert cp.random.random is cp.random.random_sample
    with pytest.raises(NotImplementedError):
        rs.choice(5)


def test_fake_devices_are_remembered_and_not_mixed(monkeypatch):
    monkeypatch.delenv(double._device.DEVICES_ENV, raising=False)
    assert cp.cuda.runtime.getDeviceCount() == 1 and cp.cuda.is_available()
    monkeypatch.setenv(double._device.DEVICES_ENV, '2')
    a0 = cp.ones(2)
    with cp.cuda.Device(1) as dev:
        assert dev.id == 1 and cp.cuda.Device().id == 1
        a1 = cp.ones(2)
        assert (a1 + 1).device.id == 1
        with pytest.raises(ValueError, match=r'resides \(0\).*current device \(1\)'):
            a0 + a1
        moved = cp.asarray(a0)                # a copy onto the current device
    assert a0.device.id == 0 and a1.device.id == 1 and moved.device.id == 1
    assert a1.reshape(2, 1).device.id == 1    # a view needs no kernel
    with pytest.raises(ValueError, match='Peer access is unavailable'):
        a1.sum()
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError):
        with cp.cuda.Device(5):
            pass
    assert cp.cuda.Device().id == 0


def test_as_strided_is_a_view_without_base():
    a = cp.arange(6.0)
    w = as_strided(a, shape=(4, 3), strides=(8, 8))
    assert w.tolist()[1] == [1.0, 2.0, 3.0] and w.base is None and 0 not in w.strides
    w[0, 0] = -1.0
    assert a[0].item() == -1.0 and cp.shares_memory(a, w)


def test_scatter_add_accumulates_and_warns_as_cupy():
    a = cp.zeros(3)
    with pytest.warns(DeprecationWarning, match='cupy.add.at'):
        cupyx.scatter_add(a, cp.array([0, 0, 2]), cp.array([1.0, 2.0, 3.0]))
    assert a.tolist() == [3.0, 0.0, 3.0]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        cp.add.at(a, np.array([1, 1]), np.array([1.0, 1.0]))
    assert a.tolist() == [3.0, 2.0, 3.0]
    with pytest.raises(TypeError, match='only supports'):
        cp.add.at(cp.zeros(3, cp.int8), cp.array([0]), 1)
    with pytest.raises(NotImplementedError):
        cp.maximum.reduce(a)


def test_erf_matches_scipy_and_keeps_float32():
    import scipy.special
    x = np.linspace(-2, 2, 9)
    assert np.allclose(cupyx.scipy.special.erf(cp.asarray(x)).get(), scipy.special.erf(x))
    assert cupyx.scipy.special.erf(cp.ones(2, cp.float32)).dtype == np.float32
    assert isinstance(scipy.special.erf(cp.asarray(x)), cp.ndarray)


def test_flags_strides_and_interfaces():
    a = cp.zeros((2, 3), cp.float32)
    assert a.flags.c_contiguous and not a.flags.f_contiguous and a.flags.owndata
    assert a.flags['C_CONTIGUOUS'] and not hasattr(a.flags, 'writeable')
    assert a.T.flags.f_contiguous and a.T.strides == (4, 12) and a.T.base is a
    cai = a.__cuda_array_interface__
    assert cai['shape'] == (2, 3) and cai['typestr'] == '<f4' and cai['version'] == 3
    assert cai['strides'] is None and a.T.__cuda_array_interface__['strides'] == (4, 12)
    assert a.__dlpack_device__() == (2, 0) and a.device.id == 0 and a.data.ptr == cai['data'][0]
    assert np.from_dlpack(a, device='cpu').shape == (2, 3)


def test_reading_a_value_back_is_a_synchronisation():
    a = cp.arange(3.0)
    with pytest.warns(UserWarning, match='will be removed'):
        with cupyx.allow_synchronize(False):
            b = (a * 2).sum()                       # kernels only: no wait
            for read in (float, bool, repr, lambda x: x.item(), lambda x: x.get()):
                with pytest.raises(cupyx.DeviceSynchronized):
                    read(b)
    assert float(b) == 6.0


def test_missing_names_raise_attribute_error():
    a = cp.ones(2)
    for owner, name in ((cp, 'errstate'), (cp, 'seterr'), (cp, 'float128'), (a, 'writeable'),
                        (cp.random.RandomState(0), 'integers'), (cp.cuda, 'Stream'),
                        (cp, 'asmatrix')):
        with pytest.raises(AttributeError):
            getattr(owner, name)
    with pytest.raises(AttributeError):
        a.anything = 1


@pytest.mark.parametrize('name, args', [
    ('exp', ([0.5, -1.0],)), ('log1p', ([0.5, 2.0],)), ('tanh', ([0.3, -4.0],)),
    ('maximum', ([1.0, -2.0], 0.5)), ('where', ([True, False], [1.0, 2.0], [3.0, 4.0])),
    ('clip', ([[-1.0, 2.0], [3.0, 0.5]], 0.0, 1.0)), ('sum', ([[1, 2], [3, 4]],)),
    ('argmax', ([[1, 5], [7, 2]],)), ('concatenate', (([1, 2], [3]),)),
    ('pad', ([[1.0, 2.0]], ((1, 0), (0, 2)))), ('tensordot', ([[1.0, 2.0]], [[3.0], [4.0]], 1)),
    ('cumsum', ([1, 2, 3],)), ('sort', ([3, 1, 2],)), ('var', ([1.0, 2.0, 4.0],)),
])
def test_values_and_dtypes_agree_with_numpy(name, args):
    def to(module, value):
        if isinstance(value, tuple):
            return tuple(to(module, v) for v in value)
        return module.asarray(value) if isinstance(value, list) else value

    expected = getattr(np, name)(*to(np, args))
    got = getattr(cp, name)(*to(cp, args))
    assert isinstance(got, cp.ndarray) and got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got.get(), expected)


def _python(code, **env):
    environ = {k: v for k, v in os.environ.items() if k not in (double.ENV, 'PYTHONPATH')}
    environ.update(env)
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120)


def test_shim_installs_the_double_only_when_asked():
    code = '''
        import cupy, cupyx.scipy.special, cupy.lib.stride_tricks
        import minidl
        print(cupy.__name__, cupyx.scipy.special.erf.__name__, minidl.cuda.is_available())
    '''
    out = _python(code, MINIDL_FAKE_CUDA='1', PYTHONPATH=double.SHIM)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['tests.cupy_double.cupy', 'erf', 'True']
    out = _python('import cupy', PYTHONPATH=double.SHIM)
    assert 'ModuleNotFoundError' in out.stderr or 'ImportError' in out.stderr


def test_runner_runs_a_script_on_the_double(tmp_path):
    script = tmp_path / 'script.py'
    script.write_text('import sys, minidl as mdl\n'
                      'x = mdl.ones(3, device="cuda") * 2\n'
                      'print(sys.argv[1:], x.device, type(x.array).__module__, x.sum().item())\n')
    out = subprocess.run([sys.executable, '-m', 'tests.cupy_double.run', str(script), '--flag'],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["['--flag']", 'cuda:0', 'cupy', '6.0']


def test_this_run_did_not_install_the_double_unless_asked(request):
    installed = getattr(sys.modules.get('cupy'), '__name__', '') == 'tests.cupy_double.cupy'
    assert installed == bool(request.config.getoption('--fake-cuda') or double.wanted())
