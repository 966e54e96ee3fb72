"""Streamed answers over a socket: a live server sends each chunk as it is produced."""

from __future__ import annotations

import threading

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from tests.core.streaming.tickers import (
    PATH,
    TIMEOUT,
    Ticker,
)

scale_gp = pytest.importorskip("scale_gp")
from scale_gp import Stream  # noqa: E402
from scale_gp.types.shared import CompletionResponse  # noqa: E402


def test_a_live_server_sends_each_chunk_as_it_is_produced(fake: SGPFake, ticker: Ticker) -> None:
    # Each chunk after the first waits until the client has read the one before it.
    ticker.gates = [threading.Event() for _ in range(3)]
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client,
        client.stream("POST", PATH, json={"count": 3}) as response,
    ):
        assert response.headers["transfer-encoding"] == "chunked"
        seen = []
        for chunk in response.iter_raw():
            seen.append(chunk)
            if len(seen) < 3:
                ticker.gates[len(seen)].set()
    assert seen == ticker.events(3)
    assert ticker.waited == [True, True]
    assert fake.journal.last().response_body == b"".join(seen)


def test_the_sdk_streams_from_a_live_server(fake: SGPFake, ticker: Ticker) -> None:
    with (
        LiveServer(fake.app) as server,
        scale_gp.SGPClient(api_key="k", base_url=server.url, max_retries=0) as client,
    ):
        stream = client.post(
            PATH,
            cast_to=CompletionResponse,
            body={"count": 3},
            stream=True,
            stream_cls=Stream[CompletionResponse],
        )
        assert [chunk.completions[0][1][0] for chunk in stream] == ["tok0", "tok1", "tok2"]
