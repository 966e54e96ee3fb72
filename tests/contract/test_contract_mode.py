"""SDK contract mode: made-up ids answer, while every request is still validated exactly."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from sgp_fake import FakeSettings, Identity, SGPFake
from sgp_fake.cli.process import ServerProcess
from sgp_fake.core.call import CONTRACT_ACCOUNT_ID
from sgp_fake.resources.model_templates.schemas import ModelTemplateResponse
from tests.support.bodies import minimal_body

pytest.importorskip("scale_gp")

TIMEOUT = 30.0
LIST = "/v4/model-templates"


def test_unknown_id_is_retrieved_as_if_it_existed(
    contract_fake: SGPFake, client: httpx.Client
) -> None:
    answer = client.get(f"{LIST}/model_template_id")
    assert answer.status_code == 200
    template = ModelTemplateResponse.model_validate(answer.json())
    assert template.id == "model_template_id"
    assert template.account_id == CONTRACT_ACCOUNT_ID
    assert (template.created_by_user_id, template.created_by_identity_type.value) == (
        "alice",
        "user",
    )
    assert client.get(f"{LIST}/model_template_id").content == answer.content  # reproducible
    assert client.get(f"{LIST}/another").json()["id"] == "another"
    assert len(contract_fake.store) == 0  # nothing is stored


def test_made_up_template_is_in_the_callers_account(contract_fake: SGPFake) -> None:
    with contract_fake.client(api_key="scoped") as scoped:
        fetched = scoped.get(f"{LIST}/x").json()
        assert fetched["account_id"] == "acct_a"  # the first of the caller's accounts
        assert fetched["created_by_identity_type"] == "service_account"
        selected = scoped.get(f"{LIST}/x", headers={"x-selected-account-id": "acct_b"})
        assert selected.json()["account_id"] == "acct_b"
        refused = scoped.get(f"{LIST}/x", headers={"x-selected-account-id": "acct_z"})
        assert refused.status_code == 403


def test_unknown_id_is_deleted_as_if_it_existed(
    contract_fake: SGPFake, client: httpx.Client
) -> None:
    kept = client.post(LIST, json=minimal_body()).json()
    answer = client.delete(f"{LIST}/model_template_id")
    assert answer.status_code == 200
    assert answer.json() == {"count": 1, "success": True}
    assert [t.id for t in contract_fake.store.all()] == [kept["id"]]


def test_real_templates_behave_as_always(contract_fake: SGPFake, client: httpx.Client) -> None:
    created = client.post(LIST, json=minimal_body()).json()
    assert client.get(f"{LIST}/{created['id']}").json() == created
    listed = client.get(LIST).json()
    assert listed["items"] == [created]
    assert client.delete(f"{LIST}/{created['id']}").json() == {"count": 1, "success": True}
    assert len(contract_fake.store) == 0
    # once deleted, the id is unknown again, so it is made up like any other
    made_up = client.get(f"{LIST}/{created['id']}").json()
    assert made_up["id"] == created["id"]
    assert made_up != created
    assert client.get(LIST).json()["total_item_count"] == 0


def test_a_template_the_caller_may_not_see_is_still_404(contract_fake: SGPFake) -> None:
    with contract_fake.client(api_key="any") as alice:
        foreign = alice.post(LIST, json=minimal_body(account_id="acct_z")).json()
    with contract_fake.client(api_key="scoped") as scoped:
        assert scoped.get(f"{LIST}/{foreign['id']}").status_code == 404
        assert scoped.delete(f"{LIST}/{foreign['id']}").status_code == 404
    assert foreign["id"] in contract_fake.store


def test_requests_are_still_validated_exactly(contract_fake: SGPFake) -> None:
    plain = SGPFake(FakeSettings(api_keys={"any": Identity("alice")}))
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", LIST, {"json": {"name": 1}}),
        ("POST", LIST, {"json": minimal_body(endpoint_type="FAST")}),
        ("POST", LIST, {"content": b"{nope", "headers": {"content-type": "application/json"}}),
        ("GET", LIST, {"params": {"limit": 0}}),
        ("GET", LIST, {"params": {"page": "x"}}),
    ]
    with contract_fake.client(api_key="any") as contract, plain.client(api_key="any") as normal:
        for method, path, kwargs in requests:
            ours = contract.request(method, path, **kwargs)
            theirs = normal.request(method, path, **kwargs)
            assert ours.status_code == 422
            assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content)
    with contract_fake.client(api_key=None) as anonymous:
        assert anonymous.get(f"{LIST}/x").status_code == 401
    with contract_fake.client(api_key="wrong") as stranger:
        assert stranger.delete(f"{LIST}/x").status_code == 401


def test_off_by_default(fake: SGPFake) -> None:
    with fake.client() as client:
        assert client.get(f"{LIST}/model_template_id").status_code == 404
        assert client.delete(f"{LIST}/model_template_id").status_code == 404


def test_strict_with_contract_rejects_unknown_fields() -> None:
    fake = SGPFake(FakeSettings(contract=True, strict=True))
    with fake.client() as client:
        answer = client.post(LIST, json=minimal_body(extra_field=True))
        assert answer.status_code == 422
        assert answer.json()["detail"] == [
            {
                "type": "extra_forbidden",
                "loc": ["body", "extra_field"],
                "msg": "Extra inputs are not permitted",
                "input": True,
            }
        ]
        assert client.get(f"{LIST}/x").status_code == 200


# -- a generated-style SDK test module against the standalone server ----------------------------

# What SDK generators (Stainless) emit for this resource: made-up ids and placeholder values,
# each call checked against the SDK's own types, with loose and strict response validation.
GENERATED_CONFTEST = """
import os

