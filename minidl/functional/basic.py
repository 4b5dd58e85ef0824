"""linear, dropout and flatten: the stateless parts of Dense, Dropout and Flatten layers."""
import math

from .. import backend, ops, validate
from ..autograd import Function
from ..ops.inplace import update_
from ..ops.select import MaskedGrad

__all__ = ['linear', 'dropout', 'flatten']


class Linear(Function):
    """y = x @ W.T + b in one node. x: (..., in), W: (out, in), b: (out,) or absent."""

    def forward(self, x, weight, bias=None):
        # One GEMM over all leading dimensions; W.T is a view (BLAS reads it transposed).
        x2 = _rows(x)
        y = backend.matmul(x2, weight.T)
        if bias is not None:
            y += bias
        return y.reshape(x.shape[:-1] + (weight.shape[0],)) if x.ndim != 2 else y

    def backward(self, gy):
        x, weight = self.inputs[0], self.inputs[1]
        has_bias = len(self.inputs) == 3
        # Tensor operations (two matmuls and a sum), so the gradient is itself differentiable.
        gy2 = _rows(gy)
        gx = gw = gb = None
        if x.requires_grad:
            gx = gy2 @ weight
            if x.ndim != 2:
                gx = gx.reshape(x.shape)
        if weight.requires_grad:
            x2 = _rows(x)
            gw = gy2.mT @ x2
        if has_bias and self.inputs[2].requires_grad:
            gb = gy2.sum(0)
        return (gx, gw, gb) if has_bias else (gx, gw)


def _rows(a):
    """``a`` (array or Tensor) as a matrix of rows (..., n) -> (rows, n), also when empty."""
    if a.ndim == 2:
        return a
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def linear(input, weight, bias=None):
    """Affine map y = input @ weight.T + bias.

    input: (..., in_features); weight: (out_features, in_features); bias: (out_features,) or
    None. Returns (..., out_features). Differentiable (to any order) in all three.
    """
    validate.tensor('linear', 'input', input)
    validate.tensor('linear', 'weight', weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                         f"{weight.shape}")
    out_features, in_features = weight.shape
    if input.ndim == 0 or input.shape[-1] != in_features:
        got = input.shape[-1] if input.ndim else 'no'
        raise ValueError(
            f"linear: input of shape {input.shape} has {got} features in its last dimension, but "
            f"weight of shape {weight.shape} expects in_features={in_features} (the layer was "
            f"built for inputs of shape (..., {in_features}))")
    validate.like('linear', 'weight', weight, input)
    if bias is None:
        return Linear()(input, weight)
    validate.shape('linear', 'bias', bias, (out_features,))
    validate.like('linear', 'bias', bias, input)
    return Linear()(input, weight, bias)


class Dropout(MaskedGrad):
    """input * mask, the mask holding 0 (dropped) or 1 / (1 - p) (kept); backward gy * mask."""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        return x * self.mask


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability p and scale the rest by 1 / (1 - p),
    so the expected value is unchanged. Identity when p == 0 or not training; zeros when p == 1.
    The mask comes from the device's generator, so mdl.manual_seed makes it repeat.
    ``inplace=True`` writes the result into input (and returns it)."""
    p = validate.number('dropout', 'p', p, 0, 1)
    validate.floating('dropout', 'input', input)
    if not training or p == 0:
        return input
    mask = _scaled_mask(input, p, input.shape)
    return update_(input, Dropout(mask), reads_target=False) if inplace else Dropout(mask)(input)


def _scaled_mask(input, p, shape):
    """An array of ``shape`` in input's dtype: 0 with probability p, else 1 / (1 - p). A mask of
    the input's own shape is drawn in the input's memory order (a convolution's output is
    laid out (C, H, W, N)), so that input * mask keeps that layout: mixing two layouts costs
    the product a transposing pass, and every layer after it one more."""
    if p == 1:
        return input._xp().zeros(shape, dtype=input.dtype)
    draw_dtype = input.dtype if input.dtype.itemsize >= 4 else backend.float32
    order = list(range(len(shape)))
    if tuple(shape) == input.shape:      # outermost axis in memory first (C order on ties)
        order.sort(key=lambda axis: -input.array.strides[axis])
    uniform = backend.generator(input.device).random(tuple(shape[a] for a in order),
                                                     dtype=draw_dtype)
    keep = uniform.transpose(sorted(range(len(order)), key=order.__getitem__)) >= p
    return keep * input.dtype.type(1.0 / (1.0 - p))    # bool * scalar of input's dtype


def flatten(input, start_dim=1, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default
    (start_dim=1 keeps the batch dimension, as nn.Flatten)."""
    return ops.flatten(input, start_dim, end_dim)
