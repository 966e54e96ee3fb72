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
"""

from __future__ import annotations

import copy
import functools
from contextlib import AbstractContextManager
from typing import (
    Annotated,
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Protocol,
)

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticSerializationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..clock import MAX_ADVANCE, FakeClock
from ..core.bodies import validate_body
from ..core.call import BODY_SCOPE_KEY
from ..core.facts import compile_pattern
from ..core.faults import MAX_LATENCY, FaultRule, FaultRules
from ..core.gateway import ADMIN_PREFIX, json_response
from ..core.journal import Journal, JournalEntry
from ..core.openapi import (
    DESCRIPTION,
    REF_TEMPLATE,
    build_openapi,
    document_bytes,
    error_response,
    meta_operation,
    schema_ref,
)
from ..core.operations import Resource, operations
from ..core.query import parse_query
from ..core.ratelimit import MAX_BURST, MIN_RATE, RateLimit, RateLimiter
from ..core.table import Table
from ..errors import BodyParseError, NotFound, RequestValidationError
from .coverage import Coverage, CoverageReport
from .dashboard import dashboard_routes
from .transitions import Transitions

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
    "state_document",
    "status_spec",
]

_FORBID = ConfigDict(extra="forbid")


class AdminBackend(Protocol):
    """What the admin API needs of a fake (see ``sgp_fake.state.FakeState``)."""

    @property
    def tables(self) -> Mapping[str, Table[Any]]: ...
    @property
    def resources(self) -> Mapping[str, Resource]: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def faults(self) -> FaultRules: ...
    @property
    def rate_limiter(self) -> RateLimiter: ...
    @property
    def coverage(self) -> Coverage | None: ...
    @property
    def clock(self) -> FakeClock: ...
    @property
    def transitions(self) -> Transitions | None: ...

    def reset(self, account_id: str | None = None) -> int: ...

    def transaction(self) -> AbstractContextManager[None]: ...


# -- bodies ----------------------------------------------------------------------------------


# What FaultSpec's validator demands, in its JSON Schema: a status, a connection fault, a
# latency above 0 or a stream cut; at most one of a status, a connection fault and a cut; and
# after and cut together. A field set to null counts as absent, as it does for the validator.
def _given(*names: str) -> dict[str, Any]:
    kinds = {"status": "integer", "connection": "string", "cut": "string", "after": "integer"}
    return {"required": list(names), "properties": {n: {"type": kinds[n]} for n in names}}


_FAULT_ACTS: dict[str, Any] = {
    "anyOf": [
        _given("status"),
        _given("connection"),
        {"required": ["latency"], "properties": {"latency": {"exclusiveMinimum": 0}}},
        _given("cut"),
    ],
    "not": {
        "anyOf": [
            _given("status", "connection"),
            _given("status", "cut"),
            _given("connection", "cut"),
        ]
    },
    "oneOf": [_given("after", "cut"), {"not": {"anyOf": [_given("after"), _given("cut")]}}],
}


class FaultSpec(BaseModel):
    """Body of ``POST /_fake/faults``: which requests fail, how, and how many times.

    It needs a status, a connection fault, a latency or a stream cut, and has at most one of a
    status, a connection fault and a cut. A cut needs both ``after`` and ``cut``.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_FAULT_ACTS)

    method: str = Field("*", description="HTTP method to match, or '*' for any.")
    path: str = Field(
        "*", description="Path to match: exact, or a glob such as '/v4/model-templates/*'."
    )
    account_id: Optional[str] = Field(
        None,
        description="Only requests for this account: the account_id they carry (a create's "
        "body, else the query's last value), else the x-selected-account-id header.",
    )
    times: Optional[int] = Field(
        1, ge=1, description="Fire for the next N matching requests; null fires for every one."
    )
    status: Optional[int] = Field(
        None, ge=100, le=599, description="Answer with this status instead of handling the request."
    )
    headers: Dict[str, str] = Field(
        default_factory=dict,
        description="Headers of the answer, e.g. retry-after or retry-after-ms.",
    )
    body: Any = Field(
        None,
        description="Body of the answer (JSON), or the data of a cut's error event; by default "
        "FastAPI's {'detail': ...}.",
    )
    latency: float = Field(
        0.0, ge=0, le=MAX_LATENCY, description="Seconds to wait before answering."
    )
    connection: Optional[Literal["reset", "empty"]] = Field(
        None,
        description="Break the connection instead of answering: 'reset' (TCP RST) or 'empty' "
        "(closed without a byte of response).",
    )
    retry_after_ms: Optional[int] = Field(
        None,
        ge=0,
        description="Add a retry-after-ms header with this value to the status answer, unless "
        "headers has one. The official SDK waits that long before a retry when it is more "
        "than 0 and at most 60000.",
    )
    after: Optional[int] = Field(
        None,
        ge=0,
        description="Cut a streamed answer after this many chunks (or at its end, if shorter), "
        "by cut. A cut rule fires only for answers that stream: the request is handled, and "
        "the answer starts (status and headers) before it is cut.",
    )
    cut: Optional[Literal["reset", "close", "error"]] = Field(
        None,
        description="How after cuts the stream: 'reset' (TCP RST), 'close' (the connection "
        "closed before the end of the body) or 'error' (an SSE 'event: error' event whose "
        "data is body, then the end of the stream).",
    )
    deployment: Optional[str] = Field(
        None,
        description="Only requests about this model deployment, by id or name (the inference "
        "routes, execute and usage statistics).",
    )
    model: Optional[str] = Field(
        None,
        description="Only requests about a deployment of this model, by id or name (or, for "
        "usage statistics by model name, that name).",
    )
    prompt: Optional[str] = Field(
        None,
        description="Only requests whose prompt holds this text: a completion's prompt, a "
        "chat's new message (its prompt), an execution's prompts, the texts to embed, a "
        "reranking's query.",
    )
    prompt_regex: Optional[str] = Field(
        None,
        description="Only requests one of whose prompts this Python regular expression is "
        "found in (re.search).",
        json_schema_extra={"format": "regex"},
    )

    @field_validator("prompt_regex")
    @classmethod
    def _compiles(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            compile_pattern(value)
        return value

    @model_validator(mode="after")
    def _does_something(self) -> FaultSpec:
        answers, breaks = self.status is not None, self.connection is not None
        if not (answers or breaks or self.cut is not None or self.latency):
            raise ValueError("a fault needs a status, a connection fault, a latency or a cut")
        if answers and breaks:
            raise ValueError("a fault answers a status or breaks the connection, not both")
        if self.cut is not None and (answers or breaks):
            raise ValueError("a stream cut comes with no status and no connection fault")
        if (self.after is None) != (self.cut is None):
            raise ValueError("a stream cut needs both after (a number of chunks) and cut")
        return self


class FaultView(FaultSpec):
    """A fault rule as ``GET /_fake/faults`` lists it; spent rules stay listed until removed."""

    # A rule added from Python may do nothing; the listing shows it as it is.
    model_config = ConfigDict(extra="forbid", json_schema_extra=None)

    id: str = Field(description="Use it to delete the rule: DELETE /_fake/faults/{id}.")
    hits: int = Field(description="How many requests the rule fired for so far.")
    spent: bool = Field(description="The rule fired its times and will not fire again.")
    fired_at: List[float] = Field(
        description="When it fired: Unix times, oldest first (the latest 100)."
    )


class FaultList(BaseModel):
    """Body of ``GET /_fake/faults``."""

    faults: List[FaultView]


class RateLimitSpec(BaseModel):
    """Body of ``PUT /_fake/rate-limit``: a token bucket per API key."""

    model_config = _FORBID

    # The bounds of RateLimit, as constraints, so that the schema shows them and a limit that
    # cannot work is a 422 like any other invalid field.
    rate: float = Field(
        ge=MIN_RATE,
        allow_inf_nan=False,
        description="Requests per second each API key may make on average: a finite number, "
        f"at least {MIN_RATE} (one request per {1 / MIN_RATE:.0f} seconds).",
    )
    burst: int = Field(ge=1, le=MAX_BURST, description="Requests an API key may make at once.")


class RateLimitState(BaseModel):
    """Body of the ``/_fake/rate-limit`` answers: the limit in force, or null."""

    rate_limit: Optional[RateLimitSpec]


MAX_ID_LENGTH = 1024
"""The longest id ``PUT /_fake/state`` takes: percent-encoded (up to 12 bytes a character), its
URL stays under the 16 KiB a server such as uvicorn reads for a request head."""


def _reachable(resource: Resource) -> Callable[[str], str]:
    """The check that an id can be reached at ``<collection>/{id}``."""
    noun = resource.noun.lower()
    collection = resource.collection

    def reachable_id(record_id: str) -> str:
        # The route matches one path segment of the percent-decoded path, so an id may hold any
        # character a client can percent-encode (the official SDK does), except '/'.
        if not record_id:
            raise ValueError(f"a {noun} id cannot be empty: GET {collection}/ is the list")
        if "/" in record_id:
            raise ValueError(f"a {noun} id cannot contain '/': it must be one path segment")
        if record_id in (".", ".."):
            raise ValueError(
                f"a {noun} id cannot be '.' or '..': clients remove such path segments"
            )
        if len(record_id) > MAX_ID_LENGTH:
            raise ValueError(
                f"a {noun} id has at most {MAX_ID_LENGTH} characters, so that a URL can carry it"
            )
        try:
            record_id.encode()
        except UnicodeEncodeError:
            raise ValueError(
                f"a {noun} id must be text UTF-8 can encode, as URLs carry it"
            ) from None
        return record_id

    return reachable_id


def _state_record(resource: Resource) -> type[BaseModel]:
    """``resource``'s stored record, with an id a route can reach."""
    name = "State" + "".join(word.capitalize() for word in resource.noun.split())
    collection = resource.collection
    model: type[BaseModel] = create_model(
        name,
        __base__=resource.stored,
        __doc__=f"A {resource.noun.lower()} of /_fake/state: as the API answers it, with an id "
        "a route can reach.",
        id=(
            Annotated[str, AfterValidator(_reachable(resource))],
            Field(
                description=f"Unique, opaque identifier, reached at {collection}/{{id}} "
                "(percent-encoded): not empty, no '/', not '.' or '..'.",
                json_schema_extra={
                    "minLength": 1,
                    "maxLength": MAX_ID_LENGTH,
                    "pattern": "^[^/]+$",
                    "not": {"enum": [".", ".."]},
                },
            ),
        ),
    )
    return model


def _unique_ids(document: BaseModel) -> BaseModel:
    for kind, records in document:
        seen: set[str] = set()
        for record in records:
            if record.id in seen:
                raise ValueError(f"duplicate {kind} id {record.id!r}")
            seen.add(record.id)
    return document


@functools.lru_cache(maxsize=16)
def state_document(resources: tuple[Resource, ...]) -> type[BaseModel]:
    """The model of ``GET`` and ``PUT /_fake/state`` for these resources: a list per kind.

    A kind left out of a document is an empty list, so a document of one kind (``{"model_templates":
    [...]}``) stays valid however many resources the fake serves.
    """
    fields: dict[str, Any] = {
        resource.kind: (
            List[_state_record(resource)],  # type: ignore[misc]
            Field(
                default_factory=list,
                description=f"Every {resource.noun.lower()}, oldest first; no two with the "
                "same id.",
            ),
        )
        for resource in resources
    }
    model: type[BaseModel] = create_model(
        "StateDocument",
        __config__=_FORBID,
        __doc__="Every record the fake holds, by kind: body of GET and PUT /_fake/state.",
        __validators__={"_unique_ids": model_validator(mode="after")(_unique_ids)},  # type: ignore[dict-item]
        **fields,
    )
    return model


def dangling_references(
    resources: Mapping[str, Resource], document: BaseModel
) -> list[dict[str, Any]]:
    """What a state document's references name that the document does not hold, as the 422
    errors of ``PUT /_fake/state`` (``loc`` ``["body", kind, index, field]``); empty when every
    reference names a record of the document, in the same account where it must."""
    accounts = {
        kind: {record.id: record.account_id for record in records} for kind, records in document
    }
    errors: list[dict[str, Any]] = []
    for kind, records in document:
        resource = resources[kind]
        for index, record in enumerate(records):
            for ref in resource.references:
                value = getattr(record, ref.field, None)
                if not isinstance(value, str):
                    continue
                noun = resources[ref.kind].noun.lower() if ref.kind in resources else ref.kind
                owner = accounts.get(ref.kind, {}).get(value)
                if owner is None:
                    problem = f"no {noun} {value!r} in the document"
                elif ref.same_account and owner != record.account_id:
                    problem = (
                        f"{noun} {value!r} belongs to account {owner!r}, not {record.account_id!r}"
                    )
                else:
                    continue
                errors.append(
                    {
                        "type": "value_error",
                        "loc": ["body", kind, index, ref.field],
                        "msg": f"Value error, {problem}",
                        "input": value,
                        "ctx": {"error": problem},
                    }
                )
    return errors


class ClockAdvance(BaseModel):
    """Body of ``POST /_fake/clock``."""

    model_config = _FORBID

    advance: float = Field(
        ge=0,
        le=MAX_ADVANCE,
        allow_inf_nan=False,
        description="Seconds to move the fake's clock forward: statuses that wait for it (a "
        "PENDING deployment) change at the first read after their time.",
    )


class ClockState(BaseModel):
    """Body of the ``/_fake/clock`` answers."""

    now: float = Field(description="The fake's time, in seconds since the epoch.")
    offset: float = Field(description="How many seconds the clock was moved forward in all.")


class StatusView(BaseModel):
    """Body of the ``POST /_fake/status`` answer: the record's status now."""

    kind: str
    id: str
    status: str


@functools.lru_cache(maxsize=16)
def status_spec(resources: tuple[Resource, ...]) -> type[BaseModel] | None:
    """The body of ``POST /_fake/status`` for these resources; ``None`` when none of them has
    a status that moves with the clock (the route is then not served)."""
    managed = {r.kind: r.lifecycle for r in resources if r.lifecycle is not None}
    if not managed:
        return None
    statuses = tuple(dict.fromkeys(s for lifecycle in managed.values() for s in lifecycle.statuses))

    def known_status(spec: Any) -> Any:
        allowed = managed[spec.kind].statuses
        if spec.status not in allowed:
            raise ValueError(f"a {spec.kind} status is one of {', '.join(allowed)}")
        return spec

    kinds: Any = Literal[tuple(managed)]
    values: Any = Literal[statuses]
    model: type[BaseModel] = create_model(
        "StatusSpec",
        __config__=_FORBID,
        __doc__="Body of POST /_fake/status: the status to force on one record.",
        __validators__={"_known_status": model_validator(mode="after")(known_status)},  # type: ignore[dict-item]
        kind=(kinds, Field(description="The record's kind.")),
        id=(str, Field(description="The record's id.")),
        status=(
            values,
            Field(
                description="The status to write. It stays until forced again, or until the "
                "API writes another one (a deployment reconfigured)."
            ),
        ),
    )
    return model


class ResetResult(BaseModel):
    """Body of ``POST /_fake/reset``."""

    deleted: int = Field(description="How many records were removed, of every kind.")


class RequestView(BaseModel):
    """One journal entry: a request and its answer."""

    sequence: int = Field(
        description="The entry's number: 1 for the fake's first request, one more for each "
        "next; never reused, not even after DELETE /_fake/requests or a reset."
    )
    method: str
    path: str
    query: str = Field(description="The raw query string.")
    headers: Dict[str, str]
    body: Any = Field(description="The body, decoded from JSON, else as text.")
    status: Optional[int] = Field(
        description="Null when a fault broke the connection before the answer started."
    )
    response_headers: Dict[str, str]
    response_body: Any = Field(
        description="The answer's body (a streamed one whole, as sent), decoded from JSON, else "
        "as text."
    )
    fault: Optional[str] = Field(description="Id of the fault rule that fired, if any.")
    rule: Optional[str] = Field(
        description="What answered instead of the operation's own answer: a fault rule's id, "
        "or 'rate-limit'; else the scripted response that gave the content."
    )
    response: Optional[str] = Field(
        description="Id of the scripted response that gave the answer's content, if any."
    )
    timed_out: bool = Field(
        description="The client's read timeout passed before the answer (in-process clients "
        "only): it got a timeout error, not this answer, though the request was handled."
    )
    operation: Optional[str] = Field(
        description="The operation that served the request (its operationId); null when no "
        "route did."
    )
    timestamp: float = Field(description="When the request arrived, in seconds since the epoch.")
    duration: float = Field(
        description="How long the fake took to answer, in seconds (a streamed answer: to its "
        "end)."
    )
    account: Optional[str] = Field(
        description="The account the request was for: a create's body account_id, else the "
        "query's, else x-selected-account-id."
    )


class RequestLog(BaseModel):
    """Body of ``GET /_fake/requests``: requests oldest first, with what they were answered."""

    requests: List[RequestView]


_BULKY = ("headers", "body", "response_headers", "response_body")
"""What ``GET /_fake/requests?summary=true`` leaves out of each entry."""

_summary_fields: dict[str, Any] = {
    name: (info.annotation, info)
    for name, info in RequestView.model_fields.items()
    if name not in _BULKY
}
RequestSummary: type[BaseModel] = create_model(
    "RequestSummary",
    __doc__="One journal entry without its headers and bodies: a line of a list.",
    **_summary_fields,
)
_summaries: Any = List[RequestSummary]
RequestSummaryLog: type[BaseModel] = create_model(
    "RequestSummaryLog",
    __doc__="Body of ``GET /_fake/requests?summary=true``.",
    requests=(_summaries, ...),
)


def _summary(entry: JournalEntry) -> dict[str, Any]:
    # Built from the entry's fields, not from to_dict(): no body is decoded for a summary.
    return {
        "sequence": entry.sequence,
        "method": entry.method,
        "path": entry.path,
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


class ResourceView(BaseModel):
    """One kind of record the fake serves, as ``GET /_fake/resources`` lists it."""

    kind: str = Field(description="The kind: its key in the state document (/_fake/state).")
    noun: str = Field(description="What one record is called ('Model template').")
    collection: str = Field(
        description="The path its records are listed and created at; a record is at "
        "<collection>/{id}."
    )
    references: Dict[str, str] = Field(
        description="Each field of a record that holds the id of a record of another kind, "
        "with that kind."
    )


class ResourceList(BaseModel):
    """Body of ``GET /_fake/resources``: every kind the fake serves, in the state document's
    order."""

    resources: List[ResourceView]


# Query parameters: unknown ones are refused, as unknown body fields are.


class _NoParams(BaseModel):
    model_config = _FORBID


class _ResetParams(BaseModel):
    model_config = _FORBID

    account_id: Optional[str] = Field(
        None, description="Remove only this account's records, and nothing else."
    )


class _RequestsParams(BaseModel):
    model_config = _FORBID

    limit: Optional[int] = Field(
        None,
        ge=0,
        description="At most N requests: the newest N, or with after, the first N after it.",
    )
    after: Optional[int] = Field(
        None,
        ge=0,
        description="Only requests with a greater sequence number, to page forward: pass the "
        "sequence of the last request read.",
    )
    summary: bool = Field(
        False,
        description="Leave out the headers and bodies of each request and its answer: a short "
        "answer for a list of the requests.",
    )


_QUERY_SCOPE_KEY = "sgp_fake.admin_query"


def _query(model: type[BaseModel], request: Request) -> Any:
    try:
        return model.model_validate(parse_query(request.scope["query_string"]))
    except PydanticValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ["query", *e["loc"]]} for e in exc.errors(include_url=False)]
        ) from None


