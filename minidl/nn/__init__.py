"""minidl.nn: layers and models (PyTorch's torch.nn, with Keras conveniences).

    import minidl.nn as nn
    model = nn.Sequential([
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(),
        nn.Flatten(), nn.Dense(10),           # in_features inferred at the first call
    ])
    model.summary((1, 8, 8))

Layers are thin: they own Parameters and buffers and call minidl.functional.
"""
from .. import functional
from . import init, utils
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .containers import ModuleList, Sequential
from .conv import Conv1d, Conv2d
from .layers import Dense, Dropout, Flatten, Identity, Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter
from .norm import BatchNorm1d, BatchNorm2d
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d,
                      GlobalAvgPool, MaxPool1d, MaxPool2d)
from .summary import summary

__all__ = [
    'Module', 'Parameter', 'Sequential', 'ModuleList', 'Dense', 'Linear', 'Identity', 'Flatten',
    'Dropout', 'Conv1d', 'Conv2d', 'MaxPool1d', 'MaxPool2d', 'AvgPool1d', 'AvgPool2d',
    'AdaptiveAvgPool1d', 'AdaptiveAvgPool2d', 'GlobalAvgPool', 'BatchNorm1d', 'BatchNorm2d',
    'ReLU', 'LeakyReLU', 'ELU', 'GELU', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax',
    'CrossEntropyLoss', 'NLLLoss', 'MSELoss', 'L1Loss', 'BCEWithLogitsLoss',
    'summary', 'init', 'utils', 'functional',
]

import sys as _sys

# `import minidl.nn.functional as F` works too (it is minidl.functional, as in torch.nn.functional)
_sys.modules.setdefault(__name__ + '.functional', functional)
