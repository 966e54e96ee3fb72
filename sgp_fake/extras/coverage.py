"""Contract coverage: which parts of the API the traffic so far exercised.

SDK authors run their test suite against the fake, then read ``GET /_fake/coverage`` (or
:meth:`Coverage.report`) to see what their tests never touched. Per operation it reports:

* ``calls`` and ``status_codes`` (how many answers of each status; ``"none"`` counts requests
  whose connection a fault broke), and the documented status codes never answered;
* ``request_fields``: every field of the request schema as a dotted path, split into those
  some request sent and those none did. For the create operation the paths are over the JSON
  body (``vendor_configuration.bundle_config.image``; items of a list add ``[]``:
  ``model_creation_parameters_schema.parameters[].name``); for the list operation they are the
  query parameters. A field counts as sent when its key was present, whatever its value;
* ``unknown_fields_sent``: paths sent that the schema does not define (capped);
* ``enum_values``: for each enumerated field, the values sent and the values never sent;
* ``validation_errors``: how many times each pydantic error type was answered in a 422.

Requests to paths that are no SGP operation are counted under ``unmatched``. The operations
are the fake's operation table (each request arrives tagged with the operation that served it),
so every resource is covered with no code of its own. Admin requests never count. Coverage is
independent of the journal: neither a reset of the fake, nor clearing or limiting the journal
loses any (a test suite usually resets between tests and reads coverage at the end);
:meth:`Coverage.clear` (``DELETE /_fake/coverage``) clears it.

Recording costs the request path next to nothing: the raw exchange is queued as it is, and the
queue is analysed in batches, when a report is asked for or the queue is long, with identical
exchanges (the same operation, body and answer) analysed once.
"""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List

from pydantic import BaseModel, Field

from ..core.lazy_model import LazyModel
from ..core.openapi import documented_statuses
from ..core.operations import Operation
from ..core.query import parse_query

__all__ = [
    "MAX_LISTED",
    "Coverage",
    "CoverageReport",
    "EnumCoverage",
    "Exchange",
    "FieldCoverage",
    "OperationCoverage",
]

MAX_LISTED = 100
"""At most this many unknown fields per operation and unmatched routes are listed."""


class FieldCoverage(LazyModel):
    """Request fields of one operation: sent by some request, or by none."""

    sent: List[str]
    never_sent: List[str]


class EnumCoverage(LazyModel):
    """Values of one enumerated field: sent by some request, or by none."""

    used: List[str]
    unused: List[str]


class OperationCoverage(LazyModel):
    """What the traffic exercised of one operation."""

    method: str
    path: str
    calls: int
    status_codes: Dict[str, int] = Field(
        description="Answers by status code; 'none' counts connections a fault broke."
    )
    documented_status_codes_never_seen: List[str]
    request_fields: FieldCoverage
    unknown_fields_sent: List[str]
    enum_values: Dict[str, EnumCoverage]
    validation_errors: Dict[str, int] = Field(
        description="How many times each pydantic error type was answered in a 422."
    )


class CoverageReport(LazyModel):
    """Body of ``GET /_fake/coverage``."""

    requests: int = Field(description="Requests observed, admin requests excepted.")
    operations: Dict[str, OperationCoverage] = Field(description="By operation id.")
    unmatched: Dict[str, int] = Field(
        description="Requests to no SGP operation, by 'METHOD /path' (at most 100 listed)."
    )


# -- the request schema as a tree of fields ---------------------------------------------------


@dataclass
class _Node:
    """What a request schema allows at one place of a request."""

    properties: dict[str, _Node] | None = None  # an object with these fields
    items: _Node | None = None  # a list of these
    enum: tuple[str, ...] = ()  # one of these values


def _enum_values(schema: dict[str, Any]) -> list[str]:
    if "enum" in schema:
        return [str(v) for v in schema["enum"]]
    if "const" in schema:
        return [str(schema["const"])]
    return []


