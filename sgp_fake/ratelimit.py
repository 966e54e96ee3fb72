"""A per-API-key token bucket, so client retry and back-off logic meets real behaviour."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

__all__ = ["RateLimit", "RateLimitVerdict", "RateLimiter"]


@dataclass(frozen=True)
class RateLimit:
    """``rate`` requests per second on average, bursts of up to ``burst``."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError("rate must be positive")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")


@dataclass(frozen=True)
class RateLimitVerdict:
    """Whether a request may go on, and the headers that tell the client its quota."""

    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    """Token buckets, one per API key; no limit until :meth:`configure` is called."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
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
        limit = self._limit
        if limit is None:
            return None
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - stamp) * limit.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
        headers = {
            "x-ratelimit-limit": str(limit.burst),
            "x-ratelimit-remaining": str(int(tokens)),
            "x-ratelimit-reset": str(math.ceil((limit.burst - tokens) / limit.rate)),
        }
        if not allowed:
            wait = (1.0 - tokens) / limit.rate
            headers["retry-after"] = str(max(1, math.ceil(wait)))
            headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
        return RateLimitVerdict(allowed, headers)
