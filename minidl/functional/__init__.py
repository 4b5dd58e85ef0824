"""minidl.functional: stateless differentiable operations for neural networks.

Activations, losses, linear, dropout and batch norm, convolution and pooling (PyTorch's names,
argument names and defaults), and the notes' views of convolution (convolve1d, conv_matrix).
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
from ..ops.shape import pad  # noqa: E402,F401  (torch.nn.functional.pad)
