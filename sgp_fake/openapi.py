"""The fake's own OpenAPI 3.1 document, generated from its models.

Shaped as FastAPI would generate it for the same routes and models: component schemas from
pydantic, ``HTTPValidationError`` for 422 answers, the ``x-api-key`` header as the security
scheme. Admin routes add their operations through :func:`build_openapi`'s ``extra_paths``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .models import (
    GenericDeleteResponse,
    HTTPValidationError,
    ModelTemplateListParams,
    ModelTemplateRequest,
    ModelTemplateResponse,
    PaginatedModelTemplates,
)

__all__ = ["REF_TEMPLATE", "build_openapi", "error_response", "openapi_bytes", "schema_ref"]

REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY: list[dict[str, list[str]]] = [{"APIKeyHeader": []}]


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """A ``$ref`` to ``model``'s component schema."""
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _json_content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": schema_ref(model)}}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"detail": {"title": "Detail"}},
                    "required": ["detail"],
                }
            }
        },
    }


def error_response(description: str) -> dict[str, Any]:
    """An OpenAPI response whose body is FastAPI's error envelope, ``{"detail": ...}``."""
    return _error(description)


_VALIDATION = {"description": "Validation Error", "content": _json_content(HTTPValidationError)}
_AUTH_ERRORS = {
    "401": _error("No API key, or an unknown one"),
    "403": _error("The identity may not use the account"),
}
_BODY_ERRORS = {
    "400": _error("A body that cannot be read as JSON text (invalid UTF-8, nesting too deep)"),
    "413": _error("A body over the fake's size limit"),
}


def _query_parameters() -> list[dict[str, Any]]:
    schema = ModelTemplateListParams.model_json_schema()
    params = []
    for name, field_schema in schema["properties"].items():
        prop = dict(field_schema)
        description = prop.pop("description", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


_TEMPLATE_ID = {
    "name": "model_template_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "title": "Model Template Id"},
}


def _sgp_paths() -> dict[str, Any]:
    tag = ["Model Templates"]
    not_found = {"404": _error("No template with that id is visible to the caller")}
    return {
        "/v4/model-templates": {
            "post": {
                "tags": tag,
                "summary": "Create Model Template",
                "operationId": "create_model_template",
                "requestBody": {"required": True, "content": _json_content(ModelTemplateRequest)},
                "responses": {
                    "200": {
                        "description": "Successful Response",
                        "content": _json_content(ModelTemplateResponse),
                    },
                    **_BODY_ERRORS,
                    **_AUTH_ERRORS,
                    "422": _VALIDATION,
                },
                "security": SECURITY,
            },
            "get": {
                "tags": tag,
                "summary": "List Model Templates",
                "description": "Templates of the caller's accounts, oldest first.",
                "operationId": "list_model_templates",
                "parameters": _query_parameters(),
                "responses": {
                    "200": {
                        "description": "Successful Response",
                        "content": _json_content(PaginatedModelTemplates),
                    },
                    **_AUTH_ERRORS,
                    "422": _VALIDATION,
                },
                "security": SECURITY,
            },
        },
        "/v4/model-templates/{model_template_id}": {
            "get": {
                "tags": tag,
                "summary": "Get Model Template",
                "operationId": "get_model_template",
                "parameters": [_TEMPLATE_ID],
                "responses": {
                    "200": {
                        "description": "Successful Response",
                        "content": _json_content(ModelTemplateResponse),
                    },
                    **_AUTH_ERRORS,
                    **not_found,
                },
                "security": SECURITY,
            },
            "delete": {
                "tags": tag,
                "summary": "Delete Model Template",
                "operationId": "delete_model_template",
                "parameters": [_TEMPLATE_ID],
                "responses": {
                    "200": {
                        "description": "Successful Response",
                        "content": _json_content(GenericDeleteResponse),
                    },
                    **_AUTH_ERRORS,
                    **not_found,
                },
                "security": SECURITY,
            },
        },
        "/openapi.json": {
            "get": {
                "tags": ["Meta"],
                "summary": "This Document",
                "operationId": "get_openapi",
                "responses": {
                    "200": {
                        "description": "The OpenAPI document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def build_openapi(
    extra_paths: dict[str, Any] | None = None,
    extra_models: tuple[type[BaseModel], ...] = (),
) -> dict[str, Any]:
    """The OpenAPI document of the SGP routes, plus ``extra_paths`` and their models."""
    models: tuple[type[BaseModel], ...] = (
        ModelTemplateRequest,
        ModelTemplateResponse,
        PaginatedModelTemplates,
        GenericDeleteResponse,
        HTTPValidationError,
        *extra_models,
    )
    _, schemas = models_json_schema([(m, "validation") for m in models], ref_template=REF_TEMPLATE)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sgp-fake",
            "version": "0.1.0",
            "description": "A fake of the SGP model-templates API, for tests.",
        },
        "servers": [{"url": "/"}],
        "paths": {**_sgp_paths(), **(extra_paths or {})},
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key"}
            },
        },
    }


@functools.cache
def openapi_bytes() -> bytes:
    """The document of the SGP routes, serialised once."""
    return json.dumps(build_openapi(), separators=(",", ":")).encode()
