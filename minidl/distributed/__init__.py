"""Data-parallel training over MPI: one process per core (or per GPU, or per node), each with
the whole model and its own share of the data, gradients averaged after every backward pass.

    mpiexec -n 2 python train.py

    from minidl import distributed as dist
    dist.init()                                        # join the job (of one, without mpiexec)
    model = dist.DistributedDataParallel(build_model())
    sampler = dist.DistributedSampler(train, seed=0)   # each process its own shard
    loader = DataLoader(train, batch_size=64, sampler=sampler)
    fit(model, loader, loss_fn, optimizer, epochs)     # prints and saves on rank 0 only

Read in this order: ``group.py`` (the processes and the collectives on Tensors), ``ddp.py``
(gradients averaged in flat buckets), ``sampler.py`` (the shards). mpi4py, and with it MPI, is
imported by ``init()`` only: ``import minidl.distributed`` needs neither.
"""
from .ddp import DistributedDataParallel
from .group import (ReduceOp, all_gather, all_reduce, barrier, broadcast, get_rank,
                    get_world_size, init, is_distributed, is_initialized, is_main, rank,
                    world_size)
from .launch import mpiexec_command
from .sampler import DistributedSampler

__all__ = ['DistributedDataParallel', 'DistributedSampler', 'ReduceOp', 'all_gather',
           'all_reduce', 'barrier', 'broadcast', 'get_rank', 'get_world_size', 'init',
           'is_distributed', 'is_initialized', 'is_main', 'mpiexec_command', 'rank',
           'world_size']
