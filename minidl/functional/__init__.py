"""minidl.functional: stateless differentiable operations for neural networks.

Activations, losses, linear, dropout, batch/layer/group norm, embedding, interpolate,
convolution and pooling (PyTorch's names, argument names and defaults), and the notes' views of
convolution (convolve1d, conv_matrix).
"""
from .toeplitz import conv2d_matrix, conv_matrix, convolve1d  # noqa: F401
from .activation import (elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus,
                         tanh)
from .basic import dropout, flatten, linear
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss,
                   mse_loss, nll_loss)
from .normalization import batch_norm
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d,
                      max_pool1d, max_pool2d)
from .padding import pad  # noqa: F401  (torch.nn.functional.pad, with its modes)
from .more_activations import (celu, glu, hardshrink, hardsigmoid, hardswish,  # noqa: F401
                               hardtanh, logsigmoid, mish, prelu, relu6, selu, silu, softmin,
                               softshrink, softsign, tanhshrink, threshold)
from .more_losses import huber_loss, kl_div, smooth_l1_loss  # noqa: F401
from .layer_norm import group_norm, layer_norm  # noqa: F401
from .channel_dropout import dropout1d, dropout2d, dropout3d  # noqa: F401
from .embedding import embedding, one_hot  # noqa: F401
from .interpolate import interpolate  # noqa: F401  (after pooling: 'area' mode uses it)
from .distance import cosine_similarity, normalize, pairwise_distance  # noqa: F401
from .adaptive_max_pool import adaptive_max_pool1d, adaptive_max_pool2d  # noqa: F401
from .fold import fold, unfold  # noqa: F401
