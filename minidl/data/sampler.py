"""Samplers: the order in which a DataLoader reads a map-style dataset, index by index or batch
by batch.

    sampler = WeightedRandomSampler(weights, num_samples=len(weights))   # rare classes more often
    loader = DataLoader(train, batch_size=64, sampler=sampler)

Every sampler that draws random numbers takes ``generator``: None (minidl's CPU generator, so
``mdl.manual_seed`` repeats it and a checkpoint's random state resumes it) or a
``numpy.random.Generator`` of its own. Indices come out as Python ints, as in PyTorch; the
built-in samplers also hand the DataLoader each epoch's indices as one NumPy array
(``_epoch_indices``), which spares the Python loop over samples on the training hot path.
"""
import itertools

import numpy

from .. import backend


def random_source(generator, name):
    """The generator a sampler draws from: ``generator`` (a ``numpy.random.Generator`` or a
    minidl CPU generator) or, when None, minidl's CPU generator (looked up at each draw, so
    ``mdl.manual_seed`` takes effect)."""
    if generator is None:
        return backend.generator('cpu')
    if isinstance(generator, numpy.random.Generator) or (
            isinstance(generator, backend.Generator) and generator.device == 'cpu'):
        return generator
    raise TypeError(f"{name}: generator must be None, a numpy.random.Generator or a minidl CPU "
                    f"generator, got {type(generator).__name__} (for PyTorch's "
                    "torch.Generator().manual_seed(s), pass numpy.random.default_rng(s))")


def _check_positive_int(value, what, name):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value <= 0:
        raise ValueError(f"{name}: {what} should be a positive integer value, but got "
                         f"{what}={value!r}")


def _check_bool(value, what, name, error=ValueError):
    if not isinstance(value, bool):
        raise error(f"{name}: {what} should be a boolean value, but got {what}={value!r}")


