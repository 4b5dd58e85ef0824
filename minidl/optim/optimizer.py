"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, step, state_dict.

An optimizer updates parameters in place from their gradients. It works on the raw arrays
(``p.array``, ``p.grad.array``) with in-place array operations, so an update records no autograd
graph and runs the same on NumPy and CuPy; each update bumps the parameter's version, so a graph
built before ``step()`` refuses to backward through the old values, as in PyTorch. Its state (momentum buffers, running averages) is made
with the parameter's array module, so it lives on the parameter's device with its dtype.
"""
from collections import defaultdict

from .. import backend
from ..autograd import enable_grad
from ..tensor import Tensor, make


def _check(ok, what, value):
    """Raise ValueError("Invalid <what>: <value>") unless ``ok`` (PyTorch's wording).
    ``ok`` may be a function of the value, called only once the value is known to be a number."""
    if callable(ok):
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not (
                hasattr(value, 'dtype') and getattr(value, 'ndim', 1) == 0):
            raise TypeError(f"Invalid {what}: expected a number, got {value!r}")
        ok = ok(value)
    if not ok:
        raise ValueError(f"Invalid {what}: {value}")


def _check_betas(betas):
    """Both Adam coefficients must lie in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        _check(0.0 <= beta < 1.0, f"beta parameter at index {i}", beta)


def check_adam_family(group):
    """The hyperparameters Adam, AdamW, NAdam and RAdam share, checked with PyTorch's messages:
    lr, eps and weight_decay >= 0, both betas in [0, 1)."""
    _check(lambda v: v >= 0.0, 'learning rate', group['lr'])
    _check(lambda v: v >= 0.0, 'epsilon value', group['eps'])
    _check_betas(group['betas'])
    _check(lambda v: v >= 0.0, 'weight_decay value', group['weight_decay'])


class Optimizer:
    """Base class of all optimizers.

    ``params`` is an iterable of Tensors, or of dicts (parameter groups) each with a ``'params'``
    entry and any hyperparameters that override ``defaults`` for that group. Subclasses set
    ``defaults``, check hyperparameters in ``_check_group(group)`` and update one group's
    parameters in ``_update_group(group)``.

    Attributes: ``param_groups`` (list of dicts), ``state`` (dict from parameter to its state
    dict), ``defaults``.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._check_group(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a Tensor (wrap it in a list: [param])")
        groups = [params] if isinstance(params, dict) else list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{'params': groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------ hooks for subclasses
    def _check_group(self, group):
        """Raise ValueError for invalid hyperparameters in ``group`` (a dict)."""

    def _update_group(self, group):
        """Update every parameter of ``group`` that has a gradient, in place."""
        raise NotImplementedError

    # ------------------------------------------------------------ public API
    def add_param_group(self, param_group):
        """Add a dict ``{'params': [...], hyperparameter: value, ...}`` of parameters to optimize.

        Missing hyperparameters are filled from ``defaults``. A parameter may be in one group only.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if 'params' not in param_group:
            raise ValueError("a parameter group needs a 'params' entry (a list of Tensors)")
        group = dict(param_group)
        params = group['params']
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        group['params'] = params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__module__}.{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter more than once "
                             "(it would be updated twice per step)")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        seen = {id(p) for g in self.param_groups for p in g['params']}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients: to None (default, cheapest) or to zeros when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group['params']:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif grad.grad_fn is not None:     # a gradient with a graph (create_graph=True)
                    p.grad = make(backend.array_module(grad.array).zeros_like(grad.array))
                else:
                    grad.array.fill(0)

    def step(self, closure=None):
        """Update the parameters once; ``closure()`` re-evaluates the model and returns the loss.

        Returns the closure's loss (None without a closure).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    # ------------------------------------------------------------ checkpoints
    def state_dict(self):
        """The optimizer's state as ``{'state': {index: {name: value}}, 'param_groups': [...]}``.

        Parameters are replaced by their index in the order of ``param_groups`` (PyTorch's
        layout). State arrays are copied into Tensors (a snapshot: later steps do not change
        it); counters and hyperparameters are Python numbers.
        """
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != 'params'}
            packed['params'] = [index.setdefault(id(p), len(index)) for p in group['params']]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group['params']:
                s = self.state.get(p)
                if s:
                    state[index[id(p)]] = {k: _export(v) for k, v in s.items()}
        return {'state': state, 'param_groups': groups}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()``: hyperparameters per group and state per parameter.

        Groups are matched by position and must have the same sizes. State arrays (Tensors,
        NumPy or CuPy arrays) are copied to each parameter's device and dtype.
        """
        saved_groups = state_dict['param_groups']
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, but "
                             f"the optimizer has {len(self.param_groups)}")
        id_map = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group['params']) != len(saved['params']):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {i} has {len(saved['params'])} parameters in "
                    f"the state dict and {len(group['params'])} in the optimizer")
            missing = [k for k in self.defaults if k not in saved]
            if missing:
                raise ValueError(
                    f"loaded state dict's parameter group {i} lacks {type(self).__name__}'s "
                    f"hyperparameters {missing}: was it saved from another optimizer?")
            id_map.update(zip((int(k) for k in saved['params']), group['params']))
        state = defaultdict(dict)
        for key, values in state_dict['state'].items():
            if int(key) not in id_map:
                raise ValueError(f"loaded state dict has state for parameter {key}, which no "
                                 "parameter group lists")
            p = id_map[int(key)]
            state[p] = {name: _import(value, p, name, key) for name, value in values.items()}
        self.param_groups = [{**{k: v for k, v in saved.items() if k != 'params'},
                              'params': group['params']}
                             for group, saved in zip(self.param_groups, saved_groups)]
        self.state = state

    def __repr__(self):
        lines = [f'{type(self).__name__} (']
        for i, group in enumerate(self.param_groups):
            lines.append(f'Parameter Group {i}')
            lines += [f'    {k}: {group[k]}' for k in sorted(group) if k != 'params']
        return '\n'.join(lines) + '\n)'


