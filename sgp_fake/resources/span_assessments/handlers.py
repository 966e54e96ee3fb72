"""What the span assessments API does (``/v5/span-assessments``).

Outside contract mode (where the SDK's generated tests send values these refuse):

* exactly the content field of the type is sent (``comment`` may go with any; a ``comment``
  assessment needs its comment), else 422; ``rating`` is 1 to 5 (422);
* the span must exist in the caller's account (404); without ``span_id`` the trace's root span
  (the one without a parent) is meant, 404 when the trace has none;
* a span has one ``overwrite`` at a time: a second is a 409;
* a list names ``span_id`` or ``trace_id`` (400 for neither).

Reads, updates and deletes see the selected account's assessments (else those of every account
the caller may use), as the spans' reads do; update and delete are open to any caller who may
use the account (the fake has no roles).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from ...core.answers import Answer, ok
from ...core.call import Call
from ...core.table import Record, Table
from ...errors import BadRequest, NotFound
from ..common import merged_update
from ..spans.handlers import Conflict, Unprocessable, account_of
from ..spans.table import SpanTable, span_key
from .schemas import (
    CONTENT_FIELDS,
    AssessmentListParams,
    SpanAssessment,
    SpanAssessmentCreate,
    SpanAssessmentUpdate,
)

__all__ = ["create", "delete", "list_assessments", "made_up", "retrieve", "update"]

SPANS = "spans"


def _check_content(data: Mapping[str, Any]) -> None:
    """422 unless the content fields fit the type (see the module docstring)."""
    kind = str(data.get("assessment_type"))
    if data.get(kind) is None:
        raise Unprocessable(f"An assessment of type {kind} needs its {kind}")
    others = [f for f in CONTENT_FIELDS if f != kind and data.get(f) is not None]
    if others:
        carried = kind if kind == "comment" else f"{kind} and a comment"
        raise Unprocessable(
            f"An assessment of type {kind} carries its {carried} only, not {', '.join(others)}"
        )
    rating = data.get("rating")
    if rating is not None and not 1 <= rating <= 5:
        raise Unprocessable(f"rating is 1 to 5, not {rating}")


def _span(call: Call, account: str, trace_id: str, span_id: str | None) -> str:
    """The id of the assessed span (404; the trace's root without ``span_id``)."""
    spans = call.table(SPANS)
    assert isinstance(spans, SpanTable)
    if span_id is not None:
        if spans.stored(span_key(account, trace_id, span_id)) is None:
            raise NotFound(f"Span {span_id} of trace {trace_id} not found")
        return span_id
    roots = [
        r.as_dict()["id"]
        for r in spans.of_trace(trace_id)
        if r.account_id == account and r.as_dict().get("parent_id") is None
    ]
    if not roots:
        raise NotFound(f"Trace {trace_id} has no root span")
    return str(roots[0])


def _now(table: Table[Any]) -> str:
    from ..common import utc_created_at

    return utc_created_at(table.clock())


def _store(table: Table[Any], data: dict[str, Any]) -> bytes:
    return table.validate(data).model_dump_json(exclude_none=True).encode()


def create(call: Call) -> Answer:
    """``POST /v5/span-assessments``."""
    identity = call.identity()
    request = call.body(SpanAssessmentCreate)
    account = account_of(call)
    contract = call.settings.contract
    fields = request.model_dump(exclude_none=True)
    table = call.table()
    with call.transaction():
        if contract:
            span_id = request.span_id or "span_id"
        else:
            _check_content(fields)
            span_id = _span(call, account, request.trace_id, request.span_id)
            if request.assessment_type == "overwrite":
                _refuse_second_overwrite(table, account, request.trace_id, span_id)
        assessment_id = table.new_id()
        now = _now(table)
        data = {
            **fields,
            "span_id": span_id,
            "assessment_id": assessment_id,
            "id": assessment_id,
            "account_id": account,
            "created_by": identity.user_id,
            "created_at": now,
            "updated_at": now,
        }
        record = table.insert(assessment_id, account, _store(table, data))
    return ok(record.body)


def _refuse_second_overwrite(
    table: Table[Any], account: str, trace_id: str, span_id: str, but: str | None = None
) -> None:
    for record in table.all(account):
        data = record.as_dict()
        if (
            data["assessment_type"] == "overwrite"
            and data["trace_id"] == trace_id
            and data["span_id"] == span_id
            and record.id != but
        ):
            raise Conflict(f"Span {span_id} has an overwrite assessment: {record.id}")


def made_up(call: Call, assessment_id: str, account_id: str) -> bytes:
    """Contract mode's assessment for an unknown id."""
    return json.dumps(
        {
            "assessment_id": assessment_id,
            "assessment_type": "comment",
            "trace_id": "trace_id",
            "span_id": "span_id",
            "id": assessment_id,
            "account_id": account_id,
            "created_by": call.identity().user_id,
            "object": "span.assessment",
        },
        separators=(",", ":"),
    ).encode()


def _find(call: Call) -> Record:
    """The assessment of the path the caller may see: of the selected account, when the
    request selects one (404; made up in contract mode)."""
    selected = call.selected_account
    record = call.find(account=selected or None)
    if selected and record.seq != 0 and record.account_id != selected:
        raise NotFound(f"Span assessment {record.id} not found")
    return record


def retrieve(call: Call) -> Answer:
    """``GET /v5/span-assessments/{span_assessment_id}``."""
    return ok(_find(call).body)


def update(call: Call) -> Answer:
    """``PATCH /v5/span-assessments/{span_assessment_id}``: the fields sent, type and content
    checked again (422), one overwrite per span (409). A null removes a field an assessment
    may lack, and leaves its ``assessment_type``, which every assessment has."""
    call.identity()
    request = call.body(SpanAssessmentUpdate)
    table = call.table()
    with call.transaction():
        record = _find(call)
        merged = merged_update(record.as_dict(), request, SpanAssessment)
        merged["updated_at"] = _now(table)
        if not call.settings.contract:
            _check_content(merged)
            if merged["assessment_type"] == "overwrite":
                _refuse_second_overwrite(
                    table, record.account_id, merged["trace_id"], merged["span_id"], record.id
                )
        body = _store(table, merged)
        if record.seq == 0:
            return ok(body)
        return ok(table.update(record.id, body).body)


def delete(call: Call) -> Answer:
    """``DELETE /v5/span-assessments/{span_assessment_id}``: a hard delete."""
    record = _find(call)
    call.delete(record)
    return ok(
        json.dumps(
            {"id": record.id, "deleted": True, "object": "span.assessment"},
            separators=(",", ":"),
        ).encode()
    )


def list_assessments(call: Call) -> Answer:
    """``GET /v5/span-assessments``: of a span or of a trace (400 for neither, outside
    contract mode), oldest first, all in one page."""
    call.identity()
    params = call.query(AssessmentListParams)
    if params.span_id is None and params.trace_id is None and not call.settings.contract:
        raise BadRequest("Exactly one of span_id or trace_id must be supplied")
    accounts = call.accounts(None)
    table = call.table()
    items: list[Record] = []
    for record in table.records(accounts):
        data = record.as_dict()
        if (
            (params.span_id is None or data["span_id"] == params.span_id)
            and (params.trace_id is None or data["trace_id"] == params.trace_id)
            and (
                params.assessment_type is None or data["assessment_type"] == params.assessment_type
            )
        ):
            items.append(record)
    return ok(b"".join((b'{"items":[', b",".join(r.body for r in items), b"]}")))
