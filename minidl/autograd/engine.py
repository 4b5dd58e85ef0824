"""The backward engine: from the outputs down to the leaves, one Function at a time.

The walk is iterative: a heap hands out the pending Function of highest generation, so every
Function runs after all the Functions that consume its outputs (a node reused by several
consumers, a diamond, receives the sum of their gradients first), and chains of any depth need
no recursion. Each Function's gradients go along its ``edges`` to the Functions that made its
inputs, or into a leaf's ``.grad``. ``grad()`` runs the same walk but captures the gradients of
the tensors it is asked about instead of writing any ``.grad``.
"""
import heapq
import itertools

from .. import backend
from . import anomaly
from ..tensor import make
from .function import _FREED
from .hooks import has_post_accumulate_grad_hooks, run_post_accumulate_grad_hooks
from .mode import set_grad_enabled


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the ``.grad``
    of every leaf that requires grad, as torch.autograd.backward; with ``inputs``, only into
    those tensors (leaves or not)."""
    tensors, grads = _roots(tensors, grad_tensors, 'tensor')
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is None:
        _Walk(create_graph).run(tensors, grads, retain_graph)
        return
    inputs = [inputs] if hasattr(inputs, 'grad_fn') else list(inputs)
    walk = _Walk(create_graph, capture=inputs)
    hooked = []
    for x, g in zip(inputs, walk.run(tensors, grads, retain_graph)):
        if g is not None:
            x.grad = g if x.grad is None else x.grad + g
            if x.grad_fn is None and has_post_accumulate_grad_hooks(x):
                hooked.append(x)
    run_post_accumulate_grad_hooks(hooked)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, a tuple (as torch.autograd.grad).

    outputs: a Tensor or a sequence of Tensors; grad_outputs: matching upstream gradients (needed
    for non-scalar outputs). With ``create_graph=True`` the returned gradients are themselves
    differentiable, which gives Hessian-vector products and higher derivatives. No ``.grad`` is
    written.
    """
    outputs, grads = _roots(outputs, grad_outputs, 'outputs')
    inputs = [inputs] if hasattr(inputs, 'grad_fn') else list(inputs)
    for i, x in enumerate(inputs):
        if not hasattr(x, 'grad_fn') or not x.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    result = _Walk(create_graph, capture=inputs).run(outputs, grads, retain_graph)
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: inputs[{i}] was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(result)


def _edge(tensor):
    """Where the gradient of ``tensor`` goes: its Function's output slot, or itself (a leaf)."""
    return (tensor, None) if tensor.grad_fn is None else (tensor.grad_fn, tensor._output_nr)


