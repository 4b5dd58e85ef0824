"""Activation layers: ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softmax, LogSoftmax, SiLU,
Mish, Hardtanh, ReLU6, Hardsigmoid, Hardswish, LogSigmoid, Softplus, Softsign, Tanhshrink, CELU,
SELU, PReLU (which learns its slopes), Threshold, Hardshrink, Softshrink, Softmin and GLU.

Each applies the function of the same name in minidl.functional elementwise (Softmax, Softmin
and LogSoftmax along ``dim``, GLU halving ``dim``); otherwise output shape = input shape.
``inplace=True`` writes the result into the input, as in PyTorch (and with its rules: not into
a leaf that requires grad).
"""
from .. import backend, validate
from .. import functional as F
from ..tensor import make
from .module import Module, Parameter


class _Activation(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return self._fn(x)

    def _maybe_inplace(self, fn, x, *args):
        return fn(x, *args, inplace=True) if self.inplace else fn(x, *args)

    def extra_repr(self):
        return 'inplace=True' if self.inplace else ''


class ReLU(_Activation):
    """max(0, x)."""

    def _fn(self, x):
        return self._maybe_inplace(F.relu, x)


class LeakyReLU(_Activation):
    """x for x >= 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def _fn(self, x):
        return self._maybe_inplace(F.leaky_relu, x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (', inplace=True' if self.inplace else '')


class ELU(_Activation):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = alpha

    def _fn(self, x):
        return self._maybe_inplace(F.elu, x, self.alpha)

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


class SiLU(_Activation):
    """x * sigmoid(x) (swish)."""

    def _fn(self, x):
        return self._maybe_inplace(F.silu, x)


class Mish(_Activation):
    """x * tanh(softplus(x))."""

    def _fn(self, x):
        return self._maybe_inplace(F.mish, x)


class Hardtanh(_Activation):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__(inplace)
        self.min_val = validate.number('Hardtanh', 'min_val', min_val)
        self.max_val = validate.number('Hardtanh', 'max_val', max_val, low=self.min_val)

    def _fn(self, x):
        return self._maybe_inplace(F.hardtanh, x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ', inplace=True' if self.inplace else '')


class ReLU6(_Activation):
    """min(max(x, 0), 6)."""

    def _fn(self, x):
        return self._maybe_inplace(F.relu6, x)


class Hardsigmoid(_Activation):
    """0 below -3, 1 above 3, x / 6 + 1/2 between."""

    def _fn(self, x):
        return self._maybe_inplace(F.hardsigmoid, x)


class Hardswish(_Activation):
    """x * hardsigmoid(x)."""

    def _fn(self, x):
        return self._maybe_inplace(F.hardswish, x)


class SELU(_Activation):
    """scale * elu(x, alpha) with alpha = 1.6733, scale = 1.0507 (self-normalising)."""

    def _fn(self, x):
        return self._maybe_inplace(F.selu, x)


class CELU(_Activation):
    """x for x > 0, alpha * (exp(x / alpha) - 1) otherwise."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = validate.number('CELU', 'alpha', alpha)

    def _fn(self, x):
        return self._maybe_inplace(F.celu, x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (', inplace=True' if self.inplace else '')


class _Plain(_Activation):
    """An activation without options."""

    def __init__(self):
        super().__init__()


class LogSigmoid(_Plain):
    """log(sigmoid(x)), finite for any x."""

    def _fn(self, x):
        return F.logsigmoid(x)


class Softsign(_Plain):
    """x / (1 + |x|)."""

    def _fn(self, x):
        return F.softsign(x)


class Tanhshrink(_Plain):
    """x - tanh(x)."""

    def _fn(self, x):
        return F.tanhshrink(x)


class Softplus(_Plain):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = validate.number('Softplus', 'beta', beta)
        self.threshold = validate.number('Softplus', 'threshold', threshold)

    def _fn(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """x for x > 0, a * x otherwise, with learned slopes a: weight (num_parameters,), one for
    every channel (num_parameters=1) or one per channel (C, dimension 1 of the input), each
    initialised to ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = validate.integer('PReLU', 'num_parameters', num_parameters,
                                               minimum=1)
        self.init = validate.number('PReLU', 'init', init)
        with backend.on(device) as xp:
            self.weight = Parameter(make(xp.empty((self.num_parameters,),
                                                  dtype=backend.dtype(dtype or backend.float32))))
        self.reset_parameters()

    def reset_parameters(self):
        """Every slope to ``init``."""
        self.weight.array[...] = self.init

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Threshold(_Activation):
    """x where x > threshold, else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__(inplace)
        self.threshold = validate.number('Threshold', 'threshold', threshold)
        self.value = validate.number('Threshold', 'value', value)

    def _fn(self, x):
        return self._maybe_inplace(F.threshold, x, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (
            ', inplace=True' if self.inplace else '')


class Hardshrink(_Plain):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = validate.number(type(self).__name__, 'lambd', lambd, low=0)

    def _fn(self, x):
        return F.hardshrink(x, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Softshrink(Hardshrink):
    """x - lambd above lambd, x + lambd below -lambd, else 0."""

    def _fn(self, x):
        return F.softshrink(x, self.lambd)


class Softmin(Softmax):
    """softmax(-x) along ``dim``."""

    def _fn(self, x):
        return F.softmin(x, self.dim if self.dim is not None else _implicit_dim(x.ndim))


class GLU(_Plain):
    """The gated linear unit along ``dim``: halves a, b of x, then a * sigmoid(b)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = validate.integer('GLU', 'dim', dim)

    def _fn(self, x):
        return F.glu(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
