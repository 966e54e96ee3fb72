"""Factories: every body the contract accepts and the fake stores; same seed, same output."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sgp_fake import SGPFake
from sgp_fake.factories import (
    OMIT,
    DeploymentFactory,
    InferenceFactory,
    ModelFactory,
    TemplateFactory,
    deep_merge,
    seed_templates,
)
from sgp_fake.resources.model_templates.schemas import (
    CreateModelEndpointConfig,
    FineTuningBundleConfiguration,
    LaunchVendorConfiguration,
    ModelBundleConfiguration,
    ModelTemplateRequest,
    ModelTemplateResponse,
    RequiredResources,
)

CONTRACT = Path(__file__).resolve().parents[2] / "fixtures" / "model-templates.openapi.json"

seeds = st.one_of(st.integers(min_value=0, max_value=2**64), st.text(max_size=12))
modes = st.sampled_from(["random", "all", "none"])


@cache
def validator(component: str) -> jsonschema.protocols.Validator:
    """A validator for one of the contract's component schemas (refs resolve in the document)."""
    document = json.loads(CONTRACT.read_text())
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def assert_valid(component: str, instance: Any) -> None:
    errors = list(validator(component).iter_errors(instance))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


# -- property: valid against the contract, accepted by the fake -------------------------------


@settings(max_examples=200, deadline=None)
@given(seed=seeds, optional=modes)
def test_generated_bodies_follow_the_contract_and_are_stored(seed: Any, optional: Any) -> None:
    # 200 examples x 10 bodies: 2,000 bodies per run.
    bodies = TemplateFactory(seed).requests(10, optional=optional)
    fake = SGPFake()
    with fake.client() as client:
        for body in bodies:
            assert_valid("ModelTemplateRequest", body)
            response = client.post("/v4/model-templates", json=body)
            assert response.status_code == 200, response.text
            stored = response.json()
            assert_valid("ModelTemplateResponse", stored)
            # What was sent comes back (the fake adds defaults, never changes a value sent).
            assert deep_merge(stored, body) == stored
    assert len(fake.store) == 10


@settings(max_examples=60, deadline=None)
@given(seed=seeds, optional=modes)
def test_stored_templates_are_exactly_what_the_api_returns(seed: Any, optional: Any) -> None:
    templates = TemplateFactory(seed).responses(5, optional=optional)
    fake = SGPFake()
    with fake.client() as client:
        for template in templates:
            assert_valid("ModelTemplateResponse", template)
            fake.store.put(template)
            assert client.get(f"/v4/model-templates/{template['id']}").json() == template
    created = [t["created_at"] for t in templates]
    assert created == sorted(created)
    assert len({t["id"] for t in templates}) == 5


# -- determinism -------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(seed=seeds, optional=modes)
def test_the_same_seed_gives_the_same_output(seed: Any, optional: Any) -> None:
    first, second = TemplateFactory(seed), TemplateFactory(seed)
    assert json.dumps(first.requests(3, optional=optional)) == json.dumps(
        second.requests(3, optional=optional)
    )
    assert first.responses(2) == second.responses(2)
    assert first.account_id == second.account_id


def test_different_seeds_give_different_bodies() -> None:
    bodies = {json.dumps(TemplateFactory(seed).request(optional="all")) for seed in range(30)}
    assert len(bodies) == 30


