"""httpx transports that hand requests straight to an ASGI app, in process, with no socket.

:class:`FakeTransport` (sync) drives the app's coroutine in the caller's own thread, without an
event loop: no thread hop per request, nothing to leak, and it works even when the calling thread
already runs an event loop (sync code called from an async test). That is possible because the
fake's request path never waits on I/O; should an app await something that needs a loop, the
transport says so instead of hanging.

:class:`AsyncFakeTransport` awaits the app on the caller's loop.

Both turn a :class:`~sgp_fake.core.faults.ConnectionFault` into the httpx error a real socket would
give, and honour the client's read timeout as a socket does: when a latency (a fault's or the
settings') outlasts it, the client gets ``httpx.ReadTimeout`` at its deadline, while the fake
still handles the request, as a server does once a request has reached it.

Streamed answers reach the client a chunk at a time, as over a socket: after each chunk the app
is suspended (its ``send`` yields a marker up to the transport) and resumed only when the client
reads on, so a chunk is produced after the client has read the one before. Both transports
drive the app's coroutine themselves to do so, the sync one with no event loop, the async one
passing whatever else the app awaits on to the caller's loop; neither uses a thread or a task.
A client that closes the response early closes the app's coroutine, as a server would stop.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Coroutine, Generator, Iterator, cast

import httpx
from starlette.types import ASGIApp, Message, Scope

from .core.faults import ConnectionFault
from .core.scope import READ_TIMEOUT_SCOPE_KEY, SYNC_SCOPE_KEY, TIMED_OUT_SCOPE_KEY

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


class _Pause:
    """What the transport's ``send`` awaits after a chunk that has more to follow: it suspends
    the app's coroutine, handing this marker to whoever drives it, until it is resumed."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, None]:
        yield self


_PAUSE = _Pause()


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
        # A HEAD answer's body is dropped, as a server's HTTP layer drops it (uvicorn).
        self.head = request.method == "HEAD"

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
            if not self.head:
                self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True
            else:
                await _PAUSE  # the client reads this chunk before the app goes on

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

    def streamed(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
        """The response of an answer still being sent: its body is read from ``stream``."""
        assert self.status is not None
        return httpx.Response(
            self.status, headers=self.headers, stream=stream, request=self.request
        )

    def take_chunks(self) -> list[bytes]:
        """The chunks sent since the last call, non-empty ones only."""
        chunks = [chunk for chunk in self.chunks if chunk]
        self.chunks.clear()
        return chunks

    def timeout_error(self) -> httpx.ReadTimeout:
        # What httpx raises when a socket read times out.
        return httpx.ReadTimeout("timed out", request=self.request)

    def connection_error(self, fault: ConnectionFault) -> httpx.TransportError:
        if fault.kind == "timeout":  # a stream stalled past the client's read timeout
            return self.timeout_error()
        if fault.kind == "reset":
            return httpx.ReadError("[Errno 104] Connection reset by peer", request=self.request)
        if self.status is not None:
            # What httpx says when a connection closes in the middle of a chunked body.
            return httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body "
                "(incomplete chunked read)",
                request=self.request,
            )
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=self.request
        )


_App = Coroutine[Any, Any, None]


def _run_without_loop(coro: _App) -> bool:
    """Run the app until it ends (``True``) or pauses after a chunk of a streamed answer."""
    try:
        awaited = coro.send(None)
    except StopIteration:
        return True
    if awaited is _PAUSE:
        return False
    coro.close()
    raise RuntimeError(
        "the app awaited something that needs an event loop; "
        "use AsyncFakeTransport (httpx.AsyncClient) for it"
    )


class _Resume:
    """Awaitable: run the app until it ends (``True``) or pauses after a chunk (``False``).

    Whatever else the app awaits (a latency's sleep) goes on to the caller's event loop, and
    what the loop answers (a result, a cancellation) comes back to the app.
    """

    __slots__ = ("_coro",)

    def __init__(self, coro: _App) -> None:
        self._coro = coro

    def __await__(self) -> Generator[Any, Any, bool]:
        coro = self._coro
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                awaited = coro.send(value) if error is None else coro.throw(error)
            except StopIteration:
                return True
            if awaited is _PAUSE:
                return False
            value, error = None, None
            try:
                value = yield awaited
            except BaseException as exc:  # a cancellation, say: the app's to handle
                error = exc


