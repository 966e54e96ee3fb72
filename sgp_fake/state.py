"""Everything one fake serves from: settings, a table per resource, journal, faults, rate limit.

A :class:`FakeState` is assembled from the resource registry (see :mod:`sgp_fake.resources`):
one :class:`~sgp_fake.core.table.Table` per resource, all sharing one lock, one clock and one id
generator. The app, the admin API and persistence read and change the fake only through it.
Its :class:`~sgp_fake.clock.FakeClock` is the time statuses move with (see
:mod:`sgp_fake.extras.transitions`, loaded only for resources that have such statuses).

A table is built the first time it is asked for (:class:`LazyTables`): most tests touch one or
two kinds, and a fresh fake (one per test under the pytest plugin) would otherwise build every
kind's table, indexes and hooks. A table not yet built holds no record, so what is done to every
table (a reset, a new clock, a listener) is done to those built and remembered for the others.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import ItemsView, KeysView, ValuesView
from typing import (
    TYPE_CHECKING,
    Any,
    ContextManager,
    Iterator,
    Mapping,
    Sequence,
    TypeVar,
    overload,
)

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

__all__ = ["FakeState", "LazyTables"]

_T = TypeVar("_T")


class _Kinds:
    """What every fake of the same resources shares: the resources by kind, and the kinds whose
    records have a lifecycle."""

    __slots__ = ("by_kind", "lifecycles")

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.by_kind: Mapping[str, Resource] = {r.kind: r for r in resources}
        self.lifecycles: tuple[Resource, ...] = tuple(
            r for r in resources if r.lifecycle is not None
        )


_KINDS: dict[tuple[Resource, ...], _Kinds] = {}


def _kinds(resources: Sequence[Resource]) -> _Kinds:
    key = tuple(resources)
    kinds = _KINDS.get(key)
    if kinds is None:
        if len(_KINDS) >= 32:
            _KINDS.clear()
        kinds = _KINDS[key] = _Kinds(key)
    return kinds


class LazyTables(dict[str, Table[Any]]):
    """The tables of one fake by kind, each built the first time it is asked for.

    A mapping of every kind the fake serves, in the resources' order: ``tables[kind]``,
    ``get``, ``in``, iteration, ``len``, ``keys``, ``values`` and ``items`` see every kind, and
    build what they return. It is a ``dict`` of the tables built so far, so that reading a
    built table (every request does) costs what a dict's lookup does.
    """

    __slots__ = ("__weakref__", "_clock", "_guard", "_ids", "_kinds", "_listeners", "_state")

    def __init__(
        self,
        kinds: _Kinds,
        state: FakeState,
        guard: Guard,
        clock: Clock,
        id_generator: IdGenerator | None,
    ) -> None:
        super().__init__()
        self._kinds = kinds
        # Weakly: the state holds this mapping, and a dropped fake is freed at once, without
        # waiting for a garbage collection.
        self._state = weakref.ref(state)
        self._guard = guard
        self._clock = clock
        self._ids = id_generator
        self._listeners: list[Listener] = []

    def __missing__(self, kind: str) -> Table[Any]:
        resource = self._kinds.by_kind.get(kind)
        if resource is None:
            raise KeyError(kind)
        with self._guard.lock:
            table = dict.get(self, kind)
            if table is not None:
                return table  # built meanwhile by another thread
            if resource.lifecycle is None:
                built = [self._build(resource)]
            else:
                # The transitions manage every kind with a lifecycle from their start.
                built = [
                    self._build(r)
                    for r in self._kinds.lifecycles
                    if not dict.__contains__(self, r.kind)
                ]
                state = self._state()
                if state is not None:
                    state._start_transitions()
            # The transitions' hooks come first, as when every table was built with the fake.
            for listener in self._listeners:
                for each in built:
                    each.add_listener(listener)
            return dict.__getitem__(self, kind)

    def _build(self, resource: Resource) -> Table[Any]:
        ids = self._ids
        if ids is None:
            # Seeding a generator from the OS is the dearest part of a fresh fake: only a fake
            # that stores something needs one.
            ids = self._ids = random_ids()
        table = resource.new_table(guard=self._guard, clock=self._clock, id_generator=ids)
        dict.__setitem__(self, resource.kind, table)
        return table

    def built(self) -> list[Table[Any]]:
        """The tables built so far (every other one is empty)."""
        return list(dict.values(self))

    @overload
    def get(self, kind: str, default: None = None, /) -> Table[Any] | None: ...
    @overload
    def get(self, kind: str, default: Table[Any], /) -> Table[Any]: ...
    @overload
    def get(self, kind: str, default: _T, /) -> Table[Any] | _T: ...

    def get(self, kind: str, default: Any = None, /) -> Any:
        """The table of ``kind``, built if need be; ``default`` for a kind not served."""
        table = dict.get(self, kind)
        if table is not None:
            return table
        if kind in self._kinds.by_kind:
            return self[kind]
        return default

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds.by_kind

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds.by_kind)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._kinds.by_kind))

    def __len__(self) -> int:
        return len(self._kinds.by_kind)

    def keys(self) -> KeysView[str]:  # type: ignore[override]
        """Every kind served."""
        return KeysView(self)

    def values(self) -> ValuesView[Table[Any]]:  # type: ignore[override]
        """Every kind's table (each built if need be)."""
        return ValuesView(self)

    def items(self) -> ItemsView[str, Table[Any]]:  # type: ignore[override]
        """Every kind with its table (each built if need be)."""
        return ItemsView(self)

    def copy(self) -> dict[str, Table[Any]]:
        """A plain dict of every kind's table."""
        return {kind: self[kind] for kind in self}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self.copy() == dict(other.items())
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.copy()!r})"

    def __reduce__(self) -> Any:
        # A copy (deepcopy, pickle) is a plain dict of the tables: the lazy part belongs to one
        # fake.
        return (dict, (self.copy(),))


