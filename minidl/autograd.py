"""Reverse-mode automatic differentiation: Function, grad modes and the backward engine.

A ``Function`` computes its ``forward`` on raw arrays and its ``backward`` (the vector-Jacobian
product) on Tensors. Because backward is written with differentiable Tensor operations, running it
with grad mode on (``create_graph=True``) records a graph of the gradient itself, which is what
higher-order derivatives need. With ``create_graph=False`` backward runs under ``no_grad`` and
records nothing.

The engine walks the graph iteratively, highest generation first (a heap), so chains of any
depth work and a node reused by several consumers (a diamond) receives the sum of their gradients
before its own backward runs.
"""
import functools
import heapq
import weakref

from .backend import NDARRAY, ensure_array

make_tensor = None   # Tensor's fast constructor, installed by minidl.tensor (which imports us)

_grad_enabled = [True]


def is_grad_enabled():
    """True when operations record a graph for backward."""
    return _grad_enabled[0]


class _GradMode:
    """Context manager and decorator (``@no_grad()`` or ``@no_grad``) that sets grad mode."""
    mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self if func is None else self(func)     # used bare as a decorator

    def __init__(self, func=None):
        pass

    def __enter__(self):
        self._previous = _grad_enabled[0]
        _grad_enabled[0] = self.mode

    def __exit__(self, *exc):
        _grad_enabled[0] = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Operations inside record no graph: ``with mdl.no_grad(): ...`` or ``@mdl.no_grad()``."""
    mode = False


class enable_grad(_GradMode):
    """Re-enable graph recording inside a ``no_grad`` block."""
    mode = True


class Function:
    """A differentiable primitive. Subclasses define ``forward(*arrays)`` and ``backward(*grads)``.

    ``forward`` receives the inputs' arrays and returns an array (or a tuple of arrays).
    ``backward`` receives one gradient Tensor per output (None for an output that got no gradient)
    and returns one gradient per input (a Tensor in the broadcast shape, or None). The engine sums
    each gradient down to its input's shape. Inputs are available as ``self.inputs`` (Tensors);
    a subclass with ``saves_output = True`` finds its output Tensor through ``self.output()``.
    """
    saves_output = False

    def __call__(self, *inputs):
        # The hot path of every operation: kept flat, with one- and two-input cases spelled out.
        if len(inputs) == 1:
            x = inputs[0]
            result = self.forward(x.data)
            record = _grad_enabled[0] and x.requires_grad
        else:
            data = [x.data for x in inputs]
            kind = type(data[0])
            for array in data:
                if type(array) is not kind:
                    _raise_device_mismatch(type(self).__name__, inputs)
            if kind is not NDARRAY and len({x.device for x in inputs}) > 1:
                _raise_device_mismatch(type(self).__name__, inputs)      # two different GPUs
            result = self.forward(*data)
            record = False
            if _grad_enabled[0]:
                for x in inputs:
                    if x.requires_grad:
                        record = True
                        break
        ctx = self if record else None
        if type(result) is tuple:
            self.n_outputs = len(result)
            outputs = tuple(make_tensor(ensure_array(r), ctx, i) for i, r in enumerate(result))
        else:
            if type(result) is not NDARRAY:
                result = ensure_array(result)
            outputs = make_tensor(result, ctx, 0)
        if record:
            self.inputs = inputs
            generation = 0
            for x in inputs:
                if x._ctx is not None and x._ctx.generation > generation:
                    generation = x._ctx.generation
            self.generation = generation + 1
            self._retained = None
            if self.saves_output:
                self._output_ref, self._output_data = weakref.ref(outputs), result
        return outputs

    def output(self):
        """The output Tensor (for ``saves_output`` functions): the live one, which keeps higher
        derivatives exact, or its saved values once the graph above it has been freed."""
        out = self._output_ref()
        if out is None:
            out = make_tensor(self._output_data, None, 0)
        return out

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, *grads):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def _raise_device_mismatch(name, inputs):
    devices = ', '.join(f"input {i} on {x.device}" for i, x in enumerate(inputs))
    raise RuntimeError(f"{name}: all inputs must be on the same device, got {devices}; "
                       "move them with .to(device) first")


_FREED = ("Trying to backward through the graph a second time (or to use its saved values after "
          "they were freed). Pass retain_graph=True to the first backward() or grad() call.")


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, targets=None):
    """Propagate ``root_grads`` from ``roots`` through the graph.

    Without ``targets`` the gradients are accumulated into the ``.grad`` of every leaf that
    requires grad (and of non-leaves that asked ``retain_grad()``). With ``targets`` (a list of
    Tensors) nothing is written to ``.grad``; the gradient of each target is returned instead.
    """
    captured = {id(t): None for t in targets} if targets is not None else None
    needed = _functions_leading_to(roots, targets) if targets is not None else None
    pending = {}      # Function -> {output index: gradient}
    given = set()     # ids of arrays already handed to a leaf's .grad
    heap = []
    counter = 0

    def accumulate(tensor, grad):
        nonlocal counter
        if grad.shape != tensor.shape:
            grad = grad.sum_to(tensor.shape)
        if captured is not None and id(tensor) in captured:
            old = captured[id(tensor)]
            captured[id(tensor)] = grad if old is None else old + grad
            if tensor._ctx is None:
                return
        fn = tensor._ctx
        if needed is not None and fn is not None and fn not in needed:
            return        # nothing below this node is asked for
        if fn is None:
            if captured is None:
                if tensor.grad is not None:
                    tensor.grad = tensor.grad + grad
                else:
                    tensor.grad = _owned(grad, given, create_graph)
            return
        slots = pending.get(fn)
        if slots is None:
            if fn.inputs is None:
                raise RuntimeError(_FREED)
            slots = pending[fn] = {}
            counter += 1
            heapq.heappush(heap, (-fn.generation, counter, fn))
        index = tensor._idx
        slots[index] = grad if slots.get(index) is None else slots[index] + grad

    for g in root_grads:            # the caller's arrays never become a leaf's .grad
        given.add(id(g.data if g.data.base is None else g.data.base))
    with (enable_grad() if create_graph else no_grad()):
        for root, grad in zip(roots, root_grads):
            accumulate(root, grad)
        while heap:
            fn = heapq.heappop(heap)[2]
            slots = pending.pop(fn)
            n_out = getattr(fn, 'n_outputs', 1)
            grads = [slots.get(i) for i in range(n_out)]
            if fn._retained and captured is None:
                for index, ref in fn._retained:
                    out = ref()
                    if out is not None and grads[index] is not None:
                        g = grads[index] if create_graph else grads[index].detach()
                        out.grad = g if out.grad is None else out.grad + g
            input_grads = fn.backward(*grads)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            inputs = fn.inputs
            if not retain_graph:
                fn.inputs = None
            for x, g in zip(inputs, input_grads):
                if g is not None and x.requires_grad:
                    accumulate(x, g)
    if captured is not None:
        return [captured[id(t)] for t in targets]
    return None


def _functions_leading_to(roots, targets):
    """The Functions on some path from ``roots`` down to a non-leaf target (so that grad() walks
    no further than it must)."""
    parents = {}            # Function -> the Functions that consume its outputs
    stack = [r._ctx for r in roots if r._ctx is not None]
    seen = set(stack)
    while stack:
        fn = stack.pop()
        for x in fn.inputs or ():
            child = x._ctx
            if child is not None:
                parents.setdefault(child, []).append(fn)
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    target_ids = {id(t) for t in targets}
    needed = set()
    stack = [fn for fn in seen if any(id(x) in target_ids for x in fn.inputs or ())]
    while stack:
        fn = stack.pop()
        if fn not in needed:
            needed.add(fn)
            stack.extend(parents.get(fn, ()))
    return needed


def _owned(grad, given, create_graph):
    """``grad`` itself, or a copy when its memory is shared with another leaf's gradient or
    with the caller's upstream gradient, or is a read-only broadcast view, so that in-place
    updates of one ``.grad`` (zero_grad, clipping) never touch anything else."""
    data = grad.data
    owner = data if data.base is None else data.base
    writeable = getattr(getattr(data, 'flags', None), 'writeable', True)   # CuPy has no flag
    if id(owner) in given or 0 in data.strides or not writeable:
        grad = Clone()(grad) if create_graph else type(grad)._make(data.copy(), None, 0)
        owner = grad.data
    given.add(id(owner))
    return grad


class Clone(Function):
    """A differentiable copy."""
    def forward(self, a):
        return a.copy()

    def backward(self, gy):
        return gy


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (as torch.autograd.grad).

    outputs: a Tensor or a sequence of Tensors; grad_outputs: matching upstream gradients (needed
    for non-scalar outputs). With ``create_graph=True`` the returned gradients are themselves
    differentiable, which gives Hessian-vector products and higher derivatives.
    """
    from .tensor import Tensor
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    root_grads = [default_root_grad(out, g, f"outputs[{i}]")
                  for i, (out, g) in enumerate(zip(outputs, grad_outputs))]
    if retain_graph is None:
        retain_graph = create_graph
    result = run_backward(outputs, root_grads, retain_graph, create_graph, targets=inputs)
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: inputs[{i}] was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(result)


def default_root_grad(output, gradient, name='output'):
    """The upstream gradient for ``output``: ``gradient`` checked, or ones for a scalar."""
    from .tensor import Tensor
    if not output.requires_grad:
        raise RuntimeError(f"{name} does not require grad and has no grad_fn: nothing to "
                           "differentiate (did you compute it under no_grad, or from tensors "
                           "without requires_grad=True?)")
    if gradient is None:
        if output.numel() != 1:
            raise RuntimeError(f"backward() of a non-scalar {name} of shape {output.shape} needs "
                               "an upstream gradient of the same shape: pass gradient=..., or "
                               "reduce it first (e.g. .sum() or .mean())")
        return Tensor._make(output._xp().ones(output.shape, dtype=output.dtype), None, 0)
    if not isinstance(gradient, Tensor):
        gradient = Tensor(gradient, dtype=output.dtype, device=output.device)
    if gradient.shape != output.shape:
        raise RuntimeError(f"gradient has shape {gradient.shape} but {name} has shape "
                           f"{output.shape}; they must match")
    return gradient
