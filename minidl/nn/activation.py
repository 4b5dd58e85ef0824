"""Activation layers: ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softmax and LogSoftmax.

Each applies the function of the same name in minidl.functional elementwise (Softmax and
LogSoftmax along ``dim``); output shape = input shape. ``inplace=True`` is accepted for
PyTorch compatibility but the result is always a new tensor (the values are the same).
"""
from .. import functional as F
from .. import validate
from .module import Module


class _Activation(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return self._fn(x)

    def extra_repr(self):
        return 'inplace=True' if self.inplace else ''


class ReLU(_Activation):
    """max(0, x)."""

    def _fn(self, x):
        return F.relu(x)


class LeakyReLU(_Activation):
    """x for x >= 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def _fn(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (', inplace=True' if self.inplace else '')


class ELU(_Activation):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = alpha

    def _fn(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (', inplace=True' if self.inplace else '')


class GELU(_Activation):
    """x * Phi(x) (Phi the standard normal CDF); approximate='tanh' uses the tanh formula."""

    def __init__(self, approximate='none'):
        super().__init__()
        if approximate not in ('none', 'tanh'):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def _fn(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(_Activation):
    """1 / (1 + exp(-x))."""

    def __init__(self):
        super().__init__()

    def _fn(self, x):
        return F.sigmoid(x)


class Tanh(_Activation):
    """tanh(x)."""

    def __init__(self):
        super().__init__()

    def _fn(self, x):
        return F.tanh(x)


def _implicit_dim(ndim):
    # PyTorch's legacy choice when no dim is given (it also warns): 0 for 0-, 1- and 3-D inputs
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(_Activation):
    """exp(x) / sum(exp(x)) along ``dim`` (values in (0, 1) summing to 1). Pass dim explicitly;
    dim=None follows PyTorch's legacy rule (dim 0 for 0/1/3-D inputs, else 1)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def _fn(self, x):
        return F.softmax(x, self.dim if self.dim is not None else _implicit_dim(x.ndim))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along ``dim``, computed stably (x - logsumexp(x))."""

    def _fn(self, x):
        return F.log_softmax(x, self.dim if self.dim is not None else _implicit_dim(x.ndim))
