"""The admin API's journal of requests, and its routes' refusal of unknown query parameters."""

from __future__ import annotations

import json
from typing import Any

import httpx

from sgp_fake import SGPFake
from sgp_fake.core.faults import FaultRule
from sgp_fake.core.ratelimit import RateLimit
from tests.extras.admin.records import admin_operations, create
from tests.support.bodies import minimal_body


def test_requests_journal_and_limit(client: httpx.Client, admin: httpx.Client) -> None:
    created = create(client)
    client.get(f"/v4/model-templates/{created['id']}")
    client.get("/v4/model-templates", params={"limit": 5})
    journal = admin.get("/_fake/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in journal] == [
        ("POST", "/v4/model-templates", 200),
        ("GET", f"/v4/model-templates/{created['id']}", 200),
        ("GET", "/v4/model-templates", 200),
    ]
    assert journal[0]["body"] == minimal_body()
    assert journal[0]["response_body"] == created
    assert journal[0]["headers"]["x-api-key"] == "sgp-fake-key"
    assert journal[2]["query"] == "limit=5"
    assert journal[2]["fault"] is None
    newest = admin.get("/_fake/requests", params={"limit": 2}).json()["requests"]
    assert newest == journal[1:]
    assert admin.get("/_fake/requests", params={"limit": 0}).json() == {"requests": []}
    assert admin.get("/_fake/requests", params={"limit": 99}).json()["requests"] == journal
    bad = admin.get("/_fake/requests", params={"limit": -1})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "limit"]
    # admin requests themselves are never journaled
    assert len(admin.get("/_fake/requests").json()["requests"]) == 3
    assert admin.delete("/_fake/requests").json() == {"requests": []}
    assert admin.get("/_fake/requests").json() == {"requests": []}


def test_requests_page_forward_by_sequence(client: httpx.Client, admin: httpx.Client) -> None:
    for index in range(5):
        client.get(f"/v4/model-templates/t{index}")

    def sequences(**params: Any) -> list[int]:
        answer = admin.get("/_fake/requests", params=params)
        assert answer.status_code == 200, answer.text
        return [r["sequence"] for r in answer.json()["requests"]]

    assert sequences() == [1, 2, 3, 4, 5]
    assert sequences(limit=2) == [4, 5]  # the newest two, oldest first
    assert sequences(after=2) == [3, 4, 5]
    assert sequences(after=2, limit=2) == [3, 4]  # the next page after 2
    assert sequences(after=5) == []
    # a reader pages through everything, then picks up only what came since
    cursor, seen = 0, []
    while page := sequences(after=cursor, limit=2):
        seen += page
        cursor = page[-1]
    assert seen == [1, 2, 3, 4, 5]
    admin.delete("/_fake/requests")
    client.get("/v4/model-templates/t5")
    admin.post("/_fake/reset")
    client.get("/v4/model-templates/t6")
    new = admin.get("/_fake/requests", params={"after": cursor}).json()["requests"]
    assert [(r["sequence"], r["path"]) for r in new] == [(7, "/v4/model-templates/t6")]
    bad = admin.get("/_fake/requests", params={"after": -1})
    assert (bad.status_code, bad.json()["detail"][0]["loc"]) == (422, ["query", "after"])


def test_every_admin_route_refuses_unknown_query_parameters(
    admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client
) -> None:
    create(client)
    admin_fake.faults.add(FaultRule(path="/nowhere", status=500))
    admin_fake.rate_limiter.configure(RateLimit(1, 5))
    before = admin.get("/_fake/state").json(), admin.get("/_fake/faults").json()
    operations = admin_operations(admin_fake)
    assert len(operations) == 24  # 18, the four of /_fake/responses, the two of /_fake/traces
    bodies = {
        "/_fake/state": {"model_templates": []},
        "/_fake/faults": {"status": 503},
        "/_fake/responses": {"text": "Hello"},
        "/_fake/rate-limit": {"rate": 2, "burst": 2},
        "/_fake/clock": {"advance": 1},
        "/_fake/status": {"kind": "deployments", "id": "d", "status": "READY"},
    }
    # each route's own parameters, valid; the others are unknown to it
    known = {
        ("POST", "/_fake/reset"): "account_id",
        ("GET", "/_fake/requests"): "limit",
        ("GET", "/_fake/traces"): "account_id",
        ("GET", "/_fake/traces/{trace_id}"): "account_id",
    }
    params = {"account_id": "acct_1", "limit": "1", "colour": "red"}
    for method, route in operations:
        path = route.replace("{fault_id}", "fault_1").replace("{record_id}", "response_1")
        body = bodies.get(path) if method in ("PUT", "POST") else None
        answer = admin.request(method, path, params=params, json=body)
        assert answer.status_code == 422, (method, path, answer.text)
        assert answer.json()["detail"] == [
            {
                "type": "extra_forbidden",
                "loc": ["query", name],
                "msg": "Extra inputs are not permitted",
                "input": value,
            }
            for name, value in params.items()
            if name != known.get((method, path))
        ], (method, path)
    # refused before anything was done
    assert (admin.get("/_fake/state").json(), admin.get("/_fake/faults").json()) == before
    assert admin_fake.rate_limiter.limit == RateLimit(1, 5)
    assert len(admin_fake.journal) == 1


