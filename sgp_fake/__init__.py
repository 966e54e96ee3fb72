"""sgp-fake: a stateful, spec-exact fake of the Scale Generative AI Platform API for tests."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clock import seeded_ids
    from .core.faults import ConnectionFault, FaultRule
    from .core.journal import Journal, JournalEntry
    from .core.ratelimit import RateLimit
    from .errors import FakeHTTPError
    from .fake import DEFAULT_API_KEY, DEFAULT_BASE_URL, SGPFake
    from .resources.model_templates.store import ModelTemplateStore, StoredTemplate
    from .server import LiveServer
    from .settings import DEFAULT_IDENTITY, FakeSettings, Identity
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

# Where each public name lives. Nothing is imported until a name is used: the pytest plugin
# (sgp_fake.plugin) is loaded by every pytest session where sgp-fake is installed, and with it
# this package; importing the fake eagerly (pydantic's models, Starlette) cost each of those
# sessions about 0.13 s even when no test used a fixture. Likewise the standalone server never
# needs httpx (the transports), and in-process tests never need uvicorn (LiveServer).
_HOMES = {
    "FakeHTTPError": "errors",
    "DEFAULT_API_KEY": "fake",
    "DEFAULT_BASE_URL": "fake",
    "SGPFake": "fake",
    "ConnectionFault": "core.faults",
    "FaultRule": "core.faults",
    "Journal": "core.journal",
    "JournalEntry": "core.journal",
    "RateLimit": "core.ratelimit",
    "LiveServer": "server",
    "DEFAULT_IDENTITY": "settings",
    "FakeSettings": "settings",
    "Identity": "settings",
    "ModelTemplateStore": "resources.model_templates.store",
    "StoredTemplate": "resources.model_templates.store",
    "seeded_ids": "clock",
    "AsyncFakeTransport": "transport",
    "FakeTransport": "transport",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Looked up each time rather than cached here: a module removed from sys.modules (as
    # pytest's in-process pytester does after each run) is then imported afresh, never served
    # stale from this package.
    return getattr(importlib.import_module(f".{home}", __name__), name)


def __dir__() -> list[str]:
    # The public names, loaded or not, and the module's own dunders; not what the module
    # needs for itself (importlib, TYPE_CHECKING, ...) nor the submodules importing a public
    # name leaves behind as attributes.
    dunders = (name for name in globals() if name.startswith("__") and name.endswith("__"))
    return sorted({*__all__, *dunders})