def _node(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> _Node:
    if depth > 32:  # the contract is not recursive; never loop on one that is
        return _Node()
    if "$ref" in schema:
        return _node(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth + 1)
    node = _Node(enum=tuple(_enum_values(schema)))
    if "anyOf" in schema:
        for branch_schema in schema["anyOf"]:
            if branch_schema.get("type") == "null":
                continue
            branch = _node(branch_schema, defs, depth + 1)
            node.properties = node.properties or branch.properties
            node.items = node.items or branch.items
            node.enum += tuple(v for v in branch.enum if v not in node.enum)
    elif "properties" in schema:
        node.properties = {
            name: _node(prop, defs, depth + 1) for name, prop in schema["properties"].items()
        }
    elif schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        node.items = _node(schema["items"], defs, depth + 1)
    return node


def _model_tree(model: type[BaseModel]) -> _Node:
    schema = model.model_json_schema()
    return _node(schema, schema.get("$defs", {}))


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _all_paths(
    node: _Node, prefix: str, fields: list[str], enums: dict[str, tuple[str, ...]]
) -> None:
    if node.enum and prefix:
        enums[prefix] = node.enum
    if node.properties is not None:
        for name, child in node.properties.items():
            path = _join(prefix, name)
            fields.append(path)
            _all_paths(child, path, fields, enums)
    if node.items is not None:
        _all_paths(node.items, f"{prefix}[]", fields, enums)


# -- operations ---------------------------------------------------------------------------------


@dataclass
class _Operation:
    operation_id: str
    method: str
    path: str
    schema: _Node | None  # of the body or of the query, per ``in_query``
    in_query: bool
    documented: tuple[str, ...]
    fields: list[str] = field(default_factory=list)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.schema is not None:
            _all_paths(self.schema, "", self.fields, self.enums)


@dataclass
class _Tally:
    calls: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    sent: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    enum_used: dict[str, set[str]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)


def _operation(op: Operation, documented: tuple[str, ...]) -> _Operation:
    if op.body is not None:
        return _Operation(op.name, op.method, op.path, _model_tree(op.body), False, documented)
    if op.query is not None:
        return _Operation(op.name, op.method, op.path, _model_tree(op.query), True, documented)
    return _Operation(op.name, op.method, op.path, None, False, documented)


Exchange = tuple[str | None, str, str, "bytes | str", bytes, "int | None", bytes]
"""What coverage needs of one request: the name of the operation that served it (``None``: no
operation did), method, path, raw query, body, answer status and answer body."""

_BATCH = 256
"""The most exchanges queued: the request that fills the queue analyses it (a few ms at most,
identical exchanges analysed once), so the queue holds few request bodies. Under a running
event loop the queue is analysed sooner, once the loop's current turn is over (see
:meth:`Coverage.record`)."""


def _json(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _error_types(response: bytes) -> list[str]:
    """The ``type`` of each error a 422's ``detail`` lists."""
    detail = _json(response)
    listed = detail.get("detail") if isinstance(detail, dict) else None
    if not isinstance(listed, list):
        return []
    return [
        error["type"]
        for error in listed
        if isinstance(error, dict) and isinstance(error.get("type"), str)
    ]


def _no_loop() -> asyncio.AbstractEventLoop | None:
    return None


class Coverage:
    """Accumulates what requests exercised of the contract; thread-safe.

    ``operations`` is the operation table. Feed it with :meth:`record`; read it with
    :meth:`report`. Meta operations (``/openapi.json``) are not counted.
    """

    def __init__(self, operations: Iterable[Operation]) -> None:
        operations = list(operations)
        self._lock = threading.Lock()
        self._table = [op for op in operations if not op.meta]
        self._built: dict[str, _Operation] | None = None
        self._meta = {op.name for op in operations if op.meta}
        self._tallies = {op.name: _Tally() for op in self._table}
        self._requests = 0
        self._unmatched: Counter[str] = Counter()
        self._queue: deque[Exchange] = deque()
        # The loop a drain is queued on (weakly: a loop closed before running it is not kept).
        self._scheduled: Callable[[], asyncio.AbstractEventLoop | None] = _no_loop
        # The exchange analysed last, and the error types of its 422: the same request again
        # (a poll, a retry, a load test) is counted without walking its body again.
        self._last: Exchange | None = None
        self._last_errors: list[str] = []

    @property
    def _operations(self) -> dict[str, _Operation]:
        # Built when first needed, by the first batch or report: each operation's schema
        # walked from its JSON Schema is most of a server's start-up otherwise.
        built = self._built
        if built is None:
            built = {op.name: _operation(op, documented_statuses(op)) for op in self._table}
            self._built = built
        return built

    def record(self, exchange: Exchange) -> None:
        """Queue one request and its answer (cheap: analysed later, in a batch).

        Under a running event loop (a server, an async client) the queue is analysed once the
        loop's current turn is over, after the answers of that turn were sent: no answer waits
        for it, and no request pays for a batch of 256 others. Without one (the sync
        transport), the request that fills the queue analyses it, and a report analyses what
        is left."""
        queue = self._queue
        queue.append(exchange)
        if len(queue) >= _BATCH:
            self._drain()
            return
        # A drain queued on a running loop will see this one too. Asked first because asking
        # for the running loop is a system call (getpid) in CPython 3.11, once per request.
        scheduled = self._scheduled()
        if scheduled is not None and scheduled.is_running():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._scheduled = weakref.ref(loop)
        loop.call_soon(self._drain_scheduled)

    def _drain_scheduled(self) -> None:
        self._scheduled = _no_loop
        if self._queue:
            self._drain()

    def clear(self) -> None:
        """Forget everything observed so far."""
        with self._lock:
            self._queue.clear()
            self._tallies = {op.name: _Tally() for op in self._table}
            self._requests = 0
            self._unmatched.clear()
            self._last = None

    def _drain(self) -> None:
        with self._lock:
            batch: Counter[Exchange] = Counter()
            queue = self._queue
            # Only what the analysis reads: identical requests are analysed once. A run of
            # them (a load test, a poll) is counted by comparing each with the one before,
            # cheaper than hashing its body to look it up.
            last: Exchange | None = None
            times = 0
            while queue:
                try:
                    exchange = queue.popleft()
                except IndexError:  # emptied by another thread meanwhile
                    break
                name, method, path, query, body, status, response = exchange
                key = (name, method, path, query, body, status, response if status == 422 else b"")
                if key == last:
                    times += 1
                    continue
                if last is not None:
                    batch[last] += times
                last, times = key, 1
            if last is not None:
                batch[last] += times
            for exchange, count in batch.items():
                self._observe(exchange, count)

    def _observe(self, exchange: Exchange, times: int) -> None:
        name, method, path, query, body, status, response = exchange
        if name in self._meta:
            return
        op = self._operations.get(name) if name is not None else None
        self._requests += times
        if op is None:
            key = f"{method} {path}"
            if key in self._unmatched or len(self._unmatched) < MAX_LISTED:
                self._unmatched[key] += times
            return
        tally = self._tallies[op.operation_id]
        tally.calls += times
        tally.statuses["none" if status is None else str(status)] += times
        if exchange == self._last:
            for error in self._last_errors:
                tally.errors[error] += times
            return
        self._last = exchange
        self._last_errors = _error_types(response) if status == 422 else []
        for error in self._last_errors:
            tally.errors[error] += times
        if op.schema is not None:
            if op.in_query:
                text = query.decode("latin-1") if isinstance(query, bytes) else query
                self._walk_query(text, op, tally)
            else:
                data = _json(body)
                if data is not None:
                    self._walk(data, op.schema, "", tally)

    def _walk_query(self, query: str, op: _Operation, tally: _Tally) -> None:
        known = op.schema.properties if op.schema is not None else None
        for name in parse_query(query.encode("latin-1")):
            if known is not None and name in known:
                tally.sent.add(name)
            elif len(tally.unknown) < MAX_LISTED:
                tally.unknown.add(name)

    def _walk(self, value: Any, node: _Node, path: str, tally: _Tally) -> None:
        if node.enum and isinstance(value, str) and value in node.enum:
            tally.enum_used.setdefault(path, set()).add(value)
        if node.properties is not None and isinstance(value, dict):
            for name, child_value in value.items():
                child_path = _join(path, str(name))
                child = node.properties.get(name)
                if child is None:
                    if len(tally.unknown) < MAX_LISTED:
                        tally.unknown.add(child_path)
                    continue
                tally.sent.add(child_path)
                self._walk(child_value, child, child_path, tally)
        elif node.items is not None and isinstance(value, list):
            for item in value:
                self._walk(item, node.items, f"{path}[]", tally)

    def report(self) -> CoverageReport:
        """What was exercised so far."""
        self._drain()
        with self._lock:
            operations = {}
            for op in self._operations.values():
                tally = self._tallies[op.operation_id]
                operations[op.operation_id] = OperationCoverage(
                    method=op.method,
                    path=op.path,
                    calls=tally.calls,
                    status_codes=dict(sorted(tally.statuses.items())),
                    documented_status_codes_never_seen=[
                        code for code in sorted(op.documented) if code not in tally.statuses
                    ],
                    request_fields=FieldCoverage(
                        sent=[f for f in op.fields if f in tally.sent],
                        never_sent=[f for f in op.fields if f not in tally.sent],
                    ),
                    unknown_fields_sent=sorted(tally.unknown),
                    enum_values={
                        path: EnumCoverage(
                            used=[v for v in values if v in tally.enum_used.get(path, ())],
                            unused=[v for v in values if v not in tally.enum_used.get(path, ())],
                        )
                        for path, values in op.enums.items()
                    },
                    validation_errors=dict(sorted(tally.errors.items())),
                )
            return CoverageReport(
                requests=self._requests,
                operations=operations,
                unmatched=dict(sorted(self._unmatched.items())),
            )
