"""Reverse-mode automatic differentiation.

Read in this order: ``function.py`` (a differentiable primitive and the graph node it records),
``engine.py`` (the backward walk, leaf accumulation and ``grad()``), ``views.py`` (tensors that
share memory, for in-place writes), ``mode.py`` (``no_grad``), ``anomaly.py`` (finding the
operation that made a NaN).
"""
from .anomaly import (detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                      set_detect_anomaly)
from .engine import backward, grad
from .function import Function
from .mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ['Function', 'backward', 'detect_anomaly', 'enable_grad', 'grad', 'inference_mode',
           'is_anomaly_check_nan_enabled', 'is_anomaly_enabled', 'is_grad_enabled', 'no_grad',
           'set_detect_anomaly', 'set_grad_enabled']
