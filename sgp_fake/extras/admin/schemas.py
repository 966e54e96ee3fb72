"""The admin API's request and answer bodies, and its query parameters.

Every body an admin route reads refuses unknown fields (:data:`FORBID`), at every level: a typo
must not pass for a default. The models whose fields depend on the resources served (the status
a record may be forced to, a list of scripted records) are built per tuple of resources and
cached.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any, Dict, List, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from ...clock import MAX_ADVANCE
from ...core.facts import compile_pattern
from ...core.faults import MAX_LATENCY, MAX_STALL_MS, check_fault
from ...core.lazy_model import LazyModel
from ...core.operations import Resource
from ...core.ratelimit import MAX_BURST, MIN_RATE

__all__ = [
    "FORBID",
    "ClockAdvance",
    "ClockState",
    "FaultList",
    "FaultSpec",
    "FaultView",
    "NoParams",
    "RateLimitSpec",
    "RateLimitState",
    "RequestLog",
    "RequestSummary",
    "RequestSummaryLog",
    "RequestView",
    "RequestsParams",
    "ResetParams",
    "ResetResult",
    "ResourceList",
    "ResourceView",
    "StatusView",
    "record_list",
    "status_spec",
]

FORBID = ConfigDict(extra="forbid")
"""The config of every admin body: unknown fields are refused."""


# What FaultSpec's validator demands, in its JSON Schema: a status, a connection fault, a
# latency above 0 or a stream cut; at most one of a status, a connection fault and a cut; and
# after and cut together. A field set to null counts as absent, as it does for the validator.
def _given(*names: str) -> dict[str, Any]:
    kinds = {
        "status": "integer",
        "connection": "string",
        "cut": "string",
        "after": "integer",
        "stall_ms": "integer",
    }
    return {"required": list(names), "properties": {n: {"type": kinds[n]} for n in names}}


# The anyOf sits in allOf: beside "properties" code generators read it as alternative objects
# rather than as a constraint on this one; under allOf they intersect it with the properties.
_FAULT_ACTS: dict[str, Any] = {
    "allOf": [
        {
            "anyOf": [
                _given("status"),
                _given("connection"),
                {"required": ["latency"], "properties": {"latency": {"exclusiveMinimum": 0}}},
                _given("cut"),
                _given("stall_ms"),
            ]
        }
    ],
    "not": {
        "anyOf": [
            _given("status", "connection"),
            _given("status", "cut"),
            _given("connection", "cut"),
            _given("status", "stall_ms"),
            _given("connection", "stall_ms"),
        ]
    },
    "oneOf": [
        {"allOf": [_given("after"), {"anyOf": [_given("cut"), _given("stall_ms")]}]},
        {"not": {"anyOf": [_given("after"), _given("cut"), _given("stall_ms")]}},
    ],
}


class FaultSpec(LazyModel):
    """Body of ``POST /_fake/faults``: which requests fail, how, and how many times.

    It needs a status, a connection fault, a latency, a stream cut or a stall, and has at most
    one of a status, a connection fault and a stream rule (a cut and/or a stall). A stream rule
    needs ``after``.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_FAULT_ACTS)

    method: str = Field("*", description="HTTP method to match, or '*' for any.")
    path: str = Field(
        "*",
        description="Path to match: exact, or a glob such as '/v4/model-templates/*'; matched "
        "against the path as sent (percent-encoded, '/v4/models/meta-llama%2FLlama-3/"
        "usage-statistics') and the decoded path: either will do.",
    )
    account_id: Optional[str] = Field(
        None,
        description="Only requests that act for this account: the account_id they carry (a "
        "create's body, else the query's last value), else the x-selected-account-id header, "
        "else (none named) the account of the record the path names (an inference call's "
        "deployment). Scripted responses and the journal's account mean the same.",
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
        description="Body of the answer, or the data of a cut's error event; by default "
        "FastAPI's {'detail': ...}. A string is sent as it is (a body that is not JSON, such "
        "as a proxy's HTML page: give its content-type in headers); any other value is sent "
        "as JSON.",
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
    cut: Optional[Literal["reset", "close", "error", "truncate", "malformed"]] = Field(
        None,
        description="How after cuts the stream: 'reset' (TCP RST), 'close' (the connection "
        "closed before the end of the body), 'error' (an SSE 'event: error' event whose "
        "data is body, then the end of the stream), 'truncate' (the end of the stream: no "
        "finish reason, no end marker) or 'malformed' (an event whose data is not JSON, then "
        "the end of the stream).",
    )
    stall_ms: Optional[int] = Field(
        None,
        ge=0,
        le=MAX_STALL_MS,
        description="Pause a streamed answer this many milliseconds after `after` chunks (0: "
        "before the first chunk), then go on with it (or cut it, with cut): a client's read "
        "timeout can be tested partway through an answer. Fires only for answers that stream.",
    )
    request_body: Any = Field(
        None,
        description="Only requests whose JSON body holds this: an object matches a body with "
        "these keys and values (a subset, at any depth; other keys ignored), anything else an "
        'equal value of the same JSON type. {"stream": true}: only streamed calls.',
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
        description="Only requests one of whose prompts this regular expression (RE2: no "
        "backreferences or lookaround) is found in.",
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
        check_fault(self)  # the in-process check: does something, and can be sent
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


class FaultList(LazyModel):
    """Body of ``GET /_fake/faults``."""

    faults: List[FaultView]


class RateLimitSpec(LazyModel):
    """Body of ``PUT /_fake/rate-limit``: a token bucket per API key."""

    model_config = FORBID

    # The bounds of RateLimit, as constraints, so that the schema shows them and a limit that
    # cannot work is a 422 like any other invalid field.
    rate: float = Field(
        ge=MIN_RATE,
        allow_inf_nan=False,
        description="Requests per second each API key may make on average: a finite number, "
        f"at least {MIN_RATE} (one request per {1 / MIN_RATE:.0f} seconds).",
    )
    burst: int = Field(ge=1, le=MAX_BURST, description="Requests an API key may make at once.")


class RateLimitState(LazyModel):
    """Body of the ``/_fake/rate-limit`` answers: the limit in force, or null."""

    rate_limit: Optional[RateLimitSpec]


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


# Seconds since the epoch up to this many are read as seconds; pydantic reads a greater number
# as milliseconds, which the document leaves out.
_MAX_SECONDS = 20_000_000_000


def _document_set(schema: dict[str, Any]) -> None:
    """``set`` in the document: an ISO 8601 string, or seconds since the epoch (a number)."""
    schema["anyOf"] = [
        # The years the validator takes (1970-01-01 to 9000-01-01 UTC), with a day's margin
        # for a time zone's offset at either end.
        {**branch, "pattern": "^(197[1-9]|19[89][0-9]|[2-8][0-9]{3})-"}
        if branch.get("type") == "string"
        else branch
        for branch in schema["anyOf"]
    ]
    schema["anyOf"].insert(-1, {"type": "number", "minimum": 0, "maximum": _MAX_SECONDS})
    schema["examples"] = ["2030-05-01T12:00:00Z", 1903867200]


class ClockAdvance(LazyModel):
    """Body of ``POST /_fake/clock``: ``advance`` or ``set``, exactly one."""

    # The validator's rule, documented so that the document admits no body it refuses
    # (neither or both given, a null one): the answer stays the validator's 422.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in ("advance", "set")
            ]
        },
    )

    advance: Optional[float] = Field(
        default=None,
        ge=0,
        le=MAX_ADVANCE,
        allow_inf_nan=False,
        description="Seconds to move the fake's clock forward: statuses that wait for it (a "
        "PENDING deployment) change at the first read after their time.",
    )
    set_to: Optional[datetime] = Field(
        default=None,
        alias="set",
        description="The instant the fake's clock reads from now on (ISO 8601, naive: UTC, or "
        "seconds since the epoch); it may go back. Records, usage and journal entries are "
        "dated by it from then on.",
        json_schema_extra=_document_set,
    )

    @model_validator(mode="after")
    def _one_of(self) -> ClockAdvance:
        if (self.advance is None) == (self.set_to is None):
            raise ValueError("give advance or set, exactly one")
        instant = self.instant
        # Records are dated from the clock: an instant near the calendar's ends would make
        # every later date overflow.
        if instant is not None and not _EARLIEST <= instant <= _LATEST:
            raise ValueError("set must be from 1970-01-01 to 9000-01-01 (UTC)")
        return self

    @property
    def instant(self) -> Optional[datetime]:
        """``set`` as an aware datetime (naive is UTC), if given."""
        value = self.set_to
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class ClockState(LazyModel):
    """Body of the ``/_fake/clock`` answers."""

    now: float = Field(description="The fake's time, in seconds since the epoch.")
    offset: float = Field(description="How many seconds the clock was moved forward in all.")


