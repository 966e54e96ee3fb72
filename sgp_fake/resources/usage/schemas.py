"""The usage statistics' contract: their query and answer, and the usage record the fake keeps
of every call a deployment answered (the ``usage`` kind)."""

from __future__ import annotations

from datetime import datetime
from typing import List

from pydantic import ConfigDict, Field, field_serializer

from ...core.lazy_model import LazyModel
from ..common import utc_created_at

__all__ = ["MAX_CHUNKS", "ModelUsage", "UsagePoint", "UsageQuery", "UsageRecord"]

MAX_CHUNKS = 10_000
"""The most points a usage statistics answer has."""


class UsageQuery(LazyModel):
    """Query of the usage statistics routes."""

    model_config = ConfigDict(protected_namespaces=())

    chunks: int = Field(
        le=MAX_CHUNKS,
        description="How many points: the range cut into this many equal parts. 0 (or less) "
        "answers no point.",
    )
    start_date: datetime = Field(description="Start of the range (naive: UTC).")
    end_date: datetime = Field(
        description="End of the range, included (naive: UTC). Not after start_date: no point."
    )


class UsagePoint(LazyModel):
    """The tokens served in one part of the range."""

    date: datetime = Field(description="The start of the part.")
    prompt_tokens: int
    response_tokens: int
    summary_tokens: int = Field(description="Prompt and response tokens together.")


class ModelUsage(LazyModel):
    """Answer of the usage statistics routes."""

    data: List[UsagePoint]
    start_date: datetime = Field(
        description="The first point's date (the requested start when there is no point)."
    )
    end_date: datetime = Field(
        description="The last point's date (the requested end when there is no point)."
    )


class UsageRecord(LazyModel):
    """The tokens of one call a deployment answered, as the fake keeps it (the ``usage`` kind
    of the state document; it goes with its deployment)."""

    model_config = ConfigDict(protected_namespaces=())

    id: str
    account_id: str
    created_at: datetime = Field(description="When the call was answered.")
    model_deployment_id: str
    model_instance_id: str
    operation: str = Field(description="The operation that answered it (create_completion, ...).")
    prompt_tokens: int = Field(ge=0)
    response_tokens: int = Field(ge=0)

    @field_serializer("created_at")
    def _created_at_in_utc(self, value: datetime) -> str:
        # As every record writes it (a state document's records are written again as they came).
        return utc_created_at(value)
