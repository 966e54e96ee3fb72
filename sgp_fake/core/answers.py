"""What a handler answers: status, raw headers and body, ready for ASGI; and the error envelope.

Handlers return an :data:`Answer` or raise :class:`~sgp_fake.errors.FakeHTTPError`; the gateway
sends it as it is. The helpers write the headers Starlette's ``Response`` would, in its order,
so answers are byte for byte those of a FastAPI service.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import FakeHTTPError
from .bodies import render_errors

__all__ = ["Answer", "RawHeaders", "error_answer", "json_answer", "json_bytes", "ok"]

RawHeaders = list[tuple[bytes, bytes]]
Answer = tuple[int, RawHeaders, bytes]
"""What an SGP handler answers: status, raw headers and body."""

_CONTENT_TYPE_JSON = (b"content-type", b"application/json")


def json_bytes(content: Any) -> bytes:
    """``content`` serialised as Starlette's JSONResponse does (compact, UTF-8)."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


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


def error_answer(exc: FakeHTTPError) -> Answer:
    """The ``{"detail": ...}`` answer of an error."""
    return json_answer(render_errors(exc.detail), exc.status_code, exc.headers)
