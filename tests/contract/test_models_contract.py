"""Contract mode for models and deployments: made-up records and parents that fit the request,
and SDK generated-style test modules run against ``sgp-fake serve --contract --strict`` with the
loose, strict and aiohttp clients."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.cli.process import ServerProcess
from tests.support.bodies import minimal_body

pytest.importorskip("scale_gp")
pytest.importorskip("aiohttp")

TIMEOUT = 30.0


def test_unknown_models_and_deployments_answer_as_if_they_existed(
    contract_fake: SGPFake, client: httpx.Client
) -> None:
    made_up = client.get("/v4/models/model_id", params={"view": "Deployments"}).json()
    assert (made_up["id"], made_up["account_id"], made_up["deployment_count"]) == (
        "model_id",
        "account_id",
        0,
    )
    assert made_up["model_template_id"] == "model_template_id"  # not built in
    assert made_up["deployments"] == []
    assert client.get("/v4/models/model_id").content == client.get("/v4/models/model_id").content
    deployment = client.get("/v4/models/model_x/deployments/deployment_id").json()
    assert (deployment["id"], deployment["model_instance_id"], deployment["status"]) == (
        "deployment_id",
        "model_x",
        "READY",
    )
    patched = client.patch("/v4/models/model_id", json={"display_name": "Shown"}).json()
    assert (patched["id"], patched["display_name"]) == ("model_id", "Shown")
    patched = client.patch(
        "/v4/models/m/deployments/d", json={"name": "renamed", "wait_for_ready": True}
    ).json()
    assert (patched["id"], patched["name"], patched["model_instance_id"]) == ("d", "renamed", "m")
    assert client.delete("/v4/models/model_id").json() == {"count": 1, "success": True}
    assert client.delete("/v4/models/m/deployments/d").json() == {"count": 1, "success": True}
    assert client.get("/v4/models/model_id/deployments").json()["items"] == []
    for kind in ("models", "deployments"):
        assert len(contract_fake.tables[kind]) == 0  # nothing stored


def test_creates_under_made_up_parents_answer_and_store_nothing(
    contract_fake: SGPFake, client: httpx.Client
) -> None:
    model = client.post(
        "/v4/models",
        json={
            "account_id": "acct_9",
            "model_type": "EMBEDDING",
            "name": "n",
            "model_template_id": "model_template_id",
            "model_creation_parameters": {"foo": "bar"},  # the made-up template has no schema
        },
    )
    assert model.status_code == 200
    assert (model.json()["account_id"], model.json()["model_type"]) == ("acct_9", "EMBEDDING")
    deployment = client.post(
        "/v4/models/model_instance_id/deployments",
        json={"name": "n", "account_id": "acct_7", "model_creation_parameters": {"foo": "bar"}},
    ).json()
    assert (deployment["account_id"], deployment["model_instance_id"]) == (
        "acct_7",
        "model_instance_id",
    )
    assert all(len(table) == 0 for table in contract_fake.tables.values())
    # A model without a template is no made-up parent's: it is created, with its deployment.
    built_in = client.post("/v4/models", json={"account_id": "a", "model_type": "AGENT",
                                               "name": "n"}).json()  # fmt: skip
    assert built_in["deployment_count"] == 1
    assert len(contract_fake.tables["models"]) == 1


def test_records_that_exist_keep_their_rules(contract_fake: SGPFake, client: httpx.Client) -> None:
    template = client.post("/v4/model-templates", json=minimal_body(account_id="acct_z")).json()

    def create(**overrides: str) -> httpx.Response:
        body = {"model_type": "COMPLETION", "name": "n", "model_template_id": template["id"]}
        return client.post("/v4/models", json={**body, **overrides})

    # another account's template exists: it is not made up for this account
    assert create(account_id="acct_1").status_code == 404
    real = create(account_id="acct_z")
    assert real.status_code == 200
    assert create(account_id="acct_z", model_type="EMBEDDING").status_code == 400
    with contract_fake.client(api_key="scoped") as scoped:
        assert scoped.get(f"/v4/models/{real.json()['id']}").status_code == 404
        assert scoped.get("/v4/models/x").json()["account_id"] == "acct_a"


def test_off_by_default(fake: SGPFake) -> None:
    with fake.client() as client:
        assert client.get("/v4/models/model_id").status_code == 404
        assert client.post("/v4/models/m/deployments", json={"name": "n"}).status_code == 404
        assert client.post("/v4/models", json={
            "account_id": "a", "model_type": "COMPLETION", "name": "n",
            "model_template_id": "model_template_id"}).status_code == 404  # fmt: skip


# -- generated-style SDK test modules against the standalone server ----------------------------

# As SDK generators (Stainless) emit them for the models and deployments resources, inference
# and usage statistics: placeholder ids, every parameter, the SDK's own types checked, each sync
# test with the loose and strict clients, each async one also over aiohttp; the streaming
# overloads open the stream and close it unread.
GENERATED_CONFTEST = """
import os

