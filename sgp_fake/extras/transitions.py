"""Statuses that move with the fake's clock, and statuses a test forces.

A resource that declares a :class:`~sgp_fake.core.operations.Lifecycle` (model deployments:
``PENDING`` then ``READY``) has its records' status managed here, in the spirit of moto's
managed states: a record written with the initial status gets a due time, ``delay`` seconds of
the fake's :class:`~sgp_fake.clock.FakeClock` later (the delay is read from the settings when
the record is written); the first read at or after that time finds it with the final status,
and that change is written as any other (persisted, journaled as what the read answered). A
read never moves the clock: tests move it with ``fake.clock.advance(seconds)`` (or
``POST /_fake/clock``).

A forced status (``fake.force_status(kind, id, status)``, ``POST /_fake/status``) is written
at once and stays until it is forced again or the resource's API writes another status (a
deployment reconfigured). Due times and forced statuses live in memory: a record loaded
(a state file at start, ``PUT /_fake/state``, a seed file) with the initial status counts its
delay from when it is loaded.
"""

from __future__ import annotations

import json
import threading
import weakref
from typing import TYPE_CHECKING, Any, Mapping

from ..clock import FakeClock
from ..core.table import Event, Record, Table

if TYPE_CHECKING:
    from ..core.operations import Lifecycle, Resource
    from ..settings import FakeSettings

__all__ = ["Transitions"]


class _Settings:
    """Reads the settings of a state each time: they may be replaced at any moment.

    It holds the state weakly: the state holds the transitions, and a fake must be freed as soon
    as it is dropped, without waiting for a garbage collection.
    """

    __slots__ = ("_state",)

    def __init__(self, state: Any) -> None:
        self._state = weakref.ref(state)

    def get(self) -> FakeSettings:
        state = self._state()
        if state is None:
            raise RuntimeError("the fake of these transitions is gone")
        settings: FakeSettings = state.settings
        return settings


class Transitions:
    """The managed statuses of a fake's records (see the module docstring).

    ``state`` is the fake's state (``sgp_fake.state.FakeState``): its resources, tables,
    settings and lock.
    """

    def __init__(self, state: Any, clock: FakeClock) -> None:
        self.clock = clock
        self._settings = _Settings(state)
        self._lock: threading.RLock = state.lock
        self.lifecycles: dict[str, Lifecycle] = {}
        self._tables: dict[str, Table[Any]] = {}
        # (kind, id) -> when the record turns to its final status, in the clock's seconds.
        self._due: dict[tuple[str, str], float] = {}
        # (kind, id) -> the status forced on the record, which holds until changed.
        self._forced: dict[tuple[str, str], str] = {}
        self._forcing = False
        resources: Mapping[str, Resource] = state.resources
        for kind, resource in resources.items():
            if resource.lifecycle is not None:
                self.attach(kind, resource.lifecycle, state.tables[kind])

    def attach(self, kind: str, lifecycle: Lifecycle, table: Table[Any]) -> None:
        """Manage the status of ``table``'s records, as ``lifecycle`` says."""
        if not isinstance(getattr(self._settings.get(), lifecycle.delay, None), (int, float)):
            # Found now, when the fake is built, not as a 500 on the first PENDING write.
            raise ValueError(f"{kind}'s lifecycle delay names no number of FakeSettings")
        self.lifecycles[kind] = lifecycle
        self._tables[kind] = table
        # The table holds these hooks, and these transitions hold the table: the hooks hold
        # the transitions weakly, so that no reference cycle keeps a dropped fake alive.
        transitions = weakref.ref(self)

        def changed(kind: str, event: Event, record: Record) -> None:
            owner = transitions()
            if owner is not None:
                owner._changed(kind, event, record)

        def refresh(record: Record) -> Record:
            owner = transitions()
            return record if owner is None else owner._refresh(kind, record)

        table.add_listener(changed)
        table.set_refresh(refresh)

    # -- what happens --------------------------------------------------------------------------

    def _status(self, kind: str, record: Record) -> Any:
        return json.loads(record.body).get(self.lifecycles[kind].field)

    def _changed(self, kind: str, event: Event, record: Record) -> None:
        # A table listener: called under the lock, after each change of a managed table.
        lifecycle = self.lifecycles.get(kind)
        if lifecycle is None:
            return
        key = (kind, record.id)
        if event == "delete":
            self._due.pop(key, None)
            self._forced.pop(key, None)
            return
        status = self._status(kind, record)
        forced = self._forced.get(key)
        if forced is not None:
            if self._forcing or status == forced:
                return  # the forced status holds
            del self._forced[key]
        if status == lifecycle.initial:
            if key not in self._due:
                delay = float(getattr(self._settings.get(), lifecycle.delay))
                self._due[key] = self.clock.now() + delay
        else:
            self._due.pop(key, None)

    def _refresh(self, kind: str, record: Record) -> Record:
        # A table's refresh hook: called for every record a read returns.
        key = (kind, record.id)
        due = self._due.get(key)
        if due is None or self.clock.now() < due:
            return record
        lifecycle = self.lifecycles[kind]
        with self._lock:
            if self._due.get(key) != due:
                fresh = self._tables[kind].stored(record.id)
                return record if fresh is None else fresh
            # The write removes the due time (see _changed).
            changed = self._tables[kind].patch(record.id, {lifecycle.field: lifecycle.final})
            return record if changed is None else changed

    # -- what tests do -------------------------------------------------------------------------

    def due(self, kind: str, record_id: str) -> float | None:
        """When the record turns to its final status (the clock's seconds), if it is to."""
        return self._due.get((kind, record_id))

    def restart(self, kind: str, record_id: str) -> None:
        """Start the record's lifecycle afresh: its next write with the initial status gets a
        new due time (a reconfigured deployment goes back through ``PENDING``, its whole delay),
        and a forced status no longer holds. Call it under the lock, before that write."""
        self._due.pop((kind, record_id), None)
        self._forced.pop((kind, record_id), None)

    def force(self, kind: str, record_id: str, status: str) -> Record:
        """Write ``status`` on the record, to stay until forced again or changed by the API.

        ``KeyError`` when ``kind`` has no lifecycle or no such record; ``ValueError`` for a
        status the lifecycle does not know.
        """
        lifecycle = self.lifecycles.get(kind)
        if lifecycle is None:
            raise KeyError(f"{kind!r} records have no managed status")
        if status not in lifecycle.statuses:
            raise ValueError(
                f"{status!r} is not a status of {kind} (one of {', '.join(lifecycle.statuses)})"
            )
        key = (kind, record_id)
        with self._lock:
            if record_id not in self._tables[kind]:
                raise KeyError(f"no {kind} record {record_id!r}")
            self._due.pop(key, None)
            self._forced[key] = status
            self._forcing = True
            try:
                changed: Record | None = self._tables[kind].patch(
                    record_id, {lifecycle.field: status}
                )
            finally:
                self._forcing = False
            assert changed is not None  # under the lock, checked above
            return changed
