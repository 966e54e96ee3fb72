"""A fake served by uvicorn on a real socket, in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import struct
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .core import realtime
from .core.access import AccessPolicy, serve_with
from .core.faults import ConnectionFault, FaultSleeps

if TYPE_CHECKING:
    from .protocol import RequestLogger

__all__ = ["LiveServer", "http_protocol", "with_socket_faults"]

_FLUSH_TIMEOUT = 1.0
"""The longest a reset waits for the bytes already sent to leave, in seconds."""


def with_socket_faults(app: ASGIApp) -> ASGIApp:
    """Wrap an app so that a :class:`ConnectionFault` really breaks the client's connection.

    A reset aborts the socket with an RST (``SO_LINGER`` 0); an empty answer, or a stream cut
    by ``close``, closes it cleanly, before any byte of a response or in the middle of its
    body. Uvicorn exposes its transport only through the ``send`` callable's owner, so that is
    where we find it.
    """

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        except ConnectionFault as fault:
            cycle = getattr(send, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is None:
                raise
            if fault.kind == "reset":
                # An abort drops what is not yet written: let the chunks a cut stream sent
                # before the reset leave first (a moment at most; nothing waits otherwise).
                deadline = realtime.monotonic() + _FLUSH_TIMEOUT
                while transport.get_write_buffer_size() and realtime.monotonic() < deadline:
                    await realtime.sleep(0.001)
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            else:
                transport.close()
            # Tell uvicorn the peer is gone, so it does not try to answer 500 on a dead socket.
            cycle.disconnected = True  # type: ignore[union-attr]

    return wrapped


def http_protocol(app: ASGIApp, log: RequestLogger | None = None) -> Any:
    """uvicorn's ``http`` setting for serving ``app`` (as a server runs it, its access policy
    applied): a :class:`~sgp_fake.protocol.DirectProtocol` when ``app`` is a fake's app and
    httptools is installed (``log`` logs the requests it answers itself), else ``"auto"``."""
    answer_now = getattr(app, "answer_now", None)
    if answer_now is None:
        return "auto"
    try:
        from .protocol import DirectProtocol
    except ImportError:  # no httptools on this platform: uvicorn's own choice, h11
        return "auto"
    return functools.partial(DirectProtocol, answer_now=answer_now, log=log)


def _release(tick: asyncio.Future[None]) -> None:
    # A module function, not a method: the callback a stop queues holds the tick's future (and
    # through it the loop), never the server, so a stopped server (with its app and fake) is
    # freed at once even if the callback is left queued on a loop that ended meanwhile.
    if not tick.done():
        tick.set_result(None)


class _ThreadServer(uvicorn.Server):
    """uvicorn's server, stopped at once instead of at its next tick, and without its fixed
    wait when there is nothing to wait for.

    uvicorn looks at ``should_exit`` every 0.1 s and waits 0.1 s for open connections to wind
    down when it stops; a test run stops its server once, and paid both (about 0.15 s) every
    time, even with no connection open.
    """

    _loop: asyncio.AbstractEventLoop | None = None
    _tick: asyncio.Future[None] | None = None
    _fault_sleeps: FaultSleeps | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._fault_sleeps = FaultSleeps.watch(loop)
        await super().startup(sockets)
        if not self.started:  # uvicorn returns without a shutdown
            FaultSleeps.unwatch(loop)

    async def main_loop(self) -> None:
        # uvicorn's loop, whose 0.1 s sleep :meth:`wake` can end early. Each tick allocates
        # what asyncio.sleep(0.1) does (a future and a timer), and no task: a task per tick
        # made memory measurements of the test process (tracemalloc sees every thread) noisy.
        loop = asyncio.get_running_loop()
        self._loop = loop
        try:
            counter = 0
            should_exit = await self.on_tick(counter)
            while not should_exit:
                counter = (counter + 1) % 864000
                tick = self._tick = loop.create_future()
                timer = loop.call_later(0.1, _release, tick)
                try:
                    if not self.should_exit:  # set before this tick's future existed
                        await tick
                finally:
                    timer.cancel()
                    self._tick = None
                should_exit = await self.on_tick(counter)
        finally:
            self._loop = None

    def wake(self) -> None:
        """End the current tick's wait now (from any thread), so ``should_exit`` is seen."""
        loop, tick = self._loop, self._tick
        if loop is None or tick is None:
            return  # not in the main loop: should_exit is read before it waits again
        with contextlib.suppress(RuntimeError):  # the loop has just closed: nothing to wake
            loop.call_soon_threadsafe(_release, tick)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # As `sgp-fake serve` stops: a request that only waits out an injected latency or stall
        # (up to a day; its client may have given up long ago) has its wait ended now and its
        # connection closed, instead of holding the stop until it ends.
        loop = asyncio.get_running_loop()
        if self._fault_sleeps is not None:
            self._fault_sleeps.stop()
        try:
            await self._close(sockets)
        finally:
            FaultSleeps.unwatch(loop)

    async def _close(self, sockets: list[socket.socket] | None) -> None:
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)  # let open connections finish, as uvicorn does
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


class LiveServer:
    """Serve an ASGI app on ``host:port`` (port 0 picks a free one) from a daemon thread.

    The socket is guarded as ``sgp-fake serve`` guards it (see :mod:`sgp_fake.core.access`): bound
    to loopback (the default), requests must name a loopback host in ``Host`` and admin writes
    must not come from another browser origin; bound beyond loopback, ``/_fake`` needs
    ``Authorization: Bearer`` :attr:`admin_token` (``admin_token``, else one generated). A token
    given on loopback is required too. In-process clients of the same app are unaffected.

    >>> from sgp_fake import SGPFake
    >>> with LiveServer(SGPFake().app) as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        *,
        admin_token: str | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.access = AccessPolicy.for_bind(host, admin_token)
        """The policy the socket enforces."""
        served = serve_with(app, self.access)
        self._config = uvicorn.Config(
            with_socket_faults(served),
            host=host,
            port=port,
            log_level=log_level,
            lifespan="off",
            access_log=False,
            http=http_protocol(served),
        )
        self._server = _ThreadServer(self._config)
        self._thread: threading.Thread | None = None

    @property
    def admin_token(self) -> str | None:
        """The token ``/_fake`` requests must send as ``Authorization: Bearer``, if any."""
        return self.access.admin_token

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> LiveServer:
        """Start serving; return once the socket accepts connections."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sgp-fake-server", daemon=True
        )
        self._thread.start()
        deadline = realtime.monotonic() + timeout  # real seconds, also under freezegun
        while not self._server.started:
            if not self._thread.is_alive() or realtime.monotonic() > deadline:
                raise RuntimeError("sgp-fake server did not start")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end.

        Requests in flight are answered first, except those only waiting out an injected
        latency or stall: their wait ends at once and their connection is closed."""
        if self._thread is None:
            return
        self._server.should_exit = True
        self._server.wake()
        self._thread.join(timeout)
        self._thread = None
        self._socket.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
