"""The spans' table: a span is keyed by its account, trace and id, as the tracing service keys
it, so two traces (or two accounts) may hold spans of the same id."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ...core.table import Record, Row, Table

__all__ = ["SpanTable", "span_key"]


def span_key(account_id: str, trace_id: str, span_id: str) -> str:
    """The table key of a span: its account, trace and id, joined by the ASCII unit separator
    (which no id a client makes holds)."""
    return f"{account_id}\x1f{trace_id}\x1f{span_id}"


class SpanTable(Table[Record]):
    """Spans, indexed by ``trace_id`` (a trace is read without a scan) and by ``id``."""

    def __init__(self, kind: str, schema: type[BaseModel], **kwargs: Any) -> None:
        kwargs["index_fields"] = ("trace_id", "id")
        super().__init__(kind, schema, **kwargs)

    def _row(self, record: BaseModel | dict[str, Any]) -> Row:
        model: Any = self.validate(record)
        body = model.model_dump_json(exclude_none=True, by_alias=True).encode()
        return span_key(model.account_id, model.trace_id, model.id), model.account_id, body, None

    def of_trace(self, trace_id: str) -> list[Record]:
        """Every span of ``trace_id`` (of any account), oldest first."""
        return self.referencing("trace_id", trace_id)

    def with_id(self, span_id: str) -> list[Record]:
        """Every span whose id is ``span_id`` (of any trace and account), oldest first."""
        return self.referencing("id", span_id)
