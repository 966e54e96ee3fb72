"""Streamed answers: a handler returns chunks, and every client reads them as they are produced.

``Ticker`` below is a test-only resource whose one operation streams Server-Sent Events, one per
chunk, each a ``CompletionResponse`` as the official SDK reads it. Its generator records when it
produces each chunk, so a test can tell whether the client saw a chunk before the next one was
made: in process (sync and async httpx, the SDK's SSE decoder), through the Starlette routes and
over a real socket. Fault rules cut such streams after N chunks.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Iterator

import httpx
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Mount

from sgp_fake import LiveServer, SGPFake
from sgp_fake.core import answers
from sgp_fake.core.call import Call
from sgp_fake.core.operations import Operation, Resource
from sgp_fake.resources import REGISTRY
from sgp_fake.transport import FakeTransport, _run_without_loop
from tests.support.bodies import minimal_body

scale_gp = pytest.importorskip("scale_gp")
from scale_gp import Stream  # noqa: E402
from scale_gp._streaming import AsyncStream, SSEDecoder  # noqa: E402
from scale_gp.types.shared import CompletionResponse  # noqa: E402

PATH = "/v4/ticks"
TIMEOUT = 30.0
GATE_TIMEOUT = 10.0  # only a broken server waits for it


class Tick(BaseModel):
    id: str


class Ticker:
    """A streaming operation that records what it produced, and when its stream was closed.

    The request body says how many chunks (``{"count": 3}``). The handler keeps its
    generators, as a handler with state may: closing a stream that ends early is the gateway's
    job, not the garbage collector's. With ``gates``, the generator waits for ``gates[i]``
    before producing chunk ``i`` (over a socket only: in process that would wait on the very
    thread that reads) and records whether it came in time.
    """

    def __init__(self) -> None:
        self.produced: list[int] = []
        self.closed = False
        self.calls = 0
        self.kept: list[Iterator[bytes]] = []
        self.gates: list[threading.Event] = []
        self.waited: list[bool] = []

    def chunk(self, i: int) -> dict[str, Any]:
        return {"completions": [["prompt", [f"tok{i}"]]]}

    def handler(self, call: Call) -> answers.StreamedAnswer:
        self.calls += 1
        count = json.loads(call.raw_body or b"{}").get("count", 3)

        def events() -> Iterator[dict[str, Any]]:
            try:
                for i in range(count):
                    if i and self.gates:
                        self.waited.append(self.gates[i].wait(GATE_TIMEOUT))
                    self.produced.append(i)
                    yield self.chunk(i)
            finally:
                self.closed = True

        chunks = answers.sse(events())
        self.kept.append(chunks)
        return answers.stream(chunks)

    def resource(self) -> Resource:
        return Resource(
            kind="ticks",
            stored=Tick,
            noun="Tick",
            operations=(
                Operation(name="stream_ticks", method="POST", path=PATH, handler=self.handler),
            ),
        )

    def event(self, i: int) -> bytes:
        return b"data: " + json.dumps(self.chunk(i), separators=(",", ":")).encode() + b"\n\n"

    def events(self, count: int) -> list[bytes]:
        return [self.event(i) for i in range(count)]


def read_into(seen: list[bytes], response: httpx.Response) -> None:
    """Read a streamed response chunk by chunk; ``seen`` keeps what came before an error."""
    for chunk in response.iter_raw():
        seen.append(chunk)


async def aread_into(seen: list[bytes], response: httpx.Response) -> None:
    async for chunk in response.aiter_raw():
        seen.append(chunk)


def texts_into(texts: list[str], stream: Stream[CompletionResponse]) -> None:
    """Read the SDK's stream; ``texts`` keeps each chunk's text that came before an error."""
    for chunk in stream:
        texts.append(chunk.completions[0][1][0])


async def atexts_into(texts: list[str], stream: AsyncStream[CompletionResponse]) -> None:
    async for chunk in stream:
        texts.append(chunk.completions[0][1][0])


def asgi_messages(app: Any, body: bytes = b'{"count": 3}') -> list[dict[str, Any]]:
    """Every ASGI message ``app`` sends for ``POST /v4/ticks``, driven without an event loop."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "headers": [(b"x-api-key", b"k")],
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "extensions": {},
        "sgp_fake.sync": True,
        "sgp_fake.body": body,
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    _run_without_loop(app(scope, receive, send))
    return sent


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def fake(ticker: Ticker) -> SGPFake:
    return SGPFake(resources=(*REGISTRY, ticker.resource()), admin=True, coverage=True)


