"""The models generate the contract's schemas: same names, types, enums, defaults, required
fields and nullability (descriptions and key order aside)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic.json_schema import models_json_schema

from sgp_fake.resources.common import HTTPValidationError
from sgp_fake.resources.model_templates.schemas import ModelTemplateRequest, ModelTemplateResponse

NULL = {"type": "null"}


def generated_components() -> dict[str, Any]:
    _, schema = models_json_schema(
        [
            (ModelTemplateRequest, "validation"),
            (ModelTemplateResponse, "validation"),
            (HTTPValidationError, "validation"),
        ],
        ref_template="#/components/schemas/{model}",
    )
    defs: dict[str, Any] = schema["$defs"]
    return defs


def published_form(node: Any) -> Any:
    """``node`` as the publisher printed it: no descriptions, ``anyOf [X, null]`` flattened to
    ``X`` and the ``default: null`` that goes with it dropped."""
    if isinstance(node, list):
        return [published_form(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {
        k: published_form(v)
        for k, v in node.items()
        if not (k == "description" and isinstance(v, str))
    }
    if "anyOf" in node and NULL in node["anyOf"]:
        alternatives = [a for a in node.pop("anyOf") if a != NULL]
        if len(alternatives) == 1:
            node.update(alternatives[0])
        else:
            node["anyOf"] = alternatives
    if "default" in node and node["default"] is None:
        del node["default"]
    return node


TYPE_KEYS = {"type", "anyOf", "$ref", "const", "enum", "items", "properties"}


def nullable_in_generated(prop: dict[str, Any]) -> bool:
    # A schema with no type keys at all (ValidationError.input) accepts anything, null included.
    return NULL in prop.get("anyOf", []) or not TYPE_KEYS & prop.keys()


def nullable_in_published(prop: dict[str, Any], required: bool) -> bool | None:
    """Read nullability from key order: FastAPI emits ``title`` before a flattened ``anyOf``'s
    type keys, after a plain field's. A ``$ref`` with siblings (a description, a default) was
    emitted as is, so it is not nullable; an optional bare ``$ref`` cannot tell (``None``)."""
    keys = list(prop)
    if keys == ["$ref"]:
        return False if required else None
    if keys[0] == "$ref":
        return False
    keys = [k for k, v in prop.items() if not (k == "description" and isinstance(v, str))]
    if not TYPE_KEYS & set(keys):
        return True
    return keys[0] == "title"


def test_every_component_is_generated(contract: dict[str, Any]) -> None:
    published = contract["components"]["schemas"]
    assert sorted(generated_components()) == sorted(published)
    assert len(published) == 17


@pytest.mark.parametrize(
    "name",
    [
        "ModelTemplateRequest",
        "ModelTemplateResponse",
        "HTTPValidationError",
        "ValidationError",
        "ModelEndpointType",
        "ModelType",
        "LaunchVendorConfiguration",
        "ParameterSchema",
        "LaunchEndpointProtocol",
        "IdentifierTypeEnum",
        "ModelBundleConfiguration",
        "CreateModelEndpointConfig",
        "FineTuningBundleConfiguration",
        "ParameterSchemaField",
        "GPUType",
        "TrainingDatasetORMSchemaTypeEnum",
        "RequiredResources",
    ],
)
def test_component_matches_the_contract(contract: dict[str, Any], name: str) -> None:
    published = published_form(contract["components"]["schemas"][name])
    generated = published_form(generated_components()[name])
    assert generated == published


def _properties(contract: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], bool]]:
    return [
        (model, field, prop, field in schema.get("required", []))
        for model, schema in contract["components"]["schemas"].items()
        for field, prop in schema.get("properties", {}).items()
    ]


def test_nullability_follows_the_published_key_order(contract: dict[str, Any]) -> None:
    generated = generated_components()
    undecidable = []
    for model, field, prop, required in _properties(contract):
        mine = nullable_in_generated(generated[model]["properties"][field])
        theirs = nullable_in_published(prop, required)
        if theirs is None:
            undecidable.append((model, field))
            continue
        assert mine == theirs, f"{model}.{field}: nullable={mine}, contract says {theirs}"
    # Optional fields shown as a bare $ref: the one place the contract cannot tell. We accept null
    # there (as the official SDK's types do); the list is pinned so a change is deliberate.
    assert sorted(undecidable) == [
        ("CreateModelEndpointConfig", "gpu_type"),
        ("FineTuningBundleConfiguration", "resources"),
        ("LaunchVendorConfiguration", "endpoint_config"),
        ("LaunchVendorConfiguration", "fine_tuning_job_bundle_config"),
        ("RequiredResources", "gpu_type"),
    ]
    for model, field in undecidable:
        assert nullable_in_generated(generated[model]["properties"][field])


def test_nullable_fields_are_exactly_those_the_issue_names(contract: dict[str, Any]) -> None:
    generated = generated_components()
    nullable = {
        (model, field)
        for model, field, prop, required in _properties(contract)
        if nullable_in_generated(generated[model]["properties"][field])
        and nullable_in_published(prop, required)
    }
    assert nullable == {
        ("ModelBundleConfiguration", "streaming_command"),
        ("ModelBundleConfiguration", "streaming_predict_route"),
        ("CreateModelEndpointConfig", "high_priority"),
        ("FineTuningBundleConfiguration", "mount_location"),
        ("ParameterSchemaField", "description"),
        ("ParameterSchemaField", "required"),
        ("ValidationError", "input"),
    }


def test_the_contract_copy_keeps_facts_not_prose(contract: dict[str, Any]) -> None:
    def descriptions(node: Any) -> int:
        if isinstance(node, dict):
            own = (
                1
                if isinstance(node.get("description"), str) and len(node["description"]) > 120
                else 0
            )
            return own + sum(descriptions(v) for v in node.values())
        if isinstance(node, list):
            return sum(descriptions(v) for v in node)
        return 0

    assert descriptions(contract) == 0
    op = contract["paths"]["/v4/model-templates"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ModelTemplateRequest"
    }
