"""A per-API-key token bucket, so client retry and back-off logic meets real behaviour."""

from __future__ import annotations

import math
import numbers
import threading
import time
from dataclasses import dataclass
from typing import Callable

__all__ = ["MAX_BURST", "MIN_RATE", "RateLimit", "RateLimitVerdict", "RateLimiter"]

MIN_RATE = 0.001
"""The slowest rate a limit may have: one request per 1000 seconds (about 17 minutes)."""
MAX_BURST = 1_000_000
"""The largest burst a limit may have."""

# Every header a limit computes is a whole number of seconds or milliseconds. With the bounds
# above the largest is x-ratelimit-reset, MAX_BURST / MIN_RATE = 1e9 seconds: every value stays
# below 2**31, the largest delay a client is required to parse (RFC 9111, section 1.2.2). The
# headers are also clamped to it, so that no arithmetic on a header can fail.
_MAX_HEADER = 2**31 - 1


def _real(value: object) -> float | None:
    """``value`` as a float when it is a real number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except OverflowError:  # an int too large for a float
        return math.inf


@dataclass(frozen=True)
class RateLimit:
    """``rate`` requests per second on average, bursts of up to ``burst``.

    ``rate`` must be a finite number from :data:`MIN_RATE` and ``burst`` a whole number from 1
    to :data:`MAX_BURST`; anything else raises ``ValueError``. They are stored as ``float`` and
    ``int``.
    """

    rate: float
    burst: int

    def __post_init__(self) -> None:
        rate = _real(self.rate)
        if rate is None or not (math.isfinite(rate) and rate >= MIN_RATE):
            raise ValueError(
                f"rate must be a finite number of requests per second, at least {MIN_RATE} "
                f"(one request per {1 / MIN_RATE:.0f} seconds); got {self.rate!r}"
            )
        burst = self.burst
        if (
            isinstance(burst, bool)
            or not isinstance(burst, numbers.Integral)
            or not 1 <= burst <= MAX_BURST
        ):
            raise ValueError(
                f"burst must be a whole number of requests from 1 to {MAX_BURST}; got {burst!r}"
            )
        object.__setattr__(self, "rate", rate)
        object.__setattr__(self, "burst", int(burst))


@dataclass(frozen=True)
class RateLimitVerdict:
    """Whether a request may go on, and the headers that tell the client its quota."""

    allowed: bool
    headers: dict[str, str]


def _whole(value: float) -> int:
    """``ceil(value)`` within 0.._MAX_HEADER; infinity and NaN count as the maximum."""
    if value <= 0:
        return 0
    if not value < _MAX_HEADER:
        return _MAX_HEADER
    return math.ceil(value)


def _seconds(tokens: float, rate: float) -> float:
    """How long ``tokens`` take to refill; for ever at a rate that is not positive."""
    return tokens / rate if rate > 0 else math.inf


class RateLimiter:
    """Token buckets, one per API key; no limit until :meth:`configure` is called.

    Buckets refill by ``clock`` (seconds): a fake gives its own clock's ``now``, so
    ``fake.clock.advance(s)`` refills ``s * rate`` tokens at once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        #: What the buckets refill by (seconds, any origin).
        self.clock = clock
        self._lock = threading.Lock()
        self._limit: RateLimit | None = None
        self._buckets: dict[str, tuple[float, float]] = {}

    @property
    def limit(self) -> RateLimit | None:
        """The limit in force, or ``None``."""
        return self._limit

    def configure(self, limit: RateLimit | None) -> None:
        """Set (or with ``None`` remove) the limit; every bucket starts full again."""
        with self._lock:
            self._limit = limit
            self._buckets.clear()

    def check(self, key: str) -> RateLimitVerdict | None:
        """Take a token for ``key``; ``None`` when no limit is configured."""
        if self._limit is None:
            return None
        # The clock is read under the lock: a request that read it earlier but took the lock
        # later would otherwise set the bucket's time back, and the next refill count twice.
        with self._lock:
            limit = self._limit
            if limit is None:
                return None
            now = self.clock()
            tokens, stamp = self._buckets.get(key, (float(limit.burst), now))
            elapsed = now - stamp
            if elapsed > 0.0:  # a clock set back (or NaN) refills nothing and takes nothing
                tokens = min(float(limit.burst), tokens + elapsed * limit.rate)
            if not tokens >= 0.0:
                tokens = 0.0  # an empty bucket, not an error
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
        headers = {
            "x-ratelimit-limit": str(limit.burst),
            "x-ratelimit-remaining": str(int(tokens)),
            "x-ratelimit-reset": str(_whole(_seconds(limit.burst - tokens, limit.rate))),
        }
        if not allowed:
            wait = _seconds(1.0 - tokens, limit.rate)
            headers["retry-after"] = str(max(1, _whole(wait)))
            headers["retry-after-ms"] = str(max(1, _whole(wait * 1000)))
        return RateLimitVerdict(allowed, headers)
