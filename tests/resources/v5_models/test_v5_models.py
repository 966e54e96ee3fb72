"""``/v5/models`` through the v5 SDK (``scale_gp_beta``) in process: every route, cursor pages,
the status on the fake's clock, validation, accounts, and what the registry gives (state
document, persistence, contract mode)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import FakeSettings, Identity, SGPFake
from sgp_fake.resources.v5_models.handlers import (
    callable_models,
    find_by_name,
    model_name,
    ready_by_name,
)

beta = pytest.importorskip("scale_gp_beta")

BASE = "https://api.sgp.scale.com"
LAUNCH: dict[str, Any] = {
    "name": "my-launch",
    "vendor_configuration": {
        "model_image": {
            "command": ["python", "serve.py"],
            "registry": "123.dkr.ecr.us-west-2.amazonaws.com",
            "repository": "models",
            "tag": "v1",
        },
        "model_infra": {"gpus": 1, "gpu_type": "nvidia-ampere-a10"},
    },
    "model_vendor": "launch",
}
LLM: dict[str, Any] = {"name": "my-llm", "vendor_configuration": {"model": "llama-3-8b"}}
HOSTED: dict[str, Any] = {
    "name": "gpt-4o-mini",
    "model_vendor": "openai",
    "model_type": "chat_completion",
}


def sdk(fake: SGPFake, account_id: str = "acct_1", api_key: str = "key") -> Any:
    """A strict v5 client to ``fake``, in process."""
    return beta.SGPClient(
        api_key=api_key,
        account_id=account_id,
        base_url=BASE,
        http_client=httpx.Client(transport=fake.transport()),
        _strict_response_validation=True,
        max_retries=0,
    )


@pytest.fixture
def client(fake: SGPFake) -> Iterator[Any]:
    with sdk(fake) as client:
        yield client


def raw(fake: SGPFake, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"x-api-key": "key", "x-selected-account-id": "acct_1", **kwargs.pop("headers", {})}
    with fake.client(api_key=None, base_url=BASE) as http:
        return http.request(method, path, headers=headers, **kwargs)


# -- routes ------------------------------------------------------------------------------------


def test_create_retrieve_update_delete(fake: SGPFake, client: Any) -> None:
    model = client.models.create(model=LAUNCH)
    assert (model.name, model.api_model_vendor, model.api_model_type) == (
        "my-launch",
        "launch",
        "generic",
    )
    assert model.status == "deploying"
    assert model.api_model_availability == "unavailable"
    assert model.status_reason
    assert model.vendor_configuration.infra.gpus == 1
    fetched = client.models.retrieve(model.id)
    assert fetched.status == "ready"  # deployment_ready_after is 0: ready from the next read
    assert fetched.api_model_availability == "available"
    assert fetched.status_reason is None

    updated = client.models.update(model.id, model={"model_metadata": {"team": "search"}})
    assert (updated.metadata, updated.status) == ({"team": "search"}, "ready")
    renamed = client.models.update(model.id, model={"name": "renamed"})
    assert renamed.name == "renamed"
    reconfigured = client.models.update(
        model.id, model={"vendor_configuration": {"model_image": {"tag": "v2"}}}
    )
    assert reconfigured.status == "deploying"  # a new configuration deploys again
    image = reconfigured.vendor_configuration.image
    assert (image.tag, image.repository) == ("v2", "models")  # merged key by key
    assert reconfigured.vendor_configuration.infra.gpus == 1
    same = client.models.update(model.id, model={"vendor_configuration": {"model_image": {}}})
    assert same.status == "ready"  # nothing changed: no new deployment

    deleted = client.models.delete(model.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (model.id, True, "model")
    with pytest.raises(beta.NotFoundError):
        client.models.retrieve(model.id)
    with pytest.raises(beta.NotFoundError):
        client.models.delete(model.id)


def test_llmengine_and_hosted_models(client: Any) -> None:
    llm = client.models.create(model=LLM)  # no model_vendor: told by the configuration
    assert (llm.api_model_vendor, llm.api_model_type, llm.status) == (
        "llmengine",
        "chat_completion",
        "deploying",
    )
    assert llm.vendor_configuration.model == "llama-3-8b"
    hosted = client.models.create(model=HOSTED)
    assert (hosted.status, hosted.vendor_configuration) == ("ready", None)
    with pytest.raises(beta.BadRequestError, match="no vendor configuration"):
        client.models.update(hosted.id, model={"vendor_configuration": {"model": "x"}})
    client.models.retrieve(llm.id)
    with pytest.raises(beta.BadRequestError, match="model's own vendor"):
        client.models.update(llm.id, model={"vendor_configuration": {"model_image": {}}})
    updated = client.models.update(llm.id, model={"vendor_configuration": {"num_shards": 2}})
    assert updated.vendor_configuration.model == "llama-3-8b"
    assert updated.vendor_configuration.num_shards == 2


def test_names_are_unique_per_vendor_and_account(fake: SGPFake, client: Any) -> None:
    first = client.models.create(model=HOSTED)
    with pytest.raises(beta.BadRequestError, match='on_conflict "update"'):
        client.models.create(model=HOSTED)
    other_vendor = client.models.create(model={**HOSTED, "model_vendor": "azure"})
    assert other_vendor.id != first.id
    with sdk(fake, "acct_2") as elsewhere:
        assert elsewhere.models.create(model=HOSTED).id != first.id
    again = client.models.create(
        model={
            **HOSTED,
            "model_type": "completion",
            "model_metadata": {"a": 1},
            "on_conflict": "update",
        }
    )
    assert (again.id, again.api_model_type, again.metadata) == (first.id, "completion", {"a": 1})

    # a rename onto a taken name: refused, or the names exchanged with swap
    second = client.models.create(model={**HOSTED, "name": "gpt-4o"})
    with pytest.raises(beta.BadRequestError, match='on_conflict "swap"'):
        client.models.update(second.id, model={"name": "gpt-4o-mini"})
    swapped = client.models.update(second.id, model={"name": "gpt-4o-mini", "on_conflict": "swap"})
    assert swapped.name == "gpt-4o-mini"
    assert client.models.retrieve(first.id).name == "gpt-4o"


def test_a_deploying_model_cannot_be_changed_or_deleted(fake: SGPFake, client: Any) -> None:
    fake.settings = FakeSettings(deployment_ready_after=60)
    model = client.models.create(model=LAUNCH)
    for call in (
        lambda: client.models.update(model.id, model={"model_metadata": {}}),
        lambda: client.models.delete(model.id),
        lambda: client.models.create(model={**LAUNCH, "on_conflict": "update"}),
    ):
        with pytest.raises(beta.BadRequestError, match="is deploying"):
            call()
    fake.clock.advance(60)
    assert client.models.delete(model.id).deleted


# -- status on the clock -----------------------------------------------------------------------


def test_status_moves_with_the_clock_and_can_be_forced(fake: SGPFake, client: Any) -> None:
    fake.settings = FakeSettings(deployment_ready_after=30)
    model = client.models.create(model=LAUNCH)
    hosted = client.models.create(model=HOSTED)
    assert hosted.status == "ready"  # hosted vendors deploy nothing
    fake.clock.advance(29)
    assert client.models.retrieve(model.id).status == "deploying"
    fake.clock.advance(1)
    assert client.models.retrieve(model.id).status == "ready"
    fake.force_status("v5_models", model.id, "failed")
    failed = client.models.retrieve(model.id)
    assert (failed.status, failed.status_reason) == ("failed", "The deployment failed")
    fake.force_status("v5_models", model.id, "deployment_timeout")
    assert client.models.retrieve(model.id).status == "deployment_timeout"
    with pytest.raises(ValueError, match="not a status"):
        fake.force_status("v5_models", model.id, "READY")  # statuses are lower case
    # a new configuration deploys again, for the whole delay
    redeployed = client.models.update(
        model.id, model={"vendor_configuration": {"model_infra": {"gpus": 4}}}
    )
    assert redeployed.status == "deploying"
    fake.clock.advance(30)
    assert client.models.retrieve(model.id).status == "ready"


# -- lists -------------------------------------------------------------------------------------


def test_cursor_pages_and_auto_pagination(client: Any) -> None:
    ids = [client.models.create(model={**HOSTED, "name": f"m{i}"}).id for i in range(7)]
    assert [m.id for m in client.models.list(limit=3)] == ids  # the SDK walks every page
    first = client.models.list(limit=3)
    assert ([m.id for m in first.items], first.has_more) == (ids[:3], True)
    last = client.models.list(limit=3, starting_after=ids[5])
    assert ([m.id for m in last.items], last.has_more) == (ids[6:], False)
    before = client.models.list(limit=2, ending_before=ids[4])
    assert ([m.id for m in before.items], before.has_more) == (ids[2:4], True)
    # backwards: the SDK follows ending_before with the first item's id
    assert [m.id for m in client.models.list(limit=2, ending_before=ids[4])] == [
        ids[2],
        ids[3],
        ids[0],
        ids[1],
    ]
    between = client.models.list(starting_after=ids[1], ending_before=ids[5])
    assert [m.id for m in between.items] == ids[2:5]
    newest = client.models.list(limit=2, sort_order="desc")
    assert [m.id for m in newest.items] == [ids[6], ids[5]]
    by_name = client.models.list(sort_by="name", sort_order="desc", limit=1)
    assert by_name.items[0].name == "m6"
    assert [m.name for m in client.models.list(name="m3")] == ["m3"]
    assert list(client.models.list(model_vendor="azure")) == []
    assert client.models.list(limit=0).items == []
    with pytest.raises(beta.BadRequestError, match="starting_after"):
        client.models.list(starting_after="nope")


def test_lists_and_reads_are_of_the_selected_account(fake: SGPFake, client: Any) -> None:
    mine = client.models.create(model=HOSTED)
    with sdk(fake, "acct_2") as other:
        theirs = other.models.create(model=HOSTED)
        assert [m.id for m in other.models.list()] == [theirs.id]
        with pytest.raises(beta.NotFoundError):
            other.models.retrieve(mine.id)
        with pytest.raises(beta.NotFoundError):
            other.models.delete(mine.id)
    assert [m.id for m in client.models.list()] == [mine.id]


def test_keys_and_accounts() -> None:
    fake = SGPFake(
        FakeSettings(api_keys={"alice": Identity("alice", accounts=frozenset({"acct_1"}))})
    )
    with sdk(fake, "acct_2", api_key="alice") as foreign, pytest.raises(beta.PermissionDeniedError):
        foreign.models.list()
    with sdk(fake, "acct_1", api_key="wrong") as stranger, pytest.raises(beta.AuthenticationError):
        stranger.models.list()
    answer = raw(fake, "GET", "/v5/models", headers={"x-api-key": "alice",
                                                      "x-selected-account-id": ""})  # fmt: skip
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": [
            {
                "type": "missing",
                "loc": ["header", "x-selected-account-id"],
                "msg": "Field required",
                "input": None,
            }
        ]
    }


# -- validation --------------------------------------------------------------------------------


def test_launch_configuration_is_checked_strictly(fake: SGPFake) -> None:
    image = dict(LAUNCH["vendor_configuration"]["model_image"])
    del image["tag"]
    body = {**LAUNCH, "vendor_configuration": {
        "model_image": {**image, "command": "serve"},
        "model_infra": {"gpu_type": "h100", "gpus": None, "cpus": 1.5}}}  # fmt: skip
    answer = raw(fake, "POST", "/v5/models", json=body)
    assert answer.status_code == 422
    errors = [(e["type"], e["loc"]) for e in answer.json()["detail"]]
    prefix = ["body", "vendor_configuration"]
    assert errors == [
        ("list_type", [*prefix, "model_image", "command"]),
        ("missing", [*prefix, "model_image", "tag"]),
        ("string_type", [*prefix, "model_infra", "cpus", "str"]),
        ("int_from_float", [*prefix, "model_infra", "cpus", "int"]),
        ("enum", [*prefix, "model_infra", "gpu_type"]),
        ("int_type", [*prefix, "model_infra", "gpus"]),
    ]
    assert "url" not in answer.json()["detail"][0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "x"}, [("missing", ["body", "vendor_configuration"])]),
        ({**HOSTED, "model_vendor": "nope"}, [("literal_error", ["body", "model_vendor"])]),
        ({**HOSTED, "model_type": "agent"}, [("literal_error", ["body", "model_type"])]),
        ({**LAUNCH, "model_type": "chat_completion"}, [("literal_error", ["body", "model_type"])]),
        ({**LLM, "model_vendor": "llmengine", "vendor_configuration": {}},
         [("missing", ["body", "vendor_configuration", "model"])]),
        ({**HOSTED, "on_conflict": "swap"}, [("literal_error", ["body", "on_conflict"])]),
        ({**HOSTED, "name": None}, [("string_type", ["body", "name"])]),
        # No gateway call can name a model called "": "openai/" is not vendor/name.
        ({**HOSTED, "name": ""}, [("string_too_short", ["body", "name"])]),
        ({**LAUNCH, "name": ""}, [("string_too_short", ["body", "name"])]),
    ],
)  # fmt: skip
def test_create_422s(fake: SGPFake, body: dict[str, Any], expected: list[Any]) -> None:
    answer = raw(fake, "POST", "/v5/models", json=body)
    assert answer.status_code == 422, answer.text
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == expected


def test_update_and_list_422s(fake: SGPFake, client: Any) -> None:
    launch = client.models.create(model=LAUNCH)
    client.models.retrieve(launch.id)
    path = f"/v5/models/{launch.id}"
    answer = raw(fake, "PATCH", path, json={"vendor_configuration": {"model_infra": {"gpus": "x"}}})
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
        ("int_parsing", ["body", "vendor_configuration", "model_infra", "gpus"])
    ]
    answer = raw(fake, "PATCH", path, json={"name": "n", "on_conflict": "update"})
    assert answer.json()["detail"][0]["loc"] == ["body", "on_conflict"]
    fake.clock.advance(1)
    answer = raw(fake, "PATCH", path, json={"name": ""})
    assert [(e["type"], e["loc"]) for e in answer.json()["detail"]] == [
        ("string_too_short", ["body", "name"])
    ]
    assert client.models.retrieve(launch.id).name == LAUNCH["name"]
    answer = raw(fake, "GET", "/v5/models", params={"limit": "x", "sort_order": "up"})
    assert [e["loc"] for e in answer.json()["detail"]] == [
        ["query", "limit"],
        ["query", "sort_order"],
    ]


# -- what the gateway calls --------------------------------------------------------------------


def test_find_by_name_for_the_gateway(fake: SGPFake, client: Any) -> None:
    from sgp_fake.core.call import Call

    fake.settings = FakeSettings(deployment_ready_after=10)
    hosted = client.models.create(model=HOSTED)
    launch = client.models.create(model=LAUNCH)
    op = next(op for op in fake.app.operations.operations if op.name == "list_v5_models")

    def call(account: str) -> Call:
        scope = {"headers": [(b"x-api-key", b"key"), (b"x-selected-account-id", account.encode())]}
        return Call(fake.state, op, scope, {})

    found = find_by_name(call("acct_1"), "openai", "gpt-4o-mini")
    assert found is not None
    assert found.id == hosted.id
    assert model_name(found) == "openai/gpt-4o-mini"
    assert find_by_name(call("acct_2"), "openai", "gpt-4o-mini") is None
    assert find_by_name(call("acct_1"), "azure", "gpt-4o-mini") is None
    with pytest.raises(Exception, match="is deploying"):
        ready_by_name(call("acct_1"), "launch", "my-launch")
    assert [r.id for r in callable_models(call("acct_1"))] == [hosted.id]
    fake.clock.advance(10)
    ready = ready_by_name(call("acct_1"), "launch", "my-launch")
    assert ready is not None
    assert ready.id == launch.id


# -- what the registry gives -------------------------------------------------------------------


def test_state_document_round_trip() -> None:
    fake = SGPFake(admin=True)
    with sdk(fake) as client:
        model = client.models.create(model=LAUNCH)
    with fake.client(api_key=None) as admin:
        document = admin.get("/_fake/state").json()
        assert [m["id"] for m in document["v5_models"]] == [model.id]
        admin.post("/_fake/reset")
        assert admin.get("/_fake/state").json()["v5_models"] == []
        assert admin.put("/_fake/state", json=document).status_code == 200
    with sdk(fake) as client:
        assert client.models.retrieve(model.id).name == "my-launch"


def test_persistence_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    fake = SGPFake(state_file=path)
    try:
        with sdk(fake) as client:
            model = client.models.create(model=HOSTED)
            client.models.update(model.id, model={"model_metadata": {"k": "v"}})
    finally:
        fake.close()
    again = SGPFake(state_file=path)
    try:
        with sdk(again) as client:
            assert client.models.retrieve(model.id).metadata == {"k": "v"}
    finally:
        again.close()


def test_contract_mode_answers_placeholders() -> None:
    fake = SGPFake(FakeSettings(contract=True, strict=True))
    with sdk(fake, "My Account ID") as client:
        made_up = client.models.retrieve("model_id")
        assert (made_up.id, made_up.status) == ("model_id", "ready")
        assert client.models.update("model_id", model={}).id == "model_id"
        assert client.models.delete("model_id").deleted
        body = {**LAUNCH, "vendor_configuration": {**LAUNCH["vendor_configuration"],
                                                   "model_infra": {}}}  # fmt: skip
        first = client.models.create(model=body)
        second = client.models.create(model=body)  # a placeholder name again: not refused
        assert first.id != second.id
        page = client.models.list(
            ending_before="ending_before",
            limit=1,
            model_vendor="openai",
            name="name",
            sort_by="sort_by",
            sort_order="asc",
            starting_after="starting_after",
        )
        assert page.items == []
    assert [json.loads(r.body)["id"] for r in fake.tables["v5_models"].all()] == [first.id]
    answer = raw(fake, "POST", "/v5/models", json={**HOSTED, "extra": 1})
    assert answer.json()["detail"][0]["type"] == "extra_forbidden"  # still validated exactly


def test_an_llmengine_key_the_sdk_does_not_name_is_dropped() -> None:
    body = {**LLM, "vendor_configuration": {"model": "llama-3-8b", "custom_knob": 7}}
    headers = {"x-api-key": "k", "x-selected-account-id": "acct_1"}
    fake = SGPFake(admin=True)
    with fake.client(headers=headers) as http:
        made = http.post("/v5/models", json=body)
        assert made.status_code == 200
        assert made.json()["vendor_configuration"] == {"model": "llama-3-8b"}
    with fake.client(api_key=None) as admin:  # the state document carries it back
        document = admin.get("/_fake/state").json()
        assert admin.put("/_fake/state", json=document).status_code == 200
    strict = SGPFake(FakeSettings(strict=True))
    with strict.client(headers=headers) as http:
        refused = http.post("/v5/models", json=body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "vendor_configuration", "custom_knob"]
