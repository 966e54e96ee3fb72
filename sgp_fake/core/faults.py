"""Fault rules: make chosen requests fail, slow down or lose their connection.

A rule matches a method, a path pattern (matched against the path as sent, percent-encoded,
and against the decoded path: either will do) and optionally an account, what the request is
about (its deployment or model, by id or name, and its prompt, by substring or regular
expression; see :mod:`sgp_fake.core.facts`) and its JSON body (``request_body``, a subset of
it), and fires for the next ``times`` matching requests (``None``: every one). A firing rule
adds its latency, then either answers its status/headers/body, breaks the connection, or
(latency only) lets the request through.
A stream rule (``after`` with ``cut`` and/or ``stall_ms``) instead lets the request be handled
and, after ``after`` chunks of its streamed answer, pauses ``stall_ms`` and/or cuts it; it fires
only for answers that stream, so it is tried once the request was handled, and only if no other
rule fired for it (a request meets one rule at most).
A spent rule stays listed, with its hits and when it fired, but never fires again. The same rules
drive the in-process transports and the live server.

``account_id`` means the account the call acts for: the account the request names (a create's
body ``account_id``, else the query's, else ``x-selected-account-id``), or, when it names none,
the account of the record its path names (an inference call's deployment): the same meaning as
a scripted response's ``account_id`` and the journal's ``account``, so a rule can fail one
tenant's chats.

Live rules are indexed (by exact path, else by deployment, else by model), so a request is
tried only against the rules that could match it: thousands of rules on different deployments
cost a request a few dictionary lookups, not a scan (:attr:`FaultRules.examined` says how many
rules the last request was tried against).
"""

from __future__ import annotations

import asyncio
import fnmatch
import heapq
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from . import realtime
from .answers import json_bytes
from .facts import Facts, LazyFacts, compile_pattern, facts_match

__all__ = [
    "FIRED_AT_KEPT",
    "MAX_LATENCY",
    "MAX_STALL_MS",
    "ConnectionFault",
    "CutKind",
    "FaultRule",
    "FaultRules",
    "FaultSleeps",
    "ServerStopping",
    "body_matches",
    "check_fault",
    "fault_sleep",
]

ConnectionFaultKind = Literal["reset", "empty", "close", "timeout"]
CutKind = Literal["reset", "close", "error", "truncate", "malformed"]
"""How a cut rule ends a stream: a connection reset, the connection closed, an SSE
``event: error`` event that ends the stream normally, the stream ended normally with nothing
more (``truncate``: no finish reason, no end marker), or one event whose data is not JSON
(``malformed``) that ends it normally."""


class ConnectionFault(Exception):
    """Raised by the app where a real server would drop the connection.

    In-process transports turn it into the httpx error a real socket gives (``ReadError`` for a
    reset, ``RemoteProtocolError`` for a connection closed before the answer or its end).
    ``empty`` (a rule's ``connection``) and ``close`` (a cut) both close the connection.
    ``timeout`` is a stall that outlasted an in-process client's read timeout: its transport
    raises ``httpx.ReadTimeout`` (a server just waits, and the client's own timeout fires).
    """

    def __init__(self, kind: ConnectionFaultKind) -> None:
        super().__init__(kind)
        self.kind = kind


class ServerStopping(ConnectionFault):
    """Raised by an injected wait (a latency, a stall) that the server serving it ended as it
    stops (see :class:`FaultSleeps`): the connection is closed, as a server that stops does."""

    def __init__(self) -> None:
        super().__init__("close")