import pytest
import pytest_asyncio
from scale_gp import AsyncSGPClient, DefaultAioHttpClient, SGPClient

base_url = os.environ.get("TEST_API_BASE_URL", "http://127.0.0.1:4010")
api_key = "My API Key"


@pytest.fixture
def client(request):
    strict = getattr(request, "param", True)
    with SGPClient(
        base_url=base_url, api_key=api_key, _strict_response_validation=strict, max_retries=0
    ) as client:
        yield client


@pytest_asyncio.fixture
async def async_client(request):
    param = getattr(request, "param", True)
    strict, http_client = param, None
    if isinstance(param, dict):
        strict = True
        http_client = DefaultAioHttpClient() if param["http_client"] == "aiohttp" else None
    async with AsyncSGPClient(
        base_url=base_url,
        api_key=api_key,
        _strict_response_validation=strict,
        http_client=http_client,
        max_retries=0,
    ) as client:
        yield client
"""

_HEADER = """
from datetime import datetime
from typing import Any, cast

import pytest
from scale_gp.pagination import AsyncPageResponse, SyncPageResponse
from scale_gp.types import (
    EmbeddingResponse,
    GenericDeleteResponse,
    ModelInstance,
    ModelInstanceWithViews,
    RerankingResponse,
)
from scale_gp.types.models import ModelDeployment
from scale_gp.types.shared import CompletionResponse, ModelUsage

DATE = datetime.fromisoformat("2019-12-27T18:11:19.117+00:00")

SYNC = pytest.mark.parametrize("client", [False, True], indirect=True, ids=["loose", "strict"])
ASYNC = pytest.mark.parametrize(
    "async_client",
    [False, True, {"http_client": "aiohttp"}],
    indirect=True,
    ids=["loose", "strict", "aiohttp"],
)


def assert_matches_type(type_, value, path):
    assert isinstance(value, type_), path
