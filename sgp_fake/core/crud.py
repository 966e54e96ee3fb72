"""The standard operations of a resource: create, list, get and delete, as data.

:func:`crud` returns ordinary :class:`~sgp_fake.core.operations.Operation` objects; a resource
that needs its own behaviour for one of them replaces that one with its own handler.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from pydantic import BaseModel

from .answers import Answer, ok
from .call import Call
from .operations import Handler, Operation
from .table import Record

__all__ = [
    "DELETED",
    "crud",
    "delete_handler",
    "get_handler",
    "list_handler",
    "page_body",
    "plain_create_handler",
]

DELETED = b'{"count":1,"success":true}'
"""What every delete answers."""


def page_body(items: Iterable[Record], page: int, limit: int, total: int) -> bytes:
    """A page of a list, as the API answers it."""
    return b"".join(
        (
            b'{"items":[',
            b",".join(record.body for record in items),
            b'],"current_page":%d,"items_per_page":%d,"total_item_count":%d}'
            % (page, limit, total),
        )
    )


def plain_create_handler(call: Call) -> Answer:
    """Create a record from the body: the request's fields plus the standard server fields
    (``id``, ``created_at``, ``account_id``, ``created_by_user_id``,
    ``created_by_identity_type``), validated against the stored schema."""
    identity = call.identity()
    request: Any = call.body()
    account_id: str = request.account_id
    call.require_account(account_id)
    fields = request.model_dump(exclude_none=True, exclude={"account_id"})
    return ok(call.table().create_record(fields, account_id, identity).body)


def list_handler(call: Call) -> Answer:
    """A page of the records of the caller's accounts (or of ``account_id``), oldest first."""
    call.identity()
    params: Any = call.query()
    accounts = call.accounts(params.account_id)
    items, total = call.table().page(accounts, params.page, params.limit)
    return ok(page_body(items, params.page, params.limit, total))


def get_handler(call: Call) -> Answer:
    """The record the path names."""
    return ok(call.find().body)


def delete_handler(call: Call) -> Answer:
    """Delete the record the path names (a made-up one in contract mode: nothing to delete)."""
    record = call.find()
    call.table().delete(record.id)
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
    verbs: Sequence[str] = ("create", "list", "get", "delete"),
    handlers: dict[str, Handler] | None = None,
    list_description: str | None = None,
    not_found: str | None = None,
) -> tuple[Operation, ...]:
    """The standard operations on ``path`` (the collection) and ``path/{id_param}`` (one record).

    Named ``create_<noun>``, ``list_<plural>``, ``get_<noun>`` and ``delete_<noun>`` (``plural``
    defaults to ``noun + "s"``); ``handlers`` replaces the generic handler of a verb.
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
        ),
        "get": Operation(
            f"get_{noun}",
            "GET",
            item,
            handlers.get("get", get_handler),
            summary=f"Get {_title(noun)}",
            response=response,
            not_found=not_found,
        ),
        "delete": Operation(
            f"delete_{noun}",
            "DELETE",
            item,
            handlers.get("delete", delete_handler),
            summary=f"Delete {_title(noun)}",
            response=deleted,
            not_found=not_found,
        ),
    }
    return tuple(ops[verb] for verb in verbs)
