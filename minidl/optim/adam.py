"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay and AMSGrad."""
from .optimizer import Optimizer, check_adam_family, hyper, with_grads


class Adam(Optimizer):
    """Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
    maximize=False, decoupled_weight_decay=False)

    PyTorch's algorithm, for each parameter p with gradient g, at step t = 1, 2, ...::

        g = -g if maximize
        p = p * (1 - lr * weight_decay)      if decoupled_weight_decay (AdamW)
        g = g + weight_decay * p             otherwise (L2 penalty), when weight_decay != 0
        m = beta1 * m + (1 - beta1) * g      (computed as m + (1 - beta1) * (g - m), torch's lerp)
        v = beta2 * v + (1 - beta2) * g * g
        v_hat = max(v_hat, v) if amsgrad else v
        p = p - lr / (1 - beta1**t) * m / (sqrt(v_hat) / sqrt(1 - beta2**t) + eps)

    State per parameter: ``'step'`` (int), ``'exp_avg'`` (m), ``'exp_avg_sq'`` (v) and, with
    amsgrad, ``'max_exp_avg_sq'``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, (tuple, list)) else betas,
                        eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        check_adam_family(group)

    def _update_group(self, group):
        lr, eps, weight_decay = hyper(group, 'lr', 'eps', 'weight_decay')
        beta1, beta2 = (float(b) for b in group['betas'])
        amsgrad = group['amsgrad']
        for p, param, g, xp, s in with_grads(self, group):
            if not s:
                s['step'] = 0
                s['exp_avg'] = xp.zeros_like(param)
                s['exp_avg_sq'] = xp.zeros_like(param)
                if amsgrad:
                    s['max_exp_avg_sq'] = xp.zeros_like(param)
            step = s['step'] = s['step'] + 1
            g = adam_gradient(g, param, group, lr, weight_decay)
            tmp = update_moments(s, g, beta1, beta2, xp)      # reused below with out=
            m, v = s['exp_avg'], s['exp_avg_sq']
            if amsgrad:
                v = s.get('max_exp_avg_sq')
                if v is None:                   # amsgrad switched on after the first step
                    v = s['max_exp_avg_sq'] = s['exp_avg_sq'].copy()
                xp.maximum(v, s['exp_avg_sq'], out=v)
            denom = xp.sqrt(v, out=tmp)
            denom /= (1 - beta2 ** step) ** 0.5
            denom += eps
            xp.divide(m, denom, out=tmp)
            tmp *= lr / (1 - beta1 ** step)
            param -= tmp


class AdamW(Adam):
    """AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
    maximize=False)

    Adam with decoupled weight decay: each step first shrinks the parameter,
    ``p = p * (1 - lr * weight_decay)``, instead of adding ``weight_decay * p`` to the gradient.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize,
                         decoupled_weight_decay=True)


def adam_gradient(g, param, group, lr, weight_decay):
    """The gradient an Adam-family update follows: negated when maximizing; weight decay either
    shrinks ``param`` in place (decoupled) or is added to the gradient (L2). Never modifies the
    user's .grad."""
    if group['maximize']:
        g = -g
    if weight_decay != 0:
        if group['decoupled_weight_decay']:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    return g


def update_moments(s, g, beta1, beta2, xp):
    """exp_avg += (1 - beta1) * (g - exp_avg) (torch's lerp) and
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g, in place; returns a scratch array."""
    m, v = s['exp_avg'], s['exp_avg_sq']
    tmp = g - m
    tmp *= 1 - beta1
    m += tmp
    v *= beta2
    xp.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    v += tmp
    return tmp
