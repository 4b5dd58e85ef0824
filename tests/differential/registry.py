"""The one registry of op specs of the differential test, and what "every public op" means.

HOW TO ADD AN OP (e.g. after adding ``minidl.flip``)
----------------------------------------------------
In the spec module of its family (``specs_math.py``, ``specs_reduce.py``, ``specs_shape.py``,
``specs_functional.py``, ``specs_layers.py``, ``specs_more.py``) add one call::

    spec('flip', lambda x, dims: x.flip(dims), lambda x, dims: x.flip(dims),
         case(tensors(kinds='fib'), lambda s: st.fixed_dictionaries({'dims': dims_of(len(s[0]))})),
         covers=['Tensor.flip', 'mdl.flip'])

- ``minidl`` and ``torch``: the same call written for each framework; they receive the case's
  inputs as tensors of their framework, positionally, and its keyword arguments (where
  ``Input``s are turned into tensors too).
- ``case``: a hypothesis strategy of ``draw.Case``; build it with ``draw.case(inputs, kwargs)``
  and the helpers of ``draw.py`` (``tensors`` for broadcasting inputs, ``dims_of`` for a dim
  argument, ``scalars`` for Python numbers...). Draw invalid arguments too: both sides must
  then raise.
- ``grad=False`` for ops with no derivative (comparisons, argmax, casts to int...);
  ``smooth=True`` to compare second derivatives (no kinks: exp, tanh, matmul, softmax...);
  ``tol=(rtol, atol)`` / ``grad_tol`` for ops that sum many terms in float32;
  ``extends=True`` where minidl deliberately accepts what PyTorch refuses (say why in the
  README's table of differences).
- ``covers``: the public names the spec exercises ('mdl.x', 'Tensor.x', 'F.x', 'nn.X').
  ``test_every_public_op_has_a_spec`` fails for a public name that no spec covers and that is
  not in ``NOT_COMPARED`` (with its reason).
"""
import dataclasses
from typing import Callable

from hypothesis import strategies as st


@dataclasses.dataclass
class Spec:
    """One op as minidl and PyTorch call it, and how its cases are drawn."""
    name: str
    minidl: Callable
    torch: Callable
    case: st.SearchStrategy
    covers: tuple = ()
    grad: bool = True
    smooth: bool = False
    extends: bool = False
    tol: tuple = None
    grad_tol: tuple = None

    def __repr__(self):
        return f"Spec({self.name})"


SPECS = []


def spec(name, minidl, torch, case, covers=(), **options):
    """Register a spec (see the module's text)."""
    if any(s.name == name for s in SPECS):
        raise ValueError(f"two specs are named {name!r}")
    SPECS.append(Spec(name, minidl, torch, case, tuple(covers), **options))


# Public names whose spec is still to write, or whose differences are still to settle, and why:
# the coverage test lets them pass with a warning that lists them (issue 14's ops came after the
# differential test was written; ``specs_surface.py`` adds to this).
PENDING = {}

# Public names that no spec compares with PyTorch, and why.
NOT_COMPARED = {
    # creation and randomness: no tensor input to compare on (tests/test_tensor.py checks them)
    **{f'mdl.{n}': 'creation' for n in (
        'arange', 'empty', 'eye', 'from_numpy', 'from_dlpack', 'full', 'linspace', 'ones',
        'tensor', 'zeros', 'rand', 'randn', 'randint', 'randperm', 'normal', 'uniform',
        'manual_seed', 'get_rng_state', 'set_rng_state', 'set_default_device', 'default_device')},
    # autograd, devices and helpers that are not tensor ops
    **{f'mdl.{n}': 'not a tensor op' for n in (
        'grad', 'gradcheck', 'gradgradcheck', 'enable_grad', 'no_grad', 'set_grad_enabled',
        'is_grad_enabled', 'get_num_threads', 'set_num_threads', 'save', 'load', 'summary')},
    'Tensor.to': 'devices and dtypes: covered through .double()/.float()/.long()...',
    'Tensor.cpu': 'device move (tests/test_tensor.py)',
    'Tensor.cuda': 'device move (tests/test_tensor.py)',
    'Tensor.sum_to': "minidl's own (the gradient of broadcasting); PyTorch has no sum_to",
    'Tensor.type': 'as .to(dtype); PyTorch\'s type() takes type strings',
    'F.convolve1d': "minidl's own (the notes' 1-D convolution); no PyTorch function",
    'F.conv_matrix': "minidl's own (the notes' Toeplitz matrix); no PyTorch function",
    'F.conv2d_matrix': "minidl's own (the notes' Toeplitz matrix); no PyTorch function",
    'nn.Module': 'base class', 'nn.Parameter': 'a Tensor', 'nn.Sequential': 'container',
    'nn.ModuleList': 'container', 'nn.ModuleDict': 'container', 'nn.ParameterList': 'container',
    'nn.ParameterDict': 'container',
    'nn.GlobalAvgPool': "minidl's own; compared as AdaptiveAvgPool(1) in tests/test_pool.py",
    # random draws and new tensors: nothing to compare value for value
    **{n: 'random or new tensor (tests/test_tensor_api.py)' for n in (
        'mdl.bernoulli', 'mdl.multinomial', 'mdl.rand_like', 'mdl.randn_like',
        'mdl.randint_like', 'mdl.empty_like', 'mdl.as_tensor', 'Tensor.bernoulli',
        'Tensor.bernoulli_', 'Tensor.exponential_', 'Tensor.normal_', 'Tensor.random_',
        'Tensor.uniform_', 'Tensor.multinomial', 'Tensor.new_empty', 'Tensor.new_full',
        'Tensor.new_ones', 'Tensor.new_tensor', 'Tensor.new_zeros')},
    # attributes, tests of a tensor, no-ops
    **{n: 'not a tensor op (tests/test_tensor_api.py)' for n in (
        'mdl.numel', 'mdl.is_tensor', 'mdl.is_floating_point', 'mdl.inference_mode',
        'mdl.broadcast_shapes', 'Tensor.element_size', 'Tensor.is_complex',
        'Tensor.is_contiguous', 'Tensor.is_floating_point', 'Tensor.ndimension',
        'Tensor.nelement', 'Tensor.stride', 'Tensor.pin_memory', 'Tensor.share_memory_',
        'Tensor.contiguous')},
}
