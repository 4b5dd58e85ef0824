"""Worker processes of a DataLoader with ``num_workers > 0``.

Why processes, not threads: reading a sample is Python code (decoding, augmenting) that holds
the GIL, so threads would take turns on one core; processes run side by side, each with its own
copy of the dataset (fork, or pickled with spawn), as in PyTorch.

The main process hands out index batches round-robin (at most ``prefetch_factor`` waiting per
worker) on one queue per worker; each worker fetches and collates its batch and sends it back
on its own pipe; the main process yields the batches in the order of the sampler, whichever
worker finishes first. Worker ``w`` of an epoch is seeded with ``base_seed + w`` (minidl's,
Python's ``random`` and NumPy's global generators), the base seed drawn from the loader's
generator, so random augmentations differ between workers and repeat from run to run. A worker
reads its dataset on the CPU only: batches reach the GPU in the main process (``device=``).
"""
import itertools
import os
import pickle
import queue
import random
import time
import traceback
from multiprocessing.connection import wait

import numpy

from .. import backend
from .fetch import IterableFetcher, MapFetcher

_POLL_SECONDS = 1.0        # how often a waiting worker checks that the main process lives
_RESET = 'reset'           # a persistent worker starts its IterableDataset again
_worker_info = None


class WorkerInfo:
    """What a worker process knows about itself: ``id`` (0..num_workers-1), ``num_workers``,
    ``seed`` (this worker's) and ``dataset`` (its copy). Read-only."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __setattr__(self, name, value):
        raise RuntimeError(f"WorkerInfo is read-only: cannot set {name!r}")

    def __repr__(self):
        fields = ', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())
        return f'WorkerInfo({fields})'


def get_worker_info():
    """In a DataLoader worker process, its WorkerInfo (id, num_workers, seed, dataset); None in
    the main process. An IterableDataset uses it to give each worker its own part."""
    return _worker_info


class WorkerError:
    """An exception raised in a worker, carried to the main process to be raised there."""

    def __init__(self, worker_id, exc, where='fetching a batch'):
        self.message = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id} "
                        f"while {where}.\nOriginal " + traceback.format_exc())
        try:
            pickle.dumps(type(exc))
            self.exc_type = type(exc)
        except Exception:          # a class the main process could not unpickle
            self.exc_type = RuntimeError

    def reraise(self):
        """Raise the worker's exception type with its traceback as the message."""
        raise self._exception()

    def _exception(self):
        message = _KeyErrorMessage(self.message) if self.exc_type is KeyError else self.message
        try:
            return self.exc_type(message)
        except Exception:
            return RuntimeError(self.message)


class _KeyErrorMessage(str):
    """A message that a KeyError prints as it is (KeyError shows the repr of its argument)."""

    def __repr__(self):
        return str(self)


class IterableEnd:
    """A worker's IterableDataset has no more batches."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


def _seed(base_seed, worker_id):
    """Seed this worker's generators: minidl's, Python's and NumPy's global ones."""
    seed = base_seed + worker_id
    backend.manual_seed(seed)
    random.seed(seed)
    numpy.random.seed(numpy.random.SeedSequence([base_seed, worker_id]).generate_state(4))
    return seed


def worker_loop(dataset, iterable, fetch_args, index_queue, sender, base_seed, worker_id,
                num_workers, init_fn, parent_pid):
    """A worker's life: seed, ``init_fn(worker_id)``, then answer each (task id, index) from
    ``index_queue`` with (task id, batch) on ``sender`` until told to stop (None) or the main
    process is gone."""
    global _worker_info
    try:
        seed = _seed(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        fetcher, failure = None, None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = (IterableFetcher if iterable else MapFetcher)(dataset, *fetch_args)
        except Exception as exc:
            failure = WorkerError(worker_id, exc, 'starting (worker_init_fn)')
        while True:
            try:
                task = index_queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    return
                continue
            if task is None:
                return
            if task == _RESET:
                if fetcher is not None:
                    fetcher.reset()
                continue
            _answer(task, fetcher, failure, sender, worker_id)
    except KeyboardInterrupt:          # the main process handles Ctrl-C
        pass
    finally:
        sender.close()


def _answer(task, fetcher, failure, sender, worker_id):
    """Fetch one task's batch and send it (or the error that prevented it)."""
    task_id, index = task
    try:
        if failure is not None:
            data = failure
        else:
            data = fetcher.fetch(index)
    except StopIteration:
        data = IterableEnd(worker_id)
    except Exception as exc:
        data = WorkerError(worker_id, exc)
    try:
        sender.send((task_id, data))
    except Exception as exc:           # a batch that cannot be pickled
        sender.send((task_id, WorkerError(worker_id, exc, 'sending a batch')))