class FaultSleeps:
    """The injected waits (latencies, stalls) in progress on one server's event loop.

    A server registers its loop with :meth:`watch` when it starts; :func:`fault_sleep` on that
    loop then waits in a way :meth:`stop` can end: a stopping server ends them at once (each
    raises :class:`ServerStopping`), and any begun later, instead of waiting up to a day for
    requests that only wait on a fault before it can close their connections. A loop no server
    watches (an in-process transport's, the caller's own) sleeps plainly. Used from the loop's
    thread only.
    """

    def __init__(self) -> None:
        self.stopping = False
        self._waiting: set[asyncio.Future[bool]] = set()

    @classmethod
    def watch(cls, loop: asyncio.AbstractEventLoop) -> FaultSleeps:
        """The waits of ``loop`` (a server's), from now until :meth:`unwatch`."""
        sleeps = _WATCHED[loop] = cls()
        return sleeps

    @classmethod
    def unwatch(cls, loop: asyncio.AbstractEventLoop) -> None:
        """Forget ``loop`` (its server has stopped)."""
        _WATCHED.pop(loop, None)

    def stop(self) -> int:
        """End every wait in progress, and every later one at once; return how many ended."""
        self.stopping = True
        ended = 0
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(True)
                ended += 1
        return ended

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or raise :class:`ServerStopping` once :meth:`stop` is called."""
        if self.stopping:
            raise ServerStopping()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        timer = realtime.call_later(loop, seconds, _waited, waiter)
        self._waiting.add(waiter)
        try:
            stopped = await waiter
        finally:
            timer.cancel()
            self._waiting.discard(waiter)
        if stopped:
            raise ServerStopping()


_WATCHED: dict[asyncio.AbstractEventLoop, FaultSleeps] = {}
"""The loops whose servers watch their waits (see :meth:`FaultSleeps.watch`)."""


def _waited(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


async def fault_sleep(seconds: float) -> None:
    """Wait out an injected latency or stall: as :func:`asyncio.sleep`, except on the loop of a
    server that watches its waits (:class:`FaultSleeps`), which ends it when it stops. Under
    another event loop (an in-process async client on trio, through anyio) it sleeps on that.
    Real seconds, also while freezegun stops the event loop's clock (see :mod:`.realtime`)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio's loop: anyio sleeps on whichever runs
        await realtime.sleep_any(seconds)
        return
    sleeps = _WATCHED.get(loop)
    if sleeps is None:
        await realtime.sleep(seconds)
    else:
        await sleeps.sleep(seconds)


FIRED_AT_KEPT = 100
"""How many firing times a rule keeps (the latest)."""

_RETRY_AFTER_HEADERS = frozenset({"retry-after", "retry-after-ms"})

MAX_LATENCY = 86_400.0
"""The longest latency a rule may add, in seconds (a day): longer would never end a test."""

MAX_STALL_MS = int(MAX_LATENCY * 1000)
"""The longest stall of a stream rule, in milliseconds (a day)."""


# A header name is an HTTP token (RFC 9110, 5.1); anything else is refused by the server's
# HTTP writer when the answer is sent.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NO_BODY_STATUSES = (204, 304)


def check_fault(rule: Any) -> None:
    """``ValueError`` unless ``rule`` (a :class:`FaultRule`, or the admin API's rule body: any
    object with its fields) does something, and what it answers can be sent over HTTP.

    The one check of both paths, so a rule refused over HTTP (422) is refused in process too.
    A rule answers a status, breaks the connection, adds latency, or cuts or stalls a stream
    (at least one; a status or a connection fault, not both; a stream rule neither). Its
    ``request_body`` (what it matches) is JSON. Its status is a final one that carries a
    body: 200 to 599, but not 204 or 304 (the fault's answer always has a body). Its header
    names are HTTP tokens and its values have no CR, LF or NUL and are Latin-1 (what HTTP/1.1
    carries); a ``content-length`` is only accepted with a ``body`` and when it is that body's
    length, and ``transfer-encoding`` never (the server frames the answer). Its body, when not
    text or bytes, is JSON with finite numbers.
    """
    answers, breaks = rule.status is not None, rule.connection is not None
    stall = getattr(rule, "stall_ms", None)
    streams = rule.cut is not None or stall is not None
    if not (answers or breaks or streams or rule.latency):
        raise ValueError("a fault needs a status, a connection fault, a latency, a cut or a stall")
    if answers and breaks:
        raise ValueError("a fault answers a status or breaks the connection, not both")
    _check_stream_and_match(rule, streams and (answers or breaks), streams, stall)
    status = rule.status
    if status is not None and (not 200 <= status <= 599 or status in _NO_BODY_STATUSES):
        raise ValueError(
            f"status {status} cannot carry a fault's answer: give a status from 200 to 599, "
            "other than 204 and 304"
        )
    body = _body_bytes(rule.body)
    for name, value in rule.headers.items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"header name {name!r} is not an HTTP token")
        if any(c in value for c in "\r\n\x00"):
            raise ValueError(f"header {name!r} has a CR, LF or NUL in its value")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(f"header {name!r} has a character HTTP cannot carry") from None
        lowered = name.lower()
        if lowered == "transfer-encoding":
            raise ValueError("a fault sets no transfer-encoding: the server frames its answer")
        if lowered == "content-length" and (body is None or value.strip() != str(len(body))):
            must = "given with a body" if body is None else f"{len(body)}, its body's length"
            raise ValueError(f"content-length {value!r} contradicts the answer: it must be {must}")


