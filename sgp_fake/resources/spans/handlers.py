"""What the spans API does (``/v5/spans``); "Traces" in docs/reference/decisions.md.

* A span belongs to the caller's account: the one ``x-selected-account-id`` selects (the v5
  SDK always sends it), else the caller's only account; without either, a 400 (contract mode:
  the account a made-up record would have).
* It is keyed by account, trace and id; a missing ``id`` is generated. Ids are any string of
  at most 256 characters (``trace_<hex>``, ``span_<hex>`` of the OpenAI Agents processor).
* Refused everywhere: an end before the start (422), a batch of more than 1,000 (422), a
  parent that is a span of another trace only (409), a batch that makes a cycle of parents
  (409); nothing of a refused batch is written.
* ``POST`` (create, batch) inserts: a span already stored, or sent twice in one batch, is a
  409 (contract mode: the later one wins, the SDK's generated tests reuse ``id``).
  ``PUT /v5/spans/batch`` upserts: a span sent twice is one span; a completed one (it has an
  ``end_timestamp``) is never replaced by one in progress; otherwise the later wins.
* ``PATCH`` sets the fields sent of the newest visible span with that id.
* Search: every filter given must hold; a window on ``start_timestamp`` (inclusive; reversed:
  422); sorted by ``sort_by`` (``start_timestamp``, ``duration_ms``, ``input_tokens``,
  ``output_tokens``; anything else: ``start_timestamp``), ``sort_order`` (``desc`` by default:
  newest first), ties by ``trace_id`` then ``id``; cursors are span ids (of an id several
  traces hold: the last such span for ``starting_after``, the first for ``ending_before``;
  pages end on a span that makes that exact, see :func:`_page`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Callable, Iterable, Mapping

from ...core.answers import Answer, ok
from ...core.call import Call, contract_account
from ...core.table import Record
from ...errors import BadRequest, FakeHTTPError, NotFound
from ..common import merged_update
from .schemas import (
    Span,
    SpanBatchRequest,
    SpanCreateRequest,
    SpanSearchBody,
    SpanSearchQuery,
    SpanUpdateRequest,
)
from .table import SpanTable, span_key

__all__ = [
    "Conflict",
    "Unprocessable",
    "account_of",
    "batch",
    "create",
    "made_up",
    "retrieve",
    "search",
    "update",
    "upsert_batch",
]

MAX_SEARCH_IDS = 10_000
"""The most ids a search's id filters carry together."""


class Conflict(FakeHTTPError):
    """A write the stored spans refuse (409): a span that exists, a parent of another trace,
    a cycle."""

    status_code = 409
    default_detail = "Conflict"


class Unprocessable(FakeHTTPError):
    """A span the service refuses for what it says (422): an end before its start, a reversed
    search window."""

    status_code = 422
    default_detail = "Unprocessable Entity"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_time(value: Any) -> datetime | None:
    """A stored timestamp (ISO text) as an aware datetime, or ``None``."""
    if not isinstance(value, str):
        return None
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def duration_ms(span: Mapping[str, Any]) -> float | None:
    """A completed span's duration in milliseconds; ``None`` while it is in progress."""
    start, end = parse_time(span.get("start_timestamp")), parse_time(span.get("end_timestamp"))
    if start is None or end is None:
        return None
    return (end - start).total_seconds() * 1000


def account_of(call: Call) -> str:
    """The account a span is written to (see the module docstring)."""
    identity = call.identity()  # 401, and 403 for a selected account it may not use
    selected = call.selected_account
    if selected:
        return selected
    if identity.accounts is not None and len(identity.accounts) == 1:
        return next(iter(identity.accounts))
    if call.settings.contract:
        return contract_account(identity, None)
    raise BadRequest(
        "A span belongs to an account: select one with the x-selected-account-id header"
    )


def _table(call: Call) -> SpanTable:
    table = call.table()
    assert isinstance(table, SpanTable)
    return table


def _fields(
    call: Call, request: SpanCreateRequest, account: str, table: SpanTable
) -> dict[str, Any]:
    start = _utc(request.start_timestamp)
    if request.end_timestamp is not None and _utc(request.end_timestamp) < start:
        raise Unprocessable(
            f"Span {request.id or request.name!r}: end_timestamp is before start_timestamp"
        )
    identity = call.identity()
    fields = request.model_dump(exclude_none=True)
    fields["id"] = request.id if request.id is not None else table.new_id()
    fields["account_id"] = account
    fields["created_by"] = {"id": identity.user_id, "type": identity.identity_type}
    return fields


