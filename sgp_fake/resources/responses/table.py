"""The scripted responses of one fake: a table of rules, and how a call finds its content.

Rules are records of the ``responses`` kind, so the admin state document, resets (whole and
per account) and state files cover them as every other record. They are tried in the order
they were added; the first that matches a call and has content for its route answers it, and
counts the answer (``hits``): the next text of a sequence is ``texts[hits]``, the last one once
they are spent. Matching and counting happen under the fake's lock, so concurrent calls each
get their own step of a sequence. A streamed answer that never reached its end (cut by a fault
rule, or its client gone) gives its step back (:meth:`ResponseTable.refund`): the retry of the
same turn gets the same text, as a refused call uses none. A step given back while later steps
are out (concurrent calls) is the next one given, before ``texts[hits]``: no step of a sequence
is lost or given twice.

A rule's ``account_id`` is the account the call acts for: the request's, else the called
deployment's (see :mod:`sgp_fake.core.faults`, which means the same).

Rules are indexed by their deployment, else their model: a call is tried only against the rules
of its deployment and model and those that name neither, so thousands of rules on different
deployments cost a call a few lookups (:attr:`ResponseTable.examined` counts the rules tried).
"""

from __future__ import annotations

import bisect
import heapq
import json
from typing import Any, Iterator, Literal, NamedTuple

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from ...core.facts import Facts, facts_match
from ...core.table import Event, Record, Table
from ..common import cache_small
from .schemas import ANY_ACCOUNT, ResponseSpec, ScriptedResponse

__all__ = ["Content", "Refunding", "ResponseTable", "Scripted"]

Content = Literal["text", "embedding", "scores", "execute", "chat"]
"""What a route asks of a rule: completions, chat and execute a ``text`` (execute may take the
whole ``execute`` answer instead), embeddings an ``embedding`` (or a dimension), rerankings
``scores``, the gateway's chat a ``chat`` (text, texts or tool calls)."""

_GIVES: dict[str, tuple[str, ...]] = {
    "text": ("text", "texts", "chunks"),
    "embedding": ("embedding", "dimensions"),
    "scores": ("scores",),
    "execute": ("execute",),
    "chat": ("text", "texts", "chunks", "tool_calls"),
}


class Scripted(NamedTuple):
    """The content a rule gave one answer: the rule's id and fields, the text of this step
    (for a rule with text, texts or chunks), its exact stream chunks (``chunks``), and which
    step of its ``texts`` it is (``None`` for a rule without texts)."""

    id: str
    rule: dict[str, Any]
    text: str | None
    chunks: tuple[str, ...] | None = None
    step: int | None = None


@cache_small(maxsize=1024)
def _parsed(body: bytes) -> dict[str, Any]:
    rule: dict[str, Any] = json.loads(body)
    return rule


def _matches(rule: dict[str, Any], facts: Facts, account_id: str) -> bool:
    account = rule.get("account_id", ANY_ACCOUNT)
    if account not in (ANY_ACCOUNT, account_id):
        return False
    # The gateway's conversation matchers: a call without such facts (a deployment's) has no
    # tool result and no turn.
    tool_result = rule.get("tool_result")
    if tool_result is not None and tool_result != (facts.get("tool_result") == ("true",)):
        return False
    turn = rule.get("turn")
    if turn is not None and facts.get("turn") != (str(turn),):
        return False
    return facts_match(
        facts,
        deployment=rule.get("deployment"),
        model=rule.get("model"),
        prompt=rule.get("prompt"),
        prompt_regex=rule.get("prompt_regex"),
    )


def _index_key(rule: dict[str, Any]) -> tuple[str, str]:
    """Where a rule is filed: under its deployment, else its model, else with every call's."""
    if rule.get("deployment") is not None:
        return ("deployment", rule["deployment"])
    if rule.get("model") is not None:
        return ("model", rule["model"])
    return ("any", "")


def _number(rule_id: str) -> int:
    """N of an id ``response_N`` (0 for an id of another shape, set by a state document)."""
    _, _, digits = rule_id.rpartition("_")
    return int(digits) if digits.isdigit() and len(digits) < 19 else 0


