"""Streamed answers' helpers: ``answers.stream`` sends Starlette's headers, ``answers.sse`` events
the SDK's decoder reads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.responses import StreamingResponse

from sgp_fake.core import answers

scale_gp = pytest.importorskip("scale_gp")
from scale_gp._streaming import SSEDecoder  # noqa: E402


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
