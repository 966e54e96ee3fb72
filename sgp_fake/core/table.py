"""A table of records of one kind: JSON bytes by id, in creation order, by account and parent.

Thread-safe: every table of a fake shares the fake's one re-entrant lock, so a change that spans
tables (a model deleted with its deployments) is atomic, and listeners (persistence) see changes
in the order they happened. Get and update are O(1), create and delete O(log n) (Fenwick index
updates); a page of a list costs O(limit + log n), not the size of the table.

Each record is kept as the exact JSON bytes every read answers with, which keeps memory low and
reads free of serialisation. Nothing here knows a resource: the stored schema (a pydantic model)
validates what is seeded, and the resource's handlers decide what a record holds. Fields that
name other records (``index_fields``) are indexed, so the records that refer to one are found
without a scan; a table may be given a ``refresh`` hook that brings a record up to date as it is
read (a status that moved with the fake's clock).
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import (
    Any,
    Callable,
    Collection,
    ContextManager,
    Generic,
    Iterable,
    Iterator,
    Literal,
    Mapping,
    Protocol,
    Sequence,
    TypeVar,
)

from pydantic import BaseModel
from pydantic_core import to_json

from ..clock import (
    Clock,
    IdGenerator,
    created_at_json,
    now_json,
    random_ids,
    utc_isoformat,
    utc_now,
)
from ..settings import Identity
from .order_index import OrderIndex

__all__ = [
    "Durable",
    "Event",
    "Guard",
    "Listener",
    "Record",
    "Refresh",
    "Row",
    "Table",
    "creator_json",
]

Event = Literal["put", "update", "delete"]
"""What happened to a record: stored (new, or replacing a record of that id), changed in place,
or removed."""


@dataclass(frozen=True, slots=True)
class Record:
    """One stored record: its id, account, creation order, JSON representation and parent."""

    id: str
    account_id: str
    seq: int
    body: bytes
    parent: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The record as the API returns it, decoded."""
        result: dict[str, Any] = json.loads(self.body)
        return result


class Durable(Protocol):
    """A persistence layer (see :mod:`sgp_fake.extras.persistence`)."""

    def batch(self) -> ContextManager[None]:
        """Commit every change made inside as one transaction."""
        ...


