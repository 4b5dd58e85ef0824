"""Adadelta: steps scaled by the ratio of running RMS of past updates and of gradients."""
from .optimizer import Optimizer, _check, hyper, regularized, with_grads


class Adadelta(Optimizer):
    """Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)

    PyTorch's algorithm, for each parameter p with gradient g::

        g = -g if maximize
        g = g + weight_decay * p                       (if weight_decay != 0)
        v = rho * v + (1 - rho) * g * g                (running mean square of gradients)
        d = sqrt(u + eps) / sqrt(v + eps) * g          (the step, in the units of p)
        u = rho * u + (1 - rho) * d * d                (running mean square of steps)
        p = p - lr * d

    State per parameter: ``'step'``, ``'square_avg'`` (v) and ``'acc_delta'`` (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        _check(lambda v: v >= 0.0, 'learning rate', group['lr'])
        _check(lambda v: 0.0 <= v <= 1.0, 'rho value', group['rho'])
        _check(lambda v: v >= 0.0, 'epsilon value', group['eps'])
        _check(lambda v: v >= 0.0, 'weight_decay value', group['weight_decay'])

    def _update_group(self, group):
        lr, rho, eps, weight_decay = hyper(group, 'lr', 'rho', 'eps', 'weight_decay')
        for p, param, g, xp, s in with_grads(self, group):
            if not s:
                s['step'], s['square_avg'] = 0, xp.zeros_like(param)
                s['acc_delta'] = xp.zeros_like(param)
            s['step'] += 1
            g = regularized(g, param, group['maximize'], weight_decay)
            square_avg, acc_delta = s['square_avg'], s['acc_delta']
            tmp = g * g                         # two temporaries, reused below with out=
            tmp *= 1 - rho
            square_avg *= rho
            square_avg += tmp
            std = xp.add(square_avg, eps, out=tmp)
            xp.sqrt(std, out=std)
            delta = xp.add(acc_delta, eps)
            xp.sqrt(delta, out=delta)
            delta /= std
            delta *= g
            xp.multiply(delta, delta, out=tmp)
            tmp *= 1 - rho
            acc_delta *= rho
            acc_delta += tmp
            delta *= lr
            param -= delta
