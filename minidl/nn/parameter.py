"""Parameter: a Tensor that a Module registers as a trainable weight."""
from .. import backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a trainable weight (requires_grad=True by default).

    Parameter(data, requires_grad=True): a Tensor's array is shared (as PyTorch does); other data
    (lists, arrays) is copied as ``mdl.tensor`` would.
    """
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = backend.module_for('cpu').empty((0,), dtype=backend.float32)
        self.data = data.data if isinstance(data, Tensor) else Tensor(data).data
        self.grad = None
        self._ctx = None
        self._idx = 0
        self.requires_grad = False
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return 'Parameter containing:\n' + super().__repr__()
