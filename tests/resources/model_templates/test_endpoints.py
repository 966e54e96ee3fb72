"""The model-templates routes: create, retrieve, list, delete, and the routes around them."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import httpx
import jsonschema
import pytest

from sgp_fake import SGPFake
from tests.support.bodies import minimal_body

FULL_BODY: dict[str, Any] = {
    "name": "reranker",
    "endpoint_type": "ASYNC",
    "model_type": "RERANKING",
    "account_id": "acct_1",
    "endpoint_protocol": "COHERE",
    "vendor_configuration": {
        "vendor": "LAUNCH",
        "bundle_config": {
            "registry": "ghcr.io/acme",
            "image": "reranker",
            "tag": "2.0.1",
            "command": ["python", "-m", "serve"],
            "env": {"MODEL_ID": "bge-reranker"},
            "streaming_command": ["python", "-m", "stream"],
        },
        "endpoint_config": {"gpus": 1, "gpu_type": "nvidia-ampere-a10", "max_workers": 4},
        "fine_tuning_job_bundle_config": {
            "registry": "ghcr.io/acme",
            "image": "trainer",
            "tag": "0.9",
            "training_dataset_schema_type": "RERANKING_QUESTIONS",
            "resources": {"gpus": 2, "gpu_type": "nvidia-hopper-h100"},
        },
    },
    "model_creation_parameters_schema": {
        "parameters": [
            {
                "name": "weights_uri",
                "type": "str",
                "description": "Where the weights are",
                "required": True,
            }
        ]
    },
    "model_request_parameters_schema": {
        "parameters": [{"name": "top_k", "type": "int", "description": None, "required": False}]
    },
}


@pytest.fixture
def client(fake: SGPFake) -> httpx.Client:
    return fake.client()


def validator(contract: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": contract["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def create(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v4/model-templates", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_fills_every_default(client: httpx.Client) -> None:
    created = create(client, minimal_body())
    assert created["vendor_configuration"] == {
        "vendor": "LAUNCH",
        "bundle_config": {
            "registry": "docker.io/acme",
            "image": "llm-server",
            "tag": "1.4.2",
            "readiness_initial_delay_seconds": 120,
            "healthcheck_route": "/readyz",
            "predict_route": "/predict",
            "streaming_predict_route": "/generate_streaming",
        },
    }
    # Optional fields without a default that were not sent are left out.
    for absent in (
        "endpoint_protocol",
        "model_creation_parameters_schema",
        "model_request_parameters_schema",
    ):
        assert absent not in created


def test_create_fills_nested_section_defaults(client: httpx.Client) -> None:
    created = create(client, FULL_BODY)
    vendor = created["vendor_configuration"]
    assert vendor["endpoint_config"] == {
        "cpus": 3,
        "memory": "8Gi",
        "storage": "16Gi",
        "gpus": 1,
        "gpu_type": "nvidia-ampere-a10",
        "min_workers": 0,
        "max_workers": 4,
        "per_worker": 10,
        "endpoint_type": "ASYNC",
        "high_priority": False,
    }
    fine_tuning = vendor["fine_tuning_job_bundle_config"]
    assert fine_tuning["mount_location"] == "/workspace/launch_specific/config.json"
    assert fine_tuning["resources"] == {
        "cpus": 3,
        "memory": "8Gi",
        "storage": "16Gi",
        "gpus": 2,
        "gpu_type": "nvidia-hopper-h100",
    }
    # Required but nullable: a null is answered as null, not left out.
    assert created["model_request_parameters_schema"] == {
        "parameters": [{"name": "top_k", "type": "int", "description": None, "required": False}]
    }
    assert created["endpoint_protocol"] == "COHERE"


def test_create_echoes_the_request_and_adds_identity(client: httpx.Client) -> None:
    created = create(client, FULL_BODY)
    for key in (
        "name",
        "endpoint_type",
        "model_type",
        "account_id",
        "model_creation_parameters_schema",
    ):
        assert created[key] == FULL_BODY[key]
    assert created["created_by_user_id"] == "user_sgp_fake"
    assert created["created_by_identity_type"] == "user"
    created_at = datetime.fromisoformat(created["created_at"])
    assert created_at.utcoffset() == timedelta(0)
    assert created["created_at"].endswith("+00:00")


NON_NULL_FULL_BODY = copy.deepcopy(FULL_BODY)
NON_NULL_FULL_BODY["model_request_parameters_schema"]["parameters"][0]["description"] = "How many"


@pytest.mark.parametrize("body", [minimal_body(), NON_NULL_FULL_BODY], ids=["minimal", "full"])
def test_every_answer_validates_against_the_contract(
    client: httpx.Client, contract: dict[str, Any], body: dict[str, Any]
) -> None:
    created = create(client, body)
    validator(contract, "ModelTemplateResponse").validate(created)
    validator(contract, "ModelTemplateRequest").validate(body)
    assert client.get(f"/v4/model-templates/{created['id']}").json() == created
    listed = client.get("/v4/model-templates").json()
    for item in listed["items"]:
        validator(contract, "ModelTemplateResponse").validate(item)


def test_ids_are_unique(client: httpx.Client) -> None:
    ids = {create(client, minimal_body())["id"] for _ in range(50)}
    assert len(ids) == 50


def test_retrieve_and_delete(client: httpx.Client, fake: SGPFake) -> None:
    created = create(client, minimal_body())
    url = f"/v4/model-templates/{created['id']}"
    assert client.get(url).json() == created
    deleted = client.delete(url)
    assert deleted.status_code == 200
    assert deleted.json() == {"count": 1, "success": True}
    assert client.get(url).status_code == 404
    again = client.delete(url)
    assert again.status_code == 404
    assert again.json() == {"detail": f"Model template {created['id']} not found"}
    assert len(fake.store) == 0


def test_unknown_id_is_404_json(client: httpx.Client) -> None:
    response = client.get("/v4/model-templates/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Model template does-not-exist not found"}


@pytest.mark.parametrize(
    "path", ["/v4/nothing", "/v3/model-templates", "/", "/v4/model-templates/a/b"]
)
def test_unknown_route_is_404_json(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v4/model-templates", "GET, HEAD, POST"),
        ("PATCH", "/v4/model-templates", "GET, HEAD, POST"),
        ("POST", "/v4/model-templates/abc", "DELETE, GET, HEAD"),
        ("PUT", "/v4/model-templates/abc", "DELETE, GET, HEAD"),
    ],
)
def test_wrong_method_is_405_json(client: httpx.Client, method: str, path: str, allow: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == allow


def test_list_is_empty_at_first(client: httpx.Client) -> None:
    assert client.get("/v4/model-templates").json() == {
        "items": [],
        "current_page": 1,
        "items_per_page": 100,
        "total_item_count": 0,
    }


def test_list_pages_in_creation_order(client: httpx.Client) -> None:
    ids = [create(client, minimal_body(name=f"t{i}"))["id"] for i in range(7)]
    pages = [
        client.get("/v4/model-templates", params={"limit": 3, "page": p}).json()
        for p in (1, 2, 3, 4)
    ]
    assert [[i["id"] for i in page["items"]] for page in pages] == [
        ids[0:3],
        ids[3:6],
        ids[6:7],
        [],
    ]
    assert [(p["current_page"], p["items_per_page"], p["total_item_count"]) for p in pages] == [
        (1, 3, 7),
        (2, 3, 7),
        (3, 3, 7),
        (4, 3, 7),
    ]


def test_list_edges(client: httpx.Client) -> None:
    ids = [create(client, minimal_body())["id"] for _ in range(3)]
    one = client.get("/v4/model-templates", params={"limit": 1, "page": 3}).json()
    assert [i["id"] for i in one["items"]] == [ids[2]]
    big = client.get("/v4/model-templates", params={"limit": 10000}).json()
    assert [i["id"] for i in big["items"]] == ids
    far = client.get("/v4/model-templates", params={"page": 10**6}).json()
    assert far["items"] == []
    assert far["total_item_count"] == 3


def test_list_skips_deleted_templates(client: httpx.Client) -> None:
    ids = [create(client, minimal_body())["id"] for _ in range(6)]
    for gone in (ids[0], ids[3]):
        client.delete(f"/v4/model-templates/{gone}")
    listed = client.get("/v4/model-templates", params={"limit": 2, "page": 2}).json()
    assert [i["id"] for i in listed["items"]] == [ids[4], ids[5]]
    assert listed["total_item_count"] == 4


def test_list_filters_by_account(client: httpx.Client) -> None:
    mine = [create(client, minimal_body(account_id="a"))["id"] for _ in range(2)]
    create(client, minimal_body(account_id="b"))
    listed = client.get("/v4/model-templates", params={"account_id": "a"}).json()
    assert [i["id"] for i in listed["items"]] == mine
    assert listed["total_item_count"] == 2
    selected = client.get("/v4/model-templates", headers={"x-selected-account-id": "b"}).json()
    assert selected["total_item_count"] == 1


def test_list_query_account_beats_the_selected_account(client: httpx.Client) -> None:
    mine = create(client, minimal_body(account_id="a"))["id"]
    create(client, minimal_body(account_id="b"))
    listed = client.get(
        "/v4/model-templates", params={"account_id": "a"}, headers={"x-selected-account-id": "b"}
    ).json()
    assert [i["id"] for i in listed["items"]] == [mine]


def test_list_takes_the_last_of_repeated_query_values(client: httpx.Client) -> None:
    create(client, minimal_body(account_id="a"))
    theirs = create(client, minimal_body(account_id="b"))["id"]
    listed = client.get("/v4/model-templates?account_id=a&limit=0&account_id=b&limit=5").json()
    assert [i["id"] for i in listed["items"]] == [theirs]
    assert listed["items_per_page"] == 5


def test_openapi_document_covers_every_route(fake: SGPFake) -> None:
    with fake.client(api_key=None) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    assert set(paths["/v4/model-templates"]) == {"get", "post"}
    assert set(paths["/v4/model-templates/{model_template_id}"]) == {"get", "delete"}
    schemas = document["components"]["schemas"]
    for name in (
        "ModelTemplateRequest",
        "ModelTemplateResponse",
        "PaginatedModelTemplates",
        "GenericDeleteResponse",
        "HTTPValidationError",
    ):
        assert name in schemas
    routes = {
        (r.path, m.lower())
        for r in fake.app.routes
        for m in (getattr(r, "methods", None) or ())
        if m != "HEAD"
    }
    for path, method in routes:
        assert method in paths.get(path, {}), (
            f"{method.upper()} {path} is served but not documented"
        )


def test_full_body_is_not_mutated_by_the_fake(client: httpx.Client) -> None:
    before = copy.deepcopy(FULL_BODY)
    create(client, FULL_BODY)
    assert before == FULL_BODY
