"""uvicorn's httptools protocol, writing at once what a fake's app can answer at once.

uvicorn runs every request as an ASGI task: a scope, a task, an event for the body, a receive
and two sends with their checks, and two writes. For a fake that is most of what a request
costs over loopback (about 19 us of CPU for a constant answer, against 5 us for the bare
parser). Most requests to a fake need none of it: the answer is worked out at once, without
waiting on anything (:meth:`~sgp_fake.core.gateway.FakeApp.answer_now`). This protocol waits
for such a request's body, asks the app for that answer and writes it in one write; anything
else (the admin API and the dashboard, fault rules, latency, the rate limit, a refused or too
large body, an upgrade, ``Expect: 100-continue``, a body of unknown length, a request
pipelined behind one still running) goes to uvicorn's own handling with the same bytes, as if
this class were not there.

The bytes on the wire are uvicorn's: the same status line, its default headers (``date``,
``server``) first, the app's headers, ``connection: close`` when the connection ends, and
chunked framing for a streamed answer. A differential test compares both protocols byte for
byte (``tests/cli/test_protocol.py``).
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from typing import Any, Callable, Generator, MutableMapping

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
)
from uvicorn.server import ServerState

from .core.answers import RawHeaders
from .core.gateway import DirectAnswer

__all__ = ["AnswerNow", "DirectProtocol", "RequestLogger"]

Scope = MutableMapping[str, Any]

AnswerNow = Callable[[Scope, bytes], "DirectAnswer | None"]
"""What the protocol asks for a request's answer (``FakeApp.answer_now``)."""

RequestLogger = Callable[[Scope, str, float], None]
"""Logs a request the protocol answered: its scope, its outcome (the status), when it began
(``time.perf_counter()``)."""

_WAIT_FOR_AT_MOST = 1024 * 1024
"""The largest body the protocol waits for before deciding; a larger one (or one of unknown
length) goes to uvicorn as it arrives, so the app can refuse it before it is read in full."""


