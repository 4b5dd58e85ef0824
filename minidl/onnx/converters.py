"""From minidl's Functions to ONNX nodes: one registry, class -> converter.

A converter is ``convert(g, fn, inputs)``: ``g`` the graph Builder (``g.node``, ``g.const``),
``fn`` the traced Function (its attributes: axes, shapes, slopes...), ``inputs`` the ONNX names
of its input values. It adds nodes and returns the name of its output (a list for several).

This module holds the elementwise, activation, reduction and shape operations; ``layers.py``
the convolution, pooling and linear layers. Opset 13 or later is assumed throughout (Softmax
over one axis; ReduceSum, Squeeze, Unsqueeze and Split take their axes as inputs).
"""
import math

from ..functional import activation as act
from ..functional.basic import Dropout
from ..ops import math as om
from ..ops import reduce as red
from ..ops import select as sel
from ..ops import shape as sh
from ..ops import subscript as sub

CONVERTERS = {}
INT64_MAX, INT64_MIN = 2 ** 63 - 1, -2 ** 63


def converts(*classes):
    """Register the decorated function as the converter of these Function classes."""
    def register(convert):
        for cls in classes:
            CONVERTERS[cls] = convert
        return convert
    return register


def _same(op):
    """A converter for a Function that is the ONNX operator ``op`` on the same inputs."""
    return lambda g, fn, x: g.node(op, x)


CONVERTERS.update({
    om.Add: _same('Add'), om.Sub: _same('Sub'), om.Mul: _same('Mul'), om.Div: _same('Div'),
    om.Neg: _same('Neg'), om.Exp: _same('Exp'), om.Log: _same('Log'), om.Sqrt: _same('Sqrt'),
    om.Abs: _same('Abs'), om.Sin: _same('Sin'), om.Cos: _same('Cos'),
    om.Tanh: _same('Tanh'), om.Sigmoid: _same('Sigmoid'), om.Pow: _same('Pow'),
    om.MatMul: _same('MatMul'), om.Clone: _same('Identity'), act.ReLU: _same('Relu'),
    red.Root: _same('Sqrt'),
    Dropout: _same('Identity'),       # ONNX inference: dropout is the identity
})


@converts(om.PowScalar)
def _pow_scalar(g, fn, x):
    return g.node('Pow', [x[0], g.scalar(fn.exponent, g.operand(fn, 0).dtype)])


@converts(sel.Maximum)
def _maximum(g, fn, x):
    return g.node('Max' if fn.take_max else 'Min', x)


@converts(sel.Clamp)
def _clamp(g, fn, x):
    y = g.node('Max', [x[0], x[1]]) if fn.has_low else x[0]
    return g.node('Min', [y, x[-1]]) if fn.has_high else y


@converts(sel.Where)
def _where(g, fn, x):
    return g.node('Where', [g.const(fn.condition)] + x)


@converts(sel.Clip)
def _clip(g, fn, x):
    dtype = g.operand(fn, 0).dtype
    bounds = ['' if v is None else g.scalar(v, dtype) for v in (fn.low, fn.high)]
    return g.node('Clip', x + bounds)


@converts(om.Cast)
def _cast(g, fn, x):
    return g.node('Cast', x, to=g.onnx_dtype(fn.dtype))


# ---------------------------------------------------------------- activations
@converts(act.LeakyReLU)
def _leaky_relu(g, fn, x):
    return g.node('LeakyRelu', x, alpha=float(fn.slope))


@converts(act.ELU)
def _elu(g, fn, x):
    return g.node('Elu', x, alpha=float(fn.alpha))


@converts(act.Softmax)
def _softmax(g, fn, x):
    return g.node('Softmax', x, axis=fn.axis)


@converts(act.LogSoftmax)
def _log_softmax(g, fn, x):
    return g.node('LogSoftmax', x, axis=fn.axis)


@converts(act.GELU)
def _gelu(g, fn, x):
    # x * (1 + e) / 2 with e = erf(x / sqrt 2), or tanh(sqrt(2/pi) (x + 0.044715 x^3)):
    # built from basic operators, so it runs under every opset from 13 (Gelu came in 20)
    dtype, (x,) = g.operand(fn, 0).dtype, x
    if fn.approximate == 'tanh':
        cube = g.node('Mul', [g.node('Mul', [x, x]), x])
        inner = g.node('Add', [x, g.node('Mul', [cube, g.scalar(0.044715, dtype)])])
        e = g.node('Tanh', [g.node('Mul', [inner, g.scalar(math.sqrt(2 / math.pi), dtype)])])
    else:
        e = g.node('Erf', [g.node('Mul', [x, g.scalar(1 / math.sqrt(2), dtype)])])
    half_x = g.node('Mul', [x, g.scalar(0.5, dtype)])
    return g.node('Mul', [half_x, g.node('Add', [e, g.scalar(1, dtype)])])


# ---------------------------------------------------------------- reductions
@converts(red.Sum)
def _sum(g, fn, x):
    return g.node('ReduceSum', x + [g.ints(fn.axes)], keepdims=int(fn.keepdims))


