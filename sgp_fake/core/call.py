"""One request as a handler sees it, and the policies every handler shares.

A :class:`Call` is built by the gateway for each request an operation serves. Through it a
handler reads the caller's identity (401, 403), the body and the query (validated exactly as
FastAPI does, strict mode applied), finds records (visibility by account, contract mode's
made-up records, 404), changes and deletes them (atomically; deletes follow the resources'
references: cascades, and 400 for a record still in use), renders them as the API answers them
and reaches its table. Contract mode, strict mode and the account rules live here, once, so
resource code never implements them.

:func:`call_operation` calls an operation's handler with its :class:`Call`, as the gateway and
its Starlette fallback (:mod:`sgp_fake.core.fallback`) both do.
"""

from __future__ import annotations

import functools
import json
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Collection,
    ContextManager,
    Literal,
    Mapping,
    Protocol,
    TypeVar,
)

from pydantic import BaseModel, Field
from pydantic_core import PydanticSerializationError

from ..errors import (
    BadRequest,
    BodyParseError,
    FakeHTTPError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from .answers import Reply, error_answer, json_answer
from .bodies import (
    is_json_content_type,
    render_errors,
    validate_body,
    validate_headers,
    validate_query,
)
from .facts import Facts, LazyFacts
from .lazy_model import LazyModel
from .operations import header_name
from .scope import BODY_SCOPE_KEY, RESPONSE_SCOPE_KEY
from .table import Record, Table

if TYPE_CHECKING:
    from ..settings import FakeSettings, Identity
    from .operations import Operation, Resource

__all__ = [
    "CONTRACT_ACCOUNT_ID",
    "Backend",
    "Call",
    "SelectedAccount",
    "call_operation",
    "contract_account",
    "facts_of",
    "handle",
    "header",
]

CONTRACT_ACCOUNT_ID = "account_id"
"""Account of a made-up record when the caller selected none and may use every account.

Generated test suites pass the parameter name as its value, so this is what they expect.
"""

M = TypeVar("M", bound=BaseModel)


class SelectedAccount(LazyModel):
    """The header parameters of a route that needs ``x-selected-account-id`` (the v5 SDK
    always sends its ``account_id`` there): ``Operation(headers=SelectedAccount)``."""

    x_selected_account_id: str = Field(min_length=1, description="The account the request acts in.")


class Backend(Protocol):
    """What handlers reach of a fake through their call (see ``sgp_fake.state.FakeState``)."""

    @property
    def settings(self) -> FakeSettings: ...
    @property
    def tables(self) -> Mapping[str, Table[Any]]: ...
    @property
    def resources(self) -> Mapping[str, Resource]: ...


def header(scope: Mapping[str, Any], name: bytes) -> str | None:
    """The first value of the header ``name`` (lower case), or ``None``."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_api_key(scope: Mapping[str, Any]) -> str | None:
    """The API key a request sends: ``x-api-key``, else ``Authorization: Bearer`` (as the
    ``openai`` client sends its key)."""
    return header(scope, b"x-api-key") or _bearer(header(scope, b"authorization"))


def contract_account(identity: Identity, selected_account: str | None) -> str:
    """The account a made-up record belongs to: the selected one, else the caller's first."""
    if selected_account:
        return selected_account
    if identity.accounts:
        return min(identity.accounts)
    return CONTRACT_ACCOUNT_ID


class Call:
    """One request to one operation (see the module docstring)."""

    __slots__ = ("_identity", "backend", "op", "params", "scope")

    def __init__(
        self,
        backend: Backend,
        op: Operation,
        scope: Mapping[str, Any],
        params: Mapping[str, str],
    ) -> None:
        self.backend = backend
        self.op = op
        self.scope = scope
        self.params = params
        self._identity: Identity | None = None

    @property
    def settings(self) -> FakeSettings:
        """The fake's settings now."""
        return self.backend.settings

    def header(self, name: bytes) -> str | None:
        """The first value of a request header (``name`` lower case), or ``None``."""
        for key, value in self.scope["headers"]:
            if key == name:
                return str(value.decode("latin-1"))
        return None

    @property
    def raw_body(self) -> bytes:
        """The request body as received."""
        body: bytes = self.scope[BODY_SCOPE_KEY]
        return body

    @property
    def selected_account(self) -> str | None:
        """The account the caller selected with ``x-selected-account-id``, if any."""
        return self.header(b"x-selected-account-id") or None

    # -- who -----------------------------------------------------------------------------------

    def identity(self) -> Identity:
        """The caller, from ``x-api-key``, else ``Authorization: Bearer`` (as the ``openai``
        client sends its key) (401); checks ``x-selected-account-id`` (403)."""
        identity = self._identity
        if identity is None:
            api_key = request_api_key(self.scope)
            found = self.backend.settings.identity_for(api_key)
            if found is None:
                raise NotAuthenticated("Not authenticated" if not api_key else "Invalid API key")
            selected = self.selected_account
            if selected and not found.may_use(selected):
                raise PermissionDenied(
                    f"Identity {found.user_id} has no access to account {selected}"
                )
            identity = self._identity = found
        return identity

    def require_account(self, account_id: str) -> None:
        """403 unless the caller may create in ``account_id``."""
        identity = self._identity or self.identity()
        if not identity.may_use(account_id):
            raise PermissionDenied(
                f"Identity {identity.user_id} may not create in account {account_id}"
            )

    def accounts(self, account_id: str | None) -> Collection[str] | None:
        """The accounts a list covers: the one asked for (query, else the selected header),
        else every account the caller may use (``None``: all). 403 for a foreign one."""
        identity = self.identity()
        account = account_id or self.selected_account
        if account:
            if not identity.may_use(account):
                raise PermissionDenied(
                    f"Identity {identity.user_id} has no access to account {account}"
                )
            return (account,)
        return None if identity.accounts is None else sorted(identity.accounts)

    # -- what ----------------------------------------------------------------------------------

    @property
    def extra(self) -> Literal["ignore", "forbid"]:
        """How unknown fields are treated: refused in strict mode, else ignored."""
        return "forbid" if self.backend.settings.strict else "ignore"

    def body(self, model: type[M] | None = None, *, free_form: bool = False) -> M:
        """The body validated into ``model`` (the operation's body model by default), or the
        exact 400/422 a FastAPI service answers.

        ``free_form``: the body is free-form (``model`` keeps the fields it does not declare),
        so strict mode does not refuse them.
        """
        target = model or self.op.body
        if target is None:
            raise TypeError(f"operation {self.op.name} declares no body model")
        extra = None if free_form else self.extra
        return validate_body(  # type: ignore[return-value]
            target, self.raw_body, self.header(b"content-type"), extra=extra
        )

    def fast_body(
        self, validate: Callable[[bytes, Literal["ignore", "forbid"]], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        """The body through an accelerator (see :mod:`sgp_fake.core.twin`): validated dicts, or
        ``None`` when the model must decide (and build the exact error)."""
        body = self.raw_body
        if not body or not is_json_content_type(self.header(b"content-type")):
            return None
        return validate(body, self.extra)

    def query(self, model: type[M] | None = None) -> M:
        """The query validated into ``model`` (the operation's query model by default)."""
        target = model or self.op.query
        if target is None:
            raise TypeError(f"operation {self.op.name} declares no query model")
        return validate_query(  # type: ignore[return-value]
            target, self.scope.get("query_string", b""), extra=self.extra
        )

    def headers(self, model: type[M] | None = None) -> M:
        """The header parameters validated into ``model`` (the operation's ``headers`` by
        default), or FastAPI's 422 at ``["header", <name>]`` (see
        :class:`~sgp_fake.core.operations.Operation`)."""
        target = model or self.op.headers
        if target is None:
            raise TypeError(f"operation {self.op.name} declares no header parameters")
        names, wanted = _header_names(target)
        return validate_headers(  # type: ignore[return-value]
            target, self.scope["headers"], names, wanted
        )

    def answered_by(self, rule_id: str) -> None:
        """Say that the rule ``rule_id`` (a scripted response) gave this request's answer: the
        journal names it (``JournalEntry.response``)."""
        self.scope[RESPONSE_SCOPE_KEY] = rule_id  # type: ignore[index]

    def table(self, kind: str | None = None) -> Table[Any]:
        """The table of ``kind`` (this operation's by default)."""
        return self.backend.tables[kind or self.op.kind]

    def transaction(self) -> ContextManager[None]:
        """Hold the fake's lock over several reads and changes (of any tables); a durable fake
        commits the changes as one. What is found inside cannot be deleted before it ends."""
        return self.table().transaction()

    def render(self, record: Record, kind: str | None = None) -> bytes:
        """``record`` as the API answers it: its resource's ``render``, else its stored JSON."""
        render = self.backend.resources[kind or self.op.kind].render
        return record.body if render is None else render(self, record)

    def find(
        self,
        record_id: str | None = None,
        kind: str | None = None,
        *,
        parent: str | None = None,
        made_up: bool = True,
        account: str | None = None,
        fit: Mapping[str, Any] | None = None,
    ) -> Record:
        """The record ``record_id`` of ``kind`` if the caller may see it, else 404.

        ``record_id`` defaults to the path's last parameter, ``kind`` to the operation's.
        With ``parent`` (a nested route's parent id), a record of another parent is 404 too. In
        contract mode an id that does not exist answers a record made up for the caller (see
        :func:`contract_account`); one that exists in an account the caller may not see is still
        404. A made-up record has ``seq`` 0 and is not stored. Made up, it belongs to
        ``account`` when given (the account the request's body names), and ``fit`` sets its
        top-level fields (``None`` removes one), so that it fits the request that needs it.
        """
        kind = kind or self.op.kind
        if record_id is None:
            record_id = self.params[self.op.parameters[-1]]
        identity = self.identity()
        record = self.backend.tables[kind].get(record_id)
        if (
            record is not None
            and identity.may_use(record.account_id)
            and (parent is None or record.parent == parent)
        ):
            return record  # type: ignore[no-any-return]
        resource = self.backend.resources[kind]
        if (
            made_up
            and record is None
            and self.backend.settings.contract
            and resource.made_up is not None
        ):
            account = account or contract_account(identity, self.selected_account)
            body = resource.made_up(self, record_id, account)
            if fit:
                body = _fitted(body, fit)
            return Record(record_id, account, 0, body, parent)
        raise NotFound(f"{resource.noun} {record_id} not found")

    def patch(
        self,
        fields: Mapping[str, Any],
        record_id: str | None = None,
        kind: str | None = None,
        *,
        parent: str | None = None,
        account: str | None = None,
        check: Callable[[Record, dict[str, Any]], Mapping[str, Any] | None] | None = None,
    ) -> Record:
        """Set ``fields`` of the record :meth:`find` finds (404 as it says), atomically: found
        and changed under the lock, so a record deleted meanwhile is a 404, never an error.

        ``check(record, merged)`` sees the record and what it would become (decoded), before
        anything is written; it may raise to refuse, and return more fields to set. A made-up
        record (contract mode; in ``account`` when given) is changed in the answer only:
        nothing is stored.
        """
        kind = kind or self.op.kind
        table = self.table(kind)
        with table.transaction():
            record = self.find(record_id, kind, parent=parent, account=account)
            changes = dict(fields)
            if check is not None:
                merged = _merged(record.as_dict(), changes)
                changes.update(check(record, merged) or {})
            if record.seq == 0:
                merged = _merged(record.as_dict(), changes)
                body = table.validate(merged).model_dump_json(exclude_none=True, by_alias=True)
                return Record(record.id, record.account_id, 0, body.encode(), record.parent)
            changed = table.patch(record.id, changes)
            if changed is None:  # not reachable under the lock; never a KeyError or a 500
                raise NotFound(f"{self.backend.resources[kind].noun} {record.id} not found")
            return changed  # type: ignore[no-any-return]

    def restart_lifecycle(self, record_id: str, kind: str | None = None) -> None:
        """Start a record's managed status afresh (see ``Lifecycle``): the write that follows,
        with the initial status, counts the whole delay again. Nothing for a kind without one."""
        transitions = getattr(self.backend, "transitions", None)
        if transitions is not None and (kind or self.op.kind) in transitions.lifecycles:
            transitions.restart(kind or self.op.kind, record_id)

    def delete(self, record: Record, kind: str | None = None) -> None:
        """Delete a record found by :meth:`find`, with what its resources' references say: the
        records that refer to it with ``on_delete="cascade"`` go too, in one transaction; one
        that refers to it with ``"restrict"`` refuses the delete (400, saying how many). A
        made-up record (contract mode) is deleted in the answer only."""
        if record.seq == 0:
            return
        kind = kind or self.op.kind
        with self.transaction():
            if self.backend.tables[kind].get(record.id) is None:
                # Deleted by another request since it was found: this one is the second delete.
                raise NotFound(f"{self.backend.resources[kind].noun} {record.id} not found")
            doomed: dict[tuple[str, str], None] = {}
            self._doom(kind, record.id, doomed)
            # The referring records first, then what they referred to.
            for doomed_kind, doomed_id in reversed(list(doomed)):
                self.backend.tables[doomed_kind].delete(doomed_id)

    def _doom(self, kind: str, record_id: str, doomed: dict[tuple[str, str], None]) -> None:
        """Add ``record_id`` and what a delete of it cascades to, or refuse (400)."""
        if (kind, record_id) in doomed:
            return
        doomed[(kind, record_id)] = None
        resources = self.backend.resources
        for resource in resources.values():
            for ref in resource.references:
                if ref.kind != kind:
                    continue
                users = self.backend.tables[resource.kind].referencing(ref.field, record_id)
                if not users:
                    continue
                if ref.on_delete == "restrict":
                    count = len(users)
                    what = resource.noun.lower() if count == 1 else resource.plural
                    raise BadRequest(
                        f"{resources[kind].noun} {record_id} is used by {count} {what}"
                    )
                for user in users:
                    self._doom(resource.kind, user.id, doomed)


def _bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if that is what it is."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# -- invoking an operation with a Call --------------------------------------------------------


@functools.cache
def _header_names(model: type[BaseModel]) -> tuple[dict[str, str], dict[bytes, str]]:
    """Each field's validation key (its alias, else its name) -> the header it reads, and
    the other way round, encoded."""
    names = {
        info.alias or field: header_name(model, field).lower()
        for field, info in model.model_fields.items()
    }
    return names, {name.encode("latin-1"): field for field, name in names.items()}


def handle(op: Operation, call: Call) -> Reply:
    """An operation's answer: the caller authenticated first (401/403 before anything else,
    whatever the handler does), then its declared header parameters (422), and a string
    UTF-8 cannot carry refused (400), never a 500."""
    if not op.meta:
        call.identity()
    if op.headers is not None:
        call.headers()
    try:
        return op.handler(call)
    except PydanticSerializationError as exc:
        # Strings JSON can carry but UTF-8 cannot (lone surrogates), met writing a record.
        raise BodyParseError() from exc


def call_operation(op: Operation, call: Call) -> tuple[Reply, Exception | None]:
    """Call an operation: its answer, and the unexpected error to raise once sent.

    Handlers are called without the Starlette router and its middleware, answering exactly as
    they would there: FakeHTTPError as its envelope; anything else as a 500, then raised on to
    the server, as ServerErrorMiddleware does.
    """
    try:
        return handle(op, call), None
    except FakeHTTPError as exc:
        return error_answer(exc, openai_style=op.openai_errors), None
    except Exception as exc:
        return json_answer(render_errors("Internal Server Error"), 500), exc


def facts_of(op: Operation, call: Call) -> LazyFacts | None:
    """What the request is about, computed when a rule first needs it (``None`` when its
    operation declares nothing)."""
    about = op.about
    if about is None:
        return None

    def compute() -> Facts:
        return about(call)

    return LazyFacts(compute)


def _merged(data: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(data)
    for name, value in fields.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _fitted(body: bytes, fit: Mapping[str, Any]) -> bytes:
    """A made-up record's JSON with some top-level fields set (``None``: removed)."""
    data = _merged(json.loads(body), fit)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
