"""Deterministic mode: a seedable clock and id generator, so that responses are reproducible.

A fake built with ``SGPFake(**deterministic(42))`` gives every run of the same test byte-identical
responses: template ids come from :func:`~sgp_fake.clock.seeded_ids` and ``created_at`` from a
:class:`StepClock` that starts at an instant chosen by the seed and moves one second per template.

>>> from sgp_fake import SGPFake
>>> fake = SGPFake(**deterministic(42))
>>> clock = StepClock(step=timedelta(minutes=5))
>>> clock().isoformat(), clock().isoformat()
('2024-01-01T00:00:00+00:00', '2024-01-01T00:05:00+00:00')
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from .clock import Clock, IdGenerator, seeded_ids

__all__ = ["EPOCH", "Deterministic", "StepClock", "deterministic"]

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""Where an unseeded :class:`StepClock` starts."""

_SEEDED_SPAN_SECONDS = 366 * 24 * 3600


class StepClock:
    """A clock that reads ``start`` first and ``step`` later on each following reading.

    Thread-safe: concurrent readers each get a distinct instant.
    """

    def __init__(self, start: datetime = EPOCH, step: timedelta = timedelta(seconds=1)) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware (e.g. tzinfo=UTC)")
        if step < timedelta(0):
            raise ValueError("step must not be negative")
        self.start = start
        self.step = step
        self._lock = threading.Lock()
        self._next = start

    @classmethod
    def seeded(cls, seed: int | str, step: timedelta = timedelta(seconds=1)) -> StepClock:
        """A clock starting at a whole second in the year after :data:`EPOCH` chosen by ``seed``."""
        offset = random.Random(f"sgp-fake-clock:{seed}").randrange(_SEEDED_SPAN_SECONDS)
        return cls(EPOCH + timedelta(seconds=offset), step)

    def __call__(self) -> datetime:
        with self._lock:
            now = self._next
            self._next = now + self.step
        return now

    def peek(self) -> datetime:
        """The instant the next reading will return, without advancing."""
        with self._lock:
            return self._next

    def __repr__(self) -> str:
        return f"StepClock(start={self.start.isoformat()!r}, step={self.step!r})"


class Deterministic(TypedDict):
    """Keyword arguments of :class:`~sgp_fake.SGPFake` and the store that fix time and ids."""

    clock: Clock
    id_generator: IdGenerator


def deterministic(seed: int | str) -> Deterministic:
    """A seeded clock and id generator, as keyword arguments: ``SGPFake(**deterministic(7))``.

    The same seed gives the same ids and timestamps in the same order.
    """
    return {"clock": StepClock.seeded(seed), "id_generator": seeded_ids(seed)}
