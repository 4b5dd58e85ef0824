"""Convolution as differentiable Functions, and PyTorch's conv1d, conv2d, conv_transpose1d/2d.

Three Functions, each the adjoint of the others:

    Conv2d            (x, w)       -> y        the convolution
    ConvTranspose2d   (grad_y, w)  -> grad_x   its adjoint in x: the transposed convolution
    Conv2dWeightGrad  (x, grad_y)  -> grad_w   its adjoint in w

Conv2d's backward is the other two; their backwards are written with the three of them, so
every derivative order works (double backward for gradient penalties, Hessian-vector products).
Conv2d's ``fast_backward``, which the engine runs when no graph of the backward is recorded,
computes the same two gradients on arrays with the record its forward kept (strategies.py).
conv1d is conv2d with a height of 1; conv_transpose2d is ConvTranspose2d.
"""
from ... import backend
from ...autograd import Function, is_grad_enabled
from ..arguments import int_tuple, parse_conv, unbatched
from . import strategies
from .reference import Geometry


def _products_layout(grad_y):
    """grad_y (N, O, OH, OW) as the contiguous (O, OH, OW, N) array the products take (no copy
    when it already has a convolution output's memory order)."""
    return backend.array_module(grad_y).ascontiguousarray(grad_y.transpose(1, 2, 3, 0))


class Conv2d(Function):
    """y = conv2d(x, w) + b on arrays x (N, C, H, W), w (O, C/groups, KH, KW), b (O,) ->
    y (N, O, OH, OW), a view of an (O, OH, OW, N) array."""

    def __init__(self, geometry, keep_for_weight_grad=False):
        self.geometry, self.keep, self.record = geometry, keep_for_weight_grad, None

    def forward(self, x, w, b=None):
        y, self.record = strategies.forward(x, w, self.geometry, self.keep)
        self.has_bias = b is not None
        if self.has_bias:
            y += b.reshape(-1, 1, 1, 1)      # in place on the fresh product
        return y.transpose(3, 0, 1, 2)

    def backward(self, grad_y):
        g = self.geometry
        grad_x = ConvTranspose2d(g)(grad_y, self.input(1)) if self.needs_grad(0) else None
        grad_w = Conv2dWeightGrad(g)(self.input(0), grad_y) if self.needs_grad(1) else None
        grad_b = grad_y.sum((0, 2, 3)) if self.has_bias and self.needs_grad(2) else None
        return (grad_x, grad_w, grad_b) if self.has_bias else (grad_x, grad_w)

    def fast_backward(self, grad_y):
        g, grad_b = self.geometry, None
        grad_y = _products_layout(grad_y)        # once, for all three gradients
        need_x, need_w = self.needs_grad(0), self.needs_grad(1)
        grad_x, grad_w = strategies.gradients(self.input(0).array if need_w else None,
                                              self.input(1).array if need_x else None,
                                              grad_y, g, self.record, need_x, need_w)
        if self.has_bias and self.needs_grad(2):
            grad_b = grad_y.reshape(g.O, -1).sum(1)
        return (grad_x, grad_w, grad_b) if self.has_bias else (grad_x, grad_w)

    def release(self):
        super().release()
        self.record = None


class ConvTranspose2d(Function):
    """The adjoint of Conv2d in x: grad_y (N, O, OH, OW), w (O, C/groups, KH, KW) -> grad_x
    (N, C, H, W) for the geometry's input size."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, grad_y, w):
        return strategies.input_gradient(_products_layout(grad_y), w, self.geometry)

    def backward(self, gg):
        g = self.geometry
        grad_grad_y = Conv2d(g)(gg, self.input(1)) if self.needs_grad(0) else None
        grad_w = Conv2dWeightGrad(g)(gg, self.input(0)) if self.needs_grad(1) else None
        return grad_grad_y, grad_w


class Conv2dWeightGrad(Function):
    """The adjoint of Conv2d in w: x (N, C, H, W), grad_y (N, O, OH, OW) -> grad_w
    (O, C/groups, KH, KW)."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x, grad_y):
        return strategies.weight_gradient_of(x, _products_layout(grad_y), self.geometry)

    def backward(self, gg):
        g = self.geometry
        grad_x = ConvTranspose2d(g)(self.input(1), gg) if self.needs_grad(0) else None
        grad_grad_y = Conv2d(g)(self.input(0), gg) if self.needs_grad(1) else None
        return grad_x, grad_grad_y


