"""Reverse-mode automatic differentiation.

Read in this order: ``function.py`` (a differentiable primitive and the graph node it records),
``engine.py`` (the backward walk, leaf accumulation and ``grad()``), ``views.py`` (tensors that
share memory, for in-place writes), ``mode.py`` (``no_grad``).
"""
from .engine import backward, grad
from .function import Function
from .mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ['Function', 'backward', 'enable_grad', 'grad', 'inference_mode', 'is_grad_enabled',
           'no_grad', 'set_grad_enabled']
