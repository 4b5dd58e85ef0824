"""Datasets and the DataLoader that cuts them into (shuffled) mini-batches.

    train = TensorDataset(x, y)                        # x: (N, ...), y: (N,) int64
    loader = DataLoader(train, batch_size=64, shuffle=True, device='cuda')
    for xb, yb in loader: ...                          # Tensors on 'cuda', yb stays int64

A TensorDataset (or a Subset of one) is batched with one fancy index per tensor: no Python loop
over samples, which matters because the loader sits on the hot path of every training step.
Other datasets are read sample by sample and their items stacked ("collated").
"""
import math

import numpy

from . import backend
from .tensor import Tensor, as_array, make


class Dataset:
    """A map from an index 0 <= i < len(self) to a sample (usually a tuple (x, y)).

    Subclasses define ``__getitem__(i)`` and ``__len__()``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors: ``ds[i] == (t[i] for t in tensors)``.

    TensorDataset(x, y) with x of shape (N, ...) and y of shape (N,); NumPy arrays and CuPy arrays
    are wrapped without a copy, lists are converted (floats to float32, ints to int64).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else make(as_array(t, copy=False))
                             for t in tensors)
        for i, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensors[{i}] is a scalar; every tensor needs a "
                                 "first (sample) dimension")
        sizes = [t.shape[0] for t in self.tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: all tensors must have the same size in dimension 0, "
                             f"got sizes {sizes} (shapes {[tuple(t.shape) for t in self.tensors]})")

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = numpy.asarray(indices, dtype=numpy.int64).reshape(-1)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)


def _gather(dataset, index):
    """The rows ``index`` (a NumPy int64 array) of every array in ``dataset``, as a list of raw
    arrays, when the dataset is a TensorDataset or nested Subsets of one; None otherwise."""
    while isinstance(dataset, Subset):
        index = dataset.indices[index]
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset):
        return None
    out = []
    for t in dataset.tensors:
        xp = backend.array_module(t.array)
        out.append(t.array.take(index if xp is numpy else xp.asarray(index), axis=0))
    return out


def _as_raw(item):
    """A sample item (Tensor, array or Python number) as an array with PyTorch's dtypes."""
    if isinstance(item, Tensor):
        return item.array
    return as_array(item, copy=False)


