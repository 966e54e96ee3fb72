"""The foreground server behind ``sgp-fake serve``: the fake its flags describe
(:func:`build_fake`), served by uvicorn until a signal (:func:`serve`), and the request log."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import errno
import functools
import gc
import json
import logging
import logging.config
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Generator

import pydantic
import pydantic_core
import uvicorn
import uvicorn.config
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.access import ADMIN_TOKEN_ENV, AccessPolicy, check_token, token_fragment
from ..core.faults import ConnectionFault, FaultSleeps, ServerStopping
from ..core.journal import DEFAULT_JOURNAL_LIMIT
from ..core.routing import DASHBOARD_PREFIX
from ..fake import SGPFake
from ..live_server import http_protocol, with_socket_faults
from ..settings import FakeSettings, Identity, load_api_keys
from .process import ADMIN_TOKEN_PREFIX, DASHBOARD_LINE_PREFIX, READY_PREFIX

__all__ = ["SetupError", "build_fake", "serve"]

request_logger = logging.getLogger("sgp_fake.requests")
"""Logs one line per request at INFO level."""


# The loopback address a link names for a server bound to every address of its family.
_LOOPBACK_OF = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}


class SetupError(Exception):
    """A flag or file the server cannot start with; the message is one line."""


class Collector:
    """Keeps the garbage collector's long pauses for the moments the server is idle.

    A fake keeps what it is sent (records, journal entries), so the objects that survive a
    collection pile up, and each later collection walks them again. Left to the collector's
    defaults, a server taking creates spends 2-3 ms in a collection of the middle generation
    every third of a second or so, the slowest answers at one connection. After every
    collection what survived is frozen (:func:`gc.freeze`: left out of later collections, still
    freed when no longer referenced), so each object is walked once, by the youngest
    collection, and no collection walks more than the objects allocated since the last.
    Freezing could keep a cycle of garbage alive (one that was still in use when frozen), so
    when the server is next idle everything is unfrozen, collected in full and frozen again
    (:meth:`idle`).
    """

    def __init__(self) -> None:
        self.frozen_since_idle = False

    def install(self) -> None:
        """Start freezing after each collection."""
        gc.callbacks.append(self._collected)

    def uninstall(self) -> None:
        """Stop (what is frozen stays frozen)."""
        gc.callbacks.remove(self._collected)

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            gc.freeze()
            self.frozen_since_idle = True

    def idle(self) -> None:
        """Collect in full what was frozen since the last time (the server has nothing to do)."""
        if self.frozen_since_idle:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.frozen_since_idle = False  # (the collection's own callback set it)


class _Server(uvicorn.Server):
    def __init__(
        self,
        config: uvicorn.Config,
        generated_token: str | None = None,
        dashboard: bool = False,
        admin_token: str | None = None,
    ) -> None:
        super().__init__(config)
        self.generated_token = generated_token
        self.dashboard = dashboard
        self.admin_token = admin_token
        self.collector = Collector()
        self._answered = -1
        self._fault_sleeps: FaultSleeps | None = None

    async def on_tick(self, counter: int) -> bool:
        # uvicorn's tick, every 0.1 s: a tick in which no answer was completed is idle.
        answered = self.server_state.total_requests
        if answered == self._answered:
            self.collector.idle()
        self._answered = answered
        return await super().on_tick(counter)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._fault_sleeps = FaultSleeps.watch(asyncio.get_running_loop())
        await super().startup(sockets)
        if self.started:
            # Everything loaded so far (modules, pydantic schemas, the seeded store) lives as
            # long as the process: keep it out of every later collection, which would otherwise
            # walk it each time and pause the answers for that long.
            gc.freeze()
            self.collector.install()
            # "uvloop" or "asyncio"; "httptools" or "h11": uvicorn picks the fast ones when
            # they are installed, and a user comparing timings needs to know which ran.
            loop = type(asyncio.get_running_loop()).__module__.partition(".")[0]
            protocol = _protocol_name(self.config.http_protocol_class)
            print(
                f"sgp-fake: serving with {loop} and {protocol}",
                file=sys.stderr,
                flush=True,
            )
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            lines = f"{READY_PREFIX}http://{shown}:{port}\n"
            if self.generated_token is not None:
                lines += f"{ADMIN_TOKEN_PREFIX}{self.generated_token}\n"
            if self.dashboard:
                # After the lines scripts read. The token travels in the fragment, which a
                # browser never sends: the page reads it and sends it with each admin call.
                # A wildcard address is one to listen on, not to connect to (Windows refuses
                # it, browsers are phasing it out): the link names loopback, which it serves.
                near = _LOOPBACK_OF.get(host, shown)
                page = f"http://{near}:{port}{DASHBOARD_PREFIX}"
                if self.admin_token is not None:
                    page += token_fragment(self.admin_token)
                lines += f"{DASHBOARD_LINE_PREFIX}{page}\n"
            # One write: a reader that sees the ready line sees the other lines with it.
            sys.stdout.write(lines)
            sys.stdout.flush()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # A request that only waits out an injected latency or stall (up to a day) would hold
        # uvicorn's graceful shutdown that long: its wait ends now and its connection is closed
        # (with_socket_faults). Every other request in flight is still answered.
        loop = asyncio.get_running_loop()
        if self._fault_sleeps is not None:
            self._fault_sleeps.stop()
        try:
            await super().shutdown(sockets)
        finally:
            FaultSleeps.unwatch(loop)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn re-raises the signal once it has shut down, which makes SIGTERM kill the
        # process (status -15) after a clean shutdown. A test double must exit 0 then.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _protocol_name(factory: Any) -> str:
    """``httptools`` or ``h11``: the uvicorn protocol ``factory`` makes, or builds on."""
    cls: type = getattr(factory, "func", factory)
    module: str = next(c.__module__ for c in cls.__mro__ if c.__module__.startswith("uvicorn."))
    return module.rpartition(".")[2].removesuffix("_impl")


class _RequestLog:
    """One line per request on standard error, written in batches.

    Lines look as the logging configuration writes them (``INFO:     ...``), but a record per
    request through :mod:`logging` (a record, a formatter, a lock and a flushed write each) cost
    the server a third of its throughput. Lines finished in one turn of the event loop are
    written together, at the end of that turn: as prompt, with one write for many requests.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._lines: list[str] = []
        self._scheduled = False
        handler = _stream_handler(logger)
        if handler is None:  # configured otherwise: each line through logging, as it says
            self._stream = None
            self._head = self._tail = ""
            return
        self._stream = handler.stream
        record = logger.makeRecord(logger.name, logging.INFO, __file__, 0, "\0", (), None)
        formatter = handler.formatter or logging.Formatter()
        self._head, _, self._tail = formatter.format(record).partition("\0")

    def add(self, line: str) -> None:
        """Log ``line`` (from the event loop's thread)."""
        if self._stream is None:
            self._logger.info(line)
            return
        self._lines.append(line)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Write the lines logged so far."""
        self._scheduled = False
        lines, self._lines = self._lines, []
        if lines and self._stream is not None:
            head, tail = self._head, self._tail
            self._stream.write("".join(f"{head}{line}{tail}\n" for line in lines))
            self._stream.flush()


def _stream_handler(logger: logging.Logger) -> logging.StreamHandler[Any] | None:
    """The stream handler a record of ``logger`` ends up in, if that is all it ends up in."""
    current: logging.Logger | None = logger
    while current is not None:
        if current.handlers:
            handlers = current.handlers
            if len(handlers) == 1 and isinstance(handlers[0], logging.StreamHandler):
                return handlers[0]
            return None
        current = current.parent if current.propagate else None
    return None


def _log_requests(app: ASGIApp, log: _RequestLog) -> ASGIApp:
    """Log one line per HTTP request: client, method, path and query, status, duration."""

    async def logged(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        outcome = "500"
        try:
            await app(scope, receive, capture)
            outcome = str(status[0]) if status else "no response"
        except ServerStopping:
            outcome = "connection closed (server stopping)"
            raise
        except ConnectionFault as fault:
            outcome = f"connection {fault.kind} (fault)"
            raise
        finally:
            _log_line(log, scope, outcome, started)

    return logged


def _log_line(log: _RequestLog, scope: Scope, outcome: str, started: float) -> None:
    """Log the line of one request (``started``: its ``time.perf_counter()``)."""
    client = scope.get("client") or ("-", 0)
    target = scope["path"]
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    elapsed = (time.perf_counter() - started) * 1000
    log.add(f'{client[0]}:{client[1]} "{scope["method"]} {target}" {outcome} {elapsed:.1f}ms')


def _log_config(level: str) -> dict[str, Any]:
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["sgp_fake"] = {
        "handlers": ["default"],  # standard error: standard output carries the ready line
        "level": level.upper(),
        "propagate": False,
    }
    return config


def _api_keys(args: argparse.Namespace) -> dict[str, Identity] | None:
    keys: dict[str, Identity] = {}
    if args.api_keys_file:
        try:
            keys.update(load_api_keys(args.api_keys_file))
        except (OSError, ValueError) as exc:
            raise SetupError(f"API keys file {args.api_keys_file}: {_one_line(exc)}") from None
        if not keys:
            raise SetupError(f"API keys file {args.api_keys_file} lists no key")
    keys.update(dict(args.api_keys))
    return keys or None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _seed(fake: SGPFake, path: str) -> None:
    from ..extras.admin import replace_state, state_document, state_errors

    state = fake.state
    StateDocument = state_document(tuple(state.resources.values()))
    try:
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise SetupError(f"seed file {path}: {_one_line(exc)}") from None
    if isinstance(data, list):
        data = {"model_templates": data}
    try:
        document = StateDocument.model_validate(data, extra="forbid")
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise SetupError(f"seed file {path}: {where}: {first['msg']}") from None
    errors = state_errors(state.resources, document)
    if errors:
        where = ".".join(str(part) for part in errors[0]["loc"][1:])
        raise SetupError(f"seed file {path}: {where}: {errors[0]['msg']}")
    try:
        replace_state(state, document)
    except pydantic_core.PydanticSerializationError:
        raise SetupError(
            f"seed file {path}: a string holds a lone surrogate, which UTF-8 cannot encode"
        ) from None


def _admin_token(args: argparse.Namespace) -> str | None:
    """``--admin-token``, else ``$SGP_FAKE_ADMIN_TOKEN`` (empty counts as unset), else ``None``."""
    token: str | None = args.admin_token
    if token is None:
        token = os.environ.get(ADMIN_TOKEN_ENV) or None
        if token is not None:
            try:
                check_token(token)
            except ValueError as exc:
                raise SetupError(f"{ADMIN_TOKEN_ENV}: {exc}") from None
    return token


def build_fake(args: argparse.Namespace) -> SGPFake:
    """The fake the parsed ``serve`` flags describe, seeded; raises :class:`SetupError`."""
    from ..extras.persistence import StateFileError

    settings = FakeSettings(
        api_keys=_api_keys(args),
        strict=args.strict,
        contract=args.contract,
        latency=args.latency,
        deployment_ready_after=args.deployment_ready_after,
        gateway_models=tuple(getattr(args, "gateway_models", ())),
        gateway_builtin_models=getattr(args, "gateway_builtin_models", True),
    )
    # A state file this start makes (or finds empty) is put back as it was if seeding fails:
    # else the next start would find it made, and skip the seed, once the seed file is fixed.
    existed = args.state_file is not None and os.path.exists(args.state_file)
    try:
        fake = SGPFake(
            settings,
            admin=args.admin,
            coverage=args.admin,
            # Without the admin API nothing can read the journal: keep none.
            journal_limit=DEFAULT_JOURNAL_LIMIT if args.admin else 0,
            state_file=args.state_file,
        )
    except StateFileError as exc:
        raise SetupError(str(exc)) from None
    try:
        # With a state file, seed only a new one: a restart never brings back what was deleted.
        new_state = fake.persistence is None or fake.persistence.created
        if args.seed_file and new_state:
            _seed(fake, args.seed_file)
    except BaseException:
        fake.close()
        if fake.persistence is not None and fake.persistence.created:
            _forget_state_file(fake.persistence.path, existed)
        raise
    return fake


def _forget_state_file(path: str, existed: bool) -> None:
    """Put a state file this start made back as it was: absent, or empty when it was there."""
    with contextlib.suppress(OSError):
        if existed:
            os.truncate(path, 0)
        else:
            os.remove(path)
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


def _listen(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to ``host:port``, made as uvicorn's own binding (asyncio's
    ``create_server``) makes them: one per address the host resolves to, IPv6 ones IPv6 only.

    With port 0 every address gets the port the first one drew, so that the one URL printed
    reaches them all (``localhost`` is ``::1`` and ``127.0.0.1`` on many machines); where
    that port is taken on another address, the draw starts again.

    Bound before uvicorn starts, so that an address in use (or a host that does not resolve)
    is a one-line :class:`SetupError` rather than uvicorn's log lines and exit status 3.
    """
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    for attempt in range(_PORT_DRAWS if port == 0 else 1):
        try:
            return _bind_all(host, port)
        except _PortTaken:
            if attempt == _PORT_DRAWS - 1:
                raise SetupError(
                    f"cannot listen on {shown}: no port free on every address"
                ) from None
        except OSError as exc:
            reason = (exc.strerror or _one_line(exc)).lower()
            raise SetupError(f"cannot listen on {shown}: {reason}") from None
    raise AssertionError("unreachable")  # pragma: no cover