def test_a_body_with_a_lone_surrogate_is_listed_as_it_was_sent(
    client: httpx.Client, admin: httpx.Client
) -> None:
    # "\ud800" is valid JSON whose string UTF-8 cannot carry: the listing still answers,
    # showing that body (and the 422 echoing it) as text; a whole pair still decodes.
    lone = b'{"name": "\\ud800"}'
    pair = b'{"name": "\\ud83d\\ude00"}'
    for body in (lone, pair):
        sent = client.post(
            "/v4/model-templates", content=body, headers={"content-type": "application/json"}
        )
        assert sent.status_code == 422
    listed = admin.get("/_fake/requests")
    assert listed.status_code == 200
    first, second = listed.json()["requests"]
    assert first["body"] == lone.decode()
    assert isinstance(first["response_body"], str)
    assert second["body"] == {"name": "\U0001f600"}


def test_a_lone_surrogate_kept_in_a_field_is_listed_as_its_escape(
    client: httpx.Client, admin: httpx.Client
) -> None:
    # The journal keeps a refused request's account as sent, and a fault rule its path: text
    # UTF-8 cannot carry. The admin answers write it as JSON's escape instead of a 500.
    body = json.dumps({**minimal_body(), "account_id": "\ud800"})
    refused = client.post(
        "/v4/model-templates", content=body, headers={"content-type": "application/json"}
    )
    assert refused.status_code == 400
    listed = admin.get("/_fake/requests")
    assert listed.status_code == 200
    assert b'"account":"\\ud800"' in listed.content
    assert listed.json()["requests"][0]["account"] == "\ud800"
    added = admin.post(
        "/_fake/faults",
        content=b'{"path": "/v4/\\udfff", "status": 503}',
        headers={"content-type": "application/json"},
    )
    assert added.status_code == 201
    assert added.json()["path"] == "/v4/\udfff"
    assert admin.get("/_fake/faults").json()["faults"][0]["path"] == "/v4/\udfff"


def test_requests_filtered_by_method_path_status_and_operation(
    client: httpx.Client, admin: httpx.Client
) -> None:
    # A client in any language narrows the journal on the server, as fake.journal.entries does.
    created = create(client)
    client.get(f"/v4/model-templates/{created['id']}")
    client.get("/v4/model-templates/missing")
    client.post("/v4/model-templates", json={})
    create(client)
    client.get("/v4/models/meta-llama%2FLlama-3/usage-statistics")

    def sequences(**params: Any) -> list[int]:
        answer = admin.get("/_fake/requests", params=params)
        assert answer.status_code == 200, answer.text
        return [r["sequence"] for r in answer.json()["requests"]]

    assert sequences(method="post") == [1, 4, 5]
    assert sequences(method="POST", status=200) == [1, 5]
    assert sequences(status=404) == [3]
    assert sequences(status=422) == [4, 6]  # the usage query lacks its dates
    assert sequences(path="/v4/model-templates") == [1, 4, 5]
    assert sequences(path="/v4/models/meta-llama%2FLlama-3/usage-statistics") == [6]
    assert sequences(path="/v4/models/meta-llama/Llama-3/usage-statistics") == [6]
    assert sequences(operation="create_model_template") == [1, 4, 5]
    assert sequences(operation="get_model_template", status=200) == [2]
    # limit and after page through the matching requests
    assert sequences(method="POST", limit=2) == [4, 5]
    assert sequences(method="POST", limit=4) == [1, 4, 5]  # more than match: all of them
    assert sequences(method="POST", limit=5) == [1, 4, 5]
    assert sequences(method="POST", after=1, limit=1) == [4]
    assert sequences(method="POST", limit=0) == []
    assert sequences(method="DELETE") == []
    # the same entries as the Python journal, and the summary view too
    filtered = admin.get("/_fake/requests", params={"method": "POST", "summary": "true"})
    assert [r["path"] for r in filtered.json()["requests"]] == ["/v4/model-templates"] * 3
    assert "body" not in filtered.json()["requests"][0]
    bad = admin.get("/_fake/requests", params={"status": "ok"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "status"]
