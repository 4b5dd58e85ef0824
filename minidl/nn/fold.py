"""Unfold and Fold: F.unfold (the windows matrix, im2col) and F.fold (its adjoint, col2im) as
layers without parameters."""
from .. import functional as F
from .. import validate
from .module import Module


class Unfold(Module):
    """The windows of (N, C, H, W) inputs as columns: (N, C*KH*KW, L), L window positions."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Unfold):
    """Columns (N, C*KH*KW, L) summed back into (N, C, *output_size), each where its window
    lies (overlaps add up): the adjoint of Unfold."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return F.fold(x, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return f"output_size={self.output_size}, " + super().extra_repr()
