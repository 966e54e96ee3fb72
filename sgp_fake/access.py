"""Moved to :mod:`sgp_fake.core.access`; this name stays for existing imports."""

from .core.access import *  # noqa: F403
from .core.access import __all__  # noqa: F401
