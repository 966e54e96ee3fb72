"""A dict-shaped twin of the create request's schema, for the common case of a valid body.

Validating a body into :class:`~sgp_fake.models.ModelTemplateRequest` builds a dozen model
instances, and writing the answer walks them again (calling Python for each parameter, to keep
its null ``description``/``required``). The twin is the same pydantic-core schema with every
model turned into a typed dict: the same fields, types, defaults and extra-key handling, so it
accepts exactly the bodies the models accept, but it validates into plain dicts (and its str
enums into plain strings) and serialises them in about half the time. A body it refuses goes
the model's way, which builds the exact error list; nothing of the twin reaches an answer but
the JSON of a valid body.

``tests/test_fastpath.py`` checks it against the models byte for byte.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic_core import CoreSchema, SchemaSerializer, SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from .models import ModelTemplateRequest, ParameterSchemaField

__all__ = ["request_json", "validate_request"]


def _typed_dicts(schema: Any) -> Any:
    """``schema`` with each model schema replaced by the equivalent typed-dict schema."""
    if isinstance(schema, list):
        return [_typed_dicts(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "model":
        fields_schema = schema["schema"]
        if fields_schema.get("type") != "model-fields" or fields_schema.get("model_validator"):
            raise TypeError(f"no typed-dict twin for {schema.get('cls')!r}")
        fields = {}
        for name, field in fields_schema["fields"].items():
            inner = _typed_dicts(field["schema"])
            fields[name] = cs.typed_dict_field(inner, required=inner.get("type") != "default")
        twin = cs.typed_dict_schema(fields, ref=schema.get("ref"))
        if schema.get("cls") is ParameterSchemaField:
            # Its description and required are required but nullable: written out even when
            # null, in field order, as the model's own serializer does (see models.py).
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
    return {key: _typed_dicts(value) for key, value in schema.items()}


_SCHEMA: CoreSchema = _typed_dicts(ModelTemplateRequest.__pydantic_core_schema__)
_validate_json = SchemaValidator(_SCHEMA).validate_json
_to_json = SchemaSerializer(_SCHEMA).to_json
_ACCOUNT_ID = {"account_id"}


def validate_request(body: bytes, extra: Literal["ignore", "forbid"]) -> dict[str, Any] | None:
    """The create body as validated dicts, or ``None``: invalid, or maybe (ask the model).

    NaN and Infinity are not JSON, but pydantic's parser takes them: such bodies go to the
    model's way too.
    """
    if b"NaN" in body or b"Infinity" in body:
        return None
    try:
        data: dict[str, Any] = _validate_json(body, extra=extra)
    except ValidationError:
        return None
    return data


def request_json(data: dict[str, Any]) -> bytes:
    """The JSON of a validated body without ``account_id``, as the model would dump it.

    That is, as ``ModelTemplateRequest.model_dump_json(exclude_none=True,
    exclude={"account_id"})``; a string UTF-8 cannot carry raises
    :class:`pydantic_core.PydanticSerializationError`, as there.
    """
    return _to_json(data, exclude_none=True, exclude=_ACCOUNT_ID)
