"""Streamed answers in process: sync and async httpx, and the SDK, read each chunk as it is
produced; the journal, early ends, errors and timeouts."""

from __future__ import annotations

import asyncio
import time
from typing import Iterator

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.core import answers
from sgp_fake.core.call import Call
from sgp_fake.resources import REGISTRY
from tests.core.streaming.tickers import (
    PATH,
    Ticker,
    asgi_messages,
)
from tests.support.bodies import minimal_body

scale_gp = pytest.importorskip("scale_gp")
from scale_gp import Stream  # noqa: E402
from scale_gp._streaming import AsyncStream  # noqa: E402
from scale_gp.types.shared import CompletionResponse  # noqa: E402


def test_the_sync_client_reads_each_chunk_before_the_next_is_produced(
    fake: SGPFake, ticker: Ticker
) -> None:
    with fake.client() as client, client.stream("POST", PATH, json={"count": 3}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert "content-length" not in response.headers
        seen = []
        for chunk in response.iter_raw():
            seen.append(chunk)
            assert ticker.produced == list(range(len(seen)))  # not one chunk ahead
    assert seen == ticker.events(3)
    assert ticker.closed


@pytest.mark.asyncio
async def test_the_async_client_reads_each_chunk_before_the_next_is_produced(
    fake: SGPFake, ticker: Ticker
) -> None:
    async with (
        fake.async_client() as client,
        client.stream("POST", PATH, json={"count": 3}) as response,
    ):
        seen = []
        async for chunk in response.aiter_raw():
            seen.append(chunk)
            assert ticker.produced == list(range(len(seen)))
            await asyncio.sleep(0)  # other tasks run meanwhile; the stream waits for us
    assert seen == ticker.events(3)


@pytest.mark.asyncio
async def test_the_async_transport_hands_what_the_app_awaits_to_the_loop(
    fake: SGPFake, ticker: Ticker
) -> None:
    # A latency is an asyncio sleep in the app: the transport passes it on to the loop.
    fake.settings.latency = 0.05
    started = time.monotonic()
    async with fake.async_client() as client:
        answer, templates = await asyncio.gather(
            client.post(PATH, json={"count": 2}), client.get("/v4/model-templates")
        )
    assert answer.content == b"".join(ticker.events(2))
    assert templates.status_code == 200
    assert time.monotonic() - started >= 0.045  # asyncio may wake a clock tick early


def test_a_whole_read_gets_the_joined_body(fake: SGPFake, ticker: Ticker) -> None:
    with fake.client() as client:
        answer = client.post(PATH, json={"count": 4})
    assert answer.content == b"".join(ticker.events(4))
    assert ticker.produced == [0, 1, 2, 3]


def test_the_sdk_decodes_each_event_as_it_arrives(fake: SGPFake, ticker: Ticker) -> None:
    with fake.sdk_client() as client:
        stream = client.post(
            PATH,
            cast_to=CompletionResponse,
            body={"count": 3},
            stream=True,
            stream_cls=Stream[CompletionResponse],
        )
        texts = []
        for chunk in stream:
            texts.append(chunk.completions[0][1][0])
            assert ticker.produced == list(range(len(texts)))
    assert texts == ["tok0", "tok1", "tok2"]


@pytest.mark.asyncio
async def test_the_async_sdk_decodes_each_event_as_it_arrives(
    fake: SGPFake, ticker: Ticker
) -> None:
    async with fake.async_sdk_client() as client:
        stream = await client.post(
            PATH,
            cast_to=CompletionResponse,
            body={"count": 3},
            stream=True,
            stream_cls=AsyncStream[CompletionResponse],
        )
        texts = []
        async for chunk in stream:
            texts.append(chunk.completions[0][1][0])
            assert ticker.produced == list(range(len(texts)))
    assert texts == ["tok0", "tok1", "tok2"]


def test_the_journal_records_the_whole_stream_once_it_ended(fake: SGPFake, ticker: Ticker) -> None:
    with fake.client() as client, client.stream("POST", PATH, json={"count": 3}) as response:
        chunks = response.iter_raw()
        next(chunks)
        assert len(fake.journal) == 0  # still streaming
        time.sleep(0.2)  # the client takes its time: the exchange lasts that long
        rest = list(chunks)
    assert len(rest) == 2
    entry = fake.journal.last()
    assert (entry.status, entry.operation, entry.rule) == (200, "stream_ticks", None)
    assert entry.response_body == b"".join(ticker.events(3))
    assert entry.response_headers["content-type"] == "text/event-stream; charset=utf-8"
    assert entry.duration >= 0.2
    with fake.client() as client:
        report = client.get("/_fake/coverage").json()
    assert report["operations"]["stream_ticks"]["status_codes"] == {"200": 1}


def test_a_client_that_stops_reading_ends_the_stream(fake: SGPFake, ticker: Ticker) -> None:
    with fake.client() as client:
        with client.stream("POST", PATH, json={"count": 5}) as response:
            first = next(response.iter_raw())
        assert ticker.closed  # the generator was closed, not left suspended
        assert ticker.produced == [0]
        entry = fake.journal.last()
        assert (entry.status, entry.response_body) == (200, first)
        assert client.post(PATH, json={"count": 1}).status_code == 200  # the fake goes on


@pytest.mark.asyncio
async def test_an_async_client_that_stops_reading_ends_the_stream(
    fake: SGPFake, ticker: Ticker
) -> None:
    async with (
        fake.async_client() as client,
        client.stream("POST", PATH, json={"count": 5}) as response,
    ):
        async for _ in response.aiter_raw():
            break
    assert ticker.closed
    assert ticker.produced == [0]
    assert fake.journal.last().response_body == ticker.event(0)


def test_an_error_mid_stream_reaches_the_reader_after_the_chunks_before_it(
    fake: SGPFake, ticker: Ticker
) -> None:
    def broken() -> Iterator[bytes]:
        yield b"data: {}\n\n"
        raise RuntimeError("the model fell over")

    ticker.handler = lambda call: answers.stream(broken())  # type: ignore[method-assign]
    fake = SGPFake(resources=(*REGISTRY, ticker.resource()))
    with fake.client() as client, client.stream("POST", PATH) as response:
        chunks = response.iter_raw()
        assert next(chunks) == b"data: {}\n\n"
        with pytest.raises(RuntimeError, match="fell over"):
            next(chunks)
    assert fake.journal.last().response_body == b"data: {}\n\n"


def test_a_timed_out_stream_is_still_answered_whole(fake: SGPFake, ticker: Ticker) -> None:
    fake.faults.add(path=PATH, latency=30)
    with fake.client(timeout=0.1) as client, pytest.raises(httpx.ReadTimeout):
        client.post(PATH, json={"count": 3})
    entry = fake.journal.last()
    assert entry.timed_out
    assert entry.response_body == b"".join(ticker.events(3))
    assert ticker.closed


@pytest.mark.asyncio
async def test_an_async_timed_out_stream_is_still_answered_whole(
    fake: SGPFake, ticker: Ticker
) -> None:
    fake.faults.add(path=PATH, latency=30)
    async with fake.async_client(timeout=0.1) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post(PATH, json={"count": 3})
    entry = fake.journal.last()
    assert entry.timed_out
    assert entry.response_body == b"".join(ticker.events(3))
    assert ticker.closed


def test_empty_chunks_are_neither_sent_nor_counted(fake: SGPFake, ticker: Ticker) -> None:
    def sparse(call: Call) -> answers.StreamedAnswer:
        return answers.stream(iter([b"", b"a", b"", b"", b"b", b"c", b""]))

    ticker.handler = sparse  # type: ignore[method-assign]
    fake = SGPFake(resources=(*REGISTRY, ticker.resource()))
    bodies = [m["body"] for m in asgi_messages(fake.app) if m["type"] == "http.response.body"]
    assert bodies == [b"a", b"b", b"c", b""]
    with fake.client() as client:
        with client.stream("POST", PATH) as response:
            assert list(response.iter_raw()) == [b"a", b"b", b"c"]
        fake.faults.add(path=PATH, after=2, cut="error", body="cut")
        assert client.post(PATH).content == b"ab" + answers.sse_event("cut", "error")


def test_non_streamed_answers_are_unchanged_beside_a_stream(fake: SGPFake) -> None:
    with fake.client() as client:
        created = client.post("/v4/model-templates", json=minimal_body())
        assert created.headers["content-length"] == str(len(created.content))
        with client.stream("GET", f"/v4/model-templates/{created.json()['id']}") as response:
            assert list(response.iter_bytes()) == [created.content]