_TEXT_FIELDS = ("method", "path", "id")
_OPTIONAL_TEXT_FIELDS = ("account_id", "deployment", "model", "prompt", "prompt_regex")
_OPTIONAL_WHOLE_FIELDS = ("times", "status", "retry_after_ms", "after", "stall_ms")


def _check_types(rule: FaultRule) -> None:
    """``TypeError`` naming the first field of ``rule`` whose value is not of its type (what
    ``POST /_fake/faults`` refuses with a 422 too): a rule built in Python is not parsed, and a
    value of another type would match nothing, fire more often than ``times`` says, or answer
    a status no server can send."""
    for name in _TEXT_FIELDS:
        value = getattr(rule, name)
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, not {value!r}")
    for name in _OPTIONAL_TEXT_FIELDS:
        value = getattr(rule, name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string or None, not {value!r}")
    for name in _OPTIONAL_WHOLE_FIELDS:
        value = getattr(rule, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{name} must be a whole number (an int) or None, not {value!r}")
    latency = rule.latency
    if isinstance(latency, bool) or not isinstance(latency, (int, float)):
        raise TypeError(f"latency must be a number of seconds, not {latency!r}")
    headers = rule.headers
    if not isinstance(headers, dict) or not all(
        isinstance(name, str) and isinstance(value, str) for name, value in headers.items()
    ):
        raise TypeError(f"headers must be a dict of strings to strings, not {headers!r}")


def _check_stream_and_match(rule: Any, clash: bool, streams: bool, stall: int | None) -> None:
    """The stream rule's and the body matcher's part of :func:`check_fault`."""
    if clash:
        raise ValueError("a stream cut or stall comes with no status and no connection fault")
    if (rule.after is None) == streams:
        raise ValueError(
            "a stream cut or stall needs after (a number of chunks), and after needs a cut "
            "or a stall_ms"
        )
    if stall is not None and not 0 <= stall <= MAX_STALL_MS:
        raise ValueError(f"stall_ms must be a number of milliseconds from 0 to {MAX_STALL_MS}")
    matched = getattr(rule, "request_body", None)
    if matched is not None:
        try:
            json_bytes(matched)
        except (TypeError, ValueError, RecursionError):
            raise ValueError("request_body must be JSON with finite numbers") from None


def _body_bytes(body: Any) -> bytes | None:
    """A fault's answer body as sent (``None``: the default one); ``ValueError`` when it
    cannot be sent."""
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        try:
            return body.encode()
        except UnicodeEncodeError:
            raise ValueError("body holds a lone surrogate, which UTF-8 cannot carry") from None
    try:
        return json_bytes(body)
    except (TypeError, ValueError, RecursionError):
        raise ValueError("body must be JSON with finite numbers, a string or bytes") from None


@dataclass
class FaultRule:
    """One fault; see the module docstring. ``path`` is a glob (``*`` matches anything).

    ``deployment``, ``model``, ``prompt`` and ``prompt_regex`` match what the request is about
    (see :func:`~sgp_fake.core.facts.facts_match`): only operations that declare it (the
    inference routes) are about a deployment, a model or a prompt, so such a rule never fires
    for another. ``retry_after_ms`` adds a ``retry-after-ms`` header to the answer of a status
    rule, unless ``headers`` has one. ``after`` with ``cut`` and/or ``stall_ms`` makes a stream
    rule: the next matching answer that streams pauses ``stall_ms`` milliseconds after ``after``
    chunks (0: before the first), then is cut there (or at its end) by ``cut``; ``body`` is then
    the data of the ``error`` event. ``request_body`` matches requests whose JSON body holds it
    (see :func:`body_matches`): ``{"stream": True}`` only streamed calls. ``hits`` counts the
    requests it fired for and ``fired_at`` keeps
    when (Unix times of its rules' clock, the fake's; the latest :data:`FIRED_AT_KEPT`).
    ``id`` is given by :meth:`FaultRules.add` when left empty: ``fault_N`` for the Nth rule of
    that fake, as ``response_N`` numbers its scripted responses.
    """

    method: str = "*"
    path: str = "*"
    account_id: str | None = None
    times: int | None = 1
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    latency: float = 0.0
    connection: ConnectionFaultKind | None = None
    retry_after_ms: int | None = None
    after: int | None = None
    cut: CutKind | None = None
    deployment: str | None = None
    model: str | None = None
    prompt: str | None = None
    prompt_regex: str | None = None
    request_body: Any = None
    stall_ms: int | None = None
    id: str = ""
    hits: int = 0
    fired_at: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_types(self)
        self.method = self.method.upper()
        if self.connection not in (None, "reset", "empty"):
            raise ValueError("connection must be 'reset', 'empty' or None")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code (100-599)")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1, or None for every request")
        if not 0 <= self.latency <= MAX_LATENCY:  # NaN too
            raise ValueError(f"latency must be a number of seconds from 0 to {MAX_LATENCY:g}")
        if self.retry_after_ms is not None and self.retry_after_ms < 0:
            raise ValueError("retry_after_ms must not be negative")
        if self.cut is not None and self.cut not in (
            "reset", "close", "error", "truncate", "malformed"
        ):  # fmt: skip
            raise ValueError("cut must be 'reset', 'close', 'error', 'truncate' or 'malformed'")
        if self.after is not None and self.after < 0:
            raise ValueError("after must not be negative")
        if self.prompt_regex is not None:
            compile_pattern(self.prompt_regex)  # ValueError when it is not one
        check_fault(self)

    @property
    def needs_facts(self) -> bool:
        """Whether the rule matches what a request is about (its deployment, model, prompt)."""
        return not (
            self.deployment is None
            and self.model is None
            and self.prompt is None
            and self.prompt_regex is None
        )

    @property
    def streams(self) -> bool:
        """Whether the rule acts on a streamed answer (a cut or a stall): tried once the
        request was handled, for answers that stream."""
        return self.cut is not None or self.stall_ms is not None

    @property
    def spent(self) -> bool:
        """Whether the rule has fired its ``times`` and will not fire again."""
        return self.times is not None and self.hits >= self.times

    def answer_headers(self) -> dict[str, str]:
        """The headers of the rule's answer: ``headers``, plus ``retry-after-ms`` if set."""
        if self.retry_after_ms is None or any(
            name.lower() == "retry-after-ms" for name in self.headers
        ):
            return self.headers
        return {**self.headers, "retry-after-ms": str(self.retry_after_ms)}

    def _fire(self, now: float) -> None:
        self.hits += 1
        self.fired_at.append(now)
        if len(self.fired_at) > FIRED_AT_KEPT:
            del self.fired_at[0]

    def matches(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: Facts | None = None,
        body: bytes | None = None,
        *,
        raw_path: str | None = None,
    ) -> bool:
        """Whether this rule applies to a request (ignoring how many times it has left);
        ``path`` is the decoded path, ``raw_path`` the path as sent when it differs;
        ``facts``: what the request is about (none when not given); ``body``: its raw body."""
        lazy = LazyFacts(None) if facts is None else LazyFacts(lambda: facts)
        return self._matches(method, path, account_id, lazy, _Body(body or b""), raw_path=raw_path)

    def _matches(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: LazyFacts,
        body: _Body,
        *,
        raw_path: str | None = None,
    ) -> bool:
        if not self._matches_request(method, path, raw_path):
            return False
        if self.account_id is not None and self.account_id != _acting_account(account_id, facts):
            return False
        if self.request_body is not None and not body_matches(self.request_body, body.get()):
            return False
        return not self.needs_facts or self._matches_facts(facts.get())

    def _matches_request(self, method: str, path: str, raw_path: str | None = None) -> bool:
        if self.method not in ("*", method):
            return False
        return self._matches_path(path) or (raw_path is not None and self._matches_path(raw_path))

    def _matches_path(self, path: str) -> bool:
        return self.path in ("*", path) or fnmatch.fnmatchcase(path, self.path)

    def _matches_facts(self, facts: Facts) -> bool:
        return facts_match(
            facts,
            deployment=self.deployment,
            model=self.model,
            prompt=self.prompt,
            prompt_regex=self.prompt_regex,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view, as ``GET /_fake/faults`` lists it."""
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "account_id": self.account_id,
            "times": self.times,
            "status": self.status,
            "headers": self.headers,
            "body": self.body,
            "latency": self.latency,
            "connection": self.connection,
            "retry_after_ms": self.retry_after_ms,
            "after": self.after,
            "cut": self.cut,
            "deployment": self.deployment,
            "model": self.model,
            "prompt": self.prompt,
            "prompt_regex": self.prompt_regex,
            "request_body": self.request_body,
            "stall_ms": self.stall_ms,
            "hits": self.hits,
            "spent": self.spent,
            "fired_at": list(self.fired_at),
        }


_NO_BODY = object()
_GLOB = frozenset("*?[")


class _Body:
    """A request's body, decoded from JSON on first use (``_NO_BODY``: not a JSON document)."""

    __slots__ = ("_decoded", "_raw")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._decoded: Any = None

    def get(self) -> Any:
        if self._decoded is None:
            try:
                self._decoded = json.loads(self._raw) if self._raw else _NO_BODY
            except (ValueError, RecursionError):
                self._decoded = _NO_BODY
        return self._decoded


def body_matches(pattern: Any, value: Any) -> bool:
    """Whether the JSON ``value`` holds ``pattern``: an object holds each of the pattern's keys
    with a value that holds the pattern's (a subset: other keys are ignored, at any depth);
    anything else equals it, and of the same JSON type (``true`` is not ``1``). A list equals
    the pattern's list item by item (each item held as above), as respx's ``json__`` and
    WireMock's ``equalToJson`` with extra elements ignored do."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and body_matches(item, value[key]) for key, item in pattern.items()
        )
    if isinstance(pattern, list):
        return (
            isinstance(value, list)
            and len(value) == len(pattern)
            and all(body_matches(p, v) for p, v in zip(pattern, value, strict=True))
        )
    if isinstance(pattern, bool) or isinstance(value, bool):
        return isinstance(pattern, bool) and isinstance(value, bool) and pattern is value
    if isinstance(pattern, (int, float)) and isinstance(value, (int, float)):
        return pattern == value
    return type(pattern) is type(value) and bool(pattern == value)


def _acting_account(account_id: str | None, facts: LazyFacts) -> str | None:
    """The account a call acts for: the one it names, else its path's record's (a fact)."""
    if account_id is not None:
        return account_id
    named = facts.get().get("account", ())
    return named[0] if named else None


def _index_key(rule: FaultRule) -> tuple[str, str]:
    """Where a rule is filed: under its exact path, else its deployment, else its model, else
    with the rules every request is tried against."""
    if rule.path != "*" and not _GLOB.intersection(rule.path):
        return ("path", rule.path)
    if rule.deployment is not None:
        return ("deployment", rule.deployment)
    if rule.model is not None:
        return ("model", rule.model)
    return ("any", "")


_Filed = list[tuple[int, FaultRule]]
"""Live rules filed under one key, each with its place in the order rules were added."""
_Candidates = list[_Filed]
_Rules = list[FaultRule]


class FaultRules:
    """The fault rules of one fake, first added first matched. Thread-safe.

    ``default_retry_after_ms``, when set, is given to each status rule added without its own
    ``retry_after_ms`` and without a ``retry-after`` or ``retry-after-ms`` header (the pytest
    plugin sets it to 1, so the SDK's retries after an injected error are fast).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        # The rules that can still fire, by where they are filed (see _index_key), each list
        # in the order they were added: what take() looks in, and what makes the app take its
        # slower path; spent rules are only listed.
        self._live: dict[tuple[str, str], _Filed] = {}
        self._live_count = 0
        self._by_fact = 0  # live rules filed under a deployment or a model
        self._order = itertools.count()
        self._numbers = itertools.count(1)
        self._given: set[str] = set()  # ids rules came with, which _new_id skips
        self.examined = 0
        """How many rules the last :meth:`take` or :meth:`take_cut` tried a request against
        (the index leaves out the rules that cannot match it)."""
        self.default_retry_after_ms: int | None = None
        #: When a rule fires (seconds since the epoch, for ``fired_at``): a fake sets its own
        #: clock's ``now``, so rules, records and the journal tell the same time.
        self.clock: Callable[[], float] = time.time

    def add(self, rule: FaultRule | None = None, **kwargs: Any) -> FaultRule:
        """Add ``rule``, or a rule built from ``kwargs`` (not both); return it."""
        if rule is None:
            rule = FaultRule(**kwargs)
        elif kwargs:
            raise TypeError(
                f"give a FaultRule or its fields, not both (got a rule and {', '.join(kwargs)})"
            )
        default = self.default_retry_after_ms
        if (
            default is not None
            and rule.retry_after_ms is None
            and rule.status is not None
            and not any(name.lower() in _RETRY_AFTER_HEADERS for name in rule.headers)
        ):
            rule.retry_after_ms = default
        key = _index_key(rule)
        with self._lock:
            if rule.id and any(held.id == rule.id for held in self._rules):
                # Ids name rules (remove, the journal's fault): two alike would be ambiguous.
                raise ValueError(f"a fault rule {rule.id!r} exists already")
            # First: a path, deployment or model that is no string raises here, and a rule
            # refused so is neither kept nor given an id.
            filed = None if rule.spent else self._live.setdefault(key, [])
            if not rule.id:
                rule.id = self._new_id()
            else:
                self._given.add(rule.id)
            self._rules.append(rule)
            if filed is not None:
                filed.append((next(self._order), rule))
                self._live_count += 1
                if key[0] in ("deployment", "model"):
                    self._by_fact += 1
        return rule

    def _new_id(self) -> str:
        """``fault_N``: the fake's Nth rule, so a test's ids do not depend on the tests run
        before it in the process (an id a rule was given is skipped)."""
        # The count never goes back (not even on clear): only an id given can be taken.
        while True:
            rule_id = f"fault_{next(self._numbers)}"
            if rule_id not in self._given:
                return rule_id

    def _unfile(self, rule: FaultRule) -> None:
        key = _index_key(rule)
        filed = self._live.get(key)
        if filed is None:
            return
        for position, (_, held) in enumerate(filed):
            if held is rule:
                del filed[position]
                self._live_count -= 1
                if key[0] in ("deployment", "model"):
                    self._by_fact -= 1
                break
        if not filed:
            del self._live[key]

    def remove(self, rule_id: str) -> bool:
        """Remove one rule, spent or not; return whether it existed."""
        with self._lock:
            found = [r for r in self._rules if r.id == rule_id]
            for rule in found:
                self._rules.remove(rule)
                self._unfile(rule)
            return bool(found)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
            self._live.clear()
            self._live_count = self._by_fact = 0

    def list(self) -> list[FaultRule]:
        """The rules, in matching order, spent ones included."""
        with self._lock:
            return list(self._rules)

    def unused(self) -> _Rules:
        """The rules that never fired, in the order they were added."""
        with self._lock:
            return [rule for rule in self._rules if rule.hits == 0]

    def __bool__(self) -> bool:
        """Whether some rule can still fire."""
        return self._live_count > 0

    def take(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: LazyFacts | None = None,
        body: bytes | None = None,
        *,
        raw_path: str | None = None,
    ) -> FaultRule | None:
        """The first live rule matching a request, counted as fired; stream rules wait for
        :meth:`take_cut`. ``path`` is the decoded path, ``raw_path`` the path as sent when it
        differs (a rule matches either). ``facts`` (what the request is about) are computed
        only if a rule that matches its method and path needs them, ``body`` (the raw request
        body) is decoded only for a rule that matches it."""
        return self._take(method, path, account_id, facts, body, raw_path=raw_path, stream=False)

    def take_cut(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: LazyFacts | None = None,
        body: bytes | None = None,
        *,
        raw_path: str | None = None,
    ) -> FaultRule | None:
        """The first live stream rule (a cut or a stall) matching a request whose answer
        streams, counted as fired."""
        return self._take(method, path, account_id, facts, body, raw_path=raw_path, stream=True)

    def _candidates(self, path: str, raw_path: str | None, facts: LazyFacts) -> _Candidates:
        live = self._live
        paths = [("path", path), ("any", "")]
        if raw_path is not None and raw_path != path:
            paths.append(("path", raw_path))
        found = [filed for filed in map(live.get, paths) if filed is not None]
        if self._by_fact:
            known = facts.get()
            for kind in ("deployment", "model"):
                for value in dict.fromkeys(known.get(kind, ())):
                    filed = live.get((kind, value))
                    if filed is not None:
                        found.append(filed)
        return found

    def _take(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: LazyFacts | None,
        body: bytes | None,
        *,
        raw_path: str | None,
        stream: bool,
    ) -> FaultRule | None:
        if not self._live_count:
            return None
        lazy = facts if facts is not None else LazyFacts(None)
        decoded = _Body(body or b"")
        with self._lock:
            candidates = self._candidates(path, raw_path, lazy)
            examined = 0
            chosen: FaultRule | None = None
            # The candidates of every list, in the order the rules were added.
            for _, rule in heapq.merge(*candidates, key=lambda pair: pair[0]):
                examined += 1
                if rule.streams is not stream or not rule._matches(
                    method, path, account_id, lazy, decoded, raw_path=raw_path
                ):
                    continue
                chosen = rule
                break
            self.examined = examined
            if chosen is None:
                return None
            chosen._fire(self.clock())
            if chosen.spent:
                self._unfile(chosen)
            return chosen
