"""Invalid bodies of the inference routes, and bindings broken against a template's request
schema.

:func:`invalid_inference_payloads` gives one invalid body of every kind for a route (one of
:data:`INFERENCE_ROUTES`), by name (:data:`INVALID_INFERENCE_PAYLOAD_NAMES`). A call's
``model_request_parameters.bindings`` must fit the template's
``model_request_parameters_schema``: :func:`unknown_binding`, :func:`missing_binding` and
:func:`wrong_binding_type` break them, or one of each with :func:`binding_payloads`.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Final, Mapping

from ...core.operations import Operation
from ...testdata.expected import dotted, error, parameter_type_error
from ...testdata.invalid import (
    InvalidPayload,
    Target,
    bad_enum,
    empty_body,
    json_payload,
    malformed_json,
    missing,
    not_an_object,
    text_content_type,
    truncated_json,
    wrong_type,
)
from ..model_templates.invalid import WRONG_VALUES, check_fits, schema_parameters
from . import OPERATIONS
from .factory import InferenceFactory

__all__ = [
    "INFERENCE_ROUTES",
    "INVALID_INFERENCE_PAYLOAD_NAMES",
    "ROUTES",
    "binding_payloads",
    "invalid_inference_payloads",
    "missing_binding",
    "unknown_binding",
    "wrong_binding_type",
]

_DEPLOYMENT_ROUTE: Final = "/v4/models/{model_deployment_id}/"
ROUTES: Final[dict[str, Operation]] = {
    op.path.removeprefix(_DEPLOYMENT_ROUTE): op
    for op in OPERATIONS
    if op.path.startswith(_DEPLOYMENT_ROUTE) and op.body is not None
}
"""The inference routes of a deployment, by the last segment of their path."""
INFERENCE_ROUTES: Final = tuple(ROUTES)
"""The inference routes' names: ``completions``, ``chat-completions``, ``embeddings``,
``rerankings``."""


def invalid_inference_payloads(
    route: str = "completions", body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid body of every kind for an inference route (one of :data:`INFERENCE_ROUTES`),
    by name (:data:`INVALID_INFERENCE_PAYLOAD_NAMES`). They are refused before the deployment
    is looked up, so any deployment id will do: ``payload.post(client,
    model_deployment_id=...)``.

    ``body`` must carry ``model_request_parameters.bindings`` (the default, from
    :class:`~.factory.InferenceFactory`, does).
    """
    operation = ROUTES.get(route)
    if operation is None:
        raise ValueError(f"route must be one of {', '.join(INFERENCE_ROUTES)}")
    if body is None:
        factory = InferenceFactory(seed, optional="all")
        template = {"model_request_parameters_schema": {"parameters": [
            {"name": "temperature", "type": "float", "description": "", "required": True},
        ]}}  # fmt: skip
        body = {
            "completions": factory.completion,
            "chat-completions": factory.chat,
            "embeddings": factory.embedding,
            "rerankings": factory.reranking,
        }[route](template=template)
    m = operation
    own: list[InvalidPayload] = {
        "completions": lambda: [
            missing(body, "prompt", name="missing_prompt", operation=m),
            wrong_type(body, "prompt", ["Hello"], name="wrong_type_prompt", operation=m),
            wrong_type(body, "max_tokens", "many", name="wrong_type_max_tokens", operation=m),
            bad_enum(body, "reasoning_effort", "extreme", name="bad_reasoning_effort", operation=m),
            wrong_type(body, "stream", "later", name="wrong_type_stream", operation=m),
        ],
        "chat-completions": lambda: [
            missing(body, "prompt", name="missing_prompt", operation=m),
            missing(body, "chat_history", name="missing_chat_history", operation=m),
            wrong_type(body, "chat_history", "hello", name="chat_history_not_a_list", operation=m),
            wrong_type(body, "max_tokens", "many", name="wrong_type_max_tokens", operation=m),
            wrong_type(body, "stream", "later", name="wrong_type_stream", operation=m),
        ],
        "embeddings": lambda: [
            missing(body, "texts", name="missing_texts", operation=m),
            wrong_type(body, "texts", "one text", name="texts_not_a_list", operation=m),
            wrong_type(body, "texts.0", 42, name="wrong_type_text", operation=m),
        ],
        "rerankings": lambda: [
            missing(body, "query", name="missing_query", operation=m),
            missing(body, "chunks", name="missing_chunks", operation=m),
            wrong_type(body, "query", ["how"], name="wrong_type_query", operation=m),
            wrong_type(body, "chunks", "one chunk", name="chunks_not_a_list", operation=m),
        ],
    }[route]()
    variants = [
        *own,
        wrong_type(
            body,
            "model_request_parameters.bindings",
            "temperature=0.2",
            name="bindings_not_an_object",
            operation=m,
        ),
        missing(body, "model_request_parameters.bindings", name="missing_bindings", operation=m),
        malformed_json(body, operation=m),
        truncated_json(body, operation=m),
        empty_body(operation=m),
        not_an_object(body, operation=m),
        text_content_type(body, operation=m),
    ]
    return {variant.name: variant for variant in variants}