class ResponseTable(Table[Record]):
    """The ``responses`` table, with the writes scripted responses need."""

    def __init__(
        self, kind: str = "responses", schema: type[BaseModel] = ScriptedResponse, **kwargs: Any
    ) -> None:
        super().__init__(kind, schema, **kwargs)
        self._next = 1
        # key -> rule id -> the record's seq (ascending: records are inserted in seq order).
        self._filed: dict[tuple[str, str], dict[str, int]] = {}
        self.examined = 0
        """How many rules the last :meth:`take` tried a call against."""
        # rule id -> steps of its texts given back while later ones were out (ascending): they
        # go out again before texts[hits]. Only in-flight streams give steps back, so these are
        # not part of the stored rule (nor of state documents and files).
        self._returned: dict[str, list[int]] = {}
        # The rules that answered a call, even one whose streamed answer was cut and gave its
        # step back (``hits`` back to 0): such a rule was used, and :meth:`unused` must not
        # tell a test that it matched nothing.
        self._answered: set[str] = set()
        self.add_listener(self._refile)

    def _refile(self, kind: str, event: Event, record: Record) -> None:
        # Kept in step with every write (adds, state documents, resets): matchers never change
        # in place, so an update (hits counted) leaves the index as it is.
        if event == "update":
            return
        # A rule stored anew or removed starts without steps given back.
        self._returned.pop(record.id, None)
        self._answered.discard(record.id)  # a rule put anew (a state document) counts afresh
        key = _index_key(_parsed(record.body))
        if event == "put":
            self._filed.setdefault(key, {})[record.id] = record.seq
            return
        filed = self._filed.get(key)
        if filed is not None:
            filed.pop(record.id, None)
            if not filed:
                del self._filed[key]

    def _candidates(self, facts: Facts) -> Iterator[tuple[int, str]]:
        """The ids of the rules that may match a call about ``facts``, in matching order."""
        filed = self._filed
        found = [filed.get(("any", ""))]
        for kind in ("deployment", "model"):
            found.extend(filed.get((kind, value)) for value in dict.fromkeys(facts.get(kind, ())))
        lists = [[(seq, rule_id) for rule_id, seq in ids.items()] for ids in found if ids]
        return heapq.merge(*lists)

    def add(self, spec: ResponseSpec | None = None, /, **fields: Any) -> dict[str, Any]:
        """Add a rule (a :class:`ResponseSpec`, or its fields); return it as stored.

        ``pydantic.ValidationError`` (a ``ValueError``) for a rule that is not one: no content,
        an unknown field, a regular expression that does not compile; ``ValueError`` for a
        string holding a lone surrogate (no answer could carry it).
        """
        if spec is None:
            spec = ResponseSpec.model_validate(fields)
        elif fields:
            raise TypeError("give a ResponseSpec or its fields, not both")
        try:
            return self.add_record(spec).as_dict()
        except PydanticSerializationError as exc:
            raise ValueError(
                "a scripted response's strings cannot hold a lone surrogate (\\ud800 to "
                "\\udfff): UTF-8 cannot encode one, so no answer could carry it"
            ) from exc

    def add_record(self, spec: ResponseSpec) -> Record:
        """Store the rule ``spec`` under a new id (``response_N``, N above every number this
        table has given or holds: rules loaded from a state file or document count); return it."""
        data = spec.model_dump(exclude_none=True)
        account = data.pop("account_id", None) or ANY_ACCOUNT
        with self.lock:
            held = (_number(record.id) for record in self.all())
            number = max(self._next, max(held, default=0) + 1)
            self._next = number + 1
            return self.put({**data, "id": f"response_{number}", "account_id": account})

    def rules(self) -> list[dict[str, Any]]:
        """Every rule, in matching order, as stored."""
        return [record.as_dict() for record in self.all()]

    def remove(self, rule_id: str) -> bool:
        """Remove one rule; return whether it existed."""
        return self.delete(rule_id) is not None

    def take(
        self, content: Content, facts: Facts, account_id: str, *, count: bool = True
    ) -> Scripted | None:
        """The first rule that matches a call (``facts``: what it is about; ``account_id``: the
        account it acts for) and gives ``content``, with its step's text; the answer is
        counted (``count``). ``None`` when no rule does."""
        if not len(self):
            return None
        wanted = _GIVES[content]
        with self.lock:
            examined = 0
            for _, rule_id in self._candidates(facts):
                record = self.stored(rule_id)
                if record is None:
                    continue
                examined += 1
                rule = _parsed(record.body)
                if not any(name in rule for name in wanted) or not _matches(
                    rule, facts, account_id
                ):
                    continue
                self.examined = examined
                hits = rule.get("hits", 0)
                text = rule.get("text")
                texts = rule.get("texts")
                chunks = rule.get("chunks")
                step = None
                returned = self._returned.get(record.id) if texts else None
                if texts and returned:
                    # A step given back while later ones were out goes out again first.
                    step = returned[0]
                    text = texts[step]
                    if count:
                        del returned[0]
                        if not returned:
                            del self._returned[record.id]
                else:
                    if texts:
                        step = hits
                        text = texts[min(hits, len(texts) - 1)]
                    elif chunks:
                        text = "".join(chunks)
                    if count:
                        self._count(record.id, rule, hits + 1)
                if count:
                    self._answered.add(record.id)
                wants_text = content in ("text", "chat")
                return Scripted(
                    record.id,
                    rule,
                    text if wants_text else None,
                    tuple(chunks) if chunks and wants_text else None,
                    step if wants_text else None,
                )
            self.examined = examined
        return None

    def _count(self, rule_id: str, rule: dict[str, Any], hits: int) -> None:
        self.update(
            rule_id,
            json.dumps({**rule, "hits": hits}, ensure_ascii=False, separators=(",", ":")).encode(),
        )

    def refund(self, rule_id: str, step: int | None = None) -> None:
        """Give back the step an answer took of a rule (one whose streamed answer never reached
        its end): its next call gets the same text. ``step`` is the answer's step of the rule's
        texts (:attr:`Scripted.step`): given back while later steps are out (concurrent
        calls), it is the next one given, before ``texts[hits]``. Nothing when the rule is
        gone."""
        with self.lock:
            record = self.stored(rule_id)
            if record is None:
                return
            rule = _parsed(record.body)
            hits = rule.get("hits", 0)
            if hits <= 0:
                return
            texts = rule.get("texts")
            last = len(texts) - 1 if texts else 0
            if step is not None and texts and min(step, last) != min(hits - 1, last):
                # Later steps are out: the count stays, and this step goes out next.
                given_back = self._returned.setdefault(rule_id, [])
                if step not in given_back:
                    bisect.insort(given_back, step)
                return
            hits -= 1
            # Steps given back before, now the latest out, are back to the count.
            returned = self._returned.get(rule_id)
            while returned and returned[-1] == hits - 1:
                returned.pop()
                hits -= 1
            if returned == []:
                del self._returned[rule_id]
            self._count(rule_id, rule, hits)

    def unused(self) -> list[dict[str, Any]]:
        """The rules that never answered, in matching order (a rule whose only answers were
        streams cut short gave their steps back, but it answered: it is not one)."""
        with self.lock:
            answered = set(self._answered)
        return [
            rule for rule in self.rules() if not rule.get("hits") and rule["id"] not in answered
        ]


class Refunding:
    """A scripted streamed answer's events: closed before its end (a fault rule cut it, or the
    client went away), it gives its rule's step back (:meth:`ResponseTable.refund`), so the
    retry of the same turn gets the same text."""

    __slots__ = ("_events", "_finished", "_rule_id", "_step", "_table")

    def __init__(
        self,
        events: Iterator[bytes],
        table: ResponseTable,
        rule_id: str,
        step: int | None = None,
    ) -> None:
        self._events = events
        self._table = table
        self._rule_id = rule_id
        self._step = step
        self._finished = False

    def __iter__(self) -> Refunding:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._events)
        except StopIteration:
            self._finished = True
            raise

    def close(self) -> None:
        """Stop the events; give the step back unless every event went."""
        if not self._finished:
            self._finished = True
            self._table.refund(self._rule_id, self._step)
        close = getattr(self._events, "close", None)
        if close is not None:
            close()
