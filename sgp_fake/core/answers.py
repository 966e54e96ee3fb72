"""What a handler answers: status, raw headers and body, ready for ASGI; and the error envelope.

Handlers return an :data:`Answer` or raise :class:`~sgp_fake.errors.FakeHTTPError`; the gateway
sends it as it is. The helpers write the headers Starlette's ``Response`` would, in its order,
so answers are byte for byte those of a FastAPI service.

A handler may instead return a :data:`StreamedAnswer` (:func:`stream`), whose body is an iterator
of chunks: the gateway sends each chunk as it is produced, as Starlette's ``StreamingResponse``
does, and clients (in process too) read them one by one. :func:`sse` and :func:`sse_event` write
Server-Sent Events as the official SDK's decoder reads them.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring
from typing import Any, Callable, Iterable, Iterator

from ..errors import FakeHTTPError
from .bodies import render_errors

__all__ = [
    "Answer",
    "RawHeaders",
    "ReadyChunks",
    "Reply",
    "StreamedAnswer",
    "error_answer",
    "json_answer",
    "json_bytes",
    "kept_encoder",
    "ok",
    "openai_error",
    "sse",
    "sse_event",
    "stream",
]

RawHeaders = list[tuple[bytes, bytes]]
Answer = tuple[int, RawHeaders, bytes]
"""What an SGP handler answers: status, raw headers and body."""
StreamedAnswer = tuple[int, RawHeaders, Iterator[bytes]]
"""A streamed answer: status, raw headers and the body's chunks, produced as they are sent."""
Reply = Answer | StreamedAnswer
"""What a handler returns: a whole answer, or a streamed one."""

_CONTENT_TYPE_JSON = (b"content-type", b"application/json")
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")  # what ends a line of an event stream


def kept_encoder(encoder: json.JSONEncoder) -> Callable[[Any], str]:
    """``encoder.encode``, the same text, without what it builds per call.

    ``JSONEncoder.encode`` builds a C encoder and a dict of the containers it is in for every
    value it writes: over half the cost of a small one, such as a streamed answer's delta
    (0.41 against 1.07 us). This function builds the C encoder once. What it leaves out is the
    check for a value that contains itself, which JSON parsed from a request, or built by a
    handler, cannot be (one would end in ``RecursionError`` instead of ``ValueError``).
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or encoder.indent is not None:
        return encoder.encode
    strings = json.encoder.encode_basestring_ascii if encoder.ensure_ascii else encode_basestring
    try:
        write = make(
            None,
            encoder.default,
            strings,
            None,
            encoder.key_separator,
            encoder.item_separator,
            encoder.sort_keys,
            encoder.skipkeys,
            encoder.allow_nan,
        )
    except TypeError:  # a Python whose C encoder takes other arguments: as json does
        return encoder.encode
    join = "".join

    def encode(content: Any) -> str:
        if type(content) is str:  # as JSONEncoder.encode: the C encoder takes containers
            return strings(content)
        return join(write(content, 0))

    return encode


_encode = kept_encoder(json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")))
"""``json.dumps`` with these arguments, kept (see :func:`kept_encoder`)."""


def json_bytes(content: Any) -> bytes:
    """``content`` serialised as Starlette's JSONResponse does (compact, UTF-8)."""
    return _encode(content).encode()


