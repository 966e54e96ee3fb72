"""Limits: oversized bodies are refused early with 413, absurd nesting is a 4xx, never a crash."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from typing import Any

import httpx
import pytest

from sgp_fake import FakeSettings, LiveServer, SGPFake
from sgp_fake.core.scope import SYNC_SCOPE_KEY
from sgp_fake.settings import DEFAULT_MAX_BODY_SIZE
from sgp_fake.transport import _run_without_loop
from tests.support.bodies import minimal_body

JSON = {"content-type": "application/json"}


def _padded(size: int) -> bytes:
    """A valid create body padded with JSON whitespace to exactly ``size`` bytes."""
    body = json.dumps(minimal_body()).encode()
    assert len(body) <= size
    return body[:-1] + b" " * (size - len(body)) + b"}"


def _assert_413(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": f"Request body exceeds {limit} bytes"}


# -- size ----------------------------------------------------------------------------------------


def test_the_default_limit_is_one_mebibyte() -> None:
    assert DEFAULT_MAX_BODY_SIZE == 1024 * 1024
    fake = SGPFake()
    with fake.client() as client:
        assert (
            client.post(
                "/v4/model-templates", content=_padded(DEFAULT_MAX_BODY_SIZE), headers=JSON
            ).status_code
            == 200
        )
        _assert_413(
            client.post(
                "/v4/model-templates", content=_padded(DEFAULT_MAX_BODY_SIZE + 1), headers=JSON
            ),
            DEFAULT_MAX_BODY_SIZE,
        )
    assert len(fake.store) == 1


@pytest.mark.parametrize("limit", [300, 4096, 100_000])
def test_the_limit_is_configurable_and_exact(limit: int) -> None:
    fake = SGPFake(FakeSettings(max_body_size=limit))
    with fake.client() as client:
        assert (
            client.post("/v4/model-templates", content=_padded(limit), headers=JSON).status_code
            == 200
        )
        _assert_413(
            client.post("/v4/model-templates", content=_padded(limit + 1), headers=JSON), limit
        )
        # Every route has the limit, not only create.
        _assert_413(
            client.request("DELETE", "/v4/model-templates/x", content=b"x" * (limit + 1)), limit
        )
    assert len(fake.store) == 1


def test_a_changed_limit_applies_to_the_next_request() -> None:
    fake = SGPFake()
    with fake.client() as client:
        fake.settings.max_body_size = 500
        _assert_413(client.post("/v4/model-templates", content=_padded(501), headers=JSON), 500)
        fake.settings.max_body_size = 501
        assert (
            client.post("/v4/model-templates", content=_padded(501), headers=JSON).status_code
            == 200
        )


@pytest.mark.asyncio
async def test_the_limit_holds_on_the_async_transport() -> None:
    fake = SGPFake(FakeSettings(max_body_size=1000))
    async with fake.async_client() as client:
        _assert_413(
            await client.post("/v4/model-templates", content=_padded(1001), headers=JSON), 1000
        )
        response = await client.post("/v4/model-templates", content=_padded(1000), headers=JSON)
        assert response.status_code == 200


class _Stream:
    """An ASGI request body of ``chunks`` chunks of ``size`` bytes; counts what the app read."""

    def __init__(self, chunks: int, size: int) -> None:
        self.remaining = chunks
        self.size = size
        self.read = 0

    async def receive(self) -> dict[str, Any]:
        if self.remaining == 0:
            return {"type": "http.disconnect"}
        self.remaining -= 1
        self.read += 1
        return {"type": "http.request", "body": b" " * self.size, "more_body": self.remaining > 0}


def _asgi_post(
    fake: SGPFake, stream: _Stream, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "path": "/v4/model-templates",
        "raw_path": b"/v4/model-templates",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"x-api-key", b"k"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        SYNC_SCOPE_KEY: True,
    }
    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    _run_without_loop(fake.app(scope, stream.receive, send))
    return answer["status"], answer["body"]


def test_a_declared_length_over_the_limit_is_refused_before_reading_the_body() -> None:
    fake = SGPFake(FakeSettings(max_body_size=1000))
    stream = _Stream(chunks=1000, size=65536)
    status, body = _asgi_post(fake, stream, [(b"content-length", str(1000 * 65536).encode())])
    assert status == 413
    assert json.loads(body) == {"detail": "Request body exceeds 1000 bytes"}
    assert stream.read == 0


def test_an_undeclared_stream_is_cut_off_as_soon_as_it_passes_the_limit() -> None:
    limit = 100_000
    fake = SGPFake(FakeSettings(max_body_size=limit))
    stream = _Stream(chunks=10_000, size=16_384)  # 160 MB if read to the end
    status, _ = _asgi_post(fake, stream, [])
    assert status == 413
    # The chunk that crossed the limit is the last one read.
    assert stream.read == limit // 16_384 + 1
    assert stream.remaining > 9_000


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length]


@pytest.fixture
def small_limit_server() -> Any:
    fake = SGPFake(FakeSettings(max_body_size=65_536))
    with LiveServer(fake.app) as server:
        yield fake, server


def test_live_server_refuses_a_huge_declared_body_without_waiting_for_it(
    small_limit_server: Any,
) -> None:
    fake, server = small_limit_server
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v4/model-templates HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: k\r\n"
            b"content-type: application/json\r\ncontent-length: 10000000000\r\n\r\n"
        )
        # Not one byte of the 10 GB body is sent; the answer comes anyway.
        status, headers, body = _read_answer(sock)
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": "Request body exceeds 65536 bytes"}
    assert len(fake.store) == 0


def test_live_server_cuts_off_an_endless_chunked_body(small_limit_server: Any) -> None:
    _, server = small_limit_server
    sent = 0
    stop = threading.Event()

    def pour(sock: socket.socket) -> None:
        nonlocal sent
        chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
        with contextlib.suppress(OSError):
            # Bounded: 64 MB at most, far past the limit.
            while not stop.is_set() and sent < 64 * 1024 * 1024:
                sock.sendall(chunk)
                sent += 0x4000

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v4/model-templates HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: k\r\n"
            b"content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        pourer = threading.Thread(target=pour, args=(sock,), daemon=True)
        pourer.start()
        try:
            status, _, body = _read_answer(sock)
        finally:
            stop.set()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            pourer.join(10)
    assert not pourer.is_alive()
    assert status == 413
    assert json.loads(body) == {"detail": "Request body exceeds 65536 bytes"}
    # And the server goes on answering.
    with httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=10) as client:
        assert client.post("/v4/model-templates", json=minimal_body()).status_code == 200


# -- nesting -------------------------------------------------------------------------------------

DEPTHS = [10, 500, 990, 1000, 5_000, 100_000]


def _nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "null" + "}" * depth


def _bodies(depth: int, kind: str) -> list[tuple[bytes, bool]]:
    """Bodies with the nesting at the top, in a field, a map, a list and an unknown field.

    The flag says whether the body may be accepted: an unknown field is ignored (as the real
    service ignores it), however deep, as long as the JSON parses.
    """
    inner = _nested(depth, kind)
    base = json.dumps(minimal_body())
    return [
        (inner.encode(), False),
        (base.replace('"llama-completion"', inner, 1).encode(), False),
        (
            base.replace('"tag": "1.4.2"', f'"tag": "1.4.2", "env": {{"A": {inner}}}', 1).encode(),
            False,
        ),
        (
            (
                base[:-1] + f', "model_request_parameters_schema": {{"parameters": {inner}}}}}'
            ).encode(),
            False,
        ),
        ((base[:-1] + f', "unknown": {inner}}}').encode(), True),
    ]


def _assert_nesting_answer(response: httpx.Response, may_accept: bool) -> None:
    allowed = (200, 400) if may_accept else (400, 422)
    assert response.status_code in allowed, response.text[:300]
    if response.status_code != 200:
        assert list(response.json()) == ["detail"]


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_nesting_is_a_4xx_in_process(depth: int, kind: str) -> None:
    fake = SGPFake()
    with fake.client() as client:
        for body, may_accept in _bodies(depth, kind):
            response = client.post("/v4/model-templates", content=body, headers=JSON)
            _assert_nesting_answer(response, may_accept)
            # The journal and its views cope with the body too.
            fake.journal.last().to_dict()


def test_deep_nesting_from_a_caller_already_deep_in_its_stack() -> None:
    # The sync transport runs the app on the caller's own stack: a test deep in recursion must
    # still get a 4xx, never a RecursionError.
    fake = SGPFake()
    client = fake.client()
    results: list[int] = []

    def descend(levels: int) -> None:
        if levels:
            descend(levels - 1)
            return
        for depth in (50, 300, 2000):
            for body, may_accept in _bodies(depth, "array"):
                if not may_accept:
                    response = client.post("/v4/model-templates", content=body, headers=JSON)
                    results.append(response.status_code)

    descend(sys.getrecursionlimit() - 200)
    assert len(results) == 12
    assert all(status in (400, 422) for status in results)
    client.close()


@pytest.mark.asyncio
async def test_deep_nesting_is_a_4xx_on_the_async_transport() -> None:
    fake = SGPFake()
    async with fake.async_client() as client:
        for depth in (100, 999, 50_000):
            for body, may_accept in _bodies(depth, "object"):
                response = await client.post("/v4/model-templates", content=body, headers=JSON)
                _assert_nesting_answer(response, may_accept)


def test_deep_nesting_is_a_4xx_on_the_live_server() -> None:
    fake = SGPFake()
    accepted = 0
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=30) as client,
    ):
        for depth in (100, 999, 5_000, 100_000):
            for kind in ("array", "object"):
                for body, may_accept in _bodies(depth, kind):
                    response = client.post("/v4/model-templates", content=body, headers=JSON)
                    _assert_nesting_answer(response, may_accept)
                    accepted += response.status_code == 200
        assert client.get("/v4/model-templates").json()["total_item_count"] == accepted