class StatusView(LazyModel):
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
        __config__=FORBID,
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


class ResetResult(LazyModel):
    """Body of ``POST /_fake/reset``."""

    deleted: int = Field(description="How many records were removed, of every kind.")


class RequestView(LazyModel):
    """One journal entry: a request and its answer."""

    sequence: int = Field(
        description="The entry's number: 1 for the fake's first request, one more for each "
        "next; never reused, not even after DELETE /_fake/requests or a reset."
    )
    method: str
    path: str = Field(description="The path, percent-decoded, as routes match it.")
    raw_path: str = Field(
        description="The path as sent, percent-encoded (a model name's '/' as %2F); the same "
        "as path when it holds no percent escape."
    )
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
        description="The client gave up before the answer: its read timeout passed (in "
        "process), or it closed its connection during an injected latency (over a socket). It "
        "got a timeout error, not this answer, though the request was handled."
    )
    operation: Optional[str] = Field(
        description="The operation that served the request (its operationId); null when no "
        "route did."
    )
    timestamp: float = Field(description="When the request arrived, in seconds since the epoch.")
    duration: float = Field(
        description="How long the fake took to answer, in seconds (a streamed answer: to its end)."
    )
    account: Optional[str] = Field(
        description="The account the request was for: a create's body account_id, else the "
        "query's, else x-selected-account-id."
    )


