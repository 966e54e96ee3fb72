"""Moved to :mod:`sgp_fake.core.query`; this name stays for existing imports."""

from .core.query import *  # noqa: F403
from .core.query import __all__  # noqa: F401
