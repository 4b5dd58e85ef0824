"""Tensor's operators and methods, in one table: ``x + y`` is ``ops.add(x, y)``, ``x.sum(1)`` is
``ops.sum(x, 1)``, ``x.add_(y)`` is its in-place form. The functions are defined once, in the
ops modules; this table only gives them their Tensor names.
"""
from .. import backend
from ..tensor import Tensor, check_dtype
from . import inplace
from .math import (Cast, Clone, ToDevice, abs, add, compare, cos, div, exp, invert, log,
                   matmul, mul, neg, positive, pow, sigmoid, sin, sqrt, sub, tanh)
from .reduce import (amax, amin, argmax, argmin, logsumexp, max, mean, min, std, sum, var)
from .select import clip, maximum, minimum
from .shape import (T, broadcast_to, expand, flatten, mT, permute, reshape, split, squeeze,
                    sum_to, t, transpose, unsqueeze, view)
from .subscript import getitem


def to(self, *args, **kwargs):
    """This tensor on another device and/or with another dtype (differentiable): to(device),
    to(dtype), to(device, dtype), to(other_tensor), or the keywords device=, dtype=."""
    device, dtype = kwargs.pop('device', None), kwargs.pop('dtype', None)
    kwargs.pop('non_blocking', None)
    copy = kwargs.pop('copy', False)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) or type(arg).__name__ == 'device':
            device = arg
        elif arg is not None:
            dtype = arg
    out = self
    if device is not None and backend.canonical_device(device) != self.device:
        out = ToDevice(backend.canonical_device(device))(out)
    if dtype is not None and check_dtype(dtype) != self.dtype:
        out = Cast(check_dtype(dtype))(out)
    return Clone()(out) if copy and out is self else out


def _cast_method(dtype, name):
    def method(self):
        return to(self, dtype=dtype)
    method.__name__, method.__doc__ = name, f"This tensor as {dtype.__name__} (differentiable)."
    return method


_METHODS = dict(
    # arithmetic and comparison operators
    __add__=add, __radd__=lambda a, b: add(b, a), __sub__=sub, __rsub__=lambda a, b: sub(b, a),
    __mul__=mul, __rmul__=lambda a, b: mul(b, a), __truediv__=div,
    __rtruediv__=lambda a, b: div(b, a), __pow__=pow, __rpow__=lambda a, b: pow(b, a),
    __matmul__=matmul, __rmatmul__=lambda a, b: matmul(b, a), __neg__=neg,
    __pos__=positive, __abs__=abs, __getitem__=getitem,
    __lt__=lambda a, b: compare('less', a, b), __le__=lambda a, b: compare('less_equal', a, b),
    __gt__=lambda a, b: compare('greater', a, b),
    __ge__=lambda a, b: compare('greater_equal', a, b),
    __eq__=lambda a, b: compare('equal', a, b), __ne__=lambda a, b: compare('not_equal', a, b),
    __and__=lambda a, b: compare('bitwise_and', a, b),
    __or__=lambda a, b: compare('bitwise_or', a, b),
    __rand__=lambda a, b: compare('bitwise_and', b, a),
    __ror__=lambda a, b: compare('bitwise_or', b, a),
    __invert__=invert,
    # elementwise math, reductions, shapes
    exp=exp, log=log, sqrt=sqrt, abs=abs, sin=sin, cos=cos, tanh=tanh, sigmoid=sigmoid,
    clip=clip, clamp=clip, maximum=maximum, minimum=minimum, pow=pow, matmul=matmul, neg=neg,
    sum=sum, mean=mean, var=var, std=std, max=max, min=min, amax=amax, amin=amin,
    logsumexp=logsumexp, argmax=argmax, argmin=argmin,
    reshape=reshape, view=view, permute=permute, transpose=transpose, flatten=flatten,
    squeeze=squeeze, unsqueeze=unsqueeze, broadcast_to=broadcast_to, expand=expand,
    sum_to=sum_to, split=split, t=t,
    # devices, dtypes, copies
    to=to, cpu=lambda self: to(self, 'cpu'), cuda=lambda self, device='cuda': to(self, device),
    float=_cast_method(backend.float32, 'float'), double=_cast_method(backend.float64, 'double'),
    half=_cast_method(backend.float16, 'half'), long=_cast_method(backend.int64, 'long'),
    int=_cast_method(backend.int32, 'int'), bool=_cast_method(backend.bool_, 'bool'),
    type=lambda self, dtype: to(self, dtype=dtype), clone=lambda self: Clone()(self),
    # in place
    __setitem__=inplace.setitem,
    add_=inplace.with_alpha(inplace.arithmetic_('add', add)),
    sub_=inplace.with_alpha(inplace.arithmetic_('subtract', sub)),
    mul_=inplace.arithmetic_('multiply', mul), div_=inplace.arithmetic_('true_divide', div),
    fill_=inplace.fill_, zero_=inplace.zero_, copy_=inplace.copy_,
    clamp_=inplace.inplace_version(clip), clip_=inplace.inplace_version(clip),
    exp_=inplace.inplace_version(exp, reads_target=False),
    neg_=inplace.inplace_version(neg, reads_target=False),
    pow_=inplace.inplace_version(pow), sqrt_=inplace.inplace_version(sqrt, reads_target=False),
    sigmoid_=inplace.inplace_version(sigmoid, reads_target=False),
    tanh_=inplace.inplace_version(tanh, reads_target=False),
)
_METHODS.update(__iadd__=_METHODS['add_'], __isub__=_METHODS['sub_'],
                __imul__=_METHODS['mul_'], __itruediv__=_METHODS['div_'])


def attach():
    """Give Tensor its operators and methods."""
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(T, doc="All dimensions reversed (the matrix transpose for 2-D).")
    Tensor.mT = property(mT, doc="The last two dimensions swapped (a batch of matrices).")
