"""The template create body's accelerator (its typed-dict twin), under its former names.

Twins are generic (:mod:`sgp_fake.core.twin`); the template one is declared with its resource
(:data:`sgp_fake.resources.model_templates.handlers.TWIN`).
"""

from __future__ import annotations

from typing import Any, Literal

from .resources.model_templates.handlers import TWIN

__all__ = ["request_json", "validate_request"]


def validate_request(body: bytes, extra: Literal["ignore", "forbid"]) -> dict[str, Any] | None:
    """The create body as validated dicts, or ``None``: invalid, or maybe (ask the model)."""
    return TWIN.validate(body, extra)


def request_json(data: dict[str, Any]) -> bytes:
    """The JSON of a validated create body without ``account_id``, as the model writes it."""
    return TWIN.dump(data)
