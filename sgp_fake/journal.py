"""Moved to :mod:`sgp_fake.core.journal`; this name stays for existing imports."""

from .core.journal import *  # noqa: F403
from .core.journal import __all__  # noqa: F401
