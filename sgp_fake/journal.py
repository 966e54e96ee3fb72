"""The request journal: every request a fake received, in order, with what it answered."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator

__all__ = ["DEFAULT_JOURNAL_LIMIT", "Journal", "JournalEntry"]

DEFAULT_JOURNAL_LIMIT = 10_000
"""How many entries a journal keeps before dropping the oldest (``None`` keeps all)."""


def _maybe_json(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


@dataclass(frozen=True)
class JournalEntry:
    """One request and its answer.

    ``body`` and ``response_body`` are the raw bytes; :attr:`json` and :attr:`response_json`
    decode them (``None`` when empty or not JSON).
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    response_body: bytes
    response_headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None

    @property
    def json(self) -> Any:
        """The request body, decoded from JSON, or ``None``."""
        return _maybe_json(self.body)

    @property
    def response_json(self) -> Any:
        """The response body, decoded from JSON, or ``None``."""
        return _maybe_json(self.response_body)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view, as ``GET /_fake/requests`` answers it."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.json if self.json is not None else self.body.decode("utf-8", "replace"),
            "status": self.status,
            "response_headers": self.response_headers,
            "response_body": (
                self.response_json
                if self.response_json is not None
                else self.response_body.decode("utf-8", "replace")
            ),
            "fault": self.fault,
        }


class Journal:
    """Thread-safe, ordered record of requests, oldest first.

    Keeps at most ``limit`` entries (``None`` for no limit), dropping the oldest.
    """

    def __init__(self, limit: int | None = DEFAULT_JOURNAL_LIMIT) -> None:
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=limit)

    def record(self, entry: JournalEntry) -> None:
        """Append an entry."""
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def entries(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> list[JournalEntry]:
        """The entries, oldest first, optionally only those with this method, path or status."""
        with self._lock:
            snapshot = list(self._entries)
        return [
            e
            for e in snapshot
            if (method is None or e.method == method.upper())
            and (path is None or e.path == path)
            and (status is None or e.status == status)
        ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many entries match ``method`` and ``path``."""
        return len(self.entries(method, path))

    def last(self, method: str | None = None, path: str | None = None) -> JournalEntry:
        """The newest matching entry; ``LookupError`` when there is none."""
        matching = self.entries(method, path)
        if not matching:
            raise LookupError(f"no request matching method={method!r} path={path!r} in the journal")
        return matching[-1]

    @property
    def creates(self) -> list[JournalEntry]:
        """Every ``POST /v4/model-templates``."""
        return self.entries("POST", "/v4/model-templates")

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __getitem__(self, index: int) -> JournalEntry:
        return self.entries()[index]
