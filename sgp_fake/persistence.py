"""Durable state in an SQLite file (:mod:`sgp_fake.extras.persistence`), and the template store
it once was, under its former names."""

from __future__ import annotations

import os
import threading
from typing import Any

from .core.table import Durable, Table
from .extras.persistence import APPLICATION_ID, SCHEMA_VERSION, Persistence, StateFileError
from .resources.model_templates.store import ModelTemplateStore

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "DurableModelTemplateStore",
    "Persistence",
    "StateFileError",
]


class DurableModelTemplateStore(ModelTemplateStore):
    """A template store backed by the SQLite file ``path``, on its own (without a fake).

    A fake made with ``SGPFake(state_file=path)`` keeps every resource this way; this class
    keeps only templates. ``created`` tells whether the file was new; call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._persistence = Persistence(path, self)
        self.path = self._persistence.path
        self.created = self._persistence.created

    # What Persistence needs of a fake's state, for this one table.

    @property
    def tables(self) -> dict[str, Table[Any]]:
        return {self.kind: self}

    @property
    def durable(self) -> Durable | None:
        return self._guard.durable

    @durable.setter
    def durable(self, value: Durable | None) -> None:
        self._guard.durable = value

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def close(self) -> None:
        """Checkpoint and close the file; the store must not change afterwards."""
        self._persistence.close()
