"""The dict-shaped twin of the create schema agrees with the models, byte for byte.

Every template create goes through the twin first (see ``sgp_fake/core/twin.py`` and the
resource's declaration); these properties pin that it accepts exactly the bodies the model
accepts and writes the JSON the model writes.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pydantic
import pytest
from hypothesis import given
from pydantic_core import PydanticSerializationError

from sgp_fake.resources import model_templates
from sgp_fake.resources.model_templates.schemas import ModelTemplateRequest
from tests.core.test_fuzz_store_json import requests as valid_requests
from tests.properties.test_fuzz import FULL_BODY, corrupted_bytes, fuzz_settings, mutated_bodies
from tests.support.bodies import minimal_body

TWIN = model_templates.RESOURCE.twins[0]
validate_request = TWIN.validate
request_json = TWIN.dump

Extra = Literal["ignore", "forbid"]


def _model_json(body: bytes, extra: Extra) -> tuple[str, bytes] | type[Exception] | None:
    try:
        model = ModelTemplateRequest.model_validate_json(body, extra=extra)
    except pydantic.ValidationError:
        return None
    try:
        dumped = model.model_dump_json(exclude_none=True, exclude={"account_id"}).encode()
    except PydanticSerializationError:
        return PydanticSerializationError
    return model.account_id, dumped


def _twin_json(body: bytes, extra: Extra) -> tuple[str, bytes] | type[Exception] | None:
    data = validate_request(body, extra)
    if data is None:
        return None
    try:
        return data["account_id"], request_json(data)
    except PydanticSerializationError:
        return PydanticSerializationError


def _has_constant_text(body: bytes) -> bool:
    # NaN or Infinity anywhere, even inside a string: the twin then defers to the model.
    return b"NaN" in body or b"Infinity" in body


def _assert_agree(body: bytes, extra: Extra) -> None:
    if _has_constant_text(body):
        # Not JSON: the twin leaves these to the model (and its exact error) every time.
        assert validate_request(body, extra) is None
        return
    assert _twin_json(body, extra) == _model_json(body, extra)


@pytest.mark.parametrize("extra", ["ignore", "forbid"])
@fuzz_settings(150)
@given(body=valid_requests)
def test_twin_writes_the_models_json_for_valid_bodies(body: dict[str, Any], extra: Extra) -> None:
    encoded = json.dumps(body).encode()
    assert _twin_json(encoded, extra) is not None or _has_constant_text(encoded)
    _assert_agree(encoded, extra)


@pytest.mark.parametrize("extra", ["ignore", "forbid"])
@fuzz_settings(150)
@given(body=mutated_bodies())
def test_twin_agrees_with_the_model_on_mutated_bodies(body: Any, extra: Extra) -> None:
    _assert_agree(json.dumps(body, allow_nan=True).encode(), extra)


@fuzz_settings(150)
@given(data=corrupted_bytes())
def test_twin_agrees_with_the_model_on_corrupted_bytes(data: bytes) -> None:
    _assert_agree(data, "ignore")


@pytest.mark.parametrize(
    "body",
    [
        minimal_body(),
        FULL_BODY,
        {**minimal_body(), "unknown": 1},
        {
            **minimal_body(),
            "model_creation_parameters_schema": {
                "parameters": [
                    {"name": "a", "type": "int", "description": None, "required": True},
                    {"name": "b", "type": "str", "description": "x", "required": None},
                    {"required": False, "description": None, "type": "bool", "name": "c"},
                ]
            },
        },
        {**minimal_body(), "name": "\ud800"},  # a lone surrogate: no UTF-8 for it
    ],
    ids=["minimal", "full", "unknown-key", "null-parameter-fields", "lone-surrogate"],
)
@pytest.mark.parametrize("extra", ["ignore", "forbid"])
def test_twin_agrees_with_the_model_on_known_cases(body: dict[str, Any], extra: Extra) -> None:
    _assert_agree(json.dumps(body).encode(), extra)


def test_null_parameter_fields_are_written_in_field_order() -> None:
    body = {
        **minimal_body(),
        "model_creation_parameters_schema": {
            "parameters": [{"required": False, "description": None, "type": "bool", "name": "c"}]
        },
    }
    data = validate_request(json.dumps(body).encode(), "ignore")
    assert data is not None
    assert b'{"name":"c","type":"bool","description":null,"required":false}' in request_json(data)


class _Choices(pydantic.BaseModel):
    kind: Literal["str"] | Literal["int"] | Literal["float"]
    mixed: Literal["one"] | Literal[1] = "one"


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        (b'{"kind":"int"}', True),
        (b'{"kind":"float","mixed":1}', True),
        (b'{"kind":"bool"}', False),
        (b'{"kind":1}', False),
        (b'{"kind":"str","mixed":"1"}', False),
    ],
)
def test_a_union_of_string_literals_is_one_literal_in_the_twin(body: bytes, accepted: bool) -> None:
    from sgp_fake.core.twin import Twin

    twin = Twin(_Choices)
    schema = repr(twin._schema)
    # The string literals' union is one literal; one with a number in it stays a union.
    assert schema.count("'union'") == 1
    assert "['str', 'int', 'float']" in schema
    data = twin.validate(body, "ignore")
    assert (data is not None) is accepted
    if accepted:
        assert (
            twin.dump(data)
            == _Choices.model_validate_json(body).model_dump_json(exclude_none=True).encode()
        )