def default_collate(samples):
    """Stack a list of samples into a batch: tuples/lists field by field -> a tuple of Tensors,
    single items -> one Tensor of shape (batch, ...). Python ints become int64, floats float32."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate([s[k] for s in samples]) for k in range(len(first)))
    arrays = [_as_raw(s) for s in samples]
    xp = backend.array_module(arrays[0])
    if len({backend.device_of(a) for a in arrays}) > 1:
        raise RuntimeError("default_collate: samples of one batch are on different devices "
                           f"{sorted({backend.device_of(a) for a in arrays})}")
    return make(xp.stack(arrays))


class DataLoader:
    """Iterate over ``dataset`` in mini-batches of ``batch_size`` samples.

    Each batch is a tuple of Tensors of shape (batch, ...) (one per field of a sample), moved to
    ``device`` when given (otherwise left where the data lives); dtypes are kept, so int64 labels
    stay int64. ``shuffle`` draws a new permutation every epoch from minidl's CPU generator (so
    ``mdl.manual_seed`` makes it repeat), or, when ``seed`` is given, from the loader's own
    generator. ``sampler``, instead of ``shuffle``, gives each epoch's indices: any iterable of
    indices with ``__len__`` (e.g. ``minidl.distributed.DistributedSampler``), iterated anew
    every epoch. ``drop_last`` drops a final batch smaller than ``batch_size``.
    ``collate_fn(list_of_samples)`` replaces the stacking for datasets that are not TensorDatasets.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, drop_last=False,
                 seed=None, device=None, collate_fn=None):
        if not isinstance(batch_size, (int, numpy.integer)) or isinstance(batch_size, bool) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if seed is not None and (not isinstance(seed, (int, numpy.integer)) or seed < 0):
            raise ValueError(f"DataLoader: seed must be a non-negative integer or None, got {seed!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive (the "
                             "sampler decides the order); shuffle in the sampler instead")
        if sampler is not None and not hasattr(sampler, '__iter__'):
            raise TypeError(f"DataLoader: sampler must be an iterable of indices, got "
                            f"{type(sampler).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.device = None if device is None else backend.canonical_device(device)
        self.collate_fn = collate_fn
        self._generator = None if seed is None else numpy.random.Generator(numpy.random.PCG64(seed))

    def __len__(self):
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        if self.sampler is not None:
            return numpy.fromiter(iter(self.sampler), dtype=numpy.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(n, dtype=numpy.int64)
        gen = self._generator if self._generator is not None else backend.generator('cpu')
        return gen.permutation(n).astype(numpy.int64, copy=False)

    def __iter__(self):
        order = self._order()   # drawn when iteration starts, so every epoch differs
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            index = order[start:start + self.batch_size]
            arrays = None if self.collate_fn is not None else _gather(self.dataset, index)
            if arrays is not None:
                batch = tuple(make(a) for a in arrays)
            else:
                samples = [self.dataset[int(i)] for i in index]
                batch = (self.collate_fn or default_collate)(samples)
            yield self._to_device(batch)

    def _to_device(self, batch):
        if self.device is None:
            return batch
        if isinstance(batch, Tensor):
            return make(backend.to_device(batch.array, self.device))
        if isinstance(batch, (tuple, list)):
            return type(batch)(self._to_device(b) for b in batch)
        if isinstance(batch, dict):
            return {k: self._to_device(v) for k, v in batch.items()}
        return batch

    def state_dict(self):
        """The loader's own generator state (when built with ``seed``), for exact resumption.
        Without ``seed`` the shuffling comes from minidl's CPU generator, which checkpoints
        save with ``mdl.get_rng_state()``."""
        if self._generator is None:
            return {'seed': None, 'generator': None}
        state = self._generator.bit_generator.state
        return {'seed': int(self.seed), 'generator': {
            'bit_generator': state['bit_generator'],
            'state': {k: int(v) for k, v in state['state'].items()},
            'has_uint32': int(state['has_uint32']), 'uinteger': int(state['uinteger'])}}

    def load_state_dict(self, state_dict):
        """Restore a state returned by ``state_dict()``."""
        gen_state = state_dict.get('generator')
        if gen_state is None:
            if self._generator is not None:
                raise ValueError("DataLoader.load_state_dict: this loader has its own generator "
                                 f"(seed={self.seed}) but the state has none (saved from a loader "
                                 "without seed)")
            return
        if self._generator is None:
            self.seed = state_dict.get('seed')
            self._generator = numpy.random.Generator(numpy.random.PCG64(0))
        self._generator.bit_generator.state = dict(gen_state)


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given ``lengths``.

    ``lengths`` are sample counts summing to len(dataset), or fractions summing to 1 (each gets
    floor(fraction * N) samples and the remainder is dealt one by one from the first split, as in
    PyTorch). The permutation comes from minidl's CPU generator, or from ``seed`` when given.
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(f, float) for f in lengths) and math.isclose(sum(lengths), 1.0) \
            and sum(lengths) <= 1.0 + 1e-9:
        if any(f < 0 for f in lengths):
            raise ValueError(f"random_split: fractions must be non-negative, got {lengths}")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(not isinstance(k, (int, numpy.integer)) or k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                         f"summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, but the "
                         f"dataset has {n} samples")
    gen = numpy.random.Generator(numpy.random.PCG64(seed)) if seed is not None \
        else backend.generator('cpu')
    perm = gen.permutation(n).astype(numpy.int64)
    bounds = numpy.cumsum([0] + [int(k) for k in lengths])
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
