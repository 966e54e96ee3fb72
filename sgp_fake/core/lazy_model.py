"""The base of the fake's request and response models: built when first used, not at import.

Pydantic builds a model's validator and serializer when its class is declared. The fake
declares about 170 models, most of which a given server or test never uses, and building them
all was a sixth of the time ``sgp-fake serve`` took to answer its first request. With
``defer_build`` a model is built the first time it validates, serializes or writes its JSON
schema; what it accepts and answers does not change.

A first use can come from several threads at once (a shared sync client, the live server's
thread beside the test's). Pydantic 2.14 builds a deferred model under a lock; older versions
can race there, so under them the models are built at declaration, as before.
"""

from __future__ import annotations

import pydantic
from pydantic import BaseModel, ConfigDict

__all__ = ["DEFERRED", "LAZY", "LazyModel"]

DEFERRED = tuple(int(part) for part in pydantic.VERSION.split(".")[:2]) >= (2, 14)
"""Whether models are built on first use: with pydantic 2.14 or later, whose build is locked."""

LAZY = ConfigDict(defer_build=DEFERRED)
"""The config of a model that cannot derive from :class:`LazyModel` (a ``RootModel``)."""


class LazyModel(BaseModel):
    """A pydantic model built on first use (``defer_build``); subclasses add their own config."""

    model_config = LAZY
