"""Moved to :mod:`sgp_fake.core.ratelimit`; this name stays for existing imports."""

from .core.ratelimit import *  # noqa: F403
from .core.ratelimit import __all__  # noqa: F401
