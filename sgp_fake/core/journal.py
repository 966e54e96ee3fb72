"""The request journal: every request a fake received, in order, with what it answered.

Each entry keeps the path decoded (:attr:`JournalEntry.path`, as routes match it) and as sent
(:attr:`JournalEntry.raw_path`, percent-encoded: ``meta-llama%2FLlama-3`` stays one segment);
a path filter finds an entry by either. Each entry also says which operation served it
(``create_model_template``; ``None`` for a path no operation serves), which rule answered it
instead (a fault rule's id, or ``rate-limit``), which scripted response gave its content (an
inference route's), when it arrived, how long it took and which account it was for. Recording
costs next to nothing: the raw ASGI parts are kept as they came, and decoded when an entry is
read.

A large answer (:data:`PACK_ABOVE` bytes or more) is kept packed: a streamed one as its chunks,
each stored as what differs from the chunk before (the events of a stream repeat their framing,
often the prompt too), then compressed; any other compressed. A streamed answer of 0.9 MB of
text (17.5 MB of events) keeps well under a megabyte. ``response_body`` and the admin API give
the same bytes as sent, unpacked when read.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zlib
from array import array
from collections import deque
from itertools import chain, islice
from typing import Any, Callable, Iterator, Mapping, Sequence

from .query import request_account
from .scope import ACCOUNT_SCOPE_KEY, RESPONSE_SCOPE_KEY

__all__ = ["DEFAULT_JOURNAL_LIMIT", "RATE_LIMIT_RULE", "Journal", "JournalEntry"]

RATE_LIMIT_RULE = "rate-limit"
"""The rule an entry names when the rate limit answered it."""

DEFAULT_JOURNAL_LIMIT = 10_000
"""How many entries a journal keeps before dropping the oldest (``None`` keeps all)."""

PACK_ABOVE = 64 * 1024
"""The size from which an answer's body is kept packed (see the module docstring)."""

RawHeaders = Sequence[tuple[bytes, bytes]]
FlatHeaders = tuple[bytes, ...]
"""ASGI headers flattened: name, value, name, value..."""

# What the journal keeps of an entry: a flat tuple of strings, bytes, numbers, flat tuples of
# bytes and str-to-str dicts. The garbage collector stops tracking such a tuple the first time
# it sees it, so thousands of kept entries add nothing to its full collections, which would
# otherwise pause the fake for tens of milliseconds every few thousand requests.
_Row = tuple[
    str,
    str,
    "str | bytes",
    "dict[str, str] | FlatHeaders",
    bytes,
    "int | None",
    "bytes | Packed",
    "dict[str, str] | FlatHeaders",
    "str | None",
    bool,
    "str | None",
    float,
    float,
    "str | None",
    "bytes | str | None",
    "str | None",
]
Packed = tuple[bytes, bytes]
"""A packed body: each chunk's shape (the lengths it shares with the chunk before at its start
and at its end, and of the rest), and the rest of every chunk, both compressed. A tuple of
bytes, so the garbage collector stops tracking the row as it does for the others."""
# Where each field sits in a row. The raw path is kept only when it differs from the path (it
# holds a percent escape): None means the path was sent as it reads.
_METHOD, _PATH, _STATUS, _OPERATION, _RAW_PATH = 0, 1, 5, 10, 14


