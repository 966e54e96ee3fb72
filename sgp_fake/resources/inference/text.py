"""What a deployed model answers when no scripted response says otherwise, deterministically.

Everything here is a pure function of its inputs, the same in every run and every process,
whatever the fake's seed (hashes are BLAKE2b, never Python's ``hash`` or ``random``):

* :func:`tokens`: the tokenizer. A token is a run of letters, digits and underscores (``\\w+``),
  or any other single character that is not white space; white space separates tokens and is
  none. ``"Hello, world!"`` is 4 tokens.
* :func:`completion_text`: a completion, from the model's name, the prompt and the chat history
  (8 to 32 words and their punctuation).
* :func:`capped`: a text cut to its first ``max_tokens`` tokens.
* :func:`deltas`: a text as stream chunks, one token (with the white space before it) each,
  which join back to exactly the text.
* :func:`embedding`: a unit vector per text (same text, same vector).
* :func:`rerank_score`: the share of the query's distinct words (lower case) the chunk holds,
  from 0 to 1.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from typing import Any, Iterator, Sequence

__all__ = [
    "DEFAULT_DIMENSIONS",
    "capped",
    "completion_text",
    "completion_text_of",
    "count_tokens",
    "count_tokens_in",
    "deltas",
    "embedding",
    "rerank_score",
    "tokens",
]

DEFAULT_DIMENSIONS = 16
"""The length of an embedding no scripted response sets one for."""

_TOKEN = re.compile(r"\w+|[^\w\s]")
_DELTA = re.compile(r"\s*(?:\w+|[^\w\s])")
_WORD = re.compile(r"\w+")

_WORDS = (
    "the", "model", "answers", "with", "a", "clear", "and", "short", "reply", "about",
    "your", "question", "it", "considers", "context", "data", "tokens", "results", "first",
    "then", "every", "step", "of", "plan", "is", "checked", "again", "for", "quality",
    "service", "deployment", "request", "response", "value", "simple", "useful", "fake",
    "test", "stable", "output", "text", "each", "word", "comes", "from", "hash", "so",
    "runs", "agree", "here", "today", "team", "agent", "tool", "call", "next", "turn",
    "summary", "detail", "example", "fact", "idea", "note", "point",
)  # fmt: skip


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` (see the module docstring)."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """How many tokens ``text`` has."""
    if len(text) > _CACHED_TEXT:
        return len(_TOKEN.findall(text))
    return _count_tokens(text)


def count_tokens_in(texts: Sequence[str]) -> int:
    """How many tokens ``texts`` have together: ``sum(map(count_tokens, texts))``."""
    size = sum(map(len, texts))
    if size > _CACHED_TEXT:
        # Each text cached on its own: a long conversation's earlier messages are counted once.
        return sum(map(count_tokens, texts))
    # Tokens never span white space, so joined by a newline they count the same, in one call.
    return _count_tokens("\n".join(texts))


@functools.lru_cache(maxsize=4096)
def _count_tokens(text: str) -> int:
    # A conversation's history is counted again on every turn: each message once.
    return len(_TOKEN.findall(text))


def _stream(key: bytes) -> Iterator[int]:
    """Bytes derived from ``key``, as many as asked for."""
    counter = 0
    while True:
        yield from hashlib.blake2b(key, digest_size=64, salt=counter.to_bytes(16, "big")).digest()
        counter += 1


def _key(*parts: Any) -> bytes:
    return json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def completion_text(model_name: str, prompt: str, chat_history: Sequence[Any] | None = None) -> str:
    """The default completion of ``prompt`` by the model named ``model_name``, after
    ``chat_history`` (the messages as the fake reads them: dicts with ``role`` and ``content``,
    ``role`` filled in; ``None`` or empty for a plain completion)."""
    history = tuple(
        history_entry(message.get("role"), message.get("content")) for message in chat_history or ()
    )
    return completion_text_of(model_name, prompt, history)


def history_entry(role: Any, content: Any) -> tuple[Any, str]:
    """A message of the chat history as :func:`completion_text_of` takes it."""
    return history_role(role), content if isinstance(content, str) else _key_text(content)


def history_role(role: Any) -> Any:
    """A message's ``role`` as :func:`completion_text_of` takes it: as sent, or a list or an
    object (any JSON may come where no check refused it) as its JSON text, which is hashable."""
    return _key_text(role) if isinstance(role, (list, dict)) else role


def _key_text(value: Any) -> str:
    # Back to the text _key wrote: a lone surrogate (JSON carries one, UTF-8 cannot) stays one.
    return _key(value).decode("utf-8", "surrogatepass")


def completion_text_of(model_name: str, prompt: str, history: tuple[tuple[Any, str], ...]) -> str:
    """:func:`completion_text` with the history given as :func:`history_entry` pairs (a
    caller that reads the messages anyway builds them in the same pass)."""
    if len(prompt) + sum(len(content) for _, content in history) > _CACHED_TEXT:
        # A key is held while cached: a long conversation is computed each time instead.
        return _completion.__wrapped__(model_name, prompt, history)
    return _completion(model_name, prompt, history)


_CACHED_TEXT = 8192
"""The longest prompt and history (in characters) whose completion is cached."""


@functools.lru_cache(maxsize=1024)
def _completion(model_name: str, prompt: str, history: tuple[tuple[Any, Any], ...]) -> str:
    # Tests call the same model with the same prompt again and again: computed once.
    messages = [{"role": role, "content": content} for role, content in history]
    data = _stream(_key("completion", model_name, prompt, messages))
    count = 8 + next(data) % 25
    words = [_WORDS[(next(data) << 8 | next(data)) % len(_WORDS)] for _ in range(count)]
    comma = next(data) % count
    words[0] = words[0].capitalize()
    if 0 < comma < count - 1:
        words[comma] += ","
    return " ".join(words) + "."


def capped(text: str, max_tokens: int | None) -> tuple[str, bool]:
    """``text`` cut after its first ``max_tokens`` tokens (below 0 counts as 0; ``None``: no
    cap), and whether it was cut."""
    if max_tokens is None:
        return text, False
    limit = max(max_tokens, 0)
    if limit == 0:
        return "", count_tokens(text) > 0
    if count_tokens(text) <= limit:
        return text, False
    for index, match in enumerate(_TOKEN.finditer(text)):
        if index == limit:
            return text[: match.start()].rstrip(), True
    return text, False


def deltas(text: str) -> list[str]:
    """``text`` as stream chunks: one token each, with the white space before it (white space
    after the last token goes with it). Joined, they are ``text``; an empty text is one empty
    chunk."""
    chunks = _DELTA.findall(text)
    if not chunks:
        return [text]
    rest = len(text) - sum(map(len, chunks))
    if rest:
        chunks[-1] += text[len(text) - rest :]
    return chunks


def embedding(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """The default embedding of ``text``: ``dimensions`` numbers from its hash, scaled to a
    vector of length 1."""
    data = _stream(_key("embedding", text))
    values = [
        (int.from_bytes(bytes(next(data) for _ in range(4)), "big") / 2**31) - 1.0
        for _ in range(dimensions)
    ]
    norm = math.sqrt(sum(v * v for v in values))
    if norm == 0.0:  # not met in practice: 2^-32 per component
        return [1.0, *([0.0] * (dimensions - 1))]
    return [v / norm for v in values]


def rerank_score(query: str, chunk: str) -> float:
    """How well ``chunk`` answers ``query``: the share of the query's distinct words (lower
    case) it holds, from 0 (none, or a query without words) to 1 (all)."""
    wanted = {word.lower() for word in _WORD.findall(query)}
    if not wanted:
        return 0.0
    found = {word.lower() for word in _WORD.findall(chunk)}
    return len(wanted & found) / len(wanted)
