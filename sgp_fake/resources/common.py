"""Contract types several SGP resources share: enums, the delete answer, the 422 envelope."""

from __future__ import annotations

import enum

from pydantic import BaseModel

from ..core.envelopes import HTTPValidationError, ValidationError

__all__ = [
    "GPUType",
    "GenericDeleteResponse",
    "HTTPValidationError",
    "IdentifierTypeEnum",
    "ModelType",
    "ValidationError",
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


class GenericDeleteResponse(BaseModel):
    """Answer to a delete."""

    count: int
    success: bool
