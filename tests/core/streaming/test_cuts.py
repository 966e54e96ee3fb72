"""Streams cut by a fault rule after N chunks: a reset, a close or an SSE error event."""

from __future__ import annotations

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from tests.core.streaming.tickers import (
    PATH,
    TIMEOUT,
    Ticker,
    aread_into,
    atexts_into,
    read_into,
    texts_into,
)
from tests.support.bodies import minimal_body

scale_gp = pytest.importorskip("scale_gp")
from scale_gp import Stream  # noqa: E402
from scale_gp._streaming import AsyncStream  # noqa: E402
from scale_gp.types.shared import CompletionResponse  # noqa: E402

BREAKS = [("reset", httpx.ReadError), ("close", httpx.RemoteProtocolError)]


@pytest.mark.parametrize(("cut", "error"), BREAKS)
def test_a_cut_breaks_the_connection_after_n_chunks(
    fake: SGPFake, ticker: Ticker, cut: str, error: type[Exception]
) -> None:
    rule = fake.faults.add(path=PATH, after=2, cut=cut)
    seen: list[bytes] = []
    with fake.client() as client, client.stream("POST", PATH, json={"count": 5}) as response:
        assert response.status_code == 200
        with pytest.raises(error):
            read_into(seen, response)
    assert seen == ticker.events(2)
    assert ticker.produced == [0, 1]  # nothing was made past the cut
    assert ticker.closed
    entry = fake.journal.last()
    assert (entry.status, entry.fault, entry.rule) == (200, rule.id, rule.id)
    assert entry.response_body == b"".join(seen)
    assert (rule.hits, rule.spent) == (1, True)
    with fake.client() as client:  # times=1: the next stream is whole
        assert client.post(PATH, json={"count": 5}).content == b"".join(ticker.events(5))


@pytest.mark.asyncio
@pytest.mark.parametrize(("cut", "error"), BREAKS)
async def test_a_cut_breaks_an_async_clients_connection_too(
    fake: SGPFake, ticker: Ticker, cut: str, error: type[Exception]
) -> None:
    fake.faults.add(path=PATH, after=1, cut=cut)
    seen: list[bytes] = []
    async with fake.async_client() as client, client.stream("POST", PATH) as response:
        with pytest.raises(error):
            await aread_into(seen, response)
    assert seen == ticker.events(1)
    assert ticker.produced == [0]


@pytest.mark.parametrize(("cut", "error"), BREAKS)
def test_a_cut_after_no_chunk_comes_after_the_status(
    fake: SGPFake, ticker: Ticker, cut: str, error: type[Exception]
) -> None:
    fake.faults.add(path=PATH, after=0, cut=cut, times=2)
    with fake.client() as client:
        with client.stream("POST", PATH) as response:
            assert response.status_code == 200
            with pytest.raises(error):
                response.read()
        with pytest.raises(error):
            client.post(PATH)
    assert ticker.produced == []
    assert [e.status for e in fake.journal] == [200, 200]


def test_a_shorter_stream_is_cut_at_its_end(fake: SGPFake, ticker: Ticker) -> None:
    fake.faults.add(path=PATH, after=10, cut="reset")
    seen: list[bytes] = []
    with (
        fake.client() as client,
        client.stream("POST", PATH, json={"count": 2}) as response,
        pytest.raises(httpx.ReadError),
    ):
        read_into(seen, response)
    assert seen == ticker.events(2)


def test_an_error_cut_sends_an_sse_error_event_the_sdk_raises(
    fake: SGPFake, ticker: Ticker
) -> None:
    rule = fake.faults.add(path=PATH, after=2, cut="error", body={"detail": "overloaded"})
    with fake.sdk_client(max_retries=0) as client:
        stream = client.post(
            PATH,
            cast_to=CompletionResponse,
            body={"count": 5},
            stream=True,
            stream_cls=Stream[CompletionResponse],
        )
        texts: list[str] = []
        with pytest.raises(scale_gp.APIStatusError) as raised:
            texts_into(texts, stream)
    assert texts == ["tok0", "tok1"]
    assert raised.value.status_code == 200
    assert raised.value.body == {"detail": "overloaded"}
    assert ticker.produced == [0, 1]
    entry = fake.journal.last()
    assert entry.rule == rule.id
    assert entry.response_body == b"".join(
        [*ticker.events(2), b'event: error\ndata: {"detail":"overloaded"}\n\n']
    )


@pytest.mark.asyncio
async def test_the_async_sdk_raises_an_error_cut_too(fake: SGPFake, ticker: Ticker) -> None:
    rule = fake.faults.add(path=PATH, after=1, cut="error")
    async with fake.async_sdk_client(max_retries=0) as client:
        stream = await client.post(
            PATH,
            cast_to=CompletionResponse,
            body={},
            stream=True,
            stream_cls=AsyncStream[CompletionResponse],
        )
        texts: list[str] = []
        with pytest.raises(scale_gp.APIStatusError) as raised:
            await atexts_into(texts, stream)
    assert texts == ["tok0"]
    assert raised.value.body == {"detail": f"Fault injected by sgp-fake ({rule.id})"}


