"""cupyx.scipy of the CuPy double: only ``special``."""
from . import special  # noqa: F401