class Guard:
    """What the tables of one fake share: one re-entrant lock, and the durable layer (if any)
    that a change of several records commits through at once."""

    __slots__ = ("durable", "lock")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.durable: Durable | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock over several changes; a durable fake commits them as one."""
        with self.lock:
            durable = self.durable
            if durable is None:
                yield
            else:
                with durable.batch():
                    yield


R = TypeVar("R", bound=Record)
Row = tuple[str, str, bytes, "str | None"]
"""A record ready to store: id, account, JSON and parent."""
Listener = Callable[[str, Event, Record], None]
"""Called as ``listener(kind, event, record)`` under the lock after each change."""
Refresh = Callable[[R], R]
"""Called with each record a read returns; gives the record up to date (see
:meth:`Table.set_refresh`)."""


_CREATOR_JSON: dict[tuple[str, str], bytes] = {}


def creator_json(account_id: str, identity: Identity) -> bytes:
    """The end of a record this identity creates in ``account_id``: the standard server fields
    after ``id`` and ``created_at``, and the closing brace."""
    # The same few identities create every record: their part is cached.
    key = (identity.user_id, identity.identity_type)
    cached = _CREATOR_JSON.get(key)
    if cached is None:
        if len(_CREATOR_JSON) >= 1024:
            _CREATOR_JSON.clear()
        cached = _CREATOR_JSON[key] = b"".join(
            (
                b',"created_by_user_id":',
                to_json(identity.user_id),
                b',"created_by_identity_type":',
                to_json(identity.identity_type),
                b"}",
            )
        )
    return b"".join((b',"account_id":', to_json(account_id), cached))


class Table(Generic[R]):
    """The records of one kind (``kind`` names it in state documents and state files).

    ``schema`` is the record's full shape, as the API answers it: it validates seeded records.
    ``parent_field``, when given, names the field holding the id of the record's parent (a
    deployment's model), indexed so :meth:`page` can list one parent's children cheaply.
    ``index_fields`` names other fields that hold ids of other records (a model's template),
    indexed for :meth:`referencing`.
    """

    def __init__(
        self,
        kind: str,
        schema: type[BaseModel],
        *,
        record_type: type[R] = Record,  # type: ignore[assignment]
        parent_field: str | None = None,
        index_fields: Sequence[str] = (),
        guard: Guard | None = None,
        clock: Clock | None = None,
        id_generator: IdGenerator | None = None,
    ) -> None:
        self.kind = kind
        self.schema = schema
        self.parent_field = parent_field
        self.index_fields = tuple(index_fields)
        # field -> value -> ids of the records holding it (a dict as an ordered set).
        self._refs: dict[str, dict[str, dict[str, None]]] = {f: {} for f in self.index_fields}
        self._refresh: Refresh[R] | None = None
        self._record_type = record_type
        self._guard = guard if guard is not None else Guard()
        self._lock = self._guard.lock
        # Changes of several records (a replacing put, clear, replace_all) run in one
        # transaction: a durable fake commits them at once.
        self._transaction = self._guard.transaction
        self._clock: Clock = clock or utc_now
        self._next_id: IdGenerator = id_generator or random_ids()
        self._by_id: dict[str, R] = {}
        self._all = OrderIndex()
        self._by_account: dict[str, OrderIndex] = {}
        self._by_parent: dict[str, OrderIndex] = {}
        self._positions: dict[str, tuple[int, int, int]] = {}
        self._seq = 0
        self._listeners: list[Listener] = []

    # -- configuration -------------------------------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The lock every change holds (shared by the tables of one fake)."""
        return self._lock

    @property
    def clock(self) -> Clock:
        """Where ``created_at`` of new records comes from."""
        return self._clock

    def set_clock(self, clock: Clock) -> None:
        """Use ``clock`` for the creation time of new records."""
        self._clock = clock

    def set_id_generator(self, id_generator: IdGenerator) -> None:
        """Use ``id_generator`` for the ids of new records."""
        self._next_id = id_generator

    def transaction(self) -> ContextManager[None]:
        """Hold the lock (shared by the tables of one fake) over several changes; a durable fake
        commits them as one."""
        return self._transaction()

    def set_refresh(self, refresh: Refresh[R] | None) -> None:
        """Pass every record a read returns (:meth:`get`, :meth:`all`, :meth:`children`,
        :meth:`records`, :meth:`page`) through ``refresh``, which returns it up to date (and may
        write the change, with :meth:`modify`); ``None`` removes the hook."""
        self._refresh = refresh

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(kind, event, record)`` under the lock after each change.

        A listener that raises undoes nothing, but the error propagates to the caller, so a
        persistence layer can refuse to acknowledge a change it could not make durable.
        """
        self._listeners.append(listener)

    # -- writes --------------------------------------------------------------------------------

    def new_id(self) -> str:
        """An id no record of this table has (call it under :attr:`lock`)."""
        record_id = self._next_id()
        while record_id in self._by_id:
            record_id = self._next_id()
        return record_id

    def create_spliced(
        self, request_json: bytes | memoryview, account_id: str, identity: Identity
    ) -> R:
        """Store a record made of a create request and the standard server fields.

        ``request_json`` is the request's JSON object without ``account_id``; the record is that
        object followed by ``id``, ``created_at``, ``account_id``, ``created_by_user_id`` and
        ``created_by_identity_type``: the same bytes as dumping the response model, when the
        response model lists the request's fields then those (the resource declares it so, and a
        test checks the declaration).
        """
        # Slicing bytes copies them, but in less time than a memoryview takes to make and join.
        head = request_json[:-1]
        tail = creator_json(account_id, identity)
        clock = self._clock
        with self._lock:
            next_id = self._next_id
            record_id = next_id()
            while record_id in self._by_id:
                record_id = next_id()
            body = b"".join(
                (
                    head,
                    b',"id":',
                    to_json(record_id),
                    b',"created_at":',
                    now_json() if clock is utc_now else created_at_json(clock),
                    tail,
                )
            )
            return self.insert(record_id, account_id, body)

    def create_record(
        self, fields: dict[str, Any], account_id: str, identity: Identity, *, store: bool = True
    ) -> R:
        """Store a new record: ``fields`` plus the standard server fields (``id``,
        ``created_at``, ``account_id``, ``created_by_user_id``, ``created_by_identity_type``),
        validated against the table's schema and written as it answers them.

        With ``store=False`` the record is made (``seq`` 0) but not stored: contract mode's
        answer to a create under a made-up parent.
        """
        with self._lock:
            record_id = self.new_id()
            model = self.validate(
                {
                    **fields,
                    "id": record_id,
                    "created_at": utc_isoformat(self._clock()),
                    "account_id": account_id,
                    "created_by_user_id": identity.user_id,
                    "created_by_identity_type": identity.identity_type,
                }
            )
            _, _, body, parent = self._row(model)
            if not store:
                return self._record_type(record_id, account_id, 0, body, parent)
            return self.insert(record_id, account_id, body, parent)

    def validate(self, record: BaseModel | dict[str, Any]) -> BaseModel:
        """``record`` validated against the table's schema (else ``pydantic.ValidationError``)."""
        if isinstance(record, self.schema):
            return record
        return self.schema.model_validate(
            record.model_dump(by_alias=True) if isinstance(record, BaseModel) else record
        )

    def _row(self, record: BaseModel | dict[str, Any]) -> Row:
        """A record validated and written out: id, account, JSON, parent.

        A string JSON cannot be written from (a lone surrogate) raises
        ``PydanticSerializationError``.
        """
        model = self.validate(record)
        body = model.model_dump_json(exclude_none=True, by_alias=True).encode()
        parent = getattr(model, self.parent_field) if self.parent_field else None
        return model.id, model.account_id, body, parent  # type: ignore[attr-defined]

    def _put(self, record_id: str, account_id: str, body: bytes, parent: str | None) -> R:
        with self._transaction():
            if record_id in self._by_id:
                self._remove(record_id)
            return self.insert(record_id, account_id, body, parent)

    def put(self, record: BaseModel | dict[str, Any]) -> R:
        """Store a complete record as given (seeding); a record with the same id is replaced."""
        return self._put(*self._row(record))

    def insert(self, record_id: str, account_id: str, body: bytes, parent: str | None = None) -> R:
        """Store a new record with these exact bytes; ``ValueError`` if the id is taken."""
        with self._lock:
            by_id = self._by_id
            if record_id in by_id:
                raise ValueError(f"a {self.kind} record {record_id!r} exists already")
            # Every create comes here: each attribute is read once.
            seq = self._seq = self._seq + 1
            record = by_id[record_id] = self._record_type(record_id, account_id, seq, body, parent)
            account_index = self._by_account.get(account_id)
            if account_index is None:
                account_index = self._by_account[account_id] = OrderIndex()
            parent_pos = -1
            if parent is not None:
                parent_index = self._by_parent.get(parent)
                if parent_index is None:
                    parent_index = self._by_parent[parent] = OrderIndex()
                parent_pos = parent_index.append(record_id, seq)
            self._positions[record_id] = (
                self._all.append(record_id, seq),
                account_index.append(record_id, seq),
                parent_pos,
            )
            if self.index_fields:
                self._index(record_id, body)
            listeners = self._listeners
            if listeners:
                kind = self.kind
                for listener in listeners:
                    listener(kind, "put", record)
            return record

    def _referenced(self, body: bytes) -> Iterator[tuple[str, str]]:
        """The indexed fields of a record's JSON that hold an id, with the id."""
        data = json.loads(body)
        for name in self.index_fields:
            value = data.get(name)
            if isinstance(value, str):
                yield name, value

    def _index(self, record_id: str, body: bytes) -> None:
        for name, value in self._referenced(body):
            self._refs[name].setdefault(value, {})[record_id] = None

    def _unindex(self, record_id: str, body: bytes) -> None:
        for name, value in self._referenced(body):
            holders = self._refs[name].get(value)
            if holders is not None:
                holders.pop(record_id, None)
                if not holders:
                    del self._refs[name][value]

    def update(self, record_id: str, body: bytes) -> R:
        """Replace the bytes of an existing record, keeping its place, account and parent (the
        new bytes must say the same account and parent: they are indexed by them).

        ``KeyError`` when there is no such record; :meth:`modify` and :meth:`patch` answer
        ``None`` instead.
        """
        with self._lock:
            old = self._by_id[record_id]
            if self.index_fields:
                self._unindex(record_id, old.body)
                self._index(record_id, body)
            record = self._record_type(old.id, old.account_id, old.seq, body, old.parent)
            self._by_id[record_id] = record
            for listener in self._listeners:
                listener(self.kind, "update", record)
            return record

    def modify(self, record_id: str, change: Callable[[R], bytes | None]) -> R | None:
        """Find a record and change it, atomically: ``change(record)`` gives its new JSON (or
        ``None``: leave it as it is), under the lock, so no other change comes in between.

        Returns the record as it is afterwards; ``None`` when there is no such record (it may
        have just been deleted). ``change`` may raise to refuse: nothing is written.
        """
        with self._lock:
            record = self._by_id.get(record_id)
            if record is None:
                return None
            body = change(record)
            if body is None or body == record.body:
                return record
            return self.update(record_id, body)

    def patch(self, record_id: str, fields: Mapping[str, Any]) -> R | None:
        """Set ``fields`` of a record (a value of ``None`` removes the field), validated against
        the schema and written as every record is; ``None`` when there is no such record.

        The record keeps its account and parent: ``ValueError`` if ``fields`` would change
        them, and ``pydantic.ValidationError`` if the result is not a valid record.
        """

        def change(record: R) -> bytes:
            data = json.loads(record.body)
            for name, value in fields.items():
                if value is None:
                    data.pop(name, None)
                else:
                    data[name] = value
            _, account_id, body, parent = self._row(data)
            if account_id != record.account_id or parent != record.parent:
                raise ValueError(f"a {self.kind} record keeps its account and parent")
            return body

        return self.modify(record_id, change)

    def delete(self, record_id: str) -> R | None:
        """Remove a record; return it, or ``None`` when there was none."""
        with self._lock:
            if record_id not in self._by_id:
                return None
            return self._remove(record_id)

    def _remove(self, record_id: str) -> R:
        record = self._by_id.pop(record_id)
        pos_all, pos_account, pos_parent = self._positions.pop(record_id)
        self._all.remove(pos_all)
        self._by_account[record.account_id].remove(pos_account)
        if record.parent is not None:
            self._by_parent[record.parent].remove(pos_parent)
        if self.index_fields:
            self._unindex(record_id, record.body)
        for listener in self._listeners:
            listener(self.kind, "delete", record)
        return record

    def clear(self, account_id: str | None = None) -> int:
        """Remove every record, or only those of ``account_id``; return how many went."""
        with self._transaction():
            if account_id is None:
                count = len(self._by_id)
                for record_id in list(self._by_id):
                    self._remove(record_id)
                self._all = OrderIndex()
                self._by_account.clear()
                self._by_parent.clear()
                self._refs = {f: {} for f in self.index_fields}
                return count
            index = self._by_account.get(account_id)
            if index is None:
                return 0
            ids = [record_id for _, record_id in index.iter_from(0)]
            for record_id in ids:
                self._remove(record_id)
            return len(ids)

    def replace_all(self, records: Iterable[BaseModel | dict[str, Any]]) -> None:
        """Replace every record with ``records``: all or nothing.

        Every record is validated and written out before anything is removed, so a record that
        cannot be (a ``ValidationError``, or ``PydanticSerializationError`` for a string JSON
        cannot carry) changes nothing.
        """
        self.load(self.prepare(records))

    def prepare(self, records: Iterable[BaseModel | dict[str, Any]]) -> list[Row]:
        """``records`` validated and written out, ready for :meth:`load` (changes nothing)."""
        return [self._row(record) for record in records]

    def load(self, rows: Iterable[Row]) -> None:
        """Replace every record with prepared ``rows``, in one transaction."""
        with self._transaction():
            self.clear()
            for row in rows:
                self._put(*row)

    # -- reads ---------------------------------------------------------------------------------

    def get(self, record_id: str) -> R | None:
        """The record with ``record_id``, or ``None``."""
        record = self._by_id.get(record_id)
        if record is not None and self._refresh is not None:
            return self._refresh(record)
        return record

    def stored(self, record_id: str) -> R | None:
        """The record with ``record_id`` as stored, not passed through the refresh hook."""
        return self._by_id.get(record_id)

    def _fresh(self, records: list[R]) -> list[R]:
        refresh = self._refresh
        return records if refresh is None else [refresh(r) for r in records]

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._by_id

    def all(self, account_id: str | None = None) -> list[R]:
        """Every record (of ``account_id`` when given), oldest first."""
        with self._lock:
            index = self._all if account_id is None else self._by_account.get(account_id)
            if index is None:
                return []
            return self._fresh([self._by_id[r] for _, r in index.iter_from(0)])

    def children(self, parent: str) -> list[R]:
        """Every record whose parent is ``parent``, oldest first."""
        with self._lock:
            index = self._by_parent.get(parent)
            if index is None:
                return []
            return self._fresh([self._by_id[r] for _, r in index.iter_from(0)])

    def count_children(self, parent: str) -> int:
        """How many records have ``parent`` as their parent."""
        index = self._by_parent.get(parent)
        return 0 if index is None else len(index)

    def referencing(self, field: str, record_id: str) -> list[R]:
        """Every record whose ``field`` holds ``record_id``, oldest first.

        Cheap for the parent field and the indexed fields; any other field is a scan.
        """
        with self._lock:
            if field == self.parent_field:
                return self.children(record_id)
            index = self._refs.get(field)
            if index is not None:
                ids = index.get(record_id, {})
                found = sorted((self._by_id[i] for i in ids), key=lambda r: r.seq)
                return self._fresh(found)
            return [r for r in self.all() if r.as_dict().get(field) == record_id]

    def records(
        self, accounts: Collection[str] | None = None, *, parent: str | None = None
    ) -> list[R]:
        """Every record of ``accounts`` (all when ``None``), of ``parent`` when given, oldest
        first: what a list filters and sorts when it does more than :meth:`page` does."""
        with self._lock:
            if parent is not None:
                found = self.children(parent)
                return found if accounts is None else [r for r in found if r.account_id in accounts]
            if accounts is None:
                return self.all()
            if len(accounts) == 1:
                return self.all(next(iter(accounts)))
            merged = heapq.merge(
                *(self._by_account[a].iter_from(0) for a in accounts if a in self._by_account)
            )
            return self._fresh([self._by_id[record_id] for _, record_id in merged])

    def page(
        self,
        accounts: Collection[str] | None,
        page: int,
        limit: int,
        *,
        parent: str | None = None,
    ) -> tuple[list[R], int]:
        """One page of the records of ``accounts`` (all when ``None``), oldest first.

        With ``parent``, only that parent's children (of those accounts). Returns the page's
        records and the total count across all pages.
        """
        offset = (page - 1) * limit
        with self._lock:
            if parent is not None:
                index = self._by_parent.get(parent)
                if index is None:
                    return [], 0
                if accounts is not None:
                    # A parent's children share its account: filter, they are few.
                    kept = [r for r in self.children(parent) if r.account_id in accounts]
                    if page < 1 or limit <= 0:
                        return [], len(kept)
                    return kept[offset : offset + limit], len(kept)
                indexes = [index]
            elif accounts is None:
                indexes = [self._all]
            else:
                indexes = [self._by_account[a] for a in accounts if a in self._by_account]
            total = sum(len(index) for index in indexes)
            if offset >= total or limit <= 0 or page < 1:
                return [], total
            limit = min(limit, total)  # any integer is a page size; islice takes machine ones
            if len(indexes) == 1:
                return self._fresh(self._slice(indexes[0], offset, limit)), total
            return self._fresh(self._merged_slice(indexes, offset, limit)), total

    def _slice(self, index: OrderIndex, offset: int, limit: int) -> list[R]:
        entries = itertools.islice(index.iter_from(index.find(offset)), limit)
        return [self._by_id[record_id] for _, record_id in entries]

    def _merged_slice(self, indexes: list[OrderIndex], offset: int, limit: int) -> list[R]:
        # Find the smallest key k with `offset` live entries of these accounts before it and one
        # at it: a binary search over keys, each step O(accounts * log n). Then merge the
        # accounts' entries from k on, in key (creation) order, until the page is full.
        lo, hi = 0, self._seq + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if sum(index.live_before_key(mid + 1) for index in indexes) > offset:
                hi = mid
            else:
                lo = mid + 1
        merged = heapq.merge(*(index.iter_from_key(lo) for index in indexes))
        return [self._by_id[record_id] for _, record_id in itertools.islice(merged, limit)]
