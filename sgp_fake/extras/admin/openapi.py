"""The admin API in ``/openapi.json``: its paths, its bodies, and the access guard's answers.

:func:`admin_openapi` gives the document a fake with the admin API serves: the resources'
operations, the admin routes (tag ``sgp-fake admin``), the routes of the records set through the
admin API, and on every admin operation what a served fake's access policy may answer instead
(400, 401, and 403 to a write from another origin).
"""

from __future__ import annotations

import copy
import functools
from typing import Annotated, Any, Callable, Iterable, Literal, Union

from pydantic import BaseModel, Field, RootModel, create_model

from ...core.openapi import (
    DESCRIPTION,
    REF_TEMPLATE,
    build_openapi,
    document_bytes,
    error_response,
    indefinite,
    meta_operation,
    schema_ref,
)
from ...core.operations import Resource, operations
from ...core.routing import ADMIN_PREFIX
from ..coverage import CoverageReport
from .records import admin_kinds
from .schemas import (
    FORBID,
    ClockAdvance,
    ClockState,
    FaultList,
    FaultSpec,
    FaultView,
    RateLimitSpec,
    RateLimitState,
    RequestLog,
    RequestsParams,
    RequestSummaryLog,
    ResetParams,
    ResetResult,
    ResourceList,
    StatusView,
    record_list,
)
from .state import state_document
from .traces import serves_traces, trace_models, trace_paths

__all__ = [
    "admin_openapi",
    "admin_paths",
    "admin_record_models",
    "admin_record_paths",
    "documented_status_spec",
]

_TAG = ["sgp-fake admin"]


def _ok(description: str, model: type[BaseModel], status: str = "200") -> dict[str, Any]:
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": schema_ref(model)}},
        }
    }


_INVALID = {
    "422": {
        "description": "Validation Error",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
        },
    }
}


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema_ref(model)}}}


def _param(name: str, model: type[BaseModel]) -> dict[str, Any]:
    prop = dict(model.model_json_schema()["properties"][name])
    description = prop.pop("description", "")
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": prop,
        "description": description,
    }


_BODY_ERRORS = {
    "400": error_response(
        "A body that cannot be read as JSON text (invalid UTF-8, nesting too deep), or a string "
        "UTF-8 cannot encode"
    ),
    "413": error_response("A body over the fake's size limit"),
}