_PORT_DRAWS = 16
"""How many ports 0 draws before ``_listen`` gives up finding one free on every address."""


class _PortTaken(Exception):
    """The port a first address drew is in use on another."""


def _bind_all(host: str, port: int) -> list[socket.socket]:
    sockets: list[socket.socket] = []
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        for family, kind, proto, _, given in dict.fromkeys(infos):
            try:
                sock = socket.socket(family, kind, proto)
            except OSError:
                continue  # a family this machine does not have (asyncio skips it too)
            sockets.append(sock)
            # As asyncio: elsewhere SO_REUSEADDR would let two servers share a port.
            if os.name == "posix" and sys.platform != "cygwin":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            drawn = len(sockets) > 1 and port == 0
            address = (given[0], sockets[0].getsockname()[1], *given[2:]) if drawn else given
            try:
                sock.bind(address)
            except OSError as exc:
                if drawn and exc.errno == errno.EADDRINUSE:
                    raise _PortTaken() from None
                raise
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    if not sockets:
        raise OSError(errno.EADDRNOTAVAIL, "no usable address")
    return sockets


def serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; return the exit status."""
    try:
        token = _admin_token(args)
        # The port first: a server that cannot listen must not open (or create) a state file.
        listeners = _listen(args.host, args.port)
        try:
            fake = build_fake(args)
        except BaseException:
            for sock in listeners:
                sock.close()
            raise
    except SetupError as exc:
        print(f"sgp-fake: error: {exc}", file=sys.stderr, flush=True)
        return 1
    # Host, Origin and admin token (sgp_fake.core.access); beyond loopback without a token given,
    # one is generated, and printed after the ready line.
    access = AccessPolicy.for_bind(args.host, token, admin=args.admin)
    request_log: _RequestLog | None = None
    try:
        # Each wrapper is a coroutine frame per request: only those that can do something.
        # The access policy adds no frame: the fake's app applies it in its front door.
        # Configured here rather than by uvicorn, so the request log can write as it says.
        logging.config.dictConfig(_log_config(args.log_level))
        served = fake.app.with_access(access)
        app: ASGIApp = served
        direct_log = None
        if args.log_level in ("info", "debug"):
            request_log = _RequestLog(request_logger)
            app = _log_requests(app, request_log)
            direct_log = functools.partial(_log_line, request_log)
        if args.admin or args.latency:
            # Connection faults (set through the admin API), and the connections a stopping
            # server closes while they wait out a latency (see _Server.shutdown).
            app = with_socket_faults(app)
        config = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_config=None,
            log_level=args.log_level,
            lifespan="off",
            access_log=False,
            # uvloop and httptools when importable (dependencies where they build), else
            # asyncio's loop and h11: the server runs either way.
            loop="auto",
            # What the fake answers at once is written at once (sgp_fake.protocol), the rest
            # served by uvicorn's own protocol.
            http=http_protocol(served, direct_log),
            # Nothing here reads X-Forwarded-* (a fake is not deployed behind proxies), and
            # the middleware that applies them is another frame per request.
            proxy_headers=False,
        )
        server = _Server(
            config, access.admin_token if token is None else None, args.admin, access.admin_token
        )
        server.run(sockets=listeners)
    finally:
        if request_log is not None:
            request_log.flush()
        fake.close()
    logging.shutdown()
    return 0 if server.started else 1
