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

Requests to paths that are no SGP operation are counted under ``unmatched``. Coverage is
observed from the journal entries the app records, so admin requests never count, and it is
not cleared by a reset of the fake (a test suite usually resets between tests and reads
coverage at the end); :meth:`Coverage.clear` (``DELETE /_fake/coverage``) clears it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List
from urllib.parse import parse_qs

from pydantic import BaseModel, Field

from .journal import DEFAULT_JOURNAL_LIMIT, Journal, JournalEntry, _Row
from .models import ModelTemplateListParams, ModelTemplateRequest
from .openapi import build_openapi

__all__ = [
    "Coverage",
    "CoverageReport",
    "EnumCoverage",
    "FieldCoverage",
    "ObservedJournal",
    "OperationCoverage",
]

MAX_LISTED = 100
"""At most this many unknown fields per operation and unmatched routes are listed."""


class FieldCoverage(BaseModel):
    """Request fields of one operation: sent by some request, or by none."""

    sent: List[str]
    never_sent: List[str]


class EnumCoverage(BaseModel):
    """Values of one enumerated field: sent by some request, or by none."""

    used: List[str]
    unused: List[str]


class OperationCoverage(BaseModel):
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


class CoverageReport(BaseModel):
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
    pattern: re.Pattern[str]
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


def _operations() -> list[_Operation]:
    document = build_openapi()
    documented = {
        (method.upper(), path): tuple(op["responses"])
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }
    item = "/v4/model-templates/{model_template_id}"
    collection = "/v4/model-templates"
    by_id = re.compile(r"/v4/model-templates/[^/]+")
    exact = re.compile(re.escape(collection))
    specs = [
        (
            "create_model_template",
            "POST",
            collection,
            exact,
            _model_tree(ModelTemplateRequest),
            False,
        ),
        (
            "list_model_templates",
            "GET",
            collection,
            exact,
            _model_tree(ModelTemplateListParams),
            True,
        ),
        ("get_model_template", "GET", item, by_id, None, False),
        ("delete_model_template", "DELETE", item, by_id, None, False),
    ]
    return [
        _Operation(op_id, method, path, pattern, schema, in_query, documented[(method, path)])
        for op_id, method, path, pattern, schema, in_query in specs
    ]


class Coverage:
    """Accumulates what requests exercised of the contract; thread-safe.

    Feed it journal entries with :meth:`observe` (an :class:`ObservedJournal` does that for
    every request the app records); read it with :meth:`report`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._operations = _operations()
        self._tallies = {op.operation_id: _Tally() for op in self._operations}
        self._requests = 0
        self._unmatched: Counter[str] = Counter()

    def clear(self) -> None:
        """Forget everything observed so far."""
        with self._lock:
            self._tallies = {op.operation_id: _Tally() for op in self._operations}
            self._requests = 0
            self._unmatched.clear()

    def _operation(self, method: str, path: str) -> _Operation | None:
        for op in self._operations:
            if op.method == method and op.pattern.fullmatch(path):
                return op
        return None

    def observe(self, entry: JournalEntry) -> None:
        """Count one request and its answer."""
        if entry.path == "/openapi.json":
            return
        op = self._operation(entry.method, entry.path)
        with self._lock:
            self._requests += 1
            if op is None:
                key = f"{entry.method} {entry.path}"
                if key in self._unmatched or len(self._unmatched) < MAX_LISTED:
                    self._unmatched[key] += 1
                return
            tally = self._tallies[op.operation_id]
            tally.calls += 1
            tally.statuses["none" if entry.status is None else str(entry.status)] += 1
            if op.schema is not None:
                if op.in_query:
                    self._walk_query(entry.query, op, tally)
                else:
                    body = entry.json
                    if body is not None:
                        self._walk(body, op.schema, "", tally)
            if entry.status == 422:
                detail = entry.response_json
                errors = detail.get("detail") if isinstance(detail, dict) else None
                if isinstance(errors, list):
                    for error in errors:
                        if isinstance(error, dict) and isinstance(error.get("type"), str):
                            tally.errors[error["type"]] += 1

    def _walk_query(self, query: str, op: _Operation, tally: _Tally) -> None:
        known = op.schema.properties if op.schema is not None else None
        for name in parse_qs(query, keep_blank_values=True):
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
        with self._lock:
            operations = {}
            for op in self._operations:
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


class ObservedJournal(Journal):
    """A journal that also feeds every recorded entry to a :class:`Coverage`."""

    def __init__(self, coverage: Coverage, limit: int | None = DEFAULT_JOURNAL_LIMIT) -> None:
        super().__init__(limit)
        self.coverage = coverage

    @property
    def recording(self) -> bool:
        """Always: every entry counts in the coverage, even when none is kept."""
        return True

    def _append(self, row: _Row) -> None:
        # Every way of recording ends here: count the entry in the coverage too.
        super()._append(row)
        self.coverage.observe(JournalEntry._from_row(row))