class WorkerPool:
    """``num_workers`` worker processes for ``loader``, started now, with their index queues
    and result pipes; ``shutdown()`` stops them."""

    def __init__(self, loader, base_seed):
        ctx = loader._context()
        self.workers, self.queues, self.readers = [], [], []
        self.next_task = 0
        iterable = loader._iterable
        for w in range(loader.num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()      # never block exiting on an unread index
            reader, sender = ctx.Pipe(duplex=False)
            process = ctx.Process(
                target=worker_loop, daemon=True,
                args=(loader.dataset, iterable, loader._fetch_args(), index_queue, sender,
                      base_seed, w, loader.num_workers, loader.worker_init_fn, os.getpid()))
            process.start()
            sender.close()                        # the worker holds the only writing end
            self.workers.append(process)
            self.queues.append(index_queue)
            self.readers.append(reader)

    def receive(self, workers, timeout):
        """The next (task id, data) from any of ``workers``: RuntimeError if one died or
        ``timeout`` seconds (0: no limit) pass without a batch."""
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            limit = _POLL_SECONDS if deadline is None else \
                max(0.0, min(_POLL_SECONDS, deadline - time.monotonic()))
            for reader in wait([self.readers[w] for w in workers], limit):
                try:
                    return reader.recv()
                except EOFError:
                    w = self.readers.index(reader)
                    process = self.workers[w]
                    process.join(_POLL_SECONDS)
                    raise RuntimeError(f"DataLoader worker {w} (pid {process.pid}) exited "
                                       f"unexpectedly with exit code {process.exitcode}") from None
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")

    def shutdown(self):
        """Tell every worker to stop, wait a moment, then end those that did not."""
        for index_queue in self.queues:
            index_queue.put(None)
        for process in self.workers:
            process.join(_POLL_SECONDS)
            if process.is_alive():
                process.terminate()
                process.join()
        for index_queue, reader in zip(self.queues, self.readers):
            for pipe in (index_queue, reader):
                try:
                    pipe.close()
                except OSError:                   # already closed at interpreter exit
                    pass
        self.workers, self.queues, self.readers = [], [], []


class MultiProcessIterator:
    """One epoch of ``loader`` read by the worker processes of ``pool``: batches in the
    sampler's order (or as they arrive, with ``in_order=False``), moved to the loader's device.

    Task ids count on across epochs, so a persistent pool drops the late answers of an epoch
    that was left early.
    """

    def __init__(self, loader, pool, first_epoch=True):
        self.loader, self.pool = loader, pool
        n = len(pool.workers)
        if loader._iterable:
            self._tasks = itertools.repeat(None)       # "your next batch", as long as it lasts
            if not first_epoch:
                for index_queue in pool.queues:
                    index_queue.put(_RESET)
        else:
            self._tasks = loader._index_batches()
        self._first = self._received = pool.next_task
        self._sent_to, self._ready, self._active = {}, {}, [True] * n
        self._turn = 0
        for _ in range(loader.prefetch_factor * n):
            self._send()

    def __iter__(self):
        return self

    def __len__(self):
        return len(self.loader)

    def __del__(self):                                 # left before its end
        if not self.loader.persistent_workers:
            self.pool.shutdown()

    def _send(self):
        """Hand the next task to the next worker still reading, if any."""
        active = [w for w in range(len(self._active)) if self._active[w]]
        if not active:
            return
        try:
            index = next(self._tasks)
        except StopIteration:
            return
        worker = min(active, key=lambda w: (w - self._turn) % len(self._active))
        self._turn = worker + 1
        task_id = self.pool.next_task
        self.pool.next_task += 1
        self.pool.queues[worker].put((task_id, index))
        self._sent_to[task_id] = worker

    def __next__(self):
        while True:
            data = self._take()
            if isinstance(data, IterableEnd):
                self._active[data.worker_id] = False
                self._send()                           # keep the others busy
                continue
            self._send()
            if isinstance(data, WorkerError):
                data.reraise()
            return self.loader._to_device(data)

    def _take(self):
        """The next answer to hand out (receiving as many as needed), or StopIteration."""
        in_order = self.loader.in_order
        while True:
            if in_order and self._received in self._ready:
                self._received += 1
                return self._ready.pop(self._received - 1)
            if not in_order and self._ready:
                task_id = next(iter(self._ready))
                return self._ready.pop(task_id)
            if not self._sent_to:
                self.loader._epoch_done(self)
                raise StopIteration
            task_id, data = self.pool.receive(set(self._sent_to.values()), self.loader.timeout)
            if task_id >= self._first:                 # not a late answer of an earlier epoch
                self._sent_to.pop(task_id)
                self._ready[task_id] = data
