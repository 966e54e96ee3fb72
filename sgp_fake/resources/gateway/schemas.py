"""The OpenAI-style gateway's contract: what ``scale-gp-beta`` (``/v5``) and ``scale-gp``'s
``beta`` namespace (``/v4/beta``) send and read, and the usage records the fake keeps.

Requests allow unknown fields (the gateway forwards them to the vendor), in strict mode too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Literal, Optional, Union

from pydantic import ConfigDict, Field, field_serializer

from ...core.lazy_model import LazyModel
from ...settings import GATEWAY_VENDORS
from ..common import utc_created_at

__all__ = [
    "ROLES",
    "VENDORS",
    "CatalogPage",
    "CatalogQuery",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatRequest",
    "Completion",
    "GatewayUsage",
    "ModelDefinition",
    "TextCompletionRequest",
]

VENDORS = GATEWAY_VENDORS
"""The vendors a ``vendor/name`` may name (the SDK's ``model_vendor`` enum)."""

Vendor = Literal[
    "openai", "cohere", "vertex_ai", "anthropic", "azure", "gemini", "launch", "llmengine",
    "model_zoo", "bedrock", "xai", "fireworks_ai",
]  # fmt: skip

_MODEL = "The model as vendor/name, for example openai/gpt-4o-mini."
ROLES = ("assistant", "developer", "function", "system", "tool", "user")
"""The message roles the gateway knows."""

# What the handlers refuse with their own answers (400 for a model that is not vendor/name,
# no message or n out of range; 422 for a message without a known role), documented so that
# the document admits no body they refuse; the answers themselves stay the handlers'.
_MODEL_SCHEMA: Dict[str, Any] = {"pattern": "^[^/]+/."}
_MESSAGES_SCHEMA: Dict[str, Any] = {
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {"role": {"enum": list(ROLES)}},
        "required": ["role"],
        "additionalProperties": True,
    },
}
_CHOICES_SCHEMA: Dict[str, Any] = {"minimum": 1, "maximum": 128}


class ChatRequest(LazyModel):
    """Body of ``POST /v5/chat/completions`` and ``POST /v4/beta/chat/completions``: the
    OpenAI Chat Completions parameters (those the fake reads are typed; others are kept)."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    model: str = Field(description=_MODEL, json_schema_extra=_MODEL_SCHEMA)
    messages: List[Dict[str, Any]] = Field(
        description="The conversation, OpenAI messages.", json_schema_extra=_MESSAGES_SCHEMA
    )
    stream: Optional[bool] = None
    stream_options: Optional[Dict[str, Any]] = Field(
        None, description="include_usage: true adds a last chunk with the usage (choices: [])."
    )
    max_tokens: Optional[int] = None
    max_completion_tokens: Optional[int] = None
    n: Optional[int] = Field(
        None, description="How many choices (1 to 128).", json_schema_extra=_CHOICES_SCHEMA
    )
    stop: Optional[Union[str, List[str]]] = None
    response_format: Optional[Dict[str, Any]] = None
    tools: Optional[List[Dict[str, Any]]] = None
    tool_choice: Optional[Union[str, Dict[str, Any]]] = None


class TextCompletionRequest(LazyModel):
    """Body of ``POST /v5/completions`` and ``POST /v4/beta/completions``."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    model: str = Field(description=_MODEL, json_schema_extra=_MODEL_SCHEMA)
    prompt: Union[str, List[str]]
    stream: Optional[bool] = None
    stream_options: Optional[Dict[str, Any]] = None
    max_tokens: Optional[int] = None
    n: Optional[int] = Field(
        None, description="How many choices (1 to 128).", json_schema_extra=_CHOICES_SCHEMA
    )
    stop: Optional[Union[str, List[str]]] = None
    echo: Optional[bool] = None
    suffix: Optional[str] = None


class Usage(LazyModel):
    """Token counts of an answer."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ToolCallFunction(LazyModel):
    name: str
    arguments: str = Field(description="The arguments, a JSON document.")


class ToolCall(LazyModel):
    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunction


class ChatMessage(LazyModel):
    role: Literal["assistant"] = "assistant"
    content: Optional[str] = None
    tool_calls: Optional[List[ToolCall]] = None


class ChatChoice(LazyModel):
    index: int
    message: ChatMessage
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class ChatCompletion(LazyModel):
    """The answer of a chat completion (``stream`` false); with ``stream: true``, Server-Sent
    Events of :class:`ChatCompletionChunk`, ended by ``event: done`` / ``data: [DONE]``."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: List[ChatChoice]
    usage: Usage


class ChunkChoice(LazyModel):
    index: int
    delta: Dict[str, Any]
    finish_reason: Optional[str] = None


class ChatCompletionChunk(LazyModel):
    """One event of a streamed chat completion."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: List[ChunkChoice]
    usage: Optional[Usage] = None


class CompletionChoice(LazyModel):
    index: int
    text: str
    finish_reason: Optional[Literal["stop", "length", "content_filter"]] = Field(
        description="Null on the streamed chunks before the last, as OpenAI sends them."
    )


class Completion(LazyModel):
    """The answer of a text completion, and each event of a streamed one."""

    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: List[CompletionChoice]
    usage: Optional[Usage] = None


class ModelDefinition(LazyModel):
    """A model the caller can call."""

    model_config = ConfigDict(protected_namespaces=())

    model_name: str = Field(description="The name after the vendor: gpt-4o-mini.")
    model_vendor: Vendor
    model_type: Literal["generic", "completion", "chat_completion"]
    model_availability: Literal["unknown", "available", "unavailable"] = "available"


class CatalogPage(LazyModel):
    """Answer of ``GET /v5/chat/completions/models``: never paged (no ``has_more``)."""

    object: Literal["list"] = "list"
    items: List[ModelDefinition]


class CatalogQuery(LazyModel):
    """Query of ``GET /v5/chat/completions/models``."""

    model_config = ConfigDict(protected_namespaces=())

    model_vendor: Optional[Vendor] = None
    sort_order: Literal["asc", "desc"] = "asc"
    sort_by: Optional[str] = Field(
        None, description="Accepted and ignored: the catalog is sorted by vendor, then name."
    )
    limit: Optional[int] = Field(None, description="At most this many models.")
    starting_after: Optional[str] = None
    ending_before: Optional[str] = None


class GatewayUsage(LazyModel):
    """The tokens of one gateway call, as the fake keeps it (the ``gateway_usage`` kind of
    the state document): "token usage is recorded for the account"."""

    model_config = ConfigDict(protected_namespaces=())

    id: str
    account_id: str
    created_at: datetime
    model: str = Field(description="The vendor/name called.")
    operation: str
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)

    @field_serializer("created_at")
    def _created_at_in_utc(self, value: datetime) -> str:
        return utc_created_at(value)
