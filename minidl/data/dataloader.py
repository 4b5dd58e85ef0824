"""The DataLoader: a dataset read in (shuffled) mini-batches, in this process or in workers.

    loader = DataLoader(train, batch_size=64, shuffle=True, device='cuda')
    for xb, yb in loader: ...                          # Tensors on 'cuda', yb stays int64

PyTorch's arguments and rules, plus minidl's ``seed`` (the loader's own generator, saved by
``state_dict()`` for an exact resume) and ``device`` (where batches go). Which indices make a
batch is the samplers' business (sampler.py); how a batch is read, fetch.py; how worker
processes share the work, worker.py.
"""
import multiprocessing

import numpy

from .. import backend
from ..tensor import Tensor, make
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .fetch import IterableFetcher, MapFetcher, tensor_dataset_device
from .sampler import BatchSampler, RandomSampler, SequentialSampler, random_source
from .worker import MultiProcessIterator, WorkerPool

_FIXED = ('batch_size', 'batch_sampler', 'sampler', 'drop_last', 'dataset', 'persistent_workers')


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, context):
    """PyTorch's rules for the worker arguments; returns (prefetch_factor, context)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, numpy.integer)) \
            or num_workers < 0:
        raise ValueError(f"DataLoader: num_workers option should be a non-negative integer "
                         f"(0 loads in this process), got {num_workers!r}")
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
    if num_workers == 0:
        if prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                             "multiprocessing: set num_workers > 0, or prefetch_factor=None")
        if persistent_workers:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if context is not None:
            raise ValueError(f"DataLoader: multiprocessing_context can only be used with "
                             f"multi-process loading (num_workers > 0), but got "
                             f"num_workers={num_workers}")
        return None, None
    if prefetch_factor is None:
        prefetch_factor = 2
    if isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int) \
            or prefetch_factor < 1:
        raise ValueError(f"DataLoader: prefetch_factor should be a positive integer, got "
                         f"{prefetch_factor!r}")
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(f"DataLoader: multiprocessing_context option should specify a valid "
                             f"start method in {methods!r}, but got {context!r}")
        context = multiprocessing.get_context(context)
    elif context is not None and not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(f"DataLoader: multiprocessing_context option must be a start method "
                        f"name or a multiprocessing context, got {type(context).__name__}")
    return prefetch_factor, context


def _check_iterable_options(shuffle, sampler, batch_sampler):
    """An IterableDataset decides its own order: no shuffle, sampler or batch_sampler."""
    for name, value, unset in (('shuffle', shuffle, (None, False)), ('sampler', sampler, (None,)),
                               ('batch_sampler', batch_sampler, (None,))):
        if value not in unset:
            raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                             f"option, but got {name}={value!r}")


def _choose_samplers(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator):
    """PyTorch's rules for the order arguments; returns (sampler, batch_sampler, batch_size,
    drop_last), the default samplers filled in."""
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive (the "
                         "sampler decides the order); shuffle in the sampler instead")
    for name, value in (('sampler', sampler), ('batch_sampler', batch_sampler)):
        if value is not None and not hasattr(value, '__iter__'):
            raise TypeError(f"DataLoader: {name} must be an iterable of indices, got "
                            f"{type(value).__name__}")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                             "batch_size, shuffle, sampler, and drop_last (the batch sampler "
                             "decides them)")
        batch_size, drop_last = None, False
    elif batch_size is None and drop_last:
        raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                         "mutually exclusive with drop_last")
    if sampler is None:
        sampler = RandomSampler(dataset, generator=generator) if shuffle else \
            SequentialSampler(dataset)
    if batch_size is not None and batch_sampler is None:
        batch_sampler = BatchSampler(sampler, batch_size, drop_last)
    return sampler, batch_sampler, batch_size, drop_last


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    DataLoader(dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
    worker_init_fn=None, multiprocessing_context=None, generator=None, *, prefetch_factor=None,
    persistent_workers=False, pin_memory_device='', in_order=True, seed=None, device=None)

    As PyTorch's: ``shuffle`` draws a new order every epoch (a RandomSampler); ``sampler``
    gives each epoch's indices (any iterable of indices, e.g. a DistributedSampler),
    ``batch_sampler`` each batch's (then batch_size, shuffle, sampler and drop_last stay unset);
    ``batch_size=None`` yields single samples; ``drop_last`` drops a short last batch;
    ``collate_fn`` builds a batch from a list of samples (default: ``default_collate``, so a
    TensorDataset gives lists [x, y] of Tensors (batch, ...), dtypes kept); ``num_workers > 0``
    reads batches in worker processes (worker.py: per-worker seeds, ``worker_init_fn(id)``,
    ``get_worker_info()``, the sampler's order kept unless ``in_order=False``, ``timeout``
    seconds per batch, ``prefetch_factor`` batches queued per worker, ``persistent_workers``
    kept between epochs, ``multiprocessing_context`` 'fork', 'spawn' or 'forkserver').
    ``pin_memory`` is accepted and does nothing: batches reach a GPU with ``device=``.

    Random numbers (shuffling, workers' seeds) come from ``generator`` (a
    ``numpy.random.Generator``), else from the loader's own generator seeded with ``seed``,
    else from minidl's CPU generator (``mdl.manual_seed`` repeats them). ``device``: where
    batches are moved (default: where the data lives).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device='',
                 in_order=True, seed=None, device=None):
        self.prefetch_factor, self.multiprocessing_context = _check_workers(
            num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        self.num_workers, self.timeout, self.worker_init_fn = int(num_workers), timeout, \
            worker_init_fn
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, numpy.integer)) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value (or None "
                             f"to yield single samples), got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"DataLoader: drop_last should be a boolean value, got {drop_last!r}")
        self._set_generator(seed, generator)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
            sampler = None
        else:
            sampler, batch_sampler, batch_size, drop_last = _choose_samplers(
                dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, self._generator)
        self.dataset, self.sampler, self.batch_sampler = dataset, sampler, batch_sampler
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last, self.generator = drop_last, generator
        auto = self.batch_size is not None or batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if auto else default_convert)
        self.pin_memory, self.pin_memory_device = bool(pin_memory), pin_memory_device
        self.in_order, self.persistent_workers = bool(in_order), bool(persistent_workers)
        self.device = None if device is None else backend.canonical_device(device)
        self._pool = None
        self._initialized = True

    def _set_generator(self, seed, generator):
        """The loader's own generator: ``generator``, or one seeded with ``seed``, or None."""
        if seed is not None and (isinstance(seed, bool) or not isinstance(
                seed, (int, numpy.integer)) or seed < 0):
            raise ValueError(f"DataLoader: seed must be a non-negative integer or None, got "
                             f"{seed!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        if generator is not None:
            random_source(generator, 'DataLoader')
        self.seed = seed
        self._generator = generator if seed is None else \
            numpy.random.Generator(numpy.random.PCG64(seed))

    def __setattr__(self, name, value):
        if name in _FIXED and self.__dict__.get('_initialized'):
            raise ValueError(f"DataLoader: the {name} attribute should not be set after the "
                             "DataLoader is initialized; build a new DataLoader")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        if self.num_workers == 0:
            return self._single_process()
        device = tensor_dataset_device(self.dataset)
        if device is not None and device != 'cpu':
            raise ValueError(f"DataLoader: num_workers={self.num_workers} reads the dataset in "
                             f"worker processes, which cannot use the GPU, but its tensors are "
                             f"on {device}: use num_workers=0 (a TensorDataset is batched by "
                             "one indexing operation and needs no workers)")
        if not self.persistent_workers:
            return MultiProcessIterator(self, WorkerPool(self, self._base_seed()))
        first = self._pool is None
        if first:
            self._pool = WorkerPool(self, self._base_seed())
        return MultiProcessIterator(self, self._pool, first)

    def _single_process(self):
        fetcher = (IterableFetcher if self._iterable else MapFetcher)(self.dataset,
                                                                      *self._fetch_args())
        if self._iterable:
            while True:
                try:
                    batch = fetcher.fetch()
                except StopIteration:
                    return
                yield self._to_device(batch)
        for index in self._index_batches():
            yield self._to_device(fetcher.fetch(index))

    # ------------------------------------------------------------ for the workers
    def _fetch_args(self):
        return self._auto_collation, self.collate_fn, self.drop_last, self.batch_size

    def _index_batches(self):
        """This epoch's tasks: int64 index arrays (auto-collation) or single indices."""
        if self.batch_sampler is None:
            return iter(self.sampler)
        if type(self.batch_sampler).__iter__ is BatchSampler.__iter__:
            return self.batch_sampler._batches()
        return (numpy.asarray(b, dtype=numpy.int64).reshape(-1) for b in self.batch_sampler)

    def _context(self):
        return self.multiprocessing_context or multiprocessing.get_context()

    def _random(self):
        return self._generator if self._generator is not None else backend.generator('cpu')

    def _base_seed(self):
        """The workers' base seed, drawn from the loader's random numbers for each new pool."""
        return int(self._random().integers(0, 2 ** 62, ()))

    def _epoch_done(self, iterator):
        if not self.persistent_workers:
            iterator.pool.shutdown()

    def __del__(self):
        pool = self.__dict__.get('_pool')
        if pool is not None:
            pool.shutdown()

    # ------------------------------------------------------------ batches to the device
    def _to_device(self, batch):
        if self.device is None:
            return batch
        if isinstance(batch, Tensor):
            return make(backend.to_device(batch.array, self.device))
        if isinstance(batch, tuple) and hasattr(batch, '_fields'):
            return type(batch)(*(self._to_device(b) for b in batch))
        if isinstance(batch, (tuple, list)):
            return type(batch)(self._to_device(b) for b in batch)
        if isinstance(batch, dict):
            return {k: self._to_device(v) for k, v in batch.items()}
        return batch

    # ------------------------------------------------------------ exact resume
    def state_dict(self):
        """The state of the loader's own random numbers, for an exact resume: its generator
        (``seed`` or ``generator``) and that of its sampler when the sampler has its own.
        Random numbers from minidl's CPU generator are saved by checkpoints with
        ``mdl.get_rng_state()``."""
        state = {'seed': None if self.seed is None else int(self.seed),
                 'generator': _generator_state(self._generator)}
        own = self._sampler_generator()
        if own is not None:
            state['sampler_generator'] = _generator_state(own)
        return state

    def load_state_dict(self, state_dict):
        """Restore a state returned by ``state_dict()``."""
        gen_state = state_dict.get('generator')
        if gen_state is None and self._generator is not None:
            raise ValueError("DataLoader.load_state_dict: this loader has its own generator "
                             f"(seed={self.seed}) but the state has none (saved from a loader "
                             "without seed or generator)")
        if gen_state is not None:
            if self._generator is None:        # adopt the saved generator, shuffling with it too
                self.__dict__['seed'] = state_dict.get('seed')
                self._generator = numpy.random.Generator(numpy.random.PCG64(0))
                if type(self.sampler) is RandomSampler and self.sampler.generator is None:
                    self.sampler.generator = self._generator
            _set_generator_state(self._generator, gen_state)
        sampler_state = state_dict.get('sampler_generator')
        if sampler_state is not None:
            own = self._sampler_generator()
            if own is None:
                raise ValueError("DataLoader.load_state_dict: the state has a sampler generator "
                                 "but this loader's sampler has no generator of its own")
            _set_generator_state(own, sampler_state)

    def _sampler_generator(self):
        """The generator of the sampler (or of the batch sampler's sampler) when it has its own,
        not the loader's."""
        for sampler in (self.sampler, getattr(self.batch_sampler, 'sampler', None)):
            gen = getattr(sampler, 'generator', None)
            if gen is not None and gen is not self._generator:
                return gen
        return None


def _generator_state(gen):
    """A generator's state as plain numbers and lists (for a checkpoint's JSON header)."""
    if gen is None:
        return None
    if isinstance(gen, backend.Generator):
        return gen.get_state()
    return _plain(gen.bit_generator.state)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    return int(value) if isinstance(value, numpy.integer) else value


def _set_generator_state(gen, state):
    if isinstance(gen, backend.Generator):
        gen.set_state(state)
    else:
        gen.bit_generator.state = dict(state)
