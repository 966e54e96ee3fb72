"""Calling deployed models: completions, chat completions, embeddings, rerankings, execute.

The inference routes keep no records of their own: each answered call writes a usage record
(the ``usage`` kind, child of its deployment), so :mod:`sgp_fake.resources.usage` serves
:data:`OPERATIONS` as operations of that kind, before its statistics routes. They read
deployments, models, templates and scripted responses (:mod:`sgp_fake.resources.responses`).
See :mod:`.handlers` for what they check and :mod:`.text` for the default answers.
"""

from __future__ import annotations

from typing import Any

from ...core.operations import Operation
from ..deployments.handlers import NOT_FOUND, about
from . import handlers
from .schemas import (
    ChatCompletionRequest,
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ExecuteAnswer,
    ExecuteRequest,
    RerankingRequest,
    RerankingResponse,
)

__all__ = ["OPERATIONS", "TAG"]

TAG = "Model Inference"

_NOT_SERVING = "The deployment is not READY, or its model is not of a type the route serves"


def _route(name: str, suffix: str, summary: str, **kwargs: Any) -> Operation:
    """An inference route of a deployment: ``POST /v4/models/{model_deployment_id}/<suffix>``."""
    return Operation(
        name,
        "POST",
        f"/v4/models/{{model_deployment_id}}/{suffix}",
        summary=summary,
        tag=TAG,
        not_found=NOT_FOUND,
        errors={"400": _NOT_SERVING},
        about=about,
        **kwargs,
    )


OPERATIONS: tuple[Operation, ...] = (
    _route(
        "create_completion",
        "completions",
        "Create Completion",
        handler=handlers.completions,
        body=CompletionRequest,
        response=CompletionResponse,
        streams=True,
        description="A completion of the prompt; with stream: true, Server-Sent Events, one "
        "per token, each a CompletionResponse whose completions hold the delta (the last "
        "with finish_reason and the token counts).",
    ),
    _route(
        "create_chat_completion",
        "chat-completions",
        "Create Chat Completion",
        handler=handlers.chat_completions,
        body=ChatCompletionRequest,
        response=CompletionResponse,
        streams=True,
        description="The model's next turn after chat_history and the prompt (a COMPLETION "
        "model completes the prompt alone); streams as completions do.",
    ),
    _route(
        "create_embedding",
        "embeddings",
        "Create Embeddings",
        handler=handlers.embeddings,
        body=EmbeddingRequest,
        response=EmbeddingResponse,
        description="A unit vector per text (same text, same vector); an EMBEDDING model.",
    ),
    _route(
        "create_reranking",
        "rerankings",
        "Create Rerankings",
        handler=handlers.rerankings,
        body=RerankingRequest,
        response=RerankingResponse,
        description="A score from 0 to 1 per chunk: the share of the query's words it holds; "
        "a RERANKING model.",
    ),
    Operation(
        "execute_model_deployment",
        "POST",
        "/v4/models/{model_instance_id}/deployments/{model_deployment_id}/execute",
        handlers.execute,
        summary="Execute Model Deployment",
        description="A free-form body (prompts: a list of strings); answers "
        '{"completions": [[prompt, [text]], ...]}, one entry per prompt, as JSON even with '
        "stream: true. Unknown fields are never refused, not even in strict mode.",
        body=ExecuteRequest,
        response=ExecuteAnswer,
        tag=TAG,
        not_found="No model with that id, or no deployment with that id under it, is visible",
        errors={"400": "The deployment is not READY"},
        about=about,
    ),
)
"""The inference routes, in the order the OpenAPI document lists them."""
