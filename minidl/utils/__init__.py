"""PyTorch's ``torch.utils`` paths: ``minidl.utils.data`` is ``minidl.data``, loaded on first use
(``import minidl.utils`` loads nothing more)."""
import importlib

__all__ = ['data']


def __getattr__(name):
    if name == 'data':
        return importlib.import_module(f'{__name__}.data')
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
