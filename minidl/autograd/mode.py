"""Grad mode: whether operations record a graph for backward (``no_grad``, ``enable_grad``)."""
import functools

_enabled = [True]


def is_grad_enabled():
    """True when operations record a graph for backward."""
    return _enabled[0]


class set_grad_enabled:
    """Turn graph recording on or off: as a call (``set_grad_enabled(False)``), as a context
    manager (``with set_grad_enabled(False): ...``) or as a decorator, as in PyTorch."""

    def __init__(self, mode):
        self._previous = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _enabled[0] = self._previous

    def __call__(self, func):
        mode = _enabled[0]
        _enabled[0] = self._previous       # a decorator changes nothing until func runs

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper


class _GradMode:
    """Context manager and decorator (``@no_grad()`` or bare ``@no_grad``) that sets grad mode."""
    mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        return self if func is None else self(func)     # used bare as a decorator

    def __init__(self, func=None):
        pass

    def __enter__(self):
        self._previous = _enabled[0]
        _enabled[0] = self.mode

    def __exit__(self, *exc):
        _enabled[0] = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Operations inside record no graph: ``with mdl.no_grad(): ...`` or ``@mdl.no_grad()``."""
    mode = False


class enable_grad(_GradMode):
    """Re-enable graph recording inside a ``no_grad`` block."""
    mode = True


def inference_mode(mode=True):
    """PyTorch's ``inference_mode``: here the same as ``no_grad`` (``inference_mode(False)``:
    ``enable_grad``), as a context manager or a decorator."""
    if callable(mode):                      # used bare as a decorator
        return no_grad(mode)
    return no_grad() if mode else enable_grad()
