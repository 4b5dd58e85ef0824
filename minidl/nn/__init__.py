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
from .activation import (CELU, ELU, GELU, GLU, SELU, SiLU, Hardshrink, Hardsigmoid, Hardswish,
                         Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6,
                         Sigmoid, Softmax, Softmin, Softplus, Softshrink, Softsign, Tanh,
                         Tanhshrink, Threshold)
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .distance import CosineSimilarity, PairwiseDistance
from .embedding import Embedding
from .fold import Fold, Unfold
from .layers import (Dense, Dropout, Dropout1d, Dropout2d, Dropout3d, Flatten, Identity, Linear,
                     Unflatten)
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                   MSELoss, NLLLoss, SmoothL1Loss)
from .module import Module, Parameter
from .norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
                      AvgPool1d, AvgPool2d, GlobalAvgPool, MaxPool1d, MaxPool2d)
from .summary import summary
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [
    'Module', 'Parameter', 'Sequential', 'ModuleList', 'ModuleDict', 'ParameterList',
    'ParameterDict', 'Dense', 'Linear', 'Identity', 'Flatten', 'Unflatten', 'Dropout',
    'Dropout1d', 'Dropout2d', 'Dropout3d', 'Embedding', 'Conv1d', 'Conv2d', 'ConvTranspose1d',
    'ConvTranspose2d', 'Fold', 'Unfold', 'MaxPool1d',
    'MaxPool2d', 'AvgPool1d', 'AvgPool2d', 'AdaptiveAvgPool1d', 'AdaptiveAvgPool2d',
    'AdaptiveMaxPool1d', 'AdaptiveMaxPool2d',
    'GlobalAvgPool', 'BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'GroupNorm', 'Upsample',
    'UpsamplingNearest2d', 'UpsamplingBilinear2d',
    'ReLU', 'LeakyReLU', 'ELU', 'GELU', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'SiLU',
    'Mish', 'Hardtanh', 'ReLU6', 'Hardsigmoid', 'Hardswish', 'LogSigmoid', 'Softplus',
    'Softsign', 'Tanhshrink', 'CELU', 'SELU', 'PReLU', 'Threshold', 'Hardshrink', 'Softshrink',
    'Softmin', 'GLU',
    'CrossEntropyLoss', 'NLLLoss', 'MSELoss', 'L1Loss', 'BCEWithLogitsLoss', 'BCELoss',
    'SmoothL1Loss', 'HuberLoss', 'KLDivLoss', 'CosineSimilarity', 'PairwiseDistance',
    'summary', 'init', 'utils', 'functional',
]

import sys as _sys

# `import minidl.nn.functional as F` works too (it is minidl.functional, as in torch.nn.functional)
_sys.modules.setdefault(__name__ + '.functional', functional)
