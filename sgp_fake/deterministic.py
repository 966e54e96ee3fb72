"""Deterministic mode: a seedable clock and id generator, so that responses are reproducible.

A fake built with ``SGPFake(**deterministic(42))`` gives every run of the same test byte-identical
responses: ids come from :func:`~sgp_fake.clock.seeded_ids`, and the fake's one clock (a
:class:`~sgp_fake.clock.FakeClock`) starts at an instant in 2024 chosen by the seed, stands still
instead of following the wall clock, and moves one second on for every record it dates. The same
clock dates records, usage and journal entries and moves statuses (a deployment's readiness), so
``fake.clock.advance()`` and ``fake.clock.set()`` move all of them. The wall clock is never read:
a service that asks for "the last 24 hours" of usage by its own wall clock gets nothing unless
the test sets the fake's clock (``fake.clock.set(datetime.now(UTC))``) or travels there with
time-machine; the usage statistics route warns when it is asked for a range after the fake's now.

:class:`StepClock` is a plain :data:`~sgp_fake.clock.Clock` that steps the same way, for a
table of one's own.

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

from .clock import FakeClock, IdGenerator, seeded_ids

__all__ = ["EPOCH", "Deterministic", "StepClock", "deterministic", "seeded_start"]

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""Where an unseeded :class:`StepClock` starts."""

_SEEDED_SPAN_SECONDS = 366 * 24 * 3600


def seeded_start(seed: int | str) -> datetime:
    """The whole second in the year after :data:`EPOCH` where ``seed``'s clock starts."""
    offset = random.Random(f"sgp-fake-clock:{seed}").randrange(_SEEDED_SPAN_SECONDS)
    return EPOCH + timedelta(seconds=offset)


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
        return cls(seeded_start(seed), step)

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

    clock: FakeClock
    id_generator: IdGenerator


def deterministic(seed: int | str) -> Deterministic:
    """A seeded clock and id generator, as keyword arguments: ``SGPFake(**deterministic(7))``.

    The same seed gives the same ids and timestamps in the same order. The clock becomes the
    fake's one clock (``fake.clock``): it starts at :func:`seeded_start`, stands still and moves
    one second per dated record, plus what ``advance`` and ``set`` add.
    """
    return {
        "clock": FakeClock(start=seeded_start(seed), step=1.0),
        "id_generator": seeded_ids(seed),
    }
