"""Calling deployed models: completions, chat completions, embeddings, rerankings, execute,
and the usage statistics of what they served.

The resource's records are usage records (the ``usage`` kind, each the tokens of one answered
call, child of its deployment); its operations are the inference routes, which read
deployments, models, templates and scripted responses (:mod:`sgp_fake.resources.responses`).
See :mod:`.handlers` for what they check and :mod:`.text` for the default answers.
"""

from __future__ import annotations

from typing import Any

from ...core.operations import Operation, Reference, Resource
from . import handlers
from .schemas import (
    ChatCompletionRequest,
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ExecuteAnswer,
    ExecuteRequest,
    ModelUsage,
    RerankingRequest,
    RerankingResponse,
    UsageQuery,
    UsageRecord,
)
from .usage import KIND

__all__ = ["KIND", "RESOURCE"]

_INFERENCE = "Model Inference"
_USAGE = "Usage Statistics"

_NOT_FOUND = (
    "No deployment with that id is visible to the caller (for a model's id, the detail says so "
    "and lists its deployments)"
)
_NOT_SERVING = "The deployment is not READY, or its model is not of a type the route serves"


def _route(name: str, suffix: str, summary: str, **kwargs: Any) -> Operation:
    """An inference route of a deployment: ``POST /v4/models/{model_deployment_id}/<suffix>``."""
    return Operation(
        name,
        "POST",
        f"/v4/models/{{model_deployment_id}}/{suffix}",
        summary=summary,
        tag=_INFERENCE,
        not_found=_NOT_FOUND,
        errors={"400": _NOT_SERVING},
        about=handlers.about,
        **kwargs,
    )


OPERATIONS = (
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
        tag=_INFERENCE,
        not_found="No model with that id, or no deployment with that id under it, is visible",
        errors={"400": "The deployment is not READY"},
        about=handlers.about,
    ),
    Operation(
        "get_model_deployment_usage_statistics",
        "GET",
        "/v4/model-deployments/{model_deployment_id}/usage-statistics",
        handlers.deployment_usage,
        summary="Get Model Deployment Usage Statistics",
        description="The tokens the deployment served, in chunks points of equal length from "
        "start_date to end_date.",
        query=UsageQuery,
        response=ModelUsage,
        tag=_USAGE,
        not_found=_NOT_FOUND,
        about=handlers.about,
    ),
    Operation(
        "get_model_usage_statistics",
        "GET",
        "/v4/models/{model_name}/usage-statistics",
        handlers.model_usage,
        summary="Get Model Usage Statistics",
        description="The tokens every deployment of the caller's models of that name served "
        "(the name as one path segment: meta-llama/Llama-3 sent as meta-llama%2FLlama-3), in "
        "chunks points of equal length from start_date to end_date.",
        query=UsageQuery,
        response=ModelUsage,
        tag=_USAGE,
        not_found="No model of that name is visible to the caller",
        raw_path=True,
        about=handlers.about,
    ),
)

RESOURCE = Resource(
    kind=KIND,
    stored=UsageRecord,
    noun="Usage record",
    tag=_INFERENCE,
    operations=OPERATIONS,
    parent_field="model_deployment_id",
    references=(Reference("model_deployment_id", "deployments", on_delete="cascade"),),
    example={"prompt": "Hello"},
)