@converts(red.Extreme, red.ExtremeAt)
def _extreme(g, fn, x):
    op = 'ReduceMax' if fn.largest else 'ReduceMin'
    if g.opset < 18:               # their axes became an input in opset 18
        return g.node(op, x, axes=list(fn.axes), keepdims=int(fn.keepdims))
    return g.node(op, x + [g.ints(fn.axes)], keepdims=int(fn.keepdims))


@converts(red.Variance)
def _variance(g, fn, x):
    # the deviations from the mean, squared, summed and divided by max(0, N - correction)
    dtype, axes = g.operand(fn, 0).dtype, g.ints(fn.axes)
    total = g.node('ReduceSum', x + [axes], keepdims=1)
    centered = g.node('Sub', [x[0], g.node('Mul', [total, g.scalar(1 / fn.count, dtype)])])
    squares = g.node('ReduceSum', [g.node('Mul', [centered, centered]), axes],
                     keepdims=int(fn.keepdims))
    factor = 1 / fn.divisor if fn.divisor > 0 else math.inf
    return g.node('Mul', [squares, g.scalar(factor, dtype)])


# ---------------------------------------------------------------- shapes
def _resolved(shape, source):
    """``shape`` with its -1 replaced by the size it stands for."""
    if -1 not in shape:
        return tuple(shape)
    known = math.prod(n for n in shape if n != -1)
    return tuple(math.prod(source) // known if n == -1 else n for n in shape)


@converts(sh.Reshape)
def _reshape(g, fn, x):
    # the dimensions that differ between the two traces follow the batch size: written as -1,
    # so the graph takes any batch (one such dimension at most)
    twin = g.twin(fn)
    a, b = _resolved(fn.shape, fn.source), _resolved(twin.shape, twin.source)
    shape = [-1 if m != n else m for m, n in zip(a, b)]
    if shape.count(-1) > 1:
        raise g.fail(fn, f"reshapes to {a} for one batch size and to {b} for another: more than "
                         "one dimension follows the batch size, which ONNX's Reshape cannot "
                         "express with a fixed shape")
    return g.node('Reshape', x + [g.ints(shape)])


@converts(sh.Transpose)
def _transpose(g, fn, x):
    return g.node('Transpose', x, perm=list(fn.axes))


@converts(sh.Concat)
def _concat(g, fn, x):
    return g.node('Concat', [n for i, n in enumerate(x) if i not in fn.skipped], axis=fn.axis)


@converts(sh.Split)
def _split(g, fn, x):
    return g.node('Split', x + [g.ints(fn.sizes)], outputs=len(fn.sizes), axis=fn.axis)


@converts(sh.Pad)
def _pad(g, fn, x):
    pads = [lo for lo, _ in fn.widths] + [hi for _, hi in fn.widths]
    value = g.scalar(fn.value, g.operand(fn, 0).dtype)
    return g.node('Pad', x + [g.ints(pads), value], mode='constant')


def _bounds(part):
    """(start, end, step) of an int or a slice, as ONNX's Slice reads them (its INT64 limits
    stand for 'to the end', so no dimension's size is written into the graph)."""
    if not isinstance(part, slice):
        return part, (part + 1 if part != -1 else INT64_MAX), 1
    step = 1 if part.step is None else part.step
    start = part.start if part.start is not None else (0 if step > 0 else INT64_MAX)
    end = part.stop if part.stop is not None else (INT64_MAX if step > 0 else INT64_MIN)
    return start, end, step


@converts(sub.GetItem)
def _getitem(g, fn, x):
    # basic indexing only: Slice the sliced dimensions, Squeeze the integer-indexed ones, then
    # Unsqueeze where the index has None
    if not sub.is_basic_index(fn.index):
        raise g.fail(fn, "indexes with arrays or masks: only ints, slices, None and ... are "
                         "exported")
    index = fn.index if isinstance(fn.index, tuple) else (fn.index,)
    at = index.index(Ellipsis) if Ellipsis in index else len(index)
    used = sum(1 for p in index if p is not None and p is not Ellipsis)
    parts = [p for p in index[:at]] + [slice(None)] * (len(fn.source) - used) + \
        [p for p in index[at + 1:]]
    slices, squeeze, unsqueeze, dim, out = [], [], [], 0, 0
    for part in parts:
        if part is None:
            unsqueeze.append(out)
            out += 1
            continue
        if part != slice(None):
            slices.append((dim,) + _bounds(part))
        if isinstance(part, slice):
            out += 1
        else:
            squeeze.append(dim)
        dim += 1
    y = x[0]
    if slices:
        axes, starts, ends, steps = zip(*slices)
        y = g.node('Slice', [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.node('Squeeze', [y, g.ints(squeeze)])
    if unsqueeze:
        y = g.node('Unsqueeze', [y, g.ints(unsqueeze)])
    return y if y != x[0] else g.node('Identity', x)
