"""The fake's HTTP face: a Starlette route table behind a thin ASGI front door.

:class:`FakeApp` is the ASGI application. For each request it buffers the body (refusing bodies
over the size limit before they are read in full), applies fault rules and the rate limit,
dispatches to the Starlette routes, and records request and answer in the journal. Errors of
every kind are answered as FastAPI answers them: ``{"detail": ...}`` JSON. The app a server
listens with (:meth:`FakeApp.with_access`) first applies the server's access policy
(:mod:`sgp_fake.access`): Host, Origin and admin token.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable, Literal, Protocol

from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticSerializationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Message, Receive, Scope, Send

from .errors import (
    BodyParseError,
    FakeHTTPError,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RequestValidationError,
)
from .fastpath import request_json, validate_request
from .faults import ConnectionFault, FaultRule, FaultRules
from .journal import Journal
from .models import ModelTemplateListParams, ModelTemplateRequest
from .query import ACCOUNT_PARAM, account_of, parse_query
from .ratelimit import RateLimiter
from .settings import FakeSettings, Identity
from .store import ModelTemplateStore, StoredTemplate
from .validation import is_json_content_type, render_errors, validate_body

if TYPE_CHECKING:
    # Only served apps have a policy: in-process fakes never load the module.
    from .access import AccessPolicy

__all__ = ["ADMIN_PREFIX", "Backend", "FakeApp", "create_app", "json_response"]

ADMIN_PREFIX = "/_fake"
"""Reserved path prefix of the admin API; never an SGP route."""

BODY_SCOPE_KEY = "sgp_fake.body"
IDENTITY_SCOPE_KEY = "sgp_fake.identity"
SYNC_SCOPE_KEY = "sgp_fake.sync"
"""Set by the sync in-process transport: the app must not wait on an event loop."""
READ_TIMEOUT_SCOPE_KEY = "sgp_fake.read_timeout"
"""Set by the in-process transports: seconds the client waits for the answer (httpx's read
timeout), when it has one."""
TIMED_OUT_SCOPE_KEY = "sgp_fake.timed_out"
"""Set by the app when a latency outlasted the client's read timeout: the client gave up."""


class Backend(Protocol):
    """What the app needs of a fake instance (see :class:`sgp_fake.SGPFake`)."""

    @property
    def store(self) -> ModelTemplateStore: ...
    @property
    def settings(self) -> FakeSettings: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def faults(self) -> FaultRules: ...
    @property
    def rate_limiter(self) -> RateLimiter: ...


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response serialised as Starlette's JSONResponse does (compact, UTF-8)."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return Response(body, status_code, headers, media_type="application/json")


def _error_response(
    status_code: int, detail: Any, headers: dict[str, str] | None = None
) -> Response:
    return Response(render_errors(detail), status_code, headers, media_type="application/json")


async def _fake_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FakeHTTPError)
    return _error_response(exc.status_code, exc.detail, exc.headers)


