"""What a request is about, beyond its method, path and account: facts a rule can match.

An operation may declare ``about`` (see :class:`~sgp_fake.core.operations.Operation`): a
function of the request that gives named facts, each a tuple of strings. The inference routes
give ``deployment`` (the deployment's id, and its name when it exists), ``model`` (its model's
id and name) and ``prompt`` (the texts the request is about: a prompt, the texts to embed, a
reranking's query). Fault rules (:mod:`sgp_fake.core.faults`) and scripted responses match them
through :func:`facts_match`: a deployment or a model by id or name, a prompt by substring or by
regular expression (searched, as :func:`re.search` does).

Regular expressions run on RE2 (google-re2), whose matching takes time linear in the text: a
pattern such as ``(a+)+$`` cannot make one request stall the event loop (and every other
request) as Python's backtracking :mod:`re` would. RE2 has no backreferences and no lookaround;
a pattern that uses them is refused (``ValueError``, a 422 over HTTP) with RE2's reason.

Facts cost a lookup or two and a parse of the body, so they are computed only when a rule needs
them (:class:`LazyFacts`): requests meet no such rule pay nothing.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Mapping

import re2  # type: ignore[import-untyped]

__all__ = ["Facts", "LazyFacts", "compile_pattern", "facts_match"]

Facts = Mapping[str, tuple[str, ...]]
"""Named facts of a request: ``{"deployment": (id, name), "prompt": (text, ...)}``."""

NO_FACTS: Facts = {}


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the reason goes into the ValueError, not to stderr


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (once); ``ValueError`` when RE2 cannot take it: not a
    regular expression, or one that needs backtracking (backreferences, lookaround)."""
    try:
        # Python's syntax first (never matched with): RE2 reads some patterns re refuses as
        # literals (a{99999999999}), and a rule means what it would mean in Python.
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    except (OverflowError, RecursionError) as exc:  # a{99999999999}, thousands of nested groups
        raise ValueError(f"not a valid regular expression: {exc}") from None
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except UnicodeEncodeError:  # RE2 reads UTF-8
        raise ValueError(
            "not a regular expression RE2 accepts: it holds a lone surrogate, which UTF-8 "
            "cannot carry"
        ) from None
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(
            f"not a regular expression RE2 accepts ({reason}): RE2 matches in time linear in "
            "the text, so it has no backreferences and no lookaround"
        ) from None
    except (OverflowError, RecursionError, TypeError) as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None


def facts_match(
    facts: Facts,
    *,
    deployment: str | None = None,
    model: str | None = None,
    prompt: str | None = None,
    prompt_regex: str | None = None,
) -> bool:
    """Whether ``facts`` satisfy every matcher given (``None``: any value).

    ``deployment`` and ``model`` equal one of the fact's values (an id or a name); ``prompt``
    is a substring of one of the prompts, and ``prompt_regex`` is found in one of them. A
    request with no such fact matches no matcher of it.
    """
    if deployment is not None and deployment not in facts.get("deployment", ()):
        return False
    if model is not None and model not in facts.get("model", ()):
        return False
    if prompt is not None and not any(prompt in text for text in facts.get("prompt", ())):
        return False
    if prompt_regex is not None:
        search = compile_pattern(prompt_regex).search
        if not any(_found(search, text) for text in facts.get("prompt", ())):
            return False
    return True


_SURROGATE = re.compile("[\ud800-\udfff]")


def _found(search: Callable[[str], Any], text: str) -> bool:
    """Whether ``search`` (an RE2 pattern's) finds its pattern in ``text``. RE2 reads UTF-8,
    which cannot carry a lone surrogate (JSON text can: ``"\\ud800"``), so in a text that holds
    one each is searched as U+FFFD, the replacement character: ``.`` matches it, and the
    rest of the text is searched as it is."""
    try:
        return search(text) is not None
    except UnicodeEncodeError:
        return search(_SURROGATE.sub("\ufffd", text)) is not None


class LazyFacts:
    """A request's facts, computed on first use and then kept (``compute`` must not raise;
    whatever it raises counts as no facts)."""

    __slots__ = ("_compute", "_facts")

    def __init__(self, compute: Callable[[], Facts] | None) -> None:
        self._compute = compute
        self._facts: Facts | None = None

    def get(self) -> Facts:
        """The facts (empty when the request's operation declares none)."""
        facts = self._facts
        if facts is None:
            facts = NO_FACTS
            if self._compute is not None:
                try:
                    facts = self._compute()
                except Exception:  # a request its operation cannot read is about nothing
                    facts = NO_FACTS
            self._facts = facts
        return facts
