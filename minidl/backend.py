"""The one place that knows NumPy from CuPy: which array module, which device, how arrays move
between devices, and which random generator.

Array math anywhere in minidl takes its array module from here (``array_module(x)`` or
``module_for(device)``), so the same code runs on the CPU (NumPy) and on an NVIDIA GPU (CuPy).
CuPy is imported lazily: ``import minidl`` never needs it. Where NumPy and CuPy differ (random
generators, 0-d results, ``scatter_add``, ``erf``), the difference is handled here, once.

Who imports NumPy by name: this module, and modules that work on the host by nature: ``io``
and ``train.checkpoint`` (files), ``datasets``, ``data`` and ``distributed.sampler`` (host-side
loading and shuffling), ``cpu`` (CPU threads and malloc), ``gradcheck`` (float64 finite
differences summed on the host), ``train.loop`` (epoch metrics combined across processes on the
host), ``onnx.graph`` (weights written into a file), ``plot`` (matplotlib's
arrays) and ``sklearn`` (scikit-learn's arrays). Everything else asks this module.
"""
import contextlib
import os

import numpy

NDARRAY = numpy.ndarray

# ---------------------------------------------------------------- shared NumPy names
# Dtypes, scalar types and dtype rules are the same objects in NumPy and CuPy (CuPy uses NumPy's
# dtypes and scalars), so the rest of minidl takes them from here instead of importing numpy.
float16, float32, float64 = numpy.float16, numpy.float32, numpy.float64
int8, int16, int32, int64, uint8 = numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.uint8
bool_ = numpy.bool_
dtype = numpy.dtype                  # dtype('float32'), dtype(numpy.float32): a dtype object
result_type = numpy.result_type      # the dtype an operation on these dtypes/arrays gives
can_cast = numpy.can_cast            # can_cast(from_dtype, to_dtype, casting='same_kind')
broadcast_shapes = numpy.broadcast_shapes    # on shape tuples, for either module's arrays
INTEGER_TYPES = (int, numpy.integer)     # for isinstance: Python and NumPy integers (bools too)
FLOAT_TYPES = (float, numpy.floating)    # for isinstance: Python and NumPy floats
BOOL_TYPES = (bool, numpy.bool_)         # for isinstance: Python and NumPy booleans
SCALAR_TYPES = numpy.generic             # the base class of every NumPy scalar (has .item())


# ---------------------------------------------------------------- CuPy, when it is there
_cupy = None          # the cupy module once imported, False when it cannot be imported
_cupy_error = None    # why it could not be imported


def _import_cupy():
    """Return the cupy module or None (remembering why it is missing)."""
    global _cupy, _cupy_error
    if _cupy is None:
        try:
            import cupy
            _cupy = cupy
        except Exception as exc:  # ImportError, or a broken CUDA installation
            _cupy, _cupy_error = False, exc
    return _cupy or None


def cuda_is_available():
    """True when CuPy imports and sees at least one CUDA device."""
    return cuda_device_count() > 0


def cuda_device_count():
    """Number of CUDA devices CuPy sees (0 without CuPy)."""
    cp = _import_cupy()
    try:
        return cp.cuda.runtime.getDeviceCount() if cp is not None else 0
    except Exception:       # CuPy without a working driver raises here
        return 0


def _require_cuda(device):
    cp = _import_cupy()
    if cp is None:
        raise RuntimeError(
            f"device {device!r} needs CuPy, which could not be imported ({_cupy_error}). "
            "Install it with the extra that matches your CUDA toolkit: "
            "pip install -e .[cuda12] (CUDA 12) or pip install -e .[cuda13] (CUDA 13)")
    index = int(device[5:])
    if index >= cuda_device_count():
        raise RuntimeError(
            f"device {device!r} was asked for, but CuPy sees {cuda_device_count()} CUDA "
            "device(s) (check the NVIDIA driver, nvidia-smi and CUDA_VISIBLE_DEVICES), or use "
            "device='cpu'")
    return cp


# ---------------------------------------------------------------- arrays and devices
class device(str):
    """A device, as torch.device: ``device('cuda:0')``, ``device('cuda', 0)``, ``device('cpu')``,
    with ``.type`` ('cpu' or 'cuda') and ``.index`` (an int, or None when not given).

    It is also the string of its name ('cuda:0'), so it is accepted, compared and hashed
    wherever minidl takes a device string, and ``Tensor.device`` returns one.
    """

    def __new__(cls, type, index=None):
        name = str(type).strip().lower()
        if index is not None:
            if ':' in name or isinstance(index, bool) or not isinstance(index, INTEGER_TYPES) \
                    or index < 0:
                raise ValueError(f"device: an index ({index!r}) needs a type without one and must "
                                 f"be a non-negative int, got type {type!r}")
            name = f'{name}:{int(index)}'
        kind, colon, number = name.partition(':')
        if kind not in ('cpu', 'cuda') or (colon and not number.isdigit()):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {str(type)!r}")
        return super().__new__(cls, f'{kind}:{int(number)}' if colon else kind)

    @property
    def type(self):
        """'cpu' or 'cuda'."""
        return self.partition(':')[0]

    @property
    def index(self):
        """The device number, or None when the device was named without one."""
        number = self.partition(':')[2]
        return int(number) if number else None

    def __repr__(self):
        index = '' if self.index is None else f', index={self.index}'
        return f"device(type='{self.type}'{index})"


