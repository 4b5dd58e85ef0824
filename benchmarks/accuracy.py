"""How far float32 gradients are from a float64 computation of the same model, minidl beside
PyTorch.

    python benchmarks/accuracy.py                  # W3 and W6, seeds 0-2
    python benchmarks/accuracy.py -w W6 -s 0 1 2 3 --direct --smooth

For each workload and seed: the model's weights and a batch are drawn once (minidl's
initialisation), copied into minidl float32, PyTorch float32 and PyTorch float64 (the
reference; minidl float64 is checked to agree with it), and one forward and backward pass
gives every parameter's gradient (W3: the layer's input, weight and bias gradients under a
fixed upstream gradient; W6: ResNet-18's parameters under the cross-entropy loss). The error
of a gradient g is |g - g64| / |g64| (Frobenius norms); printed are the median and the largest
over the parameters.

Two diagnostics say where an error comes from:

- ``--direct``: minidl again with Winograd switched off (every 3x3 convolution by the
  reference's im2col product), which isolates Winograd's own rounding;
- ``--smooth``: the same network with ReLU replaced by softplus(beta=20) (ReLU's kink at 0
  smoothed over 0.05): where a pre-activation sits within rounding of 0, float32 and float64
  may take different sides of the kink and their gradients then differ by the whole upstream
  gradient at that element, in any framework. If the errors shrink with --smooth, kinks made
  them.
"""
import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import models  # noqa: E402


def _relative_errors(grads, reference):
    return {k: float(np.linalg.norm((grads[k] - reference[k]).ravel())
                     / max(np.linalg.norm(reference[k].ravel()), 1e-300)) for k in reference}


class _Smooth:
    """A framework namespace whose F.relu is softplus(beta=20): the --smooth diagnostic."""

    def __init__(self, torch):
        self._torch = torch
        functional = type('functional', (), {})()
        for name in dir(torch.nn.functional):
            if not name.startswith('__'):
                setattr(functional, name, getattr(torch.nn.functional, name))
        functional.relu = lambda x: torch.nn.functional.softplus(x, beta=20)
        self.nn = type('nn', (), {})()
        for name in dir(torch.nn):
            if not name.startswith('__'):
                setattr(self.nn, name, getattr(torch.nn, name))
        self.nn.functional = functional

    def __getattr__(self, name):
        return getattr(self._torch, name)


def _w6_grads(torch, state, x, y, dtype, smooth):
    """Parameter gradients of models.resnet18 under cross entropy, in ``torch`` at ``dtype``."""
    model = models.resnet18(_Smooth(torch) if smooth else torch)
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    model.to(dtype)
    model.train()
    loss = torch.nn.functional.cross_entropy(model(torch.tensor(x).to(dtype)), torch.tensor(y))
    loss.backward()
    return {k: p.grad.numpy().astype(np.float64) for k, p in model.named_parameters()}


def _w3_grads(torch, state, x, upstream, dtype):
    """Input, weight and bias gradients of W3's Conv2d(64, 64, 3, padding=1)."""
    layer = torch.nn.Conv2d(64, 64, 3, padding=1)
    layer.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    layer.to(dtype)
    xt = torch.tensor(x).to(dtype)
    xt.requires_grad_(True)
    layer(xt).backward(torch.tensor(upstream).to(dtype))
    grads = {k: p.grad.numpy().astype(np.float64) for k, p in layer.named_parameters()}
    grads['input'] = xt.grad.numpy().astype(np.float64)
    return grads


def _problem(workload, seed, smooth):
    """(state, arrays): weights (minidl's initialisation, float32) and data for one seed."""
    import minidl
    minidl.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if workload == 'W3':
        layer = minidl.nn.Conv2d(64, 64, 3, padding=1)
        state = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
        x = rng.standard_normal((32, 64, 32, 32), dtype=np.float32)
        return state, (x, rng.standard_normal((32, 64, 32, 32), dtype=np.float32))
    model = models.resnet18(_Smooth(minidl) if smooth else minidl)
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    x = rng.standard_normal((128, 3, 32, 32), dtype=np.float32)
    return state, (x, rng.integers(0, 10, 128))


def errors(workload, seed, direct=False, smooth=False):
    """{'minidl': {...}, 'pytorch': {...}, 'minidl64': {...}}: relative gradient errors per
    parameter against PyTorch float64, for one seed."""
    import minidl
    import torch
    from minidl.functional.conv import strategies
    state, arrays = _problem(workload, seed, smooth)
    if workload == 'W3':
        run = lambda fw, dtype: _w3_grads(fw, state, *arrays, dtype)     # noqa: E731
    else:
        run = lambda fw, dtype: _w6_grads(fw, state, *arrays, dtype, smooth)   # noqa: E731
    reference = run(torch, torch.float64)
    saved = strategies.WINOGRAD_MIN_CHANNELS
    if direct:
        strategies.WINOGRAD_MIN_CHANNELS = float('inf')
    try:
        mine = run(minidl, minidl.float32)
    finally:
        strategies.WINOGRAD_MIN_CHANNELS = saved
    return {'minidl': _relative_errors(mine, reference),
            'pytorch': _relative_errors(run(torch, torch.float32), reference),
            'minidl64': _relative_errors(run(minidl, minidl.float64), reference)}


def summary(per_parameter):
    values = list(per_parameter.values())
    return statistics.median(values), max(values)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('-w', '--workload', nargs='+', default=['W3', 'W6'],
                        choices=['W3', 'W6'])
    parser.add_argument('-s', '--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--direct', action='store_true', help='also minidl without Winograd')
    parser.add_argument('--smooth', action='store_true', help='also W6 with softplus for ReLU')
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
    import torch
    torch.set_num_threads(1)
    variants = [dict()] + ([dict(direct=True)] if args.direct else [])
    if args.smooth:
        variants += [dict(smooth=True)] + ([dict(smooth=True, direct=True)] if args.direct
                                           else [])
    print(f"{'workload':8} {'seed':>4} {'variant':14} {'minidl f32':>21} {'PyTorch f32':>21} "
          f"{'ratio':>6} {'minidl f64':>9}")
    print(f"{'':29}{'median':>10} {'max':>10} {'median':>10} {'max':>10}")
    for workload in args.workload:
        for seed in args.seeds:
            for variant in variants:
                if variant.get('smooth') and workload == 'W3':
                    continue
                e = errors(workload, seed, **variant)
                (mm, mx), (tm, tx) = summary(e['minidl']), summary(e['pytorch'])
                name = '+'.join(k for k in ('direct', 'smooth') if variant.get(k)) or 'as is'
                print(f"{workload:8} {seed:>4} {name:14} {mm:10.2e} {mx:10.2e} {tm:10.2e} "
                      f"{tx:10.2e} {mm / tm:6.2f} {summary(e['minidl64'])[1]:9.1e}",
                      flush=True)


if __name__ == '__main__':
    main()
