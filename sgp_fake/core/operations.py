"""The operation table: what the fake serves, declared as data.

An :class:`Operation` is one route (method and path template) with its handler and the schemas
that describe it; a :class:`Resource` groups the operations of one kind of record with what the
core needs to know of it (its stored schema, its table, what contract mode makes up). Routing,
the OpenAPI document, contract coverage, journal tags and interception are all derived from
these declarations; nothing in the core names a resource.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Mapping, Sequence

from pydantic import BaseModel

if TYPE_CHECKING:
    from .answers import Reply
    from .call import Call
    from .facts import Facts
    from .table import Record, Table

__all__ = [
    "About",
    "AdminRecords",
    "CheckState",
    "Handler",
    "Lifecycle",
    "MadeUp",
    "Operation",
    "Reference",
    "Render",
    "Resource",
    "StateProblem",
    "header_name",
    "operations",
    "path_parameters",
]

Handler = Callable[["Call"], "Reply"]
"""A handler: a plain function of the request, answering (whole or streamed) or raising
``FakeHTTPError``."""

MadeUp = Callable[["Call", str, str], bytes]
"""Contract mode's record for an unknown id: ``made_up(call, record_id, account_id)`` gives its
JSON, the same for the same request (the call gives the caller and the path's other ids)."""

About = Callable[["Call"], "Facts"]
"""What a request is about, for rules that match more than its method, path and account:
``about(call)`` gives its facts (see :mod:`sgp_fake.core.facts`). Called only when a rule needs
them, before the handler, on a request that may be invalid: it reads what it can, and raises
nothing it can avoid (an error counts as no facts)."""

Render = Callable[["Call", "Record"], bytes]
"""How a resource answers with a record: ``render(call, record)`` gives the JSON every read
answers with, the stored record plus what is derived from the rest of the state."""


@dataclass(frozen=True, slots=True)
class StateProblem:
    """Why a record of a state document is one the API could never have produced: ``index``
    is the record's place in its kind's list, ``field`` the field at fault."""

    index: int
    field: str
    problem: str


CheckState = Callable[[Mapping[str, Sequence[Any]]], Iterable[StateProblem]]
"""A kind's rules for a state document beyond its schema and references:
``check_state(records)`` is given every kind's records of the document (pydantic models, by
kind; a kind left out is an empty list) and yields the problems of its own kind's records. It
runs once references are known to resolve, so a record a field names is in the document."""

_PARAM = re.compile(r"{([^{}]+)}")


def path_parameters(path: str) -> tuple[str, ...]:
    """The names of a path template's parameters, in order."""
    return tuple(_PARAM.findall(path))


def header_name(model: type[BaseModel], field: str) -> str:
    """The header a field of a header model reads: its alias, else its name with ``_`` as
    ``-`` (``x_selected_account_id`` reads ``x-selected-account-id``), as FastAPI's
    ``Header()`` converts it."""
    alias = model.model_fields[field].alias
    return alias or field.replace("_", "-")


@dataclass(frozen=True, slots=True, eq=False)
class Operation:
    """One route of the fake.

    * ``name`` is the operation id: in the OpenAPI document, the journal's tags
      (``journal.calls(name)``) and the coverage report.
    * ``body``, ``query`` and ``response`` are the pydantic models of the request body, the
      query parameters and the 200 answer (for the document and for coverage; the handler
      validates with them through its :class:`~sgp_fake.core.call.Call`).
    * ``headers``: a pydantic model whose fields are header parameters (see
      :func:`header_name`), as FastAPI's ``Header()`` parameters: documented ``in: header``,
      and validated by the core after authentication and before the handler, a missing
      required one answered with FastAPI's 422 at ``["header", <name>]``. An empty value is
      no value (the fake reads an empty ``x-selected-account-id`` as none everywhere).
    * ``not_found`` describes the 404 of a route that names a record; ``errors`` documents
      further statuses the handler answers (``{"400": "why"}``).
    * ``meta`` routes (``/openapi.json``) need no API key and skip the rate limit and coverage.
    * ``verb`` says which standard operation it is (``create``, ``list``, ``get``, ``update``,
      ``delete``; see :func:`~sgp_fake.core.crud.crud`), empty for any other.
    * ``raw_path``: its parameters match the raw, percent-encoded path, each segment decoded on
      its own, so a value may hold a ``/`` sent as ``%2F`` (a model name such as
      ``meta-llama/Llama-3``). Such an operation is tried first on a path with an encoded
      ``/``; on any other its segments are the decoded path's.
    * ``about`` gives the facts rules match beyond method, path and account (see
      :data:`About`).
    * ``streams``: its 200 may be Server-Sent Events (``text/event-stream``), as the document
      says: each event's data a ``response`` (``True``), or a chunk of another model (that
      model: an OpenAI-style ``chat.completion.chunk``).
    * ``openai_errors``: an OpenAI-style route, whose stream ends in an error event with
      OpenAI's ``{"error": {"message": ...}}`` rather than FastAPI's ``{"detail": ...}`` (a
      ``cut: "error"`` fault rule without a body of its own), and whose handler's refusals
      with a message carry it in OpenAI's ``error`` object too, beside ``detail``.
    """

    name: str
    method: str
    path: str
    handler: Handler
    summary: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    headers: type[BaseModel] | None = None
    description: str | None = None
    not_found: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    meta: bool = False
    verb: str = ""
    kind: str = ""
    tag: str = ""
    raw_path: bool = False
    about: About | None = None
    streams: bool | type[BaseModel] = False
    openai_errors: bool = False
    parameters: tuple[str, ...] = field(init=False)
    """The path's parameter names, in order."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", path_parameters(self.path))


@dataclass(frozen=True, slots=True)
class Reference:
    """A field of a record that holds the id of a record of another kind.

    * ``on_delete``: what deleting the referenced record does to the records that refer to it:
      ``"cascade"`` deletes them too, in the same transaction; ``"restrict"`` refuses the
      delete with a 400 that says how many still refer to it.
    * ``same_account``: the referenced record must belong to the same account.

    A state document (``PUT /_fake/state``, a seed file) whose references name no record of
    the document is refused.
    """

    field: str
    kind: str
    on_delete: Literal["cascade", "restrict"] = "restrict"
    same_account: bool = True

    def target(self, value: Any) -> str | None:
        """The id this reference's field value names: a string, or a UUID (a field typed
        ``UUID``) as its string; ``None`` when it names none (``None``, another type)."""
        if isinstance(value, uuid.UUID):
            return str(value)
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """A record whose status moves with the fake's clock (see ``sgp_fake.extras.transitions``).

    A record written with status ``initial`` becomes ``final`` once ``delay`` seconds of the
    fake's clock have passed; ``delay`` names the :class:`~sgp_fake.settings.FakeSettings`
    attribute that gives the seconds. Any of ``statuses`` can be forced on a record.
    """

    delay: str
    field: str = "status"
    initial: str = "PENDING"
    final: str = "READY"
    statuses: tuple[str, ...] = ("PENDING", "READY", "FAILED")


@dataclass(frozen=True, slots=True)
class AdminRecords:
    """Records a test sets through the admin API rather than the SGP routes (scripted
    responses), at ``/_fake/<path>``: ``POST`` adds one from a body validated into ``spec``
    (unknown fields refused), ``GET`` lists them (``{"<path>": [...]}``, oldest first),
    ``DELETE`` removes them all and ``DELETE /_fake/<path>/{id}`` one. ``add(table, spec)``
    stores one and returns it.
    """

    path: str
    spec: type[BaseModel]
    add: Callable[[Table[Any], Any], Record]
    summary: str = ""
    description: str = ""


@dataclass(frozen=True, eq=False)
class Resource:
    """One kind of record and the operations on it; see ``sgp_fake.resources``.

    * ``kind`` names the table, the state document's key, ``SGPFake``'s attribute and the kind
      column of state files (``model_templates``).
    * ``stored`` is the full record as the API answers it; it validates seeded records.
    * ``noun`` names one record in errors (``Model template``).
    * ``made_up`` gives contract mode's record for an unknown id (``None``: the kind has none).
    * ``table`` builds the kind's table (a :class:`~sgp_fake.core.table.Table` subclass can add
      the kind's own writes); ``parent_field`` names the field that holds a parent's id.
    * ``example`` is a valid create body: the generic test suites start from it.
    * ``twins`` lists the accelerators (:class:`~sgp_fake.core.twin.Twin`) the handlers use, and
      ``splice`` the request model whose JSON, followed by the standard server fields, makes a
      stored record (:meth:`~sgp_fake.core.table.Table.create_spliced`): both are checked
      against their models by the test suite.
    * ``references`` declares the fields that name records of other kinds (see
      :class:`Reference`): they are indexed, checked in state documents, and decide what a
      delete does to the records that refer to the one deleted.
    * ``render`` answers with a record when the stored JSON is not the whole answer (fields
      derived from other records); ``None``: the stored JSON is the answer.
    * ``lifecycle``: the record has a status that moves with the fake's clock.
    * ``plural`` names several records in errors (``noun`` lower-cased plus ``s`` by default).
    * ``admin``: the records are set through the admin API (see :class:`AdminRecords`); such a
      kind may serve no SGP route at all.
    * ``check_state``: the rules a state document's records of this kind follow beyond their
      schema, references and lifecycle statuses (see :data:`CheckState`): what the API's own
      handlers ensure, such as a model's type being its template's.
    * ``identity`` names the fields that tell two records of the kind apart (its table's key):
      ``("id",)`` for most; no two records of a state document have the same values of all.
    """

    kind: str
    stored: type[BaseModel]
    operations: tuple[Operation, ...]
    noun: str
    tag: str = ""
    made_up: MadeUp | None = None
    table: Callable[..., Table[Any]] | None = None
    parent_field: str | None = None
    example: Mapping[str, Any] = field(default_factory=dict)
    twins: tuple[Any, ...] = ()
    splice: type[BaseModel] | None = None
    references: tuple[Reference, ...] = ()
    render: Render | None = None
    lifecycle: Lifecycle | None = None
    plural: str = ""
    admin: AdminRecords | None = None
    check_state: CheckState | None = None
    identity: tuple[str, ...] = ("id",)

    def __post_init__(self) -> None:
        if not self.plural:
            object.__setattr__(self, "plural", f"{self.noun.lower()}s")
        # Each operation knows its kind and tag, so the core can find the table of a request.
        bound = tuple(
            dataclasses.replace(op, kind=self.kind, tag=op.tag or self.tag)
            for op in self.operations
        )
        object.__setattr__(self, "operations", bound)

    @property
    def collection(self) -> str:
        """The path records are listed and created at: the path of its item routes without
        their last segment (``/v4/model-templates``); for a kind the admin API sets and no SGP
        route serves, its admin path (``/_fake/responses``)."""
        for op in self.operations:
            if op.path.endswith("}"):
                return op.path.rsplit("/", 1)[0]
        if self.operations:
            return self.operations[0].path
        if self.admin is not None:
            return f"/_fake/{self.admin.path}"
        raise ValueError(f"the {self.kind} resource serves no route")

    @functools.cached_property
    def _table_factory(self) -> tuple[Callable[..., Table[Any]], tuple[str, ...]]:
        # The same for every table of this kind: worked out with the first one.
        from .table import Table

        indexed = tuple(r.field for r in self.references if r.field != self.parent_field)
        return self.table or Table, indexed

    def new_table(self, **kwargs: Any) -> Table[Record]:
        """A new, empty table for this kind."""
        factory, indexed = self._table_factory
        if indexed:
            kwargs.setdefault("index_fields", indexed)
        return factory(self.kind, self.stored, parent_field=self.parent_field, **kwargs)


def operations(resources: Iterable[Resource]) -> list[Operation]:
    """Every resource's operations, in the resources' order.

    A delete of a kind that other records refer to with ``on_delete="restrict"`` documents the
    400 it answers while they do.
    """
    resources = list(resources)
    restricted: dict[str, list[str]] = {}
    for resource in resources:
        for ref in resource.references:
            if ref.on_delete == "restrict":
                restricted.setdefault(ref.kind, []).append(resource.plural)
    ops: list[Operation] = []
    for resource in resources:
        users = restricted.get(resource.kind)
        for op in resource.operations:
            if users and op.verb == "delete" and "400" not in op.errors:
                why = f"The {resource.noun.lower()} is still used by {' or '.join(users)}"
                ops.append(dataclasses.replace(op, errors={**op.errors, "400": why}))
            else:
                ops.append(op)
    return ops
