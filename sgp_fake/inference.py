"""What deployed models answer by default, for tests that compute their expectations.

The inference routes answer with these functions of the request when no scripted response
says otherwise (see :mod:`sgp_fake.resources.inference.text` for the rules):

>>> from sgp_fake.inference import completion_text, count_tokens
>>> text = completion_text("llama", "Hello")
>>> text == completion_text("llama", "Hello"), count_tokens("Hello, world!")
(True, 4)
"""

from __future__ import annotations

from .resources.inference.text import (
    DEFAULT_DIMENSIONS,
    capped,
    completion_text,
    count_tokens,
    deltas,
    embedding,
    rerank_score,
    tokens,
)

__all__ = [
    "DEFAULT_DIMENSIONS",
    "capped",
    "completion_text",
    "count_tokens",
    "deltas",
    "embedding",
    "rerank_score",
    "tokens",
]
