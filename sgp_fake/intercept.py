"""Send httpx and httpx2 requests meant for the real SGP service to a fake, in process.

Code under test often builds its own client (``SGPClient()``, ``httpx.Client(base_url=...)``)
against ``https://api.egp.scale.com``, another of the SDKs' documented hosts
(:data:`SGP_HOSTS`) or ``$SGP_CLIENT_BASE_URL``. While an :class:`Interceptor`
is active, every request that ``httpx.HTTPTransport`` / ``httpx.AsyncHTTPTransport`` would send
to one of those base URLs, or to a base URL given to it, is answered by the fake instead, with no
socket; so is every such request of ``httpx2``'s transports, the HTTP client of the ``openai``
package (when it is installed), for code that points ``openai.OpenAI`` at SGP's gateway.
Requests to any other host go out untouched. A host matches however it is written (scheme,
case, a trailing dot; any port unless the base URL names one). A request to an intercepted
host that the fake has no route for fails loudly (see ``on_unhandled``): it never reaches the
network.

>>> import httpx
>>> from sgp_fake import SGPFake
>>> fake = SGPFake()
>>> with Interceptor(fake):
...     httpx.get("https://api.egp.scale.com/v4/model-templates",
...               headers={"x-api-key": "k"}).json()["total_item_count"]
0

Only the default transports of httpx (the official SDKs use them) and of httpx2 (the
``openai`` package uses it), and httpx-aiohttp's (the SDKs' ``DefaultAioHttpClient``) where it
is installed, are patched, so a client given an ``httpx.HTTPTransport(...)`` of its own is
intercepted too; clients on another kind of transport (``httpx.MockTransport``), ``requests``
and ``urllib`` are not affected.

Beneath the transports, their connection pools (httpcore's, and httpcore2's under httpx2) are
patched too: a library that puts back the transports' original methods over these patches
(vcrpy's cassettes keep the methods they found at import) still has its requests to the
intercepted hosts answered by the fake there, not sent to the network.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import threading
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    ContextManager,
    Iterable,
    Iterator,
    NoReturn,
)

import httpx

from .core.routing import ADMIN_PREFIX
from .fake import DEFAULT_BASE_URL
from .transport import AsyncFakeTransport, FakeTransport

if TYPE_CHECKING:
    from .fake import SGPFake

__all__ = ["BASE_URL_ENV", "SGP_HOSTS", "Interceptor", "UnhandledRequest"]

BASE_URL_ENV = "SGP_CLIENT_BASE_URL"
"""The environment variable (``SGP_CLIENT_BASE_URL``) whose URL an :class:`Interceptor` also
answers for, unless it is given ``include_env=False``."""

SGP_HOSTS = (
    DEFAULT_BASE_URL,
    "https://api.sgp.scale.com",
    "https://api.staging-sgp.scale.com",
    "https://api.dev-sgp.scale.com",
)
"""The real service's base URLs the SDKs document: ``scale-gp-beta``'s environments
``production`` (the default of both SDKs), ``production-multitenant``, ``staging`` and
``development``. Its ``local`` environment (``http://127.0.0.1:5003/public``, ``scale-gp``'s
``development``) is left out: a loopback port may be a server the test runs on purpose; pass
it in ``base_urls`` to intercept it."""


class UnhandledRequest(AssertionError):
    """A request to an intercepted SGP host that the fake has no route for."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__(
            f"sgp-fake intercepted {request.method} {request.url}, but the fake has no route for "
            "it; the request was not sent to the network"
        )
        self.request = request


def _raise(request: httpx.Request) -> NoReturn:
    raise UnhandledRequest(request)


def _host(url: httpx.URL) -> str:
    # 'API.EGP.scale.com.' is the same host as 'api.egp.scale.com' to DNS, so to us.
    return url.host.lower().rstrip(".")


