"""Fetchers: read one batch (or one sample) from a dataset, in the main process or a worker.

A TensorDataset (or Subsets of one) is batched with one fancy index per tensor: no Python loop
over samples, which matters because the loader sits on the hot path of every training step.
Other map-style datasets are read sample by sample (or with ``__getitems__``) and collated; an
IterableDataset is read from its iterator, ``batch_size`` samples at a time.
"""
import itertools

import numpy

from .. import backend
from ..tensor import make
from .collate import default_collate
from .dataset import Subset, TensorDataset


def gather(dataset, index):
    """The rows ``index`` (an int64 NumPy array) of every tensor of ``dataset``, as raw arrays,
    when the dataset is a TensorDataset or nested Subsets of one; None otherwise."""
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


def tensor_dataset_device(dataset):
    """The device of a TensorDataset (or nested Subsets of one); None for other datasets."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    return dataset.tensors[0].device if isinstance(dataset, TensorDataset) else None


class MapFetcher:
    """Reads a map-style dataset: ``fetch(index)`` is the collated batch of the samples at
    ``index`` (an int64 array) with auto-collation, or ``collate_fn(dataset[index])`` for one
    index without it."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last=False, batch_size=None):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[int(index)])
        if self.collate_fn is default_collate:
            arrays = gather(self.dataset, index)
            if arrays is not None:           # what default_collate makes of the rows, at once
                return [make(a) for a in arrays]
        index = index.tolist()
        if callable(getattr(self.dataset, '__getitems__', None)):
            samples = self.dataset.__getitems__(index)
        else:
            samples = [self.dataset[i] for i in index]
        return self.collate_fn(samples)

    def reset(self):
        """Nothing to restart: a map-style dataset is read by index."""


class IterableFetcher:
    """Reads an IterableDataset: ``fetch()`` is the next ``batch_size`` samples, collated (the
    last one shorter unless ``drop_last``), or the next sample through ``collate_fn`` without
    auto-collation; it raises StopIteration at the end of the stream."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last, batch_size):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self.drop_last, self.batch_size = drop_last, batch_size
        self._samples = None

    def fetch(self, index=None):
        if self._samples is None:      # started on first use: after worker_init_fn in a worker
            self._samples = iter(self.dataset)
        if not self.auto_collation:
            return self.collate_fn(next(self._samples))
        samples = list(itertools.islice(self._samples, self.batch_size))
        if not samples or (self.drop_last and len(samples) < self.batch_size):
            raise StopIteration
        return self.collate_fn(samples)

    def reset(self):
        """Start the stream again (a new epoch)."""
        self._samples = None
