"""Time and ids of new records: the clock, the id generators and how ``created_at`` is written.

Every table of a fake takes its ``created_at`` from one :data:`Clock` and its ids from one
:data:`IdGenerator`; :mod:`sgp_fake.deterministic` swaps both for seeded ones. What changes with
time (a deployment turning ``READY``) follows the fake's :class:`FakeClock`, which tests move
forward at will.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Callable

from pydantic_core import to_json

__all__ = [
    "MAX_ADVANCE",
    "Clock",
    "ClockWarning",
    "FakeClock",
    "IdGenerator",
    "created_at_json",
    "now_json",
    "random_ids",
    "seeded_ids",
    "utc_isoformat",
    "utc_now",
]

Clock = Callable[[], datetime]
"""Returns the creation time of the next record (timezone-aware)."""
IdGenerator = Callable[[], str]
"""Returns the id of the next record."""


def utc_now() -> datetime:
    """The default clock: the current time in UTC."""
    return datetime.now(UTC)


def utc_isoformat(value: datetime) -> str:
    """``value`` as the contract writes ``created_at``: UTC, explicit offset; naive is UTC."""
    if value.tzinfo is UTC:
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


_SECOND: tuple[int, bytes] = (-1, b"")


def now_json() -> bytes:
    """``to_json(utc_isoformat(utc_now()))``, from the clock without building a datetime.

    The part up to the seconds changes once a second, so it is formatted once a second.
    """
    global _SECOND  # noqa: PLW0603 - a one-entry cache, replaced whole (no lock needed)
    micros = time.time_ns() // 1000
    second, fraction = divmod(micros, 1_000_000)
    cached_second, prefix = _SECOND
    if second != cached_second:
        prefix = datetime.fromtimestamp(second, UTC).strftime('"%Y-%m-%dT%H:%M:%S').encode()
        _SECOND = (second, prefix)
    if fraction:
        return b'%s.%06d+00:00"' % (prefix, fraction)
    return prefix + b'+00:00"'  # as isoformat() writes a whole second


def created_at_json(clock: Clock) -> bytes:
    """The JSON string of the clock's next reading, as a response model serialises it."""
    if clock is utc_now or (isinstance(clock, FakeClock) and clock.is_wall_clock):
        return now_json()
    return to_json(utc_isoformat(clock()))


def random_ids() -> IdGenerator:
    """The default id generator: random UUID4 strings."""

    # A generator seeded from the OS: ids need to be unpredictable across runs, not secret, and
    # a system call per id (os.urandom) cost several microseconds per create in a busy process.
    bits = random.Random(os.urandom(32)).getrandbits

    def next_id() -> str:
        # What str(uuid.uuid4()) gives (version 4, RFC 4122 variant), in a third of its time.
        h = f"{bits(128):032x}"
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"

    def packed() -> tuple[str, bytes]:
        # The next id with its 16 bytes, for a table that keeps ids packed (it need not parse
        # the string back): the same bits set as next_id sets.
        raw = (bits(128) & _UUID4_KEEP | _UUID4_SET).to_bytes(16, "big")
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", raw

    next_id.packed = packed  # type: ignore[attr-defined]
    return next_id


_UUID4_KEEP = ~((0xF << 76) | (0xC << 60)) & (2**128 - 1)
_UUID4_SET = (0x4 << 76) | (0x8 << 60)
"""Version 4 in the 13th hex digit, the RFC 4122 variant (binary 10) in the 17th."""


def packed_ids(ids: IdGenerator) -> Callable[[], tuple[str, bytes]] | None:
    """``ids``' own way to give each next id with its 16 bytes (:func:`random_ids` has one),
    or ``None``."""
    return getattr(ids, "packed", None)


def seeded_ids(seed: int | str) -> IdGenerator:
    """UUID4-shaped ids from a seeded generator: the same seed gives the same sequence."""
    rng = random.Random(seed)

    def next_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    return next_id


class ClockWarning(UserWarning):
    """A request read a time range where the fake's clock dated nothing it holds: most often a
    service asking for "the last 24 hours" by the wall clock of a fake whose clock is elsewhere
    (deterministic mode's stands in 2024). Set the clock (``fake.clock.set``) or travel there
    (time-machine, freezegun)."""


MAX_ADVANCE = 10.0**9
"""The most one :meth:`FakeClock.advance` moves the clock: about 31 years."""

EARLIEST = 0.0
"""The earliest instant the clock may be set to: 1970-01-01 UTC, in Unix seconds."""
LATEST = 221845392000.0
"""The latest instant the clock may be set or moved to: 9000-01-01 UTC, in Unix seconds.
Records are dated from the clock, and dates near the calendar's end overflow."""


