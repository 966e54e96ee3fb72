"""``PUT /_fake/state`` takes only graphs the API could have produced (422 naming each record).

The schema and the references are not enough: a built-in model has one deployment, a model is
of its template's type, a usage record names its deployment's model, a deployment's status is
one its lifecycle has. Each resource declares its own rules (``Resource.check_state``); the
admin API applies them, as does a seed file of ``sgp-fake serve``.
"""

from __future__ import annotations

import copy
from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.core.operations import StateProblem
from sgp_fake.factories import OMIT, seed_deployment
from sgp_fake.resources import REGISTRY


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake(admin=True)


@pytest.fixture
def admin(fake: SGPFake) -> Iterator[httpx.Client]:
    with fake.client() as client:
        yield client


@pytest.fixture
def document(fake: SGPFake, admin: httpx.Client) -> dict[str, list[dict[str, Any]]]:
    """A graph the API made: a template, its model and deployment with a call's usage, and a
    built-in model with its one deployment."""
    seeded = seed_deployment(
        fake,
        account_id="acct_1",
        template={"model_type": "COMPLETION", "model_request_parameters_schema": OMIT},
        model={"model_type": "COMPLETION"},
    )
    built_in = admin.post(
        "/v4/models", json={"name": "builtin", "model_type": "COMPLETION", "account_id": "acct_1"}
    )
    assert built_in.status_code == 200
    called = admin.post(f"/v4/models/{seeded.deployment['id']}/completions", json={"prompt": "a"})
    assert called.status_code == 200
    state: dict[str, list[dict[str, Any]]] = admin.get("/_fake/state").json()
    assert [len(state[k]) for k in ("models", "deployments", "usage")] == [2, 2, 1]
    return state


def _refused(admin: httpx.Client, document: dict[str, Any]) -> list[dict[str, Any]]:
    before = admin.get("/_fake/state").json()
    answer = admin.put("/_fake/state", json=document)
    assert answer.status_code == 422, answer.text
    assert admin.get("/_fake/state").json() == before  # nothing changed
    detail: list[dict[str, Any]] = answer.json()["detail"]
    return detail


def _built_in(document: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in document["models"] if m.get("model_template_id") is None)


def test_the_graph_the_api_made_loads_again(admin: httpx.Client, document: dict[str, Any]) -> None:
    assert admin.put("/_fake/state", json=document).status_code == 200
    assert admin.get("/_fake/state").json() == document


def test_a_built_in_model_takes_no_second_deployment(
    admin: httpx.Client, document: dict[str, Any]
) -> None:
    model = _built_in(document)
    first = next(d for d in document["deployments"] if d["model_instance_id"] == model["id"])
    second = {**copy.deepcopy(first), "id": "second-deployment"}
    document["deployments"].append(second)
    [error] = _refused(admin, document)
    index = len(document["deployments"]) - 1
    assert error["loc"] == ["body", "deployments", index, "model_instance_id"]
    assert error["input"] == model["id"]
    assert f"model {model['id']} is built in" in error["msg"]
    assert first["id"] in error["msg"]


def test_a_model_is_of_its_templates_type(admin: httpx.Client, document: dict[str, Any]) -> None:
    index, model = next(
        (i, m) for i, m in enumerate(document["models"]) if m.get("model_template_id")
    )
    model["model_type"] = "EMBEDDING"
    [error] = _refused(admin, document)
    assert error["loc"] == ["body", "models", index, "model_type"]
    assert error["input"] == "EMBEDDING"
    assert "makes models of type COMPLETION" in error["msg"]


def test_a_usage_record_names_an_existing_model(
    admin: httpx.Client, document: dict[str, Any]
) -> None:
    document["usage"][0]["model_instance_id"] = "no-such-model"
    [error] = _refused(admin, document)
    assert error["loc"] == ["body", "usage", 0, "model_instance_id"]
    assert error["input"] == "no-such-model"
    assert "no model 'no-such-model'" in error["msg"]


def test_a_usage_record_names_its_deployments_model(
    admin: httpx.Client, document: dict[str, Any]
) -> None:
    other = _built_in(document)["id"]  # a model of the document, not the deployment's
    document["usage"][0]["model_instance_id"] = other
    [error] = _refused(admin, document)
    assert error["loc"] == ["body", "usage", 0, "model_instance_id"]
    assert f"not {other}" in error["msg"]


def test_a_deployment_status_is_one_its_lifecycle_has(
    admin: httpx.Client, document: dict[str, Any]
) -> None:
    document["deployments"][0]["status"] = "BOGUS"
    [error] = _refused(admin, document)
    assert error["loc"] == ["body", "deployments", 0, "status"]
    assert error["input"] == "BOGUS"
    assert "'BOGUS' is not one of PENDING, READY, FAILED" in error["msg"]
    # the document's schema says which statuses there are
    schema = admin.get("/openapi.json").json()["components"]["schemas"]
    assert schema["StateModelDeployment"]["properties"]["status"]["enum"] == [
        "PENDING",
        "READY",
        "FAILED",
    ]


def test_every_problem_is_named_at_once(admin: httpx.Client, document: dict[str, Any]) -> None:
    model = _built_in(document)
    first = next(d for d in document["deployments"] if d["model_instance_id"] == model["id"])
    document["deployments"].append({**first, "id": "second-deployment"})
    document["usage"][0]["model_instance_id"] = "gone"
    templated = next(m for m in document["models"] if m.get("model_template_id"))
    templated["model_type"] = "CHAT_COMPLETION"
    locs = {tuple(error["loc"][1:]) for error in _refused(admin, document)}
    assert {loc[0] for loc in locs} == {"deployments", "usage", "models"}


def test_the_rules_are_declared_by_the_resources() -> None:
    declared = {resource.kind for resource in REGISTRY if resource.check_state is not None}
    assert {"models", "deployments", "usage"} <= declared
    problem = StateProblem(0, "status", "why")
    assert (problem.index, problem.field, problem.problem) == (0, "status", "why")