import pytest
import pytest_asyncio
from scale_gp import AsyncSGPClient, SGPClient

base_url = os.environ.get("TEST_API_BASE_URL", "http://127.0.0.1:4010")
api_key = "My API Key"


@pytest.fixture(params=[False, True], ids=["loose", "strict"])
def client(request):
    strict = request.param
    with SGPClient(
        base_url=base_url, api_key=api_key, _strict_response_validation=strict, max_retries=0
    ) as client:
        yield client


@pytest_asyncio.fixture(params=[False, True], ids=["loose", "strict"])
async def async_client(request):
    async with AsyncSGPClient(
        base_url=base_url,
        api_key=api_key,
        _strict_response_validation=request.param,
        max_retries=0,
    ) as client:
        yield client
"""

GENERATED_TESTS = """
from typing import Any, cast

import pytest
from scale_gp.pagination import AsyncPageResponse, SyncPageResponse
from scale_gp.types import GenericDeleteResponse, ModelTemplate


def assert_matches_type(type_, value, path):
    assert isinstance(value, type_), path


class TestModelTemplates:
    def test_method_create(self, client) -> None:
        model_template = client.model_templates.create(
            account_id="account_id",
            endpoint_type="SYNC",
            model_type="COMPLETION",
            name="name",
            vendor_configuration={
                "bundle_config": {"image": "image", "registry": "registry", "tag": "tag"}
            },
        )
        assert_matches_type(ModelTemplate, model_template, path=["response"])

    def test_method_create_with_all_params(self, client) -> None:
        model_template = client.model_templates.create(
            account_id="account_id",
            endpoint_type="SYNC",
            model_type="COMPLETION",
            name="name",
            vendor_configuration={
                "bundle_config": {
                    "image": "image",
                    "registry": "registry",
                    "tag": "tag",
                    "command": ["string"],
                    "env": {"foo": "string"},
                    "healthcheck_route": "healthcheck_route",
                    "predict_route": "predict_route",
                    "readiness_initial_delay_seconds": 0,
                    "streaming_command": ["string"],
                    "streaming_predict_route": "streaming_predict_route",
                },
                "endpoint_config": {
                    "cpus": 0,
                    "endpoint_type": "SYNC",
                    "gpu_type": "nvidia-tesla-t4",
                    "gpus": 0,
                    "high_priority": True,
                    "max_workers": 0,
                    "memory": "memory",
                    "min_workers": 0,
                    "per_worker": 0,
                    "storage": "storage",
                },
                "fine_tuning_job_bundle_config": {
                    "image": "image",
                    "registry": "registry",
                    "tag": "tag",
                    "command": ["string"],
                    "env": {"foo": "string"},
                    "mount_location": "mount_location",
                    "resources": {
                        "cpus": 0,
                        "gpu_type": "nvidia-tesla-t4",
                        "gpus": 0,
                        "memory": "memory",
                        "storage": "storage",
                    },
                    "training_dataset_schema_type": "GENERATION",
                },
                "vendor": "LAUNCH",
            },
            endpoint_protocol="SGP",
            model_creation_parameters_schema={
                "parameters": [
                    {"description": "description", "name": "name", "required": True, "type": "str"}
                ]
            },
            model_request_parameters_schema={
                "parameters": [
                    {"description": "description", "name": "name", "required": True, "type": "str"}
                ]
            },
        )
        assert_matches_type(ModelTemplate, model_template, path=["response"])

    def test_raw_response_create(self, client) -> None:
        response = client.model_templates.with_raw_response.create(
            account_id="account_id",
            endpoint_type="SYNC",
            model_type="COMPLETION",
            name="name",
            vendor_configuration={
                "bundle_config": {"image": "image", "registry": "registry", "tag": "tag"}
            },
        )
        assert response.is_closed is True
        assert response.http_request.headers.get("X-Stainless-Lang") == "python"
        model_template = response.parse()
        assert_matches_type(ModelTemplate, model_template, path=["response"])

    def test_streaming_response_create(self, client) -> None:
        with client.model_templates.with_streaming_response.create(
            account_id="account_id",
            endpoint_type="SYNC",
            model_type="COMPLETION",
            name="name",
            vendor_configuration={
                "bundle_config": {"image": "image", "registry": "registry", "tag": "tag"}
            },
        ) as response:
            assert not response.is_closed
            model_template = response.parse()
            assert_matches_type(ModelTemplate, model_template, path=["response"])
        assert cast(Any, response.is_closed) is True

    def test_method_retrieve(self, client) -> None:
        model_template = client.model_templates.retrieve("model_template_id")
        assert_matches_type(ModelTemplate, model_template, path=["response"])

    def test_raw_response_retrieve(self, client) -> None:
        response = client.model_templates.with_raw_response.retrieve("model_template_id")
        assert response.is_closed is True
        model_template = response.parse()
        assert_matches_type(ModelTemplate, model_template, path=["response"])

    def test_streaming_response_retrieve(self, client) -> None:
        with client.model_templates.with_streaming_response.retrieve(
            "model_template_id"
        ) as response:
            assert not response.is_closed
            model_template = response.parse()
            assert_matches_type(ModelTemplate, model_template, path=["response"])
        assert cast(Any, response.is_closed) is True

    def test_path_params_retrieve(self, client) -> None:
        with pytest.raises(ValueError, match="Expected a non-empty value"):
            client.model_templates.with_raw_response.retrieve("")

    def test_method_list(self, client) -> None:
        model_template = client.model_templates.list()
        assert_matches_type(SyncPageResponse[ModelTemplate], model_template, path=["response"])

    def test_method_list_with_all_params(self, client) -> None:
        model_template = client.model_templates.list(account_id="account_id", limit=1, page=1)
        assert_matches_type(SyncPageResponse[ModelTemplate], model_template, path=["response"])

    def test_raw_response_list(self, client) -> None:
        response = client.model_templates.with_raw_response.list()
        assert response.is_closed is True
        model_template = response.parse()
        assert_matches_type(SyncPageResponse[ModelTemplate], model_template, path=["response"])

    def test_method_delete(self, client) -> None:
        model_template = client.model_templates.delete("model_template_id")
        assert_matches_type(GenericDeleteResponse, model_template, path=["response"])

    def test_raw_response_delete(self, client) -> None:
        response = client.model_templates.with_raw_response.delete("model_template_id")
        assert response.is_closed is True
        model_template = response.parse()
        assert_matches_type(GenericDeleteResponse, model_template, path=["response"])

    def test_path_params_delete(self, client) -> None:
        with pytest.raises(ValueError, match="Expected a non-empty value"):
            client.model_templates.with_raw_response.delete("")


