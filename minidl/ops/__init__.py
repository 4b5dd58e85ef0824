"""Differentiable tensor operations, also Tensor's operators and methods (x + y, x.exp(), ...).

Each primitive is a Function (its forward on arrays and its backward beside it) with a lowercase
wrapper that checks arguments; operations that are exact compositions of primitives are plain
functions. By family:

- ``math.py``: elementwise arithmetic and functions, matmul; ``promotion.py``: PyTorch's type
  promotion, which every elementwise op follows;
- ``select.py``: where, clamp, maximum; ``elementwise.py``: more elementwise functions
  (log1p, rounding, remainders, nan_to_num...);
- ``compare.py``: comparisons and tests of truth (eq, isclose, isnan, logical_and, any, all);
- ``reduce.py``: sums, means, extremes; ``cumulative.py``: cumsum, cumprod, prod;
- ``shape.py``: reshape, joining; ``subscript.py``: x[index]; ``rearrange.py``: flip, roll,
  repeat, chunk, ...;
- ``index.py``: gather, scatter, index_select, masked_fill; ``sort.py``: sort, topk, median;
- ``linalg.py``: mm, bmm, dot, outer, einsum, norm, diagonals and triangles;
- ``activation.py``: relu, softmax, log_softmax (also Tensor methods);
- ``like.py``: the ``*_like`` functions, ``new_*`` methods and in-place random fills;
- ``inplace.py``: in-place updates with PyTorch's safety rules.

``methods.py`` attaches them to Tensor.
"""
from .math import (Abs, Add, Cast, Clone, Div, Exp, MatMul, Mul, Neg, ToDevice, abs, add, cos,
                   div, exp, lift, log, matmul, mul, neg, pow, sigmoid, sin, sqrt, sub, tanh)
from .promotion import promote_types, result_type
from .reduce import (amax, amin, argmax, argmin, logsumexp, max, mean, min, normalize_dim,
                     normalize_dims, std, sum, var)
from .select import clip, maximum, minimum, where
from .shape import (T, broadcast_to, cat, concatenate, expand, flatten, mT, pad, permute,
                    reshape, split, squeeze, stack, sum_to, transpose, unsqueeze, view)
from .subscript import getitem
from . import methods

methods.attach()
