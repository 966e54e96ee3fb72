"""A table that keeps records of one flat layout in columns: about 70 bytes a record.

Every answered inference call writes a usage record (``sgp_fake.resources.usage``), so a
server taking millions of calls keeps millions of them until a reset. A plain
:class:`~sgp_fake.core.table.Table` keeps each as its JSON bytes, a ``Record``, a dict entry and
three order-index entries: about 0.8 KB. A usage record is a flat object of a few fixed fields
(an id, an account, a time, a few names and counts), so :class:`CompactTable` keeps it as one
row of typed arrays instead: the id as 16 bytes, each name as the index of a string kept once,
the time as microseconds, counts as 32-bit integers, and rebuilds the exact JSON on read.

What every reader sees is unchanged: ``fake.usage``, the state document and state files get
:class:`~sgp_fake.core.table.Record` objects with the same bytes as before. A record is kept
compactly only when its JSON, written again from its columns, is byte for byte what was given;
any other record (an id that is not a lower-case UUID, a count that needs more than 32 bits, a
field the layout does not have) is kept as given, so nothing is ever rewritten.

Lists are a scan of the rows (the kinds kept here are summed, never paged through an SGP
route); finding a record by id is a hash lookup in an array of row numbers.
"""

from __future__ import annotations

import functools
import json
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Callable, Collection, Iterable, Literal, Sequence

from pydantic import BaseModel

from ..clock import Clock, FakeClock, packed_ids, utc_now
from .table import Record, Row, Table

__all__ = ["Column", "CompactTable", "Layout"]

Column = Literal["id", "str", "created_at", "uint"]
"""How a field is kept: the record's id (a lower-case UUID, 16 bytes), a string (kept once per
distinct value), ``created_at`` (microseconds since the epoch), a count below 2**32."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)
_UINT_LIMIT = 1 << 32
_EMPTY = 0  # hash slots hold row + 1; 0 is free, -1 a deleted entry
_GONE = -1


@dataclass(frozen=True)
class Layout:
    """The fields of a kind's records, in the order its JSON writes them, and how each is kept.

    ``quote`` writes a string as the kind's JSON does (``pydantic_core.to_json`` or
    ``json.dumps``: they differ on a few characters). The layout must have an ``id`` field of
    type ``"id"`` and an ``account_id`` of type ``"str"``; the table's parent field, if any,
    must be a ``"str"``.
    """

    fields: tuple[tuple[str, Column], ...]
    quote: Callable[[str], bytes]
    _keys: tuple[bytes, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [name for name, _ in self.fields]
        if ("id", "id") not in self.fields or ("account_id", "str") not in self.fields:
            raise ValueError('a layout has an id ("id") and an account_id ("str")')
        keys = tuple(
            (b"{" if index == 0 else b",") + json.dumps(name).encode() + b":"
            for index, name in enumerate(names)
        )
        object.__setattr__(self, "_keys", keys)

    @property
    def names(self) -> list[str]:
        """The field names, in order."""
        return [name for name, _ in self.fields]

    def index(self, name: str) -> int:
        """The column of field ``name``."""
        return self.names.index(name)


def _pack_id(record_id: str) -> bytes | None:
    """A lower-case UUID string as its 16 bytes (``None`` for any other id)."""
    if (
        len(record_id) != 36
        or record_id[8] != "-"
        or record_id[13] != "-"
        or record_id[18] != "-"
        or record_id[23] != "-"
    ):
        return None
    digits = record_id[:8] + record_id[9:13] + record_id[14:18] + record_id[19:23] + record_id[24:]
    try:
        packed = bytes.fromhex(digits)
    except ValueError:
        return None
    # fromhex takes upper case and skips whitespace: only the digits it writes back are an id.
    return packed if packed.hex() == digits else None


def _unpack_id(packed: bytes) -> str:
    h = packed.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MICROSECOND


_LAST_SECOND: list[Any] = [None, b""]


def _created_json(micros: int) -> bytes:
    """``created_at`` as every record writes it (``utc_isoformat`` as a JSON string)."""
    second, fraction = divmod(micros, 1_000_000)
    last = _LAST_SECOND
    if last[0] == second:
        prefix: bytes = last[1]
    else:
        # isoformat of a whole second, without its "+00:00": written once a second.
        prefix = b'"' + (_EPOCH + second * _SECOND).isoformat()[:-6].encode()
        last[0], last[1] = second, prefix
    if fraction:
        return b'%s.%06d+00:00"' % (prefix, fraction)
    return prefix + b'+00:00"'


def _now_micros(clock: Clock) -> int:
    """The clock's next reading in microseconds, as ``created_at_json`` would write it."""
    if clock is utc_now or (isinstance(clock, FakeClock) and clock.is_wall_clock):
        return time.time_ns() // 1000
    return _micros(clock())


