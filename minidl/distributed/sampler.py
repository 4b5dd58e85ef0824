"""DistributedSampler: each process of a data-parallel job reads its own shard of a dataset.

    sampler = DistributedSampler(train, seed=0)
    loader = DataLoader(train, batch_size=64, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)          # fit() does this for you
        ...

Every process draws the same permutation (from the shared ``seed`` and the epoch), pads it to
a multiple of the number of processes by repeating its first indices, and takes every
num_replicas-th index starting at its rank: the shards are disjoint (up to the padding), cover
the dataset, and have equal lengths, so every process runs the same number of steps.
"""
import math

import numpy

from . import group


class DistributedSampler:
    """The indices of ``dataset`` that process ``rank`` of ``num_replicas`` reads in one epoch.

    DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
    drop_last=False), as PyTorch's: num_replicas and rank default to the process group's
    (``init()`` first). With ``shuffle`` the order is a permutation drawn from ``seed + epoch``
    (the same in every process; call ``set_epoch`` at the start of each epoch for a new one).
    ``drop_last`` trims the dataset to a multiple of num_replicas instead of padding it. Each
    process yields ``len(self)`` indices.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        num_replicas = group.world_size() if num_replicas is None else num_replicas
        rank = group.rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be a positive integer, got "
                             f"{num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: rank must be in 0..{num_replicas - 1} "
                             f"(num_replicas={num_replicas}), got {rank!r}")
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"DistributedSampler: seed must be a non-negative integer, got "
                             f"{seed!r}")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = bool(shuffle), seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = n // num_replicas
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch):
        """Use epoch ``epoch``'s permutation from now on (every process must set the same)."""
        self.epoch = int(epoch)

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            gen = numpy.random.Generator(numpy.random.PCG64(self.seed + self.epoch))
            order = gen.permutation(n)
        else:
            order = numpy.arange(n)
        if self.total_size > n:     # pad by repeating from the start (more than once if tiny)
            order = numpy.resize(order, self.total_size)
        order = order[:self.total_size]
        return iter(order[self.rank::self.num_replicas].tolist())
