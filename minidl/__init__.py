"""minidl: a small deep-learning framework on NumPy (CPU) and CuPy (GPU).

    import minidl as mdl
    x = mdl.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    (x * x).sum().backward()
    x.grad                     # 2 * x
"""
from . import backend, cpu, cuda
from .autograd import Function, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (bool_, default_device, float16, float32, float64, get_rng_state, int8,
                      int16, int32, int64, manual_seed, set_default_device, set_rng_state, uint8)
from .cpu import get_num_threads, set_num_threads
from .creation import (arange, empty, eye, from_numpy, full, full_like, linspace, normal, ones,
                       ones_like, rand, randint, randn, randperm, tensor, uniform, zeros,
                       zeros_like)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import (abs, amax, amin, argmax, argmin, broadcast_to, cat, clip, concatenate, cos,
                  exp, flatten, log, logsumexp, matmul, max, maximum, mean, min, minimum, pad,
                  permute, reshape, sigmoid, sin, split, sqrt, squeeze, stack, std, sum, tanh,
                  transpose, unsqueeze, var, where)
from .tensor import Tensor
from . import ops  # noqa: F401  (gives Tensor its operators and methods)

clamp = clip

__version__ = '0.1.0'

_SUBMODULES = ('functional', 'nn', 'optim', 'data', 'datasets', 'train', 'io', 'distributed')
_LATE_NAMES = {'save': 'io', 'load': 'io', 'summary': 'nn'}


def __getattr__(name):
    # Upper layers (nn, optim, train, ...) import the core, so the core imports them on first use.
    import importlib
    if name in _SUBMODULES:
        return importlib.import_module(f'{__name__}.{name}')
    if name in _LATE_NAMES:
        return getattr(importlib.import_module(f'{__name__}.{_LATE_NAMES[name]}'), name)
    raise AttributeError(f"module 'minidl' has no attribute {name!r}")
