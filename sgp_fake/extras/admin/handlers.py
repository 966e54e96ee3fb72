"""The admin routes' endpoints, and the checks every one of them makes of its request.

Each admin route checks its query string against the route's parameters (unknown ones answer
422, as unknown body fields do) before :class:`Admin` reads it; bodies are read as JSON whatever
their content type, since the admin API is driven by curl and shell scripts.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticSerializationError
from starlette.requests import Request
from starlette.responses import Response

from ...core.bodies import validate_body
from ...core.fallback import json_response
from ...core.faults import FaultRule
from ...core.journal import JournalEntry
from ...core.query import parse_query
from ...core.ratelimit import RateLimit
from ...core.scope import ADMIN_QUERY_SCOPE_KEY, BODY_SCOPE_KEY
from ...errors import BodyParseError, NotFound, RequestValidationError
from ..coverage import Coverage
from .schemas import (
    ClockAdvance,
    FaultSpec,
    RateLimitSpec,
    RequestsParams,
    ResetParams,
    ResetResult,
    status_spec,
)
from .state import AdminBackend, replace_state, state_document, state_errors

__all__ = [
    "Admin",
    "Endpoint",
    "checking_query",
    "read_body",
]


def _query(model: type[BaseModel], request: Request) -> Any:
    try:
        return model.model_validate(parse_query(request.scope["query_string"]))
    except PydanticValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ["query", *e["loc"]]} for e in exc.errors(include_url=False)]
        ) from None


Endpoint = Callable[[Request], Awaitable[Response]]
"""A Starlette endpoint."""


def checking_query(endpoint: Endpoint, params: type[BaseModel]) -> Endpoint:
    """``endpoint`` behind a check of the query string, whose values it finds in the scope."""

    async def checked(request: Request) -> Response:
        request.scope[ADMIN_QUERY_SCOPE_KEY] = _query(params, request)
        return await endpoint(request)

    return checked


def read_body(model: type[BaseModel], request: Request) -> Any:
    """The request body validated into ``model``, unknown fields refused at every level (422)."""
    # Any content type is read as JSON: the admin API is driven by curl and shell scripts.
    try:
        # Unknown fields are refused at every level: a typo must not pass for a default.
        return validate_body(
            model, request.scope[BODY_SCOPE_KEY], "application/json", extra="forbid"
        )
    except RequestValidationError as exc:
        # Our validators' errors carry the exception in ctx; answer its message instead.
        raise RequestValidationError([_plain(error) for error in exc.errors]) from None


def _plain(error: dict[str, Any]) -> dict[str, Any]:
    ctx = error.get("ctx")
    if not isinstance(ctx, dict):
        return error
    return {
        **error,
        "ctx": {k: str(v) if isinstance(v, Exception) else v for k, v in ctx.items()},
    }


class Admin:
    """The admin routes' endpoints, bound to one fake."""

    def __init__(self, backend: AdminBackend) -> None:
        self.backend = backend
        self.document = state_document(tuple(backend.resources.values()))
        self.status_spec = status_spec(tuple(backend.resources.values()))

    async def reset(self, request: Request) -> Response:
        params: ResetParams = request.scope[ADMIN_QUERY_SCOPE_KEY]
        deleted = self.backend.reset(params.account_id)
        return json_response(ResetResult(deleted=deleted).model_dump())

    def _state(self) -> Response:
        # One snapshot of every table: a document PUT /_fake/state takes back whole.
        with self.backend.transaction():
            parts = [
                b'"%s":[%s]' % (kind.encode(), b",".join(r.body for r in table.all()))
                for kind, table in self.backend.tables.items()
            ]
        return Response(b"{" + b",".join(parts) + b"}", media_type="application/json")

    async def get_state(self, request: Request) -> Response:
        return self._state()

    async def put_state(self, request: Request) -> Response:
        document = read_body(self.document, request)
        errors = state_errors(self.backend.resources, document)
        if errors:
            raise RequestValidationError(errors)
        try:
            replace_state(self.backend, document)
        except PydanticSerializationError as exc:
            # A lone surrogate in a string: JSON can carry it, UTF-8 cannot (as on create).
            raise BodyParseError() from exc
        return self._state()

    async def get_requests(self, request: Request) -> Response:
        params: RequestsParams = request.scope[ADMIN_QUERY_SCOPE_KEY]
        journal = self.backend.journal
        if (
            params.method is not None
            or params.path is not None
            or params.status is not None
            or params.operation is not None
        ):
            # The matching requests first; then after and limit page through them.
            entries = journal.entries(params.method, params.path, params.status)
            if params.operation is not None:
                entries = [e for e in entries if e.operation == params.operation]
            if params.after is not None:
                entries = [e for e in entries if e.sequence > params.after]
                entries = entries if params.limit is None else entries[: params.limit]
            elif params.limit is not None:
                entries = entries[max(0, len(entries) - params.limit) :]
        elif params.after is not None:
            # Paging forward: the oldest entries after the cursor.
            entries = journal.entries_after(params.after, params.limit)
        elif params.limit is not None:
            # The newest N, without building an entry for every older one.
            after = max(journal.last_sequence - params.limit, 0)
            entries = journal.entries_after(after, params.limit) if params.limit else []
        else:
            entries = journal.entries()
        view = _summary if params.summary else JournalEntry.to_dict
        return json_response({"requests": [view(e) for e in entries]})

    async def delete_requests(self, request: Request) -> Response:
        self.backend.journal.clear()
        return json_response({"requests": []})

    async def get_resources(self, request: Request) -> Response:
        return json_response(
            {
                "resources": [
                    {
                        "kind": resource.kind,
                        "noun": resource.noun,
                        "collection": resource.collection,
                        "references": {ref.field: ref.kind for ref in resource.references},
                    }
                    for resource in self.backend.resources.values()
                ]
            }
        )

    async def add_fault(self, request: Request) -> Response:
        spec: FaultSpec = read_body(FaultSpec, request)
        rule = self.backend.faults.add(FaultRule(**spec.model_dump()))
        return json_response(rule.to_dict(), status_code=201)

    async def list_faults(self, request: Request) -> Response:
        return json_response({"faults": [r.to_dict() for r in self.backend.faults.list()]})

    async def clear_faults(self, request: Request) -> Response:
        self.backend.faults.clear()
        return json_response({"faults": []})

    async def delete_fault(self, request: Request) -> Response:
        fault_id = request.path_params["fault_id"]
        if not self.backend.faults.remove(fault_id):
            raise NotFound(f"Fault {fault_id} not found")
        return json_response({"faults": [r.to_dict() for r in self.backend.faults.list()]})

    def _rate_limit(self) -> Response:
        limit = self.backend.rate_limiter.limit
        state = None if limit is None else {"rate": limit.rate, "burst": limit.burst}
        return json_response({"rate_limit": state})

    async def get_rate_limit(self, request: Request) -> Response:
        return self._rate_limit()

    async def put_rate_limit(self, request: Request) -> Response:
        spec: RateLimitSpec = read_body(RateLimitSpec, request)
        self.backend.rate_limiter.configure(RateLimit(spec.rate, spec.burst))
        return self._rate_limit()

    async def delete_rate_limit(self, request: Request) -> Response:
        self.backend.rate_limiter.configure(None)
        return self._rate_limit()

    def _clock(self) -> Response:
        clock = self.backend.clock
        return json_response({"now": clock.now(), "offset": clock.offset})

    async def get_clock(self, request: Request) -> Response:
        return self._clock()

    async def advance_clock(self, request: Request) -> Response:
        spec: ClockAdvance = read_body(ClockAdvance, request)
        instant = spec.instant
        if instant is not None:
            self.backend.clock.set(instant)
        elif spec.advance is not None:
            try:
                self.backend.clock.advance(spec.advance)
            except ValueError as exc:  # past the latest instant records can be dated at
                raise RequestValidationError(
                    [
                        {
                            "type": "value_error",
                            "loc": ["body"],
                            "msg": f"Value error, {exc}",
                            "input": {"advance": spec.advance},
                            "ctx": {"error": {}},
                        }
                    ]
                ) from None
        return self._clock()

    async def force_status(self, request: Request) -> Response:
        assert self.status_spec is not None  # the route is served only with managed kinds
        spec: Any = read_body(self.status_spec, request)
        transitions = self.backend.transitions
        assert transitions is not None
        try:
            record = transitions.force(spec.kind, spec.id, spec.status)
        except KeyError:
            noun = self.backend.resources[spec.kind].noun
            raise NotFound(f"{noun} {spec.id} not found") from None
        return json_response({"kind": spec.kind, "id": record.id, "status": spec.status})

    def _coverage(self) -> Coverage:
        coverage = self.backend.coverage
        if coverage is None:
            raise NotFound("Coverage is not recorded by this fake")
        return coverage

    async def get_coverage(self, request: Request) -> Response:
        return json_response(self._coverage().report().model_dump())

    async def clear_coverage(self, request: Request) -> Response:
        coverage = self._coverage()
        coverage.clear()
        return json_response(coverage.report().model_dump())


def _summary(entry: JournalEntry) -> dict[str, Any]:
    # Built from the entry's fields, not from to_dict(): no body is decoded for a summary.
    return {
        "sequence": entry.sequence,
        "method": entry.method,
        "path": entry.path,
        "raw_path": entry.raw_path,
        "query": entry.query,
        "status": entry.status,
        "fault": entry.fault,
        "rule": entry.rule,
        "response": entry.response,
        "timed_out": entry.timed_out,
        "operation": entry.operation,
        "timestamp": entry.timestamp,
        "duration": entry.duration,
        "account": entry.account,
    }