def canonical_device(device):
    """Normalise a device spec ('cpu', 'cuda', 'cuda:1', a ``minidl.device``) to 'cpu' or
    'cuda:N'; None means the default device."""
    if device is None:
        return default_device()
    name = str(device).strip().lower()
    if name == 'cpu':
        return 'cpu'
    if name == 'cuda':
        return 'cuda:0'
    if name.startswith('cuda:') and name[5:].isdigit():
        return f'cuda:{int(name[5:])}'
    raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")


def module_for(device):
    """The array module (numpy or cupy) that holds arrays on ``device``."""
    device = canonical_device(device)
    return numpy if device == 'cpu' else _require_cuda(device)


class on:
    """``with backend.on(device) as xp:`` the array module of ``device``, with that device
    current, so that the arrays the block makes land on it (CuPy makes them on the current
    GPU; on the CPU this is just numpy)."""

    def __init__(self, device):
        self.device = canonical_device(device)
        self.xp = module_for(self.device)
        self.scope = None if self.device == 'cpu' else self.xp.cuda.Device(int(self.device[5:]))

    def __enter__(self):
        if self.scope is not None:
            self.scope.__enter__()
        return self.xp

    def __exit__(self, *exc):
        if self.scope is not None:
            self.scope.__exit__(*exc)


def current(array):
    """A context in which ``array``'s device is current (nothing to do on the CPU): an
    operation on CuPy arrays runs its kernels on the current GPU."""
    return _NO_SCOPE if array_module(array) is numpy else array.device   # a CuPy Device


class _NoScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


_NO_SCOPE = _NoScope()


def is_array(value):
    """True for a NumPy array or scalar, or a CuPy array."""
    return isinstance(value, (numpy.ndarray, numpy.generic)) or (
        _cupy and isinstance(value, _cupy.ndarray))


def array_module(array):
    """The array module of ``array``: numpy for NumPy arrays and scalars, cupy for CuPy arrays."""
    if type(array) is NDARRAY or not _cupy:
        return numpy
    return _cupy if isinstance(array, _cupy.ndarray) else numpy


_CPU = device('cpu')
_CUDA = {}


def device_of(array):
    """device('cpu') for a NumPy array (of any ndarray subclass), device('cuda:N') for a CuPy
    array on GPU N."""
    if array_module(array) is numpy:
        return _CPU
    number = array.device.id
    if number not in _CUDA:
        _CUDA[number] = device('cuda', number)
    return _CUDA[number]


def plain_array(value):
    """``value`` (an array or NumPy scalar) as a plain array: an ndarray subclass such as
    ``np.memmap`` becomes an ndarray view of the same memory, a scalar a 0-d array."""
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        return numpy.asarray(value)
    return value


def host_array(value):
    """A host (NumPy) array from Python data (a number, a nested list), copied only if needed."""
    return numpy.asarray(value)


def shares_memory(a, b):
    """True when arrays ``a`` and ``b`` are views of the same memory."""
    return (a if a.base is None else a.base) is (b if b.base is None else b.base)


def to_device(array, device):
    """Return ``array`` on ``device`` (the same object when it is already there)."""
    device = canonical_device(device)
    if device_of(array) == device:
        return array
    if device == 'cpu':
        return array.get()
    cp = _require_cuda(device)
    with cp.cuda.Device(int(device[5:])):
        return cp.asarray(array)


def to_numpy(array):
    """A NumPy array with the values of ``array`` (copied from the GPU if needed)."""
    return array if array_module(array) is numpy else array.get()


def format_array(array, prefix):
    """The values as text, as NumPy prints them (copied to the host first)."""
    return numpy.array2string(to_numpy(array), separator=', ', precision=4, prefix=prefix)


# ---------------------------------------------------------------- operations that differ
def scatter_add(target, index, values):
    """target[index] += values, with repeated indices accumulating (unbuffered), in place."""
    array_module(target).add.at(target, index, values)
    return target


def erf(array):
    """The error function, elementwise (float32 stays float32)."""
    if array_module(array) is numpy:
        import scipy.special
        return scipy.special.erf(array)
    import cupyx.scipy.special
    return cupyx.scipy.special.erf(array)


def matmul(a, b, out=None):
    """a @ b with NumPy's rules (into ``out`` when given): the one place minidl multiplies
    matrices, so that a policy for them has a single home."""
    if out is None:
        return a @ b
    return array_module(a).matmul(a, b, out=out)


# ---------------------------------------------------------------- default device
_default_device = None


def default_device():
    """The device new tensors go to: set_default_device(), else $MINIDL_DEVICE, else 'cpu'."""
    global _default_device
    if _default_device is None:
        _default_device = canonical_device(os.environ.get('MINIDL_DEVICE') or 'cpu')
    return _default_device


