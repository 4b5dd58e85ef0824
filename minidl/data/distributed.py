"""PyTorch's path ``torch.utils.data.distributed``: ``DistributedSampler``, defined in
``minidl.distributed`` (it needs the process group) and imported only when this module is."""
# absolute: this file is also loaded as minidl.utils.data.distributed, where '..' differs
from minidl.distributed.sampler import DistributedSampler

__all__ = ['DistributedSampler']
