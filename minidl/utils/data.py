"""``minidl.utils.data`` is the module ``minidl.data`` itself, so that a PyTorch script's
``from torch.utils.data import DataLoader, TensorDataset`` ports by changing one word.

The submodules are registered under both names (``minidl.utils.data.sampler`` is
``minidl.data.sampler``), so each class exists once and isinstance checks agree.
"""
import sys

from .. import data
from ..data import collate, dataloader, dataset, fetch, sampler, worker

for _module in (collate, dataloader, dataset, fetch, sampler, worker):
    sys.modules[f'{__name__}.{_module.__name__.rsplit(".", 1)[1]}'] = _module
sys.modules[__name__] = data
