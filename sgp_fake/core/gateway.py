"""The fake's front door: a raw-ASGI app that serves the operation table.

:class:`FakeApp` reads the body (refusing bodies over the size limit before they are read in
full), applies the server's access policy, latency, fault rules and the rate limit, dispatches
to the operation the request matches, and records request and answer in the journal (and in the
contract coverage, when recorded). Operations are found by the compiled matcher of
:mod:`sgp_fake.core.routing` and called directly, with no Starlette request or response on the
way; anything the matcher does not match exactly (unknown routes, wrong methods, redirects,
``HEAD``, the admin API) goes through Starlette routes built from the same table
(:mod:`sgp_fake.core.fallback`). Errors of every kind are answered as FastAPI answers them:
``{"detail": ...}`` JSON. What the transports, this app and a handler tell each other travels in
the ASGI scope, under the keys of :mod:`sgp_fake.core.scope`.

A streamed answer (:func:`~sgp_fake.core.answers.stream`) is sent a chunk at a time, each as
its own ``http.response.body`` message with ``more_body``, then an empty last one; the journal
records it whole once it ended. Cut fault rules apply to streamed answers only. Over a socket
(an app with an access policy), when no fault rule or latency can apply, the first chunk of an
answer already decided (:class:`~sgp_fake.core.answers.ReadyChunks`) goes alone and the chunks
produced after it go several to a message (the same bytes, fewer writes).
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Iterator,
    Protocol,
)

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Message, Receive, Scope, Send

from ..errors import FakeHTTPError, PayloadTooLarge
from . import realtime
from .answers import RawHeaders, ReadyChunks, sse_event
from .call import Backend as CallBackend
from .call import Call, call_operation, facts_of, header, request_api_key
from .facts import LazyFacts
from .fallback import (
    detail_response,
    fallback_router,
    fallback_routes,
    fault_response,
    refusal_response,
)
from .faults import ConnectionFault, FaultRule, FaultRules, fault_sleep
from .journal import RATE_LIMIT_RULE, Journal
from .operations import Operation
from .query import request_account
from .ratelimit import RateLimiter
from .routing import ADMIN_PREFIX, Router
from .scope import (
    ACCOUNT_SCOPE_KEY,
    BODY_SCOPE_KEY,
    DEADLINE_SCOPE_KEY,
    OPERATION_SCOPE_KEY,
    READ_TIMEOUT_SCOPE_KEY,
    RULE_SCOPE_KEY,
    SYNC_SCOPE_KEY,
    TIMED_OUT_SCOPE_KEY,
)

if TYPE_CHECKING:
    # Only served apps have a policy: in-process fakes never load the module.
    from .access import AccessPolicy

__all__ = [
    "ADMIN_MAX_BODY_SIZE",
    "COALESCE_BYTES",
    "Backend",
    "DirectAnswer",
    "FakeApp",
    "Recorder",
]

COALESCE_BYTES = 16384
"""Over a socket, the most bytes of a streamed answer's chunks produced back to back that go
in one body message (see :func:`_coalesced`)."""

ADMIN_MAX_BODY_SIZE = 1 << 30
"""The largest body the admin API reads (1 GiB, a state document of about 500,000 full
templates): a state document or seed above ``FakeSettings.max_body_size`` is still taken."""


class Recorder(Protocol):
    """Takes every exchange the journal takes (contract coverage, see ``sgp_fake.extras``)."""

    def record(
        self,
        exchange: tuple[str | None, str, str, bytes, bytes, int | None, bytes],
    ) -> None: ...


class Backend(CallBackend, Protocol):
    """What the app needs of a fake (see ``sgp_fake.state.FakeState``)."""

    @property
    def journal(self) -> Journal: ...
    @property
    def faults(self) -> FaultRules: ...
    @property
    def rate_limiter(self) -> RateLimiter: ...
    @property
    def coverage(self) -> Recorder | None: ...


class _JournaledExchange:
    """Forwards an answer to the client and journals the exchange once, before its last byte."""

    __slots__ = (
        "_app",
        "_body",
        "_chunks",
        "_headers",
        "_scope",
        "_send",
        "_started",
        "_status",
        "operation",
        "recorded",
        "rule",
    )

    def __init__(
        self,
        app: FakeApp,
        scope: Scope,
        body: bytes,
        send: Send,
        operation: str | None,
        *,
        started: float | None = None,
    ) -> None:
        self._app = app
        self._scope = scope
        self._body = body
        self._send = send
        self._started = realtime.perf_counter() if started is None else started
        self._status: int | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._chunks: list[bytes] = []
        self.operation = operation
        self.rule: str | None = None
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
        scope = self._scope
        self._app._record(
            scope,
            self.operation or scope.get(OPERATION_SCOPE_KEY),
            self._body,
            self._status,
            self._headers,
            self._chunks,
            self._started,
            self.rule or scope.get(RULE_SCOPE_KEY),
            bool(scope.get(TIMED_OUT_SCOPE_KEY)),
        )


class FakeApp:
    """The ASGI application of one fake. Build it with ``sgp_fake.app.create_app``.

    ``router`` holds the operations (the meta route ``/openapi.json`` among them),
    ``extra_routes`` the Starlette routes served beside them (the admin API), ``access`` what a
    server enforces through this app (see :mod:`sgp_fake.core.access`; ``None`` in process).
    """

    def __init__(
        self,
        backend: Backend,
        router: Router,
        extra_routes: Iterable[BaseRoute] | Callable[[], list[BaseRoute]] = (),
        access: AccessPolicy | None = None,
    ) -> None:
        self.backend = backend
        self.operations = router
        self.access = access
        # Starlette compiles each route's path when it is built, about half the cost of a new
        # fake; operations are called directly, so the Starlette routes are built on first need.
        self.extra_routes: Callable[[], list[BaseRoute]] = (
            extra_routes if callable(extra_routes) else lambda: list(extra_routes)
        )

    def with_access(self, access: AccessPolicy | None) -> FakeApp:
        """A twin of this app that enforces ``access``, for a server to listen with.

        Same fake, same routes; this app is unchanged, so in-process clients of the fake (which
        send the client's own ``Host``) keep working while the twin serves a socket.
        """
        return FakeApp(self.backend, self.operations, self.extra_routes, access)

    @functools.cached_property
    def routes(self) -> list[BaseRoute]:
        """The Starlette routes (see :func:`~sgp_fake.core.fallback.fallback_routes`)."""
        return fallback_routes(self)

    @functools.cached_property
    def router(self) -> Starlette:
        """The Starlette app that serves whatever the direct dispatch does not."""
        return fallback_router(self.routes)

    def match(self, scope: Scope) -> tuple[Operation, dict[str, str]] | None:
        """The operation a request exactly matches, with its path parameters, or ``None``."""
        if scope.get("root_path"):
            return None  # mounted below a prefix: leave it to Starlette
        return self.operations.match(scope["method"], scope["path"], scope.get("raw_path"))

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

        match = (
            None
            if scope.get("root_path")
            else self.operations.match(scope["method"], path, scope.get("raw_path"))
        )
        if match is not None and _nothing_to_inject(backend):
            await self._answer_directly(match, scope, body, send)
            return
        await self._answer_with_extras(match, scope, body, receive, send)

    async def _answer_with_extras(
        self,
        match: tuple[Operation, dict[str, str]] | None,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
    ) -> None:
        """Answer with latency, faults and the rate limit applied, journaling what was sent."""
        backend = self.backend
        # What the request reaches: its operation, or for HEAD the GET operation Starlette answers
        # it with, so that it is named in the journal and exempt as that operation is.
        reached = match[0] if match is not None else self._reached(scope)
        exchange = _JournaledExchange(
            self, scope, body, send, None if reached is None else reached.name
        )
        capture = exchange.send
        openai_style = reached is not None and reached.openai_errors
        timeout: float | None = scope.get(READ_TIMEOUT_SCOPE_KEY)
        deadline = None
        if timeout is not None:
            deadline = scope[DEADLINE_SCOPE_KEY] = realtime.monotonic() + timeout
        try:
            latency = backend.settings.latency
            if latency:
                await self._wait(scope, latency, deadline, receive)
            facts = None if match is None else self._facts(match, scope)
            fault = (
                backend.faults.take(
                    scope["method"],
                    scope["path"],
                    _account_of(scope, body),
                    facts,
                    body,
                    raw_path=_sent_path(scope),
                )
                if backend.faults
                else None
            )
            if fault is not None:
                exchange.rule = scope[RULE_SCOPE_KEY] = fault.id
                _name_account(scope, facts)
                if fault.latency:
                    await self._wait(scope, fault.latency, deadline, receive)
                if fault.connection is not None:
                    raise ConnectionFault(fault.connection)
                if fault.status is not None:
                    refused = fault_response(fault, openai_style=openai_style)
                    await refused(scope, receive, capture)
                    return
            if reached is None or not reached.meta:
                limited = self._rate_limited(scope, openai_style=openai_style)
                if limited is not None:
                    exchange.rule = RATE_LIMIT_RULE
                    await limited(scope, receive, capture)
                    return
            if match is None:
                await self._route(scope, body, receive, capture)
                return
            op, params = match
            (status, headers, answer), error = call_operation(op, Call(backend, op, scope, params))
            if not isinstance(answer, bytes):
                await self._stream(
                    scope,
                    capture,
                    status,
                    headers,
                    answer,
                    facts,
                    openai_style=op.openai_errors,
                    receive=receive,
                )
                return
            await capture({"type": "http.response.start", "status": status, "headers": headers})
            await capture({"type": "http.response.body", "body": answer})
            if error is not None:
                raise error
        finally:
            exchange.record()

    def answer_now(
        self, scope: Scope, body: bytes, *, coalesce: bool = True
    ) -> DirectAnswer | None:
        """The answer to an HTTP request whose whole ``body`` a server has read, worked out at
        once and journaled, for a server to write without the ASGI round trip; ``None`` when
        the request needs the event loop or the Starlette routes (the admin API, a refusal, a
        body over the limit, a path no operation matches exactly, latency, a fault rule or the
        rate limit): the server then calls the app with the same request.

        The answer is the one :meth:`__call__` would send; a streamed one comes as a generator
        of blocks, produced as they are read: with ``coalesce`` (a server) an answer already
        decided as :func:`_coalesced` batches it, else (a transport in process) a chunk at a
        time.
        """
        path: str = scope["path"]
        backend = self.backend
        if (
            path.startswith(ADMIN_PREFIX)
            or scope.get("root_path")
            or not _nothing_to_inject(backend)
            or len(body) > backend.settings.max_body_size
        ):
            return None
        access = self.access
        if access is not None and access.refusal(scope, False) is not None:
            return None
        match = self.operations.match(scope["method"], path, scope.get("raw_path"))
        if match is None:
            return None
        scope[BODY_SCOPE_KEY] = body
        return self._answer_matched(match, scope, body, coalesce=coalesce)

    def _answer_matched(
        self,
        match: tuple[Operation, dict[str, str]],
        scope: Scope,
        body: bytes,
        *,
        coalesce: bool,
    ) -> DirectAnswer:
        """Call the operation ``match`` names, with nothing to inject, and journal the exchange
        (a streamed answer's once its blocks end or are closed)."""
        started = realtime.perf_counter()
        op, params = match
        (status, headers, answer), error = call_operation(op, Call(self.backend, op, scope, params))
        if isinstance(answer, bytes):
            self._record(scope, op.name, body, status, headers, answer, started, None, False)
        else:
            answer = _blocks(
                self, scope, op.name, body, status, headers, answer, started, coalesce=coalesce
            )
            next(answer)  # started, so that closing it unread still journals the exchange
        return DirectAnswer(status, headers, answer, error)

    def _facts(self, match: tuple[Operation, dict[str, str]], scope: Scope) -> LazyFacts | None:
        op, params = match
        if op.about is None:
            return None
        return facts_of(op, Call(self.backend, op, scope, params))

    async def _answer_directly(
        self, match: tuple[Operation, dict[str, str]], scope: Scope, body: bytes, send: Send
    ) -> None:
        # The common case: what answer_now gives a server, sent as ASGI messages. Over a socket
        # (an app with an access policy) an answer already decided goes coalesced; in process
        # every chunk is its own message, so a transport hands it over before the next.
        answer = self._answer_matched(match, scope, body, coalesce=self.access is not None)
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        blocks = answer.body
        if isinstance(blocks, bytes):
            await send({"type": "http.response.body", "body": blocks})
        else:
            try:
                for block in blocks:
                    await send({"type": "http.response.body", "body": block, "more_body": True})
            finally:
                blocks.close()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        if answer.error is not None:
            raise answer.error

    async def _stream(  # noqa: PLR0917 - the answer's parts, then what it is about
        self,
        scope: Scope,
        send: Send,
        status: int,
        headers: RawHeaders,
        chunks: Iterator[bytes],
        facts: LazyFacts | None = None,
        *,
        openai_style: bool = False,
        receive: Receive | None = None,
    ) -> None:
        """Send a streamed answer a chunk at a time, as each is produced; a cut rule cuts it
        (``facts``: what the request is about, for cut rules that match it; ``openai_style``:
        the operation's ``openai_errors``; ``receive``: the server's, to see a client leave
        during a stall).

        Each chunk goes as its own message, so a server writes it at once and an in-process
        transport hands it to the client before the next is produced. An error the chunks raise
        ends the stream there and goes on to the server, as Starlette's ``StreamingResponse``
        lets it. The chunks are closed however the stream ends (a client gone, a cut).
        """
        backend = self.backend
        cut = None
        if backend.faults and scope.get(RULE_SCOPE_KEY) is None:
            body = scope[BODY_SCOPE_KEY]
            cut = backend.faults.take_cut(
                scope["method"],
                scope["path"],
                _account_of(scope, body),
                facts,
                body,
                raw_path=_sent_path(scope),
            )
            if cut is not None:
                scope[RULE_SCOPE_KEY] = cut.id
        try:
            # Within the try: a client gone during the latency (a task cancelled) still
            # closes the chunks, so a scripted step the stream took is given back.
            if cut is not None and cut.latency:
                await self._wait(scope, cut.latency, scope.get(DEADLINE_SCOPE_KEY))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            left = None if cut is None else cut.after
            while left is None or left > 0:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                if chunk:  # an empty message would say nothing (a server writes none)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    if left is not None:
                        left -= 1
            if cut is not None:
                await self._stall_or_cut(
                    scope, send, cut, chunks, openai_style=openai_style, receive=receive
                )
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _record(  # noqa: PLR0917 - the exchange's parts, in the journal's order
        self,
        scope: Scope,
        operation: str | None,
        body: bytes,
        status: int | None,
        headers: list[tuple[bytes, bytes]],
        response_body: bytes | list[bytes],
        started: float,
        rule: str | None,
        timed_out: bool,
    ) -> None:
        # A streamed answer comes as its chunks: the journal keeps them compactly.
        backend = self.backend
        backend.journal.record_request(
            scope,
            body,
            status,
            response_body,
            headers,
            rule,
            timed_out,
            operation,
            realtime.perf_counter() - started,
        )
        coverage = backend.coverage
        if coverage is not None:
            if isinstance(response_body, list):
                response_body = b"".join(response_body)
            coverage.record(
                (
                    operation,
                    scope["method"],
                    scope["path"],
                    scope.get("query_string", b""),
                    body,
                    status,
                    response_body,
                )
            )

    async def _route(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"")
        if not query.isascii():
            # Starlette decodes the query string as UTF-8 to build a redirect URL and fails
            # (500) on other bytes, which a server may hand us: give the router the same query
            # with those bytes percent-encoded, as a browser would send it.
            encoded = b"".join(bytes((c,)) if c < 0x80 else b"%%%02X" % c for c in query)
            scope = {**scope, "query_string": encoded}
        await self.router(scope, _replay(body, receive), send)

    def _rate_limited(self, scope: Scope, *, openai_style: bool = False) -> Response | None:
        limiter = self.backend.rate_limiter
        if limiter.limit is None:
            return None
        api_key = request_api_key(scope)  # the same key the caller is known by
        if not api_key:
            return None
        verdict = limiter.check(api_key)
        if verdict is None or verdict.allowed:
            return None
        return refusal_response(
            429, "Rate limit exceeded", verdict.headers, openai_style=openai_style
        )

    async def _wait(
        self,
        scope: Scope,
        seconds: float,
        deadline: float | None,
        receive: Receive | None = None,
    ) -> None:
        """Wait out a latency, as a server would before answering.

        In process, a client with a read timeout stops waiting at its deadline: past it, wait
        only until then and mark the exchange timed out (the transport raises the client's
        timeout error). The request is still handled, with no further wait, as a server goes on
        with a request whose client gave up: a timed-out create is stored.

        Over a socket (``receive``, on an app with an access policy: a server's), the whole
        latency is waited and a client that closes its connection meanwhile (its own timeout)
        marks the exchange timed out; the request is still handled.
        """
        if deadline is not None:
            left = deadline - realtime.monotonic()
            if seconds > left:
                scope[TIMED_OUT_SCOPE_KEY] = True
                seconds = max(left, 0.0)
        elif receive is not None and self.access is not None and not scope.get(SYNC_SCOPE_KEY):
            if await _client_left_during(self._sleep(scope, seconds), receive):
                scope[TIMED_OUT_SCOPE_KEY] = True
            return
        await self._sleep(scope, seconds)

    async def _stall_or_cut(
        self,
        scope: Scope,
        send: Send,
        rule: FaultRule,
        chunks: Iterator[bytes],
        *,
        openai_style: bool,
        receive: Receive | None = None,
    ) -> None:
        """What a stream rule does once ``after`` chunks went: stall, then cut the stream, or
        (a stall only) send the rest of it; nothing more once the client left during the
        stall."""
        if rule.stall_ms is not None and await self._stall(scope, rule.stall_ms / 1000, receive):
            return
        if rule.cut is not None:
            event = _cut_ending(rule, openai_style=openai_style)
            if event:
                await send({"type": "http.response.body", "body": event, "more_body": True})
            return
        for chunk in chunks:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def _stall(self, scope: Scope, seconds: float, receive: Receive | None = None) -> bool:
        """Pause a streamed answer, as a server that stops writing does. An in-process client
        whose read timeout is shorter gets ``httpx.ReadTimeout`` once it passed (the rest of
        the answer never comes); over a socket the client's own timeout fires, and a client
        that closes its connection during the stall ends it there: whether it did (the rest
        of the answer is then not produced, as a server stops a stream whose client is gone,
        so the journal keeps what was sent and a scripted step is given back)."""
        timeout: float | None = scope.get(READ_TIMEOUT_SCOPE_KEY)
        if timeout is not None and seconds > timeout:
            await self._sleep(scope, timeout)
            raise ConnectionFault("timeout")
        if receive is not None and self.access is not None and not scope.get(SYNC_SCOPE_KEY):
            return await _client_left_during(self._sleep(scope, seconds), receive, to_its_end=False)
        await self._sleep(scope, seconds)
        return False

    async def _sleep(self, scope: Scope, seconds: float) -> None:
        if scope.get(SYNC_SCOPE_KEY):
            time.sleep(seconds)  # driven without an event loop: block the calling thread
        else:
            await fault_sleep(seconds)  # ended early by a server that stops (FaultSleeps)

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
            response = detail_response(exc.status_code, exc.detail, exc.headers)
            if journal:
                send = _JournaledExchange(self, scope, b"", send, self._operation(scope)).send
            await response(scope, receive, send)
            return None
        if body is None and journal:
            _JournaledExchange(self, scope, b"", send, self._operation(scope)).record()
        return body

    def _operation(self, scope: Scope) -> str | None:
        match = self.match(scope)
        reached = match[0] if match is not None else self._reached(scope)
        return None if reached is None else reached.name

    def _reached(self, scope: Scope) -> Operation | None:
        """The operation a request the matcher did not match still reaches: a ``HEAD`` reaches
        the ``GET`` operation of its path (Starlette answers it without a body)."""
        if scope["method"] != "HEAD" or scope.get("root_path"):
            return None
        match = self.operations.match("GET", scope["path"], scope.get("raw_path"))
        return None if match is None else match[0]

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        limit = self.backend.settings.max_body_size
        if scope["path"].startswith(ADMIN_PREFIX):
            # The service's limit is not the admin API's: the state document the fake wrote
            # must go back in, however many records it holds.
            limit = max(limit, ADMIN_MAX_BODY_SIZE)
        declared = header(scope, b"content-length")
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


class DirectAnswer:
    """An answer :meth:`FakeApp.answer_now` worked out: status, raw headers, and the body as
    bytes or, for a streamed answer, an iterator of the blocks to write. ``error`` is the
    unexpected error the handler raised (answered as a 500), for the server to log."""

    __slots__ = ("body", "error", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: RawHeaders,
        body: bytes | Generator[bytes, None, None],
        error: Exception | None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.error = error


def _blocks(  # noqa: PLR0917 - the exchange's parts, in the journal's order
    app: FakeApp,
    scope: Scope,
    operation: str,
    body: bytes,
    status: int,
    headers: RawHeaders,
    chunks: Iterator[bytes],
    started: float,
    *,
    coalesce: bool,
) -> Generator[bytes, None, None]:
    """A streamed answer as a server writes it, journaled once it ends (before the server
    writes its end) or is closed early (a client gone): an answer already decided
    (:class:`ReadyChunks`), when ``coalesce``, batched by :func:`_coalesced`; any other a chunk
    at a time. An error the chunks raise ends the blocks after those produced
    before it.

    Its first step yields an empty marker: a generator closed before it started would never
    reach its ``finally``, so :meth:`FakeApp.answer_now` takes that step at once.
    """
    sent: list[bytes] = []
    try:
        yield b""
        if coalesce and isinstance(chunks, ReadyChunks):
            yield from _coalesced(chunks, sent)
        else:
            for chunk in chunks:
                if chunk:
                    sent.append(chunk)
                    yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        app._record(scope, operation, body, status, list(headers), sent, started, None, False)


def _coalesced(chunks: Iterator[bytes], sent: list[bytes]) -> Iterator[bytes]:
    """The first chunk alone, then the chunks produced back to back up to
    :data:`COALESCE_BYTES` at a time; each chunk is added to ``sent`` as it goes."""
    for chunk in chunks:
        if chunk:
            sent.append(chunk)
            yield chunk
            break
    batch: list[bytes] = []
    size = 0
    try:
        for chunk in chunks:
            if chunk:
                batch.append(chunk)
                size += len(chunk)
                if size >= COALESCE_BYTES:
                    sent.extend(batch)
                    yield b"".join(batch)
                    batch = []
                    size = 0
    except Exception:
        if batch:
            sent.extend(batch)
            yield b"".join(batch)
        raise
    if batch:
        sent.extend(batch)
        yield batch[0] if len(batch) == 1 else b"".join(batch)


def _nothing_to_inject(backend: Backend) -> bool:
    """Whether no latency, fault rule or rate limit can apply to a request right now."""
    return not (
        backend.settings.latency or backend.faults or backend.rate_limiter.limit is not None
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _sent_path(scope: Scope) -> str | None:
    """The path as the client sent it (percent-encoded), when it differs from the decoded
    path fault rules match too: only a raw path with a ``%`` can."""
    raw_path: bytes | None = scope.get("raw_path")
    if raw_path is None or b"%" not in raw_path:
        return None
    return raw_path.decode("latin-1")


def _name_account(scope: Scope, facts: LazyFacts | None) -> None:
    """Name, for the journal, the account of the record a request's path names (a fault
    answered it: the handler, which would name it, never runs)."""
    if facts is not None:
        named = facts.get().get("account")
        if named:
            scope[ACCOUNT_SCOPE_KEY] = named[0]


async def _client_left_during(
    wait: Coroutine[Any, Any, None], receive: Receive, *, to_its_end: bool = True
) -> bool:
    """Run ``wait``; whether the client closed its connection meanwhile. With ``to_its_end``
    ``wait`` is run to its end whatever the client does, else it is cancelled as the client
    leaves.

    A server's ``receive``, once the body is read, returns only when the client disconnects
    (uvicorn's, and then ``http.disconnect`` on every later call), so it is watched beside the
    wait and dropped when the wait ends first.
    """
    waiting = asyncio.ensure_future(wait)
    watching = asyncio.ensure_future(receive())
    try:
        await asyncio.wait({waiting, watching}, return_when=asyncio.FIRST_COMPLETED)
        left = (
            watching.done()
            and watching.exception() is None
            and watching.result().get("type") == "http.disconnect"
        )
        if left and not to_its_end:
            return True
        await waiting
        return left
    finally:
        for task in (waiting, watching):
            if not task.done():
                task.cancel()


def _account_of(scope: Scope, body: bytes) -> str | None:
    """The account a request is for, by :func:`~sgp_fake.core.query.request_account`."""
    return request_account(
        scope["method"], scope.get("query_string", b""), lambda name: header(scope, name), body
    )


_MALFORMED_EVENT = b'data: {"id": "sgp-fake malformed chunk", \n\n'
"""The event a ``malformed`` cut ends a stream with: its data is not JSON."""


def _cut_ending(rule: FaultRule, *, openai_style: bool = False) -> bytes:
    """What a cut rule ends a stream with (nothing for ``truncate``: it ends normally, and what
    would have followed, a finish reason or an end marker, never comes); raises
    :class:`ConnectionFault` for a cut that breaks the connection."""
    if rule.cut == "error":
        return _cut_event(rule, openai_style=openai_style)
    if rule.cut == "malformed":
        return _MALFORMED_EVENT
    if rule.cut in ("reset", "close"):
        raise ConnectionFault(rule.cut)
    return b""


def _cut_event(rule: FaultRule, *, openai_style: bool = False) -> bytes:
    """The ``event: error`` event a cut rule ends a stream with: its body, else one naming the
    rule: FastAPI's ``{"detail": ...}``, or on an OpenAI-style stream OpenAI's
    ``{"error": {...}}``, the one shape both ``openai`` (``APIError``) and ``scale-gp``
    (``APIStatusError``) raise for an ``event: error``."""
    if rule.body is not None:
        return sse_event(rule.body, "error")
    message = f"Fault injected by sgp-fake ({rule.id})"
    if openai_style:
        error = {"message": message, "type": "server_error", "param": None, "code": None}
        return sse_event({"error": error}, "error")
    return sse_event({"detail": message}, "error")
