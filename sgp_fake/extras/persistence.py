"""Durable state: every change of every table written to an SQLite file before it is answered.

:class:`Persistence` attaches to a fake's state (see :class:`sgp_fake.state.FakeState`) through
the tables' change hook and writes each change to an SQLite database in WAL mode with
``synchronous=FULL``, committing before the change returns, so before the fake answers: a
process killed at any moment loses no acknowledged change, and SQLite's journal guarantees the
file is always loadable. Changes of several records (a reset, a replaced state, a model deleted
with its deployments) are committed as one transaction. Reads are served from memory. The fake's
clock is kept too: its offset (what ``advance`` and ``set`` moved it by, and a stepping clock's
steps) is written before a move returns, and put back when the file is opened, so the clock
never goes back across a restart.

The file holds ``records(kind, id, account_id, body)``, a row per record with its exact JSON, in
creation order (nothing here knows a resource), and ``meta(name, value)``, the clock's offset
as ``clock`` ``{"offset": seconds}``. It is tagged with an application
id, so a file of another program, or no database at all, is refused with :class:`StateFileError`
instead of being overwritten; the connection holds an exclusive lock, so two fakes never share
one file. Files of earlier layouts (1: one ``model_templates`` table; 2: ``records`` alone) are
migrated in place, in one transaction, when opened.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Protocol

import pydantic

from ..clock import EARLIEST, LATEST, FakeClock
from ..core.table import Event, Listener, Record, Table

if TYPE_CHECKING:
    from ..core.operations import Resource

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "Persistence", "StateFileError"]


class _State(Protocol):
    """What persistence needs of a fake's state (``sgp_fake.state.FakeState``)."""

    @property
    def tables(self) -> Mapping[str, Table[Any]]: ...
    @property
    def lock(self) -> threading.RLock: ...
    @property
    def clock(self) -> FakeClock: ...
    @property
    def resources(self) -> Mapping[str, Resource]: ...

    durable: Any

    def add_listener(self, listener: Listener) -> None: ...


APPLICATION_ID = 0x53475046
"""``PRAGMA application_id`` of an sgp-fake state file ("SGPF")."""
SCHEMA_VERSION = 3
"""``PRAGMA user_version`` of the layout this module writes."""

_SCHEMA = """
CREATE TABLE records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (kind, id)
)
"""
_META_SCHEMA = "CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)"
_SAVE_CLOCK = "INSERT OR REPLACE INTO meta (name, value) VALUES ('clock', ?)"
_SELECT = "SELECT kind, id, body FROM records ORDER BY rowid"
_SELECT_V1 = "SELECT 'model_templates', id, body FROM model_templates ORDER BY rowid"
_MIGRATE = {
    1: (
        _SCHEMA,
        "INSERT INTO records (kind, id, account_id, body) "
        "SELECT 'model_templates', id, account_id, body FROM model_templates ORDER BY rowid",
        "DROP TABLE model_templates",
        _META_SCHEMA,
        f"PRAGMA user_version={SCHEMA_VERSION}",
    ),
    2: (_META_SCHEMA, f"PRAGMA user_version={SCHEMA_VERSION}"),
}
"""What brings a file of each earlier layout to this one."""


