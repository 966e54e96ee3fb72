"""``POST /v5/inference``: generic inference, ``args`` passed "straight through to the selected
vendor gateway".

What the fake decides:

* ``model`` is resolved as on every gateway route (:func:`.catalog.resolve`).
* ``args`` is read as the vendor would read it: ``messages`` (a chat: its last user message is
  the prompt), else ``prompt`` (a string or the first of a list), else ``input`` (a string);
  other ``args`` are accepted and ignored.
* ``response`` holds ``{"model", "text", "finish_reason", "usage"}``: the same deterministic
  text as the chat route for the same conversation (or a scripted response's, matchers
  ``model`` and ``prompt``), cut by ``args.max_tokens``.
* The answer is always one JSON ``generic_inference`` object: the SDK declares no stream for
  this route and fails on an event stream, so ``args.stream`` is ignored.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from pydantic import ConfigDict, Field

from ...core.answers import Reply, json_bytes, ok
from ...core.call import Call
from ...core.facts import Facts
from ...core.lazy_model import LazyModel
from ...errors import BodyParseError
from ..inference import text
from . import catalog
from .handlers import _account, _Conversation, _give_back, _record_usage, _script, json_body
from .handlers import about as _gateway_about
from .schemas import _MODEL_SCHEMA

__all__ = [
    "InferenceConfiguration",
    "InferenceRequest",
    "InferenceResponse",
    "about",
    "inference",
]


class InferenceConfiguration(LazyModel):
    """Retries and timeout of the vendor call: accepted, not acted on."""

    num_retries: Optional[int] = None
    timeout_seconds: Optional[int] = None


class InferenceRequest(LazyModel):
    """Body of ``POST /v5/inference``."""

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    model: str = Field(
        description="The model as vendor/name, for example openai/gpt-4o-mini.",
        json_schema_extra=_MODEL_SCHEMA,
    )
    args: Optional[Dict[str, Any]] = Field(
        None, description="The vendor's arguments: messages, or prompt, or input; max_tokens."
    )
    inference_configuration: Optional[InferenceConfiguration] = None


class InferenceResponse(LazyModel):
    """The answer of ``POST /v5/inference``."""

    object: str = "generic_inference"
    response: Dict[str, Any] = Field(
        description="model, text, finish_reason and usage (prompt_tokens, completion_tokens, "
        "total_tokens)."
    )


def _messages(args: Dict[str, Any]) -> list[dict[str, Any]]:
    messages = args.get("messages")
    if isinstance(messages, list):
        return [m for m in messages if isinstance(m, dict)]
    prompt = args.get("prompt", args.get("input"))
    if isinstance(prompt, list):
        prompt = next((p for p in prompt if isinstance(p, str)), "")
    return [{"role": "user", "content": prompt if isinstance(prompt, str) else ""}]


def about(call: Call) -> Facts:
    """What a generic inference request is about, for fault rules: its model, and as its
    prompt the one the handler reads from ``args``."""
    facts = _gateway_about(call)
    body = json_body(call)
    if body is not None and isinstance(body.get("args"), dict):
        facts = {**facts, "prompt": (_Conversation(_messages(body["args"])).prompt,)}
    return facts


def inference(call: Call) -> Reply:
    """``POST /v5/inference``: one ``generic_inference`` object (see the module docstring)."""
    account = _account(call)
    request = call.body(InferenceRequest, free_form=True)
    args = request.args or {}
    conversation = _Conversation(_messages(args))
    max_tokens = args.get("max_tokens")
    with call.transaction():
        model = catalog.resolve(call, request.model, account)
        scripted = _script(call, conversation.facts, model, account, "text")
        if scripted is not None and scripted.text is not None:
            answer = scripted.text
        else:
            answer = conversation.completion(model)
        answer, capped = text.capped(answer, max_tokens if isinstance(max_tokens, int) else None)
        completion_tokens = text.count_tokens(answer)
        body = {
            "object": "generic_inference",
            "response": {
                "model": request.model,
                "text": answer,
                "finish_reason": "length" if capped else "stop",
                "usage": {
                    "prompt_tokens": conversation.tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": conversation.tokens + completion_tokens,
                },
            },
        }
        try:
            reply = ok(json_bytes(body))
        except UnicodeEncodeError as exc:  # a lone surrogate of the request, echoed
            _give_back(call, scripted)  # the 400 answers nothing the script said
            raise BodyParseError() from exc
        _record_usage(call, account, model, conversation.tokens, completion_tokens)
    return reply
