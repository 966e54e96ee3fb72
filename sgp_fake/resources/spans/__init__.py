"""Spans: ``/v5/spans``, what ``scale_gp_beta.lib.tracing`` sends (``PUT /v5/spans/batch``).

A span belongs to the caller's account and is keyed by its trace and id; see
:mod:`.handlers` for what the fake decides where the contract is silent. A test reads the
traces as trees through ``fake.traces`` (``sgp_fake.extras.traces``).
"""

from __future__ import annotations

from ...core.operations import Operation, Resource
from . import handlers
from .schemas import (
    Span,
    SpanBatchRequest,
    SpanCreateRequest,
    SpanList,
    SpanPage,
    SpanSearchBody,
    SpanSearchQuery,
    SpanUpdateRequest,
)
from .state import check_state
from .table import SpanTable, span_key

__all__ = ["KIND", "RESOURCE", "SpanTable", "span_key"]

KIND = "spans"

_NOT_FOUND = "No span with that id is visible to the caller"
_WRITE_ERRORS = {
    "400": "No account selected (x-selected-account-id) and the caller has several",
    "409": "A span that exists (insert only), a parent that is a span of another trace, or a "
    "cycle of parents; nothing is written",
    "422": "An end before the start, an id over 256 characters, more than 1,000 spans",
}

RESOURCE = Resource(
    kind=KIND,
    stored=Span,
    noun="Span",
    tag="Spans",
    table=SpanTable,
    operations=(
        Operation(
            "create_span",
            "POST",
            "/v5/spans",
            handlers.create,
            summary="Create Span",
            description="Insert one span in the caller's account; a missing id is generated.",
            body=SpanCreateRequest,
            response=Span,
            errors=_WRITE_ERRORS,
            verb="create",
        ),
        Operation(
            "batch_spans",
            "POST",
            "/v5/spans/batch",
            handlers.batch,
            summary="Batch Create Spans",
            description="Insert up to 1,000 spans: all or nothing.",
            body=SpanBatchRequest,
            response=SpanList,
            errors=_WRITE_ERRORS,
        ),
        Operation(
            "upsert_batch_spans",
            "PUT",
            "/v5/spans/batch",
            handlers.upsert_batch,
            summary="Upsert Spans",
            description="Insert or replace up to 1,000 spans, keyed by trace and id: a span "
            "sent twice is one span, a completed span is not replaced by one in progress, "
            "otherwise the later wins.",
            body=SpanBatchRequest,
            response=SpanList,
            errors={k: v for k, v in _WRITE_ERRORS.items() if k != "409"}
            | {"409": "A parent that is a span of another trace, or a cycle of parents"},
        ),
        Operation(
            "search_spans",
            "POST",
            "/v5/spans/search",
            handlers.search,
            summary="Search Spans",
            description="The spans of the caller's accounts every filter of the body keeps, "
            "in the query's window and order, a page at a time (cursors are span ids).",
            body=SpanSearchBody,
            query=SpanSearchQuery,
            response=SpanPage,
            errors={"422": "A reversed window, or more than 10,000 ids in the id filters"},
        ),
        Operation(
            "get_span",
            "GET",
            "/v5/spans/{span_id}",
            handlers.retrieve,
            summary="Get Span",
            description="The newest span with that id the caller may see.",
            response=Span,
            not_found=_NOT_FOUND,
            verb="get",
        ),
        Operation(
            "update_span",
            "PATCH",
            "/v5/spans/{span_id}",
            handlers.update,
            summary="Update Span",
            description="Set the fields sent of the newest span with that id.",
            body=SpanUpdateRequest,
            response=Span,
            not_found=_NOT_FOUND,
            errors={"422": "An end before the start"},
            verb="update",
        ),
    ),
    made_up=handlers.made_up,
    example={"name": "root", "trace_id": "trace_1", "start_timestamp": "2024-01-01T00:00:00Z"},
    check_state=check_state,
    identity=("account_id", "trace_id", "id"),
)
