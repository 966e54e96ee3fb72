"""sgp-fake: a stateful, spec-exact fake of the Scale Generative AI Platform API for tests."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Where each public name lives. Nothing is imported until a name is used: the pytest plugin
# (sgp_fake.plugin) is loaded by every pytest session where sgp-fake is installed, and with it
# this package; importing the fake eagerly (pydantic's models, Starlette) cost each of those
# sessions about 0.13 s even when no test used a fixture. Likewise the standalone server never
# needs httpx (the transports), in-process tests never need uvicorn (LiveServer), and a suite
# that starts servers as child processes (ServerProcess) needs neither.
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
    "LiveServer": "live_server",
    "ServerProcess": "cli.process",
    "DEFAULT_IDENTITY": "settings",
    "FakeSettings": "settings",
    "Identity": "settings",
    "ModelTemplateStore": "resources.model_templates.store",
    "StoredTemplate": "resources.model_templates.store",
    "seeded_ids": "clock",
    "AsyncFakeTransport": "transport",
    "FakeTransport": "transport",
}

# One list of the public names, not two to keep in step; type checkers read the "as" imports
# below, which is what a literal __all__ would give them.
__all__ = sorted(_HOMES)  # noqa: PLE0605

if TYPE_CHECKING:  # the same names for type checkers ("as" marks each a re-export)
    from .cli.process import ServerProcess as ServerProcess
    from .clock import seeded_ids as seeded_ids
    from .core.faults import ConnectionFault as ConnectionFault
    from .core.faults import FaultRule as FaultRule
    from .core.journal import Journal as Journal
    from .core.journal import JournalEntry as JournalEntry
    from .core.ratelimit import RateLimit as RateLimit
    from .errors import FakeHTTPError as FakeHTTPError
    from .fake import DEFAULT_API_KEY as DEFAULT_API_KEY
    from .fake import DEFAULT_BASE_URL as DEFAULT_BASE_URL
    from .fake import SGPFake as SGPFake
    from .live_server import LiveServer as LiveServer
    from .resources.model_templates.store import ModelTemplateStore as ModelTemplateStore
    from .resources.model_templates.store import StoredTemplate as StoredTemplate
    from .settings import DEFAULT_IDENTITY as DEFAULT_IDENTITY
    from .settings import FakeSettings as FakeSettings
    from .settings import Identity as Identity
    from .transport import AsyncFakeTransport as AsyncFakeTransport
    from .transport import FakeTransport as FakeTransport


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
