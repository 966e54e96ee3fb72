"""Contract types several SGP resources share: enums, the delete answer, the 422 envelope."""

from __future__ import annotations

import enum
import functools
from datetime import UTC, datetime
from typing import Any, Callable, Mapping, TypeVar

from pydantic import BaseModel

from ..core.envelopes import HTTPValidationError, ValidationError
from ..core.lazy_model import LazyModel

__all__ = [
    "GPUType",
    "GenericDeleteResponse",
    "HTTPValidationError",
    "IdentifierTypeEnum",
    "ModelType",
    "ValidationError",
    "cache_small",
    "merged_update",
    "utc_created_at",
]


class ModelType(enum.StrEnum):
    """The kind of model a template produces."""

    COMPLETION = "COMPLETION"
    CHAT_COMPLETION = "CHAT_COMPLETION"
    AGENT = "AGENT"
    EMBEDDING = "EMBEDDING"
    RERANKING = "RERANKING"
    GENERIC = "GENERIC"
    BUNDLE = "BUNDLE"


class IdentifierTypeEnum(enum.StrEnum):
    """Kind of identity that made a request."""

    user = "user"
    service_account = "service_account"


class GPUType(enum.StrEnum):
    """GPU models a Launch endpoint can request."""

    nvidia_tesla_t4 = "nvidia-tesla-t4"
    nvidia_ampere_a10 = "nvidia-ampere-a10"
    nvidia_ampere_a100 = "nvidia-ampere-a100"
    nvidia_ampere_a100e = "nvidia-ampere-a100e"
    nvidia_hopper_h100 = "nvidia-hopper-h100"
    nvidia_hopper_h100_1g20gb = "nvidia-hopper-h100-1g20gb"
    nvidia_hopper_h100_3g40gb = "nvidia-hopper-h100-3g40gb"


class GenericDeleteResponse(LazyModel):
    """Answer to a delete."""

    count: int
    success: bool


T = TypeVar("T")

_SMALL = 8192
"""The longest stored JSON a resource's caches keep a result for, in bytes."""


def cache_small(maxsize: int) -> Callable[[Callable[[bytes], T]], Callable[[bytes], T]]:
    """Cache a function of a stored record's JSON, for records of at most 8 KiB.

    The caches live as long as the process, across fakes: a key is held, so a record's JSON
    (a model card can be a megabyte) must not be kept alive by one; larger ones are simply
    computed each time.
    """

    def decorate(function: Callable[[bytes], T]) -> Callable[[bytes], T]:
        cached = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def call(body: bytes) -> T:
            return cached(body) if len(body) <= _SMALL else function(body)

        call.cache_info = cached.cache_info  # type: ignore[attr-defined]  # as lru_cache has it

        return call

    return decorate


def utc_created_at(value: datetime) -> str:
    """A record's ``created_at`` as every record writes it: UTC with an explicit offset
    (``+00:00``), a naive time taken to be UTC; a valid date-time UTC cannot hold (year 1 ahead
    of it, 9999 behind) as given."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC).isoformat()
    except OverflowError:
        return value.isoformat()


@functools.cache
def _required(record: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, info in record.model_fields.items() if info.is_required())


def merged_update(
    stored: Mapping[str, Any], request: BaseModel, record: type[BaseModel]
) -> dict[str, Any]:
    """A stored record (as a dict) with the fields a ``PATCH`` body sets: a ``null`` removes a
    field a ``record`` may lack, and leaves one every record has (a required field) as it is."""
    required = _required(record)
    merged = dict(stored)
    for name, value in request.model_dump(mode="json", exclude_unset=True).items():
        if value is not None:
            merged[name] = value
        elif name not in required:
            merged.pop(name, None)
    return {name: value for name, value in merged.items() if value is not None}