# ---------------------------------------------------------------- public API
def _conv(x, w, b, stride, padding, dilation, groups):
    g = Geometry(x.shape, w.shape, stride, padding, dilation, groups)
    # the weight gradient's inputs are kept only when a weight gradient will be computed
    fn = Conv2d(g, keep_for_weight_grad=is_grad_enabled() and w.requires_grad)
    return fn(x, w) if b is None else fn(x, w, b)


@unbatched(2)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch): input (N, C_in, H, W) (or one sample,
    (C_in, H, W)), weight (C_out, C_in/groups, KH, KW), bias (C_out,) -> (N, C_out, OH, OW) with
    OH = (H + pad_top + pad_bottom - dilation*(KH-1) - 1) // stride + 1 (likewise OW).
    stride, dilation: int or (h, w); padding: int, (h, w), 'valid' or 'same' (stride 1 only).
    """
    stride, padding, dilation = parse_conv('conv2d', input, weight, bias, stride, padding,
                                           dilation, groups, 2)
    return _conv(input, weight, bias, stride, padding, dilation, groups)


@unbatched(1)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution: input (N, C_in, L) (or (C_in, L)), weight (C_out, C_in/groups, K),
    bias (C_out,) ->
    (N, C_out, OL), OL = (L + 2*padding - dilation*(K-1) - 1) // stride + 1. Computed as
    conv2d with a height of 1."""
    stride, padding, dilation = parse_conv('conv1d', input, weight, bias, stride, padding,
                                           dilation, groups, 1)
    return _conv(input.unsqueeze(2), weight.unsqueeze(2), bias, (1,) + stride, padding,
                 (1,) + dilation, groups).squeeze(2)


def _transposed(op, x, w, bias, stride, padding, output_padding, groups, dilation, dims):
    """conv_transpose1d/2d: the input gradient of the convolution whose output x would be."""
    stride, padding, dilation = parse_conv(op, x, w, bias, stride, padding, dilation, groups,
                                           dims, transposed=True)
    extra = _output_padding(op, output_padding, stride, dilation, dims)
    if dims == 1:
        x, w, stride, dilation, extra = (x.unsqueeze(2), w.unsqueeze(2), (1,) + stride,
                                         (1,) + dilation, (0,) + extra)
    top, bottom, left, right = padding
    size = [(n - 1) * s - a - z + d * (k - 1) + e + 1 for n, s, (a, z), d, k, e in
            zip(x.shape[2:], stride, ((top, bottom), (left, right)), dilation, w.shape[2:], extra)]
    if min(size) <= 0:
        raise ValueError(f"{op}: the output size {tuple(size[2 - dims:])} would not be positive "
                         f"(input {tuple(x.shape[2 + 2 - dims:])}, padding too large)")
    # the output_padding rows and columns are a convolution input's extra bottom and right part
    # that no window reaches: a negative padding there keeps the geometry consistent
    g = Geometry((x.shape[0], w.shape[1] * groups, *size), w.shape, stride,
                 (top, bottom - extra[0], left, right - extra[1]), dilation, groups)
    y = ConvTranspose2d(g)(x, w)
    if bias is not None:
        y = y + bias.reshape(-1, 1, 1)
    return y.squeeze(2) if dims == 1 else y


def _output_padding(op, output_padding, stride, dilation, dims):
    extra = int_tuple(output_padding, dims, 'output_padding', op)
    for e, s, d in zip(extra, stride, dilation):
        if e < 0 or (e >= s and e >= d):
            raise ValueError(f"{op}: output_padding must be non-negative and smaller than either "
                             f"stride or dilation, got output_padding={extra}, stride={stride}, "
                             f"dilation={dilation}")
    return extra


@unbatched(2)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution (the gradient of conv2d in its input), as PyTorch: input
    (N, C_in, H, W), weight (C_in, C_out/groups, KH, KW) -> (N, C_out, OH, OW) with
    OH = (H-1)*stride - 2*padding + dilation*(KH-1) + output_padding + 1."""
    return _transposed('conv_transpose2d', input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 2)


@unbatched(1)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution: input (N, C_in, L), weight (C_in, C_out/groups, K) ->
    (N, C_out, (L-1)*stride - 2*padding + dilation*(K-1) + output_padding + 1)."""
    return _transposed('conv_transpose1d', input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 1)
