"""The top-level v4 ``POST /v4/chat-completions`` and ``POST /v4/completions``: a model by its
name alone (``gpt-4o``), the v4 shapes (``chat_completion`` / ``completion`` with
``token_usage``), ``model_parameters`` with ``topK`` / ``topP`` on the wire.

What the fake decides:

* **Which model.** A name of the fake's catalog (``gpt-4o`` is ``openai/gpt-4o``: the first
  vendor with that name) or of the account's ready ``/v5/models`` records; ``vendor/name``
  works too. An unknown name is a 404 that says how to add it; a record's name that is not
  ``ready`` yet is the 400 naming its status that ``vendor/name`` gets. Contract mode takes
  any name.
  These routes and ``/v5`` share one catalog and one usage count (``gateway_usage``); v4
  models and deployments (``/v4/models``) are not reachable by name here.
* **The account.** The body's ``account_id`` (403 for one the caller may not use), else
  ``x-selected-account-id``, else the caller's only account; the usage counts there.
* **The conversation.** ``instructions`` is a system message before ``messages``;
  ``memory_strategy`` ``last_k`` keeps the last ``k`` messages (``k`` >= 1); a message
  without ``role`` is a user message. The text is the chat route's for the same
  conversation; scripted responses and fault rules apply (``model`` matches the name as
  asked and its ``vendor/name``; ``prompt``).
* ``model_parameters.max_tokens`` cuts the text (``finish_reason: "length"``),
  ``stop_sequences`` cut it before the first one.
* **Streams** (``stream: true``): Server-Sent Events of ``{"completions": [[prompt,
  [delta]]]}``, the last one with ``finish_reason``, ``prompt_tokens`` and
  ``response_tokens`` (as the deployments' inference routes stream), ended by closing the
  connection (the v4 SDK fails on ``data: [DONE]``).
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Literal, Optional, Sequence, Tuple

from pydantic import ConfigDict, Field

from ...core.answers import Reply, json_bytes, ok, sse_event, stream
from ...core.call import Call
from ...core.facts import Facts
from ...core.lazy_model import LazyModel
from ...errors import BadRequest, BodyParseError, FakeHTTPError, NotFound, RequestValidationError
from ..inference import text
from ..responses.table import Scripted
from . import catalog
from .handlers import (
    _account,
    _Conversation,
    _finish,
    _record_usage,
    _refunding,
    _script,
    _stops,
    literal_error,
)
from .handlers import about as _gateway_about

__all__ = [
    "ChatCompletionsResponse",
    "CompletionsChunk",
    "CompletionsResponse",
    "V4ChatRequest",
    "V4CompletionRequest",
    "chat_completions",
    "completions",
]

_ROLES = ("user", "assistant", "system")

# A name alone, or vendor/name with both parts: an empty name, and a name with a slash and an
# empty vendor or name ("/gpt-4o", "openai/"), are refused with 400, documented so the
# document admits no model the handlers refuse; the answer itself stays the handlers'.
_MODEL_SCHEMA: Dict[str, Any] = {"pattern": "^(?:[^/]+$|[^/]+/.)"}

# What the handlers refuse with their own answers (400 for no message or k below 1, 422 for a
# message without content or of another role), documented so that the document admits no
# body they refuse; the answers themselves stay the handlers'.
_MESSAGES_SCHEMA: Dict[str, Any] = {
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {"role": {"enum": list(_ROLES)}},
        "required": ["content"],
        "additionalProperties": True,
    },
}


class ModelParameters(LazyModel):
    """``model_parameters``: ``top_k`` and ``top_p`` travel as ``topK`` and ``topP``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    max_tokens: Optional[int] = None
    stop_sequences: Optional[List[str]] = None
    temperature: Optional[float] = None
    top_k: Optional[int] = Field(None, alias="topK")
    top_p: Optional[float] = Field(None, alias="topP")
    frequency_penalty: Optional[float] = None
    presence_penalty: Optional[float] = None
    reasoning_effort: Optional[str] = None


class MemoryStrategyParams(LazyModel):
    k: int = Field(
        description="How many of the last messages the model sees.",
        json_schema_extra={"minimum": 1},
    )


class MemoryStrategy(LazyModel):
    name: Literal["last_k"] = "last_k"
    params: MemoryStrategyParams


