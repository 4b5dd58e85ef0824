"""Containers: Sequential (layers applied in order), ModuleList and ModuleDict (registered
modules), ParameterList and ParameterDict (registered Parameters)."""
import collections

from ..tensor import Tensor
from .module import Module, Parameter


def _check_layer(layer, where, index):
    if isinstance(layer, Module):
        return layer
    name = getattr(layer, '__name__', type(layer).__name__)
    hint = ''
    if callable(layer):
        hint = (" (a plain function cannot hold state; use a layer such as nn.ReLU() instead of "
                "F.relu, or wrap it in a Module)")
    raise TypeError(f"{where}: item {index!r} is {name!r} of type {type(layer).__name__}, not a "
                    f"Module{hint}")


class Sequential(Module):
    """Applies its layers in order: Sequential(l1, l2, ...), Sequential([l1, l2, ...]) (Keras
    style) or Sequential(OrderedDict(name=layer, ...)). Layers are named '0', '1', ... unless
    given names. Indexing with an int gives a layer, with a slice a new Sequential."""

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (dict, collections.OrderedDict)):
            for name, layer in layers[0].items():
                self.add_module(str(name), _check_layer(layer, 'Sequential', name))
            return
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = layers[0]
        for i, layer in enumerate(layers):
            self.add_module(str(i), _check_layer(layer, 'Sequential', i))

    def _index(self, idx):
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} of "
                             f"length {n}")
        return idx % n

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return type(self)(collections.OrderedDict(items[idx]))
        return items[self._index(idx)][1]

    def __setitem__(self, idx, layer):
        key = list(self._modules)[self._index(idx)]
        self._modules[key] = _check_layer(layer, type(self).__name__, idx)

    def __delitem__(self, idx):
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[self._index(idx)]]):
            del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, layer):
        """Add ``layer`` at the end (named by its position); returns self."""
        name = str(len(self))
        if name in self._modules:        # after a deletion: pick the next free number
            name = str(1 + max(int(k) for k in self._modules if k.isdigit()))
        self.add_module(name, _check_layer(layer, type(self).__name__, len(self)))
        return self

    add = append     # Keras: model.add(layer)

    def extend(self, layers):
        """Append every layer of ``layers``."""
        for layer in layers:
            self.append(layer)
        return self

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x


class ModuleList(Module):
    """A list of modules that registers them (so their parameters are found and moved). It has
    no forward: iterate over it in your own ``forward``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx):
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for ModuleList of length {n}")
        return idx % n

    def __getitem__(self, idx):
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(values[idx])
        return values[self._index(idx)]

    def __setitem__(self, idx, module):
        self._modules[str(self._index(idx))] = _check_layer(module, 'ModuleList', idx)

    def __delitem__(self, idx):
        values = list(self._modules.values())
        del values[idx if isinstance(idx, slice) else self._index(idx)]
        self._modules.clear()
        self.extend(values)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end."""
        self.add_module(str(len(self)), _check_layer(module, 'ModuleList', len(self)))
        return self

    def extend(self, modules):
        """Append every layer of ``layers``."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``."""
        values = list(self._modules.values())
        values.insert(index, _check_layer(module, 'ModuleList', index))
        self._modules.clear()
        self.extend(values)


def _check_key(where, key):
    if not isinstance(key, str):
        raise TypeError(f"{where}: keys must be strings, got {key!r} of type "
                        f"{type(key).__name__}")
    return key


def _pairs(where, entries):
    """(key, value) pairs from a dict or an iterable of pairs, as PyTorch's update()."""
    if hasattr(entries, 'items'):
        return list(entries.items())
    pairs = list(entries)
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{where}.update: entry {i} should be a (key, value) pair, got "
                            f"{pair!r}")
    return pairs


class _Dict(Module):
    """The mapping methods shared by ModuleDict and ParameterDict, over the registry
    ``_registry_name`` (``_modules`` or ``_parameters``); keys keep their insertion order."""
    _registry_name = '_modules'

    def _entries(self):
        return self.__dict__[self._registry_name]

    def __getitem__(self, key):
        return self._entries()[key]

    def __delitem__(self, key):
        del self._entries()[key]

    def __len__(self):
        return len(self._entries())

    def __iter__(self):
        return iter(list(self._entries()))

    def __contains__(self, key):
        return key in self._entries()

    def keys(self):
        """The keys, in insertion order."""
        return self._entries().keys()

    def items(self):
        """(key, value) pairs, in insertion order."""
        return self._entries().items()

    def values(self):
        """The values, in insertion order."""
        return self._entries().values()

    def get(self, key, default=None):
        """The value of ``key``, or ``default``."""
        return self._entries().get(key, default)

    def pop(self, key):
        """Remove ``key`` and return its value."""
        value = self[key]
        del self[key]
        return value

    def clear(self):
        """Remove every entry."""
        self._entries().clear()

    def update(self, entries):
        """Add or replace the entries of a dict (or of an iterable of (key, value) pairs)."""
        for key, value in _pairs(type(self).__name__, entries):
            self[key] = value


class ModuleDict(_Dict):
    """A dict of modules that registers them (their parameters are found, moved and saved under
    ``key.name``). It has no forward: pick modules by key in your own ``forward``."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        self.add_module(_check_key('ModuleDict', key), _check_layer(module, 'ModuleDict', key))


def _as_parameter(where, key, value):
    """A Parameter from a Parameter (kept) or a Tensor (its memory shared, as PyTorch)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{where}: entry {key!r} must be a Parameter or a Tensor, got "
                    f"{type(value).__name__}")


def _describe_parameter(key, p):
    size = 'x'.join(str(n) for n in p.shape) or '()'
    return f"({key}): Parameter containing: [{p.dtype} of size {size}{_where(p)}]"


def _where(p):
    return '' if p.device == 'cpu' else f" ({p.device})"


class ParameterList(Module):
    """A list of Parameters that registers them, named '0', '1', ... (Tensors given are made
    Parameters sharing their memory)."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _index(self, idx):
        n = len(self._parameters)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for ParameterList of length {n}")
        return idx % n

    def __getitem__(self, idx):
        values = list(self._parameters.values())
        if isinstance(idx, slice):
            return ParameterList(values[idx])
        return values[self._index(idx)]

    def __setitem__(self, idx, value):
        key = str(self._index(idx))
        self._parameters[key] = _as_parameter('ParameterList', idx, value)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(list(self._parameters.values()))

    def append(self, value):
        """Add ``value`` (a Parameter or Tensor) at the end; returns self."""
        self.register_parameter(str(len(self)), _as_parameter('ParameterList', len(self), value))
        return self

    def extend(self, values):
        """Append every value of ``values``; returns self."""
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return '\n'.join(_describe_parameter(k, p) for k, p in self._parameters.items())


class ParameterDict(_Dict):
    """A dict of Parameters that registers them under their keys (Tensors given are made
    Parameters sharing their memory)."""
    _registry_name = '_parameters'

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key, value):
        self.register_parameter(_check_key('ParameterDict', key),
                                _as_parameter('ParameterDict', key, value))

    def extra_repr(self):
        return '\n'.join(_describe_parameter(k, p) for k, p in self._parameters.items())
