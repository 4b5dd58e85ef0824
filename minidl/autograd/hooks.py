"""Hooks: functions that run at a given point of the forward or backward pass.

A post-accumulate-grad hook runs once a backward pass has finished writing a leaf's ``.grad``:
that is where data-parallel training averages gradients across processes, so that
``loss.backward()`` returns with every process holding the same, averaged, gradients.
"""
import itertools


class RemovableHandle:
    """Returned when a hook is registered: ``handle.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks):
        self.hooks, self.id = hooks, next(self._ids)

    def remove(self):
        """Detach the hook."""
        self.hooks.pop(self.id, None)


def register_post_accumulate_grad_hook(tensor, hook):
    """Call ``hook(tensor)`` after every backward pass that accumulated a gradient into the leaf
    ``tensor``'s ``.grad``. Returns a RemovableHandle."""
    if tensor.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors: "
                           "this tensor was made by an operation (grad_fn "
                           f"{type(tensor.grad_fn).__name__}); register the hook on a leaf")
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    hooks = getattr(tensor, '_post_accumulate_grad_hooks', None)
    if hooks is None:
        hooks = tensor._post_accumulate_grad_hooks = {}
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def has_post_accumulate_grad_hooks(tensor):
    """True when ``tensor`` has a post-accumulate-grad hook (the slot is unset on most tensors,
    so that creating a tensor costs nothing more)."""
    return bool(getattr(tensor, '_post_accumulate_grad_hooks', None))


def run_post_accumulate_grad_hooks(leaves):
    """Call the post-accumulate-grad hooks of each of ``leaves``, in order."""
    for leaf in leaves:
        for hook in list(leaf._post_accumulate_grad_hooks.values()):
            hook(leaf)