def _export(value):
    """A state value for state_dict: arrays become Tensors holding a copy, numbers stay."""
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return make(value.copy())


def _import(value, p, name, key):
    """A state value from a state_dict, on ``p``'s device and (for floats) with its dtype."""
    if isinstance(value, Tensor):
        value = value.array
    if not (isinstance(value, backend.NDARRAY) or hasattr(value, '__cuda_array_interface__')):
        return value.item() if isinstance(value, backend.SCALAR_TYPES) else value
    if name == 'step' and value.ndim == 0:     # a step counter saved as a 0-d array
        return int(value.item())
    if value.shape != p.array.shape:
        raise ValueError(f"state {name!r} of parameter {key} has shape {tuple(value.shape)}, but "
                         f"the parameter has shape {tuple(p.array.shape)}")
    value = backend.to_device(value, p.device)
    dtype = p.array.dtype if p.array.dtype.kind == 'f' else value.dtype
    return backend.array_module(value).array(value, dtype=dtype, copy=True)


def with_grads(optimizer, group):
    """(parameter, its array, its gradient's array, their array module, its state dict) for
    each parameter of ``group`` that has a gradient: the head of every update loop."""
    for p in group['params']:
        if p.grad is not None:
            yield p, p.array, p.grad.array, backend.array_module(p.array), optimizer.state[p]
            p._version_counter.count += 1    # updated in place: a graph that saved p is stale


def regularized(g, param, maximize, weight_decay):
    """The gradient an update follows: negated when maximizing, plus weight_decay * param
    (L2 regularisation, coupled); a new array, so the user's .grad is never modified."""
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * param
    return g


def hyper(group, *names):
    """The group's hyperparameters ``names`` as Python floats.

    Python floats keep float32 arrays float32 under NumPy's promotion rules, where a NumPy
    float64 scalar (say, an lr computed with numpy) would silently promote them to float64.
    """
    return [float(group[name]) for name in names]
