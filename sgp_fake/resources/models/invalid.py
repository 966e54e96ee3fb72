"""Invalid model bodies (``POST /v4/models``), and creation parameters broken against a
template's schema.

:func:`invalid_model_payloads` gives one of every kind, by name
(:data:`INVALID_MODEL_PAYLOAD_NAMES`). The creation parameters of a model (or a deployment)
must fit its template's ``model_creation_parameters_schema``:
:func:`unknown_creation_parameter`, :func:`missing_creation_parameter` and
:func:`wrong_creation_parameter_type` break them (:func:`creation_parameter_payloads` gives one
of each).
"""

from __future__ import annotations

import copy
import json
from typing import Any, Final, Mapping

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
from . import RESOURCE
from .factory import ModelFactory

__all__ = [
    "CREATE",
    "INVALID_MODEL_PAYLOAD_NAMES",
    "creation_parameter_payloads",
    "invalid_model_payloads",
    "missing_creation_parameter",
    "unknown_creation_parameter",
    "wrong_creation_parameter_type",
]

CREATE: Final = next(op for op in RESOURCE.operations if op.verb == "create")
"""The operation model bodies are sent to."""
CREATE_MODEL = CREATE


def invalid_model_payloads(
    body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid model body (``POST /v4/models``) of every kind, by name.

    ``body`` must carry ``base_model_metadata.modelDetails`` (the default, from
    ``ModelFactory(seed).request(optional="all")``, does).
    """
    if body is None:
        body = ModelFactory(seed).request(optional="all")
    m = CREATE
    variants = [
        missing(body, "name", name="missing_name", operation=m),
        missing(body, "model_type", name="missing_model_type", operation=m),
        missing(body, "account_id", name="missing_account_id", operation=m),
        wrong_type(body, "name", 42, name="wrong_type_name", operation=m),
        bad_enum(body, "model_type", "IMAGE_GENERATION", name="bad_model_type", operation=m),
        bad_enum(body, "model_vendor", "HUGGINGFACE", name="bad_model_vendor", operation=m),
        bad_enum(
            body,
            "base_model_metadata.ui_model_section_type",
            "COMMUNITY",
            name="bad_ui_model_section_type",
            operation=m,
        ),
        wrong_type(
            body,
            "base_model_metadata.modelDetails.token_context_window",
            "large",
            name="wrong_type_token_context_window",
            operation=m,
        ),
        wrong_type(
            body,
            "model_creation_parameters",
            ["model_weights_uri=s3://bucket/weights"],
            name="creation_parameters_not_an_object",
            operation=m,
        ),
        wrong_type(body, "model_template_id", None, name="null_model_template_id", operation=m),
        malformed_json(body, operation=m),
        truncated_json(body, operation=m),
        empty_body(operation=m),
        not_an_object(body, operation=m),
        text_content_type(body, operation=m),
    ]
    return {variant.name: variant for variant in variants}


INVALID_MODEL_PAYLOAD_NAMES: Final = (
    "missing_name",
    "missing_model_type",
    "missing_account_id",
    "wrong_type_name",
    "bad_model_type",
    "bad_model_vendor",
    "bad_ui_model_section_type",
    "wrong_type_token_context_window",
    "creation_parameters_not_an_object",
    "null_model_template_id",
    "malformed_json",
    "truncated_json",
    "empty_body",
    "not_an_object",
    "text_content_type",
)
"""The names :func:`invalid_model_payloads` returns, in order."""


# -- creation parameters, against a template's schema ---------------------------------------------

_CREATION: Final = "model_creation_parameters"


def _parameter_payload(  # noqa: PLR0917 - the payload's parts, in InvalidPayload's order
    name: str,
    description: str,
    body: dict[str, Any],
    values: dict[str, Any],
    errors: list[dict[str, Any]],
    operation: Target,
) -> InvalidPayload:
    broken = copy.deepcopy(body)
    broken[_CREATION] = values
    return json_payload(name, description, broken, errors, operation)


def _base_values(body: dict[str, Any], base: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**(base or {}), **(body.get(_CREATION) or {})}


def unknown_creation_parameter(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str = "model_weight_uri",
    value: Any = "s3://bucket/weights/",
    *,
    operation: Target = CREATE_MODEL,
    base: Mapping[str, Any] | None = None,
    name: str = "unknown_creation_parameter",
) -> InvalidPayload:
    """``body`` with a creation parameter the template's schema does not list (a typo).

    ``body`` must fit the schema otherwise; for a deployment (``operation`` a deployment's create)
    ``base`` is its model's creation parameters, which count as the deployment's.
    """
    known = {n for n, _, _ in schema_parameters(template)}
    if parameter in known:
        raise ValueError(f"{parameter!r} is a parameter of the template")
    values = {**(body.get(_CREATION) or {}), parameter: value}
    check_fits(template, _base_values(body, base))
    path = (_CREATION, parameter)
    errors = [error("extra_forbidden", path, "Extra inputs are not permitted", value)]
    return _parameter_payload(name, f"{dotted(path)} is no parameter of the template",
                              body, values, errors, operation)  # fmt: skip


def missing_creation_parameter(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str | None = None,
    *,
    operation: Target = CREATE_MODEL,
    base: Mapping[str, Any] | None = None,
    name: str = "missing_creation_parameter",
) -> InvalidPayload:
    """``body`` without a required creation parameter (the template's first, by default)."""
    required = [n for n, _, is_required in schema_parameters(template) if is_required]
    if not required:
        raise ValueError("the template requires no creation parameter")
    parameter = parameter or required[0]
    if parameter not in required:
        raise ValueError(f"{parameter!r} is not a required parameter of the template")
    if base and parameter in base:
        raise ValueError(f"the model gives {parameter!r}: a deployment inherits it")
    check_fits(template, _base_values(body, base))
    values = {k: v for k, v in (body.get(_CREATION) or {}).items() if k != parameter}
    merged = {**(base or {}), **values}
    path = (_CREATION, parameter)
    errors = [error("missing", path, "Field required", merged)]
    return _parameter_payload(name, f"required {dotted(path)} left out",
                              body, values, errors, operation)  # fmt: skip


def wrong_creation_parameter_type(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str,
    value: Any,
    *,
    operation: Target = CREATE_MODEL,
    base: Mapping[str, Any] | None = None,
    name: str = "wrong_creation_parameter_type",
) -> InvalidPayload:
    """``body`` with ``value`` for a creation parameter of another type.

    ``ValueError`` when ``value`` is valid there (``"4"`` for an ``int``, ``"yes"`` for a
    ``bool``: pydantic's lax mode takes them).
    """
    types_ = {n: t for n, t, _ in schema_parameters(template)}
    if parameter not in types_:
        raise ValueError(f"{parameter!r} is no parameter of the template")
    path = (_CREATION, parameter)
    errors = [parameter_type_error(types_[parameter], path, value)]
    check_fits(template, _base_values(body, base))
    values = {**(body.get(_CREATION) or {}), parameter: value}
    return _parameter_payload(name, f"{dotted(path)} set to {json.dumps(value)}",
                              body, values, errors, operation)  # fmt: skip


def creation_parameter_payloads(
    body: dict[str, Any],
    template: Mapping[str, Any],
    *,
    operation: Target = CREATE_MODEL,
    base: Mapping[str, Any] | None = None,
) -> dict[str, InvalidPayload]:
    """One body per way creation parameters break against ``template``, by name: an unknown
    parameter, a required one left out (when the schema requires one the body gives), and one
    of the wrong type (the schema's first parameter)."""
    variants = [unknown_creation_parameter(body, template, operation=operation, base=base)]
    given = set(body.get(_CREATION) or {})
    required = [
        n for n, _, is_required in schema_parameters(template) if is_required and n in given
    ]
    if required and not (base and required[0] in base):
        variants.append(
            missing_creation_parameter(body, template, required[0], operation=operation, base=base)
        )
    parameters = schema_parameters(template)
    if parameters:
        first, type_, _ = parameters[0]
        variants.append(
            wrong_creation_parameter_type(
                body, template, first, WRONG_VALUES[type_], operation=operation, base=base
            )
        )
    return {variant.name: variant for variant in variants}
