"""Interception of httpx2, the HTTP client of the ``openai`` package: the plain openai client,
built with its own default client and pointed at SGP's gateway, reaches the fake; its streams
stream; the fake's connection faults reach it as a socket's errors would; other hosts are left
alone. The network is guarded: a name to resolve or a non-loopback address fails the test."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, Iterator

import httpcore
import httpx
import pytest

from sgp_fake import DEFAULT_BASE_URL, LiveServer, SGPFake
from sgp_fake.intercept import BASE_URL_ENV, Interceptor, UnhandledRequest
from tests.support.ipv6 import needs_ipv6
from tests.support.network_guard import NetworkGuard

httpx2 = pytest.importorskip("httpx2")
openai = pytest.importorskip("openai")

BASE_URL = "https://api.sgp.scale.com/v5"
CHAT = "/v5/chat/completions"
ACCOUNT = "acct_1"
MODEL = "openai/gpt-4o-mini"
HI = [{"role": "user", "content": "hi"}]
# Loopback, and nothing listens on the discard port: refused at once, no network involved.
CLOSED_PORT = "http://127.0.0.1:9"


def plain(base_url: str = BASE_URL, **kwargs: Any) -> Any:
    """What a team points at SGP: no ``http_client``, so openai's own httpx2 client."""
    return openai.OpenAI(
        api_key="key",
        base_url=base_url,
        default_headers={"x-selected-account-id": ACCOUNT},
        max_retries=0,
        **kwargs,
    )


def async_plain(base_url: str = BASE_URL, **kwargs: Any) -> Any:
    return openai.AsyncOpenAI(
        api_key="key",
        base_url=base_url,
        default_headers={"x-selected-account-id": ACCOUNT},
        max_retries=0,
        **kwargs,
    )


def deltas(chunks: Any) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    guard = NetworkGuard().install(monkeypatch)
    yield guard
    guard.assert_nothing_left()


def test_the_plain_openai_client_reaches_the_fake() -> None:
    fake = SGPFake()
    with Interceptor(fake), plain() as client:
        assert isinstance(client._client, httpx2.Client)  # openai's default, not httpx
        answer = client.chat.completions.create(model=MODEL, messages=HI)
        assert answer.choices[0].message.content
        streamed = deltas(client.chat.completions.create(model=MODEL, messages=HI, stream=True))
    assert streamed == answer.choices[0].message.content
    assert [(e.method, e.path, e.status) for e in fake.journal] == [("POST", CHAT, 200)] * 2
    headers = fake.journal[0].headers
    assert headers["x-selected-account-id"] == ACCOUNT
    assert headers["authorization"] == "Bearer key"
    assert headers["host"] == "api.sgp.scale.com"


