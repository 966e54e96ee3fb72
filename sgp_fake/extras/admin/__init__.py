"""The admin API: control a running fake over HTTP, under the reserved prefix ``/_fake``.

This is how test suites in any language, and CI scripts, drive the standalone server: reset it,
load and read its state, read the request journal, inject faults, set a rate limit, read the
contract coverage, move the fake's clock and force the status of a record whose status moves
with it. The state document has a list per resource the fake serves, generated from
the resources it is given (``{"model_templates": [...], ...}``); nothing here names one. The
routes need no API key, never appear in the journal, faults or coverage, and are documented in
``/openapi.json`` under the tag ``sgp-fake admin``. Bodies are JSON (the
content type is not checked, so a bare ``curl -d`` works); invalid ones, and query parameters a
route does not define, answer 422 exactly as the SGP routes do, and change nothing.

The parts, as getmoto/moto's ``moto_api`` splits its own: :mod:`.schemas` (the bodies),
:mod:`.state` (the state document), :mod:`.handlers` (the endpoints), :mod:`.records` (the routes
of records set through the admin API), :mod:`.traces` (the spans received, as trees),
:mod:`.openapi` (the document); this module holds the
route table and the names other modules import.
"""

from __future__ import annotations

from typing import Callable

from pydantic import BaseModel
from starlette.routing import BaseRoute, Route

from ...core.routing import ADMIN_PREFIX
from ..dashboard import dashboard_routes
from .handlers import Admin, Endpoint, checking_query
from .openapi import admin_openapi, admin_record_models, admin_record_paths
from .records import admin_record_routes
from .schemas import (
    ClockAdvance,
    ClockState,
    FaultList,
    FaultSpec,
    FaultView,
    NoParams,
    RateLimitSpec,
    RateLimitState,
    RequestLog,
    RequestsParams,
    RequestSummary,
    RequestSummaryLog,
    RequestView,
    ResetParams,
    ResetResult,
    ResourceList,
    ResourceView,
    status_spec,
)
from .state import (
    MAX_ID_LENGTH,
    AdminBackend,
    dangling_references,
    replace_state,
    state_document,
    state_errors,
)
from .traces import TraceEndpoints, TraceParams, TracesParams, serves_traces

__all__ = [
    "MAX_ID_LENGTH",
    "AdminBackend",
    "ClockAdvance",
    "ClockState",
    "FaultList",
    "FaultSpec",
    "FaultView",
    "RateLimitSpec",
    "RateLimitState",
    "RequestLog",
    "RequestSummary",
    "RequestSummaryLog",
    "RequestView",
    "ResetResult",
    "ResourceList",
    "ResourceView",
    "admin_openapi",
    "admin_record_models",
    "admin_record_paths",
    "admin_record_routes",
    "admin_routes",
    "dangling_references",
    "replace_state",
    "state_document",
    "state_errors",
    "status_spec",
]


def admin_routes(
    backend: AdminBackend, openapi: Callable[[], bytes] | None = None
) -> list[BaseRoute]:
    """The admin API's routes, bound to ``backend``, and the dashboard's; pass them to
    ``create_app``. ``openapi`` gives the document the fake serves (by default, that of
    :func:`admin_openapi`); the dashboard reads it."""
    admin = Admin(backend)
    p = ADMIN_PREFIX
    table: list[tuple[str, Endpoint, str, type[BaseModel]]] = [
        ("/reset", admin.reset, "POST", ResetParams),
        ("/state", admin.get_state, "GET", NoParams),
        ("/state", admin.put_state, "PUT", NoParams),
        ("/requests", admin.get_requests, "GET", RequestsParams),
        ("/requests", admin.delete_requests, "DELETE", NoParams),
        ("/faults", admin.add_fault, "POST", NoParams),
        ("/faults", admin.list_faults, "GET", NoParams),
        ("/faults", admin.clear_faults, "DELETE", NoParams),
        ("/faults/{fault_id}", admin.delete_fault, "DELETE", NoParams),
        ("/rate-limit", admin.get_rate_limit, "GET", NoParams),
        ("/rate-limit", admin.put_rate_limit, "PUT", NoParams),
        ("/rate-limit", admin.delete_rate_limit, "DELETE", NoParams),
        ("/coverage", admin.get_coverage, "GET", NoParams),
        ("/coverage", admin.clear_coverage, "DELETE", NoParams),
        ("/clock", admin.get_clock, "GET", NoParams),
        ("/clock", admin.advance_clock, "POST", NoParams),
        ("/resources", admin.get_resources, "GET", NoParams),
    ]
    if admin.status_spec is not None:
        table.append(("/status", admin.force_status, "POST", NoParams))
    if serves_traces(backend.resources.values()):
        traces = TraceEndpoints(backend)
        table.append(("/traces", traces.list_traces, "GET", TracesParams))
        table.append(("/traces/{trace_id}", traces.get_trace, "GET", TraceParams))
    return [
        *(
            Route(p + path, checking_query(endpoint, params), methods=[method])
            for path, endpoint, method, params in table
        ),
        *admin_record_routes(backend),
        *dashboard_routes(openapi or admin_openapi(tuple(backend.resources.values()))),
    ]