def _maybe_json(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _shared_start(a: bytes, b: bytes, guess: int) -> int:
    """The length of the common start of ``a`` and ``b``; ``guess`` (the last chunk's) first,
    so a stream whose events share their framing costs a comparison or two per chunk."""
    most = min(len(a), len(b))
    low = min(guess, most)
    if a[:low] != b[:low]:
        low, high = 0, low  # the answer is below the guess: search for it
        while low < high:
            middle = (low + high + 1) // 2
            if a[:middle] == b[:middle]:
                low = middle
            else:
                high = middle - 1
        return low
    while low < most and a[low] == b[low]:
        low += 1
    return low


def _shared_end(a: bytes, b: bytes, most: int) -> int:
    """The length of the common end of ``a`` and ``b``, at most ``most``."""
    length = 0
    while length < most and a[-1 - length] == b[-1 - length]:
        length += 1
    return length


def _pack(chunks: Sequence[bytes]) -> bytes | Packed:
    """An answer's body as the journal keeps it: as is when small, else packed."""
    if sum(map(len, chunks)) < PACK_ABOVE:
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    shapes = array("I")
    rest: list[bytes] = []
    previous = b""
    start = 0
    for chunk in chunks:
        start = _shared_start(previous, chunk, start)
        end = _shared_end(previous, chunk, min(len(previous), len(chunk)) - start)
        rest.append(chunk[start : len(chunk) - end])
        shapes.extend((start, end, len(chunk) - start - end))
        previous = chunk
    return zlib.compress(shapes.tobytes(), 1), zlib.compress(b"".join(rest), 1)


def _unpack(packed: bytes | Packed) -> bytes:
    """The body as sent."""
    if isinstance(packed, bytes):
        return packed
    shapes = array("I")
    shapes.frombytes(zlib.decompress(packed[0]))
    rest = zlib.decompress(packed[1])
    chunks: list[bytes] = []
    previous = b""
    at = 0
    for index in range(0, len(shapes), 3):
        start, end, length = shapes[index], shapes[index + 1], shapes[index + 2]
        chunk = previous[:start] + rest[at : at + length] + (previous[-end:] if end else b"")
        at += length
        chunks.append(chunk)
        previous = chunk
    return b"".join(chunks)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):  # 1e999: valid JSON, no finite float
        raise ValueError(f"{text} overflows a float")
    return number


