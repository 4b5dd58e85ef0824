"""minidl.functional: stateless differentiable operations for neural networks.

Activations, losses, linear, dropout and batch norm, convolution and pooling (PyTorch's names,
argument names and defaults), and the notes' views of convolution (convolve1d, conv_matrix).
"""
