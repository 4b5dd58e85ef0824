"""cupy.lib of the CuPy double."""
from . import stride_tricks  # noqa: F401