class TestAsyncModelTemplates:
    @pytest.mark.asyncio
    async def test_method_retrieve(self, async_client) -> None:
        model_template = await async_client.model_templates.retrieve("model_template_id")
        assert_matches_type(ModelTemplate, model_template, path=["response"])

    @pytest.mark.asyncio
    async def test_method_list(self, async_client) -> None:
        model_template = await async_client.model_templates.list(limit=1)
        assert_matches_type(AsyncPageResponse[ModelTemplate], model_template, path=["response"])

    @pytest.mark.asyncio
    async def test_method_delete(self, async_client) -> None:
        model_template = await async_client.model_templates.delete("model_template_id")
        assert_matches_type(GenericDeleteResponse, model_template, path=["response"])
"""

SYNC_TESTS = 14 * 2  # loose and strict
ASYNC_TESTS = 3 * 2


@pytest.fixture(scope="module")
def generated_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("generated")
    (folder / "conftest.py").write_text(textwrap.dedent(GENERATED_CONFTEST))
    (folder / "test_model_templates.py").write_text(textwrap.dedent(GENERATED_TESTS))
    return folder


def run_generated_suite(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    suite: Path,
    server: ServerProcess,
    *args: str,
) -> pytest.RunResult:
    for source in suite.iterdir():
        if source.suffix == ".py":
            (pytester.path / source.name).write_text(source.read_text())
    monkeypatch.setenv("TEST_API_BASE_URL", server.url)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    # In process: the SDK and pytest's plugins are imported once, not once per run.
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", "-q", *args)


def test_generated_sdk_suite_passes_in_contract_mode(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    generated_suite: Path,
    tmp_path: Path,
) -> None:
    stderr = tmp_path / "stderr.log"
    with ServerProcess("--contract", "--strict", timeout=TIMEOUT, stderr=stderr) as server:
        result = run_generated_suite(pytester, monkeypatch, generated_suite, server)
        result.assert_outcomes(passed=SYNC_TESTS + ASYNC_TESTS)
        coverage = httpx.get(server.url + "/_fake/coverage", timeout=TIMEOUT).json()
    # the suite sent every field of the contract (strict mode refused none of them)
    create = coverage["operations"]["create_model_template"]
    assert create["request_fields"]["never_sent"] == []
    assert create["unknown_fields_sent"] == []
    assert create["status_codes"] == {"200": 8}


def test_generated_sdk_suite_needs_contract_mode(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    generated_suite: Path,
    tmp_path: Path,
) -> None:
    stderr = tmp_path / "stderr.log"
    with ServerProcess(timeout=TIMEOUT, stderr=stderr) as server:
        result = run_generated_suite(
            pytester, monkeypatch, generated_suite, server, "-k", "retrieve or delete", "--tb=line"
        )
    # every call with a made-up id fails with 404 against a plain fake; only the checks of
    # empty ids, which never reach the server, pass
    made_up = 2 * (3 + 2) + 2 * 2  # sync retrieve x3 and delete x2, async retrieve and delete
    result.assert_outcomes(
        passed=2 * 2, failed=made_up, deselected=SYNC_TESTS + ASYNC_TESTS - made_up - 4
    )
    assert result.stdout.str().count("NotFoundError") >= made_up
