"""Converters of the layers' Functions: linear, convolution, transposed convolution, pooling.

The convolution converters read a small interface of the conv Functions, in one place
(``conv_geometry``): ``fn.geometry``, a ``functional.conv.reference.Geometry`` with stride and
dilation (sh, sw), padding (top, bottom, left, right), groups, and the input size (N, C, H, W)
(for ConvTranspose2d, its output's size); the weight is input 1 and the bias, when given,
input 2. conv1d is
traced as conv2d on a height of 1 between two reshapes, so one 2-D converter covers both.
Pooling reads ``fn.pool`` (kernel, stride, padding (ph, pw), dilation, shape, extent) and average
pooling ``fn.scale``, the (OH, OW) factors that turn window sums into means.
"""
from ..functional import basic, pooling
from ..functional.conv import functions as conv
from .converters import converts


@converts(basic.Linear)
def _linear(g, fn, x):
    if g.operand(fn, 0).ndim == 2:     # y = x @ W.T + b, ONNX's Gemm
        return g.node('Gemm', x, transB=1)
    y = g.node('MatMul', [x[0], g.node('Transpose', [x[1]], perm=[1, 0])])
    return g.node('Add', [y, x[2]]) if len(x) == 3 else y


def conv_geometry(fn):
    """(strides, pads, dilations, group) of a conv Function, with ONNX's pads order
    (top, left, bottom, right). The one place that reads the conv Functions' parameters."""
    g = fn.geometry
    top, bottom, left, right = g.padding
    return list(g.stride), [top, left, bottom, right], list(g.dilation), int(g.groups)


@converts(conv.Conv2d)
def _conv(g, fn, x):
    strides, pads, dilations, group = conv_geometry(fn)
    kernel = list(g.operand(fn, 1).shape[2:])
    return g.node('Conv', x, kernel_shape=kernel, strides=strides, pads=pads,
                  dilations=dilations, group=group)


@converts(conv.ConvTranspose2d)
def _conv_transpose(g, fn, x):
    # The full transposed convolution has s*(n-1) + d*(k-1) + 1 rows; the output is its rows
    # from pad_top on, and where the output reaches past them (output_padding greater than the
    # end padding) the extra rows are zeros. minidl stores that as a negative end pad; ONNX's
    # output_padding would say the same, but onnxruntime refuses it when not below the stride,
    # so the zeros are a Pad
    strides, pads, dilations, group = conv_geometry(fn)
    source, weight = g.operand(fn, 0).shape, g.operand(fn, 1).shape
    ends, extra = [], []
    for n, k, s, d, begin, out in zip(source[2:], weight[2:], strides, dilations, pads[:2],
                                      (fn.geometry.H, fn.geometry.W)):
        rest = s * (n - 1) + d * (k - 1) + 1 - begin - out
        ends.append(max(rest, 0))
        extra.append(max(-rest, 0))
    y = g.node('ConvTranspose', x, kernel_shape=list(weight[2:]), strides=strides,
               pads=pads[:2] + ends, dilations=dilations, group=group)
    return g.node('Pad', [y, g.ints([0, 0, 0, 0, 0, 0] + extra)]) if any(extra) else y


def _pool_attributes(pool):
    """kernel_shape, strides and pads of a pooling; the end pads reach the extent that the
    windows cover (so ceil_mode needs no attribute: floor division gives the same size)."""
    (h, w), (ph, pw) = pool.shape[2:], pool.padding
    eh, ew = pool.extent
    return dict(kernel_shape=list(pool.kernel), strides=list(pool.stride),
                pads=[ph, pw, eh - h - ph, ew - w - pw])


@converts(pooling.MaxPool2d)
def _max_pool(g, fn, x):
    return g.node('MaxPool', x, dilations=list(fn.pool.dilation), **_pool_attributes(fn.pool))


@converts(pooling.GlobalAvgPool2d)
def _global_avg_pool(g, fn, x):
    return g.node('GlobalAveragePool', x)


@converts(pooling.AvgPool2d)
def _avg_pool(g, fn, x):
    # minidl scales window sums by ``scale`` (PyTorch's divisor at each output position);
    # AveragePool counting every padded element divides by kh*kw, so multiply back where the
    # divisor differs (count_include_pad=False, ceil_mode edges, divisor_override)
    y = g.node('AveragePool', x, count_include_pad=1, **_pool_attributes(fn.pool))
    size = fn.pool.kernel[0] * fn.pool.kernel[1]
    factor = fn.scale * fn.scale.dtype.type(size)
    if float(abs(factor - 1).max()) < 1e-6:      # 1 / size, rounded: the divisor is size
        return y
    return g.node('Mul', [y, g.const(factor)])