class V4ChatRequest(LazyModel):
    """Body of ``POST /v4/chat-completions``."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    model: str = Field(
        description="A model name, for example gpt-4o (or vendor/name).",
        json_schema_extra=_MODEL_SCHEMA,
    )
    messages: List[Dict[str, Any]] = Field(
        description="{role?: user|assistant|system, content}", json_schema_extra=_MESSAGES_SCHEMA
    )
    account_id: Optional[str] = None
    chat_template: Optional[str] = None
    instructions: Optional[str] = None
    memory_strategy: Optional[MemoryStrategy] = None
    model_parameters: Optional[ModelParameters] = None
    stream: Optional[bool] = None


class V4CompletionRequest(LazyModel):
    """Body of ``POST /v4/completions``."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    model: str = Field(
        description="A model name, for example gpt-4o (or vendor/name).",
        json_schema_extra=_MODEL_SCHEMA,
    )
    prompt: str
    account_id: Optional[str] = None
    images: Optional[List[Dict[str, Any]]] = None
    model_parameters: Optional[ModelParameters] = None
    stream: Optional[bool] = None


class TokenUsage(LazyModel):
    total: int
    prompt: int
    completion: int


class AssistantMessage(LazyModel):
    role: Literal["assistant"] = "assistant"
    content: str


class V4ChatCompletion(LazyModel):
    message: AssistantMessage
    finish_reason: Literal["stop", "length"]


class ChatCompletionsResponse(LazyModel):
    """The answer of ``POST /v4/chat-completions`` (``stream`` false)."""

    chat_completion: V4ChatCompletion
    token_usage: TokenUsage


class CompletionsChunk(LazyModel):
    """Each Server-Sent Event of ``POST /v4/chat-completions`` and ``POST /v4/completions``
    with ``stream: true``: the delta, and on the last one the finish reason and token counts."""

    completions: List[Tuple[str, List[str]]] = Field(description="[[prompt, [delta]]]")
    finish_reason: Optional[Literal["stop", "length"]] = None
    prompt_tokens: Optional[int] = None
    response_tokens: Optional[int] = None


class V4Completion(LazyModel):
    text: str
    finish_reason: Literal["stop", "length"]


class CompletionsResponse(LazyModel):
    """The answer of ``POST /v4/completions`` (``stream`` false)."""

    completion: V4Completion
    token_usage: TokenUsage


# -- which model and account ----------------------------------------------------------------------


def _model(call: Call, name: str, account: str | None) -> str:
    """``vendor/name`` of a model named by its name alone (or as ``vendor/name``)."""
    if call.settings.contract:
        return name
    if not name:
        # Not a 404 naming how to add it: no setting can add a model without a name.
        raise BadRequest("Model '' names no model: give its name, for example gpt-4o-mini")
    if "/" in name:
        return catalog.resolve(call, name, account)
    entries = [*catalog.catalog(call.settings), *catalog.v5_model_entries(call, account)]
    for entry in entries:
        if entry.name == name:
            return entry.full_name
    # A /v5/models record of that name that is not ready: the 400 naming it and its status
    # that its vendor/name gets, not a 404 saying there is no such record.
    full_name = catalog.named_record(call, name, account)
    if full_name is not None:
        return catalog.resolve(call, full_name, account)
    raise NotFound(
        f"Model {name} is not available: it is neither in the fake's catalog nor a /v5/models "
        f"record of the account. Add it under its vendor, for example "
        f"FakeSettings(gateway_models=['openai/{name}']), the marker's gateway_models or "
        f"sgp-fake serve --gateway-model openai/{name}"
    )


def _names(asked: str, model: str) -> tuple[str, ...]:
    """The model as rules match it: its ``vendor/name`` and the name asked for, so a rule
    written either way matches (scripted responses and fault rules alike)."""
    return (model,) if asked == model else (model, asked)


def about(call: Call) -> Facts:
    """What a top-level v4 request is about, for fault rules: as on the gateway, with the
    model also as ``vendor/name`` when the name alone is one of the catalog's."""
    facts = _gateway_about(call)
    asked = facts.get("model", ("",))[0]
    if asked and "/" not in asked and not call.settings.contract:
        try:
            model = _model(call, asked, _account(call))
        except FakeHTTPError:  # a model it does not have, a caller it does not know: as asked
            return facts
        facts = {**facts, "model": _names(asked, model)}
    return facts


def _body_account(call: Call, account_id: str | None) -> str | None:
    if account_id is None or call.settings.contract:
        return _account(call)
    call.require_account(account_id)
    return account_id


def _cut(answer: str, parameters: ModelParameters | None) -> tuple[str, str]:
    parameters = parameters or ModelParameters()
    return _finish(answer, _stops(parameters.stop_sequences), parameters.max_tokens)


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {"prompt": prompt_tokens, "completion": completion_tokens,
            "total": prompt_tokens + completion_tokens}  # fmt: skip


