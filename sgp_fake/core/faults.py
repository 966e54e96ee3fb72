"""Fault rules: make chosen requests fail, slow down or lose their connection.

A rule matches a method, a path pattern (matched against the path as sent, percent-encoded,
and against the decoded path: either will do) and optionally an account, and what the request is
about (its deployment or model, by id or name, and its prompt, by substring or regular
expression; see :mod:`sgp_fake.core.facts`), and fires for the next ``times`` matching requests
(``None``: every one). A firing rule adds its latency, then either
answers its status/headers/body, breaks the connection, or (latency only) lets the request through.
A cut rule (``after`` and ``cut``) instead lets the request be handled and cuts its streamed
answer after ``after`` chunks; it fires only for answers that stream, so it is tried once the
request was handled, and only if no other rule fired for it (a request meets one rule at most).
A spent rule stays listed, with its hits and when it fired, but never fires again. The same rules
drive the in-process transports and the live server.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from .answers import json_bytes
from .facts import Facts, LazyFacts, compile_pattern, facts_match

__all__ = [
    "FIRED_AT_KEPT",
    "MAX_LATENCY",
    "ConnectionFault",
    "CutKind",
    "FaultRule",
    "FaultRules",
    "check_fault",
]

ConnectionFaultKind = Literal["reset", "empty", "close"]
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
    """

    def __init__(self, kind: ConnectionFaultKind) -> None:
        super().__init__(kind)
        self.kind = kind


_ids = itertools.count(1)

FIRED_AT_KEPT = 100
"""How many firing times a rule keeps (the latest)."""

_RETRY_AFTER_HEADERS = frozenset({"retry-after", "retry-after-ms"})

MAX_LATENCY = 86_400.0
"""The longest latency a rule may add, in seconds (a day): longer would never end a test."""


# A header name is an HTTP token (RFC 9110, 5.1); anything else is refused by the server's
# HTTP writer when the answer is sent.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NO_BODY_STATUSES = (204, 304)


def check_fault(rule: Any) -> None:
    """``ValueError`` unless ``rule`` (a :class:`FaultRule`, or the admin API's rule body: any
    object with its fields) does something, and what it answers can be sent over HTTP.

    The one check of both paths, so a rule refused over HTTP (422) is refused in process too.
    A rule answers a status, breaks the connection, adds latency or cuts a stream (at least
    one; a status or a connection fault, not both). Its status is a final one that carries a
    body: 200 to 599, but not 204 or 304 (the fault's answer always has a body). Its header
    names are HTTP tokens and its values have no CR, LF or NUL and are Latin-1 (what HTTP/1.1
    carries); a ``content-length`` is only accepted with a ``body`` and when it is that body's
    length, and ``transfer-encoding`` never (the server frames the answer). Its body, when not
    text or bytes, is JSON with finite numbers.
    """
    answers, breaks = rule.status is not None, rule.connection is not None
    if not (answers or breaks or rule.cut is not None or rule.latency):
        raise ValueError("a fault needs a status, a connection fault, a latency or a cut")
    if answers and breaks:
        raise ValueError("a fault answers a status or breaks the connection, not both")
    if rule.cut is not None and (answers or breaks):
        raise ValueError("a stream cut comes with no status and no connection fault")
    if (rule.after is None) != (rule.cut is None):
        raise ValueError("a stream cut needs both after (a number of chunks) and cut")
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


def _body_bytes(body: Any) -> bytes | None:
    """A fault's answer body as sent (``None``: the default one); ``ValueError`` when it
    cannot be sent."""
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    try:
        return json_bytes(body)
    except (TypeError, ValueError, RecursionError):
        raise ValueError("body must be JSON with finite numbers, a string or bytes") from None


