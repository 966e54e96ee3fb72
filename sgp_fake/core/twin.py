"""A dict-shaped twin of a request model, for the common case of a valid body.

Validating a body into a pydantic model builds a model instance per nested object, and writing
the answer walks them again. The twin is the same pydantic-core schema with every model turned
into a typed dict: the same fields, types, defaults and extra-key handling, so it accepts exactly
the bodies the model accepts, but it validates into plain dicts (and its str enums into plain
strings) and serialises them in about half the time. A body it refuses goes the model's way,
which builds the exact error list; nothing of the twin reaches an answer but the JSON of a valid
body.

A resource opts in per request model; the twin is built on first use. ``tests`` check every
declared twin against its model byte for byte.
"""

from __future__ import annotations

import functools
from typing import Any, Collection, Literal

from pydantic import BaseModel
from pydantic_core import CoreSchema, SchemaSerializer, SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

__all__ = ["Twin"]


def _typed_dicts(schema: Any, keep_nulls: Collection[type[BaseModel]]) -> Any:
    """``schema`` with each model schema replaced by the equivalent typed-dict schema."""
    if isinstance(schema, list):
        return [_typed_dicts(item, keep_nulls) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "model":
        fields_schema = schema["schema"]
        if fields_schema.get("type") != "model-fields" or fields_schema.get("model_validator"):
            raise TypeError(f"no typed-dict twin for {schema.get('cls')!r}")
        fields = {}
        for name, field in fields_schema["fields"].items():
            inner = _typed_dicts(field["schema"], keep_nulls)
            fields[name] = cs.typed_dict_field(inner, required=inner.get("type") != "default")
        twin = cs.typed_dict_schema(fields, ref=schema.get("ref"))
        if schema.get("cls") in keep_nulls:
            # A model whose own serializer writes its nulls (required but nullable fields):
            # every key of the dict is written, in field order, nulls included.
            twin["serialization"] = cs.simple_ser_schema("any")
        return twin
    if (
        schema.get("type") == "enum"
        and schema.get("sub_type") == "str"
        and not schema.get("missing")
    ):
        # A str enum takes exactly its values from JSON; as a literal of those values it
        # validates to plain strings, which serialise without a Python call for `.value`.
        return cs.literal_schema(
            [member.value for member in schema["members"]], ref=schema.get("ref")
        )
    if schema.get("type") == "union" and set(schema) <= {"type", "choices"}:
        choices = schema["choices"]
        values = [value for choice in choices for value in _str_literal(choice) or ()]
        if values and all(_str_literal(choice) for choice in choices):
            # Literal["a"] | Literal["b"] takes the strings either takes; as one literal it is
            # checked once, not tried choice by choice (about a microsecond per parameter).
            return cs.literal_schema(list(dict.fromkeys(values)))
    return {key: _typed_dicts(value, keep_nulls) for key, value in schema.items()}


def _str_literal(schema: Any) -> list[str] | None:
    """The values of a plain literal schema of strings only, else ``None``."""
    if (
        not isinstance(schema, dict)
        or schema.get("type") != "literal"
        or set(schema)
        != {
            "type",
            "expected",
        }
    ):
        return None
    expected = schema["expected"]
    return list(expected) if all(type(value) is str for value in expected) else None


class Twin:
    """The typed-dict twin of ``model`` (see the module docstring).

    ``keep_nulls`` names nested models whose serializer keeps their null fields; their twins
    write every key. ``exclude`` names top-level fields :meth:`dump` leaves out.
    """

    def __init__(
        self,
        model: type[BaseModel],
        *,
        keep_nulls: Collection[type[BaseModel]] = (),
        exclude: Collection[str] = (),
    ) -> None:
        self.model = model
        self.keep_nulls = tuple(keep_nulls)
        self.exclude = set(exclude)

    @functools.cached_property
    def _schema(self) -> CoreSchema:
        # A model built on first use (LazyModel) has no core schema until it is built.
        if not self.model.__pydantic_complete__:
            self.model.model_rebuild()
        schema: CoreSchema = _typed_dicts(self.model.__pydantic_core_schema__, self.keep_nulls)
        return schema

    @functools.cached_property
    def _validate_json(self) -> Any:
        return SchemaValidator(self._schema).validate_json

    @functools.cached_property
    def _to_json(self) -> Any:
        return SchemaSerializer(self._schema).to_json

    def validate(self, body: bytes, extra: Literal["ignore", "forbid"]) -> dict[str, Any] | None:
        """The body as validated dicts, or ``None``: invalid, or maybe (ask the model).

        NaN and Infinity are not JSON, but pydantic's parser takes them: such bodies go to the
        model's way too.
        """
        if b"NaN" in body or b"Infinity" in body:
            return None
        try:
            data: dict[str, Any] = self._validate_json(body, extra=extra)
        except ValidationError:
            return None
        return data

    def dump(self, data: dict[str, Any]) -> bytes:
        """The JSON of validated dicts without the excluded fields, as the model would dump it.

        That is, as ``model.model_dump_json(exclude_none=True, exclude=exclude)``; a string
        UTF-8 cannot carry raises :class:`pydantic_core.PydanticSerializationError`, as there.
        """
        result: bytes = self._to_json(data, exclude_none=True, exclude=self.exclude)
        return result