def test_the_same_seed_gives_the_same_output_in_another_process() -> None:
    # A fresh interpreter with another hash seed: nothing may depend on set or dict iteration
    # order, on import order or on state left by earlier calls.
    code = (
        "import json, sys; from sgp_fake.factories import TemplateFactory; "
        "f = TemplateFactory('cross-process'); "
        "sys.stdout.write(json.dumps([f.requests(5), f.responses(3)]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    here = TemplateFactory("cross-process")
    assert child.stdout == json.dumps([here.requests(5), here.responses(3)])


def test_unseeded_factories_follow_the_random_module() -> None:
    # pytest-randomly reseeds `random` before each test; an unseeded factory follows it.
    random.seed(99)
    first = TemplateFactory().request()
    random.seed(99)
    assert TemplateFactory().request() == first


# -- overrides ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(seed=seeds, optional=modes)
def test_a_nested_override_changes_only_what_it_names(seed: Any, optional: Any) -> None:
    plain = TemplateFactory(seed).request(optional=optional)
    tagged = TemplateFactory(seed).request(
        optional=optional, vendor_configuration={"bundle_config": {"tag": "v2"}}
    )
    assert tagged["vendor_configuration"]["bundle_config"]["tag"] == "v2"
    tagged["vendor_configuration"]["bundle_config"]["tag"] = plain["vendor_configuration"][
        "bundle_config"
    ]["tag"]
    assert tagged == plain


def test_overrides_replace_lists_and_scalars_and_omit_removes() -> None:
    factory = TemplateFactory(5)
    body = factory.request(
        optional="all",
        name="my-model",
        endpoint_protocol=OMIT,
        vendor_configuration={"bundle_config": {"command": ["serve"], "env": {"A": "1"}}},
    )
    bundle = body["vendor_configuration"]["bundle_config"]
    assert body["name"] == "my-model"
    assert "endpoint_protocol" not in body
    assert bundle["command"] == ["serve"]
    # Mappings merge: the generated variables stay, the new one is added.
    assert bundle["env"]["A"] == "1"
    assert len(bundle["env"]) > 1


def test_omitting_a_required_field_makes_a_body_the_fake_refuses() -> None:
    body = TemplateFactory(6).request(vendor_configuration={"bundle_config": {"tag": OMIT}})
    assert "tag" not in body["vendor_configuration"]["bundle_config"]
    with SGPFake().client() as client:
        answer = client.post("/v4/model-templates", json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == [
        "body",
        "vendor_configuration",
        "bundle_config",
        "tag",
    ]


def test_deep_merge_leaves_its_inputs_alone() -> None:
    base = {"a": {"b": [1], "c": 2}}
    overrides = {"a": {"c": 3, "d": {"e": OMIT, "f": 4}}}
    merged = deep_merge(base, overrides)
    assert merged == {"a": {"b": [1], "c": 3, "d": {"f": 4}}}
    merged["a"]["b"].append(2)
    assert base == {"a": {"b": [1], "c": 2}}


# -- optional sections -------------------------------------------------------------------------


def required_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, field in model.model_fields.items() if field.is_required()}


@settings(max_examples=30, deadline=None)
@given(seed=seeds)
def test_optional_none_gives_only_required_fields(seed: Any) -> None:
    body = TemplateFactory(seed).request(optional="none")
    assert set(body) == required_fields(ModelTemplateRequest)
    assert set(body["vendor_configuration"]) == required_fields(LaunchVendorConfiguration)
    assert set(body["vendor_configuration"]["bundle_config"]) == required_fields(
        ModelBundleConfiguration
    )


@settings(max_examples=30, deadline=None)
@given(seed=seeds)
def test_optional_all_gives_every_field(seed: Any) -> None:
    body = TemplateFactory(seed).request(optional="all")
    vendor = body["vendor_configuration"]
    endpoint = vendor["endpoint_config"]
    resources = vendor["fine_tuning_job_bundle_config"]["resources"]
    assert set(body) == set(ModelTemplateRequest.model_fields)
    assert set(vendor) == set(LaunchVendorConfiguration.model_fields)
    assert set(vendor["bundle_config"]) == set(ModelBundleConfiguration.model_fields)
    assert set(vendor["fine_tuning_job_bundle_config"]) == set(
        FineTuningBundleConfiguration.model_fields
    )
    # A CPU-only deployment has no GPU type; every other field is there.
    for section, model in ((endpoint, CreateModelEndpointConfig), (resources, RequiredResources)):
        expected = set(model.model_fields) - ({"gpu_type"} if section["gpus"] == 0 else set())
        assert set(section) == expected


def test_naming_an_optional_section_includes_it_fully_generated() -> None:
    body = TemplateFactory(8).request(optional="none", vendor_configuration={"endpoint_config": {}})
    endpoint = body["vendor_configuration"]["endpoint_config"]
    assert {"cpus", "memory", "storage", "gpus", "min_workers", "max_workers"} <= set(endpoint)
    assert set(body) == required_fields(ModelTemplateRequest)


def test_random_mode_varies_the_sections() -> None:
    factory = TemplateFactory(11)
    shapes = {frozenset(factory.request()) for _ in range(40)}
    assert len(shapes) > 5


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="optional"):
        TemplateFactory(1, optional="some")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="optional"):
        TemplateFactory(1).request(optional="most")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: ModelFactory(1).request(optional="most"),
        lambda: DeploymentFactory(1).request(optional="most"),
        lambda: InferenceFactory(1).chat(optional="most"),
        lambda: InferenceFactory(1).completion(optional="most"),
    ],
    ids=["model", "deployment", "chat", "completion"],
)
def test_every_factory_refuses_an_unknown_mode_per_call(make: Any) -> None:
    # A typo must not quietly act as "none".
    with pytest.raises(ValueError, match="optional must be"):
        make()