@dataclass
class FaultRule:
    """One fault; see the module docstring. ``path`` is a glob (``*`` matches anything),
    matched against the request's path as sent (percent-encoded:
    ``/v4/models/meta-llama%2FLlama-3/usage-statistics``, as the SDK sends a name with ``/``)
    and against the decoded path (``/v4/models/meta-llama/Llama-3/usage-statistics``); the
    rule matches when either does.

    ``deployment``, ``model``, ``prompt`` and ``prompt_regex`` match what the request is about
    (see :func:`~sgp_fake.core.facts.facts_match`): only operations that declare it (the
    inference routes) are about a deployment, a model or a prompt, so such a rule never fires
    for another. ``retry_after_ms`` adds a ``retry-after-ms`` header to the answer of a status
    rule, unless ``headers`` has one. ``after`` and ``cut`` (set together) make a cut rule: the
    next matching answer that streams is cut after ``after`` chunks (or at its end), by ``cut``;
    ``body`` is then the data of the ``error`` event. ``hits`` counts the requests it fired for
    and ``fired_at`` keeps when (Unix times, the latest :data:`FIRED_AT_KEPT`).
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
    id: str = field(default_factory=lambda: f"fault_{next(_ids)}")
    hits: int = 0
    fired_at: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
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
        if (self.after is None) != (self.cut is None):
            raise ValueError("a stream cut needs both after (a number of chunks) and cut")
        if self.cut is not None:
            if self.cut not in ("reset", "close", "error", "truncate", "malformed"):
                raise ValueError("cut must be 'reset', 'close', 'error', 'truncate' or 'malformed'")
            if self.after is not None and self.after < 0:
                raise ValueError("after must not be negative")
            if self.status is not None or self.connection is not None:
                raise ValueError("a stream cut answers no status and breaks no connection first")
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

    def _fire(self) -> None:
        self.hits += 1
        self.fired_at.append(time.time())
        if len(self.fired_at) > FIRED_AT_KEPT:
            del self.fired_at[0]

    def matches(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: Facts | None = None,
        *,
        raw_path: str | None = None,
    ) -> bool:
        """Whether this rule applies to a request (ignoring how many times it has left);
        ``path`` is the decoded path, ``raw_path`` the path as sent when it differs;
        ``facts``: what the request is about (none when not given)."""
        if not self._matches_request(method, path, account_id, raw_path):
            return False
        return not self.needs_facts or self._matches_facts(facts or {})

    def _matches_request(
        self, method: str, path: str, account_id: str | None, raw_path: str | None = None
    ) -> bool:
        if self.method not in ("*", method):
            return False
        if not (
            self._matches_path(path) or (raw_path is not None and self._matches_path(raw_path))
        ):
            return False
        return self.account_id is None or self.account_id == account_id

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
            "hits": self.hits,
            "spent": self.spent,
            "fired_at": list(self.fired_at),
        }


class FaultRules:
    """The fault rules of one fake, first added first matched. Thread-safe.

    ``default_retry_after_ms``, when set, is given to each status rule added without its own
    ``retry_after_ms`` and without a ``retry-after`` or ``retry-after-ms`` header (the pytest
    plugin sets it to 1, so the SDK's retries after an injected error are fast).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        # The rules that can still fire, in order: what take() walks, and what makes the
        # app take its slower path; spent rules are only listed.
        self._live: list[FaultRule] = []
        self.default_retry_after_ms: int | None = None

    def add(self, rule: FaultRule | None = None, **kwargs: Any) -> FaultRule:
        """Add ``rule``, or a rule built from ``kwargs``; return it."""
        if rule is None:
            rule = FaultRule(**kwargs)
        default = self.default_retry_after_ms
        if (
            default is not None
            and rule.retry_after_ms is None
            and rule.status is not None
            and not any(name.lower() in _RETRY_AFTER_HEADERS for name in rule.headers)
        ):
            rule.retry_after_ms = default
        with self._lock:
            self._rules.append(rule)
            if not rule.spent:
                self._live.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        """Remove one rule, spent or not; return whether it existed."""
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            self._live = [r for r in self._live if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()
            self._live.clear()

    def list(self) -> list[FaultRule]:
        """The rules, in matching order, spent ones included."""
        with self._lock:
            return list(self._rules)

    def __bool__(self) -> bool:
        """Whether some rule can still fire."""
        return bool(self._live)

    def take(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: LazyFacts | None = None,
        *,
        raw_path: str | None = None,
    ) -> FaultRule | None:
        """The first live rule matching a request, counted as fired; cut rules wait for
        :meth:`take_cut`. ``path`` is the decoded path, ``raw_path`` the path as sent when it
        differs (a rule matches either). ``facts`` (what the request is about) are computed
        only if a rule that matches its method, path and account needs them."""
        return self._take(method, path, account_id, facts, raw_path, cut=False)

    def take_cut(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: LazyFacts | None = None,
        *,
        raw_path: str | None = None,
    ) -> FaultRule | None:
        """The first live cut rule matching a request whose answer streams, counted as fired."""
        return self._take(method, path, account_id, facts, raw_path, cut=True)

    def _take(
        self,
        method: str,
        path: str,
        account_id: str | None,
        facts: LazyFacts | None,
        raw_path: str | None,
        *,
        cut: bool,
    ) -> FaultRule | None:
        if not self._live:
            return None
        with self._lock:
            for index, rule in enumerate(self._live):
                if (rule.cut is not None) is not cut or not rule._matches_request(
                    method, path, account_id, raw_path
                ):
                    continue
                if rule.needs_facts and (
                    facts is None or not rule._matches_facts(facts.get())
                ):
                    continue
                rule._fire()
                if rule.spent:
                    del self._live[index]
                return rule
        return None