def json_answer(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    """An answer with a JSON body already serialised."""
    # The headers Starlette's Response(body, status, headers, media_type="application/json")
    # sends, in its order: the given ones, then content-length and content-type unless given.
    if not headers:
        return status, [(b"content-length", b"%d" % len(body)), _CONTENT_TYPE_JSON], body
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    keys = {key for key, _ in raw}
    if b"content-length" not in keys and not (status < 200 or status in (204, 304)):
        raw.append((b"content-length", b"%d" % len(body)))
    if b"content-type" not in keys:
        raw.append(_CONTENT_TYPE_JSON)
    return status, raw, body


def ok(body: bytes) -> Answer:
    """A 200 answer with this JSON body."""
    return 200, [(b"content-length", b"%d" % len(body)), _CONTENT_TYPE_JSON], body


def error_answer(exc: FakeHTTPError, *, openai_style: bool = False) -> Answer:
    """The ``{"detail": ...}`` answer of an error. ``openai_style`` (an OpenAI-style route): a
    message also comes as OpenAI's error object, ``{"error": {"message", "type", "param",
    "code"}}``, which is where the ``openai`` client reads the text of its exception."""
    detail = exc.detail
    if not openai_style or not isinstance(detail, str):
        return json_answer(render_errors(detail), exc.status_code, exc.headers)
    error = openai_error(detail, exc.status_code)
    text = json.dumps({"detail": detail, "error": error}, ensure_ascii=False, separators=(",", ":"))
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate of the request, echoed: as render_errors
        body = text.encode("utf-8", "backslashreplace")
    return json_answer(body, exc.status_code, exc.headers)


def openai_error(message: str, status: int) -> dict[str, Any]:
    """OpenAI's error object, ``{"message", "type", "param", "code"}``, for a message answered
    with ``status``: the ``type`` OpenAI gives an error of that status."""
    kinds = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
    kind = kinds.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"message": message, "type": kind, "param": None, "code": None}


class ReadyChunks(Iterator[bytes]):
    """A streamed answer's chunks that are produced back to back: computed from an answer
    already decided, never waiting on anything (see :func:`stream`'s ``ready``)."""

    __slots__ = ("_chunks",)

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        """Close the chunks' generator (what a stream that ends early does)."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def stream(
    chunks: Iterable[bytes],
    media_type: str = "text/event-stream",
    status: int = 200,
    headers: dict[str, str] | None = None,
    *,
    ready: bool = False,
) -> StreamedAnswer:
    """A streamed answer: each chunk is sent as it is produced (empty ones are skipped).

    ``chunks`` is read lazily, so a generator produces a chunk only once the client has read
    the one before (in process) or it was written to the socket. An error raised while it runs
    ends the stream where it is, as it would on a server. The headers are those of Starlette's
    ``StreamingResponse``: the given ones, then the content type (``text/...`` types with
    ``; charset=utf-8``) unless given; no ``content-length``, so a server sends it chunked.

    ``ready``: the chunks never wait on anything (an answer already decided, written out).
    Over a socket, with no fault rule or latency to apply, the chunks after the first may
    then share a write; in process each is still its own message.
    """
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if all(key != b"content-type" for key, _ in raw):
        if media_type.startswith("text/") and "charset=" not in media_type.lower():
            media_type += "; charset=utf-8"
        raw.append((b"content-type", media_type.encode("latin-1")))
    return status, raw, ReadyChunks(chunks) if ready else iter(chunks)


def sse_event(data: Any, event: str | None = None) -> bytes:
    """One Server-Sent Event: ``event: <event>`` if given, then ``data: <data>``, then a blank line.

    ``data`` is JSON (compact, as :func:`json_bytes`), or sent as it is when it is ``str`` or
    ``bytes`` (each of its lines a ``data:`` line, which a decoder joins back with newlines). The
    official SDK's decoder parses each event's data as JSON and raises ``APIStatusError`` for an
    ``error`` event; it needs the blank line after the last event too, and knows no ``[DONE]``.
    """
    if isinstance(data, str):
        data = data.encode()
    elif not isinstance(data, bytes):
        # Compact JSON escapes every control character: it is one line.
        lines = b"data: " + json_bytes(data) + b"\n"
        if event is None:
            return lines + b"\n"
        return b"event: " + event.encode() + b"\n" + lines + b"\n"
    lines = b"".join(b"data: " + line + b"\n" for line in _LINE_BREAK.split(data))
    if event is None:
        return lines + b"\n"
    return b"event: " + event.encode() + b"\n" + lines + b"\n"


def sse(events: Iterable[Any]) -> Iterator[bytes]:
    """Each event's data as one Server-Sent Event (:func:`sse_event`), lazily: a chunk each."""
    for data in events:
        yield sse_event(data)