def _operation(op_id: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    # Every admin route answers 422 to a query parameter it does not define; those that read a
    # body, 400 and 413 to one they cannot read.
    errors = {**(_BODY_ERRORS if "requestBody" in extra else {}), **_INVALID}
    merged = {**responses, **errors}
    return {
        "tags": _TAG,
        "summary": summary,
        "operationId": op_id,
        **extra,
        "responses": {status: merged[status] for status in sorted(merged)},
    }


_NO_COVERAGE = error_response("Coverage is not recorded by this fake")


def admin_paths(
    StateDocument: type[BaseModel], StatusSpec: type[BaseModel] | None = None
) -> dict[str, Any]:
    """The admin API's OpenAPI path items (``StateDocument``: see :func:`state_document`;
    ``StatusSpec``: see :func:`documented_status_spec`)."""
    p = ADMIN_PREFIX
    paths = {
        f"{p}/reset": {
            "post": _operation(
                "fake_reset",
                "Reset the fake",
                _ok("Reset", ResetResult),
                description="Empties every table, the journal, the faults and the rate limit; "
                "with account_id, only that account's records. Coverage is kept.",
                parameters=[_param("account_id", ResetParams)],
            )
        },
        f"{p}/state": {
            "get": _operation("fake_get_state", "Every record", _ok("The state", StateDocument)),
            "put": _operation(
                "fake_put_state",
                "Replace every record",
                _ok("The new state", StateDocument),
                description="Validated as a whole: an invalid document changes nothing.",
                requestBody=_json_body(StateDocument),
            ),
        },
        f"{p}/requests": {
            "get": _operation(
                "fake_get_requests",
                "The request journal",
                {
                    "200": {
                        "description": "Requests, oldest first (with summary=true, without "
                        "headers and bodies)",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "anyOf": [
                                        schema_ref(RequestLog),
                                        schema_ref(RequestSummaryLog),
                                    ]
                                }
                            }
                        },
                    }
                },
                description="Without parameters, every request the journal keeps. limit=N gives "
                "the newest N; after=S the requests numbered above S, and with limit=N only the "
                "first N of those: pass the last sequence read to get the next page. "
                "summary=true leaves out headers and bodies. method, path, status and "
                "operation keep only the requests that match them all, before limit and after "
                "apply.",
                parameters=[_param(name, RequestsParams) for name in RequestsParams.model_fields],
            ),
            "delete": _operation(
                "fake_clear_requests", "Clear the journal", _ok("Cleared", RequestLog)
            ),
        },
        f"{p}/faults": {
            "post": _operation(
                "fake_add_fault",
                "Add a fault rule",
                _ok("The rule", FaultView, "201"),
                requestBody=_json_body(FaultSpec),
            ),
            "get": _operation(
                "fake_list_faults", "Fault rules", _ok("Rules in matching order", FaultList)
            ),
            "delete": _operation(
                "fake_clear_faults", "Remove every fault rule", _ok("Removed", FaultList)
            ),
        },
        f"{p}/faults/{{fault_id}}": {
            "delete": _operation(
                "fake_delete_fault",
                "Remove one fault rule",
                {
                    **_ok("The remaining rules", FaultList),
                    "404": error_response("No rule with that id"),
                },
                parameters=[
                    {
                        "name": "fault_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            )
        },
        f"{p}/rate-limit": {
            "get": _operation(
                "fake_get_rate_limit", "The rate limit", _ok("In force", RateLimitState)
            ),
            "put": _operation(
                "fake_set_rate_limit",
                "Set the rate limit",
                _ok("In force", RateLimitState),
                description="Over it the fake answers 429 with retry-after, retry-after-ms and "
                "x-ratelimit-* headers. Every bucket starts full.",
                requestBody=_json_body(RateLimitSpec),
            ),
            "delete": _operation(
                "fake_delete_rate_limit", "Remove the rate limit", _ok("Removed", RateLimitState)
            ),
        },
        f"{p}/resources": {
            "get": _operation(
                "fake_get_resources",
                "The kinds of record",
                _ok("Every kind the fake serves", ResourceList),
                description="Each kind of the state document with its noun, its collection "
                "path and the fields that reference records of other kinds.",
            )
        },
        f"{p}/coverage": {
            "get": _operation(
                "fake_get_coverage",
                "Contract coverage",
                {
                    **_ok("What the traffic so far exercised", CoverageReport),
                    "404": _NO_COVERAGE,
                },
            ),
            "delete": _operation(
                "fake_clear_coverage",
                "Clear the coverage",
                {**_ok("Cleared", CoverageReport), "404": _NO_COVERAGE},
            ),
        },
        f"{p}/clock": {
            "get": _operation("fake_get_clock", "The fake's clock", _ok("Now", ClockState)),
            "post": _operation(
                "fake_advance_clock",
                "Move the fake's clock forward, or set it",
                _ok("Now", ClockState),
                description='`{"advance": seconds}` moves the clock forward, `{"set": '
                "instant}` makes it read that instant (ISO 8601 or seconds since the epoch) and "
                "go on from there. The one clock dates records, usage and journal entries; "
                "statuses waiting for it (a PENDING deployment) change at the first read after "
                "their time; reading never moves the clock.",
                requestBody=_json_body(ClockAdvance),
            ),
        },
    }
    if StatusSpec is not None:
        paths[f"{p}/status"] = {
            "post": _operation(
                "fake_force_status",
                "Force a record's status",
                {
                    **_ok("The status written", StatusView),
                    "404": error_response("No record of that kind with that id"),
                },
                description="Writes the status on the record (a deployment's FAILED, say); it "
                "stays until forced again or until the API writes another status.",
                requestBody=_json_body(StatusSpec),
            )
        }
    return paths


def _trace_paths(resources: tuple[Resource, ...]) -> dict[str, Any]:
    return trace_paths(_operation, _param, _ok) if serves_traces(resources) else {}


_TOKEN_SCHEME = "AdminToken"


def _refused(description: str, **extra: Any) -> dict[str, Any]:
    detail = {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    }
    return {
        "description": description,
        **extra,
        "content": {"application/json": {"schema": detail}},
    }


_GUARD_ANSWERS = {
    "400": _refused(
        "Invalid host header: a server bound to loopback answers only to localhost, 127.0.0.1 "
        "and [::1] (any port)"
    ),
    "401": _refused(
        "No admin token, or a wrong one, on a server that requires one",
        headers={"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
    ),
}
_CROSS_ORIGIN = {
    "403": _refused("A loopback server refuses writes sent by a browser page of another origin")
}


def _with_access(paths: dict[str, Any]) -> dict[str, Any]:
    """``paths`` with what the access policy answers (sgp_fake.core.access) on every operation."""
    guarded: dict[str, Any] = {}
    for path, item in paths.items():
        guarded[path] = {}
        for method, operation in item.items():
            responses = dict(operation["responses"])
            answers = {**_GUARD_ANSWERS, **({} if method == "get" else _CROSS_ORIGIN)}
            for status, answer in answers.items():
                own = responses.get(status)  # the route answers it for its own reason too
                description = answer["description"]
                if own is not None:
                    description = f"{own['description']}; or: {description}"
                responses[status] = {**answer, "description": description}
            guarded[path][method] = {
                **operation,
                # The empty requirement: a loopback server without a token needs none.
                "security": [{_TOKEN_SCHEME: []}, {}],
                "responses": dict(sorted(responses.items())),
            }
    return guarded


def documented_status_spec(resources: tuple[Resource, ...]) -> type[BaseModel] | None:
    """``POST /_fake/status``'s body as the document gives it: one variant per kind, each with
    its own statuses (``oneOf``, discriminated by ``kind``), so that the document admits no
    status of another kind (a v5 model's ``FAILED``). The route validates with
    :func:`~sgp_fake.extras.admin.schemas.status_spec`, the same bodies; its 422 for a status of
    another kind names the kind's statuses."""
    managed = {r.kind: r.lifecycle for r in resources if r.lifecycle is not None}
    if not managed:
        return None
    variants: list[type[BaseModel]] = []
    for kind, lifecycle in managed.items():
        title = "".join(part.capitalize() for part in kind.split("_"))
        statuses: Any = Literal[lifecycle.statuses]
        this_kind: Any = Literal[kind]
        variants.append(
            create_model(
                "StatusSpec" if len(managed) == 1 else f"StatusSpec{title}",
                __config__=FORBID,
                __doc__=f"A status to force on a record of {kind}.",
                kind=(this_kind, Field(description="The record's kind.")),
                id=(str, Field(description="The record's id.")),
                status=(
                    statuses,
                    Field(
                        description="The status to write. It stays until forced again, or "
                        "until the API writes another one (a deployment reconfigured)."
                    ),
                ),
            )
        )
    if len(variants) == 1:
        return variants[0]
    union: Any = Annotated[Union[tuple(variants)], Field(discriminator="kind")]
    model: type[BaseModel] = create_model(
        "StatusSpec",
        __base__=RootModel[union],
        __doc__="Body of POST /_fake/status: the status to force on one record.",
    )
    return model


def _admin_document(resources: tuple[Resource, ...], description: str) -> bytes:
    StateDocument = state_document(resources)
    StatusSpec = documented_status_spec(resources)
    document = build_openapi(
        [*operations(resources), meta_operation(lambda: b"")],
        extra_paths=_with_access(
            {
                **admin_paths(StateDocument, StatusSpec),
                **_trace_paths(resources),
                **admin_record_paths(resources),
            }
        ),
        description=description,
        extra_models=(
            StateDocument,
            ResetResult,
            RequestLog,
            RequestSummaryLog,
            ResourceList,
            FaultSpec,
            FaultView,
            FaultList,
            RateLimitSpec,
            RateLimitState,
            CoverageReport,
            ClockAdvance,
            ClockState,
            *(() if StatusSpec is None else (StatusSpec, StatusView)),
            *admin_record_models(resources),
            *(trace_models() if serves_traces(resources) else ()),
        ),
    )
    document["components"]["securitySchemes"][_TOKEN_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "Required by a server bound beyond loopback, or given a token with "
        "--admin-token or SGP_FAKE_ADMIN_TOKEN; other servers ignore it.",
    }
    state_models = {name for name in document["components"]["schemas"] if name.startswith("State")}
    _refuse_unknown_fields(document["components"]["schemas"], "StateDocument", own=state_models)
    return document_bytes(document)


@functools.lru_cache(maxsize=16)
def admin_openapi(
    resources: tuple[Resource, ...], description: str = DESCRIPTION
) -> Callable[[], bytes]:
    """What ``/openapi.json`` answers on a fake with the admin API: the resources' routes and
    the admin routes (built on first request, then kept)."""
    return functools.cache(functools.partial(_admin_document, resources, description))


def _refuse_unknown_fields(schemas: dict[str, Any], root: str, own: set[str]) -> None:
    """Make the schema ``root`` refuse unknown properties at every level, as its body does.

    Admin bodies are validated with ``extra="forbid"`` throughout, but the SGP models they
    contain accept unknown fields; each of those gets a copy that says otherwise, named with a
    ``-Strict`` suffix, which the admin schemas refer to. Schemas in ``own`` are the admin
    API's alone and change in place.
    """
    prefix = REF_TEMPLATE.format(model="")
    done: set[str] = set()

    def strict(name: str) -> str:
        schema = schemas[name]
        if "properties" not in schema:
            return name  # an enum, say: nothing to refuse
        target = name if name in own else f"{name}-Strict"
        if target not in done:
            done.add(target)
            strict_schema = copy.deepcopy(schema)
            strict_schema["additionalProperties"] = False
            schemas[target] = strict_schema
            refer(strict_schema)
        return target

    def refer(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix):
                node["$ref"] = prefix + strict(ref[len(prefix) :])
            discriminator = node.get("discriminator")
            mapping = discriminator.get("mapping") if isinstance(discriminator, dict) else None
            if isinstance(mapping, dict):  # a tagged union's mapping names its variants too
                for tag, target in mapping.items():
                    if isinstance(target, str) and target.startswith(prefix):
                        mapping[tag] = prefix + strict(target[len(prefix) :])
            for value in node.values():
                refer(value)
        elif isinstance(node, list):
            for value in node:
                refer(value)

    strict(root)


def admin_record_paths(resources: Iterable[Resource]) -> dict[str, Any]:
    """The OpenAPI path items of the kinds set through the admin API."""
    paths: dict[str, Any] = {}
    for resource in admin_kinds(resources):
        admin = resource.admin
        assert admin is not None
        base = f"{ADMIN_PREFIX}/{admin.path}"
        noun = admin.summary or resource.noun.lower()
        listing = record_list(resource)
        operation = admin.path.replace("-", "_")
        paths[base] = {
            "post": _operation(
                f"fake_add_{operation}",
                f"Add {indefinite(noun)}",
                _ok(f"The {noun}", resource.stored, "201"),
                description=admin.description,
                requestBody=_json_body(admin.spec),
            ),
            "get": _operation(
                f"fake_list_{operation}", f"Every {noun}", _ok("In matching order", listing)
            ),
            "delete": _operation(
                f"fake_clear_{operation}", f"Remove every {noun}", _ok("Removed", listing)
            ),
        }
        paths[base + "/{record_id}"] = {
            "delete": _operation(
                f"fake_delete_{operation}",
                f"Remove one {noun}",
                {
                    **_ok("The remaining ones", listing),
                    "404": error_response(f"No {noun} with that id"),
                },
                parameters=[
                    {
                        "name": "record_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            )
        }
    return paths


def admin_record_models(resources: Iterable[Resource]) -> tuple[type[BaseModel], ...]:
    """The component models of those paths."""
    models: list[type[BaseModel]] = []
    for resource in admin_kinds(resources):
        assert resource.admin is not None
        models += [resource.admin.spec, resource.stored, record_list(resource)]
    return tuple(models)