_Endpoint = Callable[[Request], Awaitable[Response]]


def _checking_query(endpoint: _Endpoint, params: type[BaseModel]) -> _Endpoint:
    """``endpoint`` behind a check of the query string, whose values it finds in the scope."""

    async def checked(request: Request) -> Response:
        request.scope[_QUERY_SCOPE_KEY] = _query(params, request)
        return await endpoint(request)

    return checked


def _body(model: type[BaseModel], request: Request) -> Any:
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


# -- routes ----------------------------------------------------------------------------------


class _Admin:
    def __init__(self, backend: AdminBackend) -> None:
        self.backend = backend
        self.document = state_document(tuple(backend.resources.values()))
        self.status_spec = status_spec(tuple(backend.resources.values()))

    async def reset(self, request: Request) -> Response:
        params: _ResetParams = request.scope[_QUERY_SCOPE_KEY]
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
        document = _body(self.document, request)
        dangling = dangling_references(self.backend.resources, document)
        if dangling:
            raise RequestValidationError(dangling)
        try:
            replace_state(self.backend, document)
        except PydanticSerializationError as exc:
            # A lone surrogate in a string: JSON can carry it, UTF-8 cannot (as on create).
            raise BodyParseError() from exc
        return self._state()

    async def get_requests(self, request: Request) -> Response:
        params: _RequestsParams = request.scope[_QUERY_SCOPE_KEY]
        journal = self.backend.journal
        if params.after is not None:
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
        spec: FaultSpec = _body(FaultSpec, request)
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
        spec: RateLimitSpec = _body(RateLimitSpec, request)
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
        spec: ClockAdvance = _body(ClockAdvance, request)
        self.backend.clock.advance(spec.advance)
        return self._clock()

    async def force_status(self, request: Request) -> Response:
        assert self.status_spec is not None  # the route is served only with managed kinds
        spec: Any = _body(self.status_spec, request)
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


