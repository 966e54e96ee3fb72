"""The standard operations of a resource: create, list, get, update and delete, as data.

:func:`crud` returns ordinary :class:`~sgp_fake.core.operations.Operation` objects; a resource
that needs its own behaviour for one of them replaces that one with its own handler. The list
helpers here (:func:`select`, :func:`sort_records`) page, filter and sort any table.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Collection, Iterable, Mapping, Sequence

from pydantic import BaseModel

from ..errors import NotFound
from .answers import Answer, ok
from .call import Call
from .operations import Handler, Operation
from .table import Record, Table

__all__ = [
    "DELETED",
    "SortValue",
    "crud",
    "delete_handler",
    "get_handler",
    "list_handler",
    "page_body",
    "plain_create_handler",
    "select",
    "sort_records",
    "update_handler",
]

DELETED = b'{"count":1,"success":true}'
"""What every delete answers."""


def page_body(
    items: Iterable[Record], page: int, limit: int, total: int, call: Call | None = None
) -> bytes:
    """A page of a list, as the API answers it (each record rendered by ``call`` when given)."""
    rendered = call is not None and call.backend.resources[call.op.kind].render is not None
    bodies = map(call.render, items) if rendered else (record.body for record in items)  # type: ignore[union-attr]
    return b"".join(
        (
            b'{"items":[',
            b",".join(bodies),
            b'],"current_page":%d,"items_per_page":%d,"total_item_count":%d}'
            % (page, limit, total),
        )
    )


SortValue = Callable[[Record, str], Any]
"""The value a record sorts by for a field: ``value(record, field)``."""


def _stored_value(record: Record, field: str) -> Any:
    return record.as_dict().get(field)


def _sort_key(value: Any) -> tuple[Any, ...]:
    # Values of one field normally share a type; across types: booleans, numbers, strings,
    # then objects and lists by their JSON text. Absent values are after all others.
    if value is None:
        return (1,)
    if isinstance(value, bool):
        return (0, 0, value)
    if isinstance(value, (int, float)):
        return (0, 1, value)
    if isinstance(value, str):
        return (0, 2, value)
    return (0, 3, json.dumps(value, sort_keys=True, ensure_ascii=False))


def sort_records(
    records: Sequence[Record], sort_by: Sequence[str], value: SortValue = _stored_value
) -> list[Record]:
    """``records`` sorted by ``sort_by``: ``"field:asc"`` or ``"field:desc"`` keys, the first
    deciding most; records equal on every key keep their order.

    Absent (null) values sort last ascending and first descending, as PostgreSQL sorts
    NULLs; a key repeated after its first use changes nothing.
    """
    keys: list[tuple[str, bool]] = []
    for item in sort_by:
        field, _, direction = item.partition(":")
        if field not in (k for k, _ in keys):
            keys.append((field, direction == "desc"))
    result = list(records)
    # Stable sorts from the least significant key to the most significant one.
    for field, descending in reversed(keys):

        def key(record: Record, field: str = field) -> tuple[Any, ...]:
            return _sort_key(value(record, field))

        result.sort(key=key, reverse=descending)
    return result


def select(
    table: Table[Any],
    accounts: Collection[str] | None,
    page: int,
    limit: int,
    *,
    parent: str | None = None,
    where: Callable[[Record], bool] | None = None,
    sort_by: Sequence[str] = (),
    value: SortValue = _stored_value,
) -> tuple[list[Record], int]:
    """One page of a table's records of ``accounts`` (all when ``None``; of ``parent`` when
    given), kept by ``where``, sorted by ``sort_by`` (see :func:`sort_records`), else in
    creation order; and how many there are in all.

    A page before the first or past the last, or a ``limit`` below 1, is empty (an SDK pages
    until it gets an empty page). Without a filter or a sort order this is
    :meth:`Table.page`, which costs O(limit + log n); otherwise it reads every record of the
    accounts.
    """
    if where is None and not sort_by:
        return table.page(accounts, page, limit, parent=parent)
    found: list[Record] = table.records(accounts, parent=parent)
    if where is not None:
        found = [record for record in found if where(record)]
    if sort_by:
        found = sort_records(found, sort_by, value)
    total = len(found)
    if page < 1 or limit < 1:
        return [], total
    offset = (page - 1) * limit
    return found[offset : offset + limit], total


def _referenced(
    call: Call, fields: Mapping[str, Any], account_id: str, *, made_up: bool = True
) -> bool:
    """Check that every record ``fields`` refer to (the resource's ``references``) exists and
    the caller may see it, in ``account_id`` where the reference says so; else 404 naming it,
    as a state document with such a record would be refused. Returns whether all are stored
    (in contract mode one may be made up: then nothing is stored)."""
    resources = call.backend.resources
    stored = True
    for ref in resources[call.op.kind].references:
        value = ref.target(fields.get(ref.field))
        if value is None:
            continue
        account = account_id if ref.same_account else None
        found = call.find(value, ref.kind, account=account, made_up=made_up)
        if ref.same_account and found.account_id != account_id:
            raise NotFound(f"{resources[ref.kind].noun} {value} not found")
        stored = stored and found.seq != 0
    return stored


def plain_create_handler(call: Call) -> Answer:
    """Create a record from the body: the request's fields plus the standard server fields
    (``id``, ``created_at``, ``account_id``, ``created_by_user_id``,
    ``created_by_identity_type``), validated against the stored schema. A record it refers
    to (``references``) must exist (404); in contract mode a made-up one is answered, and the
    new record is answered but not stored."""
    identity = call.identity()
    request: Any = call.body()
    account_id: str = request.account_id
    call.require_account(account_id)
    fields = request.model_dump(exclude_none=True, by_alias=True, exclude={"account_id"})
    with call.transaction():
        store = _referenced(call, fields, account_id)
        record = call.table().create_record(fields, account_id, identity, store=store)
    return ok(call.render(record))


def list_handler(call: Call) -> Answer:
    """A page of the records of the caller's accounts (or of ``account_id``), oldest first."""
    call.identity()
    params: Any = call.query()
    accounts = call.accounts(params.account_id)
    items, total = call.table().page(accounts, params.page, params.limit)
    return ok(page_body(items, params.page, params.limit, total, call))


def get_handler(call: Call) -> Answer:
    """The record the path names."""
    return ok(call.render(call.find()))


def update_handler(call: Call) -> Answer:
    """Set the fields the body sends (``PATCH``) of the record the path names; fields it
    leaves out keep their values. The result is validated as a whole record."""
    call.identity()
    request: BaseModel = call.body()
    fields: Mapping[str, Any] = request.model_dump(mode="json", by_alias=True, exclude_unset=True)
    parent = call.params[call.op.parameters[0]] if len(call.op.parameters) > 1 else None

    def check(record: Record, merged: dict[str, Any]) -> None:
        # A change may not refer to a record that does not exist (404), as on create.
        if record.seq != 0:
            _referenced(call, merged, record.account_id, made_up=False)

    return ok(call.render(call.patch(fields, parent=parent, check=check)))


def delete_handler(call: Call) -> Answer:
    """Delete the record the path names (a made-up one in contract mode: nothing to delete),
    with what references to it say (see :meth:`Call.delete`)."""
    record = call.find()
    call.delete(record)
    return ok(DELETED)


def _title(words: str) -> str:
    return " ".join(word.capitalize() for word in words.split("_"))


def crud(
    path: str,
    id_param: str,
    *,
    noun: str,
    plural: str | None = None,
    create: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    page: type[BaseModel] | None = None,
    list_params: type[BaseModel] | None = None,
    deleted: type[BaseModel] | None = None,
    update: type[BaseModel] | None = None,
    verbs: Sequence[str] = ("create", "list", "get", "delete"),
    handlers: dict[str, Handler] | None = None,
    list_description: str | None = None,
    not_found: str | None = None,
) -> tuple[Operation, ...]:
    """The standard operations on ``path`` (the collection) and ``path/{id_param}`` (one record).

    Named ``create_<noun>``, ``list_<plural>``, ``get_<noun>``, ``update_<noun>`` (``PATCH``,
    with the body ``update``; only when ``verbs`` has ``"update"``) and ``delete_<noun>``
    (``plural`` defaults to ``noun + "s"``); ``handlers`` replaces the generic handler of a verb.
    """
    plural = plural or f"{noun}s"
    item = f"{path}/{{{id_param}}}"
    if not_found is None:
        not_found = f"No {noun.replace('_', ' ')} with that id is visible to the caller"
    handlers = handlers or {}
    ops: dict[str, Operation] = {
        "create": Operation(
            f"create_{noun}",
            "POST",
            path,
            handlers.get("create", plain_create_handler),
            summary=f"Create {_title(noun)}",
            body=create,
            response=response,
            verb="create",
        ),
        "list": Operation(
            f"list_{plural}",
            "GET",
            path,
            handlers.get("list", list_handler),
            summary=f"List {_title(plural)}",
            query=list_params,
            response=page,
            description=list_description,
            verb="list",
        ),
        "get": Operation(
            f"get_{noun}",
            "GET",
            item,
            handlers.get("get", get_handler),
            summary=f"Get {_title(noun)}",
            response=response,
            not_found=not_found,
            verb="get",
        ),
        "update": Operation(
            f"update_{noun}",
            "PATCH",
            item,
            handlers.get("update", update_handler),
            summary=f"Update {_title(noun)}",
            body=update,
            response=response,
            not_found=not_found,
            verb="update",
        ),
        "delete": Operation(
            f"delete_{noun}",
            "DELETE",
            item,
            handlers.get("delete", delete_handler),
            summary=f"Delete {_title(noun)}",
            response=deleted,
            not_found=not_found,
            verb="delete",
        ),
    }
    return tuple(ops[verb] for verb in verbs)