def _completed(fields: Mapping[str, Any]) -> bool:
    return fields.get("end_timestamp") is not None


def _check_graph(table: SpanTable, account: str, staged: Mapping[str, dict[str, Any]]) -> None:
    """409 for a parent that is a span of another trace only, or a cycle of parents."""
    batch_traces: dict[str, set[str]] = {}
    for fields in staged.values():
        batch_traces.setdefault(fields["id"], set()).add(fields["trace_id"])

    def traces_of(span_id: str) -> set[str]:
        found = set(batch_traces.get(span_id, ()))
        found.update(
            r.as_dict()["trace_id"] for r in table.with_id(span_id) if r.account_id == account
        )
        return found

    def parent_of(trace_id: str, span_id: str) -> str | None:
        fields = staged.get(span_key(account, trace_id, span_id))
        if fields is not None:
            return fields.get("parent_id")
        stored = table.stored(span_key(account, trace_id, span_id))
        return None if stored is None else stored.as_dict().get("parent_id")

    # The spans whose parents are known to end at a root: a walk up from another span stops
    # at one, so a deep trace is walked once per batch, not once per span of the batch.
    rooted: set[tuple[str, str]] = set()
    for fields in staged.values():
        parent, trace_id = fields.get("parent_id"), fields["trace_id"]
        if parent is None:
            continue
        traces = traces_of(parent)
        if traces and trace_id not in traces:
            raise Conflict(
                f"Span {fields['id']!r} of trace {trace_id!r} names parent {parent!r}, a span "
                f"of another trace ({', '.join(sorted(traces))})"
            )
        seen = {fields["id"]}
        current: str | None = parent
        while current is not None and (trace_id, current) not in rooted:
            if current in seen:
                raise Conflict(
                    f"Span {fields['id']!r} of trace {trace_id!r} is its own ancestor: the "
                    "parents form a cycle"
                )
            seen.add(current)
            current = parent_of(trace_id, current)
        rooted.update((trace_id, span_id) for span_id in seen)


def _write(call: Call, requests: Iterable[SpanCreateRequest], *, upsert: bool) -> list[Record]:
    """Store spans as the module docstring says; all or nothing."""
    account = account_of(call)
    table = _table(call)
    contract = call.settings.contract
    with call.transaction():
        staged: dict[str, dict[str, Any]] = {}
        for request in requests:
            fields = _fields(call, request, account, table)
            key = span_key(account, fields["trace_id"], fields["id"])
            previous = staged.get(key)
            if not upsert and not contract and (previous is not None or key in table):
                raise Conflict(
                    f"Span {fields['id']!r} of trace {fields['trace_id']!r} exists: a POST "
                    "inserts (PUT /v5/spans/batch upserts)"
                )
            if previous is not None and _completed(previous) and not _completed(fields):
                continue  # a completed span is not replaced by one in progress
            staged[key] = fields
        order = list(staged)
        kept: dict[str, Record] = {}  # a completed span is not replaced by one in progress
        for key, fields in list(staged.items()):
            existing = table.stored(key)
            if (
                existing is not None
                and upsert
                and not _completed(fields)
                and _completed(existing.as_dict())
            ):
                kept[key] = existing
                del staged[key]  # the graph checked is the one written: the stored span stays
        _check_graph(table, account, staged)
        written: list[Record] = []
        for key in order:
            if key in kept:
                written.append(kept[key])
                continue
            fields = staged[key]
            existing = table.stored(key)
            body = table.validate(fields).model_dump_json(exclude_none=True).encode()
            if existing is not None:
                written.append(table.update(key, body))
            else:
                written.append(table.insert(key, account, body))
    return written


def _list(records: Iterable[Record]) -> bytes:
    return b"".join((b'{"items":[', b",".join(r.body for r in records), b'],"object":"list"}'))


def create(call: Call) -> Answer:
    """``POST /v5/spans``: one span, inserted."""
    call.identity()
    return ok(_write(call, [call.body(SpanCreateRequest)], upsert=False)[0].body)


