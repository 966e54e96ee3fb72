"""LiveServer's lifecycle: it serves until stopped, and a stop really closes it."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake


def _refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except OSError:
        return True
    return False


@pytest.mark.parametrize("keep_connection_open", [False, True])
def test_stop_closes_the_socket_and_ends_the_thread(keep_connection_open: bool) -> None:
    # With nothing open the server skips uvicorn's fixed waits; with a keep-alive connection
    # still open it winds that down as uvicorn does. Either way it is gone after stop().
    server = LiveServer(SGPFake().app).start()
    thread = server._thread
    client = httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=5)
    try:
        assert client.get("/v4/model-templates").status_code == 200
        if not keep_connection_open:
            client.close()
        server.stop()
        assert thread is not None
        assert not thread.is_alive()
        assert _refuses(server.port)
        if keep_connection_open:
            with pytest.raises(httpx.TransportError):
                client.get("/v4/model-templates")
    finally:
        client.close()


def test_a_stopped_server_can_be_stopped_again_and_a_new_one_started() -> None:
    fake = SGPFake()
    first = LiveServer(fake.app).start()
    first.stop()
    first.stop()
    with LiveServer(fake.app) as second, httpx.Client(base_url=second.url, timeout=5) as client:
        assert client.get("/v4/model-templates", headers={"x-api-key": "k"}).status_code == 200


def test_the_fixtures_server_journals_a_client_that_timed_out(
    sgp_fake: SGPFake, sgp_fake_server: Any
) -> None:
    # The shared server of sgp_fake_server serves each test's fake as LiveServer(fake.app)
    # does: a client that gives up during an injected latency is journaled timed_out.
    sgp_fake.faults.add(method="GET", path="/v4/model-templates", latency=0.5)
    with sgp_fake_server.client(timeout=0.1) as client, pytest.raises(httpx.ReadTimeout):
        client.get("/v4/model-templates")
    deadline = time.monotonic() + 5
    while not len(sgp_fake.journal) and time.monotonic() < deadline:
        time.sleep(0.02)  # journaled once the latency has run its course
    (entry,) = sgp_fake.journal
    assert entry.timed_out