class _Walk:
    """One backward pass: the pending gradients of each Function and the heap that orders them.
    With ``capture`` (a list of tensors), the gradients reaching them are collected instead of
    being written into ``.grad``, and only Functions leading to them run."""

    def __init__(self, create_graph, capture=None):
        self.create_graph = create_graph
        self.pending, self.heap, self.ticket = {}, [], itertools.count()
        self.given = set()              # memory already handed to some .grad (see _owned)
        self.hooked = {}                # id -> leaf with post-accumulate hooks, in arrival order
        self.capture = None if capture is None else _Capture(capture)

    def run(self, roots, root_grads, retain_graph):
        for g in root_grads:            # the caller's arrays never become a leaf's .grad
            self.given.add(_owner(g.array))
        if self.capture is not None:
            self.capture.find_needed(roots)
        with set_grad_enabled(self.create_graph):
            for root, g in zip(roots, root_grads):
                self.send(_edge(root), g)
            while self.heap:
                fn = heapq.heappop(self.heap)[2]
                grads = self.pending.pop(fn)
                if self.capture is not None:
                    if not self.capture.at_function(fn, grads):
                        continue
                elif fn._retained:
                    self.retain(fn, grads)
                self.propagate(fn, grads, retain_graph)
            # a leaf can receive gradients from several Functions: its hooks wait for the end
            run_post_accumulate_grad_hooks(self.hooked.values())
        return None if self.capture is None else self.capture.results()

    def send(self, edge, grad):
        """Add ``grad`` to where ``edge`` points: a Function's output slot or a leaf."""
        node, output_nr = edge
        if output_nr is None:
            if self.capture is not None:
                self.capture.at_leaf(node, grad)
            else:
                self.accumulate(node, grad)
            return
        if self.capture is not None and not self.capture.wants(node):
            return
        slots = self.pending.get(node)
        if slots is None:
            if node.edges is None:
                raise RuntimeError(_FREED)
            slots = self.pending[node] = [None] * node.n_outputs
            heapq.heappush(self.heap, (-node.generation, next(self.ticket), node))
        old = slots[output_nr]
        slots[output_nr] = grad if old is None else old + grad

    def propagate(self, fn, grads, retain_graph):
        """Run ``fn``'s backward and send each input's gradient along its edge, summed to the
        input's shape and cast to its dtype (a gradient has its input's dtype, as PyTorch)."""
        if anomaly._enabled[0]:
            input_grads = _checked_backward(fn, grads, self.create_graph)
        else:
            input_grads = _backward(fn, grads, self.create_graph)
        edges, inputs = fn.edges, fn._inputs
        if not retain_graph:
            fn.release()
        for edge, x, g in zip(edges, inputs, input_grads):
            if edge is not None and g is not None:
                if g.shape != x.shape:
                    g = g.sum_to(x.shape)
                if g.dtype != x.dtype:
                    g = g.to(dtype=x.dtype)
                self.send(edge, g)

    def accumulate(self, leaf, grad):
        """Add ``grad`` into ``leaf.grad``."""
        if leaf.grad is None:
            leaf.grad = _owned(grad, self.given, self.create_graph)
        else:
            leaf.grad = leaf.grad + grad
        if has_post_accumulate_grad_hooks(leaf):
            self.hooked[id(leaf)] = leaf

    def retain(self, fn, grads):
        """Write the gradients of ``fn``'s outputs that asked ``retain_grad()`` into their .grad."""
        for output_nr, ref in fn._retained:
            out, g = ref(), grads[output_nr]
            if out is not None and g is not None:
                g = g if self.create_graph else g.detach()
                out.grad = g if out.grad is None else out.grad + g


def _backward(fn, grads, create_graph):
    """``fn``'s gradients for its inputs, a tuple: by its array derivative when one exists and
    no graph of the backward pass is being recorded, else by its Tensor derivative."""
    with backend.current(next(g for g in grads if g is not None).array):
        if fn.fast_backward is not None and not create_graph:
            input_grads = _fast_backward(fn, grads)
        else:
            input_grads = fn.backward(*grads)
    return input_grads if type(input_grads) is tuple else (input_grads,)


def _checked_backward(fn, grads, create_graph):
    """``_backward`` in anomaly mode: NaN or infinite gradients are an error, and any error
    says where ``fn`` was created."""
    try:
        with anomaly.backward_of():
            input_grads = _backward(fn, grads, create_graph)
    except Exception as exc:
        if hasattr(exc, 'add_note'):          # Python 3.11+
            exc.add_note(f"(anomaly mode) Error detected in {type(fn).__name__}Backward. " +
                         anomaly.created_here(fn))
        raise
    anomaly.check_backward(fn, input_grads)
    return input_grads


def _fast_backward(fn, grads):
    """``fn``'s derivative on raw arrays, its results wrapped as Tensors."""
    arrays = fn.fast_backward(*[None if g is None else g.array for g in grads])
    if type(arrays) is not tuple:
        arrays = (arrays,)
    return tuple(None if a is None else make(a) for a in arrays)


