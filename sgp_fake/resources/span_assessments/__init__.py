"""Span assessments: ``/v5/span-assessments``, comments, ratings, approvals, rubrics,
metadata and overwrites attached to a span (the trace's root by default)."""

from __future__ import annotations

import dataclasses

from ...core.crud import crud
from ...core.operations import Resource
from . import handlers
from .schemas import (
    AssessmentListParams,
    SpanAssessment,
    SpanAssessmentCreate,
    SpanAssessmentDeleted,
    SpanAssessmentList,
    SpanAssessmentUpdate,
)

__all__ = ["KIND", "RESOURCE"]

KIND = "span_assessments"

_CONTENT = "Content that does not fit the assessment's type (its own field, and a comment)"
# What the handlers answer beyond the standard operations.
_OVERWRITE = "A second overwrite assessment of the same span"
_ERRORS = {
    "create": {
        "400": "No account selected (x-selected-account-id) and the caller has several",
        "404": "No span of that trace and id, or (without span_id) a trace with no root span",
        "409": _OVERWRITE,
        "422": _CONTENT,
    },
    "list": {"400": "Neither span_id nor trace_id"},
    "update": {"409": _OVERWRITE, "422": _CONTENT},
}

RESOURCE = Resource(
    kind=KIND,
    stored=SpanAssessment,
    noun="Span assessment",
    tag="Span Assessments",
    operations=tuple(
        dataclasses.replace(op, errors=_ERRORS[op.verb]) if op.verb in _ERRORS else op
        for op in crud(
            "/v5/span-assessments",
            "span_assessment_id",
            noun="span_assessment",
            create=SpanAssessmentCreate,
            response=SpanAssessment,
            page=SpanAssessmentList,
            list_params=AssessmentListParams,
            deleted=SpanAssessmentDeleted,
            update=SpanAssessmentUpdate,
            verbs=("create", "list", "get", "update", "delete"),
            handlers={
                "create": handlers.create,
                "list": handlers.list_assessments,
                "get": handlers.retrieve,
                "update": handlers.update,
                "delete": handlers.delete,
            },
            list_description="The assessments of a span or of a trace (one of span_id, trace_id; "
            "400 for neither), oldest first, in one page.",
        )
    ),
    made_up=handlers.made_up,
    example={"assessment_type": "comment", "trace_id": "trace_1", "comment": "good"},
)
