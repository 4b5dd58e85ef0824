"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from .optimizer import Optimizer, _check, hyper, regularized, with_grads


class SGD(Optimizer):
    """SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)

    PyTorch's algorithm, for each parameter p with gradient g, at step t::

        g = -g if maximize
        g = g + weight_decay * p                       (if weight_decay != 0)
        b = g  (t = 1),  b = momentum * b + (1 - dampening) * g  (t > 1)   (if momentum != 0)
        g = g + momentum * b if nesterov else b        (if momentum != 0)
        p = p - lr * g

    State per parameter: ``'momentum_buffer'`` (only when momentum != 0).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        _check(lambda v: v >= 0.0, 'learning rate', group['lr'])
        _check(lambda v: v >= 0.0, 'momentum value', group['momentum'])
        _check(lambda v: v >= 0.0, 'weight_decay value', group['weight_decay'])
        if group['nesterov'] and (group['momentum'] <= 0 or group['dampening'] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={group['momentum']}, "
                             f"dampening={group['dampening']})")

    def _update_group(self, group):
        lr, momentum, dampening, weight_decay = hyper(group, 'lr', 'momentum', 'dampening',
                                                      'weight_decay')
        nesterov, maximize = group['nesterov'], group['maximize']
        for p, param, g, xp, s in with_grads(self, group):
            # every expression below makes a new array: the user's .grad is never modified
            g = regularized(g, param, maximize, weight_decay)
            if momentum != 0:
                buf = s.get('momentum_buffer')
                if buf is None:
                    buf = s['momentum_buffer'] = g.copy()
                else:
                    buf *= momentum
                    buf += g if dampening == 0 else (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            param -= lr * g
