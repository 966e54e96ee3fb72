"""sgp-fake: a stateful, spec-exact fake of the Scale Generative AI Platform API for tests."""

from __future__ import annotations

from .errors import FakeHTTPError
from .fake import DEFAULT_API_KEY, DEFAULT_BASE_URL, SGPFake
from .faults import ConnectionFault, FaultRule
from .journal import Journal, JournalEntry
from .ratelimit import RateLimit
from .server import LiveServer
from .settings import DEFAULT_IDENTITY, FakeSettings, Identity
from .store import ModelTemplateStore, StoredTemplate, seeded_ids
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