class _Capture:
    """grad()'s bookkeeping: the gradients reaching each asked-for tensor, and the Functions
    that lead to one (the walk goes no further than it must)."""

    def __init__(self, tensors):
        self.tensors = tensors
        self.keys = [_edge(t) if t.grad_fn is not None else ('leaf', id(t)) for t in tensors]
        self.found = dict.fromkeys(self.keys)
        self.target_functions = {key[0] for key in self.keys if key[0] != 'leaf'}

    def find_needed(self, roots):
        """The Functions from which an asked-for tensor can be reached along edges."""
        parents, stack = {}, [r.grad_fn for r in roots if r.grad_fn is not None]
        seen, self.needed = set(stack), set()
        while stack:
            fn = stack.pop()
            for edge in fn.edges or ():
                if edge is None:
                    continue
                if edge[0] in self.target_functions or ('leaf', id(edge[0])) in self.found:
                    self.needed.add(fn)
                if edge[1] is not None:
                    parents.setdefault(edge[0], []).append(fn)
                    if edge[0] not in seen:
                        seen.add(edge[0])
                        stack.append(edge[0])
        stack = list(self.needed)
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in self.needed:
                    self.needed.add(parent)
                    stack.append(parent)

    def wants(self, fn):
        return fn in self.needed or fn in self.target_functions

    def at_leaf(self, leaf, grad):
        key = ('leaf', id(leaf))
        if key in self.found:
            old = self.found[key]
            self.found[key] = grad if old is None else old + grad

    def at_function(self, fn, grads):
        """Collect ``fn``'s outputs' gradients that were asked for; True when ``fn``'s backward
        must run too (something asked for lies below it)."""
        if fn in self.target_functions:
            for output_nr, g in enumerate(grads):
                if (fn, output_nr) in self.found and g is not None:
                    self.found[(fn, output_nr)] = g
        return fn in self.needed

    def results(self):
        return [self.found[key] for key in self.keys]


def _owner(array):
    """The array that owns ``array``'s memory."""
    return id(array if array.base is None else array.base)


def _owned(grad, given, create_graph):
    """``grad`` itself, or a copy when its memory is shared with another leaf's gradient or
    with the caller's upstream gradient, or is a read-only broadcast view, so that in-place
    updates of one ``.grad`` (zero_grad, clipping) never touch anything else."""
    array = grad.array
    writeable = getattr(getattr(array, 'flags', None), 'writeable', True)   # CuPy has no flag
    if _owner(array) in given or 0 in array.strides or not writeable:
        grad = grad.clone() if create_graph else make(array.copy())
    given.add(_owner(grad.array))
    return grad


def _roots(outputs, gradients, name):
    """The output tensors as a list and their upstream gradients, checked (ones for a scalar)."""
    outputs = [outputs] if hasattr(outputs, 'grad_fn') else list(outputs)
    if gradients is None:
        gradients = [None] * len(outputs)
    elif hasattr(gradients, 'grad_fn'):
        gradients = [gradients]
    if len(gradients) != len(outputs):
        raise RuntimeError(f"got {len(gradients)} upstream gradients for {len(outputs)} "
                           f"{name}; give one per output")
    return outputs, [_root_grad(out, g, name if len(outputs) == 1 else f"{name}[{i}]")
                     for i, (out, g) in enumerate(zip(outputs, gradients))]


def _root_grad(output, gradient, name):
    """The upstream gradient for ``output``: ``gradient`` checked, or ones for a scalar."""
    if not output.requires_grad:
        raise RuntimeError(f"{name} does not require grad and has no grad_fn: nothing to "
                           "differentiate (did you compute it under no_grad, or from tensors "
                           "without requires_grad=True?)")
    if gradient is None:
        if output.numel() != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs: "
                               f"backward() of a non-scalar {name} of shape {output.shape} needs "
                               "an upstream gradient of the same shape (pass gradient=...), or "
                               "reduce it first (e.g. .sum() or .mean())")
        with backend.current(output.array):
            return make(output._xp().ones(output.shape, dtype=output.dtype))
    if not hasattr(gradient, 'grad_fn'):
        from ..tensor import Tensor
        gradient = Tensor(gradient, dtype=output.dtype, device=output.device)
    if gradient.shape != output.shape:
        raise RuntimeError(f"gradient has shape {gradient.shape} but {name} has shape "
                           f"{output.shape}; they must match")
    return gradient
