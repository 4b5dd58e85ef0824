"""A Function's fast_backward (its derivative on raw arrays, chosen by the engine when no graph
of the backward is recorded) agrees with its backward on Tensors, for every Function that has
one."""
import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from minidl.autograd import Function
from tests.conftest import to_numpy


def _batch_norm(device, weight=True, bias=True):
    x = mdl.randn(6, 3, 4, dtype=mdl.float64, device=device, requires_grad=True)
    w = mdl.rand(3, dtype=mdl.float64, device=device, requires_grad=True) if weight else None
    b = mdl.randn(3, dtype=mdl.float64, device=device, requires_grad=True) if bias else None
    return lambda: F.batch_norm(x, None, None, w, b, training=True), [t for t in (x, w, b) if t
                                                                       is not None]


def _cross_entropy(device, **options):
    x = mdl.randn(8, 5, dtype=mdl.float64, device=device, requires_grad=True)
    target = mdl.tensor([0, 1, 2, 3, 4, 0, 1, -100], device=device)
    return lambda: F.cross_entropy(x, target, **options), [x]


def _conv(device, shape, out_channels, **options):
    x = mdl.randn(*shape, dtype=mdl.float64, device=device, requires_grad=True)
    groups = options.get('groups', 1)
    w = mdl.randn(out_channels, shape[1] // groups, 3, 3, dtype=mdl.float64, device=device,
                  requires_grad=True)
    b = mdl.randn(out_channels, dtype=mdl.float64, device=device, requires_grad=True)
    return lambda: F.conv2d(x, w, b, **options), [x, w, b]


CASES = {
    'Conv2d': lambda d: _conv(d, (2, 4, 7, 6), 6, stride=2, padding=1, groups=2),
    'Conv2d-dilated': lambda d: _conv(d, (1, 3, 9, 9), 2, dilation=2, padding='same'),
    # wide enough for Winograd F(2x2, 3x3) on the CPU (conv/strategies.py)
    'Conv2d-winograd': lambda d: _conv(d, (1, 64, 128, 128), 64, padding=1),
    'BatchNormTrain': _batch_norm,
    'BatchNormTrain-no-affine': lambda d: _batch_norm(d, weight=False, bias=False),
    'BatchNormTrain-bias-only': lambda d: _batch_norm(d, weight=False),
    'CrossEntropy': _cross_entropy,
    'CrossEntropy-smoothing-weights': lambda d: _cross_entropy(
        d, label_smoothing=0.2, weight=mdl.rand(5, dtype=mdl.float64, device=d)),
    'CrossEntropy-sum': lambda d: _cross_entropy(d, reduction='sum'),
    'CrossEntropy-none': lambda d: _cross_entropy(d, reduction='none'),
    'Standardize-layer_norm': lambda d: _standardize(d, lambda x: F.layer_norm(x, (6, 3))),
    'Standardize-group_norm': lambda d: _standardize(d, lambda x: F.group_norm(x, 3)),
}


def _standardize(device, normalize):
    x = mdl.randn(4, 6, 3, dtype=mdl.float64, device=device, requires_grad=True)
    return lambda: normalize(x), [x]


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_fast_backward_has_a_case():
    fast = {c.__name__ for c in _subclasses(Function) if c.fast_backward is not None}
    covered = {name.split('-')[0] for name in CASES}
    assert fast <= covered, f"fast_backward without a test case: {sorted(fast - covered)}"


@pytest.mark.parametrize('case', sorted(CASES))
def test_fast_backward_agrees_with_backward(case, device):
    make, inputs = CASES[case](device)
    out = make()
    upstream = mdl.randn(*out.shape, dtype=out.dtype, device=device)
    fast = mdl.grad(out, inputs, upstream, retain_graph=True)
    slow = mdl.grad(out, inputs, upstream, create_graph=True)    # backward on Tensors
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(to_numpy(f), to_numpy(s), rtol=1e-10, atol=1e-12)
