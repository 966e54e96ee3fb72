"""The operation table: what the fake serves, declared as data.

An :class:`Operation` is one route (method and path template) with its handler and the schemas
that describe it; a :class:`Resource` groups the operations of one kind of record with what the
core needs to know of it (its stored schema, its table, what contract mode makes up). Routing,
the OpenAPI document, contract coverage, journal tags and interception are all derived from
these declarations; nothing in the core names a resource.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from pydantic import BaseModel

if TYPE_CHECKING:
    from .answers import Reply
    from .call import Call
    from .table import Record, Table

__all__ = ["Handler", "MadeUp", "Operation", "Resource", "operations", "path_parameters"]

Handler = Callable[["Call"], "Reply"]
"""A handler: a plain function of the request, answering (whole or streamed) or raising
``FakeHTTPError``."""

MadeUp = Callable[["Call", str, str], bytes]
"""Contract mode's record for an unknown id: ``made_up(call, record_id, account_id)`` gives its
JSON, the same for the same request (the call gives the caller and the path's other ids)."""

_PARAM = re.compile(r"{([^{}]+)}")


def path_parameters(path: str) -> tuple[str, ...]:
    """The names of a path template's parameters, in order."""
    return tuple(_PARAM.findall(path))


@dataclass(frozen=True, slots=True, eq=False)
class Operation:
    """One route of the fake.

    * ``name`` is the operation id: in the OpenAPI document, the journal's tags
      (``journal.calls(name)``) and the coverage report.
    * ``body``, ``query`` and ``response`` are the pydantic models of the request body, the
      query parameters and the 200 answer (for the document and for coverage; the handler
      validates with them through its :class:`~sgp_fake.core.call.Call`).
    * ``not_found`` describes the 404 of a route that names a record; ``errors`` documents
      further statuses the handler answers (``{"400": "why"}``).
    * ``meta`` routes (``/openapi.json``) need no API key and skip the rate limit and coverage.
    """

    name: str
    method: str
    path: str
    handler: Handler
    summary: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    description: str | None = None
    not_found: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    meta: bool = False
    kind: str = ""
    tag: str = ""
    parameters: tuple[str, ...] = field(init=False)
    """The path's parameter names, in order."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", path_parameters(self.path))


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
    * ``references`` maps each field that holds the id of a record of another kind to that
      kind (``{"model_template_id": "model_templates"}``); ``GET /_fake/resources`` lists them,
      and the dashboard links the records by them.
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
    references: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Each operation knows its kind and tag, so the core can find the table of a request.
        bound = tuple(
            dataclasses.replace(op, kind=self.kind, tag=op.tag or self.tag)
            for op in self.operations
        )
        object.__setattr__(self, "operations", bound)

    @property
    def collection(self) -> str:
        """The path records are listed and created at: the path of its item routes without
        their last segment (``/v4/model-templates``)."""
        for op in self.operations:
            if op.path.endswith("}"):
                return op.path.rsplit("/", 1)[0]
        return self.operations[0].path

    def new_table(self, **kwargs: Any) -> Table[Record]:
        """A new, empty table for this kind."""
        from .table import Table

        factory = self.table or Table
        return factory(self.kind, self.stored, parent_field=self.parent_field, **kwargs)


def operations(resources: Iterable[Resource]) -> list[Operation]:
    """Every resource's operations, in the resources' order."""
    return [op for resource in resources for op in resource.operations]
