"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from .optimizer import Optimizer, _check, hyper, regularized, with_grads


class RMSprop(Optimizer):
    """RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    maximize=False)

    PyTorch's algorithm, for each parameter p with gradient g::

        g = -g if maximize
        g = g + weight_decay * p                         (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g                  (if centered; torch's lerp form)
        d = sqrt(v - a * a) + eps  if centered  else  sqrt(v) + eps
        b = momentum * b + g / d;  p = p - lr * b        (if momentum > 0)
        p = p - lr * g / d                               (otherwise)

    State per parameter: ``'step'``, ``'square_avg'`` (v), ``'momentum_buffer'`` (b, when
    momentum > 0) and ``'grad_avg'`` (a, when centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        _check(lambda v: v >= 0.0, 'learning rate', group['lr'])
        _check(lambda v: v >= 0.0, 'epsilon value', group['eps'])
        _check(lambda v: v >= 0.0, 'momentum value', group['momentum'])
        _check(lambda v: v >= 0.0, 'weight_decay value', group['weight_decay'])
        _check(lambda v: v >= 0.0, 'alpha value', group['alpha'])

    def _update_group(self, group):
        lr, alpha, eps, weight_decay, momentum = hyper(group, 'lr', 'alpha', 'eps',
                                                       'weight_decay', 'momentum')
        for p, param, g, xp, s in with_grads(self, group):
            if not s:
                s['step'], s['square_avg'] = 0, xp.zeros_like(param)
            s['step'] += 1
            g = regularized(g, param, group['maximize'], weight_decay)
            square_avg = s['square_avg']
            tmp = g * g                         # the one temporary, reused below with out=
            tmp *= 1 - alpha
            square_avg *= alpha
            square_avg += tmp
            avg = _centered(s, g, alpha, tmp, xp) if group['centered'] else \
                xp.sqrt(square_avg, out=tmp)
            avg += eps
            xp.divide(g, avg, out=tmp)          # tmp = g / avg
            if momentum > 0:
                buf = s.get('momentum_buffer')
                if buf is None:                 # momentum switched on later (e.g. OneCycleLR)
                    buf = s['momentum_buffer'] = xp.zeros_like(param)
                buf *= momentum
                buf += tmp
                xp.multiply(buf, lr, out=tmp)
            else:
                tmp *= lr
            param -= tmp


def _centered(s, g, alpha, tmp, xp):
    """sqrt(square_avg - grad_avg**2) into ``tmp``, updating the running mean grad_avg."""
    grad_avg = s.get('grad_avg')
    if grad_avg is None:
        grad_avg = s['grad_avg'] = xp.zeros_like(g)
    xp.subtract(g, grad_avg, out=tmp)
    tmp *= 1 - alpha
    grad_avg += tmp
    xp.multiply(grad_avg, grad_avg, out=tmp)
    xp.subtract(s['square_avg'], tmp, out=tmp)
    return xp.sqrt(tmp, out=tmp)
