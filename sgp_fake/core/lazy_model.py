"""The base of the fake's request and response models: built when first used, not at import.

Pydantic builds a model's validator and serializer when its class is declared. The fake
declares about 150 models, most of which a given server or test never uses, and building them
all was a sixth of the time ``sgp-fake serve`` took to answer its first request. With
``defer_build`` a model is built the first time it validates, serializes or writes its JSON
schema; what it accepts and answers does not change.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["LazyModel"]


class LazyModel(BaseModel):
    """A pydantic model built on first use (``defer_build``); subclasses add their own config."""

    model_config = ConfigDict(defer_build=True)