class _Target:
    """A base URL: its host, its port when one is given (else any), and its path prefix.

    Neither the scheme nor a default port tells two base URLs apart: a request to an SGP host
    over ``http``, or on another port, would reach that host all the same."""

    __slots__ = ("host", "port", "prefix", "raw_prefix", "scheme")

    def __init__(self, base_url: str | httpx.URL) -> None:
        url = httpx.URL(base_url)
        if not url.host:
            raise ValueError(f"not an absolute URL: {base_url!r}")
        self.scheme = url.scheme
        self.host = _host(url)
        self.port = url.port  # httpx drops a scheme's default port: None, any port
        self.prefix = url.path.rstrip("/")
        self.raw_prefix = url.raw_path.split(b"?", 1)[0].rstrip(b"/")

    @property
    def key(self) -> tuple[str, int | None, str]:
        return self.host, self.port, self.prefix

    @property
    def url(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.prefix}"

    def path_of(self, url: httpx.URL) -> str | None:
        """The request's path below this base URL, or ``None`` when it is not below it."""
        if _host(url) != self.host:
            return None
        if self.port is not None and (url.port or _DEFAULT_PORTS.get(url.scheme)) != self.port:
            return None
        path = url.path
        if not self.prefix:
            return path
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return path[len(self.prefix) :] or "/"
        return None

    def raw_path_of(self, url: httpx.URL) -> bytes:
        """The request's raw (percent-encoded) path below this base URL, which
        :meth:`path_of` found it is below."""
        raw = url.raw_path.split(b"?", 1)[0]
        if self.raw_prefix and raw.startswith(self.raw_prefix):
            return raw[len(self.raw_prefix) :] or b"/"
        return raw


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _below_prefix(request: httpx.Request, target: _Target, body: bytes) -> httpx.Request:
    """``request`` (whose ``body`` has been read) as the fake serves it when its base URL,
    ``target``, has a path prefix: the route below the prefix, the path as sent (an encoded '/'
    stays encoded)."""
    query = request.url.query
    raw_path = target.raw_path_of(request.url)
    return httpx.Request(
        request.method,
        request.url.copy_with(raw_path=raw_path + (b"?" + query if query else b"")),
        headers=request.headers,
        content=body,
        extensions=request.extensions,
    )


def _relocated(response: httpx.Response, request: httpx.Request, target: _Target) -> httpx.Response:
    """``response``, where the fake redirected a request below ``target``'s path prefix to its
    own host, with the prefix put back in its ``location``: the fake saw the path without it,
    and a client following the redirect must stay below the base URL."""
    location = response.headers.get("location")
    if location is None or not response.is_redirect:
        return response
    url = request.url.join(location)
    if target.path_of(url) is None and _host(url) == target.host:
        response.headers["location"] = str(url.copy_with(raw_path=target.raw_prefix + url.raw_path))
    return response


# The patched methods dispatch to the innermost active interceptor. start() installs them when
# no started interceptor has, and the last stop() restores what the first start() replaced:
# interceptors nest, and one stopped out of order leaves the others intercepting.
_ACTIVE: list[Interceptor] = []
_ACTIVE_LOCK = threading.Lock()
_STARTED: list[Interceptor] = []
_REPLACED: list[tuple[type, str, Any]] = []


