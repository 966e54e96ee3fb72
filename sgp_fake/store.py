"""The in-memory state of a fake: model templates, by id and in creation order.

Thread-safe (one lock; every operation is short), no HTTP. Create, get and delete are O(1) (list
appends and a Fenwick tree update are O(log n)); a page of a list costs O(limit + log n), not the
size of the store, so auto-pagination over a large store stays cheap.

Each template is kept as the exact JSON bytes every read answers with, which keeps memory low and
reads free of serialisation.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import json
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Callable, Collection, Iterable, Iterator

from pydantic_core import to_json

from .models import (
    IdentifierTypeEnum,
    ModelTemplateRequest,
    ModelTemplateResponse,
)
from .settings import Identity

__all__ = [
    "Clock",
    "IdGenerator",
    "ModelTemplateStore",
    "StoredTemplate",
    "random_ids",
    "seeded_ids",
    "utc_now",
]

# A stored template is its create request followed by the fields the fake sets, in the response
# model's field order; ModelTemplateStore.create builds the JSON by splicing on that basis.
_REQUEST_FIELDS = tuple(name for name in ModelTemplateRequest.model_fields if name != "account_id")
_SERVER_FIELDS = (
    "id",
    "created_at",
    "account_id",
    "created_by_user_id",
    "created_by_identity_type",
)
if tuple(ModelTemplateResponse.model_fields) != (*_REQUEST_FIELDS, *_SERVER_FIELDS):
    raise RuntimeError("ModelTemplateResponse must list the request's fields, then the fake's")
_ACCOUNT_ID = {"account_id"}
_dump_request = ModelTemplateRequest.__pydantic_serializer__.to_json


def _utc_isoformat(value: datetime) -> str:
    # As ModelTemplateResponse serialises created_at: UTC with an explicit offset, naive is UTC.
    if value.tzinfo is UTC:
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


_CREATOR_JSON: dict[tuple[str, str], bytes] = {}


def _creator_json(identity: Identity) -> bytes:
    # The end of every template this identity creates: the same few identities create them all.
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
                to_json(IdentifierTypeEnum(identity.identity_type).value),
                b"}",
            )
        )
    return cached


Clock = Callable[[], datetime]
"""Returns the creation time of the next template (timezone-aware)."""
IdGenerator = Callable[[], str]
"""Returns the id of the next template."""


def utc_now() -> datetime:
    """The default clock: the current time in UTC."""
    return datetime.now(UTC)


_SECOND: tuple[int, bytes] = (-1, b"")


def _now_json() -> bytes:
    """``to_json(_utc_isoformat(utc_now()))``, from the clock without building a datetime.

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

    return next_id


def seeded_ids(seed: int | str) -> IdGenerator:
    """UUID4-shaped ids from a seeded generator: the same seed gives the same sequence."""
    rng = random.Random(seed)

    def next_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    return next_id


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """One stored template: its id, account, creation order and JSON representation."""

    id: str
    account_id: str
    seq: int
    body: bytes

    def as_dict(self) -> dict[str, Any]:
        """The template as the API returns it, decoded."""
        result: dict[str, Any] = json.loads(self.body)
        return result

    def model(self) -> ModelTemplateResponse:
        """The template as a validated :class:`ModelTemplateResponse`."""
        return ModelTemplateResponse.model_validate_json(self.body)


