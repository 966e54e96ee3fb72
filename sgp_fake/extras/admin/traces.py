"""``GET /_fake/traces`` and ``GET /_fake/traces/{trace_id}``: the spans received, as trees.

What ``fake.traces`` gives a Python test (:mod:`sgp_fake.extras.traces`), for a test or a
dashboard in any language: the list of traces (summaries, filtered by account, root name and
errors; the newest N), and one trace's tree with each span's duration and whether it failed.
The routes are served when the fake holds a kind whose records are spans; their query
parameters are checked as every admin route's are (unknown ones answer 422).
"""

from __future__ import annotations

from typing import Any, Iterable, List, Optional

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from ...core.fallback import json_response
from ...core.lazy_model import LazyModel
from ...core.openapi import error_response
from ...core.operations import Resource
from ...core.routing import ADMIN_PREFIX
from ...core.scope import ADMIN_QUERY_SCOPE_KEY
from ...errors import BadRequest, NotFound
from ..traces import SPAN_FIELDS, Traces
from .schemas import FORBID
from .state import AdminBackend

__all__ = [
    "TraceList",
    "TraceParams",
    "TraceSummary",
    "TraceTree",
    "TraceView",
    "TracesParams",
    "serves_traces",
    "trace_models",
    "trace_paths",
]


def serves_traces(resources: Iterable[Resource]) -> bool:
    """Whether one of ``resources`` holds spans (the traces routes are served then)."""
    return any(set(resource.stored.model_fields) >= SPAN_FIELDS for resource in resources)


class TracesParams(LazyModel):
    """The query of ``GET /_fake/traces``."""

    model_config = FORBID

    account_id: Optional[str] = Field(None, description="Only this account's traces.")
    name: Optional[str] = Field(None, description="Only the traces whose root span has this name.")
    errors: bool = Field(
        False,
        description="Only the traces with a span that failed (status ERROR, or the tracing "
        "library's error metadata).",
    )
    last: Optional[int] = Field(
        None,
        ge=0,
        description="Only the N traces whose root started last (of those the other parameters "
        "keep), still listed first started first.",
    )


class TraceParams(LazyModel):
    """The query of ``GET /_fake/traces/{trace_id}``."""

    model_config = FORBID

    account_id: Optional[str] = Field(
        None, description="The account whose trace it is; needed when several have that id."
    )


class TraceSummary(LazyModel):
    """One trace in ``GET /_fake/traces``: its root span's name, status, start and duration,
    and how many spans it has and how many of them failed."""

    trace_id: str
    account_id: str
    name: Optional[str]
    status: Optional[str]
    start_timestamp: Optional[str]
    duration_ms: Optional[float] = Field(description="null while the root is in progress")
    span_count: int
    error_count: int


class TraceList(LazyModel):
    """``GET /_fake/traces``: the traces, the one whose root started first first."""

    traces: List[TraceSummary]


class TraceView(LazyModel):
    """A span in a tree: every field the span was stored with, its ``duration_ms`` (null while
    in progress), whether it failed (``error``) and its ``children`` in start order."""

    model_config = ConfigDict(extra="allow")

    id: str
    trace_id: str
    name: str
    parent_id: Optional[str] = None
    start_timestamp: str
    duration_ms: Optional[float]
    error: bool
    children: List[TraceView]


class TraceTree(TraceSummary):
    """``GET /_fake/traces/{trace_id}``: the summary and the trace's roots as trees (one root,
    unless a span's parent never arrived)."""

    roots: List[TraceView]


class TraceEndpoints:
    """The two endpoints, bound to one fake."""

    def __init__(self, backend: AdminBackend) -> None:
        self.backend = backend
        self.traces = Traces(backend.tables)

    async def list_traces(self, request: Request) -> Response:
        params: TracesParams = request.scope[ADMIN_QUERY_SCOPE_KEY]
        with self.backend.transaction():  # one snapshot of the spans
            found = self.traces.all(params.account_id)
        if params.name is not None:
            found = [t for t in found if t.roots and t.root.name == params.name]
        if params.errors:
            found = [t for t in found if t.errors()]
        if params.last is not None:
            found = found[len(found) - params.last :] if params.last else []
        return json_response({"traces": [trace.summary() for trace in found]})

    async def get_trace(self, request: Request) -> Response:
        params: TraceParams = request.scope[ADMIN_QUERY_SCOPE_KEY]
        trace_id = request.path_params["trace_id"]
        try:
            with self.backend.transaction():
                trace = self.traces.get(trace_id, params.account_id)
        except KeyError:
            raise NotFound(f"No span of trace {trace_id} was received") from None
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return Response(trace.to_json(), media_type="application/json")


def trace_paths(operation: Any, param: Any, ok: Any) -> dict[str, Any]:
    """The OpenAPI path items of the two routes, built with the admin document's own helpers
    (``operation``, ``param``, ``ok``: see :mod:`.openapi`)."""
    p = ADMIN_PREFIX
    return {
        f"{p}/traces": {
            "get": operation(
                "fake_list_traces",
                "The traces received",
                ok("Summaries, the trace whose root started first first", TraceList),
                description="A trace is the spans of one trace_id in one account; its root is "
                "the span without a parent in it.",
                parameters=[param(name, TracesParams) for name in TracesParams.model_fields],
            )
        },
        f"{p}/traces/{{trace_id}}": {
            "get": operation(
                "fake_get_trace",
                "One trace as a tree",
                {
                    **ok("The trace: each span with its children in start order", TraceTree),
                    "400": error_response(
                        "Spans of that trace id in several accounts, and no account_id"
                    ),
                    "404": error_response("No span of that trace was received"),
                },
                parameters=[
                    {
                        "name": "trace_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    param("account_id", TraceParams),
                ],
            )
        },
    }


def trace_models() -> tuple[type[BaseModel], ...]:
    """The component models of those paths."""
    return (TraceList, TraceTree)