class Interceptor:
    """Route httpx (and httpx2) traffic for SGP base URLs to ``fake`` while active.

    * ``base_urls``: base URLs (or one, as a string) to intercept in addition to the real service's
      (:data:`SGP_HOSTS`, :data:`~sgp_fake.DEFAULT_BASE_URL` first) and
      ``$SGP_CLIENT_BASE_URL``; giving one of the real service's URLs again changes nothing.
    * ``include_default=False``: do not intercept the real service's URLs (unless they are in
      ``base_urls``); requests to them go to the network.
    * ``include_env=False``: do not intercept ``$SGP_CLIENT_BASE_URL``. When it is intercepted
      it is read at each request, so setting it inside the test works.
    * ``on_unhandled``: called with a request to an intercepted host that the fake has no route
      for; it must raise. By default :class:`UnhandledRequest` is raised. Every such request is
      also kept in :attr:`unhandled`.

    When base URLs overlap (the same host, one with a path prefix), a request goes to the one
    with the longest prefix that contains it.

    Use it as a context manager, or :meth:`start`/:meth:`stop`, or hand :meth:`patches` to
    pytest's ``monkeypatch.setattr``.
    """

    def __init__(
        self,
        fake: SGPFake,
        base_urls: Iterable[str] | str = (),
        *,
        include_default: bool = True,
        include_env: bool = True,
        on_unhandled: Callable[[httpx.Request], NoReturn] = _raise,
    ) -> None:
        self.fake = fake
        self._targets: list[_Target] = []
        if include_default:
            for url in SGP_HOSTS:
                self.add_base_url(url)
        # One URL as a string is a list of one, not a list of its characters.
        for url in [base_urls] if isinstance(base_urls, str) else base_urls:
            self.add_base_url(url)
        if not self._targets and not include_env:
            raise ValueError(
                "nothing to intercept: no base URL given, and include_default and include_env "
                "are both False"
            )
        self.include_env = include_env
        self.on_unhandled = on_unhandled
        self.unhandled: list[httpx.Request] = []
        self.handled = 0
        self._transport = FakeTransport(fake.app)
        self._async_transport = AsyncFakeTransport(fake.app)

    # -- which requests ------------------------------------------------------------------------

    def add_base_url(self, base_url: str) -> None:
        """Intercept ``base_url`` too (a base URL already intercepted is kept once)."""
        target = _Target(base_url)
        if all(known.key != target.key for known in self._targets):
            self._targets.append(target)

    @property
    def base_urls(self) -> list[str]:
        """The base URLs intercepted now (``$SGP_CLIENT_BASE_URL`` included when set)."""
        urls = [target.url for target in self._targets]
        env = os.environ.get(BASE_URL_ENV) if self.include_env else None
        if env:
            urls.append(env)
        return urls

    def _targets_now(self) -> list[_Target]:
        env = os.environ.get(BASE_URL_ENV) if self.include_env else None
        if not env:
            return self._targets
        try:
            return [*self._targets, _Target(env)]
        except ValueError:
            return self._targets

    def _target_for(self, url: httpx.URL) -> tuple[_Target, str] | None:
        found: tuple[_Target, str] | None = None
        longest = -1
        # The most specific base URL wins whatever the order they were given in: an added
        # ``https://api.egp.scale.com/sgp`` must not be shadowed by the default host's root.
        for target in self._targets_now():
            if len(target.prefix) > longest:
                path = target.path_of(url)
                if path is not None:
                    found, longest = (target, path), len(target.prefix)
        return found

    def path_for(self, request: httpx.Request) -> str | None:
        """The fake's path for ``request``, or ``None`` when its host is not intercepted."""
        found = self._target_for(request.url)
        return None if found is None else found[1]

    def can_serve(self, method: str, path: str, raw_path: bytes | None = None) -> bool:
        """Whether the fake answers ``method path`` as the SGP service would (admin routes
        excluded): a route of its own, a 405 for another method of one, or the 307 a ``GET``
        or ``HEAD`` with a trailing slash gets to the path without it. ``raw_path``, the path
        as sent, for routes that match it (a name with ``%2F``)."""
        if path.startswith(ADMIN_PREFIX):
            return False
        router = self.fake.app.operations
        if router.knows(path, raw_path):
            return True
        return (
            method in ("GET", "HEAD")
            and path.endswith("/")
            and path != "/"
            # Only a slash sent as '/' is redirected (see the fake's routing).
            and (raw_path is None or raw_path.endswith(b"/"))
            and router.knows(path[:-1], None if raw_path is None else raw_path[:-1])
        )

    def _match(self, request: httpx.Request) -> _Target | None:
        """The base URL ``request`` is below, ``None`` to let it through; or fail loudly."""
        found = self._target_for(request.url)
        if found is None:
            return None
        target, path = found
        raw_path = target.raw_path_of(request.url)
        if not self.can_serve(request.method, path, raw_path):
            self.unhandled.append(request)
            self.on_unhandled(request)
        self.handled += 1
        return target

    def _serve(self, request: httpx.Request) -> httpx.Response | None:
        """The fake's answer to ``request``, ``None`` to let it through; or fail loudly."""
        target = self._match(request)
        if target is None:
            return None
        if not target.prefix:
            return self._transport.handle_request(request)
        below = _below_prefix(request, target, request.read())
        return _relocated(self._transport.handle_request(below), request, target)

    async def _aserve(self, request: httpx.Request) -> httpx.Response | None:
        """:meth:`_serve` for an async client, whose request body may be an async stream."""
        target = self._match(request)
        if target is None:
            return None
        if not target.prefix:
            return await self._async_transport.handle_async_request(request)
        below = _below_prefix(request, target, await request.aread())
        response = await self._async_transport.handle_async_request(below)
        return _relocated(response, request, target)

    # -- patching ------------------------------------------------------------------------------

    @staticmethod
    def patches() -> list[tuple[type, str, Any]]:
        """``(class, attribute, replacement)`` triples that route traffic to active interceptors:
        httpx's transports, and httpx2's when it is installed.

        The replacements consult the interceptors started with :meth:`start` (innermost first)
        and those given to :meth:`activate`.
        """
        original_sync = httpx.HTTPTransport.handle_request
        original_async = httpx.AsyncHTTPTransport.handle_async_request

        def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            for interceptor in reversed(_ACTIVE):
                response = interceptor._serve(request)
                if response is not None:
                    return response
            return original_sync(self, request)

        async def handle_async_request(
            self: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            for interceptor in reversed(_ACTIVE):
                response = await interceptor._aserve(request)
                if response is not None:
                    return response
            return await original_async(self, request)

        return [
            (httpx.HTTPTransport, "handle_request", handle_request),
            (httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request),
            *_httpx2_patches(),
            *_pool_patches(),
            *_aiohttp_patches(),
        ]

    def activate(self) -> None:
        """Make this interceptor the innermost active one (patching is up to the caller)."""
        with _ACTIVE_LOCK:
            _ACTIVE.append(self)

    def deactivate(self) -> None:
        """Stop routing requests to this interceptor."""
        with _ACTIVE_LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)

    def start(self) -> Interceptor:
        """Patch httpx (and httpx2) and activate; undo with :meth:`stop`."""
        with _ACTIVE_LOCK:
            if self in _STARTED:
                raise RuntimeError("interceptor already started")
            if not _STARTED:
                for owner, name, replacement in self.patches():
                    _REPLACED.append((owner, name, owner.__dict__[name]))
                    setattr(owner, name, replacement)
            _STARTED.append(self)
            _ACTIVE.append(self)
        return self

    def stop(self) -> None:
        """Deactivate; the last started interceptor to stop restores what was patched, in
        whatever order they stop."""
        with _ACTIVE_LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)
            if self not in _STARTED:
                return
            _STARTED.remove(self)
            if not _STARTED:
                while _REPLACED:
                    owner, name, previous = _REPLACED.pop()
                    setattr(owner, name, previous)

    def __enter__(self) -> Interceptor:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def assert_all_handled(self) -> None:
        """Raise :class:`UnhandledRequest` for the first request the fake could not serve."""
        if self.unhandled:
            raise UnhandledRequest(self.unhandled[0])


