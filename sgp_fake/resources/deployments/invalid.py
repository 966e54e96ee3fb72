"""Invalid deployment bodies (``POST /v4/models/{model_instance_id}/deployments``)."""

from __future__ import annotations

from typing import Any, Final

from ...testdata.invalid import (
    InvalidPayload,
    empty_body,
    malformed_json,
    missing,
    not_an_object,
    text_content_type,
    truncated_json,
    wrong_type,
)
from . import RESOURCE
from .factory import DeploymentFactory

__all__ = ["CREATE", "INVALID_DEPLOYMENT_PAYLOAD_NAMES", "invalid_deployment_payloads"]

CREATE: Final = next(op for op in RESOURCE.operations if op.verb == "create")
"""The operation deployment bodies are sent to."""


def invalid_deployment_payloads(
    body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid deployment body (``POST /v4/models/{id}/deployments``) of every kind.

    Send them with ``payload.post(client, model_instance_id=...)``; the body is refused before
    the model is looked up, so any id will do.
    """
    if body is None:
        body = DeploymentFactory(seed).request(optional="all")
    d = CREATE
    variants = [
        missing(body, "name", name="missing_name", operation=d),
        wrong_type(body, "name", ["prod"], name="wrong_type_name", operation=d),
        wrong_type(body, "wait_for_ready", "later", name="wrong_type_wait_for_ready", operation=d),
        wrong_type(
            body,
            "deployment_metadata",
            "team=ml-platform",
            name="metadata_not_an_object",
            operation=d,
        ),
        wrong_type(body, "account_id", 7, name="wrong_type_account_id", operation=d),
        malformed_json(body, operation=d),
        truncated_json(body, operation=d),
        empty_body(operation=d),
        not_an_object(body, operation=d),
        text_content_type(body, operation=d),
    ]
    return {variant.name: variant for variant in variants}


INVALID_DEPLOYMENT_PAYLOAD_NAMES: Final = (
    "missing_name",
    "wrong_type_name",
    "wrong_type_wait_for_ready",
    "metadata_not_an_object",
    "wrong_type_account_id",
    "malformed_json",
    "truncated_json",
    "empty_body",
    "not_an_object",
    "text_content_type",
)
"""The names :func:`invalid_deployment_payloads` returns, in order."""