def batch(call: Call) -> Answer:
    """``POST /v5/spans/batch``: spans inserted, one answer item per span."""
    call.identity()
    return ok(_list(_write(call, call.body(SpanBatchRequest).items, upsert=False)))


def upsert_batch(call: Call) -> Answer:
    """``PUT /v5/spans/batch``: spans upserted (what the tracing library sends)."""
    call.identity()
    return ok(_list(_write(call, call.body(SpanBatchRequest).items, upsert=True)))


def made_up(call: Call, span_id: str, account_id: str) -> bytes:
    """Contract mode's span for an unknown id."""
    return json.dumps(
        {
            "id": span_id,
            "trace_id": "trace_id",
            "name": "span",
            "start_timestamp": "2024-01-01T00:00:00+00:00",
            "account_id": account_id,
            "object": "span",
        },
        separators=(",", ":"),
    ).encode()


def _find(call: Call) -> Record:
    """The newest span the caller may see with the path's id (404; made up in contract mode)."""
    span_id = call.params["span_id"]
    accounts = call.accounts(None)
    found = [
        r for r in _table(call).with_id(span_id) if accounts is None or r.account_id in accounts
    ]
    if found:
        return found[-1]
    if call.settings.contract:
        account = contract_account(call.identity(), call.selected_account)
        return Record(span_id, account, 0, made_up(call, span_id, account))
    raise NotFound(f"Span {span_id} not found")


def retrieve(call: Call) -> Answer:
    """``GET /v5/spans/{span_id}``."""
    return ok(_find(call).body)


def update(call: Call) -> Answer:
    """``PATCH /v5/spans/{span_id}``: the fields sent (``null`` removes one a span may lack,
    and leaves one every span has, its ``name``)."""
    call.identity()
    request = call.body(SpanUpdateRequest)
    table = _table(call)
    with call.transaction():
        record = _find(call)
        merged = merged_update(record.as_dict(), request, Span)
        end, start = parse_time(merged.get("end_timestamp")), parse_time(merged["start_timestamp"])
        if record.seq == 0 and end is not None and start is not None and end < start:
            # A span contract mode made up starts when the caller says it ended at the latest:
            # the generated tests end the unknown "span_id" in 2019.
            merged["start_timestamp"], start = merged["end_timestamp"], end
        if end is not None and start is not None and end < start:
            raise Unprocessable(
                f"Span {record.as_dict()['id']!r}: end_timestamp is before start_timestamp"
            )
        body = table.validate(merged).model_dump_json(exclude_none=True).encode()
        if record.seq == 0:
            return ok(body)
        return ok(table.update(record.id, body).body)


# -- search -----------------------------------------------------------------------------------

_SORTS = ("start_timestamp", "duration_ms", "input_tokens", "output_tokens")


def _any_of(values: list[str] | None, field: str) -> Callable[[dict[str, Any]], bool] | None:
    if values is None:
        return None
    wanted = set(values)
    return lambda span: span.get(field) in wanted


def _metadata_in(key: str, allowed: set[str]) -> Callable[[dict[str, Any]], bool]:
    def matches(span: dict[str, Any]) -> bool:
        value = (span.get("metadata") or {}).get(key)
        return isinstance(value, str) and value in allowed  # not a list or an object

    return matches


