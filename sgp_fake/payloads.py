"""Invalid create bodies for negative tests, each paired with the exact 422 body it earns.

Each function takes a valid body (a dict, e.g. from :class:`~sgp_fake.factories.TemplateFactory`),
breaks it in one named way and returns an :class:`InvalidPayload`: the bytes to send and the
answer the real service (and the fake) gives, byte for byte. The expected errors are written out
here rule by rule, from pydantic v2's error catalogue as FastAPI reports it (``loc`` starting with
``"body"``, no ``url``); the project's tests check them against a FastAPI app built from the same
models.

>>> from sgp_fake.factories import TemplateFactory
>>> body = TemplateFactory(seed=1).request(optional="all")
>>> bad = missing(body, "vendor_configuration.bundle_config.tag")
>>> bad.expected_body["detail"][0]["type"], bad.expected_status
('missing', 422)

:func:`invalid_payloads` gives one of every kind, by name, for ``pytest.mark.parametrize``.

The same functions break model and deployment bodies, given the request model
(``model=ModelInstanceRequest``); :func:`invalid_model_payloads` and
:func:`invalid_deployment_payloads` give their sets. The creation parameters of a model must fit
its template's schema: :func:`unknown_creation_parameter`,
:func:`missing_creation_parameter` and :func:`wrong_creation_parameter_type` break them, the 422
written out from the template's ``model_creation_parameters_schema``
(:func:`creation_parameter_payloads` gives one of each).

The inference routes' bodies break the same way (:func:`invalid_inference_payloads`, by route),
and their ``model_request_parameters.bindings`` against the template's
``model_request_parameters_schema``: :func:`unknown_binding`, :func:`missing_binding`,
:func:`wrong_binding_type`, or one of each with :func:`binding_payloads`.

:func:`invalid_payloads_for` gives any resource (one a test declares, too) a set built from its
declaration alone.

This module is a public face: the engine lives in ``sgp_fake/testdata/`` and each resource's
catalogue in its folder (``sgp_fake/resources/<kind>/invalid.py``); paths come from the
resources' operations.
"""

from __future__ import annotations

from typing import Any, Final, Mapping

from pydantic import BaseModel

from .resources import REGISTRY
from .resources.deployments.invalid import (
    CREATE as _DEPLOYMENT_CREATE,
)
from .resources.deployments.invalid import (
    INVALID_DEPLOYMENT_PAYLOAD_NAMES,
    invalid_deployment_payloads,
)
from .resources.inference import invalid as _inference
from .resources.inference.invalid import (
    INFERENCE_ROUTES,
    INVALID_INFERENCE_PAYLOAD_NAMES,
    ROUTES,
    invalid_inference_payloads,
)
from .resources.model_templates.invalid import (
    CREATE as _TEMPLATE_CREATE,
)
from .resources.model_templates.invalid import (
    INVALID_PAYLOAD_NAMES,
    bad_parameter_type,
    invalid_payloads,
)
from .resources.model_templates.schemas import ModelTemplateRequest
from .resources.models import invalid as _models
from .resources.models.invalid import (
    CREATE as _MODEL_CREATE,
)
from .resources.models.invalid import (
    INVALID_MODEL_PAYLOAD_NAMES,
    invalid_model_payloads,
)
from .resources.models.schemas import ModelInstanceRequest
from .testdata import invalid as _engine
from .testdata.expected import Path
from .testdata.generic import invalid_payloads_for
from .testdata.invalid import InvalidPayload, Target

__all__ = [
    "CREATE_PATH",
    "DEPLOYMENTS_PATH",
    "INFERENCE_PATHS",
    "INFERENCE_ROUTES",
    "INVALID_DEPLOYMENT_PAYLOAD_NAMES",
    "INVALID_INFERENCE_PAYLOAD_NAMES",
    "INVALID_MODEL_PAYLOAD_NAMES",
    "INVALID_PAYLOAD_NAMES",
    "MODELS_PATH",
    "InvalidPayload",
    "Path",
    "bad_enum",
    "bad_parameter_type",
    "binding_payloads",
    "creation_parameter_payloads",
    "empty_body",
    "invalid_deployment_payloads",
    "invalid_inference_payloads",
    "invalid_model_payloads",
    "invalid_payloads",
    "invalid_payloads_for",
    "malformed_json",
    "missing",
    "missing_binding",
    "missing_creation_parameter",
    "not_an_object",
    "operation_of",
    "text_content_type",
    "truncated_json",
    "unknown_binding",
    "unknown_creation_parameter",
    "wrong_binding_type",
    "wrong_creation_parameter_type",
    "wrong_type",
]

