"""Collation: a list of samples becomes one batch, structure kept, leaves stacked.

    default_collate([(x0, 0), (x1, 1)])         # [stack([x0, x1]), tensor([0, 1])]
    default_collate([{'x': x0}, {'x': x1}])     # {'x': stack([x0, x1])}

PyTorch's rules: Tensors and NumPy arrays are stacked along a new first dimension; Python ints
become int64, floats float64 and bools bool Tensors of shape (batch,); NumPy scalars keep their
dtype; strings stay a list; dicts, tuples (as lists), named tuples and lists are collated field
by field. ``default_convert`` (used when the DataLoader does not batch) only turns NumPy arrays
into Tensors.
"""
import collections.abc
import copy

import numpy

from .. import backend
from ..autograd import is_grad_enabled
from ..ops import stack
from ..tensor import Tensor, make


def _stack_tensors(tensors):
    """Stack Tensors along a new dimension 0: on the raw arrays when nothing needs a gradient
    and the dtypes agree (no graph, one copy), otherwise with the differentiable ``stack``."""
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        raise RuntimeError("default_collate: samples of one batch are on different devices "
                           f"{sorted(str(d) for d in devices)}")
    graph = is_grad_enabled() and any(t.requires_grad for t in tensors)
    if graph or len({t.dtype for t in tensors}) > 1:
        return stack(list(tensors), 0)
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but got "
                           f"shapes {sorted(shapes)} in one batch")
    xp = backend.array_module(tensors[0].array)
    return make(xp.stack([t.array for t in tensors]))


def _numpy_leaf(elem, batch):
    """Collate NumPy arrays (stacked) or NumPy scalars (a 1-D Tensor of their dtype)."""
    if elem.dtype.kind in 'OSUV':
        raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                        f"dicts or lists; found arrays of dtype {elem.dtype}")
    if isinstance(elem, numpy.ndarray):
        return _stack_tensors([make(backend.plain_array(b)) for b in batch])
    return make(numpy.array(batch))


def _like_mapping(elem, fields):
    """A mapping of ``elem``'s type holding ``fields`` (a plain dict if the type refuses)."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(fields)
            return clone
        return type(elem)(fields)
    except TypeError:
        return fields


def _like_sequence(elem, fields):
    """A sequence like ``elem`` holding ``fields``: a named tuple of its type, a list for a
    plain tuple (PyTorch's rule), else ``elem``'s type if it can be rebuilt, else a list."""
    if isinstance(elem, tuple):
        return type(elem)(*fields) if hasattr(elem, '_fields') else fields
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, field in enumerate(fields):
                clone[i] = field
            return clone
        return type(elem)(fields)
    except TypeError:
        return fields


def default_collate(batch):
    """One batch from a list of samples, by PyTorch's rules (the module's docstring): Tensors,
    NumPy arrays and numbers are stacked into Tensors of shape (len(batch), ...), containers are
    collated field by field."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, (str, bytes)):                              # NumPy's str_ too
        return batch
    if isinstance(elem, (numpy.ndarray, numpy.generic)):
        return _numpy_leaf(elem, batch)
    if backend.is_array(elem):                                      # CuPy arrays
        return _stack_tensors([make(b) for b in batch])
    if isinstance(elem, bool):
        return make(numpy.array(batch, dtype=numpy.bool_))
    if isinstance(elem, int):
        return make(numpy.array(batch, dtype=numpy.int64))
    if isinstance(elem, float):
        return make(numpy.array(batch, dtype=numpy.float64))
    if isinstance(elem, collections.abc.Mapping):
        return _like_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, collections.abc.Sequence):
        if len({len(s) for s in batch}) > 1:
            raise RuntimeError(f"default_collate: each element in list of batch should be of "
                               f"equal size, got lengths {[len(s) for s in batch]}")
        return _like_sequence(elem, [default_collate(list(s)) for s in zip(*batch)])
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem).__name__}")


def default_convert(data):
    """NumPy arrays (and NumPy scalars) in ``data`` become Tensors, inside dicts, tuples (which
    become lists, as in PyTorch) and other sequences too; everything else is returned as it is
    (the DataLoader's conversion when ``batch_size=None`` turns batching off)."""
    if isinstance(data, (Tensor, str, bytes)):
        return data
    if isinstance(data, (numpy.ndarray, numpy.generic)):
        return data if data.dtype.kind in 'OSUV' else make(backend.plain_array(data))
    if isinstance(data, collections.abc.Mapping):
        return _like_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, collections.abc.Sequence):
        return _like_sequence(data, [default_convert(d) for d in data])
    return data
