"""Views: tensors that share memory with another tensor (their base), and what autograd must do
when that memory is written in place.

A view Function (reshape, transpose, basic indexing, ...) returns a view of its input's array.
``mark`` gives each such output the input's version counter, so that a write through either is
seen by every Function that saved the other, and a ``View`` record: the base (the tensor that
is not itself a view) and how to make the same view of another tensor (``replay``).

When a write through a view must be recorded (``ops/inplace.py``), the base is the tensor whose
history changed: it gets a new node, and the view's own node is made again from the new base
(``refresh``), as is any other view of the same base the next time it is used.
"""
from .. import backend


class View:
    """How a view tensor was made from its base: ``replays`` is a tuple of (view Function,
    output number) whose ``view_again`` makes the same view step of another tensor."""
    __slots__ = ('base', 'replays', 'version')

    def __init__(self, base, replays, version):
        self.base, self.replays, self.version = base, replays, version

    def replay(self, tensor):
        """The same view of ``tensor`` (a recorded operation when it requires grad)."""
        for fn, i in self.replays:
            tensor = fn.view_again(i)(tensor)
        return tensor

    def replay_array(self, array):
        """The same view of a raw array."""
        for fn, i in self.replays:
            array = fn.view_again(i).forward(array)
        return array

    def refresh(self, view):
        """Give ``view`` a node made from its base when the base was written in place since
        the view's node was made (its old node would send gradients to the old history)."""
        counter = view._version_counter
        if counter.count == self.version:
            return
        self.version = counter.count
        if self.base.requires_grad:
            fresh = self.replay(self.base)
            view.grad_fn, view._output_nr, view.requires_grad = \
                fresh.grad_fn, fresh._output_nr, True


def mark(fn, source, outputs):
    """Record that the outputs of the view Function ``fn`` share ``source``'s memory."""
    outputs = outputs if type(outputs) is tuple else (outputs,)
    parent = source._view
    base = source if parent is None else parent.base
    replays = () if parent is None else parent.replays
    counter = source._version_counter
    for i, out in enumerate(outputs):
        if backend.shares_memory(out.array, source.array):
            out._version_counter = counter
            out._view = View(base, replays + ((fn, i),), counter.count)