@functools.cache  # layouts are a kind's constants: a handful in a process
def _add_plan(layout: Layout, parent_field: str | None) -> Callable[..., int]:
    """:meth:`CompactTable.add`'s work for one record of ``layout``, written out field by field
    once per layout (a loop over the layout per record cost more than the rest of ``add``):
    ``(table, fields, packed, record_id)`` interns the string fields, then, when the id packed
    and every count fits its column, appends the row and returns its number; else returns -1
    and changes nothing but the strings kept. Compiled once per layout, not per table: every
    fake makes its own tables, and compiling costs a fresh fake hundreds of microseconds."""
    lines = ["def add_row(table, fields, packed, record_id):", "    index = table._string_index"]
    checks = ["packed is not None"]
    values: list[str] = []
    for column, (name, kind) in enumerate(layout.fields):
        value = f"v{column}"
        if kind == "id":
            values.append("packed")
            continue
        if kind == "str":
            lines += [
                f"    {value} = fields[{name!r}]",
                f"    if type({value}) is not str:",
                f"        {value} = str({value})",
                f"    s{column} = index.get({value})",
                f"    if s{column} is None:",
                f"        s{column} = table._intern({value})",
            ]
            values.append(f"s{column}")
        elif kind == "uint":
            lines.append(f"    {value} = fields[{name!r}]")
            checks.append(f"type({value}) is int and 0 <= {value} < LIMIT")
            values.append(value)
        else:
            values.append("")  # read from the clock once the row is known to fit
    lines += [
        f"    if not ({' and '.join(checks)}):",
        "        return -1",
        "    columns = table._columns",
        "    seqs = table._seqs",
        "    row = len(seqs)",
    ]
    for column, ((_, kind), value) in enumerate(zip(layout.fields, values, strict=True)):
        if kind == "id":
            lines.append(f"    columns[{column}].extend(packed)")
        elif kind == "created_at":
            lines.append(f"    columns[{column}].append(now(table._clock))")
        else:
            lines.append(f"    columns[{column}].append({value})")
    account = values[layout.index("account_id")]
    lines += [
        "    table._seq += 1",
        "    seqs.append(table._seq)",
        f"    rows = table._rows_of_account.get({account})",
        "    if rows is None:",
        f"        rows = table._rows_of_account[{account}] = array('I')",
        "    rows.append(row)",
    ]
    if parent_field:
        parent = values[layout.index(parent_field)]
        lines += [
            f"    rows = table._rows_of_parent.get({parent})",
            "    if rows is None:",
            f"        rows = table._rows_of_parent[{parent}] = array('I')",
            "    rows.append(row)",
        ]
    lines += ["    table._live += 1", "    table._hash_add(record_id, row)", "    return row"]
    namespace: dict[str, Any] = {"LIMIT": _UINT_LIMIT, "array": array, "now": _now_micros}
    # The source holds the layout's field names only as Python literals (repr).
    exec("\n".join(lines), namespace)
    add_row: Callable[..., int] = namespace["add_row"]
    return add_row