_COMMON_INFERENCE_NAMES: Final = (
    "bindings_not_an_object",
    "missing_bindings",
    "malformed_json",
    "truncated_json",
    "empty_body",
    "not_an_object",
    "text_content_type",
)
INVALID_INFERENCE_PAYLOAD_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "completions": (
        "missing_prompt",
        "wrong_type_prompt",
        "wrong_type_max_tokens",
        "bad_reasoning_effort",
        "wrong_type_stream",
        *_COMMON_INFERENCE_NAMES,
    ),
    "chat-completions": (
        "missing_prompt",
        "missing_chat_history",
        "chat_history_not_a_list",
        "wrong_type_max_tokens",
        "wrong_type_stream",
        *_COMMON_INFERENCE_NAMES,
    ),
    "embeddings": (
        "missing_texts",
        "texts_not_a_list",
        "wrong_type_text",
        *_COMMON_INFERENCE_NAMES,
    ),
    "rerankings": (
        "missing_query",
        "missing_chunks",
        "wrong_type_query",
        "chunks_not_a_list",
        *_COMMON_INFERENCE_NAMES,
    ),
}
"""The names :func:`invalid_inference_payloads` returns for each route, in order."""


_REQUEST_SCHEMA: Final = "model_request_parameters_schema"
_BINDINGS: Final = ("model_request_parameters", "bindings")


def _bindings_of(body: dict[str, Any]) -> dict[str, Any]:
    given = body.get("model_request_parameters")
    bindings = given.get("bindings") if isinstance(given, dict) else None
    return dict(bindings or {})


def _binding_payload(  # noqa: PLR0917 - the payload's parts, in InvalidPayload's order
    name: str,
    description: str,
    body: dict[str, Any],
    values: dict[str, Any],
    errors: list[dict[str, Any]],
    operation: Target,
) -> InvalidPayload:
    broken = copy.deepcopy(body)
    broken["model_request_parameters"] = {
        **(broken.get("model_request_parameters") or {}),
        "bindings": values,
    }
    return json_payload(name, description, broken, errors, operation)


def unknown_binding(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str = "temprature",
    value: Any = 0.7,
    *,
    operation: Target = ROUTES["completions"],
    name: str = "unknown_binding",
) -> InvalidPayload:
    """``body`` binding a request parameter the template's schema does not list (a typo).

    ``body`` (of the route ``operation``) must fit the schema otherwise.
    """
    known = {n for n, _, _ in schema_parameters(template, _REQUEST_SCHEMA)}
    if parameter in known:
        raise ValueError(f"{parameter!r} is a request parameter of the template")
    check_fits(template, _bindings_of(body), _REQUEST_SCHEMA, "binding")
    values = {**_bindings_of(body), parameter: value}
    path = (*_BINDINGS, parameter)
    errors = [error("extra_forbidden", path, "Extra inputs are not permitted", value)]
    return _binding_payload(name, f"{dotted(path)} is no request parameter of the template",
                            body, values, errors, operation)  # fmt: skip


def missing_binding(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str | None = None,
    *,
    operation: Target = ROUTES["completions"],
    name: str = "missing_binding",
) -> InvalidPayload:
    """``body`` without a required binding (the template's first required one, by default)."""
    required = [
        n for n, _, is_required in schema_parameters(template, _REQUEST_SCHEMA) if is_required
    ]
    if not required:
        raise ValueError("the template requires no request parameter")
    parameter = parameter or required[0]
    if parameter not in required:
        raise ValueError(f"{parameter!r} is not a required request parameter of the template")
    check_fits(template, _bindings_of(body), _REQUEST_SCHEMA, "binding")
    values = {k: v for k, v in _bindings_of(body).items() if k != parameter}
    path = (*_BINDINGS, parameter)
    errors = [error("missing", path, "Field required", values)]
    return _binding_payload(name, f"required {dotted(path)} left out",
                            body, values, errors, operation)  # fmt: skip


def wrong_binding_type(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str,
    value: Any,
    *,
    operation: Target = ROUTES["completions"],
    name: str = "wrong_binding_type",
) -> InvalidPayload:
    """``body`` binding ``value`` to a request parameter of another type.

    The value must be one the route's body takes (a string, a number or a boolean: the body
    is refused for anything else before bindings are checked); ``ValueError`` when it is valid
    for the parameter (``"4"`` for an ``int``: pydantic's lax mode takes it).
    """
    types_ = {n: t for n, t, _ in schema_parameters(template, _REQUEST_SCHEMA)}
    if parameter not in types_:
        raise ValueError(f"{parameter!r} is no request parameter of the template")
    if not isinstance(value, (str, int, float)):  # bool is an int
        raise ValueError("a binding is a string, a number or a boolean")
    path = (*_BINDINGS, parameter)
    errors = [parameter_type_error(types_[parameter], path, value)]
    check_fits(template, _bindings_of(body), _REQUEST_SCHEMA, "binding")
    values = {**_bindings_of(body), parameter: value}
    return _binding_payload(name, f"{dotted(path)} set to {json.dumps(value)}",
                            body, values, errors, operation)  # fmt: skip


def binding_payloads(
    body: dict[str, Any],
    template: Mapping[str, Any],
    *,
    operation: Target = ROUTES["completions"],
) -> dict[str, InvalidPayload]:
    """One body per way bindings break against ``template``, by name: an unknown parameter, a
    required one left out (when the schema requires one the body binds), and one of the wrong
    type (the schema's first parameter). ``operation`` is the route the payloads are sent to."""
    variants = [unknown_binding(body, template, operation=operation)]
    given = set(_bindings_of(body))
    parameters = schema_parameters(template, _REQUEST_SCHEMA)
    required = [n for n, _, is_required in parameters if is_required and n in given]
    if required:
        variants.append(missing_binding(body, template, required[0], operation=operation))
    if parameters:
        first, type_, _ = parameters[0]
        variants.append(
            wrong_binding_type(body, template, first, WRONG_VALUES[type_], operation=operation)
        )
    return {variant.name: variant for variant in variants}
