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
"""

from __future__ import annotations

import copy
import enum
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Sequence, Union

import httpx
from pydantic import BaseModel

from .models import ModelTemplateRequest

__all__ = [
    "INVALID_PAYLOAD_NAMES",
    "InvalidPayload",
    "Path",
    "bad_enum",
    "bad_parameter_type",
    "empty_body",
    "invalid_payloads",
    "malformed_json",
    "missing",
    "not_an_object",
    "text_content_type",
    "truncated_json",
    "wrong_type",
]

Path = Union[str, Sequence[Union[str, int]]]
"""Where in a body: ``"vendor_configuration.bundle_config.tag"`` (digits index lists) or a
sequence such as ``("model_request_parameters_schema", "parameters", 0, "type")``."""

CREATE_PATH: Final = "/v4/model-templates"
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

    def post(self, client: httpx.Client, path: str = CREATE_PATH) -> httpx.Response:
        """Send this payload with ``client`` (base URL and API key already set)."""
        return client.post(path, **self.request_kwargs())

    async def apost(self, client: httpx.AsyncClient, path: str = CREATE_PATH) -> httpx.Response:
        """Send this payload with an async ``client``."""
        return await client.post(path, **self.request_kwargs())


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


def _annotation_at(path: tuple[str | int, ...]) -> tuple[Any, bool]:
    """The declared type at ``path`` in a create body, and whether it accepts ``null``."""
    annotation: Any = ModelTemplateRequest
    nullable = False
    for segment in path:
        annotation, _ = _strip_optional(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(segment, str) or segment not in annotation.model_fields:
                raise KeyError(f"{annotation.__name__} has no field {segment!r}")
            annotation = annotation.model_fields[segment].annotation
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


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    ModelTemplateRequest.model_validate(body)  # a broken body must start out valid
    return copy.deepcopy(body)


def _json_payload(
    name: str, description: str, body: Any, errors: list[dict[str, Any]]
) -> InvalidPayload:
    return InvalidPayload(
        name=name,
        description=description,
        content=json.dumps(body).encode(),
        body=body,
        expected_body={"detail": errors},
    )


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(s) for s in path)


# -- the variants -----------------------------------------------------------------------------


def missing(body: dict[str, Any], path: Path, *, name: str | None = None) -> InvalidPayload:
    """``body`` without the required field at ``path``."""
    where = _parse_path(path)
    annotation_parent = where[:-1]
    parent_type, _ = (
        _annotation_at(annotation_parent) if annotation_parent else (ModelTemplateRequest, False)
    )
    if not (isinstance(parent_type, type) and issubclass(parent_type, BaseModel)):
        raise ValueError(f"{_dotted(where)} is not a model field")
    key = where[-1]
    if not isinstance(key, str) or not parent_type.model_fields[key].is_required():
        raise ValueError(f"{_dotted(where)} is optional: leaving it out is valid")
    broken = _checked(body)
    parent, key = _parent_and_key(broken, where)
    if key not in parent:
        raise KeyError(f"the body has no {_dotted(where)} to remove")
    del parent[key]
    return _json_payload(
        name or f"missing_{key}",
        f"required field {_dotted(where)} left out",
        broken,
        [_error("missing", where, "Field required", copy.deepcopy(parent))],
    )


def wrong_type(
    body: dict[str, Any], path: Path, value: Any, *, name: str | None = None
) -> InvalidPayload:
    """``body`` with ``value`` at ``path``, where the contract wants another type.

    Raises ``ValueError`` when ``value`` is in fact valid there (pydantic's lax mode takes
    ``"4"`` for an integer and ``"yes"`` for a boolean) or when its error is not one this module
    predicts (integers too big to parse, for instance).
    """
    where = _parse_path(path)
    annotation, nullable = _annotation_at(where)
    errors = _type_errors(annotation, nullable, where, value)
    broken = _checked(body)
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
    )


def bad_enum(
    body: dict[str, Any], path: Path, value: Any, *, name: str | None = None
) -> InvalidPayload:
    """``body`` with a value outside the enum (or constant) declared at ``path``."""
    where = _parse_path(path)
    annotation, _ = _annotation_at(where)
    is_enum = isinstance(annotation, type) and issubclass(annotation, enum.Enum)
    if not (is_enum or typing.get_origin(annotation) is Literal):
        raise ValueError(f"{_dotted(where)} is not an enum")
    return wrong_type(body, where, value, name=name or f"bad_{where[-1]}")


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


def malformed_json(body: dict[str, Any], *, name: str = "malformed_json") -> InvalidPayload:
    """``body`` as JSON with a trailing comma before its closing brace."""
    text = json.dumps(_checked(body))
    broken = text[:-1] + ",}"
    return InvalidPayload(
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


def truncated_json(body: dict[str, Any], *, name: str = "truncated_json") -> InvalidPayload:
    """``body`` as JSON cut off right after its first key."""
    text = json.dumps(_checked(body))
    cut = text[: text.index(": ") + 2]
    return InvalidPayload(
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


def empty_body(*, name: str = "empty_body") -> InvalidPayload:
    """No body at all."""
    return InvalidPayload(
        name=name,
        description="an empty body",
        content=b"",
        expected_body={
            "detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
        },
    )


def not_an_object(body: dict[str, Any], *, name: str = "not_an_object") -> InvalidPayload:
    """``body`` wrapped in a JSON array."""
    wrapped = [_checked(body)]
    return _json_payload(
        name,
        "a JSON array instead of an object",
        wrapped,
        [_error("model_attributes_type", (), _MODEL_ATTRIBUTES_MSG, wrapped)],
    )


def text_content_type(body: dict[str, Any], *, name: str = "text_content_type") -> InvalidPayload:
    """``body`` as JSON, sent as ``text/plain``: the service does not decode it."""
    text = json.dumps(_checked(body))
    return InvalidPayload(
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
