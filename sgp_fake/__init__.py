"""sgp-fake: a stateful, spec-exact fake of the Scale Generative AI Platform API for tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import FakeHTTPError
from .fake import DEFAULT_API_KEY, DEFAULT_BASE_URL, SGPFake
from .faults import ConnectionFault, FaultRule
from .journal import Journal, JournalEntry
from .ratelimit import RateLimit
from .settings import DEFAULT_IDENTITY, FakeSettings, Identity
from .store import ModelTemplateStore, StoredTemplate, seeded_ids

if TYPE_CHECKING:
    from .server import LiveServer
    from .transport import AsyncFakeTransport, FakeTransport

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_BASE_URL",
    "DEFAULT_IDENTITY",
    "AsyncFakeTransport",
    "ConnectionFault",
    "FakeHTTPError",
    "FakeSettings",
    "FakeTransport",
    "FaultRule",
    "Identity",
    "Journal",
    "JournalEntry",
    "LiveServer",
    "ModelTemplateStore",
    "RateLimit",
    "SGPFake",
    "StoredTemplate",
    "seeded_ids",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The transports import httpx, which the standalone server never needs, and LiveServer
    # imports uvicorn (a sixth of the package's import time), which in-process tests never
    # need: load them on use.
    if name in ("AsyncFakeTransport", "FakeTransport"):
        from . import transport

        return getattr(transport, name)
    if name == "LiveServer":
        from .server import LiveServer

        return LiveServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
