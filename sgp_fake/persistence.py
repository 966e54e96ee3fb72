"""A store whose state survives restarts and crashes, kept in an SQLite file.

:class:`DurableModelTemplateStore` is a :class:`~sgp_fake.store.ModelTemplateStore` that writes
every change to an SQLite database in WAL mode with ``synchronous=FULL`` and commits it before
the change returns, so before the fake answers: a process killed at any moment loses no
acknowledged create or delete, and SQLite's journal guarantees the file is always loadable.
Reads are served from memory exactly as by the in-memory store.

The file holds one row per template (its id, account and exact JSON) in creation order. It is
tagged with an application id, so a file of another program, or no database at all, is refused
with :class:`StateFileError` instead of being overwritten; the connection holds an exclusive
lock, so two fakes never share one file.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Any, Iterable, Iterator

import pydantic

from .models import ModelTemplateResponse
from .store import Clock, IdGenerator, ModelTemplateStore, StoredTemplate

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "DurableModelTemplateStore", "StateFileError"]

APPLICATION_ID = 0x53475046
"""``PRAGMA application_id`` of an sgp-fake state file ("SGPF")."""
SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of the layout this module writes."""

_SCHEMA = """
CREATE TABLE model_templates (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL,
    body BLOB NOT NULL
)
"""


class StateFileError(Exception):
    """The state file cannot be used; the message is one line naming the file and why."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class DurableModelTemplateStore(ModelTemplateStore):
    """A model-template store backed by the SQLite file ``path`` (created when missing).

    ``created`` tells whether the file was new (or empty): a seed is loaded only then, so a
    restart never brings back what was deleted. Call :meth:`close` when done.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        id_generator: IdGenerator | None = None,
    ) -> None:
        super().__init__(clock=clock, id_generator=id_generator)
        self.path = os.fspath(path)
        self._batching = False
        self._db, self.created = _open(self.path)
        try:
            self._load()
        except BaseException:
            self._db.close()
            raise
        self.add_listener(self._persist)

    def _load(self) -> None:
        try:
            rows = self._db.execute(
                "SELECT id, body FROM model_templates ORDER BY rowid"
            ).fetchall()
        except sqlite3.Error as exc:
            raise _explain(exc, self.path) from None
        for template_id, body in rows:
            try:
                model = ModelTemplateResponse.model_validate_json(body)
            except pydantic.ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(part) for part in first["loc"])
                raise StateFileError(
                    f"state file {self.path} holds an invalid template {template_id!r}: "
                    f"{where}: {first['msg']}"
                ) from None
            super().put(model)

    def _persist(self, event: str, stored: StoredTemplate) -> None:
        # Called under the store's lock, so writes are serialised and the connection is never
        # used by two threads at once.
        if event == "put":
            self._db.execute(
                "INSERT OR REPLACE INTO model_templates (id, account_id, body) VALUES (?, ?, ?)",
                (stored.id, stored.account_id, stored.body),
            )
        else:
            self._db.execute("DELETE FROM model_templates WHERE id = ?", (stored.id,))
        if not self._batching:
            self._db.commit()

    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
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

    def put(self, template: ModelTemplateResponse | dict[str, Any]) -> StoredTemplate:
        """Store a complete template as given; an existing id is replaced (one transaction)."""
        with self._lock, self._batch():
            return super().put(template)

    def clear(self, account_id: str | None = None) -> int:
        """Remove every template, or only those of ``account_id`` (one transaction)."""
        with self._lock, self._batch():
            return super().clear(account_id)

    def replace_all(self, templates: Iterable[ModelTemplateResponse | dict[str, Any]]) -> None:
        """Replace the whole store with ``templates`` (validated first; one transaction)."""
        models = [
            t if isinstance(t, ModelTemplateResponse) else ModelTemplateResponse.model_validate(t)
            for t in templates
        ]
        with self._lock, self._batch():
            super().replace_all(models)

    def close(self) -> None:
        """Checkpoint and close the file; the store must not change afterwards."""
        with self._lock:
            self._db.close()


def _open(path: str) -> tuple[sqlite3.Connection, bool]:
    """Open (or create) a state file; return the connection and whether the file was new."""
    if os.path.isdir(path):
        raise StateFileError(f"state file {path} is a directory")
    try:
        # timeout=0: a file another fake holds is reported at once, not after a wait.
        db = sqlite3.connect(path, timeout=0, check_same_thread=False)
    except sqlite3.Error as exc:
        raise _explain(exc, path) from None
    try:
        created = _prepare(db, path)
    except BaseException:
        db.close()
        raise
    return db, created


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


def _prepare(db: sqlite3.Connection, path: str) -> bool:
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
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.commit()
        else:
            _check(db, path)
    except sqlite3.Error as exc:
        raise _explain(exc, path) from None
    return created


def _check(db: sqlite3.Connection, path: str) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        raise StateFileError(
            f"state file {path} has layout version {version}; "
            f"this sgp-fake reads version {SCHEMA_VERSION}"
        )
    check = db.execute("PRAGMA quick_check").fetchall()
    if check != [("ok",)]:
        problem = _one_line(Exception(check[0][0]))
        raise StateFileError(f"state file {path} is damaged: {problem[:200]}")