# -- httpx2 ------------------------------------------------------------------------------------
# The openai package sends with httpx2, a separate package with the same API as httpx. Its
# requests are turned into httpx ones, routed exactly as httpx's, and the fake's answer and
# errors turned back. httpx2 is optional, so it is imported at run time and typed ``Any``.


class _MappedBody:
    """The fake's response body (sync or async, as the transport that made it) as another
    client's stream reads it: chunk by chunk, so a streamed answer stays streamed, a cut
    mid-stream raised as that client's error (``errors``), and closing it closes the fake's
    stream (the app stops there)."""

    def __init__(self, stream: Any, errors: Callable[[], ContextManager[None]]) -> None:
        self._stream = stream
        self._errors = errors

    def __iter__(self) -> Iterator[bytes]:
        with self._errors():
            yield from self._stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with self._errors():
            async for chunk in self._stream:
                yield chunk

    def close(self) -> None:
        self._stream.close()

    async def aclose(self) -> None:
        await self._stream.aclose()


def _interceptor_for(url: httpx.URL) -> Interceptor | None:
    """The innermost active interceptor that intercepts ``url``."""
    for interceptor in reversed(_ACTIVE):
        if interceptor._target_for(url) is not None:
            return interceptor
    return None


def _httpx_request(request: Any, url: httpx.URL, body: bytes) -> httpx.Request:
    """The httpx version of an httpx2 ``request`` whose ``body`` has been read."""
    # stream=, not content=: httpx2 has set Host, Content-Length and the like already; the
    # headers go as sent (order and duplicates kept), with none added.
    converted = httpx.Request(
        request.method,
        url,
        headers=request.headers.raw,
        stream=httpx.ByteStream(body),
        extensions=dict(request.extensions),  # the read timeout the fake honours among them
    )
    converted.read()
    return converted


