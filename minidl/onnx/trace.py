"""Tracing for export: run the model once, then read the graph autograd recorded.

The example input is copied into a leaf that requires grad, so every operation that depends on
it records a node (a Function) with its inputs and, in ``edges``, where each input came from:
another node's output, a leaf, or nothing (a tensor that needs no gradient). Walking those
edges back from the outputs gives the computation, with no hook in any operation's hot path.

A node whose inputs do not depend on the example input (batch norm's scale, computed from its
weight and running variance; a parameter reshaped) is not exported as a node: the tensor it
made is a constant, and its value becomes an initializer of the ONNX graph.

Forward hooks on every module note which module's forward made each node: a module's hook
claims the nodes between its inputs and its output that no inner module claimed (inner hooks
run first). Errors name that module.
"""
from .. import backend
from ..autograd import enable_grad
from ..tensor import Tensor, make


class ExportError(RuntimeError):
    """A model that minidl.onnx.export cannot write as an ONNX graph, and why."""


def flat_tensors(value, what):
    """A tuple of the Tensors in ``value`` (a Tensor, or a tuple or list of them)."""
    items = value if isinstance(value, (tuple, list)) else (value,)
    for item in items:
        if not isinstance(item, Tensor):
            raise ExportError(f"ONNX export: the {what} must be a Tensor or a tuple of Tensors, "
                              f"got {type(item).__name__}")
    return tuple(items)


class _Owners:
    """Which module's forward made each node: id(fn) -> (fn, module). Installed as forward
    pre-hooks and hooks on every module of the model for one call."""

    def __init__(self, model):
        self.of, self.stack = {}, []
        self.handles = []
        for module in model.modules():
            self.handles.append(module.register_forward_pre_hook(self.enter))
            self.handles.append(module.register_forward_hook(self.leave))

    def enter(self, module, args):
        self.stack.append({id(t.grad_fn) for t in args
                           if isinstance(t, Tensor) and t.grad_fn is not None})

    def leave(self, module, args, output):
        stop = self.stack.pop()
        outputs = output if isinstance(output, (tuple, list)) else (output,)
        todo = [t.grad_fn for t in outputs if isinstance(t, Tensor) and t.grad_fn is not None]
        while todo:
            fn = todo.pop()
            if id(fn) in stop or id(fn) in self.of:
                continue
            self.of[id(fn)] = (fn, module)
            todo.extend(e[0] for e in fn.edges if e is not None and e[1] is not None)

    def remove(self):
        for handle in self.handles:
            handle.remove()


def run(model, inputs, attribute=False):
    """Trace ``model`` on ``inputs`` (Tensors) in eval mode with grad recording on; the
    modules' training flags are restored afterwards. Returns a Trace."""
    copies = []
    for k, x in enumerate(inputs):
        if x.dtype.kind != 'f':
            raise ExportError(f"ONNX export: example input {k} must be floating point (it is "
                              f"traced as a tensor that requires grad), got dtype {x.dtype}")
        copies.append(make(x.array.copy()).requires_grad_())
    modes = [(m, m.training) for m in model.modules()]
    owners = _Owners(model) if attribute else None
    model.eval()
    try:
        with enable_grad():
            outputs = flat_tensors(model(*copies), 'model output')
    finally:
        if owners is not None:
            owners.remove()
        for module, mode in modes:
            module.training = mode
    return Trace(copies, outputs, owners.of if owners else {}, model)