def replace_state(backend: AdminBackend, document: BaseModel) -> None:
    """Replace every table with the document's records, as one change: every record is
    written out first, so one that cannot be changes nothing."""
    tables = backend.tables
    rows = {kind: tables[kind].prepare(records) for kind, records in document}
    with backend.transaction():
        for kind, table_rows in rows.items():
            tables[kind].load(table_rows)


def admin_routes(
    backend: AdminBackend, openapi: Callable[[], bytes] | None = None
) -> list[BaseRoute]:
    """The admin API's routes, bound to ``backend``, and the dashboard's; pass them to
    ``create_app``. ``openapi`` gives the document the fake serves (by default, that of
    :func:`admin_openapi`); the dashboard reads it."""
    admin = _Admin(backend)
    p = ADMIN_PREFIX
    table: list[tuple[str, _Endpoint, str, type[BaseModel]]] = [
        ("/reset", admin.reset, "POST", _ResetParams),
        ("/state", admin.get_state, "GET", _NoParams),
        ("/state", admin.put_state, "PUT", _NoParams),
        ("/requests", admin.get_requests, "GET", _RequestsParams),
        ("/requests", admin.delete_requests, "DELETE", _NoParams),
        ("/faults", admin.add_fault, "POST", _NoParams),
        ("/faults", admin.list_faults, "GET", _NoParams),
        ("/faults", admin.clear_faults, "DELETE", _NoParams),
        ("/faults/{fault_id}", admin.delete_fault, "DELETE", _NoParams),
        ("/rate-limit", admin.get_rate_limit, "GET", _NoParams),
        ("/rate-limit", admin.put_rate_limit, "PUT", _NoParams),
        ("/rate-limit", admin.delete_rate_limit, "DELETE", _NoParams),
        ("/coverage", admin.get_coverage, "GET", _NoParams),
        ("/coverage", admin.clear_coverage, "DELETE", _NoParams),
        ("/clock", admin.get_clock, "GET", _NoParams),
        ("/clock", admin.advance_clock, "POST", _NoParams),
        ("/resources", admin.get_resources, "GET", _NoParams),
    ]
    if admin.status_spec is not None:
        table.append(("/status", admin.force_status, "POST", _NoParams))
    return [
        *(
            Route(p + path, _checking_query(endpoint, params), methods=[method])
            for path, endpoint, method, params in table
        ),
        *admin_record_routes(backend),
        *dashboard_routes(openapi or admin_openapi(tuple(backend.resources.values()))),
    ]