@contextlib.contextmanager
def _as_httpx2_errors(httpx2: Any, request: Any) -> Iterator[None]:
    """Raise the fake's httpx transport errors as httpx2's of the same name: what an httpx2
    client (and openai, which maps them to ``APIConnectionError``) gets from a real socket."""
    try:
        yield
    except httpx.TransportError as exc:
        mapped = getattr(httpx2, type(exc).__name__, None)
        if not (isinstance(mapped, type) and issubclass(mapped, httpx2.TransportError)):
            raise
        raise mapped(str(exc), request=request) from exc


def _httpx2_patches() -> list[tuple[type, str, Any]]:
    """The patches of httpx2's transports, in the form of :meth:`Interceptor.patches`; none
    when httpx2 is not installed."""
    try:
        httpx2: Any = importlib.import_module("httpx2")
    except ImportError:
        return []

    class Body(_MappedBody, httpx2.SyncByteStream, httpx2.AsyncByteStream):  # type: ignore[misc]
        """:class:`_MappedBody` as an httpx2 response's stream."""

    def httpx2_response(response: httpx.Response, request: Any) -> Any:
        return httpx2.Response(
            response.status_code,
            headers=response.headers.raw,
            stream=Body(response.stream, lambda: _as_httpx2_errors(httpx2, request)),
            extensions=dict(response.extensions),
        )

    original_sync = httpx2.HTTPTransport.handle_request
    original_async = httpx2.AsyncHTTPTransport.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        url = httpx.URL(str(request.url))
        interceptor = _interceptor_for(url)
        if interceptor is not None:
            # Only now is the body read: a request to another host goes out as it came.
            with _as_httpx2_errors(httpx2, request):
                response = interceptor._serve(_httpx_request(request, url, request.read()))
            if response is not None:
                return httpx2_response(response, request)
        return original_sync(self, request)

    async def handle_async_request(self: Any, request: Any) -> Any:
        url = httpx.URL(str(request.url))
        interceptor = _interceptor_for(url)
        if interceptor is not None:
            converted = _httpx_request(request, url, await request.aread())
            with _as_httpx2_errors(httpx2, request):
                response = await interceptor._aserve(converted)
            if response is not None:
                return httpx2_response(response, request)
        return await original_async(self, request)

    return [
        (httpx2.HTTPTransport, "handle_request", handle_request),
        (httpx2.AsyncHTTPTransport, "handle_async_request", handle_async_request),
    ]


# -- connection pools --------------------------------------------------------------------------
# What reaches a transport's connection pool would go to the network. A request to an
# intercepted host gets there only when something replaced the transports' patched methods
# with the originals (vcrpy does, from the copies it took at import): answered here by the
# fake, as an httpcore response, so the transport above reads it as it would a socket's.


