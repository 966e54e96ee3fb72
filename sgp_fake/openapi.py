"""The fake's own OpenAPI document (re-exported for existing imports).

It is generated from the operation table (:mod:`sgp_fake.core.openapi`);
:func:`openapi_bytes` is the document of the resources the fake serves.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .app import description, openapi_bytes
from .core import openapi as _openapi
from .core.openapi import REF_TEMPLATE, SECURITY, error_response, meta_operation, schema_ref
from .core.operations import operations
from .resources import REGISTRY

__all__ = [
    "REF_TEMPLATE",
    "SECURITY",
    "build_openapi",
    "error_response",
    "openapi_bytes",
    "schema_ref",
]


def build_openapi(
    extra_paths: dict[str, Any] | None = None,
    extra_models: tuple[type[BaseModel], ...] = (),
) -> dict[str, Any]:
    """The OpenAPI document of the registry's routes, plus ``extra_paths`` and their models."""
    ops = [*operations(REGISTRY), meta_operation(lambda: b"")]
    return _openapi.build_openapi(ops, extra_paths, extra_models, description=description())
