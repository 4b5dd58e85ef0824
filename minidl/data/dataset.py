"""Datasets: a map from an index to a sample, or a stream of samples, and ways to combine them.

    train = TensorDataset(x, y)                  # x: (N, ...), y: (N,); ds[i] == (x[i], y[i])
    both = ConcatDataset([train, extra])         # or train + extra
    part = Subset(train, [0, 5, 7])
    train, val = random_split(train, [0.8, 0.2], seed=0)
"""
import bisect
import math

import numpy

from .. import backend
from ..tensor import Tensor, as_array, make
from .sampler import random_source


class Dataset:
    """A map from an index 0 <= i < len(self) to a sample (usually a tuple (x, y)).

    Subclasses define ``__getitem__(i)`` and ``__len__()``; they may define
    ``__getitems__(indices)`` to read a whole batch at once (the DataLoader uses it when present).
    ``a + b`` is ``ConcatDataset([a, b])``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (and ``__len__`` if the length is known).

    With ``DataLoader(num_workers=n)`` every worker process iterates its own copy of the dataset,
    so each sample would arrive n times: split the stream inside ``__iter__`` with
    ``get_worker_info()`` (its ``id`` and ``num_workers``). ``a + b`` is ``ChainDataset([a, b])``.
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


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


class StackDataset(Dataset):
    """Several equally long datasets side by side: ``StackDataset(a, b)[i] == (a[i], b[i])``,
    ``StackDataset(image=a, text=b)[i] == {'image': a[i], 'text': b[i]}``."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: give datasets as positional arguments (samples are "
                             "tuples) or as keywords (samples are dicts), not both")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        self.datasets = args or kwargs
        sizes = [len(d) for d in (args or kwargs.values())]
        if len(set(sizes)) > 1:
            raise ValueError(f"StackDataset: size mismatch between datasets, got sizes {sizes}")
        self._length = sizes[0]

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


def _index_array(indices, name):
    """``indices`` (a sequence, a NumPy array or a Tensor of integers) as a 1-D int64 NumPy
    array."""
    if isinstance(indices, Tensor):
        indices = indices.array
    array = backend.to_numpy(indices) if backend.is_array(indices) else numpy.asarray(indices)
    if array.size and array.dtype.kind not in 'iu':
        raise TypeError(f"{name}: indices must be integers, got an array of dtype {array.dtype}")
    return array.astype(numpy.int64, copy=False).reshape(-1)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order): ``Subset(ds, idx)[i]`` is
    ``ds[idx[i]]``. ``indices`` is kept as a 1-D int64 NumPy array."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = _index_array(indices, 'Subset')

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[int(self.indices[i]) for i in index]]
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices):
        inner = [int(self.indices[i]) for i in indices]
        if callable(getattr(self.dataset, '__getitems__', None)):
            return self.dataset.__getitems__(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The samples of several map-style datasets one after the other.

    Misuse raises AssertionError, as PyTorch's does (no datasets, an IterableDataset among them).

    ``cumulative_sizes[k]`` is the number of samples in ``datasets[:k + 1]``; index i belongs to
    the first dataset whose cumulative size exceeds it. Negative indices count from the end.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset: datasets should not be an empty iterable")
        for k, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise AssertionError(f"ConcatDataset does not support IterableDataset "
                                     f"(datasets[{k}] is a {type(d).__name__}); chain streams "
                                     "with ChainDataset")
        self.cumulative_sizes = numpy.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise ValueError(f"ConcatDataset: absolute value of index should not exceed "
                                 f"dataset length, got index {index} for length {n}")
            index += n
        if index >= n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {n}")
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][index - start]


class ChainDataset(IterableDataset):
    """Several IterableDatasets streamed one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for k, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise AssertionError(f"ChainDataset only supports IterableDataset, but "
                                     f"datasets[{k}] is a {type(d).__name__}")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _split_lengths(lengths, n):
    """Sample counts from ``lengths``: counts summing to n, or fractions summing to 1 (each gets
    floor(fraction * n) samples and the remainder is dealt one by one from the first split)."""
    lengths = list(lengths)
    if lengths and all(isinstance(f, float) for f in lengths) and math.isclose(sum(lengths), 1.0) \
            and sum(lengths) <= 1.0 + 1e-9:
        for i, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1, "
                                 f"got {f}")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    if any(not isinstance(k, (int, numpy.integer)) or k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                         f"summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {sum(lengths)}, but the "
                         f"dataset has {n} samples")
    return [int(k) for k in lengths]


def random_split(dataset, lengths, generator=None, seed=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given ``lengths``.

    ``lengths`` are sample counts summing to len(dataset), or fractions summing to 1 (each gets
    floor(fraction * N) samples and the remainder is dealt one by one from the first split, as in
    PyTorch). The permutation comes from ``generator`` (a ``numpy.random.Generator``), or from a
    generator seeded with ``seed``, or else from minidl's CPU generator.
    """
    counts = _split_lengths(lengths, len(dataset))
    if seed is not None:
        if generator is not None:
            raise ValueError("random_split: give seed or generator, not both")
        generator = numpy.random.Generator(numpy.random.PCG64(seed))
    perm = random_source(generator, 'random_split').permutation(len(dataset))
    bounds = numpy.cumsum([0] + counts)
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
