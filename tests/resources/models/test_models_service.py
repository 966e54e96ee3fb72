"""What the fake does for every resource, for models and deployments: accounts and keys, the
journal, faults and rate limits, coverage, strict mode, the OpenAPI document, the admin state,
per-account reset, seed files and the serve flags of the clock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sgp_fake import FakeSettings, Identity, RateLimit, SGPFake
from sgp_fake.cli.process import ServerProcess
from sgp_fake.factories import ModelFactory, seed_deployment
from sgp_fake.resources import REGISTRY
from tests.support.bodies import minimal_body

TIMEOUT = 30.0
KEYS = {
    "key-alice": Identity("alice", accounts=frozenset({"acct_1"})),
    "key-bob": Identity("bob", "service_account", frozenset({"acct_2"})),
}
MODEL = {"name": "m", "model_type": "COMPLETION", "account_id": "acct_1"}


@pytest.fixture
def keyed() -> SGPFake:
    return SGPFake(FakeSettings(api_keys=KEYS), admin=True, coverage=True)


def _model(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post("/v4/models", json={**MODEL, **body})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_accounts_and_api_keys_apply(keyed: SGPFake) -> None:
    with keyed.client(api_key="key-alice") as alice, keyed.client(api_key="key-bob") as bob:
        mine = _model(alice)
        deployment = alice.post(f"/v4/models/{mine['id']}/deployments", json={"name": "d"})
        assert deployment.status_code == 400  # built in: it has its one deployment
        (auto,) = alice.get(f"/v4/models/{mine['id']}/deployments").json()["items"]
        assert auto["created_by_user_id"] == "alice"
        assert alice.post("/v4/models", json={**MODEL, "account_id": "acct_2"}).status_code == 403
        selected = {"x-selected-account-id": "acct_2"}
        assert alice.get("/v4/models", headers=selected).status_code == 403
        foreign_list = alice.get("/v4/model-deployments", params={"account_id": "acct_2"})
        assert foreign_list.status_code == 403
        for method, path in [
            ("GET", f"/v4/models/{mine['id']}"),
            ("PATCH", f"/v4/models/{mine['id']}"),
            ("DELETE", f"/v4/models/{mine['id']}"),
            ("GET", f"/v4/models/{mine['id']}/deployments"),
            ("GET", f"/v4/models/{mine['id']}/deployments/{auto['id']}"),
            ("POST", f"/v4/models/{mine['id']}/deployments"),
        ]:
            kwargs = {"json": {"name": "x"}} if method in ("PATCH", "POST") else {}
            answer = bob.request(method, path, **kwargs)
            assert answer.status_code == 404, (method, path)
        assert bob.get("/v4/models").json()["items"] == []
        assert bob.get("/v4/model-deployments").json()["items"] == []
        assert [d["id"] for d in alice.get("/v4/model-deployments").json()["items"]] == [auto["id"]]
        template = alice.post("/v4/model-templates", json=minimal_body()).json()
        from_template = _model(alice, model_template_id=template["id"])
        foreign = alice.post(
            f"/v4/models/{from_template['id']}/deployments",
            json={"name": "d", "account_id": "acct_2"},
        )
        assert foreign.status_code == 403  # an account the caller may not use
    with keyed.client(api_key=None) as anonymous:
        assert anonymous.get("/v4/models").status_code == 401
        assert anonymous.post("/v4/models", json={}).status_code == 401  # before the 422
    with keyed.client(api_key="wrong") as stranger:
        assert stranger.get("/v4/model-deployments").status_code == 401


def test_the_journal_tags_every_operation(fake: SGPFake) -> None:
    with fake.client() as client:
        template = client.post("/v4/model-templates", json=minimal_body()).json()
        made = _model(client, model_template_id=template["id"])
        base = f"/v4/models/{made['id']}"
        deployment = client.post(f"{base}/deployments", json={"name": "d"}).json()
        client.get(base)
        client.get("/v4/models")
        client.patch(base, json={"description": "x"})
        client.get(f"{base}/deployments")
        client.get(f"{base}/deployments/{deployment['id']}")
        client.patch(f"{base}/deployments/{deployment['id']}", json={"name": "e"})
        client.get("/v4/model-deployments")
        client.delete(f"{base}/deployments/{deployment['id']}")
        client.delete(base)
    assert [e.operation for e in fake.journal] == [
        "create_model_template",
        "create_model",
        "create_model_deployment",
        "get_model",
        "list_models",
        "update_model",
        "list_model_deployments",
        "get_model_deployment",
        "update_model_deployment",
        "list_all_model_deployments",
        "delete_model_deployment",
        "delete_model",
    ]
    assert [e.operation for e in fake.journal.creates] == [
        "create_model_template",
        "create_model",
        "create_model_deployment",
    ]
    assert fake.journal.calls("update_model")[0].json == {"description": "x"}


def test_faults_and_rate_limits_apply(fake: SGPFake) -> None:
    fake.faults.add(method="POST", path="/v4/models/*/deployments", status=503, times=1,
                    retry_after_ms=1)  # fmt: skip
    with fake.sdk_client() as sdk:
        template = sdk.model_templates.create(**minimal_body())
        made = sdk.models.create(**MODEL, model_template_id=template.id)
        deployment = sdk.models.deployments.create(made.id, name="d")  # retried once
    assert [e.status for e in fake.journal.calls("create_model_deployment")] == [503, 200]
    assert deployment.status == "READY"
    fake.rate_limiter.configure(RateLimit(rate=0.001, burst=1))
    with fake.client() as client:
        assert client.get("/v4/model-deployments").status_code == 200
        assert client.get("/v4/model-deployments").status_code == 429


def test_coverage_counts_the_new_operations(keyed: SGPFake) -> None:
    with keyed.client(api_key="key-alice") as client:
        body = {**ModelFactory(seed=1, account_id="acct_1").request(optional="all"), "colour": 1}
        client.post("/v4/models", json=body)
        client.post("/v4/models", json={"name": 1})
        client.get("/v4/models", params={"sort_by": "name:asc", "view": "Deployments"})
    assert keyed.coverage is not None
    report = keyed.coverage.report().operations
    create = report["create_model"]
    assert (create.calls, create.status_codes) == (2, {"200": 1, "422": 1})
    assert "base_model_metadata.modelDetails.token_context_window" in create.request_fields.sent
    assert create.unknown_fields_sent == ["colour"]
    assert create.enum_values["model_vendor"].used == [body["model_vendor"]]
    listed = report["list_models"]
    assert set(listed.request_fields.sent) == {"sort_by", "view"}
    assert report["list_all_model_deployments"].calls == 0


def test_strict_mode_refuses_unknown_fields_and_parameters() -> None:
    fake = SGPFake(FakeSettings(strict=True))
    with fake.client() as client:
        extra = client.post("/v4/models", json={**MODEL, "colour": "red"})
        assert extra.json()["detail"] == [
            {
                "type": "extra_forbidden",
                "loc": ["body", "colour"],
                "msg": "Extra inputs are not permitted",
                "input": "red",
            }
        ]
        made = _model(client)
        patch = client.patch(f"/v4/models/{made['id']}", json={"account_id": "acct_2"})
        assert patch.json()["detail"][0]["loc"] == ["body", "account_id"]  # not an update field
        query = client.get("/v4/model-deployments", params={"view": "Deployments"})
        assert query.json()["detail"][0]["loc"] == ["query", "view"]
        alias = client.post(
            "/v4/models", json={**MODEL, "base_model_metadata": {"model_details": {}}}
        )
        assert alias.json()["detail"][0]["loc"] == ["body", "base_model_metadata", "model_details"]


def test_the_openapi_document_tells_every_status_the_routes_answer(keyed: SGPFake) -> None:
    answered: dict[tuple[str, str], set[int]] = {}
    with keyed.client(api_key="key-alice") as alice, keyed.client(api_key=None) as anonymous:
        template = alice.post("/v4/model-templates", json=minimal_body()).json()
        chat = alice.post(
            "/v4/model-templates", json=minimal_body(model_type="CHAT_COMPLETION")
        ).json()
        made = _model(alice, model_template_id=template["id"])
        built_in = _model(alice)
        (auto,) = alice.get(f"/v4/models/{built_in['id']}/deployments").json()["items"]
        deployment = alice.post(f"/v4/models/{made['id']}/deployments", json={"name": "d"}).json()
        m, d, b = made["id"], deployment["id"], built_in["id"]
        attempts: list[tuple[str, str, str, Any]] = [
            ("POST", "/v4/models", "/v4/models", {**MODEL, "model_template_id": template["id"]}),
            ("POST", "/v4/models", "/v4/models", {**MODEL, "model_template_id": chat["id"]}),
            ("POST", "/v4/models", "/v4/models", {**MODEL, "model_template_id": "nope"}),
            ("POST", "/v4/models", "/v4/models", {**MODEL, "account_id": "acct_2"}),
            ("POST", "/v4/models", "/v4/models", {**MODEL, "name": 1}),
            ("POST", "/v4/models", "/v4/models", b"\xff"),
            ("GET", "/v4/models", "/v4/models", None),
            ("GET", "/v4/models?sort_by=x", "/v4/models", None),
            ("GET", "/v4/models?account_id=acct_2", "/v4/models", None),
            ("GET", f"/v4/models/{m}?view=Deployments", "/v4/models/{model_id}", None),
            ("GET", "/v4/models/nope", "/v4/models/{model_id}", None),
            ("GET", f"/v4/models/{m}?view=Nope", "/v4/models/{model_id}", None),
            ("PATCH", f"/v4/models/{m}", "/v4/models/{model_id}", {"name": "n"}),
            ("PATCH", f"/v4/models/{m}", "/v4/models/{model_id}", {"model_type": "EMBEDDING"}),
            ("PATCH", "/v4/models/nope", "/v4/models/{model_id}", {}),
            ("PATCH", f"/v4/models/{m}", "/v4/models/{model_id}", {"name": 1}),
            ("PATCH", f"/v4/models/{m}", "/v4/models/{model_id}", b"\xff"),
            ("DELETE", "/v4/models/nope", "/v4/models/{model_id}", None),
            ("DELETE", f"/v4/model-templates/{template['id']}",
             "/v4/model-templates/{model_template_id}", None),
        ]  # fmt: skip
        deployments = "/v4/models/{model_instance_id}/deployments"
        one = deployments + "/{deployment_id}"
        attempts += [
            ("POST", f"/v4/models/{m}/deployments", deployments, {"name": "e"}),
            ("POST", f"/v4/models/{m}/deployments", deployments, {"name": "e", "account_id": "x"}),
            ("POST", f"/v4/models/{m}/deployments", deployments,
             {"name": "e", "account_id": "acct_3"}),
            ("POST", f"/v4/models/{b}/deployments", deployments, {"name": "e"}),
            ("POST", "/v4/models/nope/deployments", deployments, {"name": "e"}),
            ("POST", f"/v4/models/{m}/deployments", deployments, {"name": 1}),
            ("POST", f"/v4/models/{m}/deployments", deployments, b"\xff"),
            ("GET", f"/v4/models/{m}/deployments", deployments, None),
            ("GET", "/v4/models/nope/deployments", deployments, None),
            ("GET", f"/v4/models/{m}/deployments?limit=x", deployments, None),
            ("GET", f"/v4/models/{m}/deployments?account_id=acct_2", deployments, None),
            ("GET", f"/v4/models/{m}/deployments/{d}", one, None),
            ("GET", f"/v4/models/{m}/deployments/nope", one, None),
            ("PATCH", f"/v4/models/{m}/deployments/{d}", one, {"name": "f"}),
            ("PATCH", f"/v4/models/{b}/deployments/{auto['id']}", one, {"name": "f"}),
            ("PATCH", f"/v4/models/{m}/deployments/nope", one, {}),
            ("PATCH", f"/v4/models/{m}/deployments/{d}", one, {"name": 1}),
            ("PATCH", f"/v4/models/{m}/deployments/{d}", one, b"\xff"),
            ("DELETE", f"/v4/models/{b}/deployments/{auto['id']}", one, None),
            ("DELETE", f"/v4/models/{m}/deployments/{d}", one, None),
            ("DELETE", f"/v4/models/{m}/deployments/{d}", one, None),
            ("GET", "/v4/model-deployments", "/v4/model-deployments", None),
            ("GET", "/v4/model-deployments?page=x", "/v4/model-deployments", None),
            ("GET", "/v4/model-deployments?account_id=acct_2", "/v4/model-deployments", None),
            ("DELETE", f"/v4/models/{b}", "/v4/models/{model_id}", None),
        ]  # fmt: skip
        for method, url, route, body in attempts:
            kwargs: dict[str, Any] = {}
            if isinstance(body, bytes):
                kwargs = {"content": body, "headers": {"content-type": "application/json"}}
            elif body is not None:
                kwargs = {"json": body}
            status = alice.request(method, url, **kwargs).status_code
            answered.setdefault((method, route), set()).add(status)
            answered[(method, route)].add(anonymous.request(method, url, **kwargs).status_code)
            foreign = {**kwargs.get("headers", {}), "x-selected-account-id": "acct_2"}
            status = alice.request(method, url, **{**kwargs, "headers": foreign}).status_code
            answered[(method, route)].add(status)
        small = SGPFake(FakeSettings(max_body_size=10))
        with small.client() as tiny:
            for method, url, route, body in attempts:
                if body is not None:
                    status = tiny.request(method, url, json={"name": "x" * 20}).status_code
                    answered[(method, route)].add(status)
        # Any fake can be given a rate limit: every SGP route documents its 429.
        limited = SGPFake()
        limited.rate_limiter.configure(RateLimit(rate=0.001, burst=1))
        with limited.client() as spent:
            spent.get("/v4/models")  # the one token
            for method, url, route, _ in attempts:
                answered[(method, route)].add(spent.request(method, url).status_code)
        document = alice.get("/openapi.json").json()
    for (method, route), statuses in answered.items():
        documented = {int(s) for s in document["paths"][route][method.lower()]["responses"]}
        assert statuses <= documented, (method, route, statuses - documented)
        if not route.startswith("/v4/model-templates"):
            assert statuses == documented, (method, route, documented - statuses)


def _stored_graph(account: str = "acct_1") -> dict[str, Any]:
    seeded = SGPFake()
    result = seed_deployment(seeded, account_id=account, seed=account)
    return {
        **{resource.kind: [] for resource in REGISTRY},
        "model_templates": [result.template],
        "models": [r.as_dict() for r in seeded.tables["models"].all()],
        "deployments": [result.deployment],
    }


def test_the_admin_state_holds_the_whole_graph(keyed: SGPFake) -> None:
    graph = _stored_graph()
    other = _stored_graph("acct_2")
    document = {kind: graph[kind] + other[kind] for kind in graph}
    with keyed.client(api_key=None) as admin, keyed.client(api_key="key-alice") as alice:
        assert admin.put("/_fake/state", json=document).status_code == 200
        assert admin.get("/_fake/state").json() == document
        model_id = graph["models"][0]["id"]
        fetched = alice.get(f"/v4/models/{model_id}", params={"view": "Deployments"}).json()
        assert fetched["deployment_count"] == 1
        assert fetched["deployments"] == graph["deployments"]

        dangling = {
            "model_templates": [],
            "models": graph["models"],
            "deployments": [{**graph["deployments"][0], "model_instance_id": "gone"}],
        }
        refused = admin.put("/_fake/state", json=dangling)
        assert refused.status_code == 422
        template_id = graph["models"][0]["model_template_id"]
        assert [(e["loc"], e["msg"]) for e in refused.json()["detail"]] == [
            (
                ["body", "models", 0, "model_template_id"],
                f"Value error, no model template '{template_id}' in the document",
            ),
            (
                ["body", "deployments", 0, "model_instance_id"],
                "Value error, no model 'gone' in the document",
            ),
        ]
        crossed = {
            **graph,
            "deployments": [{**graph["deployments"][0], "account_id": "acct_2"}],
        }
        assert admin.put("/_fake/state", json=crossed).json()["detail"][0]["msg"] == (
            f"Value error, model '{model_id}' belongs to account 'acct_1', not 'acct_2'"
        )
        assert admin.get("/_fake/state").json() == document  # refused: nothing changed

        assert admin.post("/_fake/reset", params={"account_id": "acct_2"}).json() == {"deleted": 3}
        assert admin.get("/_fake/state").json() == graph


def test_seed_files_are_checked_for_dangling_references(tmp_path: Path) -> None:
    graph = _stored_graph()
    good = tmp_path / "good.json"
    good.write_text(json.dumps(graph))
    with (
        ServerProcess("--seed-file", str(good), timeout=TIMEOUT, stderr=tmp_path / "a.log") as up,
        httpx.Client(base_url=up.url, timeout=TIMEOUT, headers={"x-api-key": "k"}) as http,
    ):
        assert http.get("/v4/model-deployments").json()["total_item_count"] == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**graph, "model_templates": []}))
    result = subprocess.run(
        [sys.executable, "-m", "sgp_fake.cli", "serve", "--port", "0", "--seed-file", str(bad)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    template_id = graph["models"][0]["model_template_id"]
    assert (result.returncode, result.stderr) == (
        1,
        f"sgp-fake: error: seed file {bad}: models.0.model_template_id: Value error, no model "
        f"template '{template_id}' in the document\n",
    )


def test_the_clock_and_statuses_over_a_live_server(tmp_path: Path) -> None:
    with (
        ServerProcess(
            "--deployment-ready-after", "300", timeout=TIMEOUT, stderr=tmp_path / "s.log"
        ) as server,
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as http,
    ):
        sgp = {"x-api-key": "k"}
        template = http.post("/v4/model-templates", json=minimal_body(), headers=sgp).json()
        made = http.post("/v4/models", json={**MODEL, "model_template_id": template["id"]},
                         headers=sgp).json()  # fmt: skip
        url = f"/v4/models/{made['id']}/deployments"
        pending = http.post(url, json={"name": "d", "wait_for_ready": False}, headers=sgp).json()
        one = f"{url}/{pending['id']}"
        assert http.get(one, headers=sgp).json()["status"] == "PENDING"
        before = http.get("/_fake/clock").json()
        after = http.post("/_fake/clock", json={"advance": 299}).json()
        assert after["offset"] == before["offset"] + 299
        assert http.get(one, headers=sgp).json()["status"] == "PENDING"
        http.post("/_fake/clock", json={"advance": 1})
        assert http.get(one, headers=sgp).json()["status"] == "READY"
        forced = http.post(
            "/_fake/status", json={"kind": "deployments", "id": pending["id"], "status": "FAILED"}
        )
        assert forced.json() == {"kind": "deployments", "id": pending["id"], "status": "FAILED"}
        assert http.get(one, headers=sgp).json()["status"] == "FAILED"
        assert http.get("/_fake/state").json()["deployments"][0]["status"] == "FAILED"
        unknown = http.post("/_fake/status", json={"kind": "models", "id": "x", "status": "READY"})
        assert unknown.status_code == 422


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v4/models", b'{"name": "m", "model_type": "COMPLETION", "account_id": "acct_1", '
         b'"model_creation_parameters": {"w": 1e309}}'),
        ("/v4/models", b'{"name": "m", "model_type": "COMPLETION", "account_id": "acct_1", '
         b'"model_creation_parameters": {"w": [1, -1e999]}}'),
    ],
)  # fmt: skip
def test_a_number_json_cannot_carry_back_is_refused_not_stored_as_null(
    fake: SGPFake, path: str, body: bytes
) -> None:
    with fake.client() as client:
        answer = client.post(path, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["type"] == "finite_number"
    assert error["loc"][:3] == ["body", "model_creation_parameters", "w"]
    assert len(fake.tables["models"]) == 0