class StateFileError(Exception):
    """The state file cannot be used; the message is one line naming the file and why."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class Persistence:
    """The SQLite file ``path`` (created when missing) behind ``state``.

    Puts the state's clock where the file left it and loads the records the file holds into
    the state's (empty) tables, then writes every change, and every move of the clock.
    ``created`` tells whether the file was new (or empty): a seed is loaded only then, so a
    restart never brings back what was deleted. Call :meth:`close` when done.
    """

    def __init__(self, path: str | os.PathLike[str], state: _State) -> None:
        self.path = os.fspath(path)
        self._lock = state.lock
        self._batching = False
        self._clock = state.clock
        self._closed = False
        self._db, self.created, version = _open(self.path)
        try:
            # The clock first: a PENDING record loaded counts its delay from the clock's now.
            self._saved_offset = self._load_clock(version)
            # An earlier layout is loaded as it is, and migrated only once every row loaded:
            # a file that is refused is left untouched (an older sgp-fake still reads it).
            loaded = self._load(state.tables, _SELECT_V1 if version == 1 else _SELECT)
            self._check_references(state, loaded)
            if version != SCHEMA_VERSION:
                _migrate(self._db, version)
            with self._lock:
                # A clock already moved when the file is new (or older than the clock's row).
                self._save_clock()
                self._db.commit()
        except BaseException:
            self._db.close()
            raise
        state.add_listener(self._persist)
        state.durable = self
        self._clock.listen(self._clock_moved)

    def _load_clock(self, version: int) -> float:
        """Put the clock at the offset the file saved (none saved: unmoved); return it."""
        if version < 3:
            return 0.0
        try:
            row = self._db.execute("SELECT value FROM meta WHERE name = 'clock'").fetchone()
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from None
        if row is None:
            return 0.0
        try:
            offset = json.loads(row[0])["offset"]
            valid = isinstance(offset, (int, float)) and math.isfinite(offset)
        except (ValueError, TypeError, KeyError):
            valid = False
        if valid:
            self._clock.restore(offset)
            valid = EARLIEST <= self._clock.now() <= LATEST
        if not valid:
            self._clock.restore(0.0)
            raise StateFileError(f"state file {self.path} holds an invalid clock: {row[0]!r:.100}")
        return float(offset)

    def _save_clock(self) -> None:
        # Under the state's lock; committed by the caller (with the change that moved it).
        offset = self._clock.offset
        if offset != self._saved_offset:
            self._db.execute(_SAVE_CLOCK, (json.dumps({"offset": offset}),))
            self._saved_offset = offset

    def _clock_moved(self, clock: FakeClock) -> None:
        # The clock's listener: after an advance or a set (or the fake's clock replaced), the
        # new offset is committed before the move returns, so before it is answered.
        with self._lock:
            self._clock = clock
            self._save_clock()
            if not self._batching:
                self._db.commit()

    def _load(self, tables: Mapping[str, Table[Any]], select: str) -> list[tuple[str, Record]]:
        """Put every row in its table; return the records loaded, with their kinds."""
        try:
            rows = self._db.execute(select).fetchall()
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from None
        loaded: list[tuple[str, Record]] = []
        for kind, record_id, body in rows:
            table = tables.get(kind)
            if table is None:
                raise StateFileError(
                    f"state file {self.path} holds records of kind {kind!r}, "
                    "which this sgp-fake does not serve"
                )
            try:
                model = table.schema.model_validate_json(body)
            except pydantic.ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(part) for part in first["loc"])
                raise StateFileError(
                    f"state file {self.path} holds an invalid {kind} record {record_id!r}: "
                    f"{where}: {first['msg']}"
                ) from None
            record = table.put(model)
            loaded.append((kind, record))
            stored = record.id
            if stored != record_id:
                # Every later write finds its row by the id column: a row filed under another
                # id would never be updated or deleted, and what was deleted would come back.
                raise StateFileError(
                    f"state file {self.path} holds a {kind} record under id {record_id!r} "
                    f"whose body is record {stored!r}"
                )
        return loaded

    def _check_references(self, state: _State, loaded: list[tuple[str, Record]]) -> None:
        """Refuse a record whose reference names no record of the file (or one of another
        account), as a seed file or ``PUT /_fake/state`` is refused: the API never writes one,
        and served it would answer 404s for a record the fake lists (a hand edit leaves it)."""
        tables = state.tables
        for kind, record in loaded:
            resource = state.resources[kind]
            if not resource.references:
                continue
            table = tables[kind]
            data: Mapping[str, Any] | None = None
            for ref in resource.references:
                if ref.field == table.parent_field:
                    value = record.parent
                else:
                    data = json.loads(record.body) if data is None else data
                    value = ref.target(data.get(ref.field))
                if value is None:
                    continue
                target = tables.get(ref.kind)
                held = None if target is None else target.stored(value)
                if held is None:
                    problem = f"names no {ref.kind} record {value!r}"
                elif ref.same_account and held.account_id != record.account_id:
                    problem = (
                        f"names {ref.kind} record {value!r} of account {held.account_id!r}, "
                        f"not {record.account_id!r}"
                    )
                else:
                    continue
                raise StateFileError(
                    f"state file {self.path} holds a {kind} record {record.id!r} whose "
                    f"{ref.field} {problem}"
                )

    def _persist(self, kind: str, event: Event, record: Record) -> None:
        # Called under the state's lock, so writes are serialised and the connection is never
        # used by two threads at once.
        if event == "put":
            self._db.execute(
                "INSERT OR REPLACE INTO records (kind, id, account_id, body) VALUES (?, ?, ?, ?)",
                (kind, record.id, record.account_id, record.body),
            )
        elif event == "update":
            # In place: the record keeps its row, so its place in creation order.
            self._db.execute(
                "UPDATE records SET body = ? WHERE kind = ? AND id = ?",
                (record.body, kind, record.id),
            )
        else:
            self._db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record.id))
        # A stepping clock moved by dating the record: its offset goes with the record.
        if self._clock.offset != self._saved_offset:
            self._save_clock()
        if not self._batching:
            self._db.commit()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Commit every change made inside as one transaction (the caller holds the lock)."""
        if self._batching:
            yield
            return
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            # What changed in memory is committed even if the operation stopped half way, so
            # the file always matches what readers were shown.
            self._db.commit()

    def close(self) -> None:
        """Checkpoint and close the file; the state must not change afterwards."""
        with self._lock:
            if self._clock.listener == self._clock_moved:
                self._clock.listen(None)
            if self._closed:
                return  # closed already (closing twice is allowed)
            self._closed = True
            self._save_clock()
            self._db.commit()
            self._db.close()


