"""Dense (Linear), Flatten, Unflatten, Identity, Dropout and Dropout1d/2d/3d."""
import math

from .. import backend, validate
from .. import functional as F
from ..tensor import make
from . import init
from .module import Module, Parameter


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Dense(Module):
    """Fully connected layer y = x W^T + b on the last dimension (PyTorch's Linear).

    Dense(in_features, out_features, bias=True) as nn.Linear, or Dense(out_features) (Keras
    style): the input size is inferred at the first call, when the parameters are created on
    the input's device and dtype (unless ``device``/``dtype`` were given or ``to()`` was called).
    Until then ``weight`` is a placeholder Parameter of shape (out_features, 0) that the first call
    fills in place (as PyTorch's LazyLinear), so an optimizer built before that call trains it
    like any other parameter. weight: (out_features, in_features); bias:
    (out_features,). Init as PyTorch: kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in))
    for both. Input (*, in_features) -> output (*, out_features).
    """

    def __init__(self, in_features=None, out_features=None, bias=True, device=None, dtype=None):
        super().__init__()
        if out_features is None:                     # Dense(units): lazy
            in_features, out_features = None, in_features
        if out_features is None:
            raise TypeError("Dense needs out_features: Dense(out_features) or "
                            "Dense(in_features, out_features)")
        if in_features is not None:
            validate.integer('Dense', 'in_features', in_features, minimum=0)
        # Linear(in, 0) is PyTorch's (an empty output); Dense(0) is a slip, refused as Keras does
        validate.integer('Dense', 'out_features', out_features,
                         minimum=0 if in_features is not None else 1)
        self.in_features = None
        self.out_features = int(out_features)
        self.use_bias = bool(bias)
        self._device = backend.canonical_device(device) if device is not None else None
        self._dtype = backend.dtype(dtype) if dtype is not None else None
        self.register_parameter('weight', None)
        self.register_parameter('bias', None)
        device, dtype = self._device or backend.default_device(), self._dtype or backend.float32
        if in_features is not None:
            self._build(int(in_features), device, dtype)
        else:
            with backend.on(device) as xp:
                self.weight = Parameter(make(xp.empty((self.out_features, 0), dtype=dtype)))
                if self.use_bias:
                    self.bias = Parameter(make(xp.zeros((self.out_features,), dtype=dtype)))

    @property
    def built(self):
        """False until the lazy layer has seen its first input (or a state_dict)."""
        return self.in_features is not None

    def _build(self, in_features, device, dtype):
        self.in_features = in_features
        with backend.on(device) as xp:
            weight = xp.empty((self.out_features, in_features), dtype=dtype)
            bias = xp.empty((self.out_features,), dtype=dtype)
        if self.weight is None:
            self.weight = Parameter(make(weight))
            if self.use_bias:
                self.bias = Parameter(make(bias))
        else:       # fill the placeholders in place: optimizers may already hold them
            self.weight.array, self.weight.grad = weight, None
            if self.use_bias:
                self.bias.array, self.bias.grad = bias, None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's Linear init: weight kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in))."""
        if not self.built:
            return
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _lazy_to(self, device, dtype):
        if not self.built:
            self._device = device or self._device
            self._dtype = dtype or self._dtype

    def _build_from_state(self, state_dict, prefix, root):
        """Build an unbuilt layer from the stored weight's shape; returns the keys still
        missing (those of a layer that stays unbuilt)."""
        if self.built:
            return []
        stored = state_dict.get(prefix + 'weight')
        if stored is None or len(stored.shape) != 2:
            return [prefix + 'weight'] + ([prefix + 'bias'] if self.use_bias else [])
        # where an eagerly built layer would be: beside the model's other parameters, else
        # on the default device in float32 (the stored values are then cast, as any load)
        reference = next((t for t in root.parameters() if t.dtype.kind == 'f'), None)
        dtype = self._dtype or (reference.dtype if reference is not None else backend.float32)
        device = self._device or (reference.device if reference is not None
                                  else backend.default_device())
        self._build(int(stored.shape[1]), device, dtype)
        return []

    def _check(self, x):
        validate.tensor(repr(self), 'input', x)
        if x.ndim == 0:
            raise ValueError(f"{self!r}: expected input of shape (*, in_features), got a 0-D "
                             "tensor")
        if not self.built or x.shape[-1] == self.in_features:
            return
        shape = tuple(x.shape)
        message = (f"{self!r}: expected input of shape (N, {self.in_features}) (last dimension "
                   f"= in_features = {self.in_features}), got shape {shape} (last dimension "
                   f"{shape[-1]})")
        if x.ndim > 2 and math.prod(shape[1:]) == self.in_features:
            message += (f"; each sample has {math.prod(shape[1:])} values spread over "
                        f"{shape[1:]}: add a Flatten() layer before this one")
        raise ValueError(message)

    def forward(self, x):
        self._check(x)
        if not self.built:
            dtype = x.dtype if x.dtype.kind == 'f' else backend.float32
            self._build(int(x.shape[-1]), self._device or x.device, self._dtype or dtype)
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.use_bias}")


Linear = Dense


class Flatten(Module):
    """Flattens dimensions start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zeroes each element with probability p and scales the rest by 1/(1-p) in training mode;
    the identity in eval mode. Any shape."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = validate.number(type(self).__name__, 'p', p, 0, 1)
        self.inplace = inplace

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return F.dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"



class Unflatten(Module):
    """Splits dimension ``dim`` into the shape ``unflattened_size`` (one entry may be -1):
    Unflatten(1, (C, H, W)) turns (N, C*H*W) back into (N, C, H, W)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = validate.integer('Unflatten', 'dim', dim)
        self.unflattened_size = validate.sizes('Unflatten', 'unflattened_size',
                                               unflattened_size, minimum=-1)
        if not self.unflattened_size or self.unflattened_size.count(-1) > 1:
            raise ValueError(f"Unflatten: unflattened_size must be a non-empty tuple with at "
                             f"most one -1, got {unflattened_size!r}")

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        if not -x.ndim <= self.dim < x.ndim:
            raise IndexError(f"{self!r}: dim {self.dim} is out of range for an input of shape "
                             f"{tuple(x.shape)}")
        dim = self.dim % x.ndim
        sizes, size = self.unflattened_size, x.shape[dim]
        known = math.prod(n for n in sizes if n != -1)
        fits = (known != 0 and size % known == 0) if -1 in sizes else size == known
        if not fits:
            raise ValueError(f"{self!r}: sizes {sizes} don't multiply up to the size of dim "
                             f"{dim} ({size}) of the input of shape {tuple(x.shape)}")
        return x.reshape(x.shape[:dim] + sizes + x.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout1d(Dropout):
    """Zeroes whole channels of (N, C, L) or (C, L) inputs with probability p (and scales the
    rest by 1/(1-p)) in training mode; the identity in eval mode."""
    _fn = staticmethod(F.dropout1d)

    def forward(self, x):
        validate.tensor(repr(self), 'input', x)
        return self._fn(x, self.p, self.training, self.inplace)


class Dropout2d(Dropout1d):
    """Zeroes whole channels of (N, C, H, W) inputs with probability p (and scales the rest by
    1/(1-p)) in training mode; the identity in eval mode."""
    _fn = staticmethod(F.dropout2d)


class Dropout3d(Dropout1d):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability p (and
    scales the rest by 1/(1-p)) in training mode; the identity in eval mode."""
    _fn = staticmethod(F.dropout3d)