# Read from the operation table, never written out: there is no second route table.
CREATE_PATH: Final = _TEMPLATE_CREATE.path
"""Where template bodies are created."""
MODELS_PATH: Final = _MODEL_CREATE.path
"""Where model bodies are created."""
DEPLOYMENTS_PATH: Final = _DEPLOYMENT_CREATE.path
"""Where deployment bodies are created: fill in the model's id (``InvalidPayload.post``'s
``model_instance_id``)."""
INFERENCE_PATHS: Final[dict[str, str]] = {route: op.path for route, op in ROUTES.items()}
"""Where each inference route's bodies go: fill in the deployment's id
(``InvalidPayload.post``'s ``model_deployment_id``)."""


def operation_of(model: type[BaseModel]) -> Target:
    """The operation of the registered resources whose body is ``model`` (a ``POST``): where a
    body of ``model`` is sent. ``ValueError`` for a model no registered operation takes: pass
    ``operation=`` for a resource of your own (its create operation)."""
    for resource in REGISTRY:
        for op in resource.operations:
            if op.body is model and op.method == "POST":
                return op
    raise ValueError(
        f"no registered operation takes a {model.__name__} body; pass operation= (for a "
        "resource of your own, its create operation)"
    )


def _target(model: type[BaseModel], operation: Target | None) -> Target:
    return operation if operation is not None else operation_of(model)


def missing(
    body: dict[str, Any],
    path: Path,
    *,
    name: str | None = None,
    model: type[BaseModel] = ModelTemplateRequest,
    operation: Target | None = None,
) -> InvalidPayload:
    """``body`` without the required field at ``path``; sent where ``model`` bodies are
    (``operation``, when given, says it instead)."""
    return _engine.missing(body, path, name=name, operation=_target(model, operation))


def wrong_type(
    body: dict[str, Any],
    path: Path,
    value: Any,
    *,
    name: str | None = None,
    model: type[BaseModel] = ModelTemplateRequest,
    operation: Target | None = None,
) -> InvalidPayload:
    """``body`` with ``value`` at ``path``, where the contract wants another type.

    Raises ``ValueError`` when ``value`` is in fact valid there (pydantic's lax mode takes
    ``"4"`` for an integer and ``"yes"`` for a boolean) or when its error is not one this module
    predicts (integers too big to parse, for instance).
    """
    return _engine.wrong_type(body, path, value, name=name, operation=_target(model, operation))


def bad_enum(
    body: dict[str, Any],
    path: Path,
    value: Any,
    *,
    name: str | None = None,
    model: type[BaseModel] = ModelTemplateRequest,
    operation: Target | None = None,
) -> InvalidPayload:
    """``body`` with a value outside the enum (or constant) declared at ``path``."""
    return _engine.bad_enum(body, path, value, name=name, operation=_target(model, operation))


def malformed_json(
    body: dict[str, Any],
    *,
    name: str = "malformed_json",
    model: type[BaseModel] = ModelTemplateRequest,
    operation: Target | None = None,
) -> InvalidPayload:
    """``body`` as JSON with a trailing comma before its closing brace."""
    return _engine.malformed_json(body, name=name, operation=_target(model, operation))


def truncated_json(
    body: dict[str, Any],
    *,
    name: str = "truncated_json",
    model: type[BaseModel] = ModelTemplateRequest,
    operation: Target | None = None,
) -> InvalidPayload:
    """``body`` as JSON cut off right after its first key."""
    return _engine.truncated_json(body, name=name, operation=_target(model, operation))


def empty_body(
    *,
    name: str = "empty_body",
    model: type[BaseModel] = ModelTemplateRequest,
    operation: Target | None = None,
) -> InvalidPayload:
    """No body at all."""
    return _engine.empty_body(name=name, operation=_target(model, operation))


def not_an_object(
    body: dict[str, Any],
    *,
    name: str = "not_an_object",
    model: type[BaseModel] = ModelTemplateRequest,
    operation: Target | None = None,
) -> InvalidPayload:
    """``body`` wrapped in a JSON array."""
    return _engine.not_an_object(body, name=name, operation=_target(model, operation))


def text_content_type(
    body: dict[str, Any],
    *,
    name: str = "text_content_type",
    model: type[BaseModel] = ModelTemplateRequest,
    operation: Target | None = None,
) -> InvalidPayload:
    """``body`` as JSON, sent as ``text/plain``: the service does not decode it."""
    return _engine.text_content_type(body, name=name, operation=_target(model, operation))


