"""How a streamed chat answer is cut into body messages: over a socket the events after the
first share messages (the same bytes); in process, or when a fault rule may apply, one each."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sgp_fake import SGPFake
from sgp_fake.core import gateway
from sgp_fake.core.access import AccessPolicy

BODY = json.dumps(
    {"model": "openai/gpt-4o-mini", "stream": True,
     "messages": [{"role": "user", "content": "Tell me about the regions and their latency."}]}
).encode()  # fmt: skip


def _bodies(app: Any) -> list[bytes]:
    """The body messages ``app`` sends for the streamed chat, in order."""
    scope = {
        "type": "http", "method": "POST", "path": "/v5/chat/completions",
        "raw_path": b"/v5/chat/completions", "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                    (b"x-api-key", b"k"), (b"x-selected-account-id", b"acct")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000), "scheme": "http",
    }  # fmt: skip
    sent: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            sent.append(message["body"])

    asyncio.run(app(scope, receive, send))
    return sent


def _events(fake: SGPFake) -> list[bytes]:
    """The events the in-process client gets, one per message."""
    bodies = _bodies(fake.app)
    assert bodies[-1] == b""
    return bodies[:-1]


def test_over_a_socket_the_first_event_goes_alone_then_the_rest_together() -> None:
    fake = SGPFake()
    events = _events(fake)
    assert len(events) > 3
    served = _bodies(fake.app.with_access(AccessPolicy.for_bind("127.0.0.1", None)))
    assert served == [events[0], b"".join(events[1:]), b""]
    # The journal has the same answer either way.
    assert fake.journal.last().response_body == b"".join(events)


def test_a_long_stream_goes_in_messages_of_a_bounded_size(monkeypatch: Any) -> None:
    fake = SGPFake()
    events = _events(fake)
    monkeypatch.setattr(gateway, "COALESCE_BYTES", 2 * len(events[1]))
    served = _bodies(fake.app.with_access(AccessPolicy.for_bind("127.0.0.1", None)))
    assert b"".join(served) == b"".join(events)
    assert served[0] == events[0]
    assert 2 < len(served) - 1 < len(events)
    assert all(len(body) < 3 * len(events[1]) + len(events[-1]) for body in served)


def test_with_a_fault_rule_each_event_goes_alone() -> None:
    fake = SGPFake()
    events = _events(fake)
    fake.faults.add(status=503, path="/v4/nothing-here")  # a rule that never matches this call
    served = _bodies(fake.app.with_access(AccessPolicy.for_bind("127.0.0.1", None)))
    assert served == [*events, b""]
