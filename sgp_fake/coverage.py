"""Contract coverage (:mod:`sgp_fake.extras.coverage`) of the resources the fake serves, under
its former names."""

from __future__ import annotations

from typing import Iterable

from .core.journal import DEFAULT_JOURNAL_LIMIT, Journal, RawHeaders
from .core.openapi import meta_operation
from .core.operations import Operation, operations
from .extras import coverage as _coverage
from .extras.coverage import (
    MAX_LISTED,
    CoverageReport,
    EnumCoverage,
    Exchange,
    FieldCoverage,
    OperationCoverage,
)
from .resources import REGISTRY

__all__ = [
    "MAX_LISTED",
    "Coverage",
    "CoverageReport",
    "EnumCoverage",
    "Exchange",
    "FieldCoverage",
    "ObservedJournal",
    "OperationCoverage",
]


class Coverage(_coverage.Coverage):
    """Contract coverage; of the registry's operations unless ``operations`` are given."""

    def __init__(self, operations_: Iterable[Operation] | None = None) -> None:
        if operations_ is None:
            operations_ = [*operations(REGISTRY), meta_operation(lambda: b"")]
        super().__init__(operations_)


class ObservedJournal(Journal):
    """A journal that also counts every exchange it records in a :class:`Coverage`.

    A fake no longer needs one (its app feeds the coverage itself); kept for code that builds
    one.
    """

    def __init__(
        self, coverage: _coverage.Coverage, limit: int | None = DEFAULT_JOURNAL_LIMIT
    ) -> None:
        super().__init__(limit)
        self.coverage = coverage

    def record_asgi(  # noqa: PLR0917 - as Journal.record_asgi
        self,
        method: str,
        path: str,
        query: bytes,
        headers: RawHeaders,
        body: bytes,
        status: int | None,
        response_body: bytes,
        response_headers: RawHeaders,
        fault: str | None = None,
        timed_out: bool = False,
        operation: str | None = None,
        duration: float = 0.0,
        response: str | None = None,
        raw_path: bytes | None = None,
    ) -> None:
        """Journal an exchange, as :meth:`Journal.record_asgi`, and count it in the coverage."""
        super().record_asgi(
            method,
            path,
            query,
            headers,
            body,
            status,
            response_body,
            response_headers,
            fault,
            timed_out,
            operation,
            duration,
            response,
            raw_path,
        )
        self.coverage.record((operation, method, path, query, body, status, response_body))
