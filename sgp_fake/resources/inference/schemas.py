"""The inference routes' contract: request and response bodies (shared with the models'
``request_schema`` and ``response_schema``, whose home is
:mod:`sgp_fake.resources.models.call_bodies`) and the answer of an execution."""

from __future__ import annotations

from typing import Any, Dict

from pydantic import RootModel

from ...core.lazy_model import LAZY
from ..models.call_bodies import (
    ChatCompletionRequest,
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ExecuteRequest,
    ParameterBindings,
    RerankingRequest,
    RerankingResponse,
)

__all__ = [
    "ChatCompletionRequest",
    "CompletionRequest",
    "CompletionResponse",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "ExecuteAnswer",
    "ExecuteRequest",
    "ParameterBindings",
    "RerankingRequest",
    "RerankingResponse",
]


class ExecuteAnswer(RootModel[Dict[str, Any]]):
    """Answer of an execution: a JSON object (by default ``{"completions": [[prompt, [text]],
    ...]}``, one entry per prompt)."""

    model_config = LAZY
