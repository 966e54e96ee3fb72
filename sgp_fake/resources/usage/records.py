"""Usage statistics: every answered call is a usage record of its deployment, summed on read.

A call counts once it is answered (a streamed one in full, even if a fault cuts it): the
inference routes write a record of the ``usage`` kind (see
:mod:`sgp_fake.resources.inference.handlers`), child of the deployment, with the time (the
fake's ``created_at`` clock), the prompt and response tokens. Records go with their deployment,
and resets, the state document and state files cover them as every other record.

A statistics request cuts the range from ``start_date`` to ``end_date`` (both included; naive
dates are UTC) into ``chunks`` parts of equal length (to the microsecond), each a point dated at
its start with the tokens of the calls in it; the answer's ``start_date`` and ``end_date`` are
the first and last points' dates. ``chunks`` of 0 or less, or an end not after the start,
answers no point and the requested dates.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import json
import logging
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any, Iterable, Sequence

from pydantic_core import to_json

from ...clock import ClockWarning, utc_isoformat
from ...core.answers import json_bytes
from ...core.call import Call
from ...core.compact import Layout
from ...core.table import Record
from ...errors import RequestValidationError
from .schemas import UsageQuery

__all__ = ["KIND", "LAYOUT", "answer", "of_deployment", "of_models"]

KIND = "usage"
DEPLOYMENTS = "deployments"

LAYOUT = Layout(
    (
        ("id", "id"),
        ("account_id", "str"),
        ("created_at", "created_at"),
        ("model_deployment_id", "str"),
        ("model_instance_id", "str"),
        ("operation", "str"),
        ("prompt_tokens", "uint"),
        ("response_tokens", "uint"),
    ),
    quote=to_json,
)
"""A usage record's fields as :class:`~.schemas.UsageRecord` writes them (a test checks the
two agree); the kind's table keeps them in columns
(:class:`~sgp_fake.core.compact.CompactTable`)."""

_LOG = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MICROSECOND


def _date(micros: int) -> str:
    return utc_isoformat(_EPOCH + timedelta(microseconds=micros))


@functools.lru_cache(maxsize=65536)
def _parsed(body: bytes) -> tuple[int, int, int]:
    """A usage record's time (microseconds since the epoch) and tokens."""
    data = json.loads(body)
    at = datetime.fromisoformat(data["created_at"])
    return _micros(at), data["prompt_tokens"], data["response_tokens"]


def of_deployment(call: Call, deployment: Record) -> list[Record]:
    """The usage records of a deployment (none for a made-up one)."""
    if deployment.seq == 0:
        return []
    records: list[Record] = call.table(KIND).children(deployment.id)
    return records


def of_models(call: Call, models: Iterable[Record]) -> list[Record]:
    """The usage records of every deployment of ``models``."""
    deployments = call.table(DEPLOYMENTS)
    usage = call.table(KIND)
    return [
        entry
        for model in models
        for deployment in deployments.children(model.id)
        for entry in usage.children(deployment.id)
    ]


def _bounds(query: UsageQuery) -> tuple[int, int]:
    bounds = []
    for name in ("start_date", "end_date"):
        value: datetime = getattr(query, name)
        micros = _micros(value)
        try:
            _date(micros)
        except OverflowError:  # a date at the edge of the calendar, moved to UTC
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ["query", name],
                        "msg": "Value error, the date is out of range in UTC",
                        "input": value.isoformat(),
                        "ctx": {"error": "the date is out of range in UTC"},
                    }
                ]
            ) from None
        bounds.append(micros)
    return bounds[0], bounds[1]


def _warn_outside(start: int, end: int, outside: list[int]) -> None:
    # Zeros where calls were made are most often a range read by another clock than the fake's
    # (deterministic mode's stands in 2024): say so rather than let a test read them silently.
    message = (
        f"usage statistics from {_date(start)} to {_date(end)} count none of the "
        f"{len(outside)} usage records, dated {_date(min(outside))} to {_date(max(outside))} "
        'by the fake\'s clock: set it (fake.clock.set, POST /_fake/clock {"set": ...}) or '
        "ask for its time range"
    )
    _LOG.warning("%s", message)
    # Raised where a test turns warnings into errors: the answer still goes out (a 500 here,
    # retried by the SDK, would read as a connection error); the log line says it.
    with contextlib.suppress(ClockWarning):
        warnings.warn(message, ClockWarning, stacklevel=2)


def answer(query: UsageQuery, records: Sequence[Record]) -> bytes:
    """The usage statistics of ``records`` over the query's range (see the module
    docstring), as JSON."""
    start, end = _bounds(query)
    chunks = query.chunks
    span = end - start
    if chunks <= 0 or span <= 0:
        return json_bytes({"data": [], "start_date": _date(start), "end_date": _date(end)})
    starts = [start + span * index // chunks for index in range(chunks)]
    prompt = [0] * chunks
    response = [0] * chunks
    outside: list[int] = []
    for entry in records:
        at, prompt_tokens, response_tokens = _parsed(entry.body)
        if start <= at <= end:
            index = bisect.bisect_right(starts, at) - 1
            prompt[index] += prompt_tokens
            response[index] += response_tokens
        else:
            outside.append(at)
    if outside and len(outside) == len(records):
        _warn_outside(start, end, outside)
    data: list[dict[str, Any]] = [
        {
            "date": _date(at),
            "prompt_tokens": p,
            "response_tokens": r,
            "summary_tokens": p + r,
        }
        for at, p, r in zip(starts, prompt, response, strict=True)
    ]
    return json_bytes({"data": data, "start_date": data[0]["date"], "end_date": data[-1]["date"]})