class Sampler:
    """Base class of samplers: ``__iter__`` yields dataset indices (or, for a batch sampler,
    lists of indices); ``__len__``, when defined, says how many."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def _epoch_indices(self):
        """This epoch's indices as one int64 NumPy array (the DataLoader's fast path)."""
        return numpy.fromiter(iter(self), dtype=numpy.int64)


class _ArraySampler(Sampler):
    """A sampler whose epoch is one NumPy array of indices, drawn by ``_epoch_indices``."""

    def __iter__(self):
        return iter(self._epoch_indices().tolist())


class SequentialSampler(_ArraySampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _epoch_indices(self):
        return numpy.arange(len(self.data_source), dtype=numpy.int64)

    def __len__(self):
        return len(self.data_source)


class RandomSampler(_ArraySampler):
    """A random order of the indices of ``data_source``, new every epoch.

    RandomSampler(data_source, replacement=False, num_samples=None, generator=None), as
    PyTorch's: ``num_samples`` (default len(data_source)) indices per epoch, drawn with
    ``replacement`` (independent uniform draws) or without (a permutation; when num_samples
    exceeds the dataset, several permutations one after the other).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_bool(replacement, 'replacement', 'RandomSampler', TypeError)
        if num_samples is not None:
            _check_positive_int(num_samples, 'num_samples', 'RandomSampler')
        random_source(generator, 'RandomSampler')
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        _check_positive_int(self.num_samples, 'num_samples', 'RandomSampler')

    @property
    def num_samples(self):
        """Indices per epoch: ``num_samples`` if given, else the dataset's current length."""
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def _epoch_indices(self):
        n, count = len(self.data_source), self.num_samples
        gen = random_source(self.generator, 'RandomSampler')
        if self.replacement:
            return gen.integers(0, n, (count,)).astype(numpy.int64, copy=False)
        parts = [gen.permutation(n) for _ in range(count // n)]
        if count % n:
            parts.append(gen.permutation(n)[:count % n])
        return numpy.concatenate(parts).astype(numpy.int64, copy=False)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(_ArraySampler):
    """The given ``indices`` in a random order, new every epoch."""

    def __init__(self, indices, generator=None):
        random_source(generator, 'SubsetRandomSampler')
        self.indices, self.generator = indices, generator

    def _epoch_indices(self):
        indices = numpy.asarray(self.indices, dtype=numpy.int64).reshape(-1)
        perm = random_source(self.generator, 'SubsetRandomSampler').permutation(len(indices))
        return indices[perm]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(_ArraySampler):
    """``num_samples`` indices 0..len(weights)-1, index i drawn with probability proportional
    to ``weights[i]`` (they need not sum to 1).

    WeightedRandomSampler(weights, num_samples, replacement=True, generator=None), as PyTorch's.
    Without replacement each index appears at most once: the draw is sequential (each next index
    chosen among those left, by weight), computed at once as the num_samples smallest keys
    E_i / w_i with E_i exponential (the exponential race), so zero weights are never drawn.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive_int(num_samples, 'num_samples', 'WeightedRandomSampler')
        _check_bool(replacement, 'replacement', 'WeightedRandomSampler')
        random_source(generator, 'WeightedRandomSampler')
        weights = backend.to_numpy(weights.array) if hasattr(weights, 'array') else weights
        weights = numpy.asarray(weights, dtype=numpy.float64)
        if weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {weights.shape}")
        _check_weights(weights, int(num_samples), replacement)
        self.weights, self.num_samples = weights, int(num_samples)
        self.replacement, self.generator = replacement, generator

    def _epoch_indices(self):
        gen = random_source(self.generator, 'WeightedRandomSampler')
        u = gen.random((self.num_samples if self.replacement else len(self.weights),),
                       numpy.float64)
        if self.replacement:     # inverse CDF: the first index whose cumulative weight exceeds u
            cdf = numpy.cumsum(self.weights)
            index = numpy.searchsorted(cdf, u * cdf[-1], side='right')
            last = len(cdf) - 1 - numpy.argmax(self.weights[::-1] > 0)   # u * sum rounded up
            return numpy.minimum(index, last).astype(numpy.int64)
        with numpy.errstate(divide='ignore'):
            keys = -numpy.log1p(-u) / self.weights        # exponential(1) / weight; inf at 0
        return numpy.argsort(keys, kind='stable')[:self.num_samples].astype(numpy.int64)

    def __len__(self):
        return self.num_samples


def _check_weights(weights, num_samples, replacement):
    """PyTorch's multinomial rules: finite non-negative weights, a positive sum, and without
    replacement at least num_samples categories of positive weight."""
    if not numpy.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("WeightedRandomSampler: weights must be finite and non-negative, got "
                           f"{weights}")
    positive = int((weights > 0).sum())
    if positive == 0:
        raise RuntimeError("WeightedRandomSampler: the weights sum to zero; at least one must be "
                           "positive")
    if not replacement and num_samples > positive:
        raise RuntimeError(f"WeightedRandomSampler: cannot draw num_samples={num_samples} "
                           f"indices without replacement from {positive} of positive weight")


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``).

    ``list(BatchSampler(SequentialSampler(range(10)), 3, False))`` is
    ``[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]``. Any iterable of indices works as ``sampler``;
    it is read lazily, so an endless sampler gives endless batches.
    """

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive_int(batch_size, 'batch_size', 'BatchSampler')
        _check_bool(drop_last, 'drop_last', 'BatchSampler')
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self):
        for batch in self._batches():
            yield batch.tolist()

    def _batches(self):
        """The batches as int64 NumPy arrays: slices of one array when the sampler is a
        built-in one, otherwise read from the sampler's iterator chunk by chunk."""
        if isinstance(self.sampler, _ArraySampler):
            order = self.sampler._epoch_indices()
            stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
            for start in range(0, stop, self.batch_size):
                yield order[start:start + self.batch_size]
            return
        indices = iter(self.sampler)
        while True:
            batch = numpy.fromiter(itertools.islice(indices, self.batch_size), numpy.int64)
            if len(batch) == 0 or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
