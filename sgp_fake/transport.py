"""httpx transports that hand requests straight to an ASGI app, in process, with no socket.

:class:`FakeTransport` (sync) drives the app's coroutine in the caller's own thread, without an
event loop: no thread hop per request, nothing to leak, and it works even when the calling thread
already runs an event loop (sync code called from an async test). That is possible because the
fake's request path never waits on I/O; should an app await something that needs a loop, the
transport says so instead of hanging.

:class:`AsyncFakeTransport` awaits the app on the caller's loop.

Both turn a :class:`~sgp_fake.faults.ConnectionFault` into the httpx error a real socket would
give, and honour the client's read timeout as a socket does: when a latency (a fault's or the
settings') outlasts it, the client gets ``httpx.ReadTimeout`` at its deadline, while the fake
still handles the request, as a server does once a request has reached it.
"""

from __future__ import annotations

from typing import Any, Coroutine, cast

import httpx
from starlette.types import ASGIApp, Message, Scope

from .core.faults import ConnectionFault
from .core.gateway import READ_TIMEOUT_SCOPE_KEY, SYNC_SCOPE_KEY, TIMED_OUT_SCOPE_KEY

__all__ = ["AsyncFakeTransport", "FakeTransport"]


def _scope(request: httpx.Request, sync: bool) -> Scope:
    url = request.url
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "scheme": url.scheme,
        # httpx's url.path is already percent-decoded, as a server decodes the raw path once.
        "path": url.path,
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": "",
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        "client": ("127.0.0.1", 0),
        "extensions": {},
    }
    if sync:
        scope[SYNC_SCOPE_KEY] = True
    timeouts = request.extensions.get("timeout")
    if timeouts:
        read = timeouts.get("read")
        if read is not None:
            scope[READ_TIMEOUT_SCOPE_KEY] = read
    return scope


class _Exchange:
    """Feeds the request body to the app and collects its answer."""

    def __init__(self, request: httpx.Request, body: bytes) -> None:
        self.request = request
        self.body = body
        self.body_sent = False
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.complete = False

    async def receive(self) -> Message:
        if self.body_sent:
            return {"type": "http.disconnect"}
        self.body_sent = True
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body" and not self.complete:
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True

    def response(self) -> httpx.Response:
        if self.status is None:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=self.request
            )
        return httpx.Response(
            self.status,
            headers=self.headers,
            content=b"".join(self.chunks),
            request=self.request,
        )

    def timeout_error(self) -> httpx.ReadTimeout:
        # What httpx raises when a socket read times out.
        return httpx.ReadTimeout("timed out", request=self.request)

    def connection_error(self, fault: ConnectionFault) -> httpx.TransportError:
        if fault.kind == "reset":
            return httpx.ReadError("[Errno 104] Connection reset by peer", request=self.request)
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=self.request
        )


def _run_without_loop(coro: Coroutine[Any, Any, None]) -> None:
    try:
        coro.send(None)
    except StopIteration:
        return
    coro.close()
    raise RuntimeError(
        "the app awaited something that needs an event loop; "
        "use AsyncFakeTransport (httpx.AsyncClient) for it"
    )


class FakeTransport(httpx.BaseTransport):
    """Sync httpx transport to an ASGI app in the same process (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        exchange = _Exchange(request, request.read())
        scope = _scope(request, True)
        try:
            _run_without_loop(
                cast(
                    Coroutine[Any, Any, None],
                    self.app(scope, exchange.receive, exchange.send),
                )
            )
        except ConnectionFault as fault:
            if scope.get(TIMED_OUT_SCOPE_KEY):
                raise exchange.timeout_error() from None
            raise exchange.connection_error(fault) from None
        if scope.get(TIMED_OUT_SCOPE_KEY):
            raise exchange.timeout_error()
        return exchange.response()


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """Async httpx transport to an ASGI app in the same process."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = _Exchange(request, await request.aread())
        scope = _scope(request, False)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except ConnectionFault as fault:
            if scope.get(TIMED_OUT_SCOPE_KEY):
                raise exchange.timeout_error() from None
            raise exchange.connection_error(fault) from None
        if scope.get(TIMED_OUT_SCOPE_KEY):
            raise exchange.timeout_error()
        return exchange.response()
