"""Writing a traced forward as an ONNX graph: a Builder that converters add nodes and
initializers to, and ``build``, which runs each node's converter in order (imports onnx)."""
import numpy
from onnx import helper, numpy_helper

from .. import backend
from .converters import CONVERTERS
from .trace import ExportError


class Builder:
    """The ONNX graph being written. Converters call ``node`` and ``const``; ``twin(fn)`` is the
    same node in the second trace, made with a batch one sample larger."""

    def __init__(self, trace, twins, opset, constant_names):
        self.trace, self.twins, self.opset = trace, twins, opset
        self.nodes, self.initializers, self.taken = [], [], set()
        self.values = {}                     # where a value comes from -> its ONNX name
        self.constant_names = constant_names  # id(array) -> a parameter's or buffer's name
        self.fn, self.scope = None, ''

    def fresh(self, base):
        """A name not used yet in the graph, ``base`` itself when it is free."""
        name, k = base, 1
        while name in self.taken:
            name, k = f'{base}_{k}', k + 1
        self.taken.add(name)
        return name

    def node(self, op, inputs, outputs=1, **attributes):
        """Add node ``op`` reading the values named ``inputs`` ('' skips an optional input);
        returns its output's name, or a list of ``outputs`` names."""
        name = self.fresh(f'{self.scope}/{op}' if self.scope else op)
        outs = [name] if outputs == 1 else [self.fresh(f'{name}:{i}') for i in range(outputs)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, **attributes))
        return outs[0] if outputs == 1 else outs

    def const(self, array, base=None):
        """An initializer holding ``array`` (NumPy or CuPy); returns its name."""
        base = base or (f'{self.scope}.const' if self.scope else 'const')
        host = numpy.ascontiguousarray(backend.to_numpy(array))
        name = self.fresh(base)
        self.initializers.append(numpy_helper.from_array(host, name))
        return name

    def scalar(self, value, dtype):
        """A 0-d initializer ``value`` of ``dtype``."""
        return self.const(numpy.asarray(value, dtype=dtype))

    def ints(self, values):
        """A 1-D int64 initializer (axes, shapes, pads)."""
        return self.const(numpy.asarray(values, dtype=numpy.int64).reshape(-1))

    def onnx_dtype(self, dtype):
        """ONNX's code of a NumPy dtype."""
        return helper.np_dtype_to_tensor_dtype(numpy.dtype(dtype))

    def operand(self, fn, i):
        """Input ``i`` of node ``fn`` as the Tensor it read (its shape and dtype)."""
        return self.trace.operand(fn, i)

    def twin(self, fn):
        """Node ``fn`` as traced on the larger batch."""
        return self.twins[id(fn)]

    def fail(self, fn, why):
        """An ExportError naming ``fn``'s class and module and saying ``why``."""
        return ExportError(f"ONNX export: {type(fn).__name__} ({self.trace.where(fn)}) {why}")

    def value(self, source):
        """The ONNX name of a traced value, writing a constant's initializer on first use."""
        if source[0] == 'input':
            return self.values[source[:2]]
        if source[0] == 'node':
            return self.values[(id(source[1]), source[2])]
        array = source[1].array     # tensors sharing one array share one initializer
        if id(array) not in self.values:
            self.values[id(array)] = self.const(array, self.constant_names.get(id(array)))
        return self.values[id(array)]


def _value_info(name, first, second):
    """Type and shape of a graph input or output; dimensions that changed between the two
    traces (the batch) are named 'batch'."""
    dims = ['batch' if a != b else a for a, b in zip(first.shape, second.shape)]
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(first.dtype), dims)


def _constant_names(model):
    """id(array) -> dotted name, for every parameter and buffer of ``model``."""
    pairs = list(model.named_parameters()) + list(model.named_buffers())
    return {id(t.array): name for name, t in pairs}


def build(first, second, twins, opset, input_names, output_names):
    """The ONNX ModelProto of trace ``first`` (``second``: the same model on a larger batch)."""
    b = Builder(first, twins, opset, _constant_names(first.model))
    for name in list(input_names) + list(output_names):
        b.taken.add(name)
    for k, name in enumerate(input_names):
        b.values[('input', k)] = name
    for fn in first.nodes:
        convert = CONVERTERS.get(type(fn))
        if convert is None:
            raise b.fail(fn, "has no ONNX converter: this operation cannot be exported (see "
                             "minidl/onnx/converters.py for the supported ones)")
        b.fn, b.scope = fn, first.scope(fn)
        out = convert(b, fn, [b.value(s) for s in first.sources(fn)])
        for nr, name in enumerate(out if isinstance(out, list) else [out]):
            b.values[(id(fn), nr)] = name
    b.fn, b.scope = None, ''
    _name_outputs(b, first.output_sources, output_names)
    graph = helper.make_graph(
        b.nodes, type(first.model).__name__,
        [_value_info(n, x, y) for n, x, y in zip(input_names, first.inputs, second.inputs)],
        [_value_info(n, x, y) for n, x, y in zip(output_names, first.outputs, second.outputs)],
        b.initializers)
    opsets = [helper.make_opsetid('', opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name='minidl')
    model.ir_version = helper.find_min_ir_version_for(opsets)
    return model


def _name_outputs(b, sources, output_names):
    """Give each output value its output name: rename the node output that holds it, or add an
    Identity node (for an input returned as it is, or a value returned twice)."""
    renamed = {}
    for k, (source, name) in enumerate(zip(sources, output_names)):
        if source[0] == 'const':
            raise ExportError(f"ONNX export: output {k} does not depend on the input (it is a "
                              "constant), so it cannot be a graph output")
        old = b.value(source)
        if source[0] == 'input' or old in renamed:
            b.nodes.append(helper.make_node('Identity', [renamed.get(old, old)], [name],
                                            name=b.fresh(name)))
            continue
        renamed[old] = name
        for node in b.nodes:
            for field in (node.input, node.output):
                for i, value in enumerate(field):
                    if value == old:
                        field[i] = name
