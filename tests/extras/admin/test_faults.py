"""Fault rules over the admin API: added, listed, removed, and the same as the Python rules."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from sgp_fake import SGPFake


def test_fault_lifecycle(admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client) -> None:
    added = admin.post(
        "/_fake/faults",
        json={"method": "get", "path": "/v4/model-templates/*", "status": 503, "times": 2},
    )
    assert added.status_code == 201
    rule = added.json()
    assert rule["method"] == "GET"
    assert rule["hits"] == 0
    assert rule["times"] == 2
    always = admin.post(
        "/_fake/faults", json={"path": "/v4/model-templates", "status": 500, "times": None}
    )
    assert always.json()["times"] is None
    listed = admin.get("/_fake/faults").json()["faults"]
    assert [f["id"] for f in listed] == [rule["id"], always.json()["id"]]

    assert client.get("/v4/model-templates/abc").status_code == 503
    assert admin.get("/_fake/faults").json()["faults"][0]["hits"] == 1
    remaining = admin.delete(f"/_fake/faults/{always.json()['id']}")
    assert [f["id"] for f in remaining.json()["faults"]] == [rule["id"]]
    assert client.get("/v4/model-templates").status_code == 200
    missing = admin.delete(f"/_fake/faults/{always.json()['id']}")
    assert missing.status_code == 404
    assert admin.delete("/_fake/faults").json() == {"faults": []}
    assert client.get("/v4/model-templates/abc").status_code == 404
    assert admin_fake.faults.list() == []


def test_fault_added_over_http_is_the_python_rule(admin_fake: SGPFake, admin: httpx.Client) -> None:
    spec = {
        "method": "POST",
        "path": "/v4/model-templates",
        "account_id": "acct_9",
        "times": 3,
        "status": 429,
        "headers": {"retry-after-ms": "5"},
        "body": {"detail": "slow down"},
        "latency": 0.0,
    }
    view = admin.post("/_fake/faults", json=spec).json()
    (rule,) = admin_fake.faults.list()
    assert rule.to_dict() == view
    assert {k: view[k] for k in spec} == spec


def test_a_cut_added_over_http_is_the_python_rule(admin_fake: SGPFake, admin: httpx.Client) -> None:
    spec = {"path": "/v4/models/*", "after": 2, "cut": "error", "body": {"detail": "down"}}
    view = admin.post("/_fake/faults", json=spec).json()
    (rule,) = admin_fake.faults.list()
    assert (rule.after, rule.cut, rule.body) == (2, "error", {"detail": "down"})
    assert rule.to_dict() == view == admin.get("/_fake/faults").json()["faults"][0]


@pytest.mark.parametrize(
    ("spec", "error_type", "loc"),
    [
        ({}, "value_error", ["body"]),
        ({"status": 503, "connection": "reset"}, "value_error", ["body"]),
        ({"status": 99}, "greater_than_equal", ["body", "status"]),
        ({"status": 503, "times": 0}, "greater_than_equal", ["body", "times"]),
        ({"connection": "hangup"}, "literal_error", ["body", "connection"]),
        ({"latency": -1}, "greater_than_equal", ["body", "latency"]),
        ({"status": 503, "statuss": 1}, "extra_forbidden", ["body", "statuss"]),
        ({"after": 2}, "value_error", ["body"]),
        ({"cut": "reset", "latency": 1}, "value_error", ["body"]),
        ({"after": 1, "cut": "reset", "status": 503}, "value_error", ["body"]),
        ({"after": 1, "cut": "close", "connection": "reset"}, "value_error", ["body"]),
        ({"after": 1, "cut": "hangup"}, "literal_error", ["body", "cut"]),
        ({"after": -1, "cut": "reset"}, "greater_than_equal", ["body", "after"]),
    ],
)
def test_bad_fault_specs_are_422_and_add_nothing(
    admin_fake: SGPFake, admin: httpx.Client, spec: dict[str, Any], error_type: str, loc: list[Any]
) -> None:
    answer = admin.post("/_fake/faults", json=spec)
    assert answer.status_code == 422
    first = answer.json()["detail"][0]
    assert (first["type"], first["loc"]) == (error_type, loc)
    assert admin_fake.faults.list() == []


def test_spent_rules_are_listed_until_removed(admin: httpx.Client, client: httpx.Client) -> None:
    rule = admin.post("/_fake/faults", json={"path": "/v4/model-templates", "status": 503}).json()
    assert (rule["spent"], rule["fired_at"]) == (False, [])
    assert client.get("/v4/model-templates").status_code == 503
    assert client.get("/v4/model-templates").status_code == 200
    (listed,) = admin.get("/_fake/faults").json()["faults"]
    assert listed["id"] == rule["id"]
    assert (listed["hits"], listed["spent"], len(listed["fired_at"])) == (1, True, 1)
    assert admin.delete(f"/_fake/faults/{rule['id']}").json() == {"faults": []}


def test_retry_after_ms_over_http(admin: httpx.Client, client: httpx.Client) -> None:
    spec = {"path": "/v4/model-templates", "status": 503, "retry_after_ms": 12}
    assert admin.post("/_fake/faults", json=spec).json()["retry_after_ms"] == 12
    assert client.get("/v4/model-templates").headers["retry-after-ms"] == "12"
    bad = admin.post("/_fake/faults", json={**spec, "retry_after_ms": -1})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "retry_after_ms"]


def test_the_journal_over_http_says_which_exchanges_timed_out(
    admin_fake: SGPFake, admin: httpx.Client
) -> None:
    admin_fake.faults.add(path="/v4/model-templates", latency=30)
    with admin_fake.client(timeout=0.1) as slow, pytest.raises(httpx.ReadTimeout):
        slow.get("/v4/model-templates")
    with admin_fake.client() as client:
        client.get("/v4/model-templates")
    journal = admin.get("/_fake/requests").json()["requests"]
    assert [(r["status"], r["timed_out"]) for r in journal] == [(200, True), (200, False)]


FAULT_SPECS: list[dict[str, Any]] = [
    {},
    {"path": "/x"},
    {"status": 503},
    {"status": None, "latency": 1},
    {"connection": "reset"},
    {"connection": None},
    {"latency": 0.5},
    {"latency": 0},
    {"status": 503, "connection": "reset"},
    {"status": 503, "connection": None},
    {"status": None, "connection": "empty", "latency": 2},
    {"after": 1, "cut": "reset"},
    {"after": 0, "cut": "error", "latency": 1, "body": "down"},
    {"after": 3, "cut": "close", "status": None, "connection": None},
    {"after": 1},
    {"cut": "close"},
    {"after": None, "cut": "close"},
    {"after": 1, "cut": None, "latency": 1},
    {"after": 1, "cut": "reset", "status": 503},
    {"after": 1, "cut": "reset", "connection": "empty"},
    {"after": -1, "cut": "reset"},
    {"after": 1, "cut": "hangup"},
]


@pytest.mark.parametrize("spec", FAULT_SPECS, ids=[json.dumps(s) for s in FAULT_SPECS])
def test_the_fault_schema_in_openapi_accepts_what_the_api_accepts(
    admin: httpx.Client, spec: dict[str, Any]
) -> None:
    document = admin.get("/openapi.json").json()
    schema = {"$ref": "#/components/schemas/FaultSpec", "components": document["components"]}
    valid = jsonschema.Draft202012Validator(schema).is_valid(spec)
    assert valid == (admin.post("/_fake/faults", json=spec).status_code == 201)


@pytest.mark.parametrize(
    ("path", "spec", "reason"),
    [
        ("/_fake/faults", {"status": 503, "body": "\ud800"}, "body holds a lone surrogate"),
        ("/_fake/faults", {"status": 503, "prompt_regex": "a\udfff"}, "holds a lone surrogate"),
        ("/_fake/responses", {"text": "x", "prompt_regex": "\ud800"}, "holds a lone surrogate"),
    ],
)
def test_a_lone_surrogate_in_a_rule_is_refused_saying_so(
    admin_fake: SGPFake, admin: httpx.Client, path: str, spec: dict[str, Any], reason: str
) -> None:
    # JSON escapes carry the surrogate; json.dumps writes them so.
    refused = admin.post(
        path, content=json.dumps(spec), headers={"content-type": "application/json"}
    )
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]
    assert reason in error["msg"], error
    assert "codec" not in error["msg"], error
    with pytest.raises(ValueError, match=reason):
        admin_fake.faults.add(**{"status": 503, **{k: v for k, v in spec.items() if k != "text"}})