class FakeClock:
    """The one time of a fake: records are dated by it and statuses move with it.

    By default it is the wall clock plus what tests added. :meth:`now` reads it (seconds since
    the epoch) and never moves it; :meth:`advance` moves it forward and :meth:`set` puts it at
    any instant, so a test reaches the future at once instead of waiting for it. Thread-safe.

    With ``start`` it stands still at that instant instead of following the wall clock, and with
    ``step`` every record it dates (each call of the clock) moves it that many seconds on:
    deterministic mode's clock (see :mod:`sgp_fake.deterministic`).

    >>> clock = FakeClock(source=lambda: 100.0)
    >>> clock.advance(60)
    160.0
    >>> clock.now(), clock.offset
    (160.0, 60.0)
    >>> stepping = FakeClock(start=datetime(2024, 1, 1, tzinfo=UTC), step=1)
    >>> stepping().isoformat(), stepping().isoformat(), stepping.now()
    ('2024-01-01T00:00:00+00:00', '2024-01-01T00:00:01+00:00', 1704067202.0)
    """

    __slots__ = ("_listener", "_lock", "_offset", "_source", "_step")

    def __init__(
        self,
        source: Callable[[], float] | None = None,
        *,
        start: datetime | None = None,
        step: float = 0.0,
    ) -> None:
        if start is not None:
            if source is not None:
                raise ValueError("give source or start, not both")
            if start.tzinfo is None:
                raise ValueError("start must be timezone-aware (e.g. tzinfo=UTC)")
            fixed = start.timestamp()
            source = lambda: fixed  # noqa: E731 - a clock that stands still at start
        if not (isinstance(step, (int, float)) and math.isfinite(step) and step >= 0):
            raise ValueError("step must be a finite number of seconds, not negative")
        # None: time.time looked up at each reading, so freezegun and time-machine, which
        # replace it while a test runs, move this clock too.
        self._source = source
        self._offset = 0.0
        self._step = float(step)
        self._lock = threading.Lock()
        self._listener: Callable[[FakeClock], None] | None = None

    def now(self) -> float:
        """The fake's time, in seconds since the epoch."""
        source = self._source
        return (time.time() if source is None else source()) + self._offset

    def __call__(self) -> datetime:
        """The fake's time as a UTC datetime: a :data:`Clock`, so records are dated by it.

        A stepping clock moves ``step`` seconds after each such reading; concurrent readers
        each get a distinct instant."""
        if not self._step:
            return datetime.fromtimestamp(self.now(), UTC)
        with self._lock:
            now = self.now()
            self._offset += self._step
        return datetime.fromtimestamp(now, UTC)

    @property
    def step(self) -> float:
        """Seconds each dated record moves the clock on (0: it moves only with time)."""
        return self._step

    @property
    def is_wall_clock(self) -> bool:
        """Whether the clock reads the system's time unmoved (its readings can be cached)."""
        return self._source is None and not self._offset and not self._step

    def set(self, when: datetime | float) -> float:
        """Make the clock read ``when`` (an aware datetime, or seconds since the epoch) now,
        and go on from there; return :meth:`now`. Unlike :meth:`advance` it may go back."""
        if isinstance(when, datetime):
            if when.tzinfo is None:
                raise ValueError("when must be timezone-aware (e.g. tzinfo=UTC)")
            target = when.timestamp()
        elif isinstance(when, (int, float)) and math.isfinite(when):
            target = float(when)
        else:
            raise ValueError("when must be a datetime or a finite number of seconds")
        if not EARLIEST <= target <= LATEST:
            raise ValueError("when must be from 1970-01-01 to 9000-01-01 (UTC)")
        with self._lock:
            source = self._source
            self._offset = target - (time.time() if source is None else source())
        self._moved()
        return self.now()

    @property
    def offset(self) -> float:
        """How many seconds the clock was moved in all (:meth:`advance`, :meth:`set`, steps)."""
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward (0 to :data:`MAX_ADVANCE`); return :meth:`now`."""
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds)):
            raise ValueError("seconds must be a finite number")
        if not 0 <= seconds <= MAX_ADVANCE:
            raise ValueError(f"seconds must be from 0 to {MAX_ADVANCE:.0f}")
        with self._lock:
            if self.now() + seconds > LATEST:
                raise ValueError("the clock may not move past 9000-01-01 (UTC)")
            self._offset += float(seconds)
        self._moved()
        return self.now()

    def restore(self, offset: float) -> None:
        """Move the clock to read its source plus ``offset`` seconds, as a saved :attr:`offset`
        had it (a state file's, when a fake starts on it); tells no listener."""
        if not (isinstance(offset, (int, float)) and math.isfinite(offset)):
            raise ValueError("offset must be a finite number of seconds")
        with self._lock:
            self._offset = float(offset)

    def listen(self, listener: Callable[[FakeClock], None] | None) -> None:
        """Call ``listener(clock)`` after each :meth:`advance` and :meth:`set` (outside the
        clock's lock), or, with ``None``, stop. One listener at a time: a state file's, which
        writes the new offset before the move is answered."""
        self._listener = listener

    @property
    def listener(self) -> Callable[[FakeClock], None] | None:
        """What :meth:`listen` set."""
        return self._listener

    def _moved(self) -> None:
        listener = self._listener
        if listener is not None:
            listener(self)

    def __repr__(self) -> str:
        return f"FakeClock(offset={self._offset!r}, step={self._step!r})"
