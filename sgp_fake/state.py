"""Everything one fake serves from: settings, a table per resource, journal, faults, rate limit.

A :class:`FakeState` is assembled from the resource registry (see :mod:`sgp_fake.resources`):
one :class:`~sgp_fake.core.table.Table` per resource, all sharing one lock, one clock and one id
generator. The app, the admin API and persistence read and change the fake only through it.
Its :class:`~sgp_fake.clock.FakeClock` is the time statuses move with (see
:mod:`sgp_fake.extras.transitions`, loaded only for resources that have such statuses).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, ContextManager, Mapping, Sequence

from .clock import Clock, FakeClock, IdGenerator, random_ids
from .core.faults import FaultRules
from .core.journal import Journal
from .core.ratelimit import RateLimiter
from .core.table import Durable, Guard, Listener, Table
from .settings import FakeSettings

if TYPE_CHECKING:
    from .core.operations import Resource
    from .extras.coverage import Coverage
    from .extras.transitions import Transitions

__all__ = ["FakeState"]


class FakeState:
    """The state of one fake (see the module docstring)."""

    __slots__ = (
        "__weakref__",
        "_guard",
        "clock",
        "coverage",
        "faults",
        "journal",
        "rate_limiter",
        "resources",
        "settings",
        "tables",
        "transitions",
    )

    def __init__(
        self,
        settings: FakeSettings,
        resources: Sequence[Resource],
        journal: Journal,
        coverage: Coverage | None = None,
        *,
        clock: Clock | None = None,
        id_generator: IdGenerator | None = None,
    ) -> None:
        self.settings = settings
        self.journal = journal
        self.coverage = coverage
        self.faults = FaultRules()
        self.rate_limiter = RateLimiter()
        self._guard = Guard()
        self.resources: Mapping[str, Resource] = {r.kind: r for r in resources}
        ids = id_generator or random_ids()
        # One clock dates the records (created_at, usage) and the journal's entries and moves
        # the statuses: a FakeClock given (deterministic mode's) becomes it. A plain Clock given
        # dates the records only.
        self.clock = clock if isinstance(clock, FakeClock) else FakeClock()
        journal.clock = self.clock.now
        self.tables: Mapping[str, Table[Any]] = {
            r.kind: r.new_table(
                guard=self._guard,
                clock=clock or self.clock,
                id_generator=ids,
            )
            for r in resources
        }
        self.transitions: Transitions | None = None
        if any(r.lifecycle is not None for r in resources):
            from .extras.transitions import Transitions

            self.transitions = Transitions(self, self.clock)

    def replace_table(self, table: Table[Any]) -> None:
        """Serve ``table`` as its kind's table from now on (it keeps its own lock and clock)."""
        if table.kind not in self.resources:
            raise KeyError(f"this fake serves no {table.kind!r} records")
        tables = dict(self.tables)
        tables[table.kind] = table
        self.tables = tables

    def set_clock(self, clock: Clock) -> None:
        """Use ``clock`` for the creation time of new records of every kind; a
        :class:`~sgp_fake.clock.FakeClock` becomes the fake's one clock (journal, statuses)."""
        if isinstance(clock, FakeClock):
            self.clock = clock
            self.journal.clock = clock.now
            if self.transitions is not None:
                self.transitions.clock = clock
        for table in self.tables.values():
            table.set_clock(clock)

    def set_id_generator(self, id_generator: IdGenerator) -> None:
        """Use ``id_generator`` for the ids of new records of every kind."""
        for table in self.tables.values():
            table.set_id_generator(id_generator)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(kind, event, record)`` after each change of any table."""
        for table in self.tables.values():
            table.add_listener(listener)

    @property
    def lock(self) -> threading.RLock:
        """The lock every change of every table holds."""
        return self._guard.lock

    @property
    def durable(self) -> Durable | None:
        """The persistence layer every change is written through, if any."""
        return self._guard.durable

    @durable.setter
    def durable(self, value: Durable | None) -> None:
        self._guard.durable = value

    def transaction(self) -> ContextManager[None]:
        """Hold the lock over several changes; a durable fake commits them as one."""
        return self._guard.transaction()

    def reset(self, account_id: str | None = None) -> int:
        """Empty every table (or only ``account_id``'s records); return how many records went.

        A whole reset also empties the journal and removes the fault rules and the rate limit.
        """
        with self.transaction():
            deleted = sum(table.clear(account_id) for table in self.tables.values())
        if account_id is None:
            self.journal.clear()
            self.faults.clear()
            self.rate_limiter.configure(None)
        return deleted
