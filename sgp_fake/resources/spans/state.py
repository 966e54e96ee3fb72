"""What a state document's spans must be: what the span routes could have written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Iterator, Mapping, Sequence

from ...core.operations import StateProblem

__all__ = ["check_state"]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_state(records: Mapping[str, Sequence[Any]]) -> Iterator[StateProblem]:
    """A span ends after it starts, and its parent (when stored) is a span of its own trace,
    never one of another trace only, and never its own ancestor: the routes refuse the rest
    (422, 409), and a trace read as a tree needs a root."""
    spans = list(records.get("spans", ()))
    traces: dict[tuple[str, str], set[str]] = {}  # (account, span id) -> its traces
    parents: dict[tuple[str, str, str], str | None] = {}  # (account, trace, id) -> parent
    for span in spans:
        traces.setdefault((span.account_id, span.id), set()).add(span.trace_id)
        parents[(span.account_id, span.trace_id, span.id)] = span.parent_id
    for index, span in enumerate(spans):
        if span.end_timestamp is not None and _utc(span.end_timestamp) < _utc(span.start_timestamp):
            yield StateProblem(index, "end_timestamp", "before start_timestamp")
        parent = span.parent_id
        if parent is None:
            continue
        of_parent = traces.get((span.account_id, parent), set())
        if of_parent and span.trace_id not in of_parent:
            yield StateProblem(index, "parent_id", f"{parent!r} is a span of another trace only")
            continue
        seen = {span.id}
        current: str | None = parent
        while current is not None:
            if current in seen:
                yield StateProblem(index, "parent_id", "the parents form a cycle")
                break
            seen.add(current)
            current = parents.get((span.account_id, span.trace_id, current))