class DirectProtocol(HttpToolsProtocol):
    """An ``HttpToolsProtocol`` that asks ``answer_now`` first (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        answer_now: AnswerNow,
        log: RequestLogger | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._answer_now = answer_now
        self._log = log
        # The body of the request being held back, or None when uvicorn handles the request.
        self._held: list[bytes] | None = None
        self._started = 0.0

    def on_headers_complete(self) -> None:
        parser = self.parser
        if (
            self.expect_100_continue
            or parser.should_upgrade()
            or self.pipeline
            or (self.cycle is not None and not self.cycle.response_complete)
            or self.limit_concurrency is not None
            or not self._small_body()
        ):
            self._held = None
            super().on_headers_complete()
            return
        self._held = []
        self._started = time.perf_counter()

    def _small_body(self) -> bool:
        """Whether the request declares a body the protocol may wait for: none, or a
        ``content-length`` up to :data:`_WAIT_FOR_AT_MOST`."""
        length = None
        for name, value in self.headers:
            if name == b"content-length":
                if length is not None or not value.isdigit():
                    return False  # two lengths, or not a number: uvicorn's (and llhttp's) call
                length = int(value)
            elif name == b"transfer-encoding":
                return False
        return length is None or length <= _WAIT_FOR_AT_MOST

    def on_body(self, body: bytes) -> None:
        held = self._held
        if held is None:
            super().on_body(body)
        else:
            held.append(body)

    def on_message_complete(self) -> None:
        held = self._held
        if held is None:
            super().on_message_complete()
            return
        self._held = None
        body = held[0] if len(held) == 1 else b"".join(held)
        scope: Scope = self.scope  # type: ignore[assignment]
        parser = self.parser
        scope["method"] = parser.get_method().decode("ascii")
        http_version = parser.get_http_version()
        if http_version != "1.1":
            scope["http_version"] = http_version
        parsed_url = httptools.parse_url(self.url)
        raw_path = parsed_url.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        scope["path"] = self.root_path + path
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = parsed_url.query or b""
        try:
            answer = self._answer_now(scope, body)
        except Exception as exc:  # the app's own failure: what uvicorn answers for it
            self._fail(scope, exc)
            return
        if answer is None:
            self._hand_over(body, complete=True)
            return
        self._write(scope, answer, http_version != "1.0" and parser.should_keep_alive())

    def _hand_over(self, body: bytes, *, complete: bool) -> None:
        """Give the request held back to uvicorn's handling, from its headers on, with the
        ``body`` read so far (``complete``: all of it)."""
        super().on_headers_complete()
        cycle = self.cycle
        if body:
            cycle.body += body
        if complete:
            cycle.more_body = False
        cycle.message_event.set()

    def connection_lost(self, exc: Exception | None) -> None:
        held = self._held
        if held is not None:
            # A client gone in the middle of a body: the app sees it come and go, as without
            # this protocol (the fake journals such a request, unanswered).
            self._held = None
            self._hand_over(b"".join(held), complete=False)
        super().connection_lost(exc)

    def _write(self, scope: Scope, answer: DirectAnswer, keep_alive: bool) -> None:
        transport = self.transport
        status = answer.status
        body = answer.body
        framing = self._head(status, answer.headers, keep_alive)
        if framing is None:
            # What uvicorn makes of a header it refuses: the error logged, a 500 for the client.
            if not isinstance(body, bytes):
                body.close()
            self._fail(scope, RuntimeError("Invalid HTTP header name or value."))
            return
        head, chunked, keep_alive = framing
        error: BaseException | None = answer.error
        if isinstance(body, bytes):
            if chunked:
                head.append(_framed(body) + b"0\r\n\r\n" if body else b"0\r\n\r\n")
            else:
                head.append(body)
            transport.write(b"".join(head))
        else:
            error = self._stream(transport, b"".join(head), body) or error
        if self._log is not None:
            self._log(scope, str(status), self._started)
        if error is not None:
            # As uvicorn does with an app that raised once its answer was sent.
            self.logger.error("Exception in ASGI application\n", exc_info=error)
            transport.close()
            return
        if not keep_alive:
            transport.close()
        self.on_response_complete()

    def _head(
        self, status: int, headers: RawHeaders, keep_alive: bool
    ) -> tuple[list[bytes], bool, bool] | None:
        """The status line and headers as uvicorn writes them, whether the body goes chunked,
        and whether the connection stays open; ``None`` for a header uvicorn refuses."""
        head = [STATUS_LINE[status]]
        chunked = status not in (204, 304)
        says_close = False
        for name, value in (*self.server_state.default_headers, *headers):
            if HEADER_RE.search(name) or HEADER_VALUE_RE.search(value):
                return None
            lowered = name.lower()
            if lowered == b"content-length":
                chunked = False
            elif lowered == b"connection" and b"close" in [
                token.lower().strip() for token in value.split(b",")
            ]:
                keep_alive = False
                says_close = True
            head += (lowered, b": ", value, b"\r\n")
        if not keep_alive and not says_close:
            head.append(b"connection: close\r\n")
        if chunked and b"transfer-encoding" not in head:
            head.append(b"transfer-encoding: chunked\r\n")
        head.append(b"\r\n")
        return head, chunked, keep_alive

    def _stream(
        self, transport: asyncio.Transport, head: bytes, blocks: Generator[bytes, None, None]
    ) -> BaseException | None:
        """Write a streamed answer: the head with the first block, then each block as it
        comes, then the end; the error the blocks raised, if any (its answer is left
        unfinished, as uvicorn leaves it)."""
        try:
            pending = head
            for block in blocks:
                transport.write(pending + _framed(block))
                pending = b""
                if transport.is_closing():  # the client went away: stop producing
                    blocks.close()
                    return None
            transport.write(pending + b"0\r\n\r\n")
        except Exception as exc:
            if pending:
                transport.write(pending)
            return exc
        return None

    def _fail(self, scope: Scope, error: BaseException) -> None:
        self.logger.error("Exception in ASGI application\n", exc_info=error)
        body = b"Internal Server Error"
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[500],
                    *(b"%s: %s\r\n" % pair for pair in self.server_state.default_headers),
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: %d\r\n" % len(body),
                    b"connection: close\r\n\r\n",
                    body,
                ]
            )
        )
        if self._log is not None:
            self._log(scope, "500", self._started)
        self.transport.close()
        self.on_response_complete()


def _framed(block: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(block), block)