def _edge_of(t):
    """The edge a consumer of tensor ``t`` would record now."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (t, None) if t.requires_grad else None


def _topological(roots):
    """Every node reachable from ``roots`` (Functions), each after the nodes it reads."""
    order, seen = [], set()
    stack = [(fn, False) for fn in reversed(roots)]
    while stack:
        fn, done = stack.pop()
        if done:
            order.append(fn)
            continue
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.append((fn, True))
        for e in reversed(fn.edges):
            if e is not None and e[1] is not None and id(e[0]) not in seen:
                stack.append((e[0], False))
    return order


class Trace:
    """One traced call. ``nodes``: the Functions that depend on the inputs, each after those it
    reads; ``sources(fn)`` and ``output_sources`` say where each value comes from:
    ('input', k), ('node', fn, output_nr) or ('const', tensor)."""

    def __init__(self, inputs, outputs, owners, model):
        self.inputs, self.outputs, self.owners, self.model = inputs, outputs, owners, model
        self._input_ids = {id(x): k for k, x in enumerate(inputs)}
        roots = [e[0] for e in map(_edge_of, outputs) if e is not None and e[1] is not None]
        order, self._depends = _topological(roots), {}
        for fn in order:
            self._depends[id(fn)] = any(self._source(e, None)[0] != 'const' for e in fn.edges)
        self.nodes = [fn for fn in order if self._depends[id(fn)]]
        self.index = {id(fn): i for i, fn in enumerate(self.nodes)}
        self.output_sources = [self._source(_edge_of(t), t) for t in outputs]

    def _source(self, edge, tensor):
        if edge is not None and edge[1] is None and id(edge[0]) in self._input_ids:
            return ('input', self._input_ids[id(edge[0])])
        if edge is not None and edge[1] is not None and self._depends[id(edge[0])]:
            return ('node', edge[0], edge[1])
        return ('const', tensor)

    def sources(self, fn):
        """Where each input of node ``fn`` comes from; a constant's tensor is checked to be
        unchanged since fn read it (``Function.input``)."""
        out = []
        for i, edge in enumerate(fn.edges):
            source = self._source(edge, None)
            out.append(source if source[0] != 'const' else ('const', fn.input(i)))
        return out

    def operand(self, fn, i):
        """Input ``i`` of node ``fn`` as the Tensor it read (for its shape and dtype)."""
        return fn._inputs[i]

    def structure(self):
        """The graph as plain data, for comparing two traces: each node's class and where its
        inputs come from (constants without their values), then the outputs'."""
        def describe(src):
            if src[0] == 'node':
                return ('node', self.index[id(src[1])], src[2])
            return src[:1] + ((src[1],) if src[0] == 'input' else ())
        nodes = [(type(fn), tuple(map(describe, self.sources(fn)))) for fn in self.nodes]
        return nodes, [describe(s) for s in self.output_sources]

    def where(self, fn):
        """Which module's forward made ``fn``, in words."""
        if id(fn) not in self.owners:
            return 'outside any module'
        module = self.owners[id(fn)][1]
        name = self.module_name(module)
        return f"in module '{name}' ({type(module).__name__})" if name else \
            f"in the model's own forward ({type(module).__name__})"

    def module_name(self, module):
        """The dotted name of ``module`` in the model ('' for the model itself)."""
        for name, m in self.model.named_modules():
            if m is module:
                return name
        return ''

    def scope(self, fn):
        """A short label for the nodes made from ``fn``: its module's name, or ''."""
        if id(fn) not in self.owners:
            return ''
        return self.module_name(self.owners[id(fn)][1])


def grown_inputs(inputs):
    """The example batch with a copy of its first sample appended, scaled by 1.5: a second
    trace on it shows which dimensions follow the batch size and which constants were computed
    from the input's values."""
    grown = []
    for x in inputs:
        if x.ndim == 0 or x.shape[0] == 0:
            raise ExportError(f"ONNX export: each example input needs a batch dimension with at "
                              f"least one sample, got shape {tuple(x.shape)}")
        xp = backend.array_module(x.array)
        more = xp.concatenate([x.array, x.array[:1]])
        grown.append(make(more * more.dtype.type(1.5)))
    return grown


def twins(first, second):
    """Map each node of ``first`` to the same node of ``second`` (id -> Function), after
    checking that the two traces did the same operations on constants of equal values:
    otherwise the forward depends on the input in a way a fixed graph cannot hold."""
    nodes1, outs1 = first.structure()
    nodes2, outs2 = second.structure()
    if nodes1 != nodes2 or outs1 != outs2:
        raise ExportError(
            "ONNX export: the model's forward ran different operations for a batch of "
            f"{first.inputs[0].shape[0]} and one of {second.inputs[0].shape[0]} samples (Python "
            "control flow that depends on the input's values or size); an ONNX graph records "
            "one path")
    for fn1, fn2 in zip(first.nodes, second.nodes):
        for i, (s1, s2) in enumerate(zip(first.sources(fn1), second.sources(fn2))):
            if s1[0] == 'const' and not _same_values(s1[1].array, s2[1].array):
                raise ExportError(
                    f"ONNX export: input {i} of {type(fn1).__name__} ({first.where(fn1)}) is a "
                    f"constant computed from the input's values or batch size (shape "
                    f"{tuple(s1[1].shape)}, then {tuple(s2[1].shape)}): operations outside "
                    "autograd (comparisons, argmax, .item(), .array, new tensors sized from "
                    "x.shape[0]) are not recorded, so their result would be frozen in the graph")
    return {id(fn1): fn2 for fn1, fn2 in zip(first.nodes, second.nodes)}


def _same_values(a, b):
    if a is b:
        return True
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(backend.array_module(a).array_equal(a, b, equal_nan=a.dtype.kind == 'f'))
