"""Scripted responses: what a test wants a deployed model to answer, as data.

A rule matches calls (on a deployment or a model, by id or name; on an account; on the prompt,
by substring or regular expression) and gives their content: a text (or a sequence of texts for
successive calls), an embedding vector or a dimension, reranking scores, an execute answer.
:class:`ResponseSpec` is what a test sends (``POST /_fake/responses``, ``fake.respond()``);
:class:`ScriptedResponse` the stored rule, with its id and how often it answered.
"""

from __future__ import annotations

from typing import Annotated, Any, Dict, List, Optional, Union

from pydantic import ConfigDict, Field, field_validator, model_validator

from ...core.facts import compile_pattern
from ...core.lazy_model import LazyModel

__all__ = ["ANY_ACCOUNT", "CONTENT_FIELDS", "MAX_DIMENSIONS", "ResponseSpec", "ScriptedResponse"]

ANY_ACCOUNT = "*"
"""The account a rule for every account is stored under."""

MAX_DIMENSIONS = 4096
"""The longest default embedding a rule may ask for."""

CONTENT_FIELDS = (
    "text",
    "texts",
    "chunks",
    "embedding",
    "dimensions",
    "scores",
    "execute",
    "tool_calls",
)
"""The fields that give a rule's content; it needs one at least."""

Finite = Annotated[float, Field(allow_inf_nan=False)]

_CONTENT_TYPES = {
    "text": "string",
    "texts": "array",
    "chunks": "array",
    "embedding": "array",
    "dimensions": "integer",
    "scores": "array",
    "execute": "object",
    "tool_calls": "array",
}


def _given(*names: str) -> dict[str, Any]:
    # A field set to null counts as absent, as it does for the validator.
    return {
        "required": list(names),
        "properties": {name: {"type": _CONTENT_TYPES[name]} for name in names},
    }


_GIVES_CONTENT: dict[str, Any] = {
    # In allOf, not beside "properties", where code generators read it as alternative objects.
    "allOf": [{"anyOf": [_given(name) for name in CONTENT_FIELDS]}],
    "not": {
        "anyOf": [_given("text", "texts"), _given("text", "chunks"), _given("texts", "chunks")]
    },
}
"""What the validator demands, in the JSON Schema: content, and one of text, texts and chunks
at most."""


