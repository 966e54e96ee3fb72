"""Models and their deployments through the official SDK: sync and async, in process and over a
socket, strict and loose response validation (see ``tests/support/sdk_api.py``)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
import scale_gp

from sgp_fake import FakeSettings, SGPFake
from tests.support.bodies import minimal_body
from tests.support.sdk_api import IDS, KINDS, Api, api_for


@pytest.fixture(params=KINDS, ids=IDS)
def api(request: pytest.FixtureRequest, sgp_fake: SGPFake) -> Iterator[Api]:
    """The SDK: sync and async, in process and live, strict and loose."""
    yield from api_for(request, sgp_fake)


PARAMETERS = {
    "parameters": [
        {"name": "model_weights_uri", "type": "str", "description": "Weights", "required": True},
        {"name": "max_model_len", "type": "int", "description": "Context", "required": False},
        {
            "name": "gpu_memory_utilization",
            "type": "float",
            "description": "GPU share",
            "required": False,
        },
        {"name": "trust_remote_code", "type": "bool", "description": "Code", "required": False},
    ]
}
REQUEST_PARAMETERS = {
    "parameters": [
        {"name": "temperature", "type": "float", "description": "Sampling", "required": True},
        {"name": "top_k", "type": "int", "description": "Top k", "required": False},
    ]
}
TEMPLATE: dict[str, Any] = {
    "account_id": "acct_1",
    "endpoint_type": "SYNC",
    "model_type": "COMPLETION",
    "name": "vllm-llama",
    "vendor_configuration": {"bundle_config": {"registry": "r", "image": "vllm", "tag": "0.6"}},
    "model_creation_parameters_schema": PARAMETERS,
    "model_request_parameters_schema": REQUEST_PARAMETERS,
}
WEIGHTS = {"model_weights_uri": "s3://models/llama/"}


def template(api: Api, **overrides: Any) -> Any:
    """A template of TEMPLATE with ``overrides`` (``None`` leaves a field out)."""
    body = {**copy.deepcopy(TEMPLATE), **overrides}
    return api("model_templates.create", **{k: v for k, v in body.items() if v is not None})


def model(api: Api, template_id: str | None, **overrides: Any) -> Any:
    body: dict[str, Any] = {"account_id": "acct_1", "model_type": "COMPLETION", "name": "llama"}
    if template_id is not None:
        body.update(model_template_id=template_id, model_creation_parameters=dict(WEIGHTS))
    return api("models.create", **{**body, **overrides})


def status_of(exc: pytest.ExceptionInfo[scale_gp.APIStatusError]) -> tuple[int, Any]:
    return exc.value.status_code, exc.value.body


# -- the routes -----------------------------------------------------------------------------------


def test_a_model_of_a_template_and_its_deployments_from_create_to_delete(api: Api) -> None:
    made_from = template(api)
    created = model(
        api,
        made_from.id,
        model_creation_parameters={**WEIGHTS, "max_model_len": "4096"},  # coerced, kept as sent
        base_model_metadata={"model_details": {"token_context_window": 8192}},
        display_name="Llama",
    )
    assert created.model_template_id == made_from.id
    assert created.model_creation_parameters == {**WEIGHTS, "max_model_len": "4096"}
    assert created.base_model_metadata.model_details.token_context_window == 8192  # modelDetails
    assert (created.deployment_count, created.supports_multi_turn) == (0, False)
    fetched = api("models.retrieve", created.id)
    assert (fetched.id, fetched.name, fetched.deployments) == (created.id, "llama", None)

    first = api("models.deployments.create", created.id, name="prod")
    assert (first.status, first.model_instance_id) == ("READY", created.id)
    assert first.account_id == "acct_1"
    second = api(
        "models.deployments.create",
        created.id,
        name="canary",
        deployment_metadata={"team": "ml"},
        vendor_configuration={"vendor": "LAUNCH", "min_workers": 1, "max_workers": 2},
    )
    assert second.vendor_configuration.min_workers == 1
    assert api("models.deployments.retrieve", second.id, model_instance_id=created.id) == second
    with_views = api("models.retrieve", created.id, view=["Deployments", "ModelGroup"])
    assert with_views.deployment_count == 2
    assert [d.id for d in with_views.deployments] == [first.id, second.id]
    assert with_views.model_group is None  # the fake holds no model groups
    listed = api("models.deployments.list", created.id)
    assert [d.id for d in listed.items] == [first.id, second.id]
    assert [d.id for d in api("models.deployments.list_all").items] == [first.id, second.id]

    renamed = api("models.deployments.update", second.id, model_instance_id=created.id, name="c2")
    assert (renamed.name, renamed.deployment_metadata) == ("c2", {"team": "ml"})
    updated = api("models.update", created.id, description="A llama", display_name="Llama 3")
    assert (updated.description, updated.display_name, updated.deployment_count) == (
        "A llama",
        "Llama 3",
        2,
    )
    assert api("models.update", created.id).description == "A llama"  # {} changes nothing

    gone = api("models.deployments.delete", first.id, model_instance_id=created.id)
    assert (gone.count, gone.success) == (1, True)
    with pytest.raises(scale_gp.NotFoundError):
        api("models.deployments.delete", first.id, model_instance_id=created.id)
    assert api("models.retrieve", created.id).deployment_count == 1
    assert api("models.delete", created.id).success is True
    with pytest.raises(scale_gp.NotFoundError):
        api("models.retrieve", created.id)
    with pytest.raises(scale_gp.NotFoundError):  # its deployments went with it
        api("models.deployments.retrieve", second.id, model_instance_id=created.id)
    assert api("models.deployments.list_all").items == []
    with pytest.raises(scale_gp.NotFoundError):
        api("models.delete", created.id)


# -- templates are enforced ----------------------------------------------------------------------


def test_the_template_must_be_the_models_own_and_of_its_type(api: Api) -> None:
    with pytest.raises(scale_gp.NotFoundError) as unknown:
        model(api, "no-such-template")
    assert status_of(unknown) == (404, {"detail": "Model template no-such-template not found"})
    foreign = template(api, account_id="acct_2")
    with pytest.raises(scale_gp.NotFoundError) as other_account:
        model(api, foreign.id)
    assert other_account.value.body == {"detail": f"Model template {foreign.id} not found"}
    mine = template(api)
    with pytest.raises(scale_gp.BadRequestError) as wrong_type:
        model(api, mine.id, model_type="CHAT_COMPLETION")
    assert wrong_type.value.body == {
        "detail": f"The model is of type CHAT_COMPLETION, but model template {mine.id} makes "
        "models of type COMPLETION"
    }


def test_creation_parameters_fit_the_templates_schema(api: Api) -> None:
    made_from = template(api)
    with pytest.raises(scale_gp.UnprocessableEntityError) as typo:
        model(api, made_from.id, model_creation_parameters={"model_weight_uri": "s3://x/"})
    assert typo.value.body == {
        "detail": [
            {
                "type": "missing",
                "loc": ["body", "model_creation_parameters", "model_weights_uri"],
                "msg": "Field required",
                "input": {"model_weight_uri": "s3://x/"},
            },
            {
                "type": "extra_forbidden",
                "loc": ["body", "model_creation_parameters", "model_weight_uri"],
                "msg": "Extra inputs are not permitted",
                "input": "s3://x/",
            },
        ]
    }
    with pytest.raises(scale_gp.UnprocessableEntityError) as wrong:
        model(
            api,
            made_from.id,
            model_creation_parameters={**WEIGHTS, "max_model_len": 1.5, "trust_remote_code": "?"},
        )
    assert [(e["type"], e["loc"][-1]) for e in wrong.value.body["detail"]] == [
        ("int_from_float", "max_model_len"),
        ("bool_parsing", "trust_remote_code"),
    ]
    with pytest.raises(scale_gp.UnprocessableEntityError):
        model(api, made_from.id, model_creation_parameters=None or {})  # the required one
    fits = model(
        api,
        made_from.id,
        model_creation_parameters={
            **WEIGHTS,
            "gpu_memory_utilization": "0.9",
            "trust_remote_code": 0,
        },
    )
    assert fits.model_creation_parameters["trust_remote_code"] == 0  # kept as sent
    free = template(api, model_creation_parameters_schema=None)
    anything = {"anything": [1, {"goes": True}]}
    assert model(api, free.id, model_creation_parameters=anything).model_creation_parameters == (
        anything
    )


def test_a_deployments_parameters_merge_over_its_models(api: Api) -> None:
    made = model(api, template(api).id)
    deployment = api(
        "models.deployments.create",
        made.id,
        name="d",
        model_creation_parameters={"max_model_len": 8192},
    )
    assert deployment.model_creation_parameters == {"max_model_len": 8192}  # what it was sent
    with pytest.raises(scale_gp.UnprocessableEntityError) as override:
        api("models.deployments.create", made.id, name="d", model_creation_parameters={
            "model_weights_uri": 3})  # fmt: skip
    assert override.value.body["detail"][0]["loc"] == [
        "body",
        "model_creation_parameters",
        "model_weights_uri",
    ]
    with pytest.raises(scale_gp.UnprocessableEntityError) as unknown:
        api("models.deployments.update", deployment.id, model_instance_id=made.id,
            model_creation_parameters={"max_len": 1})  # fmt: skip
    assert unknown.value.body["detail"][0]["type"] == "extra_forbidden"


def test_an_update_checks_the_merged_model_and_keeps_template_and_type_while_deployed(
    api: Api,
) -> None:
    completion = template(api)
    chat = template(api, model_type="CHAT_COMPLETION")
    made = model(api, completion.id)
    with pytest.raises(scale_gp.UnprocessableEntityError):
        api("models.update", made.id, model_creation_parameters={"max_model_len": 1})
    with pytest.raises(scale_gp.BadRequestError):  # chat template, completion model
        api("models.update", made.id, model_template_id=chat.id)
    moved = api("models.update", made.id, model_template_id=chat.id, model_type="CHAT_COMPLETION")
    assert (moved.model_template_id, moved.supports_multi_turn) == (chat.id, True)
    api("models.deployments.create", made.id, name="d")
    for change in ({"model_template_id": completion.id}, {"model_type": "COMPLETION"}):
        with pytest.raises(scale_gp.BadRequestError) as refused:
            api("models.update", made.id, **change)
        field = next(iter(change))
        assert refused.value.body == {
            "detail": f"Model {made.id} has 1 deployment: its {field} cannot change"
        }
    kept = api("models.update", made.id, model_type="CHAT_COMPLETION", name="same")
    assert (kept.name, kept.deployment_count) == ("same", 1)


def test_in_contract_mode_a_stored_model_cannot_be_moved_to_a_made_up_template(
    tmp_path: Path,
) -> None:
    # A made-up template is answered, never stored: a stored model naming one would make its
    # state file refused at the next start, and its state document refused by PUT.
    path = tmp_path / "state.db"
    fake = SGPFake(FakeSettings(contract=True), state_file=path)
    try:
        with fake.client() as client:
            made = client.post("/v4/model-templates", json=minimal_body()).json()
            body = {"name": "m", "model_type": "COMPLETION", "account_id": "acct_1",
                    "model_template_id": made["id"]}  # fmt: skip
            stored = client.post("/v4/models", json=body).json()
            moved = client.patch(f"/v4/models/{stored['id']}", json={"model_template_id": "x"})
            assert (moved.status_code, moved.json()) == (
                404,
                {"detail": "Model template x not found"},
            )
            # A made-up model still takes a made-up template: nothing is stored.
            answered = client.patch("/v4/models/made-up", json={"model_template_id": "x"})
            assert answered.json()["model_template_id"] == "x"
    finally:
        fake.close()
    again = SGPFake(FakeSettings(contract=True), state_file=path)
    try:
        (kept,) = again.tables["models"].all()
        assert kept.as_dict()["model_template_id"] == made["id"]
    finally:
        again.close()


# -- built-in models -----------------------------------------------------------------------------


def test_a_built_in_model_has_one_ready_deployment_that_cannot_change(api: Api) -> None:
    built_in = model(api, None, name="gpt-4o", model_vendor="OPENAI")
    assert built_in.deployment_count == 1
    (deployment,) = api("models.deployments.list", built_in.id).items
    assert (deployment.name, deployment.status) == ("gpt-4o", "READY")
    with pytest.raises(scale_gp.BadRequestError) as update:
        api("models.deployments.update", deployment.id, model_instance_id=built_in.id, name="x")
    assert "built in" in update.value.body["detail"]
    with pytest.raises(scale_gp.BadRequestError):
        api("models.deployments.delete", deployment.id, model_instance_id=built_in.id)
    with pytest.raises(scale_gp.BadRequestError) as another:
        api("models.deployments.create", built_in.id, name="second")
    assert another.value.body == {
        "detail": f"Model {built_in.id} is built in: its one deployment is made with it, and it "
        "takes no other"
    }
    with pytest.raises(scale_gp.BadRequestError):  # it has its deployment: no template now
        api("models.update", built_in.id, model_template_id=template(api).id)
    assert api("models.update", built_in.id, display_name="GPT-4o").display_name == "GPT-4o"
    api("models.delete", built_in.id)
    assert api("models.deployments.list_all").items == []


# -- derived fields ------------------------------------------------------------------------------


def test_derived_fields_are_live_and_shared(api: Api, sgp_fake: SGPFake) -> None:
    made_from = template(api)
    first = model(api, made_from.id)
    second = model(api, made_from.id, name="other")
    chat = model(api, None, model_type="CHAT_COMPLETION")
    embedding = model(api, None, model_type="EMBEDDING")
    assert first.request_schema == second.request_schema  # one per type and template
    assert (first.supports_multi_turn, chat.supports_multi_turn) == (False, True)
    assert chat.request_schema != embedding.request_schema != first.request_schema
    request = jsonschema.Draft202012Validator(first.request_schema)
    bindings = {"bindings": {"temperature": 0.2}}
    request.validate({"prompt": "Hi", "model_request_parameters": bindings})
    for invalid in (
        {"prompt": "Hi"},  # the template requires temperature
        {"prompt": "Hi", "model_request_parameters": {"bindings": {"temp": 0.2}}},
        {"model_request_parameters": {"bindings": {"temperature": 0.2}}},
    ):
        assert not request.is_valid(invalid), invalid
    assert first.request_schema["properties"]["model_request_parameters"]["properties"]["bindings"][
        "properties"
    ] == {
        "temperature": {"type": "number", "description": "Sampling"},
        "top_k": {"type": "integer", "description": "Top k"},
    }
    jsonschema.Draft202012Validator(first.response_schema).validate(
        {"completions": [["Hi", ["there"]]], "finish_reason": "stop"}
    )
    jsonschema.Draft202012Validator(chat.request_schema).validate(
        {"prompt": "Hi", "chat_history": [{"role": "user", "content": "Hello"}]}
    )
    jsonschema.Draft202012Validator(embedding.response_schema).validate({"embeddings": [[0.1]]})
    stored = sgp_fake.tables["models"].get(first.id).as_dict()
    assert not {"deployment_count", "request_schema", "response_schema"} & set(stored)
    api("models.deployments.create", first.id, name="a")
    api("models.deployments.create", first.id, name="b")
    assert api("models.retrieve", first.id).deployment_count == 2
    counts = {m.id: m.deployment_count for m in api("models.list").items}
    assert counts == {first.id: 2, second.id: 0, chat.id: 1, embedding.id: 1}


# -- accounts ------------------------------------------------------------------------------------


def test_a_deployment_belongs_to_its_models_account(api: Api) -> None:
    made = model(api, template(api).id)
    with pytest.raises(scale_gp.BadRequestError) as refused:
        api("models.deployments.create", made.id, name="d", account_id="acct_2")
    assert refused.value.body == {
        "detail": f"A deployment belongs to its model's account: model {made.id} is of account "
        "acct_1, not acct_2"
    }
    same = api("models.deployments.create", made.id, name="d", account_id="acct_1")
    assert same.account_id == "acct_1"
    assert api("models.deployments.create", made.id, name="e").account_id == "acct_1"


# -- status, on the fake's clock -----------------------------------------------------------------


def test_deployment_status_follows_the_fakes_clock(api: Api, sgp_fake: SGPFake) -> None:
    sgp_fake.settings.deployment_ready_after = 120
    made = model(api, template(api).id)
    ready = api("models.deployments.create", made.id, name="now")  # wait_for_ready: true
    assert ready.status == "READY"
    pending = api("models.deployments.create", made.id, name="later", wait_for_ready=False)
    assert pending.status == "PENDING"

    def status() -> str:
        return str(api("models.deployments.retrieve", pending.id, model_instance_id=made.id).status)

    assert [status() for _ in range(3)] == ["PENDING"] * 3  # reading never moves the clock
    sgp_fake.clock.advance(119)
    assert status() == "PENDING"
    sgp_fake.clock.advance(1)
    assert status() == "READY"

    # a new vendor_configuration goes through PENDING again; the same one changes nothing
    config = {"vendor": "LAUNCH", "min_workers": 2}
    again = api("models.deployments.update", pending.id, model_instance_id=made.id,
                vendor_configuration=config, wait_for_ready=False)  # fmt: skip
    assert again.status == "PENDING"
    sgp_fake.clock.advance(120)
    assert status() == "READY"
    same = api("models.deployments.update", pending.id, model_instance_id=made.id,
               vendor_configuration=config, wait_for_ready=False)  # fmt: skip
    assert same.status == "READY"
    no_vendor = api("models.deployments.update", pending.id, model_instance_id=made.id,
                    vendor_configuration={"min_workers": 2}, wait_for_ready=False)  # fmt: skip
    assert no_vendor.status == "READY"  # LAUNCH is the vendor left out: the same configuration
    now = api("models.deployments.update", ready.id, model_instance_id=made.id,
              vendor_configuration=config)  # fmt: skip
    assert now.status == "READY"  # wait_for_ready: READY at once

    sgp_fake.force_status("deployments", ready.id, "FAILED")
    listed = api("models.deployments.list", made.id, sort_by=["status:asc"]).items
    assert [(d.id, d.status) for d in listed] == [(ready.id, "FAILED"), (pending.id, "READY")]


def test_with_no_delay_a_pending_deployment_is_ready_from_the_next_request(api: Api) -> None:
    made = model(api, template(api).id)
    pending = api("models.deployments.create", made.id, name="d", wait_for_ready=False)
    assert pending.status == "PENDING"
    assert api("models.deployments.retrieve", pending.id, model_instance_id=made.id).status == (
        "READY"
    )


# -- deletes ---------------------------------------------------------------------------------------


def test_deletes_keep_the_graph_whole_and_never_answer_409(api: Api) -> None:
    used = template(api)
    models = [model(api, used.id, name=f"m{i}") for i in range(2)]
    with pytest.raises(scale_gp.BadRequestError) as refused:
        api("model_templates.delete", used.id)
    assert refused.value.body == {"detail": f"Model template {used.id} is used by 2 models"}
    api("models.deployments.create", models[0].id, name="d")
    for made in models:
        deleted = api("models.delete", made.id)
        assert (deleted.count, deleted.success) == (1, True)
    assert api("models.deployments.list_all").items == []
    assert api("model_templates.delete", used.id).success is True
    for target in (("models.delete", models[0].id), ("model_templates.delete", used.id)):
        with pytest.raises(scale_gp.NotFoundError):
            api(*target)


# -- lists ---------------------------------------------------------------------------------------


def test_lists_filter_sort_and_page_as_the_sdk_expects(api: Api) -> None:
    chat = template(api, model_type="CHAT_COMPLETION")
    made = [
        model(api, None, name="b", model_type="COMPLETION", model_group_id="g1"),
        model(api, chat.id, name="a", model_type="CHAT_COMPLETION", display_name="Z"),
        model(api, None, name="c", model_type="EMBEDDING", model_group_id="g1", display_name="A"),
    ]
    ids = [m.id for m in made]

    def listed(**query: Any) -> list[int]:
        return [ids.index(m.id) for m in api("models.list", **query).items]

    assert listed() == [0, 1, 2]  # creation order
    assert listed(model_type="CHAT_COMPLETION") == [1]
    assert listed(model_group_id="g1") == [0, 2]
    assert listed(model_type=0, model_group_id=0) == []  # matches nothing: an empty page
    assert listed(sort_by=["name:desc"]) == [2, 0, 1]
    assert listed(sort_by=["display_name:asc"]) == [2, 1, 0]  # absent values last
    assert listed(sort_by=["deployment_count:asc", "name:asc"]) == [1, 0, 2]
    assert listed(sort_by=["supports_multi_turn:desc", "created_at:desc"]) == [1, 2, 0]
    assert listed(limit=1, page=3) == [2]
    assert listed(limit=1, page=4) == []  # past the end: empty, as the SDK's pager needs
    assert listed(limit=0) == []  # no range checks
    assert listed(page=0) == []
    assert listed(page=-1, limit=1) == []
    assert listed(page=-1, limit=1, sort_by=["name:asc"]) == []
    assert [m.id for m in api.every("models.list", limit=1)] == ids
    with_deployments = api("models.list", view=["Deployments"], model_type="EMBEDDING").items
    assert [d.name for d in with_deployments[0].deployments] == ["c"]
    page = api("models.list", limit=2, sort_by=["name:asc"])
    assert (page.current_page, len(page.items)) == (1, 2)

    deployed = api("models.deployments.create", made[1].id, name="x", wait_for_ready=False)
    everything = api.every("models.deployments.list_all", limit=1, sort_by=["name:desc"])
    assert [d.name for d in everything] == ["x", "c", "b"]
    assert [d.id for d in api.every("models.deployments.list", made[1].id, limit=1)] == [
        deployed.id
    ]
    assert api("models.deployments.list_all", account_id="acct_9").items == []
