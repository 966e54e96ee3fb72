"""The servers' protocol (sgp_fake.protocol) against uvicorn's own, byte for byte.

Two fakes in the same deterministic state, one served with the protocol that writes direct
answers itself and one with uvicorn's httptools protocol, get the same requests on raw
sockets; every byte they answer must be the same (the ``date`` header aside), and so must what
each fake journals.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sgp_fake import LiveServer, SGPFake
from sgp_fake import live_server as live_server_module
from sgp_fake.core.gateway import FakeApp
from sgp_fake.deterministic import deterministic
from sgp_fake.factories import seed_deployment
from tests.support.bodies import minimal_body

pytest.importorskip("httptools")

KEY = b"x-api-key: k\r\nx-selected-account-id: acct_1\r\n"


def _request(
    method: str, path: str, body: Any = None, *, headers: bytes = b"", version: bytes = b"1.1"
) -> bytes:
    data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    head = f"{method} {path} HTTP/".encode() + version + b"\r\nhost: 127.0.0.1\r\n" + KEY
    if body is not None and b"transfer-encoding" not in headers:
        head += b"content-type: application/json\r\ncontent-length: %d\r\n" % len(data)
    return head + headers + b"\r\n" + data


def _chat(stream: bool) -> dict[str, Any]:
    return {
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": "Say something about fakes " * 20}],
        "stream": stream,
        "max_tokens": 400,
    }


def _requests(deployment_id: str) -> list[bytes]:
    """One of every kind of request: direct answers, and each case left to uvicorn."""
    chunked_body = json.dumps(minimal_body(name="chunked")).encode()
    return [
        _request("GET", "/v4/model-templates"),
        _request("POST", "/v4/model-templates", minimal_body()),
        _request("POST", "/v4/model-templates", minimal_body(endpoint_type="NOPE")),
        _request("GET", "/v4/model-templates?limit=1&page=1"),
        _request("POST", "/v5/chat/completions", _chat(False)),
        _request("POST", "/v5/chat/completions", _chat(True)),  # decided: writes coalesced
        _request(
            "POST",
            f"/v4/models/{deployment_id}/completions",
            {"prompt": "hello there " * 30, "stream": True},
        ),  # produced as it goes: a write per event
        _request("POST", "/v5/chat/completions", b"{not json"),
        _request("GET", "/v4/no-such-route"),  # the Starlette routes
        _request("HEAD", "/v4/model-templates"),
        _request("DELETE", "/v4/model-templates"),  # 405
        _request("GET", "/_fake/state"),  # the admin API
        _request("GET", "/v4/model-templates", headers=b"connection: close\r\n"),
        _request("GET", "/v4/model-templates", version=b"1.0"),
        _request(
            "POST",
            "/v4/model-templates",
            minimal_body(name="expecting"),
            headers=b"expect: 100-continue\r\n",
        ),
        _request(
            "POST",
            "/v4/model-templates",
            b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunked_body), chunked_body),
            headers=b"content-type: application/json\r\ntransfer-encoding: chunked\r\n",
        ),
        _request("GET", "/v4/model-templates", headers=b"host: evil.example\r\n"),  # refused
        _request("POST", "/v4/model-templates", b"x" * 200, headers=b"content-length: 5\r\n"),
    ]


def _fake() -> tuple[SGPFake, str]:
    fake = SGPFake(**deterministic(7), admin=True, coverage=True)
    seeded = seed_deployment(fake, account_id="acct_1", seed=7)
    return fake, seeded.deployment["id"]


def _closing(request: bytes) -> bytes:
    """``request`` asking the server to close the connection once it answered."""
    head, _, body = request.partition(b"\r\n\r\n")
    return head + b"\r\nconnection: close\r\n\r\n" + body


def _exchange(server: LiveServer, data: bytes) -> bytes:
    """What the server answers to ``data``, sent at once on a new connection whose last
    request closes it, read until the server closed it."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return re.sub(rb"date: [^\r]*\r\n", b"date: -\r\n", received)


def _journal(fake: SGPFake) -> list[dict[str, Any]]:
    # How long each took (and so when it began) is all that may differ.
    return [{**e.to_dict(), "duration": 0, "timestamp": 0} for e in fake.journal]


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[tuple[SGPFake, LiveServer]], str]]:
    """The same fake twice: served with the protocol, and with uvicorn's own."""
    (first, deployment), (second, _) = _fake(), _fake()
    fakes = [first, second]
    direct = LiveServer(fakes[0].app)
    monkeypatch.setattr(live_server_module, "http_protocol", lambda app, log=None: "httptools")
    stock = LiveServer(fakes[1].app)
    monkeypatch.undo()
    with direct, stock:
        yield [(fakes[0], direct), (fakes[1], stock)], deployment


@pytest.fixture
def direct_answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the app answered at once (not left to uvicorn)."""
    answered: list[str] = []
    original: Callable[..., Any] = FakeApp.answer_now

    def counting(self: FakeApp, scope: Any, body: bytes) -> Any:
        answer = original(self, scope, body)
        if answer is not None:
            answered.append(scope["path"])
        return answer

    monkeypatch.setattr(FakeApp, "answer_now", counting)
    return answered


def test_each_request_alone_gets_the_bytes_uvicorn_writes(
    direct_answers: list[str], pair: tuple[list[tuple[SGPFake, LiveServer]], str]
) -> None:
    servers, deployment = pair
    for data in map(_closing, _requests(deployment)):
        direct = _exchange(servers[0][1], data)
        stock = _exchange(servers[1][1], data)
        assert direct == stock, data[:80]
        assert direct.startswith(b"HTTP/1.1 ")
    assert _journal(servers[0][0]) == _journal(servers[1][0])
    # The comparison means something only if the direct path answered most of them.
    assert len(direct_answers) >= 8, direct_answers


def test_requests_sent_back_to_back_on_one_connection_get_the_same_bytes(
    direct_answers: list[str], pair: tuple[list[tuple[SGPFake, LiveServer]], str]
) -> None:
    servers, deployment = pair
    # Pipelined, and ending with one that closes the connection: all answers, in order.
    requests = _requests(deployment)
    sent = b"".join([*requests[:12], _closing(requests[0])])
    direct, stock = (_exchange(server, sent) for _, server in servers)
    assert direct == stock
    assert re.findall(rb"HTTP/1.1 (\d+)", direct)[:13] == [
        b"200",
        b"200",
        b"422",
        b"200",
        b"200",
        b"200",
        b"200",
        b"422",
        b"404",
        b"200",
        b"405",
        b"200",
        b"200",
    ]
    assert _journal(servers[0][0]) == _journal(servers[1][0])
    assert direct_answers


def test_a_long_streamed_answer_comes_whole_in_the_same_chunks(
    pair: tuple[list[tuple[SGPFake, LiveServer]], str],
) -> None:
    servers, _ = pair
    for fake, _server in servers:  # thousands of events: several coalesced writes
        fake.respond(model="openai/gpt-4o-mini", text="many words " * 3000)
    request = _closing(_request("POST", "/v5/chat/completions", _chat(True) | {"max_tokens": None}))
    direct, stock = (_exchange(server, request) for _, server in servers)
    assert direct == stock
    assert direct.count(b"data: ") > 3000
    assert direct.endswith(b"\r\n0\r\n\r\n")
