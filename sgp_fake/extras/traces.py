"""Traces as trees: what a test reads of the spans the fake received, without HTTP.

Generic over records: any table whose stored schema has ``id``, ``trace_id``, ``parent_id``
and ``start_timestamp`` fields holds spans (the v5 spans do). A trace is the spans of one
``trace_id`` in one account; its roots are the spans without a parent in it, each node's
children are in start order. ``fake.traces`` (:class:`Traces`) finds traces by id, by root
name or the last one; :meth:`SpanNode.assert_shape`, :meth:`SpanNode.find` and
:meth:`SpanNode.errors` make the common assertions one line. The admin API serves the same
trees at ``GET /_fake/traces`` and ``GET /_fake/traces/{trace_id}`` for other languages
(:mod:`sgp_fake.extras.admin.traces`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence, Union

from ..core.answers import json_bytes
from ..errors import needs_sdk

if TYPE_CHECKING:
    from ..core.table import Record, Table

__all__ = [
    "Shape",
    "SpanNode",
    "Trace",
    "Traces",
    "build",
    "init_tracing",
    "save_tracing",
    "span_kinds",
]

SPAN_FIELDS = frozenset({"id", "trace_id", "parent_id", "start_timestamp"})
"""The fields that make a record a span."""

Shape = Union[str, tuple[str, Sequence["Shape"]]]
"""A tree's names: a leaf's name, or ``(name, [children's shapes])``."""


def span_kinds(tables: Mapping[str, Table[Any]]) -> list[str]:
    """The kinds whose records are spans (see the module docstring)."""
    return [kind for kind, table in tables.items() if set(table.schema.model_fields) >= SPAN_FIELDS]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


@dataclass(eq=False)
class SpanNode:
    """One span and its children (in start order)."""

    data: dict[str, Any]
    seq: int = 0
    children: list[SpanNode] = field(default_factory=list)

    # -- what the span says ----------------------------------------------------------------

    @property
    def id(self) -> str:
        """The span's id."""
        return str(self.data["id"])

    @property
    def name(self) -> str:
        """The span's name."""
        return str(self.data.get("name", ""))

    @property
    def type(self) -> str | None:
        """The span's type (``TRACER``, ``COMPLETION``...)."""
        return self.data.get("type")

    @property
    def status(self) -> str | None:
        """``SUCCESS``, ``ERROR``, ``CANCELED`` or ``None``."""
        return self.data.get("status")

    @property
    def parent_id(self) -> str | None:
        """The parent's id, ``None`` for a root."""
        return self.data.get("parent_id")

    @property
    def input(self) -> dict[str, Any]:
        """The span's input (``{}`` when it has none)."""
        return dict(self.data.get("input") or {})

    @property
    def output(self) -> dict[str, Any]:
        """The span's output (``{}`` when it has none)."""
        return dict(self.data.get("output") or {})

    @property
    def metadata(self) -> dict[str, Any]:
        """The span's metadata (``{}`` when it has none)."""
        return dict(self.data.get("metadata") or {})

    @property
    def start(self) -> datetime | None:
        """When it started."""
        return _time(self.data.get("start_timestamp"))

    @property
    def end(self) -> datetime | None:
        """When it ended; ``None`` while in progress."""
        return _time(self.data.get("end_timestamp"))

    @property
    def duration_ms(self) -> float | None:
        """How long it took, in milliseconds; ``None`` while in progress."""
        start, end = self.start, self.end
        return None if start is None or end is None else (end - start).total_seconds() * 1000

    @property
    def is_error(self) -> bool:
        """Whether it failed: status ``ERROR``, or the tracing library's ``error`` metadata."""
        return self.status == "ERROR" or self.metadata.get("error") is True

    @property
    def error_type(self) -> str | None:
        """The exception class the tracing library recorded (``metadata.error_type``)."""
        return self.metadata.get("error_type")

    @property
    def error_message(self) -> str | None:
        """The exception message the tracing library recorded (``metadata.error_message``)."""
        return self.metadata.get("error_message")

    # -- the tree --------------------------------------------------------------------------

    # The tree is walked with a list of what is left, never by recursion: a trace may be a
    # chain thousands of spans deep (a batch holds 1,000, and batches add to a trace).

    def walk(self) -> Iterator[SpanNode]:
        """This span and every descendant, depth first, children in start order."""
        pending = [self]
        while pending:
            node = pending.pop()
            yield node
            pending.extend(reversed(node.children))

    def _levels(self) -> Iterator[tuple[SpanNode, int]]:
        """:meth:`walk` with each span's depth below this one."""
        pending = [(self, 0)]
        while pending:
            node, depth = pending.pop()
            yield node, depth
            pending.extend((child, depth + 1) for child in reversed(node.children))

    def _folded(self, fold: Callable[[SpanNode, list[Any]], Any]) -> Any:
        """``fold(node, [its children's results])``, from the leaves up."""
        done: dict[int, Any] = {}
        pending: list[tuple[SpanNode, bool]] = [(self, False)]
        while pending:
            node, expanded = pending.pop()
            if expanded or not node.children:
                done[id(node)] = fold(node, [done.pop(id(c)) for c in node.children])
            else:
                pending.append((node, True))
                pending.extend((child, False) for child in node.children)
        return done[id(self)]

    def names(self) -> list[str]:
        """The names of :meth:`walk`, in its order."""
        return [node.name for node in self.walk()]

    def find_all(self, name: str) -> list[SpanNode]:
        """Every span of this tree named ``name``, in :meth:`walk` order."""
        return [node for node in self.walk() if node.name == name]

    def find(self, name: str) -> SpanNode:
        """The first span of this tree named ``name``; ``AssertionError`` (listing the names
        there are) when none is."""
        found = self.find_all(name)
        if not found:
            raise AssertionError(f"no span named {name!r}; the tree:\n{self.pretty()}")
        return found[0]

    def errors(self) -> list[SpanNode]:
        """The spans of this tree that failed (:attr:`is_error`), in :meth:`walk` order."""
        return [node for node in self.walk() if node.is_error]

    def shape(self) -> Shape:
        """The tree's names: ``name`` for a leaf, ``(name, [children's shapes])`` otherwise."""
        shape: Shape = self._folded(lambda node, kids: (node.name, kids) if kids else node.name)
        return shape

    def assert_shape(self, expected: Shape) -> None:
        """``AssertionError`` (showing the tree) unless :meth:`shape` is ``expected`` (lists
        and tuples alike)."""
        if _normal(self.shape()) != _normal(expected):
            raise AssertionError(
                f"the tree's shape is {self.shape()!r}, not {expected!r}:\n{self.pretty()}"
            )

    def line(self) -> str:
        """This span as one line of :meth:`pretty`: name, type, status (errors marked) and
        duration."""
        took = self.duration_ms
        timing = "in progress" if took is None else f"{took:.1f} ms"
        mark = (
            f" !! {self.error_type or 'ERROR'}: {self.error_message or ''}" if self.is_error else ""
        )
        return f"{self.name} [{self.type or '-'}, {self.status or '-'}, {timing}]{mark}"

    def pretty(self, indent: int = 0) -> str:
        """The tree as indented text, a :meth:`line` per span."""
        return "\n".join(f"{'  ' * (indent + d)}{node.line()}" for node, d in self._levels())

    def _fields(self) -> dict[str, Any]:
        return {**self.data, "duration_ms": self.duration_ms, "error": self.is_error}

    def to_dict(self) -> dict[str, Any]:
        """The tree as JSON-ready data: the span's fields, ``duration_ms``, ``error`` and
        ``children``."""
        tree: dict[str, Any] = self._folded(lambda node, kids: {**node._fields(), "children": kids})
        return tree

    def to_json(self) -> bytes:
        """:meth:`to_dict` as compact JSON, written span by span: a tree deeper than the JSON
        encoder's nesting limit is written too."""
        out: list[bytes] = []
        pending: list[SpanNode | bytes] = [self]
        while pending:
            item = pending.pop()
            if isinstance(item, bytes):
                out.append(item)
                continue
            fields = json_bytes({**item._fields(), "children": []})
            out.append(fields[: -len(b"[]}")] + b"[")  # the children go in their place
            pending.append(b"]}")
            for position, child in enumerate(reversed(item.children)):
                pending.append(child)
                if position < len(item.children) - 1:
                    pending.append(b",")
        return b"".join(out)


def _normal(shape: Any) -> list[Any]:
    """A shape as a flat list of marks (lists and tuples alike), walked without recursion."""
    marks: list[Any] = []
    pending = [shape]
    while pending:
        item = pending.pop()
        if isinstance(item, str) or item is _CLOSE:
            marks.append(item)
            continue
        name, children = item
        marks += [_OPEN, name]
        pending.append(_CLOSE)
        pending.extend(reversed(list(children)))
    return marks


_OPEN, _CLOSE = object(), object()


@dataclass(eq=False)
class Trace:
    """The spans of one trace of one account, as trees."""

    trace_id: str
    account_id: str
    roots: list[SpanNode]
    spans: list[SpanNode]

    @property
    def root(self) -> SpanNode:
        """The trace's root span (the first to start when it has several)."""
        if not self.roots:
            raise AssertionError(f"trace {self.trace_id} has no span")
        return self.roots[0]

    @property
    def name(self) -> str:
        """The root's name."""
        return self.root.name

    def __len__(self) -> int:
        return len(self.spans)

    def walk(self) -> Iterator[SpanNode]:
        """Every span, root by root, depth first."""
        for root in self.roots:
            yield from root.walk()

    def to_json(self) -> bytes:
        """:meth:`to_dict` as compact JSON, however deep its trees are."""
        head = json_bytes({**self.summary(), "roots": []})[: -len(b"[]}")]
        return head + b"[" + b",".join(root.to_json() for root in self.roots) + b"]}"

    def names(self) -> list[str]:
        """The names of :meth:`walk`, in its order."""
        return [node.name for node in self.walk()]

    def find_all(self, name: str) -> list[SpanNode]:
        """Every span named ``name``."""
        return [node for node in self.walk() if node.name == name]

    def find(self, name: str) -> SpanNode:
        """The first span named ``name`` (``AssertionError`` when none is)."""
        found = self.find_all(name)
        if not found:
            raise AssertionError(
                f"no span named {name!r} in trace {self.trace_id}:\n{self.pretty()}"
            )
        return found[0]

    def errors(self) -> list[SpanNode]:
        """The spans that failed."""
        return [node for node in self.walk() if node.is_error]

    def shape(self) -> Shape:
        """The root's shape (see :meth:`SpanNode.shape`)."""
        return self.root.shape()

    def assert_shape(self, expected: Shape) -> None:
        """``AssertionError`` unless the trace has one root and its shape is ``expected``."""
        if len(self.roots) != 1:
            raise AssertionError(
                f"trace {self.trace_id} has {len(self.roots)} roots:\n{self.pretty()}"
            )
        self.root.assert_shape(expected)

    def pretty(self) -> str:
        """Every root's tree as indented text."""
        return "\n".join(root.pretty() for root in self.roots)

    def summary(self) -> dict[str, Any]:
        """What ``GET /_fake/traces`` lists of it."""
        root = self.roots[0] if self.roots else None
        return {
            "trace_id": self.trace_id,
            "account_id": self.account_id,
            "name": None if root is None else root.name,
            "status": None if root is None else root.status,
            "start_timestamp": None if root is None else root.data.get("start_timestamp"),
            "duration_ms": None if root is None else root.duration_ms,
            "span_count": len(self.spans),
            "error_count": len(self.errors()),
        }

    def to_dict(self) -> dict[str, Any]:
        """The trace as JSON-ready data: :meth:`summary` and its ``roots`` as trees."""
        return {**self.summary(), "roots": [root.to_dict() for root in self.roots]}


def _start_key(node: SpanNode) -> tuple[Any, ...]:
    start = node.start
    return (start is None, start or datetime.min.replace(tzinfo=UTC), node.seq)


def build(trace_id: str, account_id: str, records: Sequence[Record]) -> Trace:
    """The trace of ``records`` (spans of one trace and account)."""
    nodes = [SpanNode(json.loads(record.body), record.seq) for record in records]
    by_id: dict[str, SpanNode] = {}
    for node in nodes:
        by_id.setdefault(node.id, node)
    roots: list[SpanNode] = []
    for node in nodes:
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.children.append(node)
    _break_cycles(nodes, roots, by_id)
    for node in nodes:
        node.children.sort(key=_start_key)
    roots.sort(key=_start_key)
    return Trace(trace_id, account_id, roots, sorted(nodes, key=_start_key))


def _break_cycles(
    nodes: Sequence[SpanNode], roots: list[SpanNode], by_id: Mapping[str, SpanNode]
) -> None:
    """Spans whose parents form a cycle (which the API refuses, but a state file of an older
    version may hold) reach no root: the first of each cycle to start becomes one, so every
    span is in the tree once and reading it ends."""
    reached: set[int] = set()

    def reach(start: SpanNode) -> None:
        pending = [start]
        while pending:
            node = pending.pop()
            if id(node) not in reached:
                reached.add(id(node))
                pending.extend(node.children)

    for root in roots:
        reach(root)
    for node in sorted(nodes, key=_start_key):
        if id(node) in reached:
            continue
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        if parent is not None:
            parent.children.remove(node)
        roots.append(node)
        reach(node)


class Traces:
    """The traces a fake holds (``fake.traces``), read as trees when asked for.

    ``flush`` (the tracing library's ``flush_queue``, see :func:`init_tracing`) is called
    before every read, so what was traced has arrived when it is read.
    """

    def __init__(
        self, tables: Mapping[str, Table[Any]], flush: Callable[[], None] | None = None
    ) -> None:
        self._tables = tables
        self._flush = flush

    def flush(self) -> None:
        """Deliver what the tracing library still queues (nothing without ``flush``)."""
        if self._flush is not None:
            self._flush()

    def _records(self, trace_id: str | None = None) -> list[Record]:
        self.flush()
        found: list[Record] = []
        for kind in span_kinds(self._tables):
            table = self._tables[kind]
            found.extend(
                table.all() if trace_id is None else table.referencing("trace_id", trace_id)
            )
        return found

    def all(self, account_id: str | None = None) -> list[Trace]:
        """Every trace (of ``account_id`` when given), the one whose root started first
        first."""
        groups: dict[tuple[str, str], list[Record]] = {}
        for record in self._records():
            if account_id is None or record.account_id == account_id:
                trace_id = json.loads(record.body)["trace_id"]
                groups.setdefault((record.account_id, trace_id), []).append(record)
        traces = [build(tid, account, records) for (account, tid), records in groups.items()]
        traces.sort(key=lambda t: _start_key(t.roots[0]))
        return traces

    def __iter__(self) -> Iterator[Trace]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.all())

    def get(self, trace_id: str, account_id: str | None = None) -> Trace:
        """The trace ``trace_id`` (``KeyError`` when no span has it; ``ValueError`` when
        several accounts have one and ``account_id`` says not which)."""
        records = self._records(trace_id)
        if account_id is not None:
            records = [r for r in records if r.account_id == account_id]
        accounts = {r.account_id for r in records}
        if not records:
            raise KeyError(f"no span of trace {trace_id!r}")
        if len(accounts) > 1:
            raise ValueError(
                f"trace {trace_id!r} is in accounts {sorted(accounts)}: pass account_id"
            )
        return build(trace_id, records[0].account_id, records)

    def __getitem__(self, trace_id: str) -> Trace:
        return self.get(trace_id)

    def named(self, name: str, account_id: str | None = None) -> list[Trace]:
        """The traces whose root is named ``name``, first started first."""
        return [t for t in self.all(account_id) if t.roots and t.root.name == name]

    def last(self, name: str | None = None, account_id: str | None = None) -> Trace:
        """The trace whose root started last (named ``name`` when given); ``AssertionError``
        when there is none."""
        traces = self.all(account_id) if name is None else self.named(name, account_id)
        if not traces:
            what = "no trace" if name is None else f"no trace named {name!r}"
            raise AssertionError(f"{what} was received")
        return traces[-1]

    def errors(self, account_id: str | None = None) -> list[SpanNode]:
        """Every span that failed, trace by trace."""
        return [node for trace in self.all(account_id) for node in trace.errors()]

    def spans(self, account_id: str | None = None) -> list[SpanNode]:
        """Every span, trace by trace, each trace's in start order."""
        return [node for trace in self.all(account_id) for node in trace.spans]


def init_tracing(
    fake: Any,
    account_id: str | None = None,
    api_key: str = "test-api-key",
    *,
    retry_backoff: float = 0.001,
    **client_kwargs: Any,
) -> Traces:
    """Point ``scale_gp_beta.lib.tracing`` at ``fake`` (an ``SGPFake``) in process, and give its
    traces, flushed before every read. The change is process-wide and lasts: call
    :func:`save_tracing` first to undo it after. Spans are sent with ``api_key`` for
    ``account_id``, by default the account the fake gives that key (``fake.account_for``).

    The library keeps one queue per process: this registers a v5 ``SGPClient`` on the fake's
    in-process transport with ``tracing.init(client=...)``, after delivering what was still
    queued (to where it was headed; what no client could send is dropped), and makes the
    exporter's sleeps between its four attempts ``retry_backoff`` seconds instead of 0.4, 0.8
    and 1.6. ``client_kwargs`` go to the client (``max_retries=0`` makes each attempt one
    request). Tracing is turned on, as ``tracing.init(disabled=False)`` does, even where
    ``DISABLE_SCALE_TRACING`` is set (as a CI keeps a suite's traces from the real service):
    the spans go to the fake only; code under test that calls ``tracing.init(disabled=True)``
    itself still turns it off.
    """
    import httpx

    with needs_sdk():
        from scale_gp_beta import SGPClient
    from scale_gp_beta.lib import tracing
    from scale_gp_beta.lib.tracing import trace_queue_manager as queues
    from scale_gp_beta.lib.tracing.trace_queue_manager import tracing_queue_manager
    from scale_gp_beta.lib.tracing.util import configure

    configure(disabled=False)  # before a manager is made: it starts its worker only if enabled
    client_kwargs.setdefault("base_url", "http://sgp-fake.test")
    client = SGPClient(
        api_key=api_key,
        account_id=fake.account_for(api_key) if account_id is None else account_id,
        http_client=httpx.Client(transport=fake.transport()),
        **client_kwargs,
    )
    if queues._global_tracing_queue_manager is None:
        # A flush first would make a manager without a client, which looks for one in the
        # environment and warns that it ignores traces; init() then warns it was called twice.
        tracing.init(client=client)
        manager = tracing_queue_manager()
    else:
        manager = tracing_queue_manager()
        queued = getattr(manager, "_queue", None)
        # A manager made before any client (the OpenAI Agents processor makes one when it is
        # built, often at import) with nothing queued has nothing to deliver: flushing it would
        # only look for a client in the environment and warn that it ignores traces, which is
        # false once the fake's client is registered below.
        if getattr(manager, "_client", True) is not None or queued is None or not queued.empty():
            tracing.flush_queue()  # what is queued goes where it was headed
        _drop_queued(manager)
        manager.register_client(client)  # what init() does, less its warning, for a manager
    exporter = getattr(manager, "_exporter", None)
    if exporter is not None:
        exporter.backoff = retry_backoff
        _one_export_at_a_time(exporter)
    return Traces(fake.tables, flush=tracing.flush_queue)


def _drop_queued(manager: Any) -> None:
    """Empty the queue of ``manager``: the spans a flush left there had no client to send
    them (an earlier test traced without one), and the library would never have delivered
    them; sent with the fake's client, they would turn up in this fake's traces."""
    from queue import Empty

    queue = getattr(manager, "_queue", None)
    while queue is not None:
        try:
            queue.get_nowait()
        except Empty:
            return


def _one_export_at_a_time(exporter: Any) -> None:
    """Make ``exporter`` drain and send its queue one caller at a time.

    The library's background worker drains the queue when 200 spans wait or every 4 s, and
    sends what it drained afterwards; a ``flush_queue()`` called meanwhile finds the queue
    empty and returns before those spans arrive. Once each export holds a lock while it drains
    and sends, a flush waits for the worker's export in flight: what was traced before the
    flush has arrived when it returns. :func:`save_tracing`'s restore takes this away.
    """
    import threading

    if getattr(exporter.export, "_one_at_a_time", False):
        return
    lock = threading.Lock()
    export = exporter.export

    def one_at_a_time(client: Any, queue: Any) -> None:
        with lock:
            export(client, queue)

    one_at_a_time._one_at_a_time = True  # type: ignore[attr-defined]
    exporter.export = one_at_a_time


def save_tracing() -> Callable[[], None]:
    """Save the tracing library's process-wide state; the function returned puts it back.

    ``scale_gp_beta.lib.tracing`` keeps one queue manager per process, made by the first
    ``tracing.init`` or trace (and its background worker with it); :func:`init_tracing` and
    ``tracing.init`` change which client it sends with. Restoring puts back the manager there
    was (none: the next trace makes a new one, from the environment, as in a fresh process),
    that manager's client (none: it makes a default one again when it next sends), its
    exporter's back-off and export, and the ``disabled`` flag of ``tracing.init``
    (``DISABLE_SCALE_TRACING`` is read again); a manager made since stops its worker. Spans
    still queued are not delivered: flush first.
    """
    import atexit

    from scale_gp_beta.lib.tracing import trace_queue_manager as queues
    from scale_gp_beta.lib.tracing import util

    manager = queues._global_tracing_queue_manager
    saved = (
        None
        if manager is None
        else (
            manager._client,
            manager._attempted_local_client_creation,
            manager._exporter.backoff,
            manager._exporter.__dict__.get("export"),
        )
    )
    disabled = util._tracing_disabled

    def restore() -> None:
        with queues._queue_manager_lock:
            made = queues._global_tracing_queue_manager
            queues._global_tracing_queue_manager = manager
        if made is not None and made is not manager:
            made.shutdown(timeout=0)  # its worker ends after its current sleep (0.1 s at most)
            atexit.unregister(made.shutdown)
        if manager is not None and saved is not None:
            manager._client, manager._attempted_local_client_creation, backoff, export = saved
            manager._exporter.backoff = backoff
            if export is None:
                manager._exporter.__dict__.pop("export", None)
            else:
                manager._exporter.export = export  # type: ignore[method-assign]
        util._tracing_disabled = disabled
        util.is_disabled.cache_clear()  # read again from the flag and the environment

    return restore
