"""The Starlette app behind the gateway: what the direct dispatch does not answer.

The gateway (:mod:`sgp_fake.core.gateway`) calls an operation directly when the compiled
matcher matches a request exactly. Everything else goes to a Starlette app built here from the
same operation table: unknown routes (404), wrong methods (405 with ``allow``), redirects,
``HEAD``, a request mounted below a prefix, and the extra routes (the admin API). It answers
errors of every kind as FastAPI does, ``{"detail": ...}`` JSON, and sends a streamed answer as
the gateway sends it. The Starlette routes are built on first need, as most fakes never use them.

Redirects are Starlette's trailing-slash redirects (``GET /v4/models/`` answers 307 to
``/v4/models``), narrowed so that none can lead a client somewhere it did not mean to go (see
:func:`_redirect_or_not_found`): only ``GET`` and ``HEAD`` are redirected, so a client that
follows redirects never turns ``DELETE /_fake/responses/`` into emptying the collection, and
only a slash the client sent is taken away, so ``/v4/models/%2F`` (an id ``/``) is a 404, not
the list.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterator

from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

from ..errors import FakeHTTPError
from .answers import RawHeaders, error_answer, json_bytes, openai_error
from .bodies import render_errors
from .call import Call, facts_of, handle
from .facts import LazyFacts
from .faults import FaultRule
from .operations import Operation
from .routing import RawPathRoute
from .scope import OPERATION_SCOPE_KEY

if TYPE_CHECKING:
    from .gateway import FakeApp

__all__ = [
    "detail_response",
    "fallback_router",
    "fallback_routes",
    "fault_response",
    "json_response",
    "refusal_response",
]


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response serialised as Starlette's JSONResponse does (compact, UTF-8).

    A lone surrogate in a string (JSON can carry one, UTF-8 cannot: a journalled account or
    header, a rule's path) is written as its JSON escape (``\\ud800``), where Starlette's
    JSONResponse would raise."""
    try:
        body = json_bytes(content)
    except UnicodeEncodeError:
        # Only a lone surrogate fails to encode, and the encoder writes one only inside a
        # string, where Python's \\uXXXX escape of it is JSON's own.
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        body = text.encode("utf-8", "backslashreplace")
    return Response(body, status_code, headers, media_type="application/json")


def detail_response(
    status_code: int, detail: Any, headers: dict[str, str] | None = None
) -> Response:
    """An error answered as FastAPI answers it: ``{"detail": ...}``."""
    return Response(render_errors(detail), status_code, headers, media_type="application/json")


def refusal_response(
    status_code: int,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    openai_style: bool = False,
) -> Response:
    """A refusal's ``{"detail": message}``; on an OpenAI-style route (``openai_style``) with
    OpenAI's ``{"error": {...}}`` beside it, where the ``openai`` clients read the text of
    their exception (without it, the Node client's message is "503 status code (no body)")."""
    if not openai_style:
        return detail_response(status_code, message, headers)
    content = {"detail": message, "error": openai_error(message, status_code)}
    return json_response(content, status_code, headers)


def fault_response(rule: FaultRule, *, openai_style: bool = False) -> Response:
    """What a fault rule with a status answers: its body, else ``{"detail": ...}`` naming it,
    on an OpenAI-style route with OpenAI's error object beside it (see :func:`refusal_response`)."""
    status = rule.status or 500
    headers = rule.answer_headers()
    if rule.body is None:
        return refusal_response(
            status, f"Fault injected by sgp-fake ({rule.id})", headers, openai_style=openai_style
        )
    if isinstance(rule.body, (bytes, str)):
        raw = rule.body.encode() if isinstance(rule.body, str) else rule.body
        return Response(raw, status, headers, media_type="application/json")
    return json_response(rule.body, status, headers)


def fallback_routes(app: FakeApp) -> list[BaseRoute]:
    """The Starlette routes of ``app``: the raw-path operations' on their raw paths, every
    operation's, then the extra routes."""
    ops = app.operations.operations
    return [
        *(
            RawPathRoute(op.path, _starlette_endpoint(app, op), methods=[op.method])
            for op in ops
            if op.raw_path
        ),
        *(
            Route(op.path, _starlette_endpoint(app, op), methods=[op.method], name=op.name)
            for op in ops
        ),
        *app.extra_routes(),
    ]


def fallback_router(routes: list[BaseRoute]) -> Starlette:
    """The Starlette app serving ``routes``, with FastAPI's error answers and the safe
    trailing-slash redirects of :func:`_redirect_or_not_found`."""
    app = Starlette(
        routes=routes,
        exception_handlers={
            FakeHTTPError: _fake_http_error,
            HTTPException: _starlette_http_error,
            Exception: _internal_error,
        },
    )
    router = app.router
    # Starlette redirects any method, on the decoded path: replaced by the narrower redirect,
    # tried where Starlette tries its own (after every route missed).
    router.redirect_slashes = False
    not_found = router.not_found

    async def redirect_or_not_found(scope: Scope, receive: Receive, send: Send) -> None:
        await _redirect_or_not_found(router.routes, not_found, scope, receive, send)

    router.default = redirect_or_not_found
    return app


