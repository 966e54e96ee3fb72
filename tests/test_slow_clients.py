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

from .conftest import minimal_body

TIMEOUT = 30.0
BODY = json.dumps(minimal_body()).encode()


@pytest.fixture
def served() -> Iterator[tuple[SGPFake, LiveServer]]:
    fake = SGPFake(journal_limit=50)
    with LiveServer(fake.app) as server:
        yield fake, server


def _state(server: LiveServer) -> Any:
    return server._server.server_state


def _settle(server: LiveServer, connections: int = 0) -> None:
    """Wait (bounded) until the server holds at most ``connections`` connections and no task."""
    deadline = time.monotonic() + TIMEOUT
    state = _state(server)
    while len(state.connections) > connections or state.tasks:
        assert time.monotonic() < deadline, (len(state.connections), len(state.tasks))
        time.sleep(0.01)


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

    def churn(n: int) -> None:
        for i in range(n):
            _hang_up_mid_body(server)
            if i % 10 == 0:
                with _connect(server) as sock:
                    sock.sendall(b"GET /v4/model-templates HTTP/1.1\r\nhost: x\r\n")  # no end
        _settle(server)

    churn(100)  # warm-up: caches, the journal at its limit, allocator pools
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        churn(300)
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 300 aborted requests (and 30 abandoned headers) retain less than 200 bytes each.
    assert after - before < 300 * 200, after - before
    assert len(fake.store) == 0
