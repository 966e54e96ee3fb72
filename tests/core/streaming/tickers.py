"""``Ticker``, a test-only resource whose one operation streams Server-Sent Events, one per chunk,
each a ``CompletionResponse`` as the official SDK reads it; and readers that keep what came
before an error. Its generator records when it produces each chunk, so a test can tell whether
the client saw a chunk before the next one was made.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any, Iterator

import httpx
from pydantic import BaseModel

from sgp_fake.core import answers
from sgp_fake.core.call import Call
from sgp_fake.core.operations import Operation, Resource
from sgp_fake.transport import _run_without_loop

if TYPE_CHECKING:
    from scale_gp import Stream
    from scale_gp._streaming import AsyncStream
    from scale_gp.types.shared import CompletionResponse


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