_REDIRECTED_METHODS = frozenset({"GET", "HEAD"})
"""The methods a trailing-slash redirect is answered for: 307 keeps the method, and a client
that follows it must never reach a route that changes anything."""


async def _redirect_or_not_found(
    routes: list[BaseRoute],
    not_found: Callable[[Scope, Receive, Send], Awaitable[None]],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Starlette's trailing-slash redirect (307 to the path with its trailing slashes taken
    away, or one added), where it is safe; else ``not_found`` (404).

    Safe means: a ``GET`` or ``HEAD`` (any other method answers 404, as FastAPI does with
    ``redirect_slashes=False``: no redirect leads to a route that creates or deletes), and the
    slashes taken away are ones the client sent, not a ``%2F`` ending a segment of the raw path
    (``/v4/models/%2F`` names an id ``/``, which no route serves: 404).
    """
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    # The path below the prefix the app is mounted at, as Starlette's routes match it.
    route_path = path[len(root) :] if root and path.startswith(root) else path
    if (
        scope["type"] == "http"
        and scope["method"] in _REDIRECTED_METHODS
        and route_path != "/"
        and _slashes_were_sent(scope)
    ):
        target = dict(scope)
        target["path"] = path.rstrip("/") if route_path.endswith("/") else path + "/"
        for route in routes:
            match, _ = route.matches(target)
            if match is not Match.NONE:
                await RedirectResponse(url=str(URL(scope=target)))(scope, receive, send)
                return
    await not_found(scope, receive, send)


def _slashes_were_sent(scope: Scope) -> bool:
    """Whether the trailing slashes of the decoded path are slashes of the path as sent (its
    raw path ends with as many), not an encoded ``/`` decoded."""
    raw_path: bytes | None = scope.get("raw_path")
    path: str = scope["path"]
    trailing = len(path) - len(path.rstrip("/"))
    return raw_path is None or raw_path.endswith(b"/" * trailing)


async def _fake_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FakeHTTPError)
    return detail_response(exc.status_code, exc.detail, exc.headers)


async def _starlette_http_error(request: Request, exc: Exception) -> Response:
    # Unknown routes (404) and wrong methods (405), as FastAPI answers them.
    assert isinstance(exc, HTTPException)
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    if exc.status_code == 405:
        # Starlette names only the first route that matched the path, in set order; list every
        # method the path serves, in a stable order. A concrete path (/v5/spans/batch) is its
        # own resource, as OpenAPI matches it before a template that also fits
        # (/v5/spans/{span_id}): its methods only.
        matched = [
            route for route in request.app.routes if route.matches(request.scope)[0] != Match.NONE
        ]
        path = request.scope["path"]
        concrete = [route for route in matched if getattr(route, "path", None) == path]
        methods = {
            method
            for route in concrete or matched
            for method in (getattr(route, "methods", None) or ())
        }
        headers["allow"] = ", ".join(sorted(methods))
    return detail_response(exc.status_code, exc.detail, headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    return detail_response(500, "Internal Server Error")


def _starlette_endpoint(app: FakeApp, op: Operation) -> Callable[[Request], Awaitable[Response]]:
    backend = app.backend

    async def starlette_endpoint(request: Request) -> Response:
        scope = request.scope
        scope[OPERATION_SCOPE_KEY] = op.name
        call = Call(backend, op, scope, scope["path_params"])
        try:
            status, headers, body = handle(op, call)
        except FakeHTTPError as exc:
            if not op.openai_errors:
                raise  # answered by _fake_http_error
            status, headers, body = error_answer(exc, openai_style=True)
        if not isinstance(body, bytes):
            return _StreamedResponse(app, status, headers, body, facts_of(op, call))
        response = Response(body, status)
        response.raw_headers = headers
        return response

    return starlette_endpoint


class _StreamedResponse(Response):
    """A streamed answer where a Starlette route serves the operation; sent as the gateway
    sends it (Starlette's own ``StreamingResponse`` would read the chunks in a thread)."""

    def __init__(
        self,
        app: FakeApp,
        status: int,
        headers: RawHeaders,
        chunks: Iterator[bytes],
        facts: LazyFacts | None = None,
    ) -> None:
        self.status_code = status
        self.raw_headers = headers
        self.background = None
        self._app = app
        self._chunks = chunks
        self._facts = facts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app._stream(
            scope, send, self.status_code, self.raw_headers, self._chunks, self._facts
        )
