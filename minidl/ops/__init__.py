"""Differentiable tensor operations, also Tensor's operators and methods (x + y, x.exp(), ...).

Each primitive is a Function (its forward on arrays and its backward beside it) with a lowercase
wrapper that checks arguments: ``math.py`` (elementwise arithmetic and functions, matmul),
``select.py`` (where, clamp, maximum), ``reduce.py`` (sums, means, extremes), ``shape.py``
(reshape, joining), ``subscript.py`` (x[index]), ``inplace.py`` (in-place updates with PyTorch's
safety rules). ``promotion.py`` holds PyTorch's type promotion, which every elementwise op
follows. ``methods.py`` attaches them to Tensor.
"""
from .math import (Abs, Add, Cast, Clone, Div, Exp, MatMul, Mul, Neg, ToDevice, abs, add,
                   compare, cos, div, exp, lift, log, matmul, mul, neg, pow, sigmoid, sin, sqrt,
                   sub, tanh)
from .promotion import promote_types, result_type
from .reduce import (amax, amin, argmax, argmin, logsumexp, max, mean, min, normalize_dim,
                     normalize_dims, std, sum, var)
from .select import clip, maximum, minimum, where
from .shape import (T, broadcast_to, cat, concatenate, expand, flatten, mT, pad, permute,
                    reshape, split, squeeze, stack, sum_to, transpose, unsqueeze, view)
from .subscript import getitem
from . import methods

methods.attach()