def test_a_cut_rule_waits_for_an_answer_that_streams(fake: SGPFake, ticker: Ticker) -> None:
    rule = fake.faults.add(after=1, cut="close")  # any method, any path
    with fake.client() as client:
        assert client.get("/v4/model-templates").status_code == 200
        assert client.post("/v4/model-templates", json=minimal_body()).status_code == 200
        assert rule.hits == 0
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(PATH)
    assert rule.hits == 1
    assert [e.rule for e in fake.journal] == [None, None, rule.id]


def test_a_request_meets_one_rule_at_most(fake: SGPFake, ticker: Ticker) -> None:
    slow = fake.faults.add(path=PATH, latency=0.01)
    cut = fake.faults.add(path=PATH, after=1, cut="reset")
    with fake.client() as client:
        assert client.post(PATH).content == b"".join(ticker.events(3))  # slowed, not cut
        with pytest.raises(httpx.ReadError):
            client.post(PATH)
    assert [e.rule for e in fake.journal] == [slow.id, cut.id]


def test_a_status_fault_on_a_stream_answers_before_the_first_byte(
    fake: SGPFake, ticker: Ticker
) -> None:
    rule = fake.faults.add(path=PATH, status=503, body={"detail": "busy"}, retry_after_ms=1)
    with fake.sdk_client(max_retries=0) as client, pytest.raises(scale_gp.APIStatusError) as raised:
        client.post(
            PATH,
            cast_to=CompletionResponse,
            body={},
            stream=True,
            stream_cls=Stream[CompletionResponse],
        )
    assert raised.value.status_code == 503
    assert raised.value.body == {"detail": "busy"}
    assert ticker.calls == 0  # never handled
    entry = fake.journal.last()
    assert (entry.status, entry.rule, entry.response_headers["content-type"]) == (
        503,
        rule.id,
        "application/json",
    )


def test_a_cut_rule_with_a_latency_waits_before_the_stream(fake: SGPFake, ticker: Ticker) -> None:
    fake.faults.add(path=PATH, after=1, cut="error", latency=30)
    with fake.client(timeout=0.1) as client, pytest.raises(httpx.ReadTimeout):
        client.post(PATH)
    assert fake.journal.last().timed_out


@pytest.mark.parametrize(("cut", "error"), BREAKS)
def test_a_cut_set_over_the_admin_api_breaks_a_live_stream(
    fake: SGPFake, ticker: Ticker, cut: str, error: type[Exception]
) -> None:
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client,
    ):
        rule = client.post("/_fake/faults", json={"path": PATH, "after": 2, "cut": cut}).json()
        assert (rule["after"], rule["cut"]) == (2, cut)
        seen: list[bytes] = []
        with client.stream("POST", PATH, json={"count": 5}) as response:
            assert response.status_code == 200
            with pytest.raises(error):
                read_into(seen, response)
        # Over a socket chunks may merge on the way: the bytes are what counts.
        assert b"".join(seen) == b"".join(ticker.events(2))
        # the server lives on, and a new connection is served normally
        assert client.post(PATH, json={"count": 1}).content == ticker.event(0)
        requests = client.get("/_fake/requests").json()["requests"]
    assert [(r["status"], r["rule"]) for r in requests] == [(200, rule["id"]), (200, None)]
    assert ticker.produced == [0, 1, 0]  # the cut stream made nothing past its cut


def test_the_sdk_raises_an_error_cut_from_a_live_server(fake: SGPFake, ticker: Ticker) -> None:
    fake.faults.add(path=PATH, after=1, cut="error", body="plain words")
    with (
        LiveServer(fake.app) as server,
        scale_gp.SGPClient(api_key="k", base_url=server.url, max_retries=0) as client,
    ):
        stream = client.post(
            PATH,
            cast_to=CompletionResponse,
            body={},
            stream=True,
            stream_cls=Stream[CompletionResponse],
        )
        texts: list[str] = []
        with pytest.raises(scale_gp.APIStatusError) as raised:
            texts_into(texts, stream)
    assert texts == ["tok0"]
    assert raised.value.body == "plain words"


def test_cut_rules_are_validated() -> None:
    fake = SGPFake()
    for bad in [
        {"after": 1},
        {"cut": "reset"},
        {"after": -1, "cut": "reset"},
        {"after": 1, "cut": "hangup"},
        {"after": 1, "cut": "reset", "status": 503},
        {"after": 1, "cut": "reset", "connection": "reset"},
    ]:
        with pytest.raises(ValueError, match=r"cut|after"):
            fake.faults.add(**bad)
    assert fake.faults.list() == []
