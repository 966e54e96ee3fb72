"""What a model's inference route takes and answers, by model type: the fake's own models.

A model answers ``request_schema`` and ``response_schema``: the JSON Schemas of these models for
its ``model_type`` (completion, chat completion, embedding, reranking; the other types are
executed with a free-form body), with its template's request parameters as the properties of
``model_request_parameters.bindings``. They are computed once per model type and template and
shared by every model of that pair; nothing is stored per model.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any, Dict, List, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, model_validator

from ...core.lazy_model import LAZY, LazyModel
from ..common import cache_small

__all__ = [
    "ChatCompletionRequest",
    "CompletionRequest",
    "CompletionResponse",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "ExecuteRequest",
    "ExecuteResponse",
    "ParameterBindings",
    "RerankingRequest",
    "RerankingResponse",
    "model_schemas",
]

_CONFIG = ConfigDict(protected_namespaces=())


class ParameterBindings(LazyModel):
    """Values of the template's request parameters, by name."""

    bindings: Dict[str, Union[str, float, bool]]


class TextUserMessageContentParts(LazyModel):
    """Text in a user message."""

    type: Literal["text"] = "text"
    text: str


class ImageURL(LazyModel):
    """An image, by URL."""

    url: str
    detail: Literal["low", "high", "auto"] = None  # type: ignore[assignment]


class ImageURLUserMessageContentParts(LazyModel):
    """An image in a user message, by URL."""

    type: Literal["image_url"] = "image_url"
    image_url: ImageURL


class ImageData(LazyModel):
    """An image, inline."""

    data: str = Field(description="The image, base64-encoded.")
    media_type: str
    detail: Literal["low", "high", "auto"] = None  # type: ignore[assignment]
    type: Literal["base64"] = "base64"


class ImageDataUserMessageContentParts(LazyModel):
    """An image in a user message, inline."""

    type: Literal["image_data"] = "image_data"
    image_data: ImageData


# The SDK's types tell parts apart by "type" and messages by "role" (the service's unions are
# discriminated): a wrong tag is one union_tag_invalid error, not one error per variant. A
# tag left out is filled in, as the fake reads such a message: a message is the user's, a
# part the kind its other key names (text without either).
UserMessageContentPart = Annotated[
    Union[
        TextUserMessageContentParts,
        ImageURLUserMessageContentParts,
        ImageDataUserMessageContentParts,
    ],
    Field(discriminator="type"),
]


class UserMessage(LazyModel):
    """A turn of the user."""

    role: Literal["user"] = "user"
    content: Union[str, List[UserMessageContentPart]]

    # Here, not on the part's type: a validator there would be named in the locations of
    # the content's errors (inside its str-or-list union).
    @model_validator(mode="before")
    @classmethod
    def _part_types_when_left_out(cls, value: Any) -> Any:
        content = value.get("content") if isinstance(value, dict) else None
        if not isinstance(content, list):
            return value
        parts = [
            {"type": next((k for k in ("image_url", "image_data") if k in part), "text"), **part}
            if isinstance(part, dict) and "type" not in part
            else part
            for part in content
        ]
        return {**value, "content": parts}


class AssistantMessage(LazyModel):
    """A turn of the model."""

    role: Literal["assistant"] = "assistant"
    content: str


class SystemMessage(LazyModel):
    """Instructions to the model."""

    role: Literal["system"] = "system"
    content: str


def _user_when_left_out(value: Any) -> Any:
    if isinstance(value, dict) and "role" not in value:
        return {"role": "user", **value}
    return value


FlexibleMessage = Annotated[
    Union[UserMessage, AssistantMessage, SystemMessage],
    Field(discriminator="role"),
    BeforeValidator(_user_when_left_out),
]


class CompletionRequest(LazyModel):
    """Body of ``POST /v4/models/{model_deployment_id}/completions``."""

    model_config = _CONFIG

    prompt: str
    chat_template: str = None  # type: ignore[assignment]
    chat_template_kwargs: Dict[str, Any] = None  # type: ignore[assignment]
    frequency_penalty: float = None  # type: ignore[assignment]
    logprobs: bool = None  # type: ignore[assignment]
    max_tokens: int = None  # type: ignore[assignment]
    model_request_parameters: ParameterBindings = None  # type: ignore[assignment]
    presence_penalty: float = None  # type: ignore[assignment]
    reasoning_effort: Literal["low", "medium", "high"] = None  # type: ignore[assignment]
    stop_sequences: List[str] = None  # type: ignore[assignment]
    stream: bool = False
    temperature: float = None  # type: ignore[assignment]
    top_k: float = None  # type: ignore[assignment]
    top_logprobs: int = None  # type: ignore[assignment]
    top_p: float = None  # type: ignore[assignment]


class ChatCompletionRequest(CompletionRequest):
    """Body of ``POST /v4/models/{model_deployment_id}/chat-completions``."""

    chat_history: List[FlexibleMessage]


class TopLogprob(LazyModel):
    """An alternative token and its log probability."""

    token: str
    logprob: float
    bytes: List[int] = None  # type: ignore[assignment]


