"""minidl: a small deep-learning framework on NumPy (CPU) and CuPy (GPU).

    import minidl as mdl
    x = mdl.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    (x * x).sum().backward()
    x.grad                     # 2 * x
"""
from . import backend, cpu, cuda
from .autograd import (Function, enable_grad, grad, inference_mode, is_grad_enabled, no_grad,
                       set_grad_enabled)
from .backend import (bool_, default_device, device, float16, float32, float64, get_rng_state,
                      int8, int16, int32, int64, manual_seed, set_default_device, set_rng_state,
                      uint8)
from .cpu import get_num_threads, set_num_threads
from .creation import (arange, as_tensor, empty, eye, from_dlpack, from_numpy, full, full_like,
                       linspace, normal, ones, ones_like, rand, randint, randn, randperm, tensor,
                       uniform, zeros, zeros_like)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import (abs, amax, amin, argmax, argmin, broadcast_to, cat, clip, concatenate, cos,
                  exp, flatten, log, logsumexp, matmul, max, maximum, mean, min, minimum, pad,
                  permute, reshape, sigmoid, sin, split, sqrt, squeeze, stack, std, sum, tanh,
                  transpose, unsqueeze, var, where)
from .ops.math import add, div, mul, neg, pow, sub
from .ops.activation import log_softmax, relu, relu_, softmax
from .ops.elementwise import (acos, acosh, addcdiv, addcmul, asin, asinh, atan, atan2, atanh,
                              ceil, clamp_max, clamp_min, cosh, deg2rad, erf, exp2, expm1, fix,
                              floor, floor_divide, fmod, frac, hypot, lerp, log1p, log2, log10,
                              logaddexp, logit, nan_to_num, rad2deg, reciprocal, remainder,
                              round, rsqrt, sgn, sign, signbit, sinh, square, tan, trunc, xlogy)
from .ops.compare import (all, allclose, any, bitwise_xor, count_nonzero, eq, equal, ge, greater,
                          greater_equal, gt, isclose, isfinite, isinf, isnan, isneginf, isposinf,
                          le, less, less_equal, logical_and, logical_not, logical_or,
                          logical_xor, lt, ne, not_equal)
from .ops.cumulative import cumprod, cumsum, prod
from .ops.sort import (argsort, bincount, bucketize, histc, kthvalue, median, msort, searchsorted,
                       sort, topk, unique)
from .ops.index import (argwhere, gather, index_add, index_copy, index_fill, index_select,
                        masked_fill, masked_select, nonzero, scatter, scatter_add)
from .ops.linalg import (addmm, bmm, cdist, cross, diag, diagonal, dot, einsum, mm, mv, norm,
                         outer, tensordot, trace, tril, triu)
from .ops.rearrange import (broadcast_shapes, broadcast_tensors, chunk, diff, flip, fliplr,
                            flipud, hstack, meshgrid, movedim, moveaxis, narrow,
                            repeat_interleave, roll, rot90, select, swapaxes, swapdims, tile,
                            unbind, unflatten, vstack)
from .ops.like import bernoulli, empty_like, multinomial, rand_like, randint_like, randn_like
from .ops.reduce import std_mean, var_mean
from .ops.methods import clone, is_floating_point, is_tensor, numel
from .tensor import Tensor
from . import ops  # noqa: F401  (gives Tensor its operators and methods)

clamp = clip
subtract, multiply, divide, true_divide, negative, absolute = sub, mul, div, div, neg, abs
arctan, arcsin, arccos, arctan2, ger = atan, asin, acos, atan2, outer
arcsinh, arccosh, arctanh, concat = asinh, acosh, atanh, cat
# PyTorch's dtype names (after every import above: from here on, float, int and bool in this
# module are dtypes, as torch.float is)
float, double, half, long, int, short, bool = (float32, float64, float16, int64, int32, int16,
                                               bool_)

__version__ = '0.1.0'

_SUBMODULES = ('functional', 'nn', 'optim', 'data', 'datasets', 'train', 'io', 'onnx',
               'sklearn', 'plot', 'distributed', 'utils')
_LATE_NAMES = {'save': 'io', 'load': 'io', 'summary': 'nn'}


def __dir__():
    # the lazily loaded submodules and names too, so that tab completion finds them
    return sorted(set(globals()) | set(_SUBMODULES) | set(_LATE_NAMES))


def __getattr__(name):
    # Upper layers (nn, optim, train, ...) import the core, so the core imports them on first use.
    import importlib
    if name in _SUBMODULES:
        return importlib.import_module(f'{__name__}.{name}')
    if name in _LATE_NAMES:
        return getattr(importlib.import_module(f'{__name__}.{_LATE_NAMES[name]}'), name)
    raise AttributeError(f"module 'minidl' has no attribute {name!r}")
