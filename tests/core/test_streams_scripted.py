"""Streams a test shapes: a stall partway through an answer (in process and over a socket), and
scripted answers streamed with exact chunk boundaries (deployments and the gateway)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.core.faults import FaultRule
from tests.core.test_newcomer import complete, deploy


def deltas(body: str) -> list[str]:
    return [
        json.loads(line[6:])["completions"][0][1][0]
        for line in body.splitlines()
        if line.startswith("data: ")
    ]


# -- 6. a stall mid-stream -------------------------------------------------------------------------


def _stream_until_timeout(client: httpx.Client, deployment: dict[str, Any]) -> list[bytes]:
    got: list[bytes] = []
    with (  # noqa: PT012 - the chunks before the timeout matter
        pytest.raises(httpx.ReadTimeout),
        client.stream(
            "POST",
            f"/v4/models/{deployment['id']}/completions",
            json={"prompt": "Hi", "stream": True},
            timeout=httpx.Timeout(5.0, read=0.05),
        ) as response,
    ):
        assert response.status_code == 200
        got.extend(response.iter_raw())
    return got


def test_a_stall_after_some_chunks_times_a_client_out_in_process() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    fake.respond(text="one two three four")
    rule = fake.faults.add(after=2, stall_ms=2_000)
    started = time.monotonic()
    got = _stream_until_timeout(client, deployment)
    assert time.monotonic() - started < 1.5  # the read timeout, not the whole stall
    assert deltas(b"".join(got).decode()) == ["one", " two"]
    assert rule.hits == 1


def test_a_stall_shorter_than_the_timeout_delays_the_rest_of_the_answer() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    fake.respond(text="one two three")
    fake.faults.add(after=0, stall_ms=150)  # a slow first chunk
    started = time.monotonic()
    response = complete(client, deployment, stream=True)
    assert time.monotonic() - started >= 0.15
    assert deltas(response.text) == ["one", " two", " three"]
    assert fake.journal.last().rule is not None


def test_a_stall_then_a_cut() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    fake.respond(text="one two three")
    fake.faults.add(after=1, stall_ms=10, cut="truncate")
    assert deltas(complete(client, deployment, stream=True).text) == ["one"]


def test_a_stall_over_a_socket(sgp_fake: SGPFake, sgp_fake_server: Any) -> None:
    with sgp_fake_server.client() as client:
        deployment = deploy(client)
        sgp_fake.respond(text="one two three four")
        sgp_fake.faults.add(after=2, stall_ms=1_000)
        got = _stream_until_timeout(client, deployment)
    assert deltas(b"".join(got).decode()) == ["one", " two"]


def test_a_client_gone_during_a_stall_over_a_socket_ends_the_stream_there(
    sgp_fake: SGPFake, sgp_fake_server: Any
) -> None:
    # The journal keeps what was sent, at once, and the scripted step is given back, as in
    # process: the rest of the answer is not produced for a connection that is gone.
    with sgp_fake_server.client() as client:
        deployment = deploy(client)
        sgp_fake.respond(texts=["one two three four", "five six"])
        sgp_fake.faults.add(after=2, stall_ms=30_000)
        _stream_until_timeout(client, deployment)
    deadline = time.monotonic() + 10
    while not sgp_fake.journal.calls("create_completion") and time.monotonic() < deadline:
        time.sleep(0.01)
    (streamed,) = sgp_fake.journal.calls("create_completion")
    assert deltas(streamed.response_body.decode()) == ["one", " two"]
    assert [rule["hits"] for rule in sgp_fake.responses.rules()] == [0]
    assert sgp_fake.unused_rules() == []  # it answered all the same
    with sgp_fake_server.client() as client:
        answer = complete(client, deployment).json()
    assert answer["completions"][0][1] == ["one two three four"]  # the same step again


def test_stall_rules_are_checked() -> None:
    with pytest.raises(ValueError, match="after"):
        FaultRule(stall_ms=100)
    with pytest.raises(ValueError, match="stall_ms"):
        FaultRule(after=1, stall_ms=-1)
    with pytest.raises(ValueError, match="no status"):
        FaultRule(after=1, stall_ms=5, status=500)
    fake = SGPFake(admin=True)
    with fake.client() as client:
        assert client.post("/_fake/faults", json={"stall_ms": 100}).status_code == 422
        added = client.post("/_fake/faults", json={"after": 3, "stall_ms": 100})
        assert added.status_code == 201
        assert added.json()["stall_ms"] == 100


# -- 7. exact chunk boundaries -----------------------------------------------------------------


def test_scripted_chunks_are_streamed_as_given() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    fake.respond(chunks=["Hel", "lo w", "orld", "👩", "\u200d💻"])
    streamed = complete(client, deployment, stream=True)
    assert deltas(streamed.text) == ["Hel", "lo w", "orld", "👩", "\u200d💻"]
    whole = complete(client, deployment).json()["completions"][0][1]
    assert whole == ["Hello world👩\u200d💻"]


def test_chunks_exclude_text_and_texts() -> None:
    fake = SGPFake()
    with pytest.raises(ValueError, match="chunks"):
        fake.respond(chunks=["a"], text="a")
    with pytest.raises(ValueError, match="at least 1 item"):
        fake.respond(chunks=[])


def test_scripted_chunks_on_the_gateway() -> None:
    fake = SGPFake()
    fake.respond(chunks=["Bon", "jour", " ", "à", " tous"])
    with fake.client(headers={"x-selected-account-id": "acct_1"}) as http:
        chat = http.post(
            "/v5/chat/completions",
            json={
                "model": "openai/gpt-4o-mini",
                "messages": [{"role": "user", "content": "Hello"}],
                "stream": True,
            },
        )
        pieces = [
            json.loads(line[6:])["choices"][0]["delta"].get("content")
            for line in chat.text.splitlines()
            if line.startswith("data: {") and json.loads(line[6:])["choices"]
        ]
        assert [p for p in pieces if p] == ["Bon", "jour", " ", "à", " tous"]
        text = http.post(
            "/v5/completions",
            json={"model": "openai/gpt-4o-mini", "prompt": "Hi", "stream": True},
        )
        got = [
            json.loads(line[6:])["choices"][0]["text"]
            for line in text.text.splitlines()
            if line.startswith("data: {") and json.loads(line[6:])["choices"]
        ]
        assert got == ["Bon", "jour", " ", "à", " tous"]
