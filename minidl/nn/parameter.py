"""Parameter: a Tensor that a Module registers as a trainable weight."""
from .. import backend
from ..tensor import Tensor, init_tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a trainable weight (requires_grad=True by default).

    Parameter(data, requires_grad=True): a Tensor's array is shared (as PyTorch does); other data
    (lists, arrays) is copied as ``mdl.tensor`` would.
    """
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = backend.module_for('cpu').empty((0,), dtype=backend.float32)
        init_tensor(self, data.array if isinstance(data, Tensor) else Tensor(data).array)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return 'Parameter containing:\n' + super().__repr__()
