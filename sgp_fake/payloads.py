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
"""

from __future__ import annotations

import copy
import enum
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Mapping, Sequence, Union

import httpx
from pydantic import BaseModel

from .models import ModelTemplateRequest
from .resources.deployments.schemas import ModelDeploymentRequest
from .resources.models.inference import (
    ChatCompletionRequest,
    CompletionRequest,
    EmbeddingRequest,
    RerankingRequest,
)
from .resources.models.schemas import ModelInstanceRequest

__all__ = [
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
    "malformed_json",
    "missing",
    "missing_binding",
    "missing_creation_parameter",
    "not_an_object",
    "text_content_type",
    "truncated_json",
    "unknown_binding",
    "unknown_creation_parameter",
    "wrong_binding_type",
    "wrong_creation_parameter_type",
    "wrong_type",
]

Path = Union[str, Sequence[Union[str, int]]]
"""Where in a body: ``"vendor_configuration.bundle_config.tag"`` (digits index lists) or a
sequence such as ``("model_request_parameters_schema", "parameters", 0, "type")``."""

CREATE_PATH: Final = "/v4/model-templates"
MODELS_PATH: Final = "/v4/models"
"""Where model bodies are created."""
DEPLOYMENTS_PATH: Final = "/v4/models/{model_instance_id}/deployments"
"""Where deployment bodies are created: fill in the model's id (``InvalidPayload.post``'s
``model_instance_id``)."""
INFERENCE_ROUTES: Final = ("completions", "chat-completions", "embeddings", "rerankings")
"""The inference routes of a deployment, by the last segment of their path."""
INFERENCE_PATHS: Final[dict[str, str]] = {
    route: f"/v4/models/{{model_deployment_id}}/{route}" for route in INFERENCE_ROUTES
}
"""Where each inference route's bodies go: fill in the deployment's id
(``InvalidPayload.post``'s ``model_deployment_id``)."""
_INFERENCE_MODELS: Final[dict[str, type[BaseModel]]] = {
    "completions": CompletionRequest,
    "chat-completions": ChatCompletionRequest,
    "embeddings": EmbeddingRequest,
    "rerankings": RerankingRequest,
}
_MODEL_ATTRIBUTES_MSG: Final = "Input should be a valid dictionary or object to extract fields from"


def _render(content: Any) -> bytes:
    # Exactly as Starlette's JSONResponse serialises FastAPI's error body.
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class InvalidPayload:
    """A body the create route refuses, and what it answers.

    ``content`` is what to send with ``content_type``; ``body`` is the decoded JSON value when
    there is one (``None`` for malformed JSON and empty bodies). ``expected_body`` is the answer
    decoded; :attr:`expected_content` is its exact bytes.
    """

    name: str
    description: str
    content: bytes
    expected_body: dict[str, Any]
    body: Any = None
    content_type: str = "application/json"
    expected_status: int = 422
    headers: dict[str, str] = field(default_factory=dict)
    path: str = CREATE_PATH
    """Where the body is sent: the create route of the body's resource."""

    @property
    def expected_content(self) -> bytes:
        """The exact bytes of the answer."""
        return _render(self.expected_body)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The ``detail`` list of the expected answer."""
        detail: list[dict[str, Any]] = self.expected_body["detail"]
        return detail

    def request_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.post``: ``content`` and ``headers``."""
        return {
            "content": self.content,
            "headers": {"content-type": self.content_type, **self.headers},
        }

    def url(
        self,
        path: str | None = None,
        model_instance_id: str | None = None,
        model_deployment_id: str | None = None,
    ) -> str:
        """The path to send to: ``path``, else :attr:`path` with the model's (or the
        deployment's) id filled in."""
        target = path or self.path
        if model_instance_id is not None:
            target = target.replace("{model_instance_id}", model_instance_id)
        if model_deployment_id is not None:
            target = target.replace("{model_deployment_id}", model_deployment_id)
        return target

    def post(
        self,
        client: httpx.Client,
        path: str | None = None,
        *,
        model_instance_id: str | None = None,
        model_deployment_id: str | None = None,
    ) -> httpx.Response:
        """Send this payload with ``client`` (base URL and API key already set) to ``path``
        (default: :attr:`path`, with ``model_instance_id`` for a deployment's,
        ``model_deployment_id`` for an inference route's)."""
        url = self.url(path, model_instance_id, model_deployment_id)
        return client.post(url, **self.request_kwargs())

    async def apost(
        self,
        client: httpx.AsyncClient,
        path: str | None = None,
        *,
        model_instance_id: str | None = None,
        model_deployment_id: str | None = None,
    ) -> httpx.Response:
        """Send this payload with an async ``client``."""
        url = self.url(path, model_instance_id, model_deployment_id)
        return await client.post(url, **self.request_kwargs())


# -- paths and the types they lead to ---------------------------------------------------------


def _parse_path(path: Path) -> tuple[str | int, ...]:
    if isinstance(path, str):
        return tuple(int(part) if part.isdigit() else part for part in path.split("."))
    return tuple(path)


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``Optional[X]``; ``(annotation, False)`` otherwise."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = typing.get_args(annotation)
        if type(None) in args:
            rest = [a for a in args if a is not type(None)]
            return (rest[0] if len(rest) == 1 else Union[tuple(rest)]), True
    return annotation, False


def _field(model: type[BaseModel], name: str) -> Any:
    """The field a body names ``name``: by its alias when it has one."""
    for field_name, info in model.model_fields.items():
        if (info.alias or field_name) == name:
            return info
    raise KeyError(f"{model.__name__} has no field {name!r}")


def _annotation_at(
    path: tuple[str | int, ...], model: type[BaseModel] = ModelTemplateRequest
) -> tuple[Any, bool]:
    """The declared type at ``path`` in a create body, and whether it accepts ``null``."""
    annotation: Any = model
    nullable = False
    for segment in path:
        annotation, _ = _strip_optional(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(segment, str):
                raise KeyError(f"{annotation.__name__} has no field {segment!r}")
            annotation = _field(annotation, segment).annotation
        elif origin is list and isinstance(segment, int):
            annotation = typing.get_args(annotation)[0]
        elif origin is dict and isinstance(segment, str):
            annotation = typing.get_args(annotation)[1]
        else:
            raise KeyError(f"cannot step into {annotation!r} with {segment!r}")
        annotation, nullable = _strip_optional(annotation)
    return annotation, nullable


def _parent_and_key(body: Any, path: tuple[str | int, ...]) -> tuple[Any, str | int]:
    node = body
    for i, segment in enumerate(path[:-1]):
        try:
            node = node[segment]
        except (KeyError, IndexError, TypeError):
            where = ".".join(str(s) for s in path[: i + 1])
            raise KeyError(
                f"the body has no {where}; start from a body that has it "
                "(e.g. TemplateFactory().request(optional='all'))"
            ) from None
    return node, path[-1]


def _loc(path: tuple[str | int, ...]) -> list[str | int]:
    return ["body", *path]


def _error(
    type_: str, path: tuple[str | int, ...], msg: str, value: Any, ctx: dict[str, Any] | None = None
) -> dict[str, Any]:
    # Key order as pydantic reports it, so that the rendered bytes match too.
    error: dict[str, Any] = {"type": type_, "loc": _loc(path), "msg": msg, "input": value}
    if ctx is not None:
        error["ctx"] = ctx
    return error


def _is_literal_union(annotation: Any) -> bool:
    if typing.get_origin(annotation) not in (Union, types.UnionType):
        return False
    return all(typing.get_origin(a) is Literal for a in typing.get_args(annotation))


def _expected(value: str) -> str:
    return f"'{value}'"


def _choices(values: Sequence[str]) -> str:
    quoted = [_expected(v) for v in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


_TRUTHY_STRINGS: Final = frozenset(
    {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}
)


def _type_errors(
    annotation: Any, nullable: bool, path: tuple[str | int, ...], value: Any
) -> list[dict[str, Any]]:
    """The errors a value earns where ``annotation`` is declared.

    ``ValueError`` if the value is valid there, or if its error is not one this module knows
    how to predict.
    """
    if value is None and nullable:
        raise ValueError(f"{_dotted(path)} accepts null")
    errors = _choice_errors(annotation, path, value)
    if errors is None:
        errors = [_shape_error(annotation, path, value)]
    return errors


def _choice_errors(
    annotation: Any, path: tuple[str | int, ...], value: Any
) -> list[dict[str, Any]] | None:
    """Errors for enums and literals; ``None`` when ``annotation`` is neither."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [member.value for member in annotation]
        kind = "enum"
    elif typing.get_origin(annotation) is Literal:
        values = list(typing.get_args(annotation))
        kind = "literal_error"
    elif _is_literal_union(annotation):
        members = [typing.get_args(a)[0] for a in typing.get_args(annotation)]
        if value in members:
            raise ValueError(f"{value!r} is allowed there")
        # A union of literals is validated member by member; each reports under its own tag.
        return [
            _error(
                "literal_error",
                (*path, f"literal[{_expected(m)}]"),
                f"Input should be {_expected(m)}",
                value,
                {"expected": _expected(m)},
            )
            for m in members
        ]
    else:
        return None
    if value in values:
        raise ValueError(f"{value!r} is allowed there")
    expected = _choices(values)
    return [_error(kind, path, f"Input should be {expected}", value, {"expected": expected})]


# For each container or scalar type: the Python types that are right for it, and the error
# any other JSON value earns (integers and booleans have finer rules, below).
_SHAPES: Final[dict[Any, tuple[tuple[type, ...], str, str]]] = {
    "model": ((dict,), "model_attributes_type", _MODEL_ATTRIBUTES_MSG),
    list: ((list,), "list_type", "Input should be a valid list"),
    dict: ((dict,), "dict_type", "Input should be a valid dictionary"),
    str: ((str,), "string_type", "Input should be a valid string"),
}


def _shape_error(annotation: Any, path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if annotation is int:
        return _int_error(path, value)
    if annotation is bool:
        return _bool_error(path, value)
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    shape = _SHAPES.get("model" if is_model else (typing.get_origin(annotation) or annotation))
    if shape is None:
        raise ValueError(f"no known error for {value!r} where {annotation!r} is expected")
    right_types, type_, msg = shape
    if isinstance(value, right_types):
        raise ValueError(f"{value!r} is the right type for {_dotted(path)}")
    return _error(type_, path, msg, value)


def _int_error(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if isinstance(value, str) and not any(c.isdigit() for c in value):
        return _error(
            "int_parsing",
            path,
            "Input should be a valid integer, unable to parse string as an integer",
            value,
        )
    if isinstance(value, float) and abs(value) < 2**53 and not value.is_integer():
        return _error(
            "int_from_float",
            path,
            "Input should be a valid integer, got a number with a fractional part",
            value,
        )
    if value is None or isinstance(value, (list, dict)):
        return _error("int_type", path, "Input should be a valid integer", value)
    raise ValueError(f"{value!r} is a valid integer, or one whose error is not predicted here")


def _bool_error(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        if value.strip().lower() in _TRUTHY_STRINGS:
            raise ValueError(f"{value!r} is read as a boolean")
        return _error(
            "bool_parsing",
            path,
            "Input should be a valid boolean, unable to interpret input",
            value,
        )
    if isinstance(value, int) and not isinstance(value, bool):
        if value in (0, 1):
            raise ValueError(f"{value!r} is read as a boolean")
        return _error(
            "bool_parsing",
            path,
            "Input should be a valid boolean, unable to interpret input",
            value,
        )
    if isinstance(value, float) and not value.is_integer():
        return _error("bool_type", path, "Input should be a valid boolean", value)
    if value is None or isinstance(value, (list, dict)):
        return _error("bool_type", path, "Input should be a valid boolean", value)
    raise ValueError(f"{value!r} is a valid boolean, or one whose error is not predicted here")


_PATHS: Final[dict[type[BaseModel], str]] = {
    ModelInstanceRequest: MODELS_PATH,
    ModelDeploymentRequest: DEPLOYMENTS_PATH,
    **{model: INFERENCE_PATHS[route] for route, model in _INFERENCE_MODELS.items()},
}


def _path_of(model: type[BaseModel]) -> str:
    return _PATHS.get(model, CREATE_PATH)


def _checked(body: dict[str, Any], model: type[BaseModel] = ModelTemplateRequest) -> dict[str, Any]:
    model.model_validate(body)  # a broken body must start out valid
    return copy.deepcopy(body)


def _json_payload(
    name: str,
    description: str,
    body: Any,
    errors: list[dict[str, Any]],
    model: type[BaseModel] = ModelTemplateRequest,
) -> InvalidPayload:
    return InvalidPayload(
        name=name,
        description=description,
        content=json.dumps(body).encode(),
        body=body,
        expected_body={"detail": errors},
        path=_path_of(model),
    )


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(s) for s in path)


# -- the variants -----------------------------------------------------------------------------


def missing(
    body: dict[str, Any],
    path: Path,
    *,
    name: str | None = None,
    model: type[BaseModel] = ModelTemplateRequest,
) -> InvalidPayload:
    """``body`` without the required field at ``path``."""
    where = _parse_path(path)
    annotation_parent = where[:-1]
    parent_type, _ = (
        _annotation_at(annotation_parent, model) if annotation_parent else (model, False)
    )
    if not (isinstance(parent_type, type) and issubclass(parent_type, BaseModel)):
        raise ValueError(f"{_dotted(where)} is not a model field")
    key = where[-1]
    if not isinstance(key, str) or not _field(parent_type, key).is_required():
        raise ValueError(f"{_dotted(where)} is optional: leaving it out is valid")
    broken = _checked(body, model)
    parent, key = _parent_and_key(broken, where)
    if key not in parent:
        raise KeyError(f"the body has no {_dotted(where)} to remove")
    del parent[key]
    return _json_payload(
        name or f"missing_{key}",
        f"required field {_dotted(where)} left out",
        broken,
        [_error("missing", where, "Field required", copy.deepcopy(parent))],
        model,
    )


def wrong_type(
    body: dict[str, Any],
    path: Path,
    value: Any,
    *,
    name: str | None = None,
    model: type[BaseModel] = ModelTemplateRequest,
) -> InvalidPayload:
    """``body`` with ``value`` at ``path``, where the contract wants another type.

    Raises ``ValueError`` when ``value`` is in fact valid there (pydantic's lax mode takes
    ``"4"`` for an integer and ``"yes"`` for a boolean) or when its error is not one this module
    predicts (integers too big to parse, for instance).
    """
    where = _parse_path(path)
    annotation, nullable = _annotation_at(where, model)
    errors = _type_errors(annotation, nullable, where, value)
    broken = _checked(body, model)
    parent, key = _parent_and_key(broken, where)
    if isinstance(parent, list) and not (
        isinstance(key, int) and -len(parent) <= key < len(parent)
    ):
        raise KeyError(f"the body has no {_dotted(where)}")
    parent[key] = copy.deepcopy(value)
    return _json_payload(
        name or f"wrong_type_{where[-1]}",
        f"{_dotted(where)} set to {json.dumps(value)}",
        broken,
        errors,
        model,
    )


def bad_enum(
    body: dict[str, Any],
    path: Path,
    value: Any,
    *,
    name: str | None = None,
    model: type[BaseModel] = ModelTemplateRequest,
) -> InvalidPayload:
    """``body`` with a value outside the enum (or constant) declared at ``path``."""
    where = _parse_path(path)
    annotation, _ = _annotation_at(where, model)
    is_enum = isinstance(annotation, type) and issubclass(annotation, enum.Enum)
    if not (is_enum or typing.get_origin(annotation) is Literal):
        raise ValueError(f"{_dotted(where)} is not an enum")
    return wrong_type(body, where, value, name=name or f"bad_{where[-1]}", model=model)


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
        body, (schema, "parameters", index, "type"), value, name=name or "bad_parameter_type"
    )


def malformed_json(
    body: dict[str, Any],
    *,
    name: str = "malformed_json",
    model: type[BaseModel] = ModelTemplateRequest,
) -> InvalidPayload:
    """``body`` as JSON with a trailing comma before its closing brace."""
    text = json.dumps(_checked(body, model))
    broken = text[:-1] + ",}"
    return InvalidPayload(
        path=_path_of(model),
        name=name,
        description="JSON with a trailing comma",
        content=broken.encode(),
        expected_body={
            "detail": [
                {
                    "type": "json_invalid",
                    "loc": ["body", len(broken) - 1],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": "Expecting property name enclosed in double quotes"},
                }
            ]
        },
    )


def truncated_json(
    body: dict[str, Any],
    *,
    name: str = "truncated_json",
    model: type[BaseModel] = ModelTemplateRequest,
) -> InvalidPayload:
    """``body`` as JSON cut off right after its first key."""
    text = json.dumps(_checked(body, model))
    cut = text[: text.index(": ") + 2]
    return InvalidPayload(
        path=_path_of(model),
        name=name,
        description="JSON cut off after its first key",
        content=cut.encode(),
        expected_body={
            "detail": [
                {
                    "type": "json_invalid",
                    "loc": ["body", len(cut)],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": "Expecting value"},
                }
            ]
        },
    )


def empty_body(
    *, name: str = "empty_body", model: type[BaseModel] = ModelTemplateRequest
) -> InvalidPayload:
    """No body at all."""
    return InvalidPayload(
        path=_path_of(model),
        name=name,
        description="an empty body",
        content=b"",
        expected_body={
            "detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
        },
    )


def not_an_object(
    body: dict[str, Any],
    *,
    name: str = "not_an_object",
    model: type[BaseModel] = ModelTemplateRequest,
) -> InvalidPayload:
    """``body`` wrapped in a JSON array."""
    wrapped = [_checked(body, model)]
    return _json_payload(
        name,
        "a JSON array instead of an object",
        wrapped,
        [_error("model_attributes_type", (), _MODEL_ATTRIBUTES_MSG, wrapped)],
        model,
    )


def text_content_type(
    body: dict[str, Any],
    *,
    name: str = "text_content_type",
    model: type[BaseModel] = ModelTemplateRequest,
) -> InvalidPayload:
    """``body`` as JSON, sent as ``text/plain``: the service does not decode it."""
    text = json.dumps(_checked(body, model))
    return InvalidPayload(
        path=_path_of(model),
        name=name,
        description="a JSON body sent with content-type text/plain",
        content=text.encode(),
        body=None,
        content_type="text/plain",
        expected_body={
            "detail": [_error("model_attributes_type", (), _MODEL_ATTRIBUTES_MSG, text)]
        },
    )


def invalid_payloads(
    body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid payload of every kind, by name, derived from ``body``.

    ``body`` must carry every optional section (the default, from
    ``TemplateFactory(seed).request(optional="all")``, does).
    """
    if body is None:
        from .factories import TemplateFactory

        body = TemplateFactory(seed).request(optional="all")
    variants = [
        missing(body, "name", name="missing_name"),
        missing(body, "account_id", name="missing_account_id"),
        missing(body, "vendor_configuration.bundle_config.tag", name="missing_bundle_tag"),
        missing(
            body,
            "model_request_parameters_schema.parameters.0.description",
            name="missing_parameter_description",
        ),
        wrong_type(body, "name", 42, name="wrong_type_name"),
        wrong_type(
            body, "vendor_configuration.endpoint_config.cpus", "four", name="wrong_type_cpus"
        ),
        wrong_type(
            body,
            "vendor_configuration.endpoint_config.min_workers",
            0.5,
            name="fractional_min_workers",
        ),
        wrong_type(
            body,
            "vendor_configuration.bundle_config.command",
            "python serve.py",
            name="command_not_a_list",
        ),
        wrong_type(
            body, "vendor_configuration.bundle_config.env", ["PORT=5005"], name="env_not_an_object"
        ),
        wrong_type(
            body,
            "vendor_configuration.endpoint_config.high_priority",
            "urgent",
            name="wrong_type_high_priority",
        ),
        wrong_type(body, "vendor_configuration", None, name="null_vendor_configuration"),
        bad_enum(body, "endpoint_type", "REALTIME", name="bad_endpoint_type"),
        bad_enum(body, "model_type", "IMAGE_GENERATION", name="bad_model_type"),
        bad_enum(
            body,
            "vendor_configuration.endpoint_config.gpu_type",
            "nvidia-blackwell-b200",
            name="bad_gpu_type",
        ),
        bad_enum(body, "vendor_configuration.vendor", "OPENAI", name="bad_vendor"),
        bad_parameter_type(body, "string", name="bad_parameter_type"),
        malformed_json(body),
        truncated_json(body),
        empty_body(),
        not_an_object(body),
        text_content_type(body),
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


# -- models and deployments ---------------------------------------------------------------------


def invalid_model_payloads(
    body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid model body (``POST /v4/models``) of every kind, by name.

    ``body`` must carry ``base_model_metadata.modelDetails`` (the default, from
    ``ModelFactory(seed).request(optional="all")``, does).
    """
    if body is None:
        from .factories import ModelFactory

        body = ModelFactory(seed).request(optional="all")
    m = ModelInstanceRequest
    variants = [
        missing(body, "name", name="missing_name", model=m),
        missing(body, "model_type", name="missing_model_type", model=m),
        missing(body, "account_id", name="missing_account_id", model=m),
        wrong_type(body, "name", 42, name="wrong_type_name", model=m),
        bad_enum(body, "model_type", "IMAGE_GENERATION", name="bad_model_type", model=m),
        bad_enum(body, "model_vendor", "HUGGINGFACE", name="bad_model_vendor", model=m),
        bad_enum(
            body,
            "base_model_metadata.ui_model_section_type",
            "COMMUNITY",
            name="bad_ui_model_section_type",
            model=m,
        ),
        wrong_type(
            body,
            "base_model_metadata.modelDetails.token_context_window",
            "large",
            name="wrong_type_token_context_window",
            model=m,
        ),
        wrong_type(
            body,
            "model_creation_parameters",
            ["model_weights_uri=s3://bucket/weights"],
            name="creation_parameters_not_an_object",
            model=m,
        ),
        wrong_type(body, "model_template_id", None, name="null_model_template_id", model=m),
        malformed_json(body, model=m),
        truncated_json(body, model=m),
        empty_body(model=m),
        not_an_object(body, model=m),
        text_content_type(body, model=m),
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


def invalid_deployment_payloads(
    body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid deployment body (``POST /v4/models/{id}/deployments``) of every kind.

    Send them with ``payload.post(client, model_instance_id=...)``; the body is refused before
    the model is looked up, so any id will do.
    """
    if body is None:
        from .factories import DeploymentFactory

        body = DeploymentFactory(seed).request(optional="all")
    d = ModelDeploymentRequest
    variants = [
        missing(body, "name", name="missing_name", model=d),
        wrong_type(body, "name", ["prod"], name="wrong_type_name", model=d),
        wrong_type(body, "wait_for_ready", "later", name="wrong_type_wait_for_ready", model=d),
        wrong_type(
            body,
            "deployment_metadata",
            "team=ml-platform",
            name="metadata_not_an_object",
            model=d,
        ),
        wrong_type(body, "account_id", 7, name="wrong_type_account_id", model=d),
        malformed_json(body, model=d),
        truncated_json(body, model=d),
        empty_body(model=d),
        not_an_object(body, model=d),
        text_content_type(body, model=d),
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


# -- creation parameters, against a template's schema ---------------------------------------------

_PARAMETER_TYPES: Final[dict[str, Any]] = {"str": str, "int": int, "float": float, "bool": bool}
_CREATION: Final = "model_creation_parameters"


def _schema_parameters(
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


def _parameter_payload(  # noqa: PLR0917 - the payload's parts, in InvalidPayload's order
    name: str,
    description: str,
    body: dict[str, Any],
    values: dict[str, Any],
    errors: list[dict[str, Any]],
    model: type[BaseModel],
) -> InvalidPayload:
    broken = copy.deepcopy(body)
    broken[_CREATION] = values
    return _json_payload(name, description, broken, errors, model)


def _float_error(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return _error(
                "float_parsing",
                path,
                "Input should be a valid number, unable to parse string as a number",
                value,
            )
    if value is None or isinstance(value, (list, dict)):
        return _error("float_type", path, "Input should be a valid number", value)
    raise ValueError(f"{value!r} is a valid number, or one whose error is not predicted here")


def _parameter_type_error(type_: str, path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if type_ == "float":
        return _float_error(path, value)
    return _shape_error(_PARAMETER_TYPES[type_], path, value)


def _base_values(body: dict[str, Any], base: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**(base or {}), **(body.get(_CREATION) or {})}


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
    known = {n for n, _, _ in _schema_parameters(template)}
    if parameter in known:
        raise ValueError(f"{parameter!r} is a parameter of the template")
    values = {**(body.get(_CREATION) or {}), parameter: value}
    _fits(template, _base_values(body, base))
    path = (_CREATION, parameter)
    errors = [_error("extra_forbidden", path, "Extra inputs are not permitted", value)]
    return _parameter_payload(name, f"{_dotted(path)} is no parameter of the template",
                              body, values, errors, model)  # fmt: skip


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
    required = [n for n, _, is_required in _schema_parameters(template) if is_required]
    if not required:
        raise ValueError("the template requires no creation parameter")
    parameter = parameter or required[0]
    if parameter not in required:
        raise ValueError(f"{parameter!r} is not a required parameter of the template")
    if base and parameter in base:
        raise ValueError(f"the model gives {parameter!r}: a deployment inherits it")
    _fits(template, _base_values(body, base))
    values = {k: v for k, v in (body.get(_CREATION) or {}).items() if k != parameter}
    merged = {**(base or {}), **values}
    path = (_CREATION, parameter)
    errors = [_error("missing", path, "Field required", merged)]
    return _parameter_payload(name, f"required {_dotted(path)} left out",
                              body, values, errors, model)  # fmt: skip


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
    types_ = {n: t for n, t, _ in _schema_parameters(template)}
    if parameter not in types_:
        raise ValueError(f"{parameter!r} is no parameter of the template")
    path = (_CREATION, parameter)
    errors = [_parameter_type_error(types_[parameter], path, value)]
    _fits(template, _base_values(body, base))
    values = {**(body.get(_CREATION) or {}), parameter: value}
    return _parameter_payload(name, f"{_dotted(path)} set to {json.dumps(value)}",
                              body, values, errors, model)  # fmt: skip


def _fits(template: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """``ValueError`` unless ``values`` fit the template's schema (a broken body must start out
    valid, so that its 422 has the one error predicted)."""
    parameters = _schema_parameters(template)
    names = {n for n, _, _ in parameters}
    for parameter, type_, required in parameters:
        if required and parameter not in values:
            raise ValueError(f"the body lacks the required creation parameter {parameter!r}")
        if parameter in values:
            try:
                _parameter_type_error(type_, (), values[parameter])
            except ValueError:
                continue
            raise ValueError(f"the body's {parameter!r} is not a valid {type_}")
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"the body has parameters the template does not list: {sorted(unknown)}")


_WRONG_VALUES: Final[dict[str, Any]] = {
    "str": 42,
    "int": "lots",
    "float": "high",
    "bool": "maybe",
}


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
    variants = [unknown_creation_parameter(body, template, model=model, base=base)]
    given = set(body.get(_CREATION) or {})
    required = [
        n for n, _, is_required in _schema_parameters(template) if is_required and n in given
    ]
    if required and not (base and required[0] in base):
        variants.append(
            missing_creation_parameter(body, template, required[0], model=model, base=base)
        )
    parameters = _schema_parameters(template)
    if parameters:
        first, type_, _ = parameters[0]
        variants.append(
            wrong_creation_parameter_type(
                body, template, first, _WRONG_VALUES[type_], model=model, base=base
            )
        )
    return {variant.name: variant for variant in variants}


# -- inference bodies ---------------------------------------------------------------------------


def invalid_inference_payloads(
    route: str = "completions", body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid body of every kind for an inference route (one of :data:`INFERENCE_ROUTES`),
    by name (:data:`INVALID_INFERENCE_PAYLOAD_NAMES`). They are refused before the deployment
    is looked up, so any deployment id will do: ``payload.post(client,
    model_deployment_id=...)``.

    ``body`` must carry ``model_request_parameters.bindings`` (the default, from
    :class:`~sgp_fake.factories.InferenceFactory`, does).
    """
    model = _INFERENCE_MODELS.get(route)
    if model is None:
        raise ValueError(f"route must be one of {', '.join(INFERENCE_ROUTES)}")
    if body is None:
        from .factories import InferenceFactory

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
    m = model
    own: list[InvalidPayload] = {
        "completions": lambda: [
            missing(body, "prompt", name="missing_prompt", model=m),
            wrong_type(body, "prompt", ["Hello"], name="wrong_type_prompt", model=m),
            wrong_type(body, "max_tokens", "many", name="wrong_type_max_tokens", model=m),
            bad_enum(body, "reasoning_effort", "extreme", name="bad_reasoning_effort", model=m),
            wrong_type(body, "stream", "later", name="wrong_type_stream", model=m),
        ],
        "chat-completions": lambda: [
            missing(body, "prompt", name="missing_prompt", model=m),
            missing(body, "chat_history", name="missing_chat_history", model=m),
            wrong_type(
                body, "chat_history", "hello", name="chat_history_not_a_list", model=m
            ),
            wrong_type(body, "max_tokens", "many", name="wrong_type_max_tokens", model=m),
            wrong_type(body, "stream", "later", name="wrong_type_stream", model=m),
        ],
        "embeddings": lambda: [
            missing(body, "texts", name="missing_texts", model=m),
            wrong_type(body, "texts", "one text", name="texts_not_a_list", model=m),
            wrong_type(body, "texts.0", 42, name="wrong_type_text", model=m),
        ],
        "rerankings": lambda: [
            missing(body, "query", name="missing_query", model=m),
            missing(body, "chunks", name="missing_chunks", model=m),
            wrong_type(body, "query", ["how"], name="wrong_type_query", model=m),
            wrong_type(body, "chunks", "one chunk", name="chunks_not_a_list", model=m),
        ],
    }[route]()
    variants = [
        *own,
        wrong_type(
            body,
            "model_request_parameters.bindings",
            "temperature=0.2",
            name="bindings_not_an_object",
            model=m,
        ),
        missing(body, "model_request_parameters.bindings", name="missing_bindings", model=m),
        malformed_json(body, model=m),
        truncated_json(body, model=m),
        empty_body(model=m),
        not_an_object(body, model=m),
        text_content_type(body, model=m),
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


# -- bindings, against a template's request schema ----------------------------------------------

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
    model: type[BaseModel],
) -> InvalidPayload:
    broken = copy.deepcopy(body)
    broken["model_request_parameters"] = {
        **(broken.get("model_request_parameters") or {}),
        "bindings": values,
    }
    return _json_payload(name, description, broken, errors, model)


def _binding_fits(template: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """``ValueError`` unless ``values`` fit the template's request schema."""
    parameters = _schema_parameters(template, _REQUEST_SCHEMA)
    names = {n for n, _, _ in parameters}
    for parameter, type_, required in parameters:
        if required and parameter not in values:
            raise ValueError(f"the body lacks the required binding {parameter!r}")
        if parameter in values:
            try:
                _parameter_type_error(type_, (), values[parameter])
            except ValueError:
                continue
            raise ValueError(f"the body's binding {parameter!r} is not a valid {type_}")
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"the body binds parameters the template does not list: {sorted(unknown)}")


def unknown_binding(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str = "temprature",
    value: Any = 0.7,
    *,
    model: type[BaseModel] = CompletionRequest,
    name: str = "unknown_binding",
) -> InvalidPayload:
    """``body`` binding a request parameter the template's schema does not list (a typo).

    ``body`` (of the route of ``model``) must fit the schema otherwise.
    """
    known = {n for n, _, _ in _schema_parameters(template, _REQUEST_SCHEMA)}
    if parameter in known:
        raise ValueError(f"{parameter!r} is a request parameter of the template")
    _binding_fits(template, _bindings_of(body))
    values = {**_bindings_of(body), parameter: value}
    path = (*_BINDINGS, parameter)
    errors = [_error("extra_forbidden", path, "Extra inputs are not permitted", value)]
    return _binding_payload(name, f"{_dotted(path)} is no request parameter of the template",
                            body, values, errors, model)  # fmt: skip


def missing_binding(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str | None = None,
    *,
    model: type[BaseModel] = CompletionRequest,
    name: str = "missing_binding",
) -> InvalidPayload:
    """``body`` without a required binding (the template's first required one, by default)."""
    required = [
        n for n, _, is_required in _schema_parameters(template, _REQUEST_SCHEMA) if is_required
    ]
    if not required:
        raise ValueError("the template requires no request parameter")
    parameter = parameter or required[0]
    if parameter not in required:
        raise ValueError(f"{parameter!r} is not a required request parameter of the template")
    _binding_fits(template, _bindings_of(body))
    values = {k: v for k, v in _bindings_of(body).items() if k != parameter}
    path = (*_BINDINGS, parameter)
    errors = [_error("missing", path, "Field required", values)]
    return _binding_payload(name, f"required {_dotted(path)} left out",
                            body, values, errors, model)  # fmt: skip


def wrong_binding_type(
    body: dict[str, Any],
    template: Mapping[str, Any],
    parameter: str,
    value: Any,
    *,
    model: type[BaseModel] = CompletionRequest,
    name: str = "wrong_binding_type",
) -> InvalidPayload:
    """``body`` binding ``value`` to a request parameter of another type.

    The value must be one the route's body takes (a string, a number or a boolean: the body
    is refused for anything else before bindings are checked); ``ValueError`` when it is valid
    for the parameter (``"4"`` for an ``int``: pydantic's lax mode takes it).
    """
    types_ = {n: t for n, t, _ in _schema_parameters(template, _REQUEST_SCHEMA)}
    if parameter not in types_:
        raise ValueError(f"{parameter!r} is no request parameter of the template")
    if not isinstance(value, (str, int, float)):  # bool is an int
        raise ValueError("a binding is a string, a number or a boolean")
    path = (*_BINDINGS, parameter)
    errors = [_parameter_type_error(types_[parameter], path, value)]
    _binding_fits(template, _bindings_of(body))
    values = {**_bindings_of(body), parameter: value}
    return _binding_payload(name, f"{_dotted(path)} set to {json.dumps(value)}",
                            body, values, errors, model)  # fmt: skip


def binding_payloads(
    body: dict[str, Any],
    template: Mapping[str, Any],
    *,
    model: type[BaseModel] = CompletionRequest,
) -> dict[str, InvalidPayload]:
    """One body per way bindings break against ``template``, by name: an unknown parameter, a
    required one left out (when the schema requires one the body binds), and one of the wrong
    type (the schema's first parameter). ``model`` is the route's body
    (``ChatCompletionRequest`` ...), which says where the payloads are sent."""
    variants = [unknown_binding(body, template, model=model)]
    given = set(_bindings_of(body))
    parameters = _schema_parameters(template, _REQUEST_SCHEMA)
    required = [n for n, _, is_required in parameters if is_required and n in given]
    if required:
        variants.append(missing_binding(body, template, required[0], model=model))
    if parameters:
        first, type_, _ = parameters[0]
        variants.append(
            wrong_binding_type(body, template, first, _WRONG_VALUES[type_], model=model)
        )
    return {variant.name: variant for variant in variants}
