"""Moved to :mod:`sgp_fake.core.faults`; this name stays for existing imports."""

from .core.faults import *  # noqa: F403
from .core.faults import __all__  # noqa: F401