# -- OpenAPI -----------------------------------------------------------------------------------

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
    ``StatusSpec``: see :func:`status_spec`)."""
    p = ADMIN_PREFIX
    paths = {
        f"{p}/reset": {
            "post": _operation(
                "fake_reset",
                "Reset the fake",
                _ok("Reset", ResetResult),
                description="Empties every table, the journal, the faults and the rate limit; "
                "with account_id, only that account's records. Coverage is kept.",
                parameters=[_param("account_id", _ResetParams)],
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
                "summary=true leaves out headers and bodies.",
                parameters=[
                    _param("limit", _RequestsParams),
                    _param("after", _RequestsParams),
                    _param("summary", _RequestsParams),
                ],
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
                "Move the fake's clock forward",
                _ok("Now", ClockState),
                description="Statuses waiting for the clock (a PENDING deployment) change at "
                "the first read after their time; reading never moves the clock.",
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
    """``paths`` with what the access policy answers (sgp_fake.access) on every operation."""
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


def _admin_document(resources: tuple[Resource, ...], description: str) -> bytes:
    StateDocument = state_document(resources)
    StatusSpec = status_spec(resources)
    document = build_openapi(
        [*operations(resources), meta_operation(lambda: b"")],
        extra_paths=_with_access(
            {**admin_paths(StateDocument, StatusSpec), **admin_record_paths(resources)}
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
            for value in node.values():
                refer(value)
        elif isinstance(node, list):
            for value in node:
                refer(value)

    strict(root)


# -- records set through the admin API (scripted responses) ------------------------------------
#
# A resource that declares ``admin`` (see sgp_fake.core.operations.AdminRecords) is served at
# /_fake/<path>: POST adds one, GET lists them, DELETE removes them all, DELETE .../{id} one.


@functools.lru_cache(maxsize=16)
def _record_list(resource: Resource) -> type[BaseModel]:
    """The body of ``GET /_fake/<path>``: ``{"<path>": [...]}``."""
    assert resource.admin is not None
    name = "".join(word.capitalize() for word in resource.noun.split()) + "List"
    fields: dict[str, Any] = {resource.admin.path: (List[resource.stored], ...)}  # type: ignore[name-defined]
    model: type[BaseModel] = create_model(
        name,
        __doc__=f"Body of GET /_fake/{resource.admin.path}: every {resource.noun.lower()}, "
        "in matching order.",
        **fields,
    )
    return model


def _admin_resources(resources: Iterable[Resource]) -> list[Resource]:
    return [resource for resource in resources if resource.admin is not None]


def admin_record_routes(backend: AdminBackend) -> list[BaseRoute]:
    """The routes of the kinds set through the admin API, bound to ``backend``."""
    routes: list[BaseRoute] = []
    for resource in _admin_resources(backend.resources.values()):
        records = _AdminRecords(backend, resource)
        base = f"{ADMIN_PREFIX}/{records.path}"
        for path, endpoint, method in (
            (base, records.add, "POST"),
            (base, records.list, "GET"),
            (base, records.clear, "DELETE"),
            (base + "/{record_id}", records.remove, "DELETE"),
        ):
            routes.append(Route(path, _checking_query(endpoint, _NoParams), methods=[method]))
    return routes


class _AdminRecords:
    def __init__(self, backend: AdminBackend, resource: Resource) -> None:
        assert resource.admin is not None
        self.backend = backend
        self.resource = resource
        self.spec = resource.admin
        self.path = resource.admin.path

    def _table(self) -> Table[Any]:
        return self.backend.tables[self.resource.kind]

    def _listed(self) -> Response:
        bodies = b",".join(record.body for record in self._table().all())
        return Response(
            b'{"%s":[%s]}' % (self.path.encode(), bodies), media_type="application/json"
        )

    async def add(self, request: Request) -> Response:
        spec = _body(self.spec.spec, request)
        try:
            record = self.spec.add(self._table(), spec)
        except PydanticSerializationError as exc:
            raise BodyParseError() from exc  # a lone surrogate: JSON carries it, UTF-8 cannot
        return Response(record.body, status_code=201, media_type="application/json")

    async def list(self, request: Request) -> Response:
        return self._listed()

    async def clear(self, request: Request) -> Response:
        self._table().clear()
        return self._listed()

    async def remove(self, request: Request) -> Response:
        record_id = request.path_params["record_id"]
        if self._table().delete(record_id) is None:
            raise NotFound(f"{self.resource.noun} {record_id} not found")
        return self._listed()


def admin_record_paths(resources: Iterable[Resource]) -> dict[str, Any]:
    """The OpenAPI path items of the kinds set through the admin API."""
    paths: dict[str, Any] = {}
    for resource in _admin_resources(resources):
        admin = resource.admin
        assert admin is not None
        base = f"{ADMIN_PREFIX}/{admin.path}"
        noun = admin.summary or resource.noun.lower()
        listing = _record_list(resource)
        operation = admin.path.replace("-", "_")
        paths[base] = {
            "post": _operation(
                f"fake_add_{operation}",
                f"Add a {noun}",
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
    for resource in _admin_resources(resources):
        assert resource.admin is not None
        models += [resource.admin.spec, resource.stored, _record_list(resource)]
    return tuple(models)