async def _starlette_http_error(request: Request, exc: Exception) -> Response:
    # Unknown routes (404) and wrong methods (405), as FastAPI answers them.
    assert isinstance(exc, HTTPException)
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    if exc.status_code == 405:
        # Starlette names only the first route that matched the path, in set order; list every
        # method the path serves, in a stable order.
        methods = {
            method
            for route in request.app.routes
            if route.matches(request.scope)[0] != Match.NONE
            for method in (getattr(route, "methods", None) or ())
        }
        headers["allow"] = ", ".join(sorted(methods))
    return _error_response(exc.status_code, exc.detail, headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    return _error_response(500, "Internal Server Error")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
"""What an SGP endpoint answers: status, raw headers and body, ready for ASGI."""

_CONTENT_TYPE_JSON = (b"content-type", b"application/json")


def _json_answer(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    # The headers Starlette's Response(body, status, headers, media_type="application/json")
    # sends, in its order: the given ones, then content-length and content-type unless given.
    if not headers:
        return status, [(b"content-length", b"%d" % len(body)), _CONTENT_TYPE_JSON], body
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    keys = {key for key, _ in raw}
    if b"content-length" not in keys and not (status < 200 or status in (204, 304)):
        raw.append((b"content-length", b"%d" % len(body)))
    if b"content-type" not in keys:
        raw.append(_CONTENT_TYPE_JSON)
    return status, raw, body


def _error_answer(exc: FakeHTTPError) -> Answer:
    return _json_answer(render_errors(exc.detail), exc.status_code, exc.headers)


class _Endpoints:
    """The SGP routes, bound to one backend.

    Each takes the ASGI scope (with the body under ``BODY_SCOPE_KEY`` and ``path_params`` set)
    and returns an :data:`Answer` or raises :class:`FakeHTTPError`. None of them waits on
    anything, so they are plain functions: the front door calls them directly and the Starlette
    router through :func:`_as_endpoint`.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def identity(self, scope: Scope) -> Identity:
        """The caller, from ``x-api-key``; checks ``x-selected-account-id`` when sent."""
        identity: Identity | None = scope.get(IDENTITY_SCOPE_KEY)
        if identity is None:
            api_key = _header(scope, b"x-api-key")
            identity = self.backend.settings.identity_for(api_key)
            if identity is None:
                raise NotAuthenticated("Not authenticated" if not api_key else "Invalid API key")
            scope[IDENTITY_SCOPE_KEY] = identity
        selected = _header(scope, b"x-selected-account-id")
        if selected and not identity.may_use(selected):
            raise PermissionDenied(
                f"Identity {identity.user_id} has no access to account {selected}"
            )
        return identity

    def _visible(self, scope: Scope, identity: Identity) -> StoredTemplate:
        template_id = scope["path_params"]["model_template_id"]
        stored = self.backend.store.get(template_id)
        if stored is None or not identity.may_use(stored.account_id):
            raise NotFound(f"Model template {template_id} not found")
        return stored

    def create(self, scope: Scope) -> Answer:
        identity = self.identity(scope)
        settings = self.backend.settings
        body: bytes = scope[BODY_SCOPE_KEY]
        content_type = _header(scope, b"content-type")
        extra: Literal["ignore", "forbid"] = "forbid" if settings.strict else "ignore"
        data = (
            validate_request(body, extra) if body and is_json_content_type(content_type) else None
        )
        if data is None:
            # Invalid, or maybe: the model says which, with FastAPI's exact errors.
            model = validate_body(ModelTemplateRequest, body, content_type, extra=extra)
            account_id = model.account_id
        else:
            account_id = data["account_id"]
        if not identity.may_use(account_id):
            raise PermissionDenied(
                f"Identity {identity.user_id} may not create in account {account_id}"
            )
        store = self.backend.store
        try:
            if data is None:
                stored = store.create(model, identity)
            else:
                stored = store.create_from_json(request_json(data), account_id, identity)
        except PydanticSerializationError as exc:
            # Strings JSON can carry but UTF-8 cannot (lone surrogates, in any field including
            # account_id): refuse, never 500.
            raise BodyParseError() from exc
        return _json_answer(stored.body)

    def _made_up(self, scope: Scope, identity: Identity) -> bytes | None:
        """In contract mode, the template an unknown id answers with; else ``None``."""
        if not self.backend.settings.contract:
            return None
        template_id = scope["path_params"]["model_template_id"]
        if template_id in self.backend.store:
            return None  # it exists, just not for this caller: a real 404
        from .contract import contract_template

        return contract_template(template_id, identity, _header(scope, b"x-selected-account-id"))

    def retrieve(self, scope: Scope) -> Answer:
        identity = self.identity(scope)
        try:
            stored = self._visible(scope, identity)
        except NotFound:
            made_up = self._made_up(scope, identity)
            if made_up is None:
                raise
            return _json_answer(made_up)
        return _json_answer(stored.body)

    def delete(self, scope: Scope) -> Answer:
        identity = self.identity(scope)
        try:
            stored = self._visible(scope, identity)
        except NotFound:
            if self._made_up(scope, identity) is None:
                raise
        else:
            self.backend.store.delete(stored.id)
        return _json_answer(b'{"count":1,"success":true}')

    def list(self, scope: Scope) -> Answer:
        identity = self.identity(scope)
        try:
            params = ModelTemplateListParams.model_validate(
                parse_query(scope["query_string"]),
                extra="forbid" if self.backend.settings.strict else "ignore",
            )
        except PydanticValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ["query", *e["loc"]]} for e in exc.errors(include_url=False)]
            ) from None
        account = account_of(params.account_id, _header(scope, b"x-selected-account-id"))
        accounts: Iterable[str] | None
        if account:
            if not identity.may_use(account):
                raise PermissionDenied(
                    f"Identity {identity.user_id} has no access to account {account}"
                )
            accounts = (account,)
        else:
            accounts = None if identity.accounts is None else sorted(identity.accounts)
        items, total = self.backend.store.page(accounts, params.page, params.limit)
        body = b"".join(
            (
                b'{"items":[',
                b",".join(t.body for t in items),
                b'],"current_page":%d,"items_per_page":%d,"total_item_count":%d}'
                % (params.page, params.limit, total),
            )
        )
        return _json_answer(body)


Endpoint = Callable[[Scope], Answer]


def _as_endpoint(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """An SGP endpoint as a Starlette endpoint (for requests the front door routes no faster)."""

    async def starlette_endpoint(request: Request) -> Response:
        status, headers, body = endpoint(request.scope)
        response = Response(body, status)
        response.raw_headers = headers
        return response

    return starlette_endpoint


class _JournaledExchange:
    """Forwards an answer to the client and journals the exchange once, before its last byte."""

    __slots__ = (
        "_body",
        "_chunks",
        "_headers",
        "_journal",
        "_scope",
        "_send",
        "_status",
        "fault",
        "recorded",
    )

    def __init__(self, journal: Journal, scope: Scope, body: bytes, send: Send) -> None:
        self._journal = journal
        self._scope = scope
        self._body = body
        self._send = send
        self._status: int | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._chunks: list[bytes] = []
        self.fault: str | None = None
        self.recorded = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = message["status"]
            self._headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            self._chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                # Journal before the client can see the end of the answer, so a test that reads
                # the journal right after a response (even over a socket) finds it there.
                self.record()
        await self._send(message)

    def record(self) -> None:
        """Journal the exchange, unless already done (also for answers that never finished)."""
        if self.recorded:
            return
        self.recorded = True
        _journal(
            self._journal,
            self._scope,
            body=self._body,
            status=self._status,
            headers=self._headers,
            response_body=b"".join(self._chunks),
            fault=self.fault,
            timed_out=bool(self._scope.get(TIMED_OUT_SCOPE_KEY)),
        )


def _journal(
    journal: Journal,
    scope: Scope,
    *,
    body: bytes,
    status: int | None,
    headers: list[tuple[bytes, bytes]],
    response_body: bytes,
    fault: str | None = None,
    timed_out: bool = False,
) -> None:
    if not journal.recording:
        return
    journal.record_asgi(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b""),
        headers=scope["headers"],
        body=body,
        status=status,
        response_body=response_body,
        response_headers=headers,
        fault=fault,
        timed_out=timed_out,
    )


class FakeApp:
    """The ASGI application of one fake instance. Build it with :func:`create_app`."""

    def __init__(
        self,
        backend: Backend,
        routes: list[BaseRoute] | Callable[[], list[BaseRoute]],
        openapi: Callable[[], bytes],
        endpoints: _Endpoints | None = None,
        access: AccessPolicy | None = None,
    ) -> None:
        self.backend = backend
        self._openapi = openapi
        self._endpoints = endpoints
        self.access = access
        """What a server enforces through this app (see :mod:`sgp_fake.access`); ``None`` in
        process."""
        # Starlette compiles each route's path when it is built, about half the cost of a new
        # fake; the SGP endpoints are called directly, so the router is built on first need.
        self._make_routes: Callable[[], list[BaseRoute]] = (
            routes if callable(routes) else lambda: routes
        )

    def with_access(self, access: AccessPolicy | None) -> FakeApp:
        """A twin of this app that enforces ``access``, for a server to listen with.

        Same fake, same routes; this app is unchanged, so in-process clients of the fake (which
        send the client's own ``Host``) keep working while the twin serves a socket.
        """
        return FakeApp(self.backend, self._make_routes, self._openapi, self._endpoints, access)

    @functools.cached_property
    def routes(self) -> list[BaseRoute]:
        """The Starlette routes: SGP routes, any extra routes, then ``/openapi.json``."""
        return [
            *self._make_routes(),
            Route("/openapi.json", self._openapi_endpoint, methods=["GET"]),
        ]

    @functools.cached_property
    def router(self) -> Starlette:
        """The Starlette app that serves whatever the direct dispatch does not."""
        return Starlette(
            routes=self.routes,
            exception_handlers={
                FakeHTTPError: _fake_http_error,
                HTTPException: _starlette_http_error,
                Exception: _internal_error,
            },
        )

    async def _openapi_endpoint(self, request: Request) -> Response:
        return Response(self._openapi(), media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        backend = self.backend
        path: str = scope["path"]
        is_admin = path.startswith(ADMIN_PREFIX)
        access = self.access
        if access is not None:
            # Before the body is read: a refused request costs nothing and changes nothing, and
            # is not journaled (it never reached the fake).
            refusal = access.refusal(scope, is_admin)
            if refusal is not None:
                await refusal.send(send)
                return

        body = await self._receive_body(scope, receive, send, journal=not is_admin)
        if body is None:
            return
        scope[BODY_SCOPE_KEY] = body

        if is_admin:
            await self.router(scope, _replay(body, receive), send)
            return

        if not (
            backend.settings.latency or backend.faults or backend.rate_limiter.limit is not None
        ):
            endpoint = self._fast_route(scope)
            if endpoint is not None:
                await self._answer_directly(endpoint, scope, body, send)
                return
        await self._answer_with_extras(scope, body, receive, send)

    async def _answer_with_extras(
        self, scope: Scope, body: bytes, receive: Receive, send: Send
    ) -> None:
        """Answer with latency, faults and the rate limit applied, journaling what was sent."""
        backend = self.backend
        path: str = scope["path"]
        exchange = _JournaledExchange(backend.journal, scope, body, send)
        capture = exchange.send
        timeout: float | None = scope.get(READ_TIMEOUT_SCOPE_KEY)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            latency = backend.settings.latency
            if latency:
                await self._wait(scope, latency, deadline)
            fault = (
                backend.faults.take(scope["method"], path, _account_of(scope, body))
                if backend.faults
                else None
            )
            if fault is not None:
                exchange.fault = fault.id
                if fault.latency:
                    await self._wait(scope, fault.latency, deadline)
                if fault.connection is not None:
                    raise ConnectionFault(fault.connection)
                if fault.status is not None:
                    await _fault_response(fault)(scope, receive, capture)
                    return
            if path != "/openapi.json":
                limited = self._rate_limited(scope)
                if limited is not None:
                    await limited(scope, receive, capture)
                    return
            await self._route(scope, body, receive, capture)
        finally:
            exchange.record()

    async def _answer_directly(
        self, endpoint: Endpoint, scope: Scope, body: bytes, send: Send
    ) -> None:
        # The common case, kept short: an SGP route with nothing to inject, answered and
        # journaled without the wrapper the general path needs.
        (status, headers, answer), error = _call(endpoint, scope)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        _journal(
            self.backend.journal,
            scope,
            body=body,
            status=status,
            headers=headers,
            response_body=answer,
        )
        await send({"type": "http.response.body", "body": answer})
        if error is not None:
            raise error

    async def _route(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        endpoint = self._fast_route(scope)
        if endpoint is None:
            query: bytes = scope.get("query_string", b"")
            if not query.isascii():
                # Starlette decodes the query string as UTF-8 to build a redirect URL and fails
                # (500) on other bytes, which a server may hand us: give the router the same
                # query with those bytes percent-encoded, as a browser would send it.
                encoded = b"".join(bytes((c,)) if c < 0x80 else b"%%%02X" % c for c in query)
                scope = {**scope, "query_string": encoded}
            await self.router(scope, _replay(body, receive), send)
        else:
            (status, headers, answer), error = _call(endpoint, scope)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": answer})
            if error is not None:
                raise error

    def _fast_route(self, scope: Scope) -> Endpoint | None:
        """The endpoint of an SGP route the request exactly matches, or ``None``.

        Exact matches only (anything else goes through the Starlette router: 404, 405,
        redirects, HEAD); sets ``path_params`` as the router would.
        """
        endpoints = self._endpoints
        if endpoints is None or scope.get("root_path"):
            return None
        path: str = scope["path"]
        method: str = scope["method"]
        if path == _TEMPLATES_PATH:
            scope["path_params"] = {}
            if method == "POST":
                return endpoints.create
            if method == "GET":
                return endpoints.list
        elif path.startswith(_TEMPLATE_PREFIX) and method in ("GET", "DELETE"):
            template_id = path[len(_TEMPLATE_PREFIX) :]
            if template_id and "/" not in template_id:
                scope["path_params"] = {"model_template_id": template_id}
                return endpoints.retrieve if method == "GET" else endpoints.delete
        return None

    def _rate_limited(self, scope: Scope) -> Response | None:
        limiter = self.backend.rate_limiter
        if limiter.limit is None:
            return None
        api_key = _header(scope, b"x-api-key")
        if not api_key:
            return None
        verdict = limiter.check(api_key)
        if verdict is None or verdict.allowed:
            return None
        return _error_response(429, "Rate limit exceeded", verdict.headers)

    async def _wait(self, scope: Scope, seconds: float, deadline: float | None) -> None:
        """Wait out a latency, as a server would before answering.

        A client with a read timeout stops waiting at its deadline: past it, wait only until
        then and mark the exchange timed out (the transport raises the client's timeout error).
        The request is still handled, with no further wait, as a server goes on with a request
        whose client gave up: a timed-out create is stored.
        """
        if deadline is not None:
            left = deadline - time.monotonic()
            if seconds > left:
                scope[TIMED_OUT_SCOPE_KEY] = True
                seconds = max(left, 0.0)
        await self._sleep(scope, seconds)

    async def _sleep(self, scope: Scope, seconds: float) -> None:
        if scope.get(SYNC_SCOPE_KEY):
            time.sleep(seconds)  # driven without an event loop: block the calling thread
        else:
            await asyncio.sleep(seconds)

    async def _receive_body(
        self, scope: Scope, receive: Receive, send: Send, *, journal: bool
    ) -> bytes | None:
        """The request body, or ``None`` when there is nothing more to do.

        A body refused before it was read (413) is answered here; a client that went away
        mid-body gets no answer. Either way the request is journaled, without its body, so a
        test still sees that it came.
        """
        try:
            body = await self._read_body(scope, receive)
        except FakeHTTPError as exc:
            response = _error_response(exc.status_code, exc.detail, exc.headers)
            if journal:
                send = _JournaledExchange(self.backend.journal, scope, b"", send).send
            await response(scope, receive, send)
            return None
        if body is None and journal:
            _JournaledExchange(self.backend.journal, scope, b"", send).record()
        return body

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        limit = self.backend.settings.max_body_size
        declared = _header(scope, b"content-length")
        # isascii: str.isdigit() also takes digits such as "²", which int() refuses.
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and int(declared) > limit
        ):
            raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_TEMPLATES_PATH = "/v4/model-templates"
_TEMPLATE_PREFIX = "/v4/model-templates/"


def _call(endpoint: Endpoint, scope: Scope) -> tuple[Answer, Exception | None]:
    """Call an SGP endpoint: its answer, and the unexpected error to raise once it is sent.

    The SGP routes are called without the Starlette router and its middleware (about a quarter
    of a create's time in process), answering exactly as they would: FakeHTTPError as its
    envelope; anything else as a 500, then raised on to the server, as ServerErrorMiddleware
    does.
    """
    try:
        return endpoint(scope), None
    except FakeHTTPError as exc:
        return _error_answer(exc), None
    except Exception as exc:
        return _json_answer(render_errors("Internal Server Error"), 500), exc


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _account_of(scope: Scope, body: bytes) -> str | None:
    """The account a request is for, by :func:`~sgp_fake.query.account_of`, for fault rules.

    A POST (a create) carries its account in its JSON body, any other request in its query.
    """
    carried: object = None
    if scope["method"] == "POST":
        if body:
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                data = None
            if isinstance(data, dict):
                carried = data.get(ACCOUNT_PARAM)
    else:
        carried = parse_query(scope.get("query_string", b"")).get(ACCOUNT_PARAM)
    return account_of(carried, _header(scope, b"x-selected-account-id"))


def _fault_response(rule: FaultRule) -> Response:
    status = rule.status or 500
    headers = rule.answer_headers()
    if rule.body is None:
        return _error_response(status, f"Fault injected by sgp-fake ({rule.id})", headers)
    if isinstance(rule.body, (bytes, str)):
        raw = rule.body.encode() if isinstance(rule.body, str) else rule.body
        return Response(raw, status, headers, media_type="application/json")
    return json_response(rule.body, status, headers)


def create_app(
    backend: Backend,
    extra_routes: Iterable[BaseRoute] = (),
    openapi: Callable[[], bytes] | None = None,
) -> FakeApp:
    """Build the ASGI app of a fake instance.

    ``extra_routes`` are added after the SGP routes (the admin API uses this); ``openapi``
    returns the bytes ``GET /openapi.json`` answers (by default, the document of the SGP routes
    generated from the models).
    """
    endpoints = _Endpoints(backend)
    extra = list(extra_routes)

    def routes() -> list[BaseRoute]:
        return [
            Route(
                "/v4/model-templates",
                _as_endpoint(endpoints.create),
                methods=["POST"],
                name="create_model_template",
            ),
            Route(
                "/v4/model-templates",
                _as_endpoint(endpoints.list),
                methods=["GET"],
                name="list_model_templates",
            ),
            Route(
                "/v4/model-templates/{model_template_id}",
                _as_endpoint(endpoints.retrieve),
                methods=["GET"],
                name="retrieve_model_template",
            ),
            Route(
                "/v4/model-templates/{model_template_id}",
                _as_endpoint(endpoints.delete),
                methods=["DELETE"],
                name="delete_model_template",
            ),
            *extra,
        ]

    if openapi is None:
        from .openapi import openapi_bytes

        openapi = openapi_bytes
    return FakeApp(backend, routes, openapi, endpoints)
