"""Pydantic v2 models of the v5 span assessments contract (``/v5/span-assessments``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Literal, Optional

from pydantic import field_serializer

from ...core.lazy_model import LazyModel
from ..common import utc_created_at

__all__ = [
    "ASSESSMENT_TYPES",
    "AssessmentListParams",
    "AssessmentType",
    "SpanAssessment",
    "SpanAssessmentCreate",
    "SpanAssessmentDeleted",
    "SpanAssessmentList",
    "SpanAssessmentUpdate",
]

AssessmentType = Literal["comment", "rating", "approval", "rubric", "metadata", "overwrite"]
ASSESSMENT_TYPES: tuple[str, ...] = AssessmentType.__args__  # type: ignore[attr-defined]
CONTENT_FIELDS = ("approval", "metadata", "overwrite", "rating", "rubric")
"""The content field of each type but ``comment`` (its own content is ``comment``)."""


class _Content(LazyModel):
    approval: Optional[Literal["approved", "rejected"]] = None
    comment: Optional[str] = None
    metadata: Optional[Dict[str, Any]] = None
    overwrite: Optional[Dict[str, Any]] = None
    rating: Optional[int] = None
    rubric: Optional[Dict[str, str]] = None


class SpanAssessmentCreate(_Content):
    """``POST /v5/span-assessments``: an assessment of a span (the trace's root when
    ``span_id`` is left out)."""

    assessment_type: AssessmentType
    trace_id: str
    span_id: Optional[str] = None


class SpanAssessmentUpdate(_Content):
    """``PATCH /v5/span-assessments/{span_assessment_id}``: the fields it sets."""

    assessment_type: Optional[AssessmentType] = None


class SpanAssessment(_Content):
    """A stored assessment, as every read answers it (``id`` is ``assessment_id``)."""

    assessment_id: str
    assessment_type: AssessmentType
    trace_id: str
    span_id: str
    id: str
    account_id: str
    created_by: str
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    object: Literal["span.assessment"] = "span.assessment"

    @field_serializer("created_at", "updated_at")
    def _utc(self, value: datetime | None) -> str | None:
        return None if value is None else utc_created_at(value)


class SpanAssessmentList(LazyModel):
    """Every assessment the list's filters keep, oldest first: one page, no cursor."""

    items: List[SpanAssessment]


class AssessmentListParams(LazyModel):
    """``GET /v5/span-assessments``: by span or by trace, and type."""

    assessment_type: Optional[AssessmentType] = None
    span_id: Optional[str] = None
    trace_id: Optional[str] = None


class SpanAssessmentDeleted(LazyModel):
    """What a delete answers."""

    id: str
    deleted: bool
    object: Literal["span.assessment"] = "span.assessment"