def _pool_patches() -> list[tuple[type, str, Any]]:
    """The patches of httpcore's connection pools, and of httpcore2's where httpx2 is
    installed, in the form of :meth:`Interceptor.patches`."""
    patches: list[tuple[type, str, Any]] = []
    for core_name, client_name in (("httpcore", "httpx"), ("httpcore2", "httpx2")):
        try:
            importlib.import_module(client_name)
            core: Any = importlib.import_module(core_name)
        except ImportError:
            continue
        patches += _core_pool_patches(core)
    return patches


@contextlib.contextmanager
def _as_core_errors(core: Any) -> Iterator[None]:
    """The fake's httpx transport errors raised as ``core``'s of the same name, which the
    transport above maps to its own (a read timeout stays a read timeout)."""
    try:
        yield
    except httpx.TransportError as exc:
        mapped = getattr(core, type(exc).__name__, None)
        if not (isinstance(mapped, type) and issubclass(mapped, Exception)):
            raise
        raise mapped(str(exc)) from exc


def _core_pool_patches(core: Any) -> list[tuple[type, str, Any]]:
    def converted(request: Any, url: httpx.URL, body: bytes) -> httpx.Request:
        method = request.method
        result = httpx.Request(
            method.decode("ascii") if isinstance(method, bytes) else method,
            url,
            headers=list(request.headers),
            stream=httpx.ByteStream(body),
            extensions=dict(request.extensions),  # the read timeout the fake honours among them
        )
        result.read()
        return result

    def core_response(response: httpx.Response) -> Any:
        return core.Response(
            response.status_code,
            headers=response.headers.raw,
            content=_MappedBody(response.stream, lambda: _as_core_errors(core)),
            extensions=dict(response.extensions),
        )

    def url_of(request: Any) -> httpx.URL:
        # From the parts, not bytes(url): those write an IPv6 host without its brackets.
        url = request.url
        return httpx.URL(
            scheme=url.scheme.decode("ascii"),
            host=url.host.decode("ascii"),
            port=url.port,
            raw_path=url.target,
        )

    original_sync = core.ConnectionPool.handle_request
    original_async = core.AsyncConnectionPool.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        url = url_of(request)
        interceptor = _interceptor_for(url)
        if interceptor is not None:
            body = b"".join(request.stream)
            with _as_core_errors(core):
                response = interceptor._serve(converted(request, url, body))
            if response is not None:
                return core_response(response)
        return original_sync(self, request)

    async def handle_async_request(self: Any, request: Any) -> Any:
        url = url_of(request)
        interceptor = _interceptor_for(url)
        if interceptor is not None:
            body = b"".join([chunk async for chunk in request.stream])
            with _as_core_errors(core):
                response = await interceptor._aserve(converted(request, url, body))
            if response is not None:
                return core_response(response)
        return await original_async(self, request)

    return [
        (core.ConnectionPool, "handle_request", handle_request),
        (core.AsyncConnectionPool, "handle_async_request", handle_async_request),
    ]


# -- httpx-aiohttp -----------------------------------------------------------------------------
# The SDKs' DefaultAioHttpClient is an httpx client on httpx-aiohttp's transport, which sends
# with aiohttp, beside httpx's transports and pools: patched as they are, where installed.


def _aiohttp_patches() -> list[tuple[type, str, Any]]:
    """The patch of httpx-aiohttp's transport, in the form of :meth:`Interceptor.patches`;
    none when it is not installed."""
    if importlib.util.find_spec("httpx_aiohttp") is None:
        return []
    try:
        module: Any = importlib.import_module("httpx_aiohttp.transport")
    except ImportError:  # installed without aiohttp: nothing can send with it
        return []
    original = module.AiohttpTransport.handle_async_request

    async def handle_async_request(self: Any, request: httpx.Request) -> httpx.Response:
        for interceptor in reversed(_ACTIVE):
            response = await interceptor._aserve(request)
            if response is not None:
                return response
        answer: httpx.Response = await original(self, request)
        return answer

    return [(module.AiohttpTransport, "handle_async_request", handle_async_request)]
