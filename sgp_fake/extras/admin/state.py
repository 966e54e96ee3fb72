"""The state document: every record the fake holds, by kind (``GET`` and ``PUT /_fake/state``).

:func:`state_document` builds its model from the resources served, so nothing here names one;
:func:`dangling_references` finds what a document refers to but does not hold,
:func:`state_errors` that and every record the API could never have produced (what a
resource's own ``check_state`` refuses; the document's model refuses a status no lifecycle
has), and :func:`replace_state` loads a valid document as one change. :class:`AdminBackend` is
what the admin API needs of a fake.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Annotated, Any, Callable, List, Mapping, Protocol

from pydantic import AfterValidator, BaseModel, Field, create_model, model_validator

from ...clock import FakeClock
from ...core.faults import FaultRules
from ...core.journal import Journal
from ...core.operations import Resource
from ...core.ratelimit import RateLimiter
from ...core.table import Table
from ..coverage import Coverage
from ..transitions import Transitions
from .schemas import FORBID

__all__ = [
    "MAX_ID_LENGTH",
    "AdminBackend",
    "dangling_references",
    "replace_state",
    "state_document",
    "state_errors",
]


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


MAX_ID_LENGTH = 1024
"""The longest id ``PUT /_fake/state`` takes: percent-encoded (up to 12 bytes a character), its
URL stays under the 16 KiB a server such as uvicorn reads for a request head."""


def _ids_from_callers(resource: Resource) -> bool:
    """Whether the kind's create takes the id from its caller (a span's), rather than make it."""
    return any(
        op.verb == "create" and op.body is not None and "id" in op.body.model_fields
        for op in resource.operations
    )


def _reachable(resource: Resource) -> Callable[[str], str]:
    """The check that an id can be reached at ``<collection>/{id}``; for a kind whose ids its
    callers choose, that it is an id its create takes."""
    noun = resource.noun.lower()
    collection = resource.collection
    # A span's id is the caller's, and its create takes one with a '/' (or '.'): such a span is
    # found by search and by trace, as the API has it, and a document the fake wrote of it must
    # go back in.
    any_segment = _ids_from_callers(resource)

    def reachable_id(record_id: str) -> str:
        # The route matches one path segment of the percent-decoded path, so an id may hold any
        # character a client can percent-encode (the official SDK does), except '/'.
        if not record_id:
            raise ValueError(f"a {noun} id cannot be empty: GET {collection}/ is the list")
        if not any_segment:
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


def _one_of(field: str, statuses: tuple[str, ...]) -> Callable[[str], str]:
    """The check that a status is one its lifecycle has."""
    allowed = ", ".join(statuses)

    def lifecycle_status(status: str) -> str:
        if status not in statuses:
            raise ValueError(f"{field} {status!r} is not one of {allowed}")
        return status

    return lifecycle_status


def _lifecycle_field(resource: Resource) -> dict[str, Any]:
    """The status field of a kind whose status moves with the clock: one of its lifecycle's
    statuses (documented as an enum), as the API only ever writes those."""
    lifecycle = resource.lifecycle
    if lifecycle is None:
        return {}
    stored = resource.stored.model_fields[lifecycle.field]
    return {
        lifecycle.field: (
            Annotated[str, AfterValidator(_one_of(lifecycle.field, lifecycle.statuses))],
            Field(
                description=stored.description,
                json_schema_extra={"enum": list(lifecycle.statuses)},
            ),
        )
    }


def _state_record(resource: Resource) -> type[BaseModel]:
    """``resource``'s stored record, with an id a route can reach (and a status its lifecycle
    has)."""
    name = "State" + "".join(word.capitalize() for word in resource.noun.split())
    collection = resource.collection
    if _ids_from_callers(resource):
        described = (
            f"The identifier its caller gave, as {collection} takes it: not empty, at most "
            f"{MAX_ID_LENGTH} characters."
        )
        shape: dict[str, Any] = {"minLength": 1, "maxLength": MAX_ID_LENGTH}
    else:
        described = (
            f"Unique, opaque identifier, reached at {collection}/{{id}} "
            "(percent-encoded): not empty, no '/', not '.' or '..'."
        )
        shape = {
            "minLength": 1,
            "maxLength": MAX_ID_LENGTH,
            "pattern": "^[^/]+$",
            "not": {"enum": [".", ".."]},
        }
    model: type[BaseModel] = create_model(
        name,
        __base__=resource.stored,
        __doc__=f"A {resource.noun.lower()} of /_fake/state: as the API answers it, with an id "
        + ("its create takes." if _ids_from_callers(resource) else "a route can reach."),
        id=(
            Annotated[str, AfterValidator(_reachable(resource))],
            Field(description=described, json_schema_extra=shape),
        ),
        **_lifecycle_field(resource),
    )
    return model


def _listed(words: tuple[str, ...]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join(filter(None, (", ".join(words[:-1]), words[-1])))


def _unique_ids(
    identities: Mapping[str, tuple[str, ...]],
) -> Callable[[BaseModel], BaseModel]:
    """The check that no two records of a kind have the same ``identity`` (the resource's
    fields that tell its records apart: the id, or for spans the account, trace and id)."""

    def unique(document: BaseModel) -> BaseModel:
        for kind, records in document:
            fields = identities.get(kind, ("id",))
            seen: set[tuple[Any, ...]] = set()
            for record in records:
                key = tuple(getattr(record, field) for field in fields)
                if key in seen:
                    if fields == ("id",):
                        raise ValueError(f"duplicate {kind} id {record.id!r}")
                    said = ", ".join(f"{f} {v!r}" for f, v in zip(fields, key, strict=True))
                    raise ValueError(f"duplicate {kind} ({said})")
                seen.add(key)
        return document

    return unique


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
                f"same {_listed(resource.identity)}.",
            ),
        )
        for resource in resources
    }
    model: type[BaseModel] = create_model(
        "StateDocument",
        __config__=FORBID,
        __doc__="Every record the fake holds, by kind: body of GET and PUT /_fake/state.",
        __validators__={
            "_unique_ids": model_validator(mode="after")(  # type: ignore[dict-item]
                _unique_ids({resource.kind: resource.identity for resource in resources})
            )
        },
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
                value = ref.target(getattr(record, ref.field, None))
                if value is None:
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
                errors.append(_error(kind, index, ref.field, value, problem))
    return errors


def state_errors(resources: Mapping[str, Resource], document: BaseModel) -> list[dict[str, Any]]:
    """Every reason to refuse a valid state document, as the 422 errors of ``PUT
    /_fake/state`` (``loc`` ``["body", kind, index, field]``): its dangling references (see
    :func:`dangling_references`); otherwise what each kind's ``check_state`` finds (the
    document's model checks ids and lifecycle statuses). Empty when the API could have
    produced the document."""
    errors = dangling_references(resources, document)
    if errors:
        # The resources' rules read the records references name: only once they are there.
        return errors
    records: dict[str, list[Any]] = {kind: list(kind_records) for kind, kind_records in document}
    for kind, kind_records in records.items():
        resource = resources[kind]
        if resource.check_state is not None:
            for found in resource.check_state(records):
                # The field as the document gave it (JSON: an enum as its value).
                record = kind_records[found.index]
                value = record.model_dump(mode="json", include={found.field}).get(found.field)
                errors.append(_error(kind, found.index, found.field, value, found.problem))
    return errors


def _error(kind: str, index: int, field: str, value: Any, problem: str) -> dict[str, Any]:
    """A 422 error naming a record's field, as pydantic's value errors read."""
    return {
        "type": "value_error",
        "loc": ["body", kind, index, field],
        "msg": f"Value error, {problem}",
        "input": value,
        "ctx": {"error": problem},
    }


def replace_state(backend: AdminBackend, document: BaseModel) -> None:
    """Replace every table with the document's records, as one change: every record is
    written out first, so one that cannot be changes nothing."""
    tables = backend.tables
    rows = {kind: tables[kind].prepare(records) for kind, records in document}
    with backend.transaction():
        for kind, table_rows in rows.items():
            tables[kind].load(table_rows)