def _metadata_matches(wanted: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    for key, value in wanted.items():
        if key not in metadata:
            return False
        have = metadata[key]
        if have == value:
            continue
        if isinstance(value, list) and have in value:
            continue
        if isinstance(have, list) and value in have:
            continue
        return False
    return True


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _text_of(span: Mapping[str, Any]) -> str:
    parts = [span.get(k) for k in ("name", "input", "output", "metadata")]
    return json.dumps(parts, ensure_ascii=False).lower()


def _text_search(terms: list[str]) -> Callable[[dict[str, Any]], bool]:
    """``search_texts``: a span has every term that is not a UUID in its name, input, output
    or metadata, or is of a trace a UUID-shaped term names (the two ORed, as the SDK says)."""
    traces = {t.strip().lower() for t in terms if _UUID.fullmatch(t.strip())}
    words = [t.lower() for t in terms if not _UUID.fullmatch(t.strip())]

    def matches(span: dict[str, Any]) -> bool:
        if str(span.get("trace_id", "")).lower() in traces:
            return True
        return bool(words) and all(word in _text_of(span) for word in words)

    return matches


def _filters(
    call: Call, body: SpanSearchBody, query: SpanSearchQuery
) -> list[Callable[[dict[str, Any]], bool]]:
    checks: list[Callable[[dict[str, Any]], bool] | None] = [
        _any_of(body.trace_ids, "trace_id"),
        _any_of(body.span_ids, "id"),
        _any_of(body.names, "name"),
        _any_of(body.parent_ids, "parent_id"),
        _any_of(body.statuses, "status"),  # type: ignore[arg-type]
        _any_of(body.types, "type"),  # type: ignore[arg-type]
        _any_of(body.application_variant_ids, "application_variant_id"),
        _any_of(body.obs_span_ids, "obs_span_id"),
        _any_of(body.obs_trace_ids, "obs_trace_id"),
    ]
    if body.group_id is not None:
        checks.append(_any_of([body.group_id], "group_id"))
    if body.excluded_trace_ids:
        out = set(body.excluded_trace_ids)
        checks.append(lambda s: s["trace_id"] not in out)
    if body.excluded_spans:
        pairs = {(p.trace_id, p.span_id) for p in body.excluded_spans}
        checks.append(lambda s: (s["trace_id"], s["id"]) not in pairs)
    elif body.excluded_span_ids:  # the pairs take precedence over the ids when both are given
        ids = set(body.excluded_span_ids)
        checks.append(lambda s: s["id"] not in ids)
    if body.spans:
        wanted = {(p.trace_id, p.span_id) for p in body.spans}
        checks.append(lambda s: (s["trace_id"], s["id"]) in wanted)
    if body.parents_only:
        checks.append(lambda s: s.get("parent_id") is None)
    if body.extra_metadata:
        extra = body.extra_metadata
        checks.append(lambda s: _metadata_matches(extra, s.get("metadata") or {}))
    for name, key in (
        ("acp_types", "acp_type"),
        ("agentex_agent_ids", "agentex_agent_id"),
        ("agentex_agent_names", "agentex_agent_name"),
    ):
        values = getattr(body, name)
        if values is not None:
            checks.append(_metadata_in(key, set(values)))
    checks.extend(_range_filters(body, query))
    if body.search_texts:
        checks.append(_text_search(body.search_texts))
    if body.assessment_types is not None:
        assessed = _assessed(call, set(body.assessment_types))
        checks.append(lambda s: (s["account_id"], s["trace_id"], s["id"]) in assessed)
    return [check for check in checks if check is not None]


def _range_filters(
    body: SpanSearchBody, query: SpanSearchQuery
) -> list[Callable[[dict[str, Any]], bool]]:
    """The duration bounds (completed spans only) and the window on ``start_timestamp``."""
    checks: list[Callable[[dict[str, Any]], bool]] = []
    if body.min_duration_ms is not None or body.max_duration_ms is not None:
        low, high = body.min_duration_ms, body.max_duration_ms

        def within(span: dict[str, Any]) -> bool:
            took = duration_ms(span)
            return (
                took is not None and (low is None or took >= low) and (high is None or took <= high)
            )

        checks.append(within)
    if query.from_ts is not None or query.to_ts is not None:
        since = None if query.from_ts is None else _utc(query.from_ts)
        until = None if query.to_ts is None else _utc(query.to_ts)

        def in_window(span: dict[str, Any]) -> bool:
            start = parse_time(span.get("start_timestamp"))
            return (
                start is not None
                and (since is None or start >= since)
                and (until is None or start <= until)
            )

        checks.append(in_window)
    return checks


def _assessed(call: Call, types: set[str]) -> set[tuple[str, str, str]]:
    """The (account, trace, span) of the spans that have an assessment of one of ``types``
    (an assessment is of a span of its own account)."""
    table = call.backend.tables.get("span_assessments")
    if table is None:
        return set()
    spans: set[tuple[str, str, str]] = set()
    for record in table.all():
        data = record.as_dict()
        if data.get("assessment_type") in types:
            spans.add((record.account_id, data.get("trace_id"), data.get("span_id")))
    return spans


def _sort_value(span: Mapping[str, Any], sort_by: str) -> Any:
    if sort_by == "duration_ms":
        took = duration_ms(span)
        return -1.0 if took is None else took
    if sort_by in ("input_tokens", "output_tokens"):
        return span.get(sort_by) or 0
    return parse_time(span.get("start_timestamp")) or datetime.min.replace(tzinfo=UTC)


def _page(
    ordered: list[Record], ids: list[str], query: SpanSearchQuery
) -> tuple[list[Record], bool]:
    """The page of ``ordered`` (whose span ids are ``ids``) the query's cursor asks for, and
    whether more follow.

    A cursor is a span id, and two traces may hold spans of the same id: ``starting_after``
    names the last span of that id in the order, ``ending_before`` the first. So that the
    cursor the SDK takes from a page names the span the page ended on, a page with more after
    it ends on the last span of its id (moving back, one with more before it starts on the
    first): it ends early where it can, and runs past ``limit`` only when every span in it has
    its id again further on. Paging always moves on and skips no span.
    """
    limit = query.limit
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for index, span_id in enumerate(ids):
        first.setdefault(span_id, index)
        last[span_id] = index
    if query.starting_after is None and query.ending_before is not None:
        if query.ending_before not in first:
            return [], False
        end = first[query.ending_before]
        start = max(0, end - limit)
        if start > 0:  # the first span of its id: in the page, else the nearest before it
            inside = (i for i in range(start, end) if first[ids[i]] == i)
            start = next(inside, None) or max(i for i in range(start + 1) if first[ids[i]] == i)
        return ordered[start:end], start > 0
    start = 0
    if query.starting_after is not None:
        if query.starting_after not in last:
            return [], False
        start = last[query.starting_after] + 1
    end = min(len(ordered), start + limit)
    if end < len(ordered):  # the last span of its id: in the page, else the nearest after it
        inside = (i + 1 for i in range(end - 1, start - 1, -1) if last[ids[i]] == i)
        end = next(inside, None) or next(i + 1 for i in range(end, len(ids)) if last[ids[i]] == i)
    return ordered[start:end], end < len(ordered)


def search(call: Call) -> Answer:
    """``POST /v5/spans/search``: a page of the spans every filter keeps."""
    call.identity()
    query = call.query(SpanSearchQuery)
    body = call.body(SpanSearchBody) if call.raw_body.strip() else SpanSearchBody()
    if query.from_ts and query.to_ts and _utc(query.from_ts) > _utc(query.to_ts):
        raise Unprocessable("from_ts is after to_ts")
    id_count = sum(
        len(getattr(body, name) or ())
        for name in (
            "trace_ids",
            "span_ids",
            "excluded_span_ids",
            "excluded_trace_ids",
            "parent_ids",
        )
    ) + 2 * (len(body.spans or ()) + len(body.excluded_spans or ()))  # a pair is two ids
    if id_count > MAX_SEARCH_IDS:
        raise Unprocessable(f"{id_count} ids across the id filters: at most {MAX_SEARCH_IDS}")
    accounts = call.accounts(None)
    table = _table(call)
    # A search by trace (or span) id reads those spans only, through the index: it stays as
    # fast however many other spans are stored.
    if body.trace_ids is not None:
        records = [r for t in dict.fromkeys(body.trace_ids) for r in table.of_trace(t)]
    elif body.span_ids is not None:
        records = [r for s in dict.fromkeys(body.span_ids) for r in table.with_id(s)]
    else:
        records = table.records(accounts)
    checks = _filters(call, body, query)
    spans = [
        (r, d)
        for r in records
        if accounts is None or r.account_id in accounts
        for d in (r.as_dict(),)
        if all(check(d) for check in checks)
    ]
    sort_by = query.sort_by if query.sort_by in _SORTS else "start_timestamp"
    descending = query.sort_order == "desc"
    spans.sort(key=lambda rd: (rd[1]["trace_id"], rd[1]["id"]))
    spans.sort(key=lambda rd: _sort_value(rd[1], sort_by), reverse=descending)
    page, more = _page([r for r, _ in spans], [d["id"] for _, d in spans], query)
    return ok(
        b"".join(
            (
                b'{"items":[',
                b",".join(r.body for r in page),
                b'],"has_more":%s,"total":0}' % (b"true" if more else b"false"),
            )
        )
    )
