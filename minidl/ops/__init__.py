"""Differentiable tensor operations, also Tensor's operators and methods (x + y, x.exp(), ...).

Each primitive is a Function (its forward on arrays and its backward beside it) with a lowercase
wrapper that checks arguments: ``math.py`` (elementwise arithmetic and functions, matmul),
``reduce.py`` (sums, means, extremes), ``shape.py`` (reshape, indexing, joining), ``inplace.py``
(in-place updates with PyTorch's safety rules). ``methods.py`` attaches them to Tensor.
"""
from .math import (Abs, Add, Cast, Clone, Div, Exp, MatMul, Mul, Neg, ToDevice, abs, add, clip,
                   compare, cos, div, exp, lift, log, matmul, maximum, minimum, mul, neg, pow,
                   sigmoid, sin, sqrt, sub, tanh, where)
from .reduce import (amax, amin, argmax, argmin, logsumexp, max, mean, min, normalize_dims, std,
                     sum, var)
from .shape import (T, broadcast_to, cat, concatenate, expand, flatten, getitem, mT, pad,
                    permute, reshape, split, squeeze, stack, sum_to, transpose, unsqueeze)
from . import methods

methods.attach()
