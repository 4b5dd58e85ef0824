"""Function: a differentiable primitive, its forward on arrays and its backward on Tensors.

Calling a Function runs ``forward`` on the inputs' raw arrays and wraps the result in Tensors.
When grad mode is on and an input requires grad, the call also records a node of the graph:

- ``edges``: for each input, where its gradient goes: ``(function, output_nr)`` of the Function
  that made it, ``(tensor, None)`` for a leaf (accumulated into ``tensor.grad``), or None;
- the inputs themselves and their version counts, so that ``backward`` can read them and an
  in-place write in between is caught (PyTorch's "modified by an inplace operation" error);
- ``generation``: one more than any input's, the order in which the engine runs backwards.

``backward`` receives one gradient Tensor per output (None for an output that got none) and
returns one per input (or None), in the broadcast shape: the engine sums each down to its input's
shape and dtype. Because backward is written with Tensor operations, running it with grad mode
on (``create_graph=True``) records the graph of the gradient itself: higher derivatives.

A Function may also define ``fast_backward``, the same derivative on raw arrays, for a node
where working on arrays saves real time or memory. The engine chooses it when no graph of the
backward pass is recorded; ``tests/test_fast_backward.py`` checks that both agree.
"""
import weakref

from .. import backend
from ..tensor import make
from . import anomaly, mode, views

_NDARRAY = backend.NDARRAY

_FREED = ("Trying to backward through the graph a second time (or to use its saved values after "
          "they were freed). Pass retain_graph=True to the first backward() or grad() call.")


class Function:
    """A differentiable primitive. Subclasses define ``forward(*arrays)`` and ``backward(*grads)``.

    ``forward`` receives the inputs' arrays and returns an array (or a tuple of arrays).
    ``backward`` finds the inputs as ``self.inputs`` (Tensors); a subclass with
    ``saves_output = True`` finds its output through ``self.output()``. A subclass with
    ``is_view = True`` returns a view of its input's memory and defines ``view_again()``, which
    makes the same view of another tensor (for in-place writes through the view).
    """
    saves_output = False
    is_view = False
    n_outputs = 1
    fast_backward = None     # optionally: the derivative on raw arrays (see the module's text)

    def __call__(self, *inputs):
        # The hot path of every operation: kept flat.
        arrays = [inputs[0].array] if len(inputs) == 1 else _arrays_on_one_device(self, inputs)
        if type(arrays[0]) is _NDARRAY:
            result = self.forward(*arrays)
        else:
            with backend.current(arrays[0]):      # CuPy runs kernels on the current GPU
                result = self.forward(*arrays)
        record = False
        if mode._enabled[0]:
            for x in inputs:
                if x.requires_grad:
                    record = True
                    break
        if record and type(result) is not tuple and result.dtype.kind != 'f':
            record = False               # an integer or bool result has no gradient
        grad_fn = self if record else None
        if type(result) is tuple:
            self.n_outputs = len(result)
            outputs = tuple(make(r, grad_fn, i) for i, r in enumerate(result))
        else:
            outputs = make(result, grad_fn, 0)
        if self.is_view:
            views.mark(self, inputs[0], outputs)
        if record:
            self._record(inputs, outputs)
        if anomaly._enabled[0]:
            anomaly.after_forward(self, inputs, result, record)
        return outputs

    def _record(self, inputs, outputs):
        edges, generation = [], 0
        for x in inputs:
            if not x.requires_grad:
                edges.append(None)
                continue
            if x._view is not None:
                x._view.refresh(x)       # its base may have been written in place since
            fn = x.grad_fn
            if fn is None:
                edges.append((x, None))
            else:
                edges.append((fn, x._output_nr))
                if fn.generation > generation:
                    generation = fn.generation
        self.edges = edges
        self.generation = generation + 1
        self._inputs = inputs
        self._versions = [x._version_counter.count for x in inputs]
        self._retained = None
        if self.saves_output:
            self.saved_output_is(outputs)

    def saved_output_is(self, tensor):
        """Save ``tensor`` as the output that backward reads (an in-place op's output is the
        tensor it wrote into)."""
        self._output_ref, self._output_data = weakref.ref(tensor), tensor.array
        self._output_version = (tensor._version_counter, tensor._version_counter.count)

    @property
    def inputs(self):
        """The input Tensors, each checked to be unchanged since forward."""
        if self._inputs is None:
            raise RuntimeError(_FREED)
        return tuple(self.input(i) for i in range(len(self._inputs)))

    def input(self, i):
        """Input ``i``, checked to be unchanged since forward: a backward that reads only some
        inputs' values asks for those, so a write into another one is no error (as PyTorch)."""
        if self._inputs is None:
            raise RuntimeError(_FREED)
        x = self._inputs[i]
        if x._version_counter.count != self._versions[i]:
            raise _modified(self, x, f'input {i}', self._versions[i])
        return x

    def needs_grad(self, i):
        """True when input ``i`` required grad when this node was recorded (its edge leads
        somewhere). Not the input's flag now: an in-place write may have changed that since
        (``y.zero_()`` makes y a constant), and backward must still notice the write."""
        return self.edges[i] is not None

    def output(self):
        """The output Tensor (for ``saves_output`` functions): the live one, which keeps higher
        derivatives exact, or its saved values once the graph above it has been freed."""
        if self._output_data is None:
            raise RuntimeError(_FREED)
        counter, version = self._output_version
        out = self._output_ref()
        if counter.count != version:
            raise _modified(self, out if out is not None else make(self._output_data),
                            'its output', version)
        return out if out is not None else make(self._output_data)

    def retain_grad_of(self, tensor):
        """Give ``tensor`` (an output of this Function) a ``.grad`` at the next backward."""
        if self._retained is None:
            self._retained = []
        self._retained.append((tensor._output_nr, weakref.ref(tensor)))

    def release(self):
        """Drop what backward needed (inputs, output, edges): a second backward raises."""
        self._inputs = self.edges = None
        if self.saves_output:
            self._output_data = None

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, *grads):
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def _arrays_on_one_device(fn, inputs):
    arrays = [x.array for x in inputs]
    kind = type(arrays[0])
    for array in arrays:
        if type(array) is not kind:      # different array types: NumPy and CuPy, or a subclass
            _check_devices(fn, inputs)
            break
    else:
        if kind is not _NDARRAY:         # two GPUs?
            _check_devices(fn, inputs)
    return arrays


def _check_devices(fn, inputs):
    devices = [x.device for x in inputs]
    if len(set(devices)) > 1:
        listed = ', '.join(f"input {i} on {d}" for i, d in enumerate(devices))
        raise RuntimeError(f"{type(fn).__name__}: all inputs must be on the same device, got "
                           f"{listed}; move them with .to(device) first")


def _modified(fn, tensor, which, version):
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{tensor.dtype} tensor of shape {tuple(tensor.shape)}], {which} of "
        f"{fn!r}, is at version {tensor._version}; expected version {version} instead. Hint: "
        "use an out-of-place operation (x = x + y rather than x += y), or clone() the tensor "
        "before writing to it")