class CompactTable(Table[Record]):
    """A table of one :class:`Layout`, kept in columns (see the module docstring).

    It answers every :class:`~sgp_fake.core.table.Table` method with the same records; lists
    and pages are scans. :meth:`add` is the writers' fast path: a new record from its fields,
    with no JSON written or parsed.
    """

    layout: Layout

    def __init__(
        self, kind: str, schema: type[BaseModel], *, layout: Layout, **kwargs: Any
    ) -> None:
        super().__init__(kind, schema, **kwargs)
        self.layout = layout
        self._types: tuple[Column, ...] = tuple(t for _, t in layout.fields)
        self._id_col = layout.index("id")
        self._account_col = layout.index("account_id")
        self._parent_col = layout.index(self.parent_field) if self.parent_field else -1
        self._strings: list[str] = []
        self._quoted: list[bytes] = []
        self._string_index: dict[str, int] = {}
        self._add_row = _add_plan(layout, self.parent_field)
        self._reset()

    # -- storage ---------------------------------------------------------------------------------

    def _reset(self) -> None:
        self._columns: list[Any] = []
        for kind in self._types:
            if kind == "id":
                self._columns.append(bytearray())
            elif kind == "created_at":
                self._columns.append(array("q"))
            else:
                self._columns.append(array("I"))
        self._seqs = array("q")
        self._live = 0
        self._raw: dict[int, Row] = {}  # row -> the record as given, when not kept in columns
        self._rows_of_account: dict[int, array[int]] = {}
        self._rows_of_parent: dict[int, array[int]] = {}
        self._slots = array("i", bytes(4 * 8))
        self._slots_used = 0
        # Each row's id hash (its low 32 bits, all a slot index uses): growing the slots places
        # every row again, and unpacking and hashing each id for it was about 1 us a row, a
        # pause of 87 ms at 87,000 records.
        self._hashes = array("I")
        self._placed = 0  # rows whose hash has a slot: the others are placed on the next read

    def _intern(self, value: str) -> int:
        index = self._string_index.get(value)
        if index is None:
            quoted = self.layout.quote(value)  # raises as the kind's writer would
            index = self._string_index[value] = len(self._strings)
            self._strings.append(value)
            self._quoted.append(quoted)
        return index

    def _id_of(self, row: int) -> str:
        raw = self._raw.get(row)
        if raw is not None:
            return raw[0]
        start = row * 16
        return _unpack_id(bytes(self._columns[self._id_col][start : start + 16]))

    def _find(self, record_id: str, packed: bytes | None = None) -> int:
        """The live row of ``record_id`` (``packed``: its 16 bytes, when known), or -1."""
        if self._placed < len(self._hashes):
            self._place()
        slots = self._slots
        mask = len(slots) - 1
        i = hash(record_id) & mask
        ids = self._columns[self._id_col]
        raw = self._raw
        while True:
            value = slots[i]
            if value == _EMPTY:
                return -1
            if value > 0:
                row = value - 1
                held = raw.get(row)
                if held is not None:
                    if held[0] == record_id:
                        return row
                else:
                    if packed is None:
                        packed = _pack_id(record_id) or b""
                    # startswith at the row's offset: no slice is copied per probe (an id
                    # that packs to nothing, b"", matches no packed row).
                    if packed and ids.startswith(packed, row * 16):
                        return row
            i = (i + 1) & mask

    def _slot_of(self, record_id: str, row: int) -> int:
        if self._placed < len(self._hashes):
            self._place()
        slots = self._slots
        mask = len(slots) - 1
        i = hash(record_id) & mask
        while slots[i] != row + 1:
            i = (i + 1) & mask
        return i

    def _hash_add(self, record_id: str, row: int) -> None:
        """Index ``row``, the one just appended, by ``record_id``: its hash is kept now, its
        slot taken when the index is next read (:meth:`_place`)."""
        self._hashes.append(hash(record_id) & 0xFFFFFFFF)

    def _place(self) -> None:
        """Give the rows appended since the index was last read their slots.

        A write keeps only its row's hash. A slot is a random place in an array as large as the
        table, a cache miss in a table of usage records, which every answered call writes and
        few readers look up by id: the rows are placed together, when one is first looked up."""
        hashes = self._hashes
        start = self._placed
        end = len(hashes)
        if (self._slots_used + end - start) * 3 > len(self._slots) * 2:
            self._rehash(self._live)
            return
        slots = self._slots
        mask = len(slots) - 1
        used = 0
        # All live: a row is placed before it can be deleted (_kill finds its slot).
        for row in range(start, end):
            i = hashes[row] & mask
            while slots[i] > 0:
                i = (i + 1) & mask
            if slots[i] == _EMPTY:
                used += 1
            slots[i] = row + 1
        self._slots_used += used
        self._placed = end

    def _rehash(self, live: int) -> None:
        size = 8
        while size < 2 * live:
            size *= 2
        slots = self._slots = array("i", bytes(4 * size))
        mask = size - 1
        seqs = self._seqs
        used = 0
        for row, h in enumerate(self._hashes):
            if seqs[row]:
                i = h & mask
                while slots[i]:
                    i = (i + 1) & mask
                slots[i] = row + 1
                used += 1
        self._slots_used = used
        self._placed = len(self._hashes)

    def _append(self, values: Sequence[Any], record_id: str, seq: int, raw: Row | None) -> int:
        row = len(self._seqs)
        for column, kind, value in zip(self._columns, self._types, values, strict=True):
            if kind == "id":
                column.extend(value)
            else:
                column.append(value)
        self._seqs.append(seq)
        if raw is not None:
            self._raw[row] = raw
        account = values[self._account_col]
        rows = self._rows_of_account.get(account)
        if rows is None:
            rows = self._rows_of_account[account] = array("I")
        rows.append(row)
        if self._parent_col >= 0:
            parent = values[self._parent_col]
            rows = self._rows_of_parent.get(parent)
            if rows is None:
                rows = self._rows_of_parent[parent] = array("I")
            rows.append(row)
        self._live += 1
        self._hash_add(record_id, row)
        return row

    def _blank(self, account_id: str, parent: str | None) -> list[Any]:
        """Column values of a record kept as given: only its account and parent are used."""
        values: list[Any] = [bytes(16) if kind == "id" else 0 for kind in self._types]
        values[self._account_col] = self._intern(account_id)
        if self._parent_col >= 0:
            values[self._parent_col] = self._intern(parent if parent is not None else "")
        return values

    def _encode(
        self, record_id: str, account_id: str, body: bytes, parent: str | None
    ) -> list[Any] | None:
        """A record's column values, when its JSON written from them is ``body`` exactly."""
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or list(data) != self.layout.names:
                return None
            values = [
                self._column_value(kind, value, record_id)
                for kind, value in zip(self._types, data.values(), strict=True)
            ]
            if self._strings[values[self._account_col]] != account_id:
                return None
            if self._parent_col >= 0 and self._strings[values[self._parent_col]] != parent:
                return None
            return values if self._render(values) == body else None
        except (ValueError, TypeError, OverflowError):
            # Not JSON, not of the layout, or a value the columns cannot hold: kept as given.
            return None

    def _column_value(self, kind: Column, value: Any, record_id: str) -> Any:
        """A JSON value as its column keeps it (``ValueError``/``TypeError`` if it cannot)."""
        if kind == "id":
            packed = _pack_id(value) if value == record_id else None
            if packed is None:
                raise ValueError(value)
            return packed
        if kind == "str":
            if not isinstance(value, str):
                raise TypeError(value)
            return self._intern(value)
        if kind == "created_at":
            return _micros(datetime.fromisoformat(value))
        if type(value) is not int or not 0 <= value < _UINT_LIMIT:
            raise ValueError(value)
        return value

    def _render(self, values: Sequence[Any], record_id: str | None = None) -> bytes:
        """The JSON of a record from its column values (``record_id``: its id, written as a
        string, when it is not kept as 16 bytes)."""
        parts: list[bytes] = []
        quoted = self._quoted
        for key, kind, value in zip(self.layout._keys, self._types, values, strict=True):
            parts.append(key)
            if kind == "str":
                parts.append(quoted[value])
            elif kind == "uint":
                parts.append(b"%d" % value)
            elif kind == "created_at":
                parts.append(_created_json(value))
            elif record_id is not None:
                parts.append(self.layout.quote(record_id))
            else:
                parts.append(b'"%s"' % _unpack_id(bytes(value)).encode())
        parts.append(b"}")
        return b"".join(parts)

    def _values(self, row: int) -> list[Any]:
        values: list[Any] = []
        for column, kind in zip(self._columns, self._types, strict=True):
            if kind == "id":
                values.append(column[row * 16 : row * 16 + 16])
            else:
                values.append(column[row])
        return values

    def _record(self, row: int) -> Record:
        raw = self._raw.get(row)
        if raw is not None:
            record_id, account_id, body, parent = raw
            return self._record_type(record_id, account_id, self._seqs[row], body, parent)
        values = self._values(row)
        parent_str = self._strings[values[self._parent_col]] if self._parent_col >= 0 else None
        return self._record_type(
            _unpack_id(bytes(values[self._id_col])),
            self._strings[values[self._account_col]],
            self._seqs[row],
            self._render(values),
            parent_str,
        )

    def _rows(self, rows: Iterable[int]) -> list[Record]:
        seqs = self._seqs
        return self._fresh([self._record(row) for row in rows if seqs[row]])

    def _kill(self, row: int) -> Record:
        record = self._record(row)
        slot = self._slot_of(record.id, row)
        self._slots[slot] = _GONE
        self._seqs[row] = 0
        self._raw.pop(row, None)
        self._live -= 1
        return record

    def _compact(self) -> None:
        """Drop deleted rows (once they are more than half the rows), keeping the order."""
        seqs = self._seqs
        dead = len(seqs) - self._live
        if dead < 1024 or dead * 2 < len(seqs):
            return
        kept = [(self._values(row), self._raw.get(row), row) for row in range(len(seqs))]
        old_seqs = seqs
        self._reset()
        for values, raw, row in kept:
            seq = old_seqs[row]
            if seq:
                record_id = raw[0] if raw is not None else _unpack_id(bytes(values[self._id_col]))
                self._append(values, record_id, seq, raw)

    # -- writes ----------------------------------------------------------------------------------

    def new_id(self) -> str:
        """An id no record of this table has (call it under :attr:`lock`)."""
        record_id = self._next_id()
        while self._find(record_id) >= 0:
            record_id = self._next_id()
        return record_id

    def add(self, account_id: str, parent: str | None = None, **fields: str | int) -> str:
        """Store a new record: a new id, ``created_at`` from the table's clock, ``account_id``,
        the parent (when the table has a parent field) and ``fields`` (every other field of the
        layout). Returns the new id; written as the layout writes it, with no JSON built unless
        a listener (a state file) is told of it."""
        with self._lock:
            ids = packed_ids(self._next_id)
            packed: bytes | None
            if ids is not None:
                # 122 random bits from a generator seeded by the OS (clock.random_ids): not
                # looked up, as a lookup would place every row written since the last one.
                record_id, packed = ids()
            else:
                # Any other generator may repeat (a seeded one after a clear, a counter).
                record_id = self._next_id()
                packed = _pack_id(record_id)
                while self._find(record_id, packed) >= 0:
                    record_id = self._next_id()
                    packed = _pack_id(record_id)
            # fields is this call's own dict: the account and parent join it under their names.
            fields["account_id"] = account_id
            if self.parent_field:
                fields[self.parent_field] = parent if parent is not None else ""
            row = self._add_row(self, fields, packed, record_id)
            if row < 0:
                # A value the columns cannot hold: written as the columns would be, with the odd
                # value as it is (the strings are interned already).
                values: list[Any] = []
                for name, kind in self.layout.fields:
                    if kind == "id":
                        values.append(packed)
                    elif kind == "created_at":
                        values.append(_now_micros(self._clock))
                    elif kind == "str":
                        values.append(self._intern(str(fields[name])))
                    else:
                        values.append(fields[name])
                raw = (record_id, account_id, self._render(values, record_id), parent)
                self._seq += 1
                row = self._append(self._blank(account_id, parent), record_id, self._seq, raw)
            if self._listeners:
                record = self._record(row)
                for listener in self._listeners:
                    listener(self.kind, "put", record)
            return record_id

    def create_spliced(
        self, request_json: bytes | memoryview, account_id: str, identity: Any
    ) -> Record:
        """Not a way to write these records: use :meth:`add`."""
        raise NotImplementedError(f"{self.kind} records are written with add()")

    def insert(
        self, record_id: str, account_id: str, body: bytes, parent: str | None = None
    ) -> Record:
        """Store a new record with these exact bytes; ``ValueError`` if the id is taken."""
        with self._lock:
            if self._find(record_id) >= 0:
                raise ValueError(f"a {self.kind} record {record_id!r} exists already")
            values = self._encode(record_id, account_id, body, parent)
            raw: Row | None = None
            if values is None:
                raw = (record_id, account_id, body, parent)
                values = self._blank(account_id, parent)
            self._seq += 1
            self._append(values, record_id, self._seq, raw)
            record = self._record_type(record_id, account_id, self._seq, body, parent)
            for listener in self._listeners:
                listener(self.kind, "put", record)
            return record

    def _put(self, record_id: str, account_id: str, body: bytes, parent: str | None) -> Record:
        with self._transaction():
            if self._find(record_id) >= 0:
                self._remove(record_id)
            return self.insert(record_id, account_id, body, parent)

    def update(self, record_id: str, body: bytes) -> Record:
        """Replace the bytes of an existing record, keeping its place, account and parent."""
        with self._lock:
            row = self._find(record_id)
            if row < 0:
                raise KeyError(record_id)
            old = self._record(row)
            values = self._encode(record_id, old.account_id, body, old.parent)
            if values is None:
                self._raw[row] = (record_id, old.account_id, body, old.parent)
            else:
                self._raw.pop(row, None)
                for column, kind, value in zip(self._columns, self._types, values, strict=True):
                    if kind == "id":
                        column[row * 16 : row * 16 + 16] = value
                    else:
                        column[row] = value
            record = self._record_type(old.id, old.account_id, old.seq, body, old.parent)
            for listener in self._listeners:
                listener(self.kind, "update", record)
            return record

    def modify(self, record_id: str, change: Callable[[Record], bytes | None]) -> Record | None:
        """Find a record and change it, atomically (see :meth:`Table.modify`)."""
        with self._lock:
            row = self._find(record_id)
            if row < 0:
                return None
            record = self._record(row)
            body = change(record)
            if body is None or body == record.body:
                return record
            return self.update(record_id, body)

    def delete(self, record_id: str) -> Record | None:
        """Remove a record; return it, or ``None`` when there was none."""
        with self._lock:
            if self._find(record_id) < 0:
                return None
            return self._remove(record_id)

    def _remove(self, record_id: str) -> Record:
        record = self._kill(self._find(record_id))
        for listener in self._listeners:
            listener(self.kind, "delete", record)
        self._compact()
        return record

    def clear(self, account_id: str | None = None) -> int:
        """Remove every record, or only those of ``account_id``; return how many went."""
        with self._transaction():
            if account_id is None:
                count = self._live
                if self._listeners:
                    for record in self.all():
                        for listener in self._listeners:
                            listener(self.kind, "delete", record)
                self._reset()
                self._strings.clear()
                self._quoted.clear()
                self._string_index.clear()
                return count
            account = self._string_index.get(account_id)
            rows = self._rows_of_account.get(account) if account is not None else None
            if rows is None:
                return 0
            count = 0
            for row in list(rows):
                if self._seqs[row]:
                    record = self._kill(row)
                    count += 1
                    for listener in self._listeners:
                        listener(self.kind, "delete", record)
            self._compact()
            return count

    # -- reads -----------------------------------------------------------------------------------

    def get(self, record_id: str) -> Record | None:
        """The record with ``record_id``, or ``None``."""
        with self._lock:
            row = self._find(record_id)
            if row < 0:
                return None
            record = self._record(row)
        return record if self._refresh is None else self._refresh(record)

    def stored(self, record_id: str) -> Record | None:
        """The record with ``record_id`` as stored, not passed through the refresh hook."""
        with self._lock:
            row = self._find(record_id)
            return None if row < 0 else self._record(row)

    def __len__(self) -> int:
        return self._live

    def __contains__(self, record_id: object) -> bool:
        if not isinstance(record_id, str):
            return False
        with self._lock:  # a lookup places the rows written since the last one
            return self._find(record_id) >= 0

    def all(self, account_id: str | None = None) -> list[Record]:
        """Every record (of ``account_id`` when given), oldest first."""
        with self._lock:
            if account_id is None:
                return self._rows(range(len(self._seqs)))
            account = self._string_index.get(account_id)
            rows = self._rows_of_account.get(account) if account is not None else None
            return [] if rows is None else self._rows(rows)

    def children(self, parent: str) -> list[Record]:
        """Every record whose parent is ``parent``, oldest first."""
        with self._lock:
            index = self._string_index.get(parent)
            rows = self._rows_of_parent.get(index) if index is not None else None
            return [] if rows is None else self._rows(rows)

    def count_children(self, parent: str) -> int:
        """How many records have ``parent`` as their parent."""
        with self._lock:
            index = self._string_index.get(parent)
            rows = self._rows_of_parent.get(index) if index is not None else None
            seqs = self._seqs
            return 0 if rows is None else sum(1 for row in rows if seqs[row])

    def referencing(self, field: str, record_id: str) -> list[Record]:
        """Every record whose ``field`` holds ``record_id``, oldest first (a scan, but for
        the parent field)."""
        with self._lock:
            if field == self.parent_field:
                return self.children(record_id)
            return [r for r in self.all() if r.as_dict().get(field) == record_id]

    def records(
        self, accounts: Collection[str] | None = None, *, parent: str | None = None
    ) -> list[Record]:
        """Every record of ``accounts`` (all when ``None``), of ``parent`` when given, oldest
        first."""
        with self._lock:
            found = self.children(parent) if parent is not None else self.all()
            return found if accounts is None else [r for r in found if r.account_id in accounts]

    def page(
        self,
        accounts: Collection[str] | None,
        page: int,
        limit: int,
        *,
        parent: str | None = None,
    ) -> tuple[list[Record], int]:
        """One page of the records of ``accounts`` (all when ``None``), oldest first, and the
        total count (a scan)."""
        found = self.records(accounts, parent=parent)
        if page < 1 or limit <= 0:
            return [], len(found)
        offset = (page - 1) * limit
        return found[offset : offset + limit], len(found)