class _OrderIndex:
    """Entries in creation order, with deletions, and the k-th live one in O(log n).

    A Fenwick tree over 0/1 "alive" flags; entries are only ever appended, each with a key (the
    store's global sequence number) that grows with every append.
    """

    __slots__ = ("_ids", "_keys", "_size", "_tree")

    def __init__(self) -> None:
        self._ids: list[str | None] = []
        self._keys: list[int] = []
        self._tree: list[int] = [0]
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, template_id: str, key: int) -> int:
        pos = len(self._ids)
        self._ids.append(template_id)
        self._keys.append(key)
        # Fenwick node i covers (i - lowbit(i), i]: its value starts as the live count of that
        # range, so the tree grows by appending.
        i = pos + 1
        total = 1
        j = i - 1
        stop = i - (i & -i)
        while j > stop:
            total += self._tree[j]
            j -= j & -j
        self._tree.append(total)
        self._size += 1
        return pos

    def remove(self, pos: int) -> None:
        if self._ids[pos] is None:
            return
        self._ids[pos] = None
        self._size -= 1
        i = pos + 1
        n = len(self._tree)
        while i < n:
            self._tree[i] -= 1
            i += i & -i

    def live_before(self, pos: int) -> int:
        """How many live entries sit at positions < ``pos``."""
        total = 0
        i = pos
        while i > 0:
            total += self._tree[i]
            i -= i & -i
        return total

    def live_before_key(self, key: int) -> int:
        """How many live entries have a key < ``key``."""
        return self.live_before(bisect.bisect_left(self._keys, key))

    def find(self, k: int) -> int:
        """Position of the k-th (0-based) live entry; ``k`` must be < len(self)."""
        pos = 0
        remaining = k + 1
        n = len(self._tree)
        step = 1 << n.bit_length()
        while step:
            nxt = pos + step
            if nxt < n and self._tree[nxt] < remaining:
                pos = nxt
                remaining -= self._tree[nxt]
            step >>= 1
        return pos

    def iter_from(self, pos: int) -> Iterator[tuple[int, str]]:
        """(key, id) of the live entries from position ``pos`` on."""
        ids, keys = self._ids, self._keys
        for p in range(pos, len(ids)):
            template_id = ids[p]
            if template_id is not None:
                yield keys[p], template_id

    def iter_from_key(self, key: int) -> Iterator[tuple[int, str]]:
        return self.iter_from(bisect.bisect_left(self._keys, key))