class ToolCallSpec(LazyModel):
    """A tool call a scripted gateway answer makes (``tool_calls``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The function to call.")
    arguments: Union[Dict[str, Any], str] = Field(
        default_factory=dict,
        description="Its arguments: an object, sent as a JSON document; or a string, sent "
        "exactly as given (a model's malformed JSON, to test how the code under test copes).",
    )


class _Rule(LazyModel):
    """The matchers and the content of a rule (see the module docstring)."""

    account_id: Optional[str] = Field(
        None,
        description="Only calls that act for this account: the account the request names "
        "(x-selected-account-id), else the account of the deployment it calls, as fault rules "
        "and the journal's account mean it; null (or '*') for every account. A per-account "
        "reset removes the rules of that account.",
    )
    deployment: Optional[str] = Field(
        None, description="Only calls to this model deployment, by id or name."
    )
    model: Optional[str] = Field(
        None, description="Only calls to a deployment of this model, by id or name."
    )
    prompt: Optional[str] = Field(
        None,
        description="Only calls whose prompt holds this text: a completion's prompt, a chat's "
        "new message (its prompt), one of an execution's prompts, one of the texts to embed "
        "(that text only), a reranking's query.",
    )
    prompt_regex: Optional[str] = Field(
        None,
        description="Only calls one of whose prompts this regular expression (RE2: no "
        "backreferences or lookaround) is found in, as prompt says.",
        json_schema_extra={"format": "regex"},
    )
    text: Optional[str] = Field(
        None,
        description="The completion's text (completions, chat, and each prompt of an "
        "execution); streamed as every answer is.",
    )
    texts: Optional[List[str]] = Field(
        None,
        min_length=1,
        description="Texts for successive calls, in order: a multi-turn conversation. Once "
        "spent, the last one repeats.",
    )
    chunks: Optional[List[str]] = Field(
        None,
        min_length=1,
        description="The text as exact stream chunks: a streamed answer sends each as one "
        "delta, in order (to split a word or a multi-byte character across chunks); the "
        "text is their concatenation. Not with text or texts.",
    )
    embedding: Optional[List[Finite]] = Field(
        None, min_length=1, description="The vector of each text it matches (embeddings)."
    )
    dimensions: Optional[int] = Field(
        None,
        ge=1,
        le=MAX_DIMENSIONS,
        description="The length of the default vectors of the texts it matches (embeddings; "
        "16 without a rule).",
    )
    scores: Optional[List[Finite]] = Field(
        None,
        description="The reranking's chunk_scores, in order; chunks past the list keep their "
        "default score, scores past the chunks are dropped.",
    )
    execute: Optional[Dict[str, Any]] = Field(
        None, description="The answer of an execution, a JSON object, as it is."
    )

    tool_calls: Optional[List[ToolCallSpec]] = Field(
        None,
        min_length=1,
        description="Gateway chat (/v5/chat/completions, /v4/beta/chat/completions): the answer "
        "calls these tools (finish_reason tool_calls, ids call_...), with text as its content "
        "if given; Responses (/v5/responses): function_call output items (call_id call_...), "
        "after a message of the text if given.",
    )
    tool_result: Optional[bool] = Field(
        None,
        description="Gateway chat and Responses only: true matches a conversation whose last "
        "message is a tool result (role tool; a function_call_output input item), false one "
        "whose last message is not.",
    )
    turn: Optional[int] = Field(
        None,
        ge=0,
        description="Gateway chat and Responses only: matches a conversation with this many "
        "assistant messages already in it (on Responses, an answer's message and function_call "
        "input items count as one).",
    )

    @field_validator("prompt_regex")
    @classmethod
    def _compiles(cls, value: Optional[str]) -> Optional[str]:
        if value is not None:
            compile_pattern(value)
        return value


def _gives_content(rule: Any) -> Any:
    if all(getattr(rule, name) is None for name in CONTENT_FIELDS):
        raise ValueError(f"a scripted response gives content: one of {', '.join(CONTENT_FIELDS)}")
    given = [name for name in ("text", "texts", "chunks") if getattr(rule, name) is not None]
    if len(given) > 1:
        if given[:2] == ["text", "texts"]:
            raise ValueError("a scripted response gives a text or texts, not both")
        raise ValueError(f"a scripted response gives one of text, texts and chunks, not {given}")
    return rule


class ResponseSpec(_Rule):
    """A scripted response to add: body of ``POST /_fake/responses``, and what
    ``fake.respond()`` takes. It gives content (one of text, texts, chunks, embedding,
    dimensions, scores, execute, tool_calls; at most one of text, texts and chunks); its
    matchers all apply (none: every call)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_GIVES_CONTENT)

    _content = model_validator(mode="after")(_gives_content)


class ScriptedResponse(_Rule):
    """A scripted response as the fake keeps it (``GET /_fake/responses``, the state
    document): the rule, its id, and how many answers it gave."""

    model_config = ConfigDict(json_schema_extra=_GIVES_CONTENT)

    id: str = Field(description="Use it to remove the rule: DELETE /_fake/responses/{id}.")
    account_id: str = Field(
        ANY_ACCOUNT,
        description="Only calls that act for this account (the request's, else the called "
        "deployment's); '*' for every account.",
    )
    hits: int = Field(
        0,
        ge=0,
        description="How many answers it gave (a call, or a text of an embedding call, or a "
        "prompt of an execution): the next of texts is texts[hits].",
    )

    _content = model_validator(mode="after")(_gives_content)