def test_the_async_client_reaches_the_fake() -> None:
    fake = SGPFake()

    async def go() -> tuple[str, str]:
        async with async_plain() as client:
            assert isinstance(client._client, httpx2.AsyncClient)
            answer = await client.chat.completions.create(model=MODEL, messages=HI)
            stream = await client.chat.completions.create(model=MODEL, messages=HI, stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            return answer.choices[0].message.content, text

    with Interceptor(fake):
        answered, streamed = asyncio.run(go())
    assert answered
    assert streamed == answered
    assert [(e.path, e.status) for e in fake.journal] == [(CHAT, 200)] * 2


def test_the_sgp_fake_intercept_fixture(sgp_fake_intercept: Interceptor, sgp_fake: SGPFake) -> None:
    with plain() as client:
        assert client.chat.completions.create(model=MODEL, messages=HI).choices
    assert [e.path for e in sgp_fake.journal] == [CHAT]
    assert sgp_fake_intercept.handled == 1


def test_a_streamed_answer_is_read_as_it_is_produced() -> None:
    fake = SGPFake()
    body = {"model": MODEL, "messages": HI, "stream": True}
    headers = {"authorization": "Bearer key", "x-selected-account-id": ACCOUNT}
    url = f"{BASE_URL}/chat/completions"
    with (
        Interceptor(fake),
        httpx2.Client() as client,
        client.stream("POST", url, json=body, headers=headers) as r,
    ):
        assert r.headers["content-type"].startswith("text/event-stream")
        chunks = r.iter_raw()
        assert next(chunks).startswith(b"data: ")
        # The journal keeps an exchange once its answer ends: this one is still going on.
        assert len(fake.journal) == 0
        assert list(chunks)[-1].rstrip().endswith(b"data: [DONE]")
    assert len(fake.journal) == 1


@pytest.mark.parametrize(
    ("cut", "error"), [("reset", "ReadError"), ("close", "RemoteProtocolError")]
)
def test_a_stream_cut_reaches_openai_as_a_connection_error(cut: str, error: str) -> None:
    fake = SGPFake()
    fake.faults.add(path=CHAT, after=2, cut=cut)
    got = []
    with Interceptor(fake), plain() as client:
        stream = client.chat.completions.create(model=MODEL, messages=HI, stream=True)
        with pytest.raises(openai.APIConnectionError) as raised:
            got.extend(stream)
    # httpx2's error, as a real socket gives it, after the chunks sent before the cut.
    assert type(raised.value.__cause__) is getattr(httpx2, error)
    assert isinstance(raised.value.__cause__.__cause__, getattr(httpx, error))
    assert 1 <= len(got) <= 2


def test_a_stream_cut_reaches_the_async_client_too() -> None:
    fake = SGPFake()
    fake.faults.add(path=CHAT, after=2, cut="reset")

    async def go() -> list[Any]:
        got = []
        async with async_plain() as client:
            stream = await client.chat.completions.create(model=MODEL, messages=HI, stream=True)
            with pytest.raises(openai.APIConnectionError) as raised:  # noqa: PT012
                async for chunk in stream:
                    got.append(chunk)
        assert type(raised.value.__cause__) is httpx2.ReadError
        return got

    with Interceptor(fake):
        assert asyncio.run(go())


@pytest.mark.parametrize(
    ("connection", "error"), [("reset", "ReadError"), ("empty", "RemoteProtocolError")]
)
def test_a_connection_fault_raises_httpx2s_error(connection: str, error: str) -> None:
    fake = SGPFake()
    fake.faults.add(path=CHAT, connection=connection, times=None)
    with (
        Interceptor(fake),
        plain() as client,
        pytest.raises(openai.APIConnectionError) as raised,
    ):
        client.chat.completions.create(model=MODEL, messages=HI)
    assert type(raised.value.__cause__) is getattr(httpx2, error)

    async def go() -> None:
        async with async_plain() as client:
            await client.chat.completions.create(model=MODEL, messages=HI)

    with Interceptor(fake), pytest.raises(openai.APIConnectionError) as raised:
        asyncio.run(go())
    assert type(raised.value.__cause__) is getattr(httpx2, error)


def test_the_clients_read_timeout_is_honoured() -> None:
    fake = SGPFake()
    fake.faults.add(path=CHAT, latency=30)
    start = time.monotonic()
    with (
        Interceptor(fake),
        plain(timeout=0.2) as client,
        pytest.raises(openai.APITimeoutError) as raised,
    ):
        client.chat.completions.create(model=MODEL, messages=HI)
    assert time.monotonic() - start < 10  # at the client's deadline, not after the latency
    assert type(raised.value.__cause__) is httpx2.ReadTimeout
    assert fake.journal.last().timed_out


def test_a_base_url_with_a_path_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = SGPFake()
    with Interceptor(fake), plain("https://sgp.corp.example/public/v5") as client:
        monkeypatch.setenv(BASE_URL_ENV, "https://sgp.corp.example/public")
        assert client.chat.completions.create(model=MODEL, messages=HI).choices
    assert [e.path for e in fake.journal] == [CHAT]


def test_a_request_the_fake_cannot_serve_fails_loudly_and_never_leaves() -> None:
    fake = SGPFake()
    with Interceptor(fake) as interceptor:
        with pytest.raises(UnhandledRequest, match="no route"):
            httpx2.post(f"{BASE_URL}/nope", json={}, headers={"authorization": "Bearer key"})
        with plain() as client, pytest.raises(UnhandledRequest):
            client.post("/nope", cast_to=object, body={})
    assert [(r.method, r.url.path) for r in interceptor.unhandled] == [("POST", "/v5/nope")] * 2
    assert len(fake.journal) == 0


def test_other_hosts_go_out_untouched() -> None:
    fake, other = SGPFake(), SGPFake()
    with LiveServer(other.app) as server, Interceptor(fake):
        with plain(f"{server.url}/v5") as client:
            assert client.chat.completions.create(model=MODEL, messages=HI).choices

        async def go() -> None:
            async with async_plain(f"{server.url}/v5") as client:
                assert (await client.chat.completions.create(model=MODEL, messages=HI)).choices
            async with httpx2.AsyncClient() as raw:
                with pytest.raises(httpx2.ConnectError):
                    await raw.get(CLOSED_PORT)

        asyncio.run(go())
        with pytest.raises(httpx2.ConnectError):  # httpx2's own transport tried the port
            httpx2.get(CLOSED_PORT)
    assert [e.path for e in other.journal] == [CHAT, CHAT]
    assert len(fake.journal) == 0


def test_stopping_restores_httpx2() -> None:
    originals = (
        httpx2.HTTPTransport.__dict__["handle_request"],
        httpx2.AsyncHTTPTransport.__dict__["handle_async_request"],
    )
    with Interceptor(SGPFake()):
        assert httpx2.HTTPTransport.__dict__["handle_request"] is not originals[0]
    assert (
        httpx2.HTTPTransport.__dict__["handle_request"],
        httpx2.AsyncHTTPTransport.__dict__["handle_async_request"],
    ) == originals


def test_without_httpx2_only_httpx_is_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx2", None)  # as if it were not installed
    monkeypatch.setitem(sys.modules, "httpx_aiohttp.transport", None)  # and httpx-aiohttp
    patched = {(owner, name) for owner, name, _ in Interceptor.patches()}
    assert patched == {
        (httpx.HTTPTransport, "handle_request"),
        (httpx.AsyncHTTPTransport, "handle_async_request"),
        (httpcore.ConnectionPool, "handle_request"),
        (httpcore.AsyncConnectionPool, "handle_async_request"),
    }
    fake = SGPFake()
    with Interceptor(fake):
        reply = httpx.get(f"{DEFAULT_BASE_URL}/v4/model-templates", headers={"x-api-key": "k"})
    assert reply.status_code == 200
    assert len(fake.journal) == 1


def test_requests_below_an_httpx2_transport_put_back_still_reach_the_fake(
    no_network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As vcrpy does: the transport's original method installed over the interceptor's.
    original = httpx2.HTTPTransport.__dict__["handle_request"]
    original_async = httpx2.AsyncHTTPTransport.__dict__["handle_async_request"]
    fake = SGPFake()
    with Interceptor(fake):
        monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", original)
        monkeypatch.setattr(httpx2.AsyncHTTPTransport, "handle_async_request", original_async)
        with plain() as client:
            answer = client.chat.completions.create(model=MODEL, messages=HI, stream=True)
            assert "".join(c.choices[0].delta.content or "" for c in answer if c.choices)

        async def go() -> str | None:
            async with openai.AsyncOpenAI(
                api_key="key",
                base_url=BASE_URL,
                default_headers={"x-selected-account-id": ACCOUNT},
                max_retries=0,
            ) as client:
                reply = await client.chat.completions.create(model=MODEL, messages=HI)
                return reply.choices[0].message.content

        assert asyncio.run(go())
        fake.faults.add(path=CHAT, latency=5)
        with plain(timeout=0.1) as client, pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model=MODEL, messages=HI)
    assert [entry.path for entry in fake.journal] == [CHAT, CHAT, CHAT]


@needs_ipv6
def test_an_ipv6_host_goes_out_untouched() -> None:
    # httpcore2's pool is patched too: a request that reaches it keeps its host as sent.
    fake, other = SGPFake(), SGPFake()
    with LiveServer(other.app, host="::1") as server, Interceptor(fake):
        with plain(f"{server.url}/v5") as client:
            assert client.chat.completions.create(model=MODEL, messages=HI).choices

        async def go() -> None:
            async with async_plain(f"{server.url}/v5") as client:
                assert (await client.chat.completions.create(model=MODEL, messages=HI)).choices

        asyncio.run(go())
    assert [e.path for e in other.journal] == [CHAT, CHAT]
    assert len(fake.journal) == 0
