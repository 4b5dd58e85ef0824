"""embedding (rows of a table picked by integer indices) and one_hot (indices as 0/1 vectors).

An embedding is indexing, ``weight[indices]``: its gradient adds each output row's gradient
into the table row it came from (repeated indices add up), the same as multiplying one_hot
vectors by the table, without building them.
"""
import math

from .. import backend, validate
from ..autograd import Function, no_grad
from ..ops import getitem
from ..tensor import constant as _const, make

__all__ = ['embedding', 'one_hot']


class ScaleGrad(Function):
    """The identity forward; backward multiplies the gradient by ``factor`` (an array that
    broadcasts to the input): 0 for rows picked by the padding index, 1 / count with
    scale_grad_by_freq."""

    def __init__(self, factor):
        self.factor = factor

    def forward(self, x):
        return x          # x is the fresh result of weight[indices]: nobody else holds it

    def backward(self, gy):
        return gy * _const(self.factor)


def _indices(where, input, rows):
    """input's array if it is an int64 or int32 tensor with values in [0, rows) (checked on
    the CPU; on a GPU a check would make the host wait for the device)."""
    validate.tensor(where, 'input', input)
    if input.dtype not in (backend.int64, backend.int32):
        raise TypeError(f"{where}: input must be a tensor of indices of dtype int64 or int32, "
                        f"got {input.dtype} (convert it with input.long())")
    indices = input.array
    if input.device == 'cpu' and indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices[(indices < 0) | (indices >= rows)][0]
        raise IndexError(f"{where}: index {int(bad)} is out of range for a table of {rows} rows "
                         f"(valid indices are 0 to {rows - 1})")
    return indices


def _renorm_(weight, indices, max_norm, norm_type):
    """Scale, in place, the rows of weight that ``indices`` picks whose norm exceeds max_norm
    down to max_norm (as PyTorch: by max_norm / (norm + 1e-7))."""
    xp = backend.array_module(indices)
    rows = xp.unique(indices.reshape(-1))
    picked = weight.array[rows]
    size = xp.abs(picked)
    norms = size.max(axis=1) if math.isinf(norm_type) else \
        (size ** norm_type).sum(axis=1) ** (1 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1).astype(weight.dtype)
    with no_grad():
        weight[make(rows)] = make(picked * scale[:, None])


def _grad_factor(indices, padding_idx, scale_grad_by_freq, dtype):
    """Per output row: 0 at the padding index, 1 / (times its index occurs) with
    scale_grad_by_freq, else 1; None when every factor is 1."""
    xp = backend.array_module(indices)
    factor = None
    if scale_grad_by_freq:
        counts = xp.bincount(indices.reshape(-1))
        factor = (1 / counts[indices]).astype(dtype)
    if padding_idx is not None:
        keep = indices != padding_idx
        factor = keep.astype(dtype) if factor is None else factor * keep
    return None if factor is None else factor[..., None]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer tensor input
    of any shape (*): returns (*, embedding_dim). The gradient flows into the picked rows;
    the row ``padding_idx`` gets none. max_norm renormalises, in place, the picked rows whose
    norm_type-norm exceeds it (so weight is modified: clone it first if a graph still needs
    its old values). scale_grad_by_freq divides each row's gradient by how often its index
    occurs in input. sparse gradients are not supported."""
    validate.tensor('embedding', 'weight', weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {tuple(weight.shape)}")
    if sparse:
        raise NotImplementedError("embedding: sparse=True is not supported (minidl's gradients "
                                  "are dense arrays); use sparse=False")
    rows = weight.shape[0]
    indices = _indices('embedding', input, rows)
    if input.device != weight.device:
        raise RuntimeError(f"embedding: input is on {input.device} but weight is on "
                           f"{weight.device}; move them to the same device")
    if padding_idx is not None:
        padding_idx = validate.integer('embedding', 'padding_idx', padding_idx, minimum=-rows)
        if padding_idx >= rows:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings "
                             f"[-{rows}, {rows}), got {padding_idx}")
        padding_idx %= rows
    if max_norm is not None:
        _renorm_(weight, indices, validate.number('embedding', 'max_norm', max_norm, low=0),
                 validate.number('embedding', 'norm_type', norm_type, low=0))
    out = getitem(weight, input)
    factor = _grad_factor(indices, padding_idx, scale_grad_by_freq, weight.dtype)
    return out if factor is None or not out.requires_grad else ScaleGrad(factor)(out)


def one_hot(tensor, num_classes=-1):
    """The int64 tensor of shape (*, num_classes) with 1 at each index of the int64 tensor
    (*,) and 0 elsewhere; num_classes=-1 takes the largest index plus one."""
    validate.tensor('one_hot', 'tensor', tensor)
    if tensor.dtype != backend.int64:
        raise TypeError(f"one_hot: tensor must hold int64 class indices, got dtype "
                        f"{tensor.dtype} (convert it with tensor.long())")
    validate.integer('one_hot', 'num_classes', num_classes, minimum=-1)
    xp, labels = tensor._xp(), tensor.array
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError("one_hot: cannot infer the number of classes from an empty tensor; "
                             "pass num_classes")
        num_classes = int(labels.max()) + 1
    if labels.size and int(labels.min()) < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {int(labels.min())}")
    if labels.size and int(labels.max()) >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes "
                         f"({num_classes}), got {int(labels.max())}")
    return make((labels[..., None] == xp.arange(num_classes)).astype(backend.int64))