class ModelTemplateStore:
    """Model templates of one fake instance.

    ``clock`` and ``id_generator`` decide ``created_at`` and ``id`` of new templates; swap them
    (see :meth:`set_clock`, :meth:`set_id_generator`) for deterministic tests.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        id_generator: IdGenerator | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._clock: Clock = clock or utc_now
        self._next_id: IdGenerator = id_generator or random_ids()
        self._by_id: dict[str, StoredTemplate] = {}
        self._all = _OrderIndex()
        self._by_account: dict[str, _OrderIndex] = {}
        self._positions: dict[str, tuple[int, int]] = {}
        self._seq = 0
        self._listeners: list[Callable[[str, StoredTemplate], None]] = []

    # -- configuration -------------------------------------------------------------------------

    def set_clock(self, clock: Clock) -> None:
        """Use ``clock`` for the creation time of new templates."""
        self._clock = clock

    def set_id_generator(self, id_generator: IdGenerator) -> None:
        """Use ``id_generator`` for the ids of new templates."""
        self._next_id = id_generator

    def add_listener(self, listener: Callable[[str, StoredTemplate], None]) -> None:
        """Call ``listener(event, template)`` under the store's lock after each change.

        ``event`` is ``"put"`` or ``"delete"``. A listener that raises undoes nothing but the
        error propagates to the caller, so a persistence layer can refuse to acknowledge.
        """
        self._listeners.append(listener)

    # -- writes --------------------------------------------------------------------------------

    def create(self, request: ModelTemplateRequest, identity: Identity) -> StoredTemplate:
        """Store a validated create request on behalf of ``identity``; return the new template."""
        head = _dump_request(request, exclude_none=True, exclude=_ACCOUNT_ID)
        return self.create_from_json(head, request.account_id, identity)

    def create_from_json(
        self, request_json: bytes, account_id: str, identity: Identity
    ) -> StoredTemplate:
        """Store a create request given as its JSON without ``account_id``; return the template.

        ``request_json`` must be what dumping a valid :class:`ModelTemplateRequest` with
        ``exclude_none=True, exclude={"account_id"}`` gives.
        """
        # The answer is spliced from the request's JSON and the fields the fake sets (see
        # _REQUEST_FIELDS): the same bytes as dumping a ModelTemplateResponse, at half the cost.
        head = memoryview(request_json)[:-1]
        tail = b"".join((b',"account_id":', to_json(account_id), _creator_json(identity)))
        with self._lock:
            template_id = self._next_id()
            while template_id in self._by_id:
                template_id = self._next_id()
            clock = self._clock
            created_at = _now_json() if clock is utc_now else to_json(_utc_isoformat(clock()))
            body = b"".join(
                (head, b',"id":', to_json(template_id), b',"created_at":', created_at, tail)
            )
            return self._insert(template_id, account_id, body)

    def put(self, template: ModelTemplateResponse | dict[str, Any]) -> StoredTemplate:
        """Store a complete template as given (seeding); an existing id is replaced."""
        model = (
            template
            if isinstance(template, ModelTemplateResponse)
            else ModelTemplateResponse.model_validate(template)
        )
        body = model.model_dump_json(exclude_none=True).encode()
        with self._lock:
            return self._put(model.id, model.account_id, body)

    def _put(self, template_id: str, account_id: str, body: bytes) -> StoredTemplate:
        if template_id in self._by_id:
            self._remove(template_id)
        return self._insert(template_id, account_id, body)

    def _insert(self, template_id: str, account_id: str, body: bytes) -> StoredTemplate:
        self._seq += 1
        stored = StoredTemplate(template_id, account_id, self._seq, body)
        self._by_id[template_id] = stored
        account_index = self._by_account.get(account_id)
        if account_index is None:
            account_index = self._by_account[account_id] = _OrderIndex()
        self._positions[template_id] = (
            self._all.append(template_id, self._seq),
            account_index.append(template_id, self._seq),
        )
        for listener in self._listeners:
            listener("put", stored)
        return stored

    def delete(self, template_id: str) -> StoredTemplate | None:
        """Remove a template; return it, or ``None`` when there was none."""
        with self._lock:
            if template_id not in self._by_id:
                return None
            return self._remove(template_id)

    def _remove(self, template_id: str) -> StoredTemplate:
        stored = self._by_id.pop(template_id)
        pos_all, pos_account = self._positions.pop(template_id)
        self._all.remove(pos_all)
        self._by_account[stored.account_id].remove(pos_account)
        for listener in self._listeners:
            listener("delete", stored)
        return stored

    def clear(self, account_id: str | None = None) -> int:
        """Remove every template, or only those of ``account_id``; return how many went."""
        with self._lock:
            if account_id is None:
                count = len(self._by_id)
                for template_id in list(self._by_id):
                    self._remove(template_id)
                self._all = _OrderIndex()
                self._by_account.clear()
                return count
            index = self._by_account.get(account_id)
            if index is None:
                return 0
            ids = [template_id for _, template_id in index.iter_from(0)]
            for template_id in ids:
                self._remove(template_id)
            return len(ids)

    def replace_all(self, templates: Iterable[ModelTemplateResponse | dict[str, Any]]) -> None:
        """Replace the whole store with ``templates`` (validated first: all or nothing).

        A template JSON cannot be written from (a lone surrogate in a string) raises
        ``PydanticSerializationError`` and changes nothing.
        """
        models = [
            t if isinstance(t, ModelTemplateResponse) else ModelTemplateResponse.model_validate(t)
            for t in templates
        ]
        # Written out before anything is removed, so that a failure leaves the store as it was.
        rows = [(m.id, m.account_id, m.model_dump_json(exclude_none=True).encode()) for m in models]
        with self._lock:
            self.clear()
            for row in rows:
                self._put(*row)

    # -- reads ---------------------------------------------------------------------------------

    def get(self, template_id: str) -> StoredTemplate | None:
        """The template with ``template_id``, or ``None``."""
        return self._by_id.get(template_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._by_id

    def all(self, account_id: str | None = None) -> list[StoredTemplate]:
        """Every template (of ``account_id`` when given), oldest first."""
        with self._lock:
            index = self._all if account_id is None else self._by_account.get(account_id)
            if index is None:
                return []
            return [self._by_id[t] for _, t in index.iter_from(0)]

    def page(
        self, accounts: Collection[str] | None, page: int, limit: int
    ) -> tuple[list[StoredTemplate], int]:
        """One page of the templates of ``accounts`` (all when ``None``), oldest first.

        Returns the page's templates and the total count across all pages.
        """
        offset = (page - 1) * limit
        with self._lock:
            if accounts is None:
                indexes = [self._all]
            else:
                indexes = [self._by_account[a] for a in accounts if a in self._by_account]
            total = sum(len(index) for index in indexes)
            if offset >= total:
                return [], total
            if len(indexes) == 1:
                return self._slice(indexes[0], offset, limit), total
            return self._merged_slice(indexes, offset, limit), total

    def _slice(self, index: _OrderIndex, offset: int, limit: int) -> list[StoredTemplate]:
        entries = itertools.islice(index.iter_from(index.find(offset)), limit)
        return [self._by_id[template_id] for _, template_id in entries]

    def _merged_slice(
        self, indexes: list[_OrderIndex], offset: int, limit: int
    ) -> list[StoredTemplate]:
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
        return [self._by_id[template_id] for _, template_id in itertools.islice(merged, limit)]