# -- realism -----------------------------------------------------------------------------------

QUANTITY = re.compile(r"^[1-9][0-9]*(Mi|Gi|Ti)$")
REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9-]+)+(/[a-z0-9][a-z0-9._-]*)*$")
IMAGE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def check_bundle(bundle: dict[str, Any]) -> None:
    assert REGISTRY.match(bundle["registry"]), bundle["registry"]
    assert IMAGE.match(bundle["image"]), bundle["image"]
    assert TAG.match(bundle["tag"]), bundle["tag"]
    assert bundle["command"]
    assert all(isinstance(part, str) and part for part in bundle["command"])
    assert all(ENV_NAME.match(k) and isinstance(v, str) for k, v in bundle["env"].items())


def check_resources(section: dict[str, Any]) -> None:
    assert QUANTITY.match(section["memory"])
    assert QUANTITY.match(section["storage"])
    assert (section["gpus"] > 0) == ("gpu_type" in section)
    assert section["cpus"] >= 1


@settings(max_examples=60, deadline=None)
@given(seed=seeds)
def test_values_look_like_real_deployments(seed: Any) -> None:
    body = TemplateFactory(seed).request(optional="all")
    vendor = body["vendor_configuration"]
    assert NAME.match(body["name"]), body["name"]
    assert re.fullmatch(r"[0-9a-f]{24}", body["account_id"])
    check_bundle(vendor["bundle_config"])
    check_bundle(vendor["fine_tuning_job_bundle_config"])
    endpoint = vendor["endpoint_config"]
    check_resources(endpoint)
    check_resources(vendor["fine_tuning_job_bundle_config"]["resources"])
    assert 0 <= endpoint["min_workers"] <= endpoint["max_workers"]
    assert endpoint["endpoint_type"] == body["endpoint_type"]
    for schema in ("model_creation_parameters_schema", "model_request_parameters_schema"):
        parameters = body[schema]["parameters"]
        names = [p["name"] for p in parameters]
        assert 1 <= len(names) == len(set(names))
        assert all(SNAKE.match(n) for n in names)
        assert all(p["description"].endswith(".") for p in parameters)


def test_values_vary_across_a_batch() -> None:
    bodies = TemplateFactory(21).requests(200, optional="all")
    registries = {
        b["vendor_configuration"]["bundle_config"]["registry"].split("/")[0] for b in bodies
    }
    gpu_types = {b["vendor_configuration"]["endpoint_config"].get("gpu_type") for b in bodies}
    model_types = {b["model_type"] for b in bodies}
    assert len(registries) >= 6
    assert len(gpu_types) >= 4
    assert len(model_types) >= 5


# -- seeding a fake ----------------------------------------------------------------------------


def test_seed_templates_stores_n_templates_for_an_account() -> None:
    fake = SGPFake()
    factory = TemplateFactory(3)
    others = seed_templates(fake, 2, factory=factory)
    mine = seed_templates(fake, 7, account_id="acct_mine", factory=factory)
    with fake.client() as client:
        listed = client.get("/v4/model-templates", params={"account_id": "acct_mine"}).json()
    assert [t["id"] for t in listed["items"]] == [t["id"] for t in mine]
    assert listed["items"] == mine
    assert all(t["account_id"] == factory.account_id for t in others)
    assert len(fake.store) == 9


def test_seed_templates_accepts_a_store_and_request_overrides() -> None:
    fake = SGPFake()
    templates = seed_templates(fake.store, 3, factory=TemplateFactory(4), model_type="EMBEDDING")
    assert {t["model_type"] for t in templates} == {"EMBEDDING"}
    assert [t.as_dict() for t in fake.store.all()] == templates


def test_response_overrides_set_stored_fields() -> None:
    template = TemplateFactory(2).response(
        id="tmpl-1",
        created_by_user_id="alice",
        vendor_configuration={"bundle_config": {"tag": "x"}},
    )
    assert template["id"] == "tmpl-1"
    assert template["created_by_user_id"] == "alice"
    assert template["vendor_configuration"]["bundle_config"]["tag"] == "x"
    assert ModelTemplateResponse.model_validate(template).id == "tmpl-1"
