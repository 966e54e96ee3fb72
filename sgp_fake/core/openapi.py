"""The fake's own OpenAPI 3.1 document, generated from the operation table.

Shaped as FastAPI would generate it for the same routes and models: component schemas from
pydantic, ``HTTPValidationError`` for 422 answers, the ``x-api-key`` header as the security
scheme. Each operation documents what its handler can answer: 200; 400 and 413 when it takes a
body; 401 and 403 unless it is a meta route; 404 when its path names a record; 422 when it
validates a body, a query or header parameters; 429 unless it is a meta route (any fake
can be given a rate limit); and whatever else it declares. A streamed answer's
``text/event-stream`` describes each event. Admin routes add their operations through
``extra_paths``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Callable, Iterable

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .answers import Answer, ok
from .envelopes import HTTPValidationError
from .operations import Operation, header_name

if TYPE_CHECKING:
    from .call import Call

__all__ = [
    "DESCRIPTION",
    "REF_TEMPLATE",
    "SECURITY",
    "build_openapi",
    "document_bytes",
    "documented_statuses",
    "error_response",
    "indefinite",
    "meta_operation",
    "schema_ref",
]

DESCRIPTION = "A fake of the SGP API, for tests."

REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY: list[dict[str, list[str]]] = [{"APIKeyHeader": []}]


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """A ``$ref`` to ``model``'s component schema."""
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _json_content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": schema_ref(model)}}


def error_response(description: str) -> dict[str, Any]:
    """A documented ``{"detail": ...}`` answer."""
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


_VALIDATION = {"description": "Validation Error", "content": _json_content(HTTPValidationError)}


def _validation_or(description: str) -> dict[str, Any]:
    """A 422 that is either FastAPI's validation error or one of the handler's own."""
    own = error_response(description)["content"]["application/json"]["schema"]
    return {
        "description": f"Validation Error; or: {description}",
        "content": {
            "application/json": {"schema": {"anyOf": [schema_ref(HTTPValidationError), own]}}
        },
    }


_AUTH_ERRORS = {
    "401": error_response("No API key, or an unknown one"),
    "403": error_response("The identity may not use the account"),
}
_BODY_ERRORS = {
    "400": error_response(
        "A body that cannot be read as JSON text (invalid UTF-8, nesting too deep)"
    ),
    "413": error_response("A body over the fake's size limit"),
}


_RATE_LIMITED = error_response(
    "The rate limit is spent (any fake can be given one: PUT /_fake/rate-limit, or "
    "fake.rate_limiter in process): retry after the retry-after header's seconds"
)


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    params = []
    for name, field_schema in schema["properties"].items():
        prop = dict(field_schema)
        description = prop.pop("description", None)
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        params.append(param)
    return params


def _header_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Header parameters as FastAPI documents ``Header()`` ones: named and titled after the
    header (``X-Selected-Account-Id``), the description both on the parameter and in its
    schema."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    params = []
    for field, info in model.model_fields.items():
        key = info.alias or field
        name = header_name(model, field)
        prop = {**schema["properties"][key], "title": name.title()}
        param: dict[str, Any] = {
            "name": name,
            "in": "header",
            "required": key in required,
            "schema": prop,
        }
        if "description" in prop:
            param["description"] = prop["description"]
        params.append(param)
    return params


def _path_parameter(name: str) -> dict[str, Any]:
    title = " ".join(word.capitalize() for word in name.split("_"))
    schema = {"type": "string", "title": title}
    return {"name": name, "in": "path", "required": True, "schema": schema}


# "U" sounds as "you" before a consonant and a vowel ("a Usage", "a Unit") but not in "Un-",
# "Up-", "Ult-"...; acronyms are read letter by letter ("an SSE", "an HTTP", "a URL").
_VOWEL_LETTERS = "AEIO"
_VOWEL_SOUND_LETTERS = "AEFHILMNORSX"
_YOU = re.compile(r"[Uu](?:[bcdfgklmnprstvz][aeiouy]|ni)")


def indefinite(word: str) -> str:
    """``word`` after its indefinite article, chosen by the sound it starts with.

    >>> [indefinite(w) for w in ("Execution", "Usage record", "Update", "SSEChunk", "Model")]
    ['an Execution', 'a Usage record', 'an Update', 'an SSEChunk', 'a Model']
    """
    first = word[:1]
    if len(word) > 1 and word[:2].isupper() and word[:2].isalpha():
        vowel = first in _VOWEL_SOUND_LETTERS
    elif first.upper() == "U":
        vowel = not _YOU.match(word)
    else:
        vowel = first.upper() in _VOWEL_LETTERS
    return f"{'an' if vowel else 'a'} {word}"


