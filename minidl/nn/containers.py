"""Containers: Sequential (layers applied in order) and ModuleList (a registered list)."""
import collections

from .module import Module


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