# -- the helpers ---------------------------------------------------------------------------------


def test_stream_sends_the_headers_of_starlettes_streaming_response() -> None:
    for media_type, headers in [
        ("text/event-stream", None),
        ("application/x-ndjson", None),
        ("text/plain; charset=latin-1", {"Cache-Control": "no-cache"}),
        ("text/event-stream", {"content-type": "text/event-stream"}),
    ]:
        status, raw, _ = answers.stream(iter(()), media_type=media_type, headers=headers)
        reference = StreamingResponse(iter(()), media_type=media_type, headers=headers)
        assert (status, raw) == (reference.status_code, reference.raw_headers)


def test_sse_events_are_what_the_sdks_decoder_reads() -> None:
    data: list[Any] = [{"a": [1, "é"]}, "two\nlines", b"raw", {"x": None}]
    wire = b"".join(answers.sse(data)) + answers.sse_event({"detail": "boom"}, "error")
    decoded = list(SSEDecoder().iter_bytes(iter([wire])))
    assert [(e.event, e.data) for e in decoded] == [
        (None, json.dumps(data[0], ensure_ascii=False, separators=(",", ":"))),
        (None, "two\nlines"),
        (None, "raw"),
        (None, '{"x":null}'),
        ("error", '{"detail":"boom"}'),
    ]
    assert wire.endswith(b"\n\n")  # the decoder drops a last event without its blank line
    assert b"[DONE]" not in wire


# -- in process ----------------------------------------------------------------------------------


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


def test_the_journal_records_the_whole_stream_once_it_ended(
    fake: SGPFake, ticker: Ticker
) -> None:
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


# -- through the Starlette routes ---------------------------------------------------------------


def test_the_starlette_routes_stream_as_the_direct_dispatch_does(ticker: Ticker) -> None:
    direct = SGPFake(resources=(*REGISTRY, ticker.resource()))
    routed = SGPFake(resources=(*REGISTRY, ticker.resource()))
    sent = asgi_messages(direct.app)
    assert sent == asgi_messages(routed.app.router)  # the router is given the body in scope
    assert [(m["type"], m.get("more_body")) for m in sent] == [
        ("http.response.start", None),
        *[("http.response.body", True)] * 3,
        ("http.response.body", False),
    ]


def test_a_mounted_fake_streams_chunk_by_chunk(fake: SGPFake, ticker: Ticker) -> None:
    # Below a prefix the gateway leaves the request to its Starlette routes.
    outer = Starlette(routes=[Mount("/sgp", app=fake.app)])
    with httpx.Client(
        transport=FakeTransport(outer),
        base_url="https://api.egp.scale.com/sgp",
        headers={"x-api-key": "k"},
    ) as client:
        rule = fake.faults.add(path=f"/sgp{PATH}", after=2, cut="error")
        with client.stream("POST", PATH, json={"count": 3}) as response:
            seen = []
            for chunk in response.iter_raw():
                seen.append(chunk)
                assert ticker.produced == list(range(min(len(seen), 2)))
    assert seen[:2] == ticker.events(2)
    assert seen[2].startswith(b"event: error\n")
    entry = fake.journal.last()
    assert (entry.operation, entry.rule) == ("stream_ticks", rule.id)


# -- over a socket -------------------------------------------------------------------------------


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


# -- cut by a fault rule -------------------------------------------------------------------------

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