class _SyncStream(httpx.SyncByteStream):
    """The body of a streamed answer: each read resumes the app for its next chunk."""

    def __init__(self, coro: _App, exchange: _Exchange, error: Exception | None) -> None:
        self._coro = coro
        self._exchange = exchange
        self._error = error  # a cut met before the first read: raised after the chunks
        self._done = error is not None

    def __iter__(self) -> Iterator[bytes]:
        exchange = self._exchange
        while True:
            yield from exchange.take_chunks()
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._done:
                return
            try:
                self._done = _run_without_loop(self._coro)
            except ConnectionFault as fault:
                self._done = True
                self._error = exchange.connection_error(fault)
            except BaseException:
                self._done = True
                raise

    def close(self) -> None:
        if not self._done:
            self._done = True
            self._coro.close()  # a client gone: the app stops where it is


class _AsyncStream(httpx.AsyncByteStream):
    """The body of a streamed answer, for the async transport."""

    def __init__(self, coro: _App, exchange: _Exchange, error: Exception | None) -> None:
        self._coro = coro
        self._exchange = exchange
        self._error = error
        self._done = error is not None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        exchange = self._exchange
        while True:
            for chunk in exchange.take_chunks():
                yield chunk
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._done:
                return
            try:
                self._done = await _Resume(self._coro)
            except ConnectionFault as fault:
                self._done = True
                self._error = exchange.connection_error(fault)
            except BaseException:
                self._done = True
                raise

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            self._coro.close()


def _drain_without_loop(coro: _App) -> None:
    """Let a paused app finish its answer, for a client that is no longer reading it."""
    try:
        while not _run_without_loop(coro):
            pass
    except ConnectionFault:
        pass


async def _drain(coro: _App) -> None:
    try:
        while not await _Resume(coro):
            pass
    except ConnectionFault:
        pass


class _Blocks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The body of a streamed answer the app gave at once: each read produces the next chunk;
    closing it early stops the answer there."""

    def __init__(self, blocks: Generator[bytes, None, None]) -> None:
        self._blocks = blocks

    def __iter__(self) -> Iterator[bytes]:
        return self._blocks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for block in self._blocks:
            yield block

    def close(self) -> None:
        self._blocks.close()

    async def aclose(self) -> None:
        self._blocks.close()


def _answered_now(app: ASGIApp, request: httpx.Request, scope: Scope) -> httpx.Response | None:
    """The response of an app that answers at once (a fake's, ``FakeApp.answer_now``), or
    ``None`` to run the app as ASGI: the same answer, without the ASGI round trip."""
    answer_now = getattr(app, "answer_now", None)
    if answer_now is None:
        return None
    answer = answer_now(scope, request.content, coalesce=False)
    if answer is None:
        return None
    if answer.error is not None:
        raise answer.error  # as the ASGI path raises it, once the 500 is answered
    body = answer.body
    if isinstance(body, bytes):
        return httpx.Response(
            answer.status, headers=list(answer.headers), content=body, request=request
        )
    return httpx.Response(
        answer.status, headers=list(answer.headers), stream=_Blocks(body), request=request
    )


class FakeTransport(httpx.BaseTransport):
    """Sync httpx transport to an ASGI app in the same process (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        scope = _scope(request, True)
        answered = _answered_now(self.app, request, scope)
        if answered is not None:
            return answered
        exchange = _Exchange(request, body)
        coro = cast(_App, self.app(scope, exchange.receive, exchange.send))
        try:
            done = _run_without_loop(coro)
        except ConnectionFault as fault:
            if scope.get(TIMED_OUT_SCOPE_KEY):
                raise exchange.timeout_error() from None
            if exchange.status is None:
                raise exchange.connection_error(fault) from None
            # Cut once the answer had started: the client gets it, then the error.
            return exchange.streamed(_SyncStream(coro, exchange, exchange.connection_error(fault)))
        if scope.get(TIMED_OUT_SCOPE_KEY):
            if not done:
                _drain_without_loop(coro)
            raise exchange.timeout_error()
        if done:
            return exchange.response()
        return exchange.streamed(_SyncStream(coro, exchange, None))


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """Async httpx transport to an ASGI app in the same process."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope = _scope(request, False)
        answered = _answered_now(self.app, request, scope)
        if answered is not None:
            return answered
        exchange = _Exchange(request, body)
        coro = cast(_App, self.app(scope, exchange.receive, exchange.send))
        try:
            done = await _Resume(coro)
        except ConnectionFault as fault:
            if scope.get(TIMED_OUT_SCOPE_KEY):
                raise exchange.timeout_error() from None
            if exchange.status is None:
                raise exchange.connection_error(fault) from None
            return exchange.streamed(_AsyncStream(coro, exchange, exchange.connection_error(fault)))
        if scope.get(TIMED_OUT_SCOPE_KEY):
            if not done:
                await _drain(coro)
            raise exchange.timeout_error()
        if done:
            return exchange.response()
        return exchange.streamed(_AsyncStream(coro, exchange, None))
