"""Invalid template bodies (``POST /v4/model-templates``), and the parameter-schema checks
models and inference share.

:func:`invalid_payloads` gives one of every kind, by name (:data:`INVALID_PAYLOAD_NAMES`).
A template's ``model_creation_parameters_schema`` and ``model_request_parameters_schema`` say
which parameters a model (or a deployment) and an inference call may give:
:func:`schema_parameters` reads them, and :data:`WRONG_VALUES` holds a value of the wrong type
for each parameter type; ``models/invalid.py`` and ``inference/invalid.py`` break bodies
against them.
"""

from __future__ import annotations

from typing import Any, Final, Literal, Mapping

from ...testdata.expected import parameter_type_error
from ...testdata.invalid import (
    InvalidPayload,
    bad_enum,
    empty_body,
    malformed_json,
    missing,
    not_an_object,
    text_content_type,
    truncated_json,
    wrong_type,
)
from . import RESOURCE
from .factory import TemplateFactory

__all__ = [
    "CREATE",
    "INVALID_PAYLOAD_NAMES",
    "WRONG_VALUES",
    "bad_parameter_type",
    "invalid_payloads",
    "schema_parameters",
]

CREATE: Final = next(op for op in RESOURCE.operations if op.verb == "create")
"""The operation template bodies are sent to."""


def schema_parameters(
    template: Mapping[str, Any], schema_key: str = "model_creation_parameters_schema"
) -> list[tuple[str, str, bool]]:
    schema = template.get(schema_key)
    if schema is None:
        raise ValueError(f"the template has no {schema_key}: it takes anything")
    found: dict[str, tuple[str, str, bool]] = {}
    for parameter in schema.get("parameters", ()):
        found.setdefault(
            parameter["name"],
            (parameter["name"], parameter["type"], parameter.get("required") is True),
        )
    return list(found.values())


def check_fits(
    template: Mapping[str, Any],
    values: Mapping[str, Any],
    schema_key: str = "model_creation_parameters_schema",
    what: str = "creation parameter",
) -> None:
    """``ValueError`` unless ``values`` fit the template's ``schema_key`` schema: a broken body
    must start out valid, so that its 422 has the one error predicted. ``what`` names a value
    in the message."""
    parameters = schema_parameters(template, schema_key)
    names = {n for n, _, _ in parameters}
    for parameter, type_, required in parameters:
        if required and parameter not in values:
            raise ValueError(f"the body lacks the required {what} {parameter!r}")
        if parameter in values:
            try:
                parameter_type_error(type_, (), values[parameter])
            except ValueError:
                continue
            raise ValueError(f"the body's {what} {parameter!r} is not a valid {type_}")
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"the body has {what}s the template does not list: {sorted(unknown)}")


WRONG_VALUES: Final[dict[str, Any]] = {
    "str": 42,
    "int": "lots",
    "float": "high",
    "bool": "maybe",
}


def bad_parameter_type(
    body: dict[str, Any],
    value: Any = "string",
    *,
    schema: Literal["model_request_parameters_schema", "model_creation_parameters_schema"] = (
        "model_request_parameters_schema"
    ),
    index: int = 0,
    name: str | None = None,
) -> InvalidPayload:
    """``body`` with a parameter whose ``type`` is none of ``str``, ``int``, ``float``, ``bool``."""
    return wrong_type(
        body,
        (schema, "parameters", index, "type"),
        value,
        name=name or "bad_parameter_type",
        operation=CREATE,
    )


def invalid_payloads(
    body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid payload of every kind, by name, derived from ``body``.

    ``body`` must carry every optional section (the default, from
    ``TemplateFactory(seed).request(optional="all")``, does).
    """
    if body is None:
        body = TemplateFactory(seed).request(optional="all")
    op = CREATE
    variants = [
        missing(body, "name", name="missing_name", operation=op),
        missing(body, "account_id", name="missing_account_id", operation=op),
        missing(
            body, "vendor_configuration.bundle_config.tag", name="missing_bundle_tag", operation=op
        ),
        missing(
            body,
            "model_request_parameters_schema.parameters.0.description",
            name="missing_parameter_description",
            operation=op,
        ),
        wrong_type(body, "name", 42, name="wrong_type_name", operation=op),
        wrong_type(
            body,
            "vendor_configuration.endpoint_config.cpus",
            "four",
            name="wrong_type_cpus",
            operation=op,
        ),
        wrong_type(
            body,
            "vendor_configuration.endpoint_config.min_workers",
            0.5,
            name="fractional_min_workers",
            operation=op,
        ),
        wrong_type(
            body,
            "vendor_configuration.bundle_config.command",
            "python serve.py",
            name="command_not_a_list",
            operation=op,
        ),
        wrong_type(
            body,
            "vendor_configuration.bundle_config.env",
            ["PORT=5005"],
            name="env_not_an_object",
            operation=op,
        ),
        wrong_type(
            body,
            "vendor_configuration.endpoint_config.high_priority",
            "urgent",
            name="wrong_type_high_priority",
            operation=op,
        ),
        wrong_type(
            body, "vendor_configuration", None, name="null_vendor_configuration", operation=op
        ),
        bad_enum(body, "endpoint_type", "REALTIME", name="bad_endpoint_type", operation=op),
        bad_enum(body, "model_type", "IMAGE_GENERATION", name="bad_model_type", operation=op),
        bad_enum(
            body,
            "vendor_configuration.endpoint_config.gpu_type",
            "nvidia-blackwell-b200",
            name="bad_gpu_type",
            operation=op,
        ),
        bad_enum(body, "vendor_configuration.vendor", "OPENAI", name="bad_vendor", operation=op),
        bad_parameter_type(body, "string", name="bad_parameter_type"),
        malformed_json(body, operation=op),
        truncated_json(body, operation=op),
        empty_body(operation=op),
        not_an_object(body, operation=op),
        text_content_type(body, operation=op),
    ]
    return {variant.name: variant for variant in variants}


INVALID_PAYLOAD_NAMES: Final = (
    "missing_name",
    "missing_account_id",
    "missing_bundle_tag",
    "missing_parameter_description",
    "wrong_type_name",
    "wrong_type_cpus",
    "fractional_min_workers",
    "command_not_a_list",
    "env_not_an_object",
    "wrong_type_high_priority",
    "null_vendor_configuration",
    "bad_endpoint_type",
    "bad_model_type",
    "bad_gpu_type",
    "bad_vendor",
    "bad_parameter_type",
    "malformed_json",
    "truncated_json",
    "empty_body",
    "not_an_object",
    "text_content_type",
)
"""The names :func:`invalid_payloads` returns, in order."""
