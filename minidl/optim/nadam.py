"""NAdam: Adam with Nesterov momentum (the next step's momentum applied now)."""
from .adam import adam_gradient, update_moments
from .optimizer import Optimizer, _check, check_adam_family, hyper, with_grads


class NAdam(Optimizer):
    """NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False, maximize=False)

    PyTorch's algorithm, for each parameter p with gradient g, at step t = 1, 2, ...::

        g = -g if maximize
        p = p * (1 - lr * weight_decay)      if decoupled_weight_decay
        g = g + weight_decay * p             otherwise, when weight_decay != 0
        mu_t = beta1 * (1 - 0.96 ** (t * momentum_decay) / 2)     (the momentum schedule)
        P_t = mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

    State per parameter: ``'step'``, ``'mu_product'`` (P_t, a float), ``'exp_avg'`` (m) and
    ``'exp_avg_sq'`` (v). PyTorch keeps mu_product in a float32 tensor unless its default dtype is
    float64; minidl keeps a Python float (float64), so float64 runs match PyTorch's with
    ``torch.set_default_dtype(torch.float64)``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, (tuple, list)) else betas,
                        eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_adam_family(group)
        _check(lambda v: v >= 0.0, 'momentum_decay value', group['momentum_decay'])

    def _update_group(self, group):
        lr, eps, weight_decay, psi = hyper(group, 'lr', 'eps', 'weight_decay', 'momentum_decay')
        beta1, beta2 = (float(b) for b in group['betas'])
        for p, param, g, xp, s in with_grads(self, group):
            if not s:
                s['step'], s['mu_product'] = 0, 1.0
                s['exp_avg'], s['exp_avg_sq'] = xp.zeros_like(param), xp.zeros_like(param)
            step = s['step'] = s['step'] + 1
            g = adam_gradient(g, param, group, lr, weight_decay)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            mu_product = s['mu_product'] = s['mu_product'] * mu
            tmp = update_moments(s, g, beta1, beta2, xp)
            denom = xp.divide(s['exp_avg_sq'], 1 - beta2 ** step, out=tmp)
            xp.sqrt(denom, out=denom)
            denom += eps
            step_g = g / denom
            step_g *= lr * (1.0 - mu) / (1.0 - mu_product)
            param -= step_g
            step_m = xp.divide(s['exp_avg'], denom, out=step_g)
            step_m *= lr * mu_next / (1.0 - mu_product * mu_next)
            param -= step_m
