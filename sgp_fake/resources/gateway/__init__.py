"""The OpenAI-style inference gateway: ``/v5/chat/completions``, ``/v5/completions``, their
``/v4/beta`` twins (one implementation each: the same request and chunk shapes) and the
catalog ``/v5/chat/completions/models``.

``model`` is ``vendor/name``: a model of the fake's catalog (:mod:`.catalog`: well-known
hosted models, plus ``FakeSettings.gateway_models``) or a ready ``/v5/models`` record of the
caller's account. Answers are deterministic, scripted responses apply (matchers ``model``,
``prompt``, ``tool_result``, ``turn``; content ``text``, ``texts``, ``tool_calls``), and each
answered call is counted in a usage record of the caller's account (the ``gateway_usage``
kind). See :mod:`.handlers` for what the fake decides.
"""

from __future__ import annotations

import functools
from typing import Any

from ...core.call import SelectedAccount
from ...core.compact import CompactTable
from ...core.operations import Operation, Resource
from . import generic, handlers, openai_responses, v4
from .schemas import (
    CatalogPage,
    CatalogQuery,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    Completion,
    GatewayUsage,
    TextCompletionRequest,
)

__all__ = ["RESOURCE"]

_TAG = "Inference Gateway"
_MODEL_ERRORS = {
    "400": "The model is not vendor/name, or is a /v5/models record that is not ready; n is "
    "not from 1 to 128",
    "404": "No model of that vendor/name in the fake's catalog or the account's /v5/models "
    "(the message says how to add it)",
    "422": "A /v5 route without x-selected-account-id; a message without a known role",
}

_CHAT = (
    "The OpenAI Chat Completions parameters (unknown ones accepted); model is vendor/name. "
    "A chat.completion, or with stream: true Server-Sent Events of chat.completion.chunk "
    "(a role chunk, a chunk per token or tool call, a finish chunk per choice, the usage "
    "chunk with stream_options.include_usage) ended by 'event: done' / 'data: [DONE]'."
)
_TEXT = (
    "A text_completion of the prompt (or of each prompt of a list); with stream: true, "
    "Server-Sent Events of text_completion, one per token, finish_reason null before each "
    "choice's last, ended by 'event: done' / 'data: [DONE]'."
)


def _route(name: str, path: str, summary: str, **kwargs: Any) -> Operation:
    kwargs.setdefault("errors", _MODEL_ERRORS)
    kwargs.setdefault("streams", True)
    kwargs.setdefault("openai_errors", True)
    kwargs.setdefault("about", handlers.about)
    return Operation(
        name, "POST", path, summary=summary, tag=_TAG,
        **kwargs,
    )  # fmt: skip


OPERATIONS = (
    _route(
        "create_gateway_chat_completion",
        "/v5/chat/completions",
        "Create Chat Completion",
        headers=SelectedAccount,
        handler=handlers.chat_completions,
        body=ChatRequest,
        response=ChatCompletion,
        streams=ChatCompletionChunk,
        description=_CHAT,
    ),
    _route(
        "create_beta_chat_completion",
        "/v4/beta/chat/completions",
        "Create Chat Completion (v4 beta)",
        handler=handlers.chat_completions,
        body=ChatRequest,
        response=ChatCompletion,
        streams=ChatCompletionChunk,
        description=_CHAT + " The same as /v5/chat/completions; x-selected-account-id optional.",
    ),
    Operation(
        "list_gateway_chat_models",
        "GET",
        "/v5/chat/completions/models",
        handlers.models,
        summary="List Chat Completion Models",
        description="The chat models the caller can call: the fake's catalog and the "
        "account's ready /v5/models records, by vendor then name (never paged).",
        query=CatalogQuery,
        response=CatalogPage,
        tag=_TAG,
        headers=SelectedAccount,
    ),
    _route(
        "create_gateway_completion",
        "/v5/completions",
        "Create Completion",
        headers=SelectedAccount,
        handler=handlers.completions,
        body=TextCompletionRequest,
        response=Completion,
        description=_TEXT,
    ),
    _route(
        "create_beta_completion",
        "/v4/beta/completions",
        "Create Completion (v4 beta)",
        handler=handlers.completions,
        body=TextCompletionRequest,
        response=Completion,
        description=_TEXT + " The same as /v5/completions; x-selected-account-id optional.",
    ),
    _route(
        "create_gateway_response",
        "/v5/responses",
        "Create Response",
        headers=SelectedAccount,
        about=openai_responses.about,
        handler=openai_responses.responses,
        body=openai_responses.ResponseRequest,
        response=openai_responses.OpenAIResponse,
        description="The OpenAI Responses API (openai models only). A response object; with "
        "stream: true the Responses events (response.created ... response.completed, each a "
        "named event, ended by closing the stream), except for the scale-gp-beta SDK "
        "(User-Agent SGPClient/... or AsyncSGPClient/...), which reads one JSON body: it "
        "gets the response object. "
        "Accept: text/event-stream asks for the events from any client.",
    ),
    Operation(
        "create_gateway_inference",
        "POST",
        "/v5/inference",
        generic.inference,
        summary="Create Generic Inference",
        description="Generic inference: args (messages, or prompt, or input; max_tokens) "
        "passed to the vendor. Always one JSON generic_inference object.",
        body=generic.InferenceRequest,
        response=generic.InferenceResponse,
        tag=_TAG,
        headers=SelectedAccount,
        errors=_MODEL_ERRORS,
        about=generic.about,
    ),
    _route(
        "create_v4_chat_completion",
        "/v4/chat-completions",
        "Create Chat Completion (v4, model by name)",
        openai_errors=False,  # SGP's own shapes: FastAPI's errors
        about=v4.about,
        handler=v4.chat_completions,
        body=v4.V4ChatRequest,
        response=v4.ChatCompletionsResponse,
        streams=v4.CompletionsChunk,
        description="A chat completion of a model named by its name alone (gpt-4o); "
        "model_parameters' top_k and top_p travel as topK and topP; memory_strategy last_k "
        "keeps the last k messages. With stream: true, Server-Sent Events of "
        "{completions: [[prompt, [delta]]]}, the last with finish_reason and token counts.",
        errors={**_MODEL_ERRORS, "403": "account_id names an account the caller may not use"},
    ),
    _route(
        "create_v4_completion",
        "/v4/completions",
        "Create Completion (v4, model by name)",
        openai_errors=False,  # SGP's own shapes: FastAPI's errors
        about=v4.about,
        handler=v4.completions,
        body=v4.V4CompletionRequest,
        response=v4.CompletionsResponse,
        streams=v4.CompletionsChunk,
        description="A completion of prompt by a model named by its name alone (gpt-4o). "
        "With stream: true, Server-Sent Events of {completions: [[prompt, [delta]]]}, the "
        "last with finish_reason and token counts.",
        errors={**_MODEL_ERRORS, "403": "account_id names an account the caller may not use"},
    ),
)

RESOURCE = Resource(
    kind=handlers.KIND,
    stored=GatewayUsage,
    noun="Gateway usage record",
    # Kept in columns, about 70 bytes a record instead of 0.7 KB: one is kept per answered call.
    table=functools.partial(CompactTable, layout=handlers.LAYOUT),
    tag=_TAG,
    operations=OPERATIONS,
    example={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
)