"""

_COMPLETION = 'model_deployment_id="model_deployment_id", prompt="prompt"'
_CHAT = (
    'model_deployment_id="model_deployment_id", chat_history=[{"content": "string", '
    '"role": "user"}], prompt="prompt"'
)
_BINDINGS = 'model_request_parameters={"bindings": {"foo": "string"}}'
# Every parameter, as the generated tests send them: zeros for the numbers.
_SAMPLING = (
    ', chat_template="chat_template", chat_template_kwargs={"foo": "bar"}, '
    "frequency_penalty=0, logprobs=True, max_tokens=0, " + _BINDINGS + ", presence_penalty=0, "
    'reasoning_effort="low", stop_sequences=["string"], temperature=0, top_k=0, '
    "top_logprobs=0, top_p=0"
)
_USAGE = "chunks=0, end_date=DATE, start_date=DATE"

# name: (call, arguments, expected type); "Stream": the SSE overload (stream=True)
_CALLS = {
    "models": [
        ("create", "models.create", 'account_id="account_id", model_type="COMPLETION", '
         'name="name"', "ModelInstance"),
        ("create_with_all_params", "models.create", 'account_id="account_id", '
         'model_type="COMPLETION", name="name", base_model_id="base_model_id", '
         'base_model_metadata={"delivery_date": "delivery_date", "model_developer": '
         '"model_developer", "model_license_url": "model_license_url", "model_details": '
         '{"alignments": 0, "languages": 0, "number_of_parameters": 0, '
         '"token_context_window": 0}, "ui_model_section_type": "PARTNER"}, '
         'description="description", display_name="display_name", model_card="model_card", '
         'model_creation_parameters={"foo": "bar"}, model_group_id="model_group_id", '
         'model_template_id="model_template_id", model_vendor="OPENAI", '
         'training_data_card="training_data_card"', "ModelInstance"),
        ("retrieve", "models.retrieve", 'model_id="model_id"', "ModelInstanceWithViews"),
        ("retrieve_with_all_params", "models.retrieve", 'model_id="model_id", '
         'view=["Deployments"]', "ModelInstanceWithViews"),
        ("update", "models.update", 'model_id="model_id"', "ModelInstance"),
        ("update_with_all_params", "models.update", 'model_id="model_id", '
         'base_model_id="base_model_id", base_model_metadata={"delivery_date": "delivery_date", '
         '"model_developer": "model_developer", "model_license_url": "model_license_url", '
         '"model_details": {"alignments": 0, "languages": 0, "number_of_parameters": 0, '
         '"token_context_window": 0}, "ui_model_section_type": "PARTNER"}, '
         'description="description", display_name="display_name", model_card="model_card", '
         'model_creation_parameters={"foo": "bar"}, model_group_id="model_group_id", '
         'model_template_id="model_template_id", model_type="COMPLETION", '
         'model_vendor="OPENAI", name="name", training_data_card="training_data_card"',
         "ModelInstance"),
        ("list", "models.list", "", "Page[ModelInstanceWithViews]"),
        ("list_with_all_params", "models.list", 'account_id="account_id", limit=1, '
         'model_group_id=0, model_type=0, page=1, sort_by=["display_name:asc"], '
         'view=["Deployments"]', "Page[ModelInstanceWithViews]"),
        ("delete", "models.delete", '"model_id"', "GenericDeleteResponse"),
    ],
    "deployments": [
        ("create", "models.deployments.create", 'model_instance_id="model_instance_id", '
         'name="name"', "ModelDeployment"),
        ("create_with_all_params", "models.deployments.create", 'model_instance_id='
         '"model_instance_id", name="name", account_id="account_id", deployment_metadata='
         '{"foo": "bar"}, model_creation_parameters={"foo": "bar"}, vendor_configuration='
         '{"max_workers": 0, "min_workers": 0, "per_worker": 0, "vendor": "LAUNCH"}, '
         "wait_for_ready=True", "ModelDeployment"),
        ("retrieve", "models.deployments.retrieve", 'deployment_id="deployment_id", '
         'model_instance_id="model_instance_id"', "ModelDeployment"),
        ("update", "models.deployments.update", 'deployment_id="deployment_id", '
         'model_instance_id="model_instance_id"', "ModelDeployment"),
        ("update_with_all_params", "models.deployments.update", 'deployment_id='
         '"deployment_id", model_instance_id="model_instance_id", deployment_metadata='
         '{"foo": "bar"}, model_creation_parameters={"foo": "bar"}, name="name", '
         'vendor_configuration={"max_workers": 0, "min_workers": 0, "per_worker": 0, '
         '"vendor": "LAUNCH"}, wait_for_ready=True', "ModelDeployment"),
        ("list", "models.deployments.list", 'model_instance_id="model_instance_id"',
         "Page[ModelDeployment]"),
        ("list_with_all_params", "models.deployments.list", 'model_instance_id='
         '"model_instance_id", account_id="account_id", limit=1, page=1, '
         'sort_by=["model_creation_parameters:asc"]', "Page[ModelDeployment]"),
        ("delete", "models.deployments.delete", 'deployment_id="deployment_id", '
         'model_instance_id="model_instance_id"', "GenericDeleteResponse"),
        ("list_all", "models.deployments.list_all", "", "Page[ModelDeployment]"),
        ("list_all_with_all_params", "models.deployments.list_all", 'account_id="account_id", '
         'limit=1, page=1, sort_by=["model_creation_parameters:asc"]', "Page[ModelDeployment]"),
        ("execute", "models.deployments.execute", 'model_deployment_id="model_deployment_id", '
         'model_instance_id="model_instance_id"', "object"),
        ("execute_with_all_params", "models.deployments.execute", 'model_deployment_id='
         '"model_deployment_id", model_instance_id="model_instance_id", stream=True', "object"),
    ],
    "completions": [
        ("create_overload_1", "models.completions.create", _COMPLETION, "CompletionResponse"),
        ("create_with_all_params_overload_1", "models.completions.create",
         _COMPLETION + _SAMPLING + ", stream=False", "CompletionResponse"),
        ("create_overload_2", "models.completions.create", _COMPLETION + ", stream=True",
         "Stream"),
        ("create_with_all_params_overload_2", "models.completions.create",
         _COMPLETION + _SAMPLING + ", stream=True", "Stream"),
    ],
    "chat_completions": [
        ("create_overload_1", "models.chat_completions.create", _CHAT, "CompletionResponse"),
        ("create_with_all_params_overload_1", "models.chat_completions.create",
         _CHAT + _SAMPLING + ", stream=False", "CompletionResponse"),
        ("create_overload_2", "models.chat_completions.create", _CHAT + ", stream=True",
         "Stream"),
        ("create_with_all_params_overload_2", "models.chat_completions.create",
         _CHAT + _SAMPLING + ", stream=True", "Stream"),
    ],
    "embeddings": [
        ("create", "models.embeddings.create", 'model_deployment_id="model_deployment_id", '
         'texts=["string"]', "EmbeddingResponse"),
        ("create_with_all_params", "models.embeddings.create", 'model_deployment_id='
         '"model_deployment_id", texts=["string"], ' + _BINDINGS, "EmbeddingResponse"),
    ],
    "rerankings": [
        ("create", "models.rerankings.create", 'model_deployment_id="model_deployment_id", '
         'chunks=["string"], query="query"', "RerankingResponse"),
        ("create_with_all_params", "models.rerankings.create", 'model_deployment_id='
         '"model_deployment_id", chunks=["string"], query="query", instruction="instruction", '
         + _BINDINGS, "RerankingResponse"),
    ],
    "usage_statistics": [
        ("retrieve", "models.usage_statistics.retrieve", 'model_name="model_name", ' + _USAGE,
         "ModelUsage"),
    ],
    "deployments_usage_statistics": [
        ("retrieve", "models.deployments.usage_statistics.retrieve",
         'model_deployment_id="model_deployment_id", ' + _USAGE, "ModelUsage"),
    ],
}  # fmt: skip

# Where each resource's methods are.
_OWNERS = {
    "models": "models",
    "deployments": "models.deployments",
    "completions": "models.completions",
    "chat_completions": "models.chat_completions",
    "embeddings": "models.embeddings",
    "rerankings": "models.rerankings",
    "usage_statistics": "models.usage_statistics",
    "deployments_usage_statistics": "models.deployments.usage_statistics",
}

# The calls without an id the SDK refuses client-side (never reaching a server).
_EMPTY_IDS = {
    "models": [
        ("retrieve", 'model_id=""'),
        ("update", 'model_id=""'),
        ("delete", '""'),
    ],
    "deployments": [
        ("create", 'model_instance_id="", name="name"'),
        ("retrieve", 'deployment_id="deployment_id", model_instance_id=""'),
        ("retrieve", 'deployment_id="", model_instance_id="model_instance_id"'),
        ("update", 'deployment_id="deployment_id", model_instance_id=""'),
        ("update", 'deployment_id="", model_instance_id="model_instance_id"'),
        ("list", 'model_instance_id=""'),
        ("delete", 'deployment_id="deployment_id", model_instance_id=""'),
        ("delete", 'deployment_id="", model_instance_id="model_instance_id"'),
        ("execute", 'model_deployment_id="model_deployment_id", model_instance_id=""'),
        ("execute", 'model_deployment_id="", model_instance_id="model_instance_id"'),
    ],
    "completions": [
        ("create", 'model_deployment_id="", prompt="prompt"'),
        ("create", 'model_deployment_id="", prompt="prompt", stream=True'),
    ],
    "chat_completions": [
        ("create", 'model_deployment_id="", chat_history=[], prompt="prompt"'),
        ("create", 'model_deployment_id="", chat_history=[], prompt="prompt", stream=True'),
    ],
    "embeddings": [("create", 'model_deployment_id="", texts=["string"]')],
    "rerankings": [("create", 'model_deployment_id="", chunks=["string"], query="query"')],
    "usage_statistics": [("retrieve", 'model_name="", ' + _USAGE)],
    "deployments_usage_statistics": [("retrieve", 'model_deployment_id="", ' + _USAGE)],
}


def _generated_module(resource: str) -> tuple[str, int]:
    """A generated-style module for ``resource``, and how many tests it collects."""
    lines = [_HEADER]
    functions = 0
    for flavour, (client, aw, page) in {
        "Sync": ("client", "", "SyncPageResponse"),
        "Async": ("async_client", "await ", "AsyncPageResponse"),
    }.items():
        lines.append(f"\n\n@{'SYNC' if flavour == 'Sync' else 'ASYNC'}\nclass Test{flavour}:\n")
        prefix = "async " if aw else ""
        mark = "    @pytest.mark.asyncio\n" if aw else ""
        for name, method, arguments, type_name in _CALLS[resource]:
            expected = type_name.replace("Page[", f"{page}[")
            owner, _, verb = method.rpartition(".")
            raw = f"{owner}.with_raw_response.{verb}"
            streaming = f"{owner}.with_streaming_response.{verb}"
            if type_name == "Stream":
                lines.append(_stream_tests(name, method, raw, streaming, arguments, client, aw))
                functions += 1 if "with_all_params" in name else 3
                continue
            lines.append(
                f"{mark}    {prefix}def test_method_{name}(self, {client}) -> None:\n"
                f"        result = {aw}{client}.{method}({arguments})\n"
                f"        assert_matches_type({expected}, result, path=['response'])\n\n"
            )
            functions += 1
            if "with_all_params" in name:
                continue
            lines.append(
                f"{mark}    {prefix}def test_raw_response_{name}(self, {client}) -> None:\n"
                f"        response = {aw}{client}.{raw}({arguments})\n"
                "        assert response.is_closed is True\n"
                "        assert response.http_request.headers.get('X-Stainless-Lang') == "
                "'python'\n"
                f"        result = {aw}response.parse()\n"
                f"        assert_matches_type({expected}, result, path=['response'])\n\n"
                f"{mark}    {prefix}def test_streaming_response_{name}(self, {client}) -> None:\n"
                f"        {'async ' if aw else ''}with {client}.{streaming}({arguments}) as "
                "response:\n"
                "            assert not response.is_closed\n"
                f"            result = {aw}response.parse()\n"
                f"            assert_matches_type({expected}, result, path=['response'])\n"
                "        assert cast(Any, response.is_closed) is True\n\n"
            )
            functions += 2
        for number, (verb, arguments) in enumerate(_EMPTY_IDS[resource]):
            owner = _OWNERS[resource]
            lines.append(
                f"{mark}    {prefix}def test_path_params_{verb}_{number}(self, {client}) -> "
                "None:\n"
                "        with pytest.raises(ValueError, match='Expected a non-empty value'):\n"
                f"            {aw}{client}.{owner}.with_raw_response.{verb}({arguments})\n\n"
            )
            functions += 1
    # Each sync function runs twice (loose, strict), each async one three times.
    return textwrap.dedent("".join(lines)), functions // 2 * 5


def _stream_tests(  # noqa: PLR0917 - the parts of the calls, as the generator has them
    name: str, method: str, raw: str, streaming: str, arguments: str, client: str, aw: str
) -> str:
    """The tests of a streaming overload: the stream is opened and closed, never read."""
    mark = "    @pytest.mark.asyncio\n" if aw else ""
    prefix = "async " if aw else ""
    close = "await stream.response.aclose()" if aw else "stream.response.close()"
    code = (
        f"{mark}    {prefix}def test_method_{name}(self, {client}) -> None:\n"
        f"        stream = {aw}{client}.{method}({arguments})\n"
        f"        {close}\n\n"
    )
    if "with_all_params" in name:
        return code
    return code + (
        f"{mark}    {prefix}def test_raw_response_{name}(self, {client}) -> None:\n"
        f"        response = {aw}{client}.{raw}({arguments})\n"
        "        assert response.http_request.headers.get('X-Stainless-Lang') == 'python'\n"
        f"        stream = {aw}response.parse()\n"
        f"        {aw}stream.close()\n\n"
        f"{mark}    {prefix}def test_streaming_response_{name}(self, {client}) -> None:\n"
        f"        {prefix}with {client}.{streaming}({arguments}) as response:\n"
        "            assert not response.is_closed\n"
        "            assert response.http_request.headers.get('X-Stainless-Lang') == 'python'\n"
        f"            stream = {aw}response.parse()\n"
        f"            {aw}stream.close()\n"
        "        assert cast(Any, response.is_closed) is True\n\n"
    )


@pytest.fixture(scope="module")
def generated_suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("generated")
    (folder / "conftest.py").write_text(textwrap.dedent(GENERATED_CONFTEST))
    total = 0
    for resource in _CALLS:
        module, count = _generated_module(resource)
        (folder / f"test_{resource}.py").write_text(module)
        total += count
    return folder, total


def test_generated_sdk_suites_pass_in_contract_mode(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    generated_suite: tuple[Path, int],
    tmp_path: Path,
) -> None:
    folder, total = generated_suite
    for source in folder.iterdir():
        if source.suffix == ".py":
            (pytester.path / source.name).write_text(source.read_text())
    with ServerProcess("--contract", "--strict", timeout=TIMEOUT,
                       stderr=tmp_path / "stderr.log") as server:  # fmt: skip
        monkeypatch.setenv("TEST_API_BASE_URL", server.url)
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
        result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", "-q")
        result.assert_outcomes(passed=total)
        coverage = httpx.get(server.url + "/_fake/coverage", timeout=TIMEOUT).json()
        state = httpx.get(server.url + "/_fake/state", timeout=TIMEOUT).json()
    # generated functions, each sync and async: models, deployments (execute too), completions,
    # chat completions, embeddings, rerankings and the two usage statistics
    assert total == 5 * (22 + 36 + 10 + 10 + 5 + 5 + 4 + 4)
    operations = coverage["operations"]
    for name in (
        "create_model",
        "update_model",
        "create_model_deployment",
        "update_model_deployment",
        "list_models",
        "list_model_deployments",
        "list_all_model_deployments",
    ):
        assert operations[name]["unknown_fields_sent"] == [], name  # --strict refused none
        assert set(operations[name]["status_codes"]) == {"200"}, name
        assert operations[name]["request_fields"]["never_sent"] == [], name
    for name in (
        "create_completion",
        "create_chat_completion",
        "create_embedding",
        "create_reranking",
        "execute_model_deployment",
        "get_model_usage_statistics",
        "get_model_deployment_usage_statistics",
    ):
        assert operations[name]["unknown_fields_sent"] == [], name
        assert set(operations[name]["status_codes"]) == {"200"}, name
    # only the models created without a template (built in) were stored, with their deployment
    assert {m.get("model_template_id") for m in state["models"]} == {None}
    assert len(state["deployments"]) == len(state["models"]) > 0
