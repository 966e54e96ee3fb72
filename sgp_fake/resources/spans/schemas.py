"""Pydantic v2 models of the v5 spans contract (``/v5/spans``), as ``scale_gp_beta`` types it.

Timestamps are read as ISO date-times (a naive one is UTC) and written back in UTC with an
explicit offset, as every record's ``created_at``. Ids are any string up to 256 characters:
the OpenAI Agents processor sends ``trace_<32 hex>`` and ``span_<24 hex>``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Dict, List, Literal, Optional

from pydantic import AfterValidator, Field, field_serializer

from ...core.lazy_model import LazyModel
from ..common import utc_created_at

__all__ = [
    "MAX_BATCH",
    "SPAN_STATUSES",
    "SPAN_TYPES",
    "Span",
    "SpanBatchRequest",
    "SpanCreateRequest",
    "SpanCreatedBy",
    "SpanList",
    "SpanPage",
    "SpanRef",
    "SpanSearchBody",
    "SpanSearchQuery",
    "SpanStatus",
    "SpanType",
    "SpanUpdateRequest",
]

SpanStatus = Literal["SUCCESS", "ERROR", "CANCELED"]
SpanType = Literal[
    "TEXT_INPUT",
    "TEXT_OUTPUT",
    "COMPLETION_INPUT",
    "COMPLETION",
    "KB_RETRIEVAL",
    "KB_INPUT",
    "RERANKING",
    "EXTERNAL_ENDPOINT",
    "PROMPT_ENGINEERING",
    "DOCUMENT_INPUT",
    "MAP_REDUCE",
    "DOCUMENT_SEARCH",
    "DOCUMENT_PROMPT",
    "CUSTOM",
    "CODE_EXECUTION",
    "DATA_MANIPULATION",
    "EVALUATION",
    "FILE_RETRIEVAL",
    "KB_ADD_CHUNK",
    "KB_MANAGEMENT",
    "GUARDRAIL",
    "OUTPUT_GUARDRAIL",
    "TRACER",
    "AGENT_TRACER",
    "AGENT_WORKFLOW",
    "STANDALONE",
]
SPAN_STATUSES: tuple[str, ...] = SpanStatus.__args__  # type: ignore[attr-defined]
SPAN_TYPES: tuple[str, ...] = SpanType.__args__  # type: ignore[attr-defined]

MAX_BATCH = 1000
"""The most spans one batch (insert or upsert) carries."""

# Not empty: GET /v5/spans/{span_id} must be able to name it (/v5/spans/ is another path).
_ID = Field(default=None, min_length=1, max_length=256, description="1 to 256 characters.")


def _in_utc(value: datetime) -> datetime:
    # A moment at the calendar's edge whose offset moves it past year 1 or 9999 in UTC: the
    # spans are kept and compared in UTC, as the usage route refuses such a date.
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError("the date is out of range in UTC") from None
    return value


Moment = Annotated[datetime, AfterValidator(_in_utc)]
"""A timestamp that has a UTC time (what the spans are kept and compared in)."""


class SpanCreateRequest(LazyModel):
    """One span to store (``POST /v5/spans``, and each item of a batch)."""

    name: str
    start_timestamp: Moment
    trace_id: str = Field(max_length=256)
    id: Optional[str] = _ID
    parent_id: Optional[str] = Field(default=None, max_length=256)
    group_id: Optional[str] = _ID
    application_interaction_id: Optional[str] = None
    application_variant_id: Optional[str] = None
    end_timestamp: Optional[Moment] = None
    input: Optional[Dict[str, Any]] = None
    output: Optional[Dict[str, Any]] = None
    metadata: Optional[Dict[str, Any]] = None
    expected: Optional[Dict[str, Any]] = None
    obs_span_id: Optional[str] = None
    obs_trace_id: Optional[str] = None
    status: Optional[SpanStatus] = None
    type: Optional[SpanType] = None


class SpanBatchRequest(LazyModel):
    """``POST`` and ``PUT /v5/spans/batch``: at most :data:`MAX_BATCH` spans."""

    items: List[SpanCreateRequest] = Field(max_length=MAX_BATCH)


class SpanUpdateRequest(LazyModel):
    """``PATCH /v5/spans/{span_id}``: the fields it sets."""

    end_timestamp: Optional[Moment] = None
    metadata: Optional[Dict[str, Any]] = None
    name: Optional[str] = None
    output: Optional[Dict[str, Any]] = None
    status: Optional[SpanStatus] = None


class SpanCreatedBy(LazyModel):
    """Who stored a span."""

    id: str
    type: Literal["user", "service_account"]
    object: Literal["identity"] = "identity"


class Span(LazyModel):
    """A stored span, as every read answers it."""

    id: str
    trace_id: str
    name: str
    start_timestamp: Moment
    end_timestamp: Optional[Moment] = None
    parent_id: Optional[str] = None
    group_id: Optional[str] = None
    status: Optional[SpanStatus] = None
    type: Optional[SpanType] = None
    input: Optional[Dict[str, Any]] = None
    output: Optional[Dict[str, Any]] = None
    metadata: Optional[Dict[str, Any]] = None
    expected: Optional[Dict[str, Any]] = None
    application_interaction_id: Optional[str] = None
    application_variant_id: Optional[str] = None
    obs_span_id: Optional[str] = None
    obs_trace_id: Optional[str] = None
    input_tokens: Optional[int] = None
    output_tokens: Optional[int] = None
    account_id: str
    created_by: Optional[SpanCreatedBy] = None
    object: Literal["span"] = "span"

    @field_serializer("start_timestamp", "end_timestamp")
    def _utc(self, value: datetime | None) -> str | None:
        return None if value is None else utc_created_at(value)


class SpanList(LazyModel):
    """What a batch answers: the spans stored, in the order sent (one per span)."""

    items: List[Span]
    object: Literal["list"] = "list"


class SpanPage(LazyModel):
    """A page of a search: ``has_more`` says whether another follows (``starting_after`` the
    last id, or ``ending_before`` the first)."""

    items: List[Span]
    has_more: bool
    total: int = 0


class SpanRef(LazyModel):
    """One span by its identity in the tracing service."""

    span_id: str
    trace_id: str


class SpanSearchBody(LazyModel):
    """The filters of ``POST /v5/spans/search``: every one given must hold (lists: any of)."""

    acp_types: Optional[List[str]] = None
    agentex_agent_ids: Optional[List[str]] = None
    agentex_agent_names: Optional[List[str]] = None
    application_variant_ids: Optional[List[str]] = None
    assessment_types: Optional[List[str]] = None
    excluded_span_ids: Optional[List[str]] = None
    excluded_spans: Optional[List[SpanRef]] = None
    excluded_trace_ids: Optional[List[str]] = None
    extra_metadata: Optional[Dict[str, Any]] = None
    group_id: Optional[str] = None
    max_duration_ms: Optional[int] = None
    min_duration_ms: Optional[int] = None
    names: Optional[List[str]] = None
    obs_span_ids: Optional[List[str]] = None
    obs_trace_ids: Optional[List[str]] = None
    parent_ids: Optional[List[str]] = None
    parents_only: Optional[bool] = None
    search_texts: Optional[List[str]] = None
    span_ids: Optional[List[str]] = None
    spans: Optional[List[SpanRef]] = None
    statuses: Optional[List[SpanStatus]] = None
    trace_ids: Optional[List[str]] = None
    types: Optional[List[SpanType]] = None


class SpanSearchQuery(LazyModel):
    """The query of ``POST /v5/spans/search``: window, order and cursor."""

    allow_partial_results: Optional[bool] = None
    ending_before: Optional[str] = None
    starting_after: Optional[str] = None
    limit: int = Field(default=50, ge=1, le=1000)
    from_ts: Optional[Moment] = None
    to_ts: Optional[Moment] = None
    sort_by: Optional[str] = None
    sort_order: Literal["asc", "desc"] = "desc"
