"""RAdam: Adam whose adaptive step is switched on gradually, as the variance of its second
moment estimate becomes trustworthy (rectified Adam)."""
from .adam import adam_gradient, update_moments
from .optimizer import Optimizer, check_adam_family, hyper, with_grads


class RAdam(Optimizer):
    """RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, maximize=False)

    PyTorch's algorithm, for each parameter p with gradient g, at step t = 1, 2, ...::

        g = -g if maximize
        p = p * (1 - lr * weight_decay)      if decoupled_weight_decay
        g = g + weight_decay * p             otherwise, when weight_decay != 0
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;     rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        m_hat = m / (1 - beta1**t)
        if rho_t > 5:   (the variance is tractable: adaptive step, rectified)
            r = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
            p = p - lr * m_hat * r * sqrt(1 - beta2**t) / (sqrt(v) + eps)
        else:           (the first few steps: SGD with momentum)
            p = p - lr * m_hat

    State per parameter: ``'step'``, ``'exp_avg'`` (m) and ``'exp_avg_sq'`` (v).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, (tuple, list)) else betas,
                        eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_adam_family(group)

    def _update_group(self, group):
        lr, eps, weight_decay = hyper(group, 'lr', 'eps', 'weight_decay')
        beta1, beta2 = (float(b) for b in group['betas'])
        rho_inf = 2 / (1 - beta2) - 1
        for p, param, g, xp, s in with_grads(self, group):
            if not s:
                s['step'] = 0
                s['exp_avg'], s['exp_avg_sq'] = xp.zeros_like(param), xp.zeros_like(param)
            step = s['step'] = s['step'] + 1
            g = adam_gradient(g, param, group, lr, weight_decay)
            tmp = update_moments(s, g, beta1, beta2, xp)
            bias2 = 1 - beta2 ** step
            rho_t = rho_inf - 2 * step * beta2 ** step / bias2
            scale = lr / (1 - beta1 ** step)
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf /
                        ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                denom = xp.sqrt(s['exp_avg_sq'], out=tmp)
                denom += eps
                xp.divide(s['exp_avg'], denom, out=tmp)
                tmp *= scale * rect * bias2 ** 0.5
            else:
                xp.multiply(s['exp_avg'], scale, out=tmp)
            param -= tmp
