"""A network that nothing may reach, so that a leak fails loudly.

Two layers, both recording what tried to get through and refusing it:

* underneath httpx's own transports (``httpx.HTTPTransport`` / ``AsyncHTTPTransport``, which the
  interceptor patches), httpcore's connection pools: every request that httpx would really send
  lands in :attr:`NetworkGuard.requests` and raises :class:`Leak`;
* the socket module: resolving or connecting to anything but loopback lands in
  :attr:`NetworkGuard.connections` and fails as an unreachable network would.

Code under test may swallow the exceptions; :meth:`NetworkGuard.assert_nothing_left` still sees
the records. The plugin tests copy this file next to their generated tests, so it imports only
the standard library, pytest and httpcore.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

import httpcore
import pytest


class Leak(AssertionError):
    """A request reached httpx's real transport: it would have gone to the network."""


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def _describe(request: httpcore.Request) -> str:
    url = request.url
    origin = f"{url.scheme.decode()}://{url.host.decode()}"
    if url.port is not None:
        origin += f":{url.port}"
    return f"{request.method.decode()} {origin}{url.target.decode()}"


class NetworkGuard:
    """Records and refuses every request and connection that would leave the machine."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        """``"METHOD URL"`` of every request that reached httpcore."""
        self.connections: list[str] = []
        """Every name resolution or connection attempted to a non-loopback address."""

    def install(self, monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
        """Put both layers in place; ``monkeypatch`` removes them."""
        guard = self

        def handle_request(pool: Any, request: httpcore.Request) -> httpcore.Response:
            raise guard._leak(request)

        async def handle_async_request(pool: Any, request: httpcore.Request) -> httpcore.Response:
            raise guard._leak(request)

        monkeypatch.setattr(httpcore.ConnectionPool, "handle_request", handle_request)
        monkeypatch.setattr(
            httpcore.AsyncConnectionPool, "handle_async_request", handle_async_request
        )

        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host is not None and not _is_loopback(host):
                guard.connections.append(f"resolve {host!r}")
                raise socket.gaierror(socket.EAI_NONAME, "the network is unreachable in this test")
            return real_getaddrinfo(host, *args, **kwargs)

        def refuse(sock: socket.socket, address: Any) -> None:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
                guard.connections.append(f"connect {address!r}")
                raise OSError(errno.ENETUNREACH, "the network is unreachable in this test")

        def connect(sock: socket.socket, address: Any) -> None:
            refuse(sock, address)
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            refuse(sock, address)
            return real_connect_ex(sock, address)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        return self

    def _leak(self, request: httpcore.Request) -> Leak:
        described = _describe(request)
        self.requests.append(described)
        return Leak(f"{described} reached httpx's real transport: it would have left the machine")

    def assert_nothing_left(self) -> None:
        """Fail if anything tried to reach the network, even if the exception was swallowed."""
        assert self.requests == [], f"requests that would have left: {self.requests}"
        assert self.connections == [], f"connections attempted: {self.connections}"
