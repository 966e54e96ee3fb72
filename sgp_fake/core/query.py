"""What a request says about itself: its query parameters, and the account it is for.

One parser and one account rule, used by the endpoints and the fault matcher alike, so a fault
scoped to an account fires for exactly the requests the endpoints serve for that account.
"""

from __future__ import annotations

import json
from typing import AbstractSet, Callable, Union
from urllib.parse import parse_qsl

__all__ = ["ACCOUNT_PARAM", "ParsedQuery", "account_of", "parse_query", "request_account"]

ACCOUNT_PARAM = "account_id"
"""The parameter (query or body) that names the account a request is about."""

ParsedQuery = dict[str, Union[str, list[str]]]
"""Parsed query parameters: a string for a scalar parameter, a list for a list-typed one."""

_NO_LISTS: AbstractSet[str] = frozenset()


def parse_query(query: bytes, lists: AbstractSet[str] = _NO_LISTS) -> ParsedQuery:
    """The query string's parameters, as the official SDK means them.

    The SDK sends a list as one comma-separated value (``ids=a,b``), so a list-typed parameter
    (one named in ``lists``) is split on commas, repeated keys concatenated, and an empty value
    is the empty list. Any other parameter takes its last value, as FastAPI does. Names and
    values are percent-decoded as UTF-8 (``+`` is a space) and blank values are kept; bytes
    outside ASCII are taken as Latin-1, as ASGI servers pass them.
    """
    if not query:
        return {}
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if not lists:
        return dict(pairs)
    params: ParsedQuery = {}
    for name, value in pairs:
        if name in lists:
            items = params.get(name)
            if not isinstance(items, list):
                items = params[name] = []
            if value:
                items.extend(value.split(","))
        else:
            params[name] = value
    return params


def account_of(carried: object, selected: str | None) -> str | None:
    """The account a request is for.

    ``carried`` is the ``account_id`` the request itself carries, where its operation takes
    one: the body's for a create, the query's for a list (the last value, as
    :func:`parse_query` gives it). A non-empty string there wins; otherwise the
    ``x-selected-account-id`` header, when non-empty; otherwise ``None`` (no account).
    """
    if isinstance(carried, str) and carried:
        return carried
    return selected or None


def request_account(
    method: str, query: bytes | str, header: Callable[[bytes], str | None], body: bytes
) -> str | None:
    """The account a request is for, from its raw parts, by :func:`account_of`.

    A POST (a create) carries its ``account_id`` in its JSON body, any other request in its
    query; ``header`` reads a request header by its lower-case name.
    """
    carried: object = None
    if method == "POST":
        if body:
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                data = None
            if isinstance(data, dict):
                carried = data.get(ACCOUNT_PARAM)
    else:
        raw = query.encode("latin-1") if isinstance(query, str) else query
        carried = parse_query(raw).get(ACCOUNT_PARAM)
    return account_of(carried, header(b"x-selected-account-id"))
