"""Which models the gateway serves: ``model="vendor/name"`` resolved.

A name is callable when it is

* in the fake's catalog: the built-in hosted models (:data:`BUILT_IN`, from the names the
  ``scale-gp`` SDK lists, under their vendors) unless ``FakeSettings.gateway_builtin_models``
  is false, plus ``FakeSettings.gateway_models``; or
* a ``/v5/models`` record of the caller's account whose ``model_vendor`` and ``name`` make the
  ``vendor/name``, and that is ``ready``: found by the v5 models resource's own
  ``find_by_name``/``ready_by_name``/``callable_models`` (the one place that knows how those
  records are stored and whose they are), when the fake serves that kind.

Anything else is refused (:func:`resolve`) with a message that names the model and, for an
unknown name, says how to add it.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, NamedTuple

from ...errors import BadRequest, NotFound
from ..v5_models import handlers as v5_models
from .schemas import VENDORS

if TYPE_CHECKING:
    from ...core.call import Call
    from ...settings import FakeSettings

__all__ = [
    "BUILT_IN",
    "V5_MODELS",
    "Entry",
    "catalog",
    "check_name",
    "named_record",
    "resolve",
    "v5_model_entries",
]

V5_MODELS = v5_models.KIND
"""The kind of the caller's ``/v5/models`` records, when the fake serves it."""

_CHAT = "chat_completion"

BUILT_IN: tuple[tuple[str, str, str], ...] = (
    *(
        ("openai", name, _CHAT)
        for name in (
            "gpt-4o", "gpt-4o-mini", "gpt-4o-2024-08-06", "gpt-4.1", "gpt-4.1-mini",
            "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "gpt-4", "gpt-4-0613", "gpt-4-32k",
            "gpt-4-32k-0613", "gpt-3.5-turbo", "gpt-3.5-turbo-0613", "gpt-3.5-turbo-16k",
            "gpt-3.5-turbo-16k-0613", "o1", "o1-mini", "o3-mini", "gpt-oss-120b", "gpt-oss-20b",
        )
    ),
    ("openai", "gpt-3.5-turbo-instruct", "completion"),
    *(
        ("anthropic", name, _CHAT)
        for name in (
            "claude-3-opus-20240229", "claude-3-sonnet-20240229", "claude-3-haiku-20240307",
            "claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022",
        )
    ),
    *(
        ("gemini", name, _CHAT)
        for name in (
            "gemini-pro", "gemini-1.5-pro-001", "gemini-1.5-pro-002",
            "gemini-1.5-pro-preview-0409", "gemini-1.5-pro-preview-0514",
        )
    ),
    *(
        ("llmengine", name, _CHAT)
        for name in (
            "llama-2-7b-chat", "llama-2-13b-chat", "llama-2-70b-chat", "llama-3-8b-instruct",
            "llama-3-70b-instruct", "llama-3-1-8b-instruct", "llama-3-1-70b-instruct",
            "llama-3-2-1b-instruct", "llama-3-2-3b-instruct", "llama-3-3-70b-instruct",
            "mixtral-8x7b-instruct", "mixtral-8x22b-instruct",
        )
    ),
)  # fmt: skip
"""The hosted models every fake serves by default: (vendor, name, model type)."""


class Entry(NamedTuple):
    """A callable model."""

    vendor: str
    name: str
    model_type: str

    @property
    def full_name(self) -> str:
        return f"{self.vendor}/{self.name}"


def check_name(full_name: str) -> str:
    """``full_name`` if it is ``vendor/name`` with a known vendor, else ``ValueError``."""
    vendor, slash, name = full_name.partition("/")
    if not slash or not name:
        raise ValueError(f"{full_name!r} is not vendor/name (for example openai/gpt-4o-mini)")
    if vendor not in VENDORS:
        raise ValueError(f"{full_name!r}: unknown vendor {vendor!r} (one of {', '.join(VENDORS)})")
    return full_name


def catalog(settings: FakeSettings) -> list[Entry]:
    """The fake's catalog: built-in models (unless turned off), then the added names."""
    entries: dict[str, Entry] = {}
    if settings.gateway_builtin_models:
        for vendor, name, model_type in BUILT_IN:
            entries[f"{vendor}/{name}"] = Entry(vendor, name, model_type)
    for full_name in settings.gateway_models:
        vendor, _, name = full_name.partition("/")
        entries.setdefault(full_name, Entry(vendor, name, _CHAT))
    return list(entries.values())


@functools.lru_cache(maxsize=16)
def _names(builtin: bool, added: tuple[str, ...]) -> frozenset[str]:
    """The full names of the catalog of these settings (built once: each call checks one)."""
    names = {f"{vendor}/{name}" for vendor, name, _ in BUILT_IN} if builtin else set()
    return frozenset(names.union(added))


def v5_model_entries(call: Call, account_id: str | None = None) -> list[Entry]:
    """The caller's ``ready`` ``/v5/models`` records (of the selected account, else of every
    account the caller may use), as callable models; none when the fake serves no
    ``/v5/models``."""
    if V5_MODELS not in call.backend.tables:
        return []
    entries = []
    for record in v5_models.callable_models(call, account_id):
        data = json.loads(record.body)
        entries.append(Entry(data["model_vendor"], data["name"], data["model_type"]))
    return entries


def named_record(call: Call, name: str, account_id: str | None = None) -> str | None:
    """``vendor/name`` of the caller's ``/v5/models`` record called ``name`` alone, whatever
    its status (the oldest, whatever its vendor), or ``None``: a v4 route that names a model
    alone reaches a record that is not ready through :func:`resolve`, which says so."""
    if V5_MODELS not in call.backend.tables:
        return None
    record = v5_models.find_by_name(call, None, name, account_id)
    return None if record is None else v5_models.model_name(record)


def resolve(call: Call, model: str, account_id: str | None = None) -> str:
    """The model a request names, checked: ``model`` itself when it can be called; 400 for a
    name that is not ``vendor/name`` or a managed model that is not ready, 404 for an unknown
    one. In contract mode every name is callable (the SDKs' generated tests send ``model``)."""
    settings = call.settings
    if settings.contract:
        return model
    vendor, slash, name = model.partition("/")
    if not slash or not vendor or not name:
        # A bare name gets its vendor in the example; a name with a slash already is not one.
        example = f"openai/{model}" if model and not slash else "openai/gpt-4o-mini"
        raise BadRequest(
            f"Model {model!r} is not vendor/name: name the vendor, for example {example}"
        )
    if model in _names(settings.gateway_builtin_models, tuple(settings.gateway_models)):
        return model
    # A /v5/models record of the caller's account: ready, or a 400 naming it and its status.
    tables = call.backend.tables
    if V5_MODELS in tables and v5_models.ready_by_name(call, vendor, name, account_id) is not None:
        return model
    if vendor not in VENDORS:
        # The settings refuse such a name, so the advice below would send the caller in circles.
        raise NotFound(
            f"Model {model} is not available: {vendor!r} is not a vendor the gateway knows "
            f"(one of {', '.join(VENDORS)})"
        )
    raise NotFound(
        f"Model {model} is not available: it is neither in the fake's catalog nor a /v5/models "
        f"record of the account. Add it with FakeSettings(gateway_models=[{model!r}]), the "
        f"marker's gateway_models=[{model!r}], or sgp-fake serve --gateway-model {model}"
    )