def _json_view(data: bytes) -> Any:
    """A body as the journal's JSON shows it: decoded when it is JSON whose numbers are all
    finite floats; otherwise (not JSON, ``1e999``, ``NaN``) its raw text, so that the listing
    of every entry is valid JSON and the body is shown as it was sent."""
    if data:
        try:
            decoded = json.loads(data, parse_float=_finite_float, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            decoded = None
        if decoded is not None and not _LONE_SURROGATE.search(data):
            return decoded  # a JSON null body is shown as its text, "null"
        if decoded is not None and _utf8(decoded):
            return decoded
    return data.decode("utf-8", "replace")


_LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate: a lone one decodes to a string UTF-8 cannot carry."""


def _utf8(decoded: Any) -> bool:
    """Whether ``decoded`` can be written as UTF-8 JSON (an escaped surrogate may be half a
    pair: valid JSON, which no UTF-8 answer can hold; the journal shows its text instead)."""
    try:
        json.dumps(decoded, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def _sent_form(path: str) -> bytes | None:
    """``path`` as a raw path would read (``None``: no raw path can, it is not Latin-1)."""
    try:
        return path.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _decode_headers(flat: FlatHeaders) -> dict[str, str]:
    return {
        k.decode("latin-1"): v.decode("latin-1") for k, v in zip(flat[::2], flat[1::2], strict=True)
    }


class JournalEntry:
    """One request and its answer; read-only.

    ``body`` and ``response_body`` are the raw bytes; :attr:`json` and :attr:`response_json`
    decode them (``None`` when empty or not JSON). :attr:`sequence` numbers the entry within its
    journal; equality compares the exchanges only, not their numbers, times or operations.
    """

    # Every request is journaled, most entries are never read: the app hands over the raw ASGI
    # query and headers, and they are decoded on first access (about a third of a request's
    # bookkeeping otherwise).
    __slots__ = (
        "_account",
        "_body",
        "_decoded",
        "_duration",
        "_headers",
        "_method",
        "_operation",
        "_path",
        "_query",
        "_raw_path",
        "_response",
        "_response_body",
        "_response_headers",
        "_rule",
        "_sequence",
        "_status",
        "_timed_out",
        "_timestamp",
    )

    def __init__(  # noqa: PLR0917 - the positional order of the former dataclass
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        status: int | None,
        response_body: bytes,
        response_headers: dict[str, str] | None = None,
        fault: str | None = None,
        timed_out: bool = False,
        sequence: int = 0,
        *,
        operation: str | None = None,
        timestamp: float = 0.0,
        duration: float = 0.0,
        rule: str | None = None,
        response: str | None = None,
        raw_path: str | None = None,
        account: str | None = None,
    ) -> None:
        self._sequence = sequence
        self._method = method
        self._path = path
        self._query: str | bytes = query
        self._headers: dict[str, str] | FlatHeaders = headers
        self._decoded: dict[str, str] | None = None
        self._body = body
        self._status = status
        self._response_body: bytes | Packed = response_body
        self._response_headers: dict[str, str] | FlatHeaders = (
            {} if response_headers is None else response_headers
        )
        self._rule = rule if rule is not None else fault
        self._timed_out = timed_out
        self._operation = operation
        self._timestamp = timestamp
        self._duration = duration
        self._response = response
        self._raw_path: bytes | str | None = None if raw_path == path else raw_path
        self._account = account

    def _as_row(self) -> _Row:
        return (
            self._method,
            self._path,
            self._query,
            self._headers,
            self._body,
            self._status,
            self._response_body,
            self._response_headers,
            self._rule,
            self._timed_out,
            self._operation,
            self._timestamp,
            self._duration,
            self._response,
            self._raw_path,
            self._account,
        )

    @classmethod
    def _from_row(cls, row: _Row, sequence: int = 0) -> JournalEntry:
        entry = cls.__new__(cls)
        entry._sequence = sequence
        entry._decoded = None
        (
            entry._method,
            entry._path,
            entry._query,
            entry._headers,
            entry._body,
            entry._status,
            entry._response_body,
            entry._response_headers,
            entry._rule,
            entry._timed_out,
            entry._operation,
            entry._timestamp,
            entry._duration,
            entry._response,
            entry._raw_path,
            entry._account,
        ) = row
        return entry

    @property
    def sequence(self) -> int:
        """The entry's number in its journal: 1 for the first request, then one more for each.

        Numbers are never reused while the journal lives, not even after :meth:`Journal.clear`
        or once the size limit dropped older entries (0 for an entry built by hand).
        """
        return self._sequence

    @property
    def method(self) -> str:
        """The request method, upper case."""
        return self._method

    @property
    def path(self) -> str:
        """The request path, without the query string, percent-decoded (as routes match it:
        ``/v4/models/meta-llama/Llama-3/usage-statistics``)."""
        return self._path

    @property
    def raw_path(self) -> str:
        """The request path as sent, percent-encoded, without the query string
        (``/v4/models/meta-llama%2FLlama-3/usage-statistics``); :attr:`path` when it holds no
        percent escape."""
        raw = self._raw_path
        if raw is None:
            return self._path
        if isinstance(raw, bytes):
            raw = self._raw_path = raw.decode("latin-1")
        return raw

    @property
    def query(self) -> str:
        """The raw query string (``""`` when there was none)."""
        query = self._query
        if isinstance(query, bytes):
            query = self._query = query.decode("latin-1")
        return query

    @property
    def headers(self) -> dict[str, str]:
        """The request headers, names lower case (the last of repeated names wins)."""
        decoded = self._decoded
        if decoded is None:
            headers = self._headers
            decoded = self._decoded = (
                headers if isinstance(headers, dict) else _decode_headers(headers)
            )
        return decoded

    @property
    def body(self) -> bytes:
        """The request body as received."""
        return self._body

    @property
    def status(self) -> int | None:
        """The answer's status; ``None`` when no answer was started."""
        return self._status

    @property
    def response_body(self) -> bytes:
        """The answer's body as sent."""
        return _unpack(self._response_body)

    @property
    def response_headers(self) -> dict[str, str]:
        """The answer's headers, names lower case."""
        headers = self._response_headers
        if not isinstance(headers, dict):
            headers = self._response_headers = _decode_headers(headers)
        return headers

    @property
    def fault(self) -> str | None:
        """The id of the fault rule that shaped the answer, if any."""
        rule = self._rule
        return None if rule == RATE_LIMIT_RULE else rule

    @property
    def rule(self) -> str | None:
        """What answered instead of the operation's own answer: a fault rule's id, or
        ``rate-limit``; else the scripted response that gave the content (:attr:`response`)."""
        return self._rule if self._rule is not None else self._response

    @property
    def response(self) -> str | None:
        """The id of the scripted response that gave the answer's content, if one did (an
        inference route's; see ``SGPFake.responses``)."""
        return self._response

    @property
    def operation(self) -> str | None:
        """The name of the operation that served the request (``None``: no route did)."""
        return self._operation

    @property
    def timestamp(self) -> float:
        """When the request arrived, in seconds since the epoch (0 for an entry built by hand)."""
        return self._timestamp

    @property
    def duration(self) -> float:
        """How long the fake took, in seconds, from the request to its answer."""
        return self._duration

    @property
    def account(self) -> str | None:
        """The account the call acted for, as fault rules and scripted responses match it: the
        one the request names (a create's body ``account_id``, else the query's, else
        ``x-selected-account-id``), else the account of the record its path names (an
        inference call's deployment)."""
        named = request_account(self.method, self._query, self._raw_header, self.body)
        return named if named is not None else self._account

    def _raw_header(self, name: bytes) -> str | None:
        # The first value, as the endpoints and the fault matcher read a header.
        headers = self._headers
        if isinstance(headers, dict):
            return headers.get(name.decode("latin-1"))
        for key, value in zip(headers[::2], headers[1::2], strict=True):
            if key == name:
                return value.decode("latin-1")
        return None

    @property
    def timed_out(self) -> bool:
        """Whether the client gave up before the answer: its read timeout passed (in process),
        or it closed its connection during an injected latency (over a socket).

        The client then got its timeout error, not :attr:`status` and :attr:`response_body`,
        which are what the fake answered regardless: the request was handled all the same. A
        client that gives up during a stream's stall, or after the answer began, is not marked.
        """
        return self._timed_out

    def _key(self) -> tuple[Any, ...]:
        return (
            self.method,
            self.path,
            self.query,
            self.headers,
            self.body,
            self.status,
            self.response_body,
            self.response_headers,
            self.fault,
            self.timed_out,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JournalEntry):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"JournalEntry(sequence={self.sequence!r}, "
            f"method={self.method!r}, path={self.path!r}, query={self.query!r}, "
            f"headers={self.headers!r}, body={self.body!r}, status={self.status!r}, "
            f"response_body={self.response_body!r}, response_headers={self.response_headers!r}, "
            f"fault={self.fault!r}, timed_out={self.timed_out!r})"
        )

    @property
    def json(self) -> Any:
        """The request body, decoded from JSON, or ``None``."""
        return _maybe_json(self.body)

    @property
    def response_json(self) -> Any:
        """The response body, decoded from JSON, or ``None``."""
        return _maybe_json(self.response_body)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view, as ``GET /_fake/requests`` answers it."""
        return {
            "sequence": self.sequence,
            "method": self.method,
            "path": self.path,
            "raw_path": self.raw_path,
            "query": self.query,
            "headers": self.headers,
            "body": _json_view(self.body),
            "status": self.status,
            "response_headers": self.response_headers,
            "response_body": _json_view(self.response_body),
            "fault": self.fault,
            "rule": self.rule,
            "response": self.response,
            "timed_out": self.timed_out,
            "operation": self.operation,
            "timestamp": self.timestamp,
            "duration": self.duration,
            "account": self.account,
        }


class Journal:
    """Thread-safe, ordered record of requests, oldest first.

    Keeps at most ``limit`` entries (``None`` for no limit), dropping the oldest. Entries are
    numbered from 1 in the order they are recorded (:attr:`JournalEntry.sequence`); the numbers
    go on across :meth:`clear` and dropped entries, so a reader can page with
    :meth:`entries_after`.
    """

    def __init__(
        self,
        limit: int | None = DEFAULT_JOURNAL_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        #: Where entries' times come from (seconds since the epoch): a fake sets its own
        #: clock's ``now``, so the journal and the records tell the same time.
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: deque[_Row] = deque(maxlen=limit)
        # How many entries were ever recorded: the newest kept entry has this number, and the
        # kept ones are numbered consecutively up to it, so no number is stored per entry.
        self._recorded = 0

    @property
    def recording(self) -> bool:
        """Whether :meth:`record` keeps anything (a limit of 0 keeps nothing)."""
        return self._entries.maxlen != 0

    def record(self, entry: JournalEntry) -> None:
        """Append an entry."""
        self._append(entry._as_row())

    def record_asgi(  # noqa: PLR0917 - the row's fields, in its order
        self,
        method: str,
        path: str,
        query: bytes,
        headers: RawHeaders,
        body: bytes,
        status: int | None,
        response_body: bytes,
        response_headers: RawHeaders,
        fault: str | None = None,
        timed_out: bool = False,
        operation: str | None = None,
        duration: float = 0.0,
        response: str | None = None,
        raw_path: bytes | None = None,
    ) -> None:
        """Append an exchange given as raw ASGI parts: the query string and header lists as
        the server passed them, decoded only when the entry is read.

        ``fault`` names the rule that answered (a fault's id, or :data:`RATE_LIMIT_RULE`),
        ``operation`` the operation that served the request, ``duration`` how long it took (the
        entry's timestamp is now less that), ``response`` the scripted response that gave its
        content, ``raw_path`` the path as sent (the ASGI ``raw_path``). The app journals every
        request this way, without building a
        :class:`JournalEntry`: most entries are never read.
        """
        self.record_exchange(
            method,
            path,
            query,
            headers,
            body,
            status,
            response_body,
            response_headers,
            fault,
            timed_out,
            operation,
            duration,
            response,
            raw_path=raw_path,
        )

    def record_exchange(  # noqa: PLR0917 - the row's fields, in its order
        self,
        method: str,
        path: str,
        query: bytes,
        headers: RawHeaders,
        body: bytes,
        status: int | None,
        response_body: bytes | list[bytes],
        response_headers: RawHeaders,
        fault: str | None = None,
        timed_out: bool = False,
        operation: str | None = None,
        duration: float = 0.0,
        response: str | None = None,
        *,
        account: str | None = None,
        raw_path: bytes | None = None,
    ) -> None:
        """:meth:`record_asgi`, where ``response_body`` may be a streamed answer's chunks (kept
        packed when large) and ``account`` is the account of the record the path names (see
        :attr:`JournalEntry.account`)."""
        scope: dict[str, Any] = {
            "method": method,
            "path": path,
            "query_string": query,
            "headers": headers,
            "raw_path": raw_path,
            RESPONSE_SCOPE_KEY: response,
            ACCOUNT_SCOPE_KEY: account,
        }
        self.record_request(
            scope, body, status, response_body, response_headers, fault, timed_out, operation,
            duration,
        )  # fmt: skip

    def record_request(  # noqa: PLR0917 - the exchange's parts, in the app's order
        self,
        scope: Mapping[str, Any],
        body: bytes,
        status: int | None,
        response_body: bytes | list[bytes],
        response_headers: RawHeaders,
        rule: str | None,
        timed_out: bool,
        operation: str | None,
        duration: float,
    ) -> None:
        """:meth:`record_exchange` with the request's parts read from its ASGI ``scope``
        (method, path, query, headers, raw path, and the fake's own keys: the account and the
        scripted response).

        What the app journals every request with: the row is built here, in one step, because
        in a busy server each call and argument on this path costs several times what it does
        in a loop measuring it alone. Nothing is built when the journal keeps nothing."""
        if self._entries.maxlen == 0:
            return
        raw_path = scope.get("raw_path")
        row = (
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            tuple(chain.from_iterable(scope["headers"])),
            body,
            status,
            _pack(response_body) if isinstance(response_body, list) else response_body,
            tuple(chain.from_iterable(response_headers)),
            rule,
            timed_out,
            operation,
            self.clock() - duration,
            duration,
            scope.get(RESPONSE_SCOPE_KEY),
            raw_path if raw_path is not None and b"%" in raw_path else None,
            scope.get(ACCOUNT_SCOPE_KEY),
        )
        with self._lock:
            self._entries.append(row)
            self._recorded += 1

    def _append(self, row: _Row) -> None:
        with self._lock:
            self._entries.append(row)
            self._recorded += 1

    def clear(self) -> None:
        """Forget every entry (the numbering goes on)."""
        with self._lock:
            self._entries.clear()

    @property
    def last_sequence(self) -> int:
        """The number of the newest entry ever recorded; 0 before the first."""
        return self._recorded

    def _numbered(self) -> tuple[list[_Row], int]:
        """A snapshot of the kept rows and the number of the first one."""
        with self._lock:
            return list(self._entries), self._recorded - len(self._entries) + 1

    def entries_after(self, sequence: int, limit: int | None = None) -> list[JournalEntry]:
        """The entries numbered above ``sequence``, oldest first; at most the oldest ``limit``.

        Pass the :attr:`~JournalEntry.sequence` of the last entry read to get the next ones.
        """
        with self._lock:
            first = self._recorded - len(self._entries) + 1
            start = min(max(sequence + 1 - first, 0), len(self._entries))
            stop = len(self._entries) if limit is None else min(start + limit, len(self._entries))
            rows = list(islice(self._entries, start, stop))
        return [JournalEntry._from_row(row, first + start + i) for i, row in enumerate(rows)]

    def entries(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> list[JournalEntry]:
        """The entries, oldest first, optionally only those with this method, path or status.

        ``path`` is that of the request decoded (:attr:`JournalEntry.path`) or as sent
        (:attr:`JournalEntry.raw_path`): ``/v4/models/meta-llama%2FLlama-3/usage-statistics``
        finds the calls the SDK sent for the model ``meta-llama/Llama-3``.
        """
        snapshot, first = self._numbered()
        wanted = None if method is None else method.upper()
        sent = None if path is None else _sent_form(path)
        return [
            JournalEntry._from_row(row, sequence)
            for sequence, row in enumerate(snapshot, first)
            if (wanted is None or row[_METHOD] == wanted)
            and (path is None or row[_PATH] == path or _sent_as(row[_RAW_PATH], path, sent))
            and (status is None or row[_STATUS] == status)
        ]

    def calls(self, operation: str) -> list[JournalEntry]:
        """The entries an operation served, oldest first: ``calls("create_model_template")``.

        Operation names are those of ``/openapi.json`` (its ``operationId``s).
        """
        snapshot, first = self._numbered()
        return [
            JournalEntry._from_row(row, sequence)
            for sequence, row in enumerate(snapshot, first)
            if row[_OPERATION] == operation
        ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many entries match ``method`` and ``path`` (decoded or as sent, as in
        :meth:`entries`)."""
        return len(self.entries(method, path))

    def last(self, method: str | None = None, path: str | None = None) -> JournalEntry:
        """The newest matching entry; ``LookupError`` when there is none."""
        matching = self.entries(method, path)
        if not matching:
            raise LookupError(f"no request matching method={method!r} path={path!r} in the journal")
        return matching[-1]

    @property
    def creates(self) -> list[JournalEntry]:
        """Every create, of any resource (the operations named ``create_...``), oldest first."""
        snapshot, first = self._numbered()
        return [
            JournalEntry._from_row(row, sequence)
            for sequence, row in enumerate(snapshot, first)
            if str(row[_OPERATION] or "").startswith("create_")
        ]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __getitem__(self, index: int) -> JournalEntry:
        return self.entries()[index]


def _sent_as(raw: object, path: str, sent: bytes | None) -> bool:
    """Whether a row's raw path (kept as the server gave it, or decoded once read) is ``path``."""
    if raw is None:
        return False
    return raw == path if isinstance(raw, str) else raw == sent
