"""The 422 entries pydantic gives a wrong value, predicted from the annotation it is checked
against, as FastAPI reports them (``loc`` starting with ``"body"``, no ``url``).

Written out rule by rule from pydantic v2's error catalogue; the project's tests check each
prediction against a FastAPI app built from the same models. Each function raises
``ValueError`` when the value is in fact valid where it is put, or when its error is not one
this module knows how to predict: a broken body must earn exactly the errors predicted.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from typing import Any, Final, Literal, Sequence, Union

from pydantic import BaseModel

__all__ = [
    "MODEL_ATTRIBUTES_MSG",
    "PARAMETER_TYPES",
    "Path",
    "annotation_at",
    "dotted",
    "error",
    "field_named",
    "float_error",
    "loc",
    "parameter_type_error",
    "parse_path",
    "render",
    "shape_error",
    "type_errors",
]

Path = Union[str, Sequence[Union[str, int]]]
"""Where in a body: ``"vendor_configuration.bundle_config.tag"`` (digits index lists) or a
sequence such as ``("model_request_parameters_schema", "parameters", 0, "type")``."""

MODEL_ATTRIBUTES_MSG: Final = "Input should be a valid dictionary or object to extract fields from"


def render(content: Any) -> bytes:
    # Exactly as Starlette's JSONResponse serialises FastAPI's error body.
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def parse_path(path: Path) -> tuple[str | int, ...]:
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


def field_named(model: type[BaseModel], name: str) -> Any:
    """The field a body names ``name``: by its alias when it has one."""
    for field_name, info in model.model_fields.items():
        if (info.alias or field_name) == name:
            return info
    raise KeyError(f"{model.__name__} has no field {name!r}")


def annotation_at(path: tuple[str | int, ...], model: type[BaseModel]) -> tuple[Any, bool]:
    """The declared type at ``path`` in a body of ``model``, and whether it accepts ``null``."""
    annotation: Any = model
    nullable = False
    for segment in path:
        annotation, _ = _strip_optional(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(segment, str):
                raise KeyError(f"{annotation.__name__} has no field {segment!r}")
            annotation = field_named(annotation, segment).annotation
        elif origin is list and isinstance(segment, int):
            annotation = typing.get_args(annotation)[0]
        elif origin is dict and isinstance(segment, str):
            annotation = typing.get_args(annotation)[1]
        else:
            raise KeyError(f"cannot step into {annotation!r} with {segment!r}")
        annotation, nullable = _strip_optional(annotation)
    return annotation, nullable


def loc(path: tuple[str | int, ...]) -> list[str | int]:
    return ["body", *path]


def error(
    type_: str, path: tuple[str | int, ...], msg: str, value: Any, ctx: dict[str, Any] | None = None
) -> dict[str, Any]:
    # Key order as pydantic reports it, so that the rendered bytes match too.
    error: dict[str, Any] = {"type": type_, "loc": loc(path), "msg": msg, "input": value}
    if ctx is not None:
        error["ctx"] = ctx
    return error


def _is_literal_union(annotation: Any) -> bool:
    if typing.get_origin(annotation) not in (Union, types.UnionType):
        return False
    return all(typing.get_origin(a) is Literal for a in typing.get_args(annotation))


def _expected(value: Any) -> str:
    # pydantic writes each allowed value as Python's repr: 'a', "it's", 1, True.
    return repr(value)


def _choices(values: Sequence[Any]) -> str:
    quoted = [_expected(v) for v in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


_TRUTHY_STRINGS: Final = frozenset(
    {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}
)


def type_errors(
    annotation: Any, nullable: bool, path: tuple[str | int, ...], value: Any
) -> list[dict[str, Any]]:
    """The errors a value earns where ``annotation`` is declared.

    ``ValueError`` if the value is valid there, or if its error is not one this module knows
    how to predict.
    """
    if value is None and nullable:
        raise ValueError(f"{dotted(path)} accepts null")
    errors = _choice_errors(annotation, path, value)
    if errors is None:
        errors = [shape_error(annotation, path, value)]
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
            error(
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
    return [error(kind, path, f"Input should be {expected}", value, {"expected": expected})]


# For each container or scalar type: the Python types that are right for it, and the error
# any other JSON value earns (integers and booleans have finer rules, below).
_SHAPES: Final[dict[Any, tuple[tuple[type, ...], str, str]]] = {
    "model": ((dict,), "model_attributes_type", MODEL_ATTRIBUTES_MSG),
    list: ((list,), "list_type", "Input should be a valid list"),
    dict: ((dict,), "dict_type", "Input should be a valid dictionary"),
    str: ((str,), "string_type", "Input should be a valid string"),
}


def shape_error(annotation: Any, path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
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
        raise ValueError(f"{value!r} is the right type for {dotted(path)}")
    return error(type_, path, msg, value)


def _int_error(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if isinstance(value, str) and not any(c.isdigit() for c in value):
        return error(
            "int_parsing",
            path,
            "Input should be a valid integer, unable to parse string as an integer",
            value,
        )
    if isinstance(value, float) and abs(value) < 2**53 and not value.is_integer():
        return error(
            "int_from_float",
            path,
            "Input should be a valid integer, got a number with a fractional part",
            value,
        )
    if value is None or isinstance(value, (list, dict)):
        return error("int_type", path, "Input should be a valid integer", value)
    raise ValueError(f"{value!r} is a valid integer, or one whose error is not predicted here")


def _bool_error(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        if value.strip().lower() in _TRUTHY_STRINGS:
            raise ValueError(f"{value!r} is read as a boolean")
        return error(
            "bool_parsing",
            path,
            "Input should be a valid boolean, unable to interpret input",
            value,
        )
    if isinstance(value, int) and not isinstance(value, bool):
        if value in (0, 1):
            raise ValueError(f"{value!r} is read as a boolean")
        return error(
            "bool_parsing",
            path,
            "Input should be a valid boolean, unable to interpret input",
            value,
        )
    if isinstance(value, float) and not value.is_integer():
        return error("bool_type", path, "Input should be a valid boolean", value)
    if value is None or isinstance(value, (list, dict)):
        return error("bool_type", path, "Input should be a valid boolean", value)
    raise ValueError(f"{value!r} is a valid boolean, or one whose error is not predicted here")


def dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(s) for s in path)


# The types a parameter schema names (a template's ``model_*_parameters_schema``).
PARAMETER_TYPES: Final[dict[str, Any]] = {"str": str, "int": int, "float": float, "bool": bool}


def float_error(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return error(
                "float_parsing",
                path,
                "Input should be a valid number, unable to parse string as a number",
                value,
            )
    if value is None or isinstance(value, (list, dict)):
        return error("float_type", path, "Input should be a valid number", value)
    raise ValueError(f"{value!r} is a valid number, or one whose error is not predicted here")


def parameter_type_error(type_: str, path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    if type_ == "float":
        return float_error(path, value)
    return shape_error(PARAMETER_TYPES[type_], path, value)