class RequestLog(LazyModel):
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
    __base__=LazyModel,
    __doc__="One journal entry without its headers and bodies: a line of a list.",
    **_summary_fields,
)
_summaries: Any = List[RequestSummary]
RequestSummaryLog: type[BaseModel] = create_model(
    "RequestSummaryLog",
    __base__=LazyModel,
    __doc__="Body of ``GET /_fake/requests?summary=true``.",
    requests=(_summaries, ...),
)


class ResourceView(LazyModel):
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


class ResourceList(LazyModel):
    """Body of ``GET /_fake/resources``: every kind the fake serves, in the state document's
    order."""

    resources: List[ResourceView]


# Query parameters: unknown ones are refused, as unknown body fields are.


class NoParams(LazyModel):
    """The query of a route that takes no parameter: any one is refused."""

    model_config = FORBID


class ResetParams(LazyModel):
    """The query of ``POST /_fake/reset``."""

    model_config = FORBID

    account_id: Optional[str] = Field(
        None, description="Remove only this account's records, and nothing else."
    )


class RequestsParams(LazyModel):
    """The query of ``GET /_fake/requests``."""

    model_config = FORBID

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
    method: Optional[str] = Field(
        None, description="Only requests with this method (any case): POST."
    )
    path: Optional[str] = Field(
        None,
        description="Only requests to this path, decoded or as sent: "
        "/v4/models/meta-llama%2FLlama-3/usage-statistics.",
    )
    status: Optional[int] = Field(None, description="Only requests answered with this status.")
    operation: Optional[str] = Field(
        None,
        description="Only requests this operation served (an operationId of /openapi.json): "
        "create_model_template.",
    )


@functools.lru_cache(maxsize=16)
def record_list(resource: Resource) -> type[BaseModel]:
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