def _pieces(answer: str, scripted: Scripted | None) -> Sequence[str]:
    """The deltas of a streamed answer: a scripted response's exact ``chunks`` when the answer
    is all of them (not cut by ``max_tokens`` or a stop sequence), else one per token."""
    if scripted is not None and scripted.chunks and answer == scripted.text:
        return scripted.chunks
    return text.deltas(answer) or [""]


def _events(
    prompt: str, answer: str, finish: str, prompt_tokens: int, scripted: Scripted | None
) -> Iterator[bytes]:
    pieces = _pieces(answer, scripted)
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        chunk: dict[str, Any] = {"completions": [[prompt, [piece]]]}
        if index == last:
            chunk.update(finish_reason=finish, prompt_tokens=prompt_tokens,
                         response_tokens=text.count_tokens(answer))  # fmt: skip
        yield sse_event(chunk)


def _check_messages(messages: List[Dict[str, Any]]) -> None:
    if not messages:
        raise BadRequest("messages must hold one message at least")
    errors: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        # What pydantic reports of a message: its role (optional: "user" when left out) is
        # checked before its content (required).
        loc: list[str | int] = ["body", "messages", index]
        if message.get("role", "user") not in _ROLES:
            errors.append(literal_error([*loc, "role"], _ROLES, message["role"]))
        if "content" not in message:
            errors.append(
                {"type": "missing", "loc": [*loc, "content"], "msg": "Field required",
                 "input": message}
            )  # fmt: skip
    if errors:
        raise RequestValidationError(errors)


def _reply(payload: dict[str, Any], events: Iterator[bytes] | None) -> Reply:
    try:
        return stream(events) if events is not None else ok(json_bytes(payload))
    except UnicodeEncodeError as exc:  # a lone surrogate of the request, echoed
        raise BodyParseError() from exc


# -- the routes -----------------------------------------------------------------------------------


def chat_completions(call: Call) -> Reply:
    """``POST /v4/chat-completions``: ``{chat_completion, token_usage}``, or with ``stream:
    true`` Server-Sent Events of ``{completions: [[prompt, [delta]]]}``."""
    request = call.body(V4ChatRequest, free_form=True)
    contract = call.settings.contract
    if not contract:
        _check_messages(request.messages)
    account = _body_account(call, request.account_id)
    messages = [{**m, "role": m.get("role", "user")} for m in request.messages]
    if request.memory_strategy is not None:
        k = request.memory_strategy.params.k
        if k < 1 and not contract:
            raise BadRequest(f"memory_strategy last_k needs k >= 1, not {k}")
        messages = messages[-max(k, 1) :]
    if request.instructions:
        messages.insert(0, {"role": "system", "content": request.instructions})
    conversation = _Conversation(messages)
    with call.transaction():
        model = _model(call, request.model, account)
        facts = {**conversation.facts(model), "model": _names(request.model, model)}
        scripted = _script(call, facts, model, account, "text")
        if scripted is not None and scripted.text is not None:
            answer = scripted.text
        else:
            answer = conversation.completion(model)
        answer, finish = _cut(answer, request.model_parameters)
        completion_tokens = text.count_tokens(answer)
        payload = {
            "chat_completion": {
                "message": {"role": "assistant", "content": answer},
                "finish_reason": finish,
            },
            "token_usage": _usage(conversation.tokens, completion_tokens),
        }
        events = None
        if request.stream:
            events = _events(conversation.prompt, answer, finish, conversation.tokens, scripted)
            events = _refunding(call, scripted, events)
        reply = _reply(payload, events)
        _record_usage(call, account, model, conversation.tokens, completion_tokens)
    return reply


def completions(call: Call) -> Reply:
    """``POST /v4/completions``: ``{completion, token_usage}``, or with ``stream: true``
    Server-Sent Events of ``{completions: [[prompt, [delta]]]}``."""
    request = call.body(V4CompletionRequest, free_form=True)
    account = _body_account(call, request.account_id)
    prompt_tokens = text.count_tokens(request.prompt)
    with call.transaction():
        model = _model(call, request.model, account)
        facts = {"model": _names(request.model, model), "prompt": (request.prompt,)}
        scripted = _script(call, facts, None, account, "text")
        if scripted is not None and scripted.text is not None:
            answer = scripted.text
        else:
            answer = text.completion_text(model, request.prompt)
        answer, finish = _cut(answer, request.model_parameters)
        completion_tokens = text.count_tokens(answer)
        payload = {
            "completion": {"text": answer, "finish_reason": finish},
            "token_usage": _usage(prompt_tokens, completion_tokens),
        }
        events = None
        if request.stream:
            events = _refunding(
                call, scripted, _events(request.prompt, answer, finish, prompt_tokens, scripted)
            )
        reply = _reply(payload, events)
        _record_usage(call, account, model, prompt_tokens, completion_tokens)
    return reply