def _open(path: str) -> tuple[sqlite3.Connection, bool, int]:
    """Open (or create) a state file: the connection, whether the file was new, its layout."""
    if os.path.isdir(path):
        raise StateFileError(f"state file {path} is a directory")
    try:
        # timeout=0: a file another fake holds is reported at once, not after a wait.
        db = sqlite3.connect(path, timeout=0, check_same_thread=False)
    except sqlite3.Error as exc:
        raise _explain(exc, path) from None
    try:
        created, version = _prepare(db, path)
    except BaseException:
        db.close()
        raise
    return db, created, version


def _explain(exc: sqlite3.Error, path: str) -> StateFileError:
    """The one-line error to report for an SQLite error met while opening ``path``."""
    message = str(exc)
    if "locked" in message:
        return StateFileError(f"state file {path} is in use by another process")
    if "not a database" in message:
        return StateFileError(f"{path} is not an sgp-fake state file ({message})")
    if isinstance(exc, sqlite3.OperationalError):
        return StateFileError(f"cannot use state file {path}: {_one_line(exc)}")
    return StateFileError(f"state file {path} is damaged: {_one_line(exc)}")


def _prepare(db: sqlite3.Connection, path: str) -> tuple[bool, int]:
    try:
        # Held for the connection's life: a second fake on the same file is refused.
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        created = application_id == 0 and not tables
        if not created and application_id != APPLICATION_ID:
            raise StateFileError(
                f"{path} is an SQLite database of another application, not an sgp-fake state file"
            )
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StateFileError(f"state file {path}: the file system does not support WAL mode")
        db.execute("PRAGMA synchronous=FULL")
        if created:
            db.execute(_SCHEMA)
            db.execute(_META_SCHEMA)
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.commit()
            return True, SCHEMA_VERSION
        return False, _check(db, path)
    except sqlite3.Error as exc:
        raise _explain(exc, path) from None


def _check(db: sqlite3.Connection, path: str) -> int:
    """The layout version of an existing file, checked; refuses a damaged or unknown one."""
    check = db.execute("PRAGMA quick_check").fetchall()
    if check != [("ok",)]:
        problem = _one_line(Exception(check[0][0]))
        raise StateFileError(f"state file {path} is damaged: {problem[:200]}")
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    if version not in (*_MIGRATE, SCHEMA_VERSION):
        raise StateFileError(
            f"state file {path} has layout version {version}; "
            f"this sgp-fake reads versions 1 to {SCHEMA_VERSION}"
        )
    return version


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """An earlier layout (1: one ``model_templates`` table; 2: ``records`` without ``meta``)
    to this one, as one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in _MIGRATE[version]:
            db.execute(statement)
    except BaseException:
        db.rollback()
        raise
    db.commit()
