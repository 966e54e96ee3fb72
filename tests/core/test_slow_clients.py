"""Slow and vanishing clients on the live server neither block the others nor leak.

Clients that send half a body and hang up, that send half a body and stay, or that send many
requests and never read the answers: while they do, other clients are answered, and once they
are gone the server holds no connection, task or memory for them. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import gc
import json
import socket
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from tests.support.bodies import minimal_body

TIMEOUT = 30.0
BODY = json.dumps(minimal_body()).encode()


@pytest.fixture
def served() -> Iterator[tuple[SGPFake, LiveServer]]:
    fake = SGPFake(journal_limit=50)
    with LiveServer(fake.app) as server:
        yield fake, server


def _state(server: LiveServer) -> Any:
    return server._server.server_state


def _settle(server: LiveServer) -> None:
    """Wait (bounded) until the server has taken every connection opened so far and dropped
    those that are gone: it then holds no connection and no task."""
    # The event loop accepts a connection and only later hands it to uvicorn, which counts it
    # from then on: a server lagging behind its clients holds accepted sockets (and the tasks
    # that set them up) that no counter shows yet. The kernel hands out connections in order,
    # so once a request on a new connection is answered, every earlier one is counted. The
    # prefix /_fake is never journaled, whether or not the admin API is on.
    with _connect(server) as sock:
        sock.sendall(b"GET /_fake/settled HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        while sock.recv(4096):
            pass
    deadline = time.monotonic() + TIMEOUT
    state = _state(server)
    while state.connections or state.tasks:
        assert time.monotonic() < deadline, (len(state.connections), len(state.tasks))
        time.sleep(0.005)


def _connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)


def _half_body_request(length: int = len(BODY)) -> bytes:
    head = (
        b"POST /v4/model-templates HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: k\r\n"
        b"content-type: application/json\r\ncontent-length: %d\r\n\r\n" % length
    )
    return head + BODY[: len(BODY) // 2]


def _hang_up_mid_body(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_half_body_request())


def _answers(server: LiveServer, n: int) -> list[int]:
    with httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client:
        statuses = []
        for _ in range(n):
            created = client.post("/v4/model-templates", json=minimal_body())
            statuses.append(created.status_code)
            statuses.append(client.get(f"/v4/model-templates/{created.json()['id']}").status_code)
        return statuses


def test_clients_hanging_up_mid_body_leave_nothing_behind(
    served: tuple[SGPFake, LiveServer],
) -> None:
    fake, server = served
    for _ in range(100):
        _hang_up_mid_body(server)
    # The hang-ups are done before the server has necessarily read them: wait until it has.
    deadline = time.monotonic() + TIMEOUT
    while len(fake.journal) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    _settle(server)
    assert len(fake.store) == 0
    # Every request that came is journaled, unanswered and without the body that never arrived.
    assert {(e.status, e.body) for e in fake.journal} == {(None, b"")}
    assert _answers(server, 5) == [200] * 10


def test_clients_stalled_mid_body_do_not_block_others(served: tuple[SGPFake, LiveServer]) -> None:
    fake, server = served
    stalled = [_connect(server) for _ in range(30)]
    try:
        for sock in stalled:
            sock.sendall(_half_body_request())
        # While 30 requests wait for the rest of their bodies, others are answered.
        assert _answers(server, 20) == [200] * 40
        # Each stalled request completes normally once its body arrives.
        rest = BODY[len(BODY) // 2 :]
        for sock in stalled[:5]:
            sock.sendall(rest)
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in stalled:
            sock.close()
    _settle(server)
    assert len(fake.store) == 20 + 5


def test_a_client_that_stops_reading_does_not_block_others(
    served: tuple[SGPFake, LiveServer],
) -> None:
    fake, server = served
    with fake.client() as client:
        for i in range(300):
            client.post("/v4/model-templates", json=minimal_body(name=f"t{i}"))
    listing = (
        b"GET /v4/model-templates?limit=300 HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: k\r\n\r\n"
    )
    with _connect(server) as reader:
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        # Pipelined requests for ~150 KB answers each, never read: the server's writes stall.
        reader.setblocking(False)
        sent = 0
        with contextlib.suppress(BlockingIOError):
            for _ in range(200):
                sent += reader.send(listing)
        assert sent > 0
        # Meanwhile everyone else is answered.
        assert _answers(server, 20) == [200] * 40
    # Gone without reading: the server lets go of it.
    _settle(server)
    assert _answers(server, 1) == [200, 200]


def test_vanishing_clients_do_not_grow_memory(served: tuple[SGPFake, LiveServer]) -> None:
    fake, server = served

    def churn(batches: int) -> int:
        """Clients hang up, 10 mid-body and one mid-headers per batch; the memory traced."""
        for _ in range(batches):
            with _connect(server) as sock:
                sock.sendall(b"GET /v4/model-templates HTTP/1.1\r\nhost: x\r\n")  # no end
            for _ in range(10):
                _hang_up_mid_body(server)
            # A server lagging behind a flood holds hundreds of connections at once, and its
            # connection and task tables grow to that peak, which depends on the machine's
            # load. Batches keep the crowd, and so those tables, the same in every window.
            _settle(server)
        gc.collect()
        traced, _ = tracemalloc.get_traced_memory()
        return traced

    churn(10)  # warm-up: caches, the journal at its limit, allocator pools
    tracemalloc.start()
    try:
        # Memory still held that was allocated in a window is not all growth: the journal's
        # 50 entries are replaced, and hash tables are rebuilt at the same size once deleted
        # slots pile up, each counted while their untraced predecessors are not. Both are
        # there after the first window and only replaced in the second, so the difference
        # between two equal windows is what each vanished client really leaves behind.
        first = churn(30)
        second = churn(30)
    finally:
        tracemalloc.stop()
    # 300 aborted requests (and 30 abandoned headers) retain less than 200 bytes each.
    assert second - first < 300 * 200, (first, second)
    assert len(fake.store) == 0