def _event_stream(model: type[BaseModel]) -> dict[str, Any]:
    """One Server-Sent Event of a streamed answer of ``model`` chunks.

    The ``schema`` of ``text/event-stream`` describes each event of the stream, as tools read
    an OpenAPI 3.1 document (schemathesis among them; 3.2 moves this to ``itemSchema``): an
    event is an object of its fields (``event``, ``data``, ``id``, ``retry``), and ``data`` is
    JSON text whose content is described with JSON Schema's ``contentMediaType`` and
    ``contentSchema``, so the whole document stays valid OpenAPI 3.1.
    """
    return {
        "type": "object",
        "title": f"{model.__name__} event",
        "description": f"One Server-Sent Event, with stream: true: an unnamed event per chunk, "
        f"its data {indefinite(model.__name__)} (JSON), each event ended by a blank line. A "
        "named event carries other data: 'event: error' (a fault rule's cut) ends a stream "
        "early, and a route that ends its streams with a marker says so ('event: done').",
        "properties": {
            "event": {"type": "string"},
            "data": {"type": "string"},
            "id": {"type": "string"},
            "retry": {"type": "integer", "minimum": 0},
        },
        "required": ["data"],
        "anyOf": [
            {
                "properties": {
                    "event": {"const": "message"},
                    "data": {
                        "contentMediaType": "application/json",
                        "contentSchema": schema_ref(model),
                    },
                }
            },
            {"properties": {"event": {"not": {"const": "message"}}}, "required": ["event"]},
        ],
    }


def _answer_content(op: Operation, model: type[BaseModel]) -> dict[str, Any]:
    content = _json_content(model)
    if op.streams:
        content["text/event-stream"] = {"schema": _event_stream(_chunk_model(op, model))}
    return content


def _chunk_model(op: Operation, model: type[BaseModel]) -> type[BaseModel]:
    """The model of each event's data of ``op``'s streamed answer (``model``, its 200's, unless
    the operation names another)."""
    return op.streams if isinstance(op.streams, type) else model


def _parameters(op: Operation) -> list[dict[str, Any]]:
    """Path, query and header parameters, in FastAPI's order."""
    parameters = [_path_parameter(name) for name in op.parameters]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    if op.headers is not None:
        parameters += _header_parameters(op.headers)
    return parameters


def _errors(op: Operation) -> dict[str, Any]:
    """The error answers an operation documents, in the order of the module docstring."""
    responses: dict[str, Any] = {}
    if op.body is not None:
        responses.update(_BODY_ERRORS)
    if not op.meta:
        responses.update(_AUTH_ERRORS)
        responses["429"] = _RATE_LIMITED
    if op.not_found is not None:
        responses["404"] = error_response(op.not_found)
    for status, description in op.errors.items():
        responses[status] = error_response(description)
    if op.body is not None or op.query is not None or op.headers is not None:
        if "422" in op.errors:
            # The handler's own 422s (a rule across fields) have a message for their detail.
            responses["422"] = _validation_or(op.errors["422"])
        else:
            responses["422"] = _VALIDATION
    return responses


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {"tags": [op.tag], "summary": op.summary}
    if op.description:
        doc["description"] = op.description
    doc["operationId"] = op.name
    parameters = _parameters(op)
    if parameters:
        doc["parameters"] = parameters
    if op.body is not None:
        doc["requestBody"] = {"required": True, "content": _json_content(op.body)}
    ok: dict[str, Any] = {"description": "Successful Response"}
    if op.response is not None:
        ok["content"] = _answer_content(op, op.response)
    elif op.meta:
        ok = {
            "description": op.description or "Successful Response",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
        doc.pop("description", None)
    doc["responses"] = {"200": ok, **_errors(op)}
    if not op.meta:
        doc["security"] = SECURITY
    return doc


def meta_operation(document: Callable[[], bytes]) -> Operation:
    """``GET /openapi.json``: answers ``document()``; needs no API key, skips the rate limit."""

    def get_openapi(call: Call) -> Answer:
        return ok(document())

    return Operation(
        "get_openapi",
        "GET",
        "/openapi.json",
        get_openapi,
        summary="This Document",
        description="The OpenAPI document",
        meta=True,
        tag="Meta",
    )


def documented_statuses(op: Operation) -> tuple[str, ...]:
    """The status codes the document gives ``op``."""
    return tuple(_operation(op)["responses"])


def operation_paths(operations: Iterable[Operation]) -> dict[str, Any]:
    """The document's ``paths`` for these operations, in table order."""
    paths: dict[str, Any] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return paths


def operation_models(operations: Iterable[Operation]) -> list[type[BaseModel]]:
    """The component models these operations refer to, each once, in table order."""
    models: list[type[BaseModel]] = []
    for op in operations:
        chunk = op.streams if isinstance(op.streams, type) else None
        for model in (op.body, op.response, chunk):
            if model is not None and model not in models:
                models.append(model)
    return models


def build_openapi(
    operations: Iterable[Operation],
    extra_paths: dict[str, Any] | None = None,
    extra_models: tuple[type[BaseModel], ...] = (),
    *,
    description: str = DESCRIPTION,
) -> dict[str, Any]:
    """The OpenAPI document of ``operations``, plus ``extra_paths`` and their models."""
    ops = list(operations)
    models: tuple[type[BaseModel], ...] = (
        *operation_models(ops),
        HTTPValidationError,
        *extra_models,
    )
    _, schemas = models_json_schema([(m, "validation") for m in models], ref_template=REF_TEMPLATE)
    return {
        "openapi": "3.1.0",
        "info": {"title": "sgp-fake", "version": "0.1.0", "description": description},
        "servers": [{"url": "/"}],
        "paths": {**operation_paths(ops), **(extra_paths or {})},
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key"}
            },
        },
    }


def document_bytes(document: dict[str, Any]) -> bytes:
    """The document as ``GET /openapi.json`` answers it."""
    return json.dumps(document, separators=(",", ":")).encode()
