"""Datasets, samplers and the DataLoader that cuts a dataset into (shuffled) mini-batches.

    train = TensorDataset(x, y)                        # x: (N, ...), y: (N,) int64
    loader = DataLoader(train, batch_size=64, shuffle=True, device='cuda')
    for xb, yb in loader: ...                          # Tensors on 'cuda', yb stays int64

PyTorch's ``torch.utils.data``, also importable as ``minidl.utils.data``. Read in this order:
dataset.py (what a dataset is), sampler.py (the order of the indices), collate.py (samples into
a batch), fetch.py (one batch read), dataloader.py (the loop), worker.py (worker processes).
``DistributedSampler`` lives in ``minidl.distributed`` (it needs the process group); it is
reachable from here as in PyTorch.
"""
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                      Subset, TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)
from .worker import WorkerInfo, get_worker_info

__all__ = ['BatchSampler', 'ChainDataset', 'ConcatDataset', 'DataLoader', 'Dataset',
           'DistributedSampler', 'IterableDataset', 'RandomSampler', 'Sampler',
           'SequentialSampler', 'StackDataset', 'Subset', 'SubsetRandomSampler', 'TensorDataset',
           'WeightedRandomSampler', 'WorkerInfo', 'default_collate', 'default_convert',
           'get_worker_info', 'random_split']


def __getattr__(name):
    # minidl.distributed sits above this package, so its sampler is imported on first use only
    if name == 'DistributedSampler':
        from ..distributed.sampler import DistributedSampler
        return DistributedSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