# -- creation parameters, against a template's schema ---------------------------------------------


def unknown_creation_parameter(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str = "model_weight_uri",
    value: Any = "s3://bucket/weights/",
    *,
    model: type[BaseModel] = ModelInstanceRequest,
    base: Mapping[str, Any] | None = None,
    name: str = "unknown_creation_parameter",
) -> InvalidPayload:
    """``body`` with a creation parameter the template's schema does not list (a typo).

    ``body`` must fit the schema otherwise; for a deployment (``model=ModelDeploymentRequest``)
    ``base`` is its model's creation parameters, which count as the deployment's.
    """
    return _models.unknown_creation_parameter(
        body, template, parameter, value, operation=operation_of(model), base=base, name=name
    )


def missing_creation_parameter(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str | None = None,
    *,
    model: type[BaseModel] = ModelInstanceRequest,
    base: Mapping[str, Any] | None = None,
    name: str = "missing_creation_parameter",
) -> InvalidPayload:
    """``body`` without a required creation parameter (the template's first, by default)."""
    return _models.missing_creation_parameter(
        body, template, parameter, operation=operation_of(model), base=base, name=name
    )


def wrong_creation_parameter_type(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str,
    value: Any,
    *,
    model: type[BaseModel] = ModelInstanceRequest,
    base: Mapping[str, Any] | None = None,
    name: str = "wrong_creation_parameter_type",
) -> InvalidPayload:
    """``body`` with ``value`` for a creation parameter of another type.

    ``ValueError`` when ``value`` is valid there (``"4"`` for an ``int``, ``"yes"`` for a
    ``bool``: pydantic's lax mode takes them).
    """
    return _models.wrong_creation_parameter_type(
        body, template, parameter, value, operation=operation_of(model), base=base, name=name
    )


def creation_parameter_payloads(
    body: dict[str, Any],
    template: Mapping[str, Any],
    *,
    model: type[BaseModel] = ModelInstanceRequest,
    base: Mapping[str, Any] | None = None,
) -> dict[str, InvalidPayload]:
    """One body per way creation parameters break against ``template``, by name: an unknown
    parameter, a required one left out (when the schema requires one the body gives), and one
    of the wrong type (the schema's first parameter)."""
    return _models.creation_parameter_payloads(
        body, template, operation=operation_of(model), base=base
    )


# -- bindings, against a template's request schema ----------------------------------------------

_COMPLETION: Final = ROUTES["completions"].body
assert _COMPLETION is not None


def unknown_binding(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str = "temprature",
    value: Any = 0.7,
    *,
    model: type[BaseModel] = _COMPLETION,
    name: str = "unknown_binding",
) -> InvalidPayload:
    """``body`` binding a request parameter the template's schema does not list (a typo).

    ``body`` (of the route of ``model``) must fit the schema otherwise.
    """
    return _inference.unknown_binding(
        body, template, parameter, value, operation=operation_of(model), name=name
    )


def missing_binding(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str | None = None,
    *,
    model: type[BaseModel] = _COMPLETION,
    name: str = "missing_binding",
) -> InvalidPayload:
    """``body`` without a required binding (the template's first required one, by default)."""
    return _inference.missing_binding(
        body, template, parameter, operation=operation_of(model), name=name
    )


def wrong_binding_type(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str,
    value: Any,
    *,
    model: type[BaseModel] = _COMPLETION,
    name: str = "wrong_binding_type",
) -> InvalidPayload:
    """``body`` binding ``value`` to a request parameter of another type.

    The value must be one the route's body takes (a string, a number or a boolean: the body
    is refused for anything else before bindings are checked); ``ValueError`` when it is valid
    for the parameter (``"4"`` for an ``int``: pydantic's lax mode takes it).
    """
    return _inference.wrong_binding_type(
        body, template, parameter, value, operation=operation_of(model), name=name
    )


def binding_payloads(
    body: dict[str, Any],
    template: Mapping[str, Any],
    *,
    model: type[BaseModel] = _COMPLETION,
) -> dict[str, InvalidPayload]:
    """One body per way bindings break against ``template``, by name: an unknown parameter, a
    required one left out (when the schema requires one the body binds), and one of the wrong
    type (the schema's first parameter). ``model`` is the route's body
    (``ChatCompletionRequest`` ...), which says where the payloads are sent."""
    return _inference.binding_payloads(body, template, operation=operation_of(model))
