"""Module: the base class of layers and models, which owns their weights and buffers.

A Module registers the Parameters, sub-Modules and buffers assigned to its attributes, in the
order they were assigned, so names like ``features.0.weight`` and the order of ``state_dict()``
are stable. Moving (``to``), saving (``state_dict``) and loading (``load_state_dict``) walk
that registry.
"""
import collections
import itertools

from .. import backend
from ..autograd.hooks import RemovableHandle
from ..tensor import Tensor, check_dtype
from .parameter import Parameter  # noqa: F401  (re-exported)
from .state import load_state_dict


def _parse_to(args, kwargs, where='Module.to'):
    """(device, dtype) from to(device), to(dtype), to(device, dtype), to(tensor) or keywords."""
    device, dtype = kwargs.pop('device', None), kwargs.pop('dtype', None)
    if kwargs:
        raise TypeError(f"{where}() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str):
            device = arg
        elif arg is not None:
            dtype = arg
    if device is not None:
        device = backend.canonical_device(device)
    if dtype is not None:
        dtype = check_dtype(dtype)
        if dtype.kind != 'f':
            raise TypeError(f"{where}() only accepts floating-point dtypes, got {dtype}")
    return device, dtype


class Module:
    """Base class of every layer and model: subclass it, assign layers and Parameters in
    ``__init__`` (after ``super().__init__()``) and define ``forward``. Call the module, not
    ``forward``, so hooks run."""

    training: bool

    def __init__(self):
        for name in ('_parameters', '_buffers', '_modules', '_forward_hooks',
                     '_forward_pre_hooks'):
            object.__setattr__(self, name, collections.OrderedDict())
        object.__setattr__(self, '_non_persistent', set())
        object.__setattr__(self, 'training', True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(): define "
                                  "forward(self, x) in your Module subclass")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_hook(self, hook):
        """Call ``hook(module, inputs, output)`` after every forward (a non-None return replaces
        the output). Returns a handle whose ``remove()`` unregisters it."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, inputs)`` before every forward (a non-None return replaces the
        inputs). Returns a removable handle."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------ registration
    def _registry(self):
        if '_parameters' not in self.__dict__:
            raise AttributeError(f"cannot assign parameters, modules or buffers before "
                                 f"Module.__init__() call: call super().__init__() first in "
                                 f"{type(self).__name__}.__init__")
        return self.__dict__

    def __setattr__(self, name, value):
        params, buffers, modules = self.__dict__.get('_parameters'), \
            self.__dict__.get('_buffers'), self.__dict__.get('_modules')
        if isinstance(value, (Parameter, Module)):
            self._registry()
            registry = params if isinstance(value, Parameter) else modules
            if name not in registry:     # a new name goes last; a re-assigned one keeps its place
                self._forget(name)
            registry[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__!r} as parameter {name!r} "
                                "(a Parameter or None is expected)")
            params[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__!r} as child module "
                                f"{name!r} (a Module or None is expected)")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__!r} as buffer {name!r} "
                                "(a Tensor or None is expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: look in the registries.
        d = self.__dict__
        for registry in ('_parameters', '_buffers', '_modules'):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in ('_parameters', '_buffers', '_modules'):
            if name in self.__dict__.get(registry, ()):
                del self.__dict__[registry][name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__!r} as parameter {name!r} "
                            "(a Parameter or None is expected)")
        self._check_name(name)
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a Tensor that is state but not a parameter (e.g. running statistics): moved
        by ``to()``, saved in ``state_dict()`` unless ``persistent=False``, never trained."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__!r} as buffer {name!r} "
                            "(a Tensor or None is expected)")
        self._check_name(name)
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Register a child module (or None) under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name)
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, name):
        self._registry()
        if not isinstance(name, str) or not name or '.' in name:
            raise KeyError(f"a parameter, buffer or module name must be a non-empty string "
                           f"without '.', got {name!r}")

    # ------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix='', remove_duplicate=True):
        """(dotted name, module) for this module ('' is itself) and every descendant."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self):
        """This module and every module below it, each once (depth first)."""
        return (m for _, m in self.named_modules())

    def named_children(self):
        """(name, module) of the direct sub-modules."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        """The direct sub-modules, in registration order."""
        return (m for _, m in self.named_children())

    def _named_members(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        pairs = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in pairs:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix='', recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) in registration order; a shared Parameter appears once."""
        return self._named_members('_parameters', prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """The Parameters of this module and (with recurse) of its sub-modules, each once, in registration order."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix='', recurse=True, remove_duplicate=True):
        """(dotted name, buffer Tensor) in registration order."""
        return self._named_members('_buffers', prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """The buffers (e.g. running statistics) of this module and its sub-modules."""
        return (b for _, b in self.named_buffers(recurse=recurse))

    def get_submodule(self, target):
        """The module at dotted path ``target`` ('' is self)."""
        module = self
        for part in target.split('.') if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r}")
            module = module._modules[part]
        return module

    def num_parameters(self, trainable_only=False):
        """Number of parameter elements (shared Parameters counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    # ------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Set training mode (Dropout active, BatchNorm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, 'training', mode)
        return self

    def eval(self):
        """Evaluation mode: same as train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Turn gradient tracking of every parameter on or off (e.g. to freeze a layer)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient: to None (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module (children first) and on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------ devices and dtypes
    def to(self, *args, **kwargs):
        """Move parameters and buffers in place: to(device), to(dtype), to(device, dtype).

        Each Parameter keeps its identity (only its ``.array`` and ``.grad`` are replaced), so an
        optimizer built before still holds the right objects. A dtype applies to floating-point
        tensors only (integer buffers such as num_batches_tracked keep theirs).
        """
        device, dtype = _parse_to(args, kwargs)

        def convert(array):
            if device is not None:
                array = backend.to_device(array, device)
            if dtype is not None and array.dtype.kind == 'f' and array.dtype != dtype:
                array = array.astype(dtype)
            return array

        for module in self.modules():
            for t in itertools.chain(module._parameters.values(), module._buffers.values()):
                if t is not None:
                    t.array = convert(t.array)
                    if t.grad is not None:
                        t.grad.array = convert(t.grad.array)
            if hasattr(module, '_lazy_to'):      # lazy layers remember where to build
                module._lazy_to(device, dtype)
        return self

    def cpu(self):
        """Move parameters and buffers to the CPU, in place."""
        return self.to('cpu')

    def cuda(self, device=None):
        """Move parameters and buffers to the GPU, in place."""
        return self.to('cuda' if device is None else f'cuda:{int(device)}')

    def float(self):
        """Cast floating-point parameters and buffers to float32, in place."""
        return self.to(backend.float32)

    def double(self):
        """Cast floating-point parameters and buffers to float64, in place."""
        return self.to(backend.float64)

    # ------------------------------------------------------------ state
    def state_dict(self, destination=None, prefix='', keep_vars=False):
        """An OrderedDict of every parameter and persistent buffer by dotted name.

        The values are detached Tensors that SHARE the module's arrays (as PyTorch returns
        references): later training changes them. Copy them (``{k: v.numpy().copy()}``) to keep
        a snapshot. ``keep_vars=True`` returns the Parameters themselves.
        """
        out = collections.OrderedDict() if destination is None else destination
        # every path to a shared module is listed, as PyTorch does (and expects when loading)
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip('.'),
                                                        remove_duplicate=False):
            dot = module_prefix + '.' if module_prefix else ''
            for name, p in module._parameters.items():
                if p is not None:
                    out[dot + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[dot + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (Tensors or NumPy arrays) into the existing parameters and buffers.

        Values are copied into the current arrays (on the module's device, in its dtypes; a
        value whose dtype cannot be cast 'same_kind', e.g. floats into an integer buffer, is an
        error). Unbuilt lazy layers are first built from the stored shapes. Shape and dtype
        mismatches are always errors; with ``strict`` missing and unexpected keys are too, all
        listed in one RuntimeError. Returns (missing_keys, unexpected_keys).
        """
        return load_state_dict(self, state_dict, strict)

    # ------------------------------------------------------------ printing
    def extra_repr(self):
        """The text inside this module's parentheses in repr (override in layers)."""
        return ''

    def __repr__(self):
        lines = [line for line in self.extra_repr().split('\n') if line]
        for name, child in self._modules.items():
            text = repr(child).replace('\n', '\n  ')
            lines.append(f'({name}): {text}')
        if not self._modules:
            return f"{type(self).__name__}({', '.join(lines)})"
        return f"{type(self).__name__}(\n  " + '\n  '.join(lines) + '\n)'

    def summary(self, input_shape=None, batch_size=2, print_fn=print, **kwargs):
        """Print a table of layers, output shapes and parameter counts; returns None, or the
        table without printing it with ``print_fn=None`` (see ``minidl.nn.summary``)."""
        from .summary import summary
        return summary(self, input_shape, batch_size=batch_size, print_fn=print_fn, **kwargs)
