"""Differentiable tensor operations, also attached to Tensor as methods (x.exp(), x.sum(1), ...)."""
from ..tensor import Tensor
from .math import (Abs, Add, Cast, Clone, Div, Exp, MatMul, Mul, Neg, ToDevice, abs, add, clip,
                   compare, cos, div, exp, lift, log, matmul, maximum, minimum, mul, neg, pow,
                   sigmoid, sin, sqrt, sub, tanh, where)
from .reduce import (amax, amin, argmax, argmin, logsumexp, max, mean, min, normalize_dims, std,
                     sum, var)
from .shape import (T, broadcast_to, cat, concatenate, expand, flatten, getitem, mT, pad,
                    permute, reshape, split, squeeze, stack, sum_to, transpose, unsqueeze)


def _attach():
    methods = dict(
        exp=exp, log=log, sqrt=sqrt, abs=abs, sin=sin, cos=cos, tanh=tanh, sigmoid=sigmoid,
        clip=clip, clamp=clip, maximum=maximum, minimum=minimum, pow=pow, matmul=matmul,
        sum=sum, mean=mean, var=var, std=std, max=max, min=min, amax=amax, amin=amin,
        logsumexp=logsumexp, argmax=argmax, argmin=argmin,
        reshape=reshape, view=reshape, permute=permute, transpose=transpose, flatten=flatten,
        squeeze=squeeze, unsqueeze=unsqueeze, broadcast_to=broadcast_to, expand=expand,
        sum_to=sum_to, split=split, neg=neg,
    )
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(T)
    Tensor.mT = property(mT)


_attach()
