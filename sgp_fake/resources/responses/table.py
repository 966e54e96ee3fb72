"""The scripted responses of one fake: a table of rules, and how a call finds its content.

Rules are records of the ``responses`` kind, so the admin state document, resets (whole and
per account) and state files cover them as every other record. They are tried in the order
they were added; the first that matches a call and has content for its route answers it, and
counts the answer (``hits``): the next text of a sequence is ``texts[hits]``, the last one once
they are spent. Matching and counting happen under the fake's lock, so concurrent calls each
get their own step of a sequence.
"""

from __future__ import annotations

import json
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

from ...core.facts import Facts, facts_match
from ...core.table import Record, Table
from ..common import cache_small
from .schemas import ANY_ACCOUNT, ResponseSpec, ScriptedResponse

__all__ = ["Content", "ResponseTable", "Scripted"]

Content = Literal["text", "embedding", "scores", "execute", "chat"]
"""What a route asks of a rule: completions, chat and execute a ``text`` (execute may take the
whole ``execute`` answer instead), embeddings an ``embedding`` (or a dimension), rerankings
``scores``, the gateway's chat a ``chat`` (text, texts or tool calls)."""

_GIVES: dict[str, tuple[str, ...]] = {
    "text": ("text", "texts"),
    "embedding": ("embedding", "dimensions"),
    "scores": ("scores",),
    "execute": ("execute",),
    "chat": ("text", "texts", "tool_calls"),
}


class Scripted(NamedTuple):
    """The content a rule gave one answer: the rule's id and fields, and the text of this step
    (for a rule with text or texts)."""

    id: str
    rule: dict[str, Any]
    text: str | None


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

    def add(self, spec: ResponseSpec | None = None, /, **fields: Any) -> dict[str, Any]:
        """Add a rule (a :class:`ResponseSpec`, or its fields); return it as stored.

        ``pydantic.ValidationError`` (a ``ValueError``) for a rule that is not one: no content,
        an unknown field, a regular expression that does not compile.
        """
        if spec is None:
            spec = ResponseSpec.model_validate(fields)
        elif fields:
            raise TypeError("give a ResponseSpec or its fields, not both")
        return self.add_record(spec).as_dict()

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
        """The first rule that matches a call (``facts``: what it is about; ``account_id``: its
        deployment's account) and gives ``content``, with its step's text; the answer is
        counted (``count``). ``None`` when no rule does."""
        if not len(self):
            return None
        wanted = _GIVES[content]
        with self.lock:
            for record in self.all():
                rule = _parsed(record.body)
                if not any(name in rule for name in wanted) or not _matches(
                    rule, facts, account_id
                ):
                    continue
                hits = rule.get("hits", 0)
                text = rule.get("text")
                texts = rule.get("texts")
                if texts:
                    text = texts[min(hits, len(texts) - 1)]
                if count:
                    self.update(
                        record.id,
                        json.dumps(
                            {**rule, "hits": hits + 1}, ensure_ascii=False, separators=(",", ":")
                        ).encode(),
                    )
                return Scripted(record.id, rule, text if content in ("text", "chat") else None)
        return None
