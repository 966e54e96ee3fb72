"""Factories and named invalid bodies for models and deployments, and the one-call seed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Union

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from sgp_fake import SGPFake
from sgp_fake.factories import (
    DeploymentFactory,
    ModelFactory,
    TemplateFactory,
    seed_deployment,
)
from sgp_fake.payloads import (
    INVALID_DEPLOYMENT_PAYLOAD_NAMES,
    INVALID_MODEL_PAYLOAD_NAMES,
    creation_parameter_payloads,
    invalid_deployment_payloads,
    invalid_model_payloads,
    missing_creation_parameter,
    unknown_creation_parameter,
    wrong_creation_parameter_type,
)
from sgp_fake.resources.deployments.schemas import (
    LaunchDeploymentVendorConfiguration,
    LLMEngineDeploymentVendorConfiguration,
    ModelDeploymentRequest,
)
from tests.support.reference_app import call_reference

MODEL_PAYLOADS = invalid_model_payloads()
DEPLOYMENT_PAYLOADS = invalid_deployment_payloads()


def test_the_named_sets_are_complete() -> None:
    assert tuple(MODEL_PAYLOADS) == INVALID_MODEL_PAYLOAD_NAMES
    assert tuple(DEPLOYMENT_PAYLOADS) == INVALID_DEPLOYMENT_PAYLOAD_NAMES


@pytest.mark.parametrize("name", INVALID_MODEL_PAYLOAD_NAMES)
def test_invalid_model_bodies_earn_their_exact_422(fake: SGPFake, name: str) -> None:
    payload = MODEL_PAYLOADS[name]
    with fake.client() as client:
        answer = payload.post(client)
    assert (answer.status_code, answer.content) == (422, payload.expected_content)
    # as a FastAPI service on the same models answers
    reference = call_reference("POST", payload.path, **payload.request_kwargs())
    assert (reference.status_code, reference.content) == (422, payload.expected_content)


@pytest.mark.parametrize("name", INVALID_DEPLOYMENT_PAYLOAD_NAMES)
def test_invalid_deployment_bodies_earn_their_exact_422(fake: SGPFake, name: str) -> None:
    payload = DEPLOYMENT_PAYLOADS[name]
    with fake.client() as client:
        answer = payload.post(client, model_instance_id="no-such-model")  # the body comes first
    assert (answer.status_code, answer.content) == (422, payload.expected_content)
    url = payload.url(model_instance_id="m")
    reference = call_reference("POST", url, **payload.request_kwargs())
    assert (reference.status_code, reference.content) == (422, payload.expected_content)


@pytest.mark.parametrize("seed", range(8))
def test_creation_parameter_payloads_earn_what_they_say(fake: SGPFake, seed: int) -> None:
    templates = TemplateFactory(seed, account_id="acct_1")
    template = templates.response(
        model_creation_parameters_schema=templates.parameter_schema("creation")
    )
    fake.store.put(template)
    body = ModelFactory(seed, account_id="acct_1").request(template=template, optional="all")
    payloads = creation_parameter_payloads(body, template)
    assert "unknown_creation_parameter" in payloads
    assert "wrong_creation_parameter_type" in payloads
    with fake.client() as client:
        assert client.post("/v4/models", json=body).status_code == 200  # the body fits
        for payload in payloads.values():
            answer = payload.post(client)
            assert (answer.status_code, answer.content) == (422, payload.expected_content), (
                payload.name
            )
        made = client.post("/v4/models", json=body).json()
        own = {"max_model_len": 1}
        names = {p["name"] for p in template["model_creation_parameters_schema"]["parameters"]}
        deployment = {"name": "d", "model_creation_parameters": own if "max_model_len" in names
                      else {}}  # fmt: skip
        inherited = made["model_creation_parameters"]
        for payload in creation_parameter_payloads(
            deployment, template, model=ModelDeploymentRequest, base=inherited
        ).values():
            answer = payload.post(client, model_instance_id=made["id"])
            assert (answer.status_code, answer.content) == (422, payload.expected_content), (
                payload.name
            )


def test_creation_parameter_payloads_refuse_what_would_not_break() -> None:
    template = {"model_creation_parameters_schema": {"parameters": [
        {"name": "n", "type": "int", "description": "", "required": True}]}}  # fmt: skip
    body = {"name": "m", "model_type": "COMPLETION", "account_id": "a",
            "model_creation_parameters": {"n": 1}}  # fmt: skip
    with pytest.raises(ValueError, match="is a parameter"):
        unknown_creation_parameter(body, template, "n")
    with pytest.raises(ValueError, match="valid integer"):
        wrong_creation_parameter_type(body, template, "n", "4")  # lax mode takes it
    with pytest.raises(ValueError, match="lacks the required"):
        missing_creation_parameter({**body, "model_creation_parameters": {}}, template)
    with pytest.raises(ValueError, match="takes anything"):
        creation_parameter_payloads(body, {})
    broken = missing_creation_parameter(body, template)
    assert broken.errors == [{"type": "missing", "loc": ["body", "model_creation_parameters", "n"],
                              "msg": "Field required", "input": {}}]  # fmt: skip


@pytest.mark.parametrize("seed", range(12))
def test_factory_bodies_are_accepted(fake: SGPFake, seed: int) -> None:
    templates = TemplateFactory(seed, account_id="acct_1")
    template = templates.response(
        model_creation_parameters_schema=templates.parameter_schema("creation")
    )
    fake.store.put(template)
    models = ModelFactory(seed, account_id="acct_1")
    deployments = DeploymentFactory(seed)
    with fake.client() as client:
        for body in (models.request(), models.request(template=template)):
            made = client.post("/v4/models", json=body)
            assert made.status_code == 200, made.text
        from_template = made.json()
        for optional in ("all", "none", "random"):
            body = deployments.request(optional=optional)  # type: ignore[arg-type]
            answer = client.post(f"/v4/models/{from_template['id']}/deployments", json=body)
            assert answer.status_code == 200, answer.text
    assert ModelFactory(seed).request() == ModelFactory(seed).request()
    assert DeploymentFactory(seed).response() == DeploymentFactory(seed).response()
    record = ModelFactory(seed).record(template=template, id="m-1")
    assert (record["id"], record["model_template_id"]) == ("m-1", template["id"])
    assert ModelFactory(seed).request(display_name="x", model_vendor="OTHER", optional="none") == {
        **ModelFactory(seed).request(optional="none"),
        "display_name": "x",
        "model_vendor": "OTHER",
    }


def test_seed_deployment_stores_a_ready_graph_in_one_transaction(tmp_path: Path) -> None:
    fake = SGPFake(state_file=tmp_path / "state.db")
    assert fake.persistence is not None
    commits: list[str] = []
    fake.persistence._db.set_trace_callback(  # type: ignore[attr-defined]
        lambda statement: commits.append(statement) if statement == "COMMIT" else None
    )
    try:
        seeded = seed_deployment(
            fake, account_id="acct_1", seed=4, model={"display_name": "Seeded"},
            deployment={"name": "prod"},
        )  # fmt: skip
        assert commits == ["COMMIT"]
        assert seeded.template["account_id"] == seeded.model["account_id"] == "acct_1"
        assert seeded.model["model_template_id"] == seeded.template["id"]
        assert (seeded.model["display_name"], seeded.model["deployment_count"]) == ("Seeded", 1)
        assert (seeded.deployment["name"], seeded.deployment["status"]) == ("prod", "READY")
        with fake.client() as client:  # as the API answers them
            model_url = f"/v4/models/{seeded.model['id']}"
            assert client.get(model_url).json() == seeded.model
            deployment_url = f"{model_url}/deployments/{seeded.deployment['id']}"
            assert client.get(deployment_url).json() == seeded.deployment
            template_url = f"/v4/model-templates/{seeded.template['id']}"
            assert client.get(template_url).json() == seeded.template
        with fake.sdk_client(_strict_response_validation=True) as sdk:  # and the SDK reads them
            assert sdk.models.retrieve(seeded.model["id"]).deployment_count == 1
        again = seed_deployment(SGPFake(), account_id="acct_1", seed=4, model={"display_name":
                                "Seeded"}, deployment={"name": "prod"})  # fmt: skip
        assert again == seeded  # the same seed, the same graph
        some: dict[str, Any] = seed_deployment(fake).model
        assert some["deployment_count"] == 1
    finally:
        fake.close()


@pytest.mark.parametrize(
    ("type_", "value"),
    [("str", 42), ("int", "lots"), ("int", 0.5), ("float", "high"), ("float", None),
     ("bool", "maybe"), ("bool", [True])],
)  # fmt: skip
def test_a_wrong_parameter_type_earns_the_predicted_error(
    fake: SGPFake, type_: str, value: Any
) -> None:
    template = TemplateFactory(1, account_id="acct_1").response(
        model_creation_parameters_schema={
            "parameters": [{"name": "p", "type": type_, "description": "", "required": False}]
        }
    )
    fake.store.put(template)
    body = {"name": "m", "model_type": template["model_type"], "account_id": "acct_1",
            "model_template_id": template["id"]}  # fmt: skip
    payload = wrong_creation_parameter_type(body, template, "p", value)
    with fake.client() as client:
        answer = payload.post(client)
    assert (answer.status_code, answer.content) == (422, payload.expected_content)


class _SDKsDeploymentBody(BaseModel):
    """A deployment body whose vendor_configuration is the union the SDK's types declare:
    discriminated by the ``vendor`` property, as FastAPI documents ``Field(discriminator=...)``."""

    name: str
    vendor_configuration: Annotated[
        Union[LaunchDeploymentVendorConfiguration, LLMEngineDeploymentVendorConfiguration],
        Field(discriminator="vendor"),
    ] = None  # type: ignore[assignment]


_sdks_union = FastAPI()


@_sdks_union.post("/v4/models/{model_instance_id}/deployments")
def _create_deployment(model_instance_id: str, body: _SDKsDeploymentBody) -> None: ...


@pytest.mark.parametrize(
    "configuration",
    [
        {"vendor": "launch"},
        {"vendor": "OTHER", "min_workers": 1},
        {"vendor": None},
        {"vendor": 1},
        {"vendor": ["LAUNCH"]},
        {"vendor": "LAUNCH", "min_workers": "x"},
        {"vendor": "LLMENGINE", "gpu_type": "rtx", "cpus": 1.5},
        None,
        [],
        "LAUNCH",
    ],
)
def test_a_deployment_vendor_configuration_is_refused_as_the_sdks_tagged_union(
    fake: SGPFake, configuration: Any
) -> None:
    # The errors name the "vendor" property (never a function of the fake) and a value that
    # is not an object is refused where it was sent, not inside one of the variants.
    sent = {"name": "d", "vendor_configuration": configuration}
    expected = TestClient(_sdks_union).post("/v4/models/m/deployments", json=sent)
    with fake.client() as client:
        answer = client.post("/v4/models/no-such-model/deployments", json=sent)
    assert (answer.status_code, answer.content) == (422, expected.content)
    assert b"_vendor" not in answer.content


def test_a_deployment_vendor_configuration_without_vendor_is_launchs(fake: SGPFake) -> None:
    seeded = seed_deployment(fake, account_id="acct_1", seed="no-vendor")
    url = f"/v4/models/{seeded.model['id']}/deployments"
    with fake.client() as client:
        made = client.post(url, json={"name": "d", "vendor_configuration": {"min_workers": 2}})
        assert made.status_code == 200, made.text
        assert made.json()["vendor_configuration"] == {"vendor": "LAUNCH", "min_workers": 2}
        wrong = client.post(url, json={"name": "d", "vendor_configuration": {"min_workers": "x"}})
    assert wrong.json()["detail"] == [
        {
            "type": "int_parsing",
            "loc": ["body", "vendor_configuration", "LAUNCH", "min_workers"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "x",
        }
    ]
