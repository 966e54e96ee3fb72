"""A template's parameter schema as a check of the values given for it.

``model_creation_parameters`` of a model (and of a deployment, merged over its model's) must fit
the template's ``model_creation_parameters_schema``: each parameter is a field of its type
(``str``, ``int``, ``float``, ``bool``, with pydantic's usual coercion), required when its
``required`` is true, and a name the schema does not list is refused: a typo in a parameter's
name is the mistake most worth catching. The errors are FastAPI's 422 entries, at
``["body", "model_creation_parameters", <name>]``. A template without a schema takes anything.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic import ValidationError as PydanticValidationError

from ...errors import RequestValidationError
from ..common import cache_small

__all__ = [
    "Parameters",
    "creation_parameters",
    "parameter_errors",
    "request_parameters",
    "require_parameters",
]

Parameters = tuple[tuple[str, str, bool], ...]
"""A parameter schema: each parameter's name, type and whether it is required."""

_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}
_FORBID = ConfigDict(extra="forbid")


def creation_parameters(template: bytes) -> Parameters | None:
    """The creation parameters of the template whose stored JSON is ``template``; ``None`` when
    it has no schema (anything goes)."""
    return _creation_parameters(template)


@cache_small(maxsize=1024)
def _creation_parameters(template: bytes) -> Parameters | None:
    return _parameters(template, "model_creation_parameters_schema")


def request_parameters(template: bytes) -> Parameters | None:
    """The request parameters of the template whose stored JSON is ``template`` (the values
    inference calls bind in ``model_request_parameters.bindings``); ``None`` when it has no
    schema (anything goes)."""
    return _request_parameters(template)


@cache_small(maxsize=1024)
def _request_parameters(template: bytes) -> Parameters | None:
    return _parameters(template, "model_request_parameters_schema")


def _parameters(template: bytes, field: str) -> Parameters | None:
    schema = json.loads(template).get(field)
    if schema is None:
        return None
    found: dict[str, tuple[str, str, bool]] = {}
    for parameter in schema.get("parameters", ()):
        found.setdefault(
            parameter["name"],
            (parameter["name"], parameter["type"], parameter.get("required") is True),
        )
    return tuple(found.values())


@functools.lru_cache(maxsize=256)
def _model(parameters: Parameters) -> type[BaseModel]:
    # Field names are the parameters' aliases: a parameter may be named anything, even what
    # pydantic keeps for itself ("model_config", "_private").
    fields: dict[str, Any] = {
        f"p{i}": (_TYPES[type_], Field(... if required else None, alias=name))
        for i, (name, type_, required) in enumerate(parameters)
    }
    model: type[BaseModel] = create_model("ModelCreationParameters", __config__=_FORBID, **fields)
    return model


def parameter_errors(
    parameters: Parameters | None,
    values: Mapping[str, Any] | None,
    loc: tuple[str | int, ...] = ("body", "model_creation_parameters"),
) -> list[dict[str, Any]]:
    """The 422 entries ``values`` earn against ``parameters`` (none when they fit)."""
    if parameters is None:
        return []
    try:
        _model(parameters).model_validate(dict(values or {}))
    except PydanticValidationError as exc:
        return [{**e, "loc": [*loc, *e["loc"]]} for e in exc.errors(include_url=False)]
    return []


def require_parameters(parameters: Parameters | None, values: Mapping[str, Any] | None) -> None:
    """Raise the 422 ``values`` earn against ``parameters``, if any."""
    errors = parameter_errors(parameters, values)
    if errors:
        raise RequestValidationError(errors)
