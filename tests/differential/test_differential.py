"""minidl agrees with PyTorch on every public tensor op, functional op and layer forward: values,
dtypes, shapes, which side raises, first gradients and (for smooth ops) second gradients.

Each spec runs 20 derandomized examples by default (the whole test takes about 30 s on two
cores, up to two minutes when they are busy); ``MINIDL_DIFFERENTIAL_EXAMPLES=500 python -m
pytest tests/differential`` runs that many random examples per spec instead, a longer search.
"""
import inspect
import os
import warnings

import pytest

torch = pytest.importorskip('torch', reason='the differential test compares minidl with PyTorch')
pytest.importorskip('hypothesis', reason='the differential test draws its cases with hypothesis')

from hypothesis import HealthCheck, given, settings  # noqa: E402

import minidl as mdl  # noqa: E402
from minidl.ops import methods  # noqa: E402

from . import (specs_functional, specs_layers, specs_math, specs_more,  # noqa: E402,F401
               specs_reduce, specs_shape, specs_surface)
from .registry import NOT_COMPARED, PENDING, SPECS  # noqa: E402
from .run import run_case  # noqa: E402

_ASKED = os.environ.get('MINIDL_DIFFERENTIAL_EXAMPLES')
EXAMPLES = int(_ASKED) if _ASKED else 20


@pytest.mark.parametrize('spec', SPECS, ids=lambda s: s.name)
def test_agrees_with_pytorch(spec):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not _ASKED,
              suppress_health_check=list(HealthCheck))
    @given(spec.case)
    def check(case):
        run_case(spec, case)
    check()


def public_names():
    """Every public tensor op ('mdl.x'), Tensor method ('Tensor.x'), functional op ('F.x') and
    layer ('nn.X')."""
    names = {f'Tensor.{n}' for n in methods._METHODS} | {'Tensor.T', 'Tensor.mT'}
    for prefix, module in (('mdl', mdl), ('F', mdl.functional)):
        for n in dir(module):
            obj = getattr(module, n)
            if not n.startswith('_') and callable(obj) and not inspect.isclass(obj):
                names.add(f'{prefix}.{n}')
    names |= {f'nn.{n}' for n in mdl.nn.__all__ if inspect.isclass(getattr(mdl.nn, n))}
    return names


def test_every_public_op_has_a_spec():
    covered = {name for s in SPECS for name in s.covers}
    missing = public_names() - covered - set(NOT_COMPARED)
    pending = sorted(missing & set(PENDING))
    if pending:
        warnings.warn(f"{len(pending)} public names are not compared with PyTorch yet "
                      f"(registry.PENDING): {pending}")
    missing = sorted(missing - set(PENDING))
    assert not missing, (f"no differential spec covers {missing}: add one in "
                         "tests/differential/specs_*.py (see registry.py), or list the name in "
                         "registry.NOT_COMPARED with the reason")