class FakeState:
    """The state of one fake (see the module docstring)."""

    __slots__ = (
        "__weakref__",
        "_guard",
        "_transitions",
        "clock",
        "coverage",
        "faults",
        "journal",
        "rate_limiter",
        "resources",
        "settings",
        "tables",
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
        kinds = _kinds(resources)
        self.resources: Mapping[str, Resource] = kinds.by_kind
        # One clock dates the records (created_at, usage) and the journal's entries and moves
        # the statuses: a FakeClock given (deterministic mode's) becomes it. A plain Clock given
        # dates the records only.
        self.clock = clock if isinstance(clock, FakeClock) else FakeClock()
        journal.clock = self.clock.now
        self.faults.clock = self.clock.now
        self.rate_limiter.clock = self.clock.now
        self.tables: LazyTables = LazyTables(
            kinds, self, self._guard, clock or self.clock, id_generator
        )
        self._transitions: Transitions | None = None
        for resource in kinds.lifecycles:
            delay = resource.lifecycle.delay  # type: ignore[union-attr]
            if not isinstance(getattr(settings, delay, None), (int, float)):
                # Found now, when the fake is built, not as a 500 on the first PENDING write.
                raise ValueError(
                    f"{resource.kind}'s lifecycle delay names no number of FakeSettings"
                )

    @property
    def transitions(self) -> Transitions | None:
        """The managed statuses of the kinds that have a lifecycle (``None``: no such kind)."""
        if self._transitions is None:
            lifecycles = self.tables._kinds.lifecycles
            if lifecycles:
                self.tables[lifecycles[0].kind]  # starts them (see _start_transitions)
        return self._transitions

    def _start_transitions(self) -> None:
        # Called under the lock once every kind with a lifecycle has its table.
        if self._transitions is None:
            from .extras.transitions import Transitions

            self._transitions = Transitions(self, self.clock)

    def replace_table(self, table: Table[Any]) -> None:
        """Serve ``table`` as its kind's table from now on (it keeps its own lock and clock)."""
        if table.kind not in self.resources:
            raise KeyError(f"this fake serves no {table.kind!r} records")
        dict.__setitem__(self.tables, table.kind, table)

    def set_clock(self, clock: Clock) -> None:
        """Use ``clock`` for the creation time of new records of every kind; a
        :class:`~sgp_fake.clock.FakeClock` becomes the fake's one clock (journal, statuses)."""
        if isinstance(clock, FakeClock):
            previous, self.clock = self.clock, clock
            self.journal.clock = clock.now
            self.faults.clock = clock.now
            self.rate_limiter.clock = clock.now
            listener = previous.listener
            if listener is not None and clock is not previous:
                # A state file follows the fake's one clock: it now keeps this one's offset.
                previous.listen(None)
                clock.listen(listener)
                listener(clock)
            if self._transitions is not None:
                self._transitions.clock = clock
        with self.lock:
            self.tables._clock = clock
            for table in self.tables.built():
                table.set_clock(clock)

    def set_id_generator(self, id_generator: IdGenerator) -> None:
        """Use ``id_generator`` for the ids of new records of every kind."""
        with self.lock:
            self.tables._ids = id_generator
            for table in self.tables.built():
                table.set_id_generator(id_generator)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(kind, event, record)`` after each change of any table."""
        with self.lock:
            self.tables._listeners.append(listener)
            for table in self.tables.built():
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
            # A table not built yet holds nothing to remove.
            deleted = sum(table.clear(account_id) for table in self.tables.built())
        if account_id is None:
            self.journal.clear()
            self.faults.clear()
            self.rate_limiter.configure(None)
        return deleted