class TokenLogprob(LazyModel):
    """A generated token and its log probability."""

    token: str
    logprob: float
    top_logprobs: List[TopLogprob]
    bytes: List[int] = None  # type: ignore[assignment]


class Logprobs(LazyModel):
    """Log probabilities of a choice's tokens."""

    content: List[TokenLogprob] = None  # type: ignore[assignment]


class Choice(LazyModel):
    """One generated choice."""

    index: int
    logprobs: Logprobs = None  # type: ignore[assignment]


class CompletionResponse(LazyModel):
    """Answer of a completion or chat completion, and each chunk of its stream."""

    completions: List[List[Any]] = Field(description="[prompt, [text, ...]] per prompt.")
    choices: List[Choice] = None  # type: ignore[assignment]
    finish_reason: str = None  # type: ignore[assignment]
    prompt_tokens: int = None  # type: ignore[assignment]
    response_tokens: int = None  # type: ignore[assignment]


class EmbeddingRequest(LazyModel):
    """Body of ``POST /v4/models/{model_deployment_id}/embeddings``."""

    model_config = _CONFIG

    texts: List[str]
    model_request_parameters: ParameterBindings = None  # type: ignore[assignment]


class EmbeddingResponse(LazyModel):
    """Answer of an embedding: one vector per text."""

    embeddings: List[List[Any]]
    tokens_used: int = None  # type: ignore[assignment]


class RerankingRequest(LazyModel):
    """Body of ``POST /v4/models/{model_deployment_id}/rerankings``."""

    model_config = _CONFIG

    chunks: List[str]
    query: str
    instruction: str = None  # type: ignore[assignment]
    model_request_parameters: ParameterBindings = None  # type: ignore[assignment]


class RerankingResponse(LazyModel):
    """Answer of a reranking: one score per chunk."""

    chunk_scores: List[float]
    tokens_used: int = None  # type: ignore[assignment]


class ExecuteRequest(LazyModel):
    """Body of ``POST .../deployments/{model_deployment_id}/execute``: free-form."""

    model_config = ConfigDict(extra="allow")

    stream: bool = None  # type: ignore[assignment]


class ExecuteResponse(RootModel[Dict[str, Any]]):
    """Answer of an execution: any JSON object."""

    model_config = LAZY


_ROUTES: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    "COMPLETION": (CompletionRequest, CompletionResponse),
    "CHAT_COMPLETION": (ChatCompletionRequest, CompletionResponse),
    "EMBEDDING": (EmbeddingRequest, EmbeddingResponse),
    "RERANKING": (RerankingRequest, RerankingResponse),
}
_EXECUTED = (ExecuteRequest, ExecuteResponse)

_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}

RequestParameters = tuple[tuple[str, str, Optional[str], bool], ...]
"""A template's request parameters: name, type, description, required."""


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template="#/$defs/{model}")


def _with_bindings(schema: dict[str, Any], parameters: RequestParameters) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, type_, description, is_required in parameters:
        prop: dict[str, Any] = {"type": _JSON_TYPES.get(type_, "string")}
        if description:
            prop["description"] = description
        properties[name] = prop
        if is_required:
            required.append(name)
    bindings: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        bindings["required"] = required
    request_parameters: dict[str, Any] = {
        "type": "object",
        "title": "ParameterBindings",
        "description": "Values of the template's request parameters, by name.",
        "properties": {"bindings": bindings},
        "required": ["bindings"],
    }
    schema = {**schema, "properties": {**schema["properties"]}}
    schema["properties"]["model_request_parameters"] = request_parameters
    if required:
        schema["required"] = [*schema.get("required", []), "model_request_parameters"]
    return schema


@functools.lru_cache(maxsize=512)
def _schemas(model_type: str, parameters: RequestParameters) -> tuple[bytes, bytes]:
    request_model, response_model = _ROUTES.get(model_type, _EXECUTED)
    request = _schema(request_model)
    if parameters and "model_request_parameters" in request["properties"]:
        request = _with_bindings(request, parameters)
    response = _schema(response_model)
    return (
        json.dumps(request, separators=(",", ":")).encode(),
        json.dumps(response, separators=(",", ":")).encode(),
    )


def _request_parameters(template: bytes | None) -> RequestParameters:
    return () if template is None else _template_request_parameters(template)


@cache_small(maxsize=1024)
def _template_request_parameters(template: bytes) -> RequestParameters:
    schema = json.loads(template).get("model_request_parameters_schema") or {}
    parameters: dict[str, tuple[str, str, Optional[str], bool]] = {}
    for parameter in schema.get("parameters", ()):
        name = parameter["name"]
        if name not in parameters:
            parameters[name] = (
                name,
                parameter["type"],
                parameter.get("description"),
                bool(parameter.get("required")),
            )
    return tuple(parameters.values())


def model_schemas(model_type: str, template: bytes | None) -> tuple[bytes, bytes]:
    """The JSON of ``request_schema`` and ``response_schema`` for a model of ``model_type``
    made from the template whose stored JSON is ``template`` (``None``: no template)."""
    return _schemas(model_type, _request_parameters(template))
