"""The error envelope every FastAPI service answers 422 with, as pydantic models."""

from __future__ import annotations

from typing import Any, Dict, List, Union

from pydantic import Field

from .lazy_model import LazyModel

__all__ = ["HTTPValidationError", "ValidationError"]


class ValidationError(LazyModel):
    """One entry of a 422 body."""

    loc: List[Union[str, int]] = Field(title="Location")
    msg: str = Field(title="Message")
    type: str = Field(title="Error Type")
    input: Any = Field(None, title="Input")
    ctx: Dict[str, Any] = Field(None, title="Context")  # type: ignore[arg-type]


class HTTPValidationError(LazyModel):
    """Body of a 422 answer."""

    detail: List[ValidationError] = None  # type: ignore[assignment]
