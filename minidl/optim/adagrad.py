"""Adagrad: per-coordinate learning rates shrinking with the sum of squared gradients."""
from .. import backend
from .optimizer import Optimizer, _check, hyper, regularized, with_grads


class Adagrad(Optimizer):
    """Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, maximize=False)

    PyTorch's algorithm, for each parameter p with gradient g, at step t = 1, 2, ...::

        g = -g if maximize
        g = g + weight_decay * p                      (if weight_decay != 0)
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                                 (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    State per parameter (created with the optimizer, as in PyTorch): ``'step'`` and ``'sum'``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        """Add a parameter group and create its parameters' state (step 0, sum filled)."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group['params']:         # Adagrad's state exists from the start, as in PyTorch
            self._init_state(p, group)

    def _init_state(self, p, group):
        xp = backend.array_module(p.array)
        s = self.state[p]
        s['step'] = 0
        s['sum'] = xp.full_like(p.array, float(group['initial_accumulator_value']))
        return s

    def _check_group(self, group):
        _check(lambda v: v >= 0.0, 'learning rate', group['lr'])
        _check(lambda v: v >= 0.0, 'lr_decay value', group['lr_decay'])
        _check(lambda v: v >= 0.0, 'weight_decay value', group['weight_decay'])
        _check(lambda v: v >= 0.0, 'initial_accumulator_value value',
               group['initial_accumulator_value'])
        _check(lambda v: v >= 0.0, 'epsilon value', group['eps'])

    def _update_group(self, group):
        lr, lr_decay, eps, weight_decay = hyper(group, 'lr', 'lr_decay', 'eps', 'weight_decay')
        maximize = group['maximize']
        for p, param, g, xp, s in with_grads(self, group):
            if not s or s['sum'].shape != param.shape:
                # state dropped by the user, or a lazy layer's placeholder filled since
                s = self._init_state(p, group)
            step = s['step'] = s['step'] + 1
            g = regularized(g, param, maximize, weight_decay)
            state_sum = s['sum']
            tmp = g * g                         # the one temporary, reused below with out=
            state_sum += tmp
            std = xp.sqrt(state_sum, out=tmp)
            std += eps
            xp.divide(g, std, out=tmp)
            tmp *= lr / (1 + (step - 1) * lr_decay)
            param -= tmp
