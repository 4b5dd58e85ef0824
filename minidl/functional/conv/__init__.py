"""Convolution (PyTorch's conv1d, conv2d, conv_transpose1d, conv_transpose2d), in four files:

    reference.py    the plain path on arrays, to read first: windows by a strided view, one
                    matrix product, the backward as the transposed product and the weight product
    functions.py    the differentiable Functions built on it, and the public functions
    strategies.py   faster ways of computing the same products, behind one dispatch (choose)
    winograd.py     Winograd's F(2x2, 3x3), one of those strategies
"""
from .functions import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