def set_default_device(device):
    """Make ``device`` ('cpu' or 'cuda') the device of newly created tensors."""
    global _default_device
    device = canonical_device(device)
    module_for(device)  # fail now, with the reason, if CUDA is not usable
    _default_device = device


# ---------------------------------------------------------------- random numbers
class Generator:
    """The random numbers of one device, with one API on NumPy and CuPy and a state that a
    checkpoint can save and restore exactly.

    On the CPU: NumPy's PCG64, whose whole state is readable. CuPy's RandomState cannot read or
    set its state, so on a GPU every draw comes from a fresh RandomState (Philox, cheap to
    start) seeded from (seed, number of draws so far): those two numbers are the state.
    """

    def __init__(self, device, seed=None):
        self.device = device
        self.seed = int(numpy.random.SeedSequence(seed).generate_state(1, numpy.uint32)[0]) \
            if seed is None else int(seed)
        self.draws = 0
        self._numpy = numpy.random.Generator(numpy.random.PCG64(seed)) if device == 'cpu' \
            else None

    def _cupy_state(self):
        cp = _require_cuda(self.device)
        key = numpy.random.SeedSequence([self.seed, self.draws]).generate_state(1)[0]
        self.draws += 1
        from cupy.cuda import curand
        return cp.random.RandomState(int(key), method=curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)

    def _on_device(self, draw):
        if self._numpy is not None:
            return draw(self._numpy, numpy)
        cp = _require_cuda(self.device)
        with cp.cuda.Device(int(self.device[5:])):
            return draw(self._cupy_state(), cp)

    def random(self, shape, dtype=float32):
        """Uniform numbers in [0, 1) of ``shape`` (float32 or float64)."""
        return self._on_device(lambda g, xp: g.random(shape, dtype=dtype) if xp is numpy
                               else g.random_sample(shape, dtype=dtype))

    def standard_normal(self, shape, dtype=float32):
        """Standard normal numbers of ``shape`` (float32 or float64)."""
        return self._on_device(lambda g, xp: g.standard_normal(shape, dtype=dtype))

    def integers(self, low, high, shape):
        """Uniform int64 integers in [low, high) of ``shape``."""
        low, high = int(low), int(high)
        return self._on_device(lambda g, xp: (g.integers(low, high, size=shape) if xp is numpy
                                              else g.randint(low, high, size=shape)
                                              ).astype(int64, copy=False))

    def permutation(self, n):
        """A random permutation of 0..n-1, int64."""
        n = int(n)
        return self._on_device(lambda g, xp: g.permutation(n).astype(int64, copy=False))

    def get_state(self):
        """The state as plain JSON-serialisable data."""
        if self._numpy is None:
            return {'seed': self.seed, 'draws': self.draws}
        state = self._numpy.bit_generator.state
        return {'bit_generator': state['bit_generator'],
                'state': {k: int(v) for k, v in state['state'].items()},
                'has_uint32': int(state['has_uint32']), 'uinteger': int(state['uinteger'])}

    def set_state(self, state):
        """Restore a state returned by get_state()."""
        if self._numpy is None:
            self.seed, self.draws = int(state['seed']), int(state['draws'])
        else:
            self._numpy.bit_generator.state = state


_seed = None
_generators = {}


def manual_seed(seed):
    """Seed every device's generator, so initialisation, shuffling and dropout repeat exactly."""
    global _seed
    if isinstance(seed, bool) or not isinstance(seed, INTEGER_TYPES) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _seed = int(seed)
    _generators.clear()


def generator(device='cpu'):
    """The random Generator of ``device``."""
    device = canonical_device(device)
    if device not in _generators:
        if device != 'cpu':
            _require_cuda(device)
        _generators[device] = Generator(device, _seed)
    return _generators[device]


def get_rng_state():
    """The state of every device's generator, as JSON-serialisable data: {'cpu': ...,
    'cuda:0': ...} (for checkpoints)."""
    devices = ['cpu'] + [f'cuda:{i}' for i in range(cuda_device_count())]
    return {device: generator(device).get_state() for device in devices}


def set_rng_state(state):
    """Restore a state returned by get_rng_state() (a CPU-only state of minidl 0.1 too). The
    state of a GPU this machine does not have is ignored (a checkpoint moves between
    machines)."""
    if 'bit_generator' in state:
        state = {'cpu': state}
    for device, device_state in state.items():
        if device == 'cpu' or int(device[5:]) < cuda_device_count():
            generator(device).set_state(device_state)


@contextlib.contextmanager
def fork_rng():
    """Save every device's generator (and the seed of those not made yet) and restore them
    after the block, whatever it seeded or drew (PyTorch's ``torch.random.fork_rng``): the
    scikit-learn estimators train under it with their own random_state."""
    global _seed
    seed, generators = _seed, dict(_generators)
    states = {device: gen.get_state() for device, gen in generators.items()}
    try:
        yield
    finally:
        _seed = seed
        _generators.clear()
        _generators.update(generators)
        for device, gen in generators.items():
            gen.set_state(states[device])
