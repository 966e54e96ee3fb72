"""The admin API's prefix and its OpenAPI document: every route documented, with exactly the
statuses it answers."""

from __future__ import annotations

import json
from typing import Any, Iterator

import httpx
import jsonschema
import pytest

from sgp_fake import FakeSettings, FakeTransport, SGPFake
from sgp_fake.core import gateway
from sgp_fake.core.access import AccessPolicy
from sgp_fake.core.routing import ADMIN_PREFIX
from sgp_fake.extras.admin import FaultSpec
from sgp_fake.factories import seed_deployment
from tests.extras.admin.records import admin_operations, template


def test_admin_is_off_unless_asked() -> None:
    with SGPFake().client() as client:
        assert client.get("/_fake/state").status_code == 404
        assert client.post("/_fake/reset").status_code == 404


def test_unknown_admin_route_and_method(admin: httpx.Client) -> None:
    assert admin.get("/_fake/nothing").status_code == 404
    wrong = admin.post("/_fake/state")
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}


def test_openapi_documents_every_admin_route(admin_fake: SGPFake, admin: httpx.Client) -> None:
    document = admin.get("/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        if path.startswith(ADMIN_PREFIX)
        for method in item
    }
    served = set(admin_operations(admin_fake))
    assert documented == served
    assert len(served) == 24  # 18, the four of /_fake/responses, the two of /_fake/traces
    schemas = document["components"]["schemas"]

    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(document):
        assert ref.rsplit("/", 1)[-1] in schemas, ref

    def tagged_unions(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if isinstance(node.get("discriminator"), dict):
                yield node
            for value in node.values():
                yield from tagged_unions(value)
        elif isinstance(node, list):
            for value in node:
                yield from tagged_unions(value)

    unions = list(tagged_unions(document))
    assert unions
    for union in unions:
        # A tag names one of the union's own variants (a generator reads the mapping).
        variants = {v["$ref"] for v in union.get("oneOf", union.get("anyOf", []))}
        assert set(union["discriminator"].get("mapping", {}).values()) <= variants, union
    assert "FaultSpec" in schemas
    assert set(schemas["FaultSpec"]["properties"]) == set(FaultSpec.model_fields)
    # SGP operations are unchanged next to the admin ones
    assert "/v4/model-templates" in document["paths"]


SPAN_HEADERS = {"x-api-key": "test-api-key", "x-selected-account-id": "acct_1"}


def _placeholders(route: str, value: str) -> str:
    for name in ("{fault_id}", "{record_id}", "{trace_id}"):
        route = route.replace(name, value)
    return route


def test_every_admin_route_answers_exactly_the_statuses_it_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small = FakeSettings(max_body_size=10_000)
    # The admin API's own limit (1 GiB), brought down to what a test can send.
    monkeypatch.setattr(gateway, "ADMIN_MAX_BODY_SIZE", 11_000)
    fake = SGPFake(small, admin=True, coverage=True)
    bodies: dict[str, Any] = {
        "/_fake/state": {"model_templates": [template("t-1")]},
        "/_fake/faults": {"path": "/nowhere", "status": 503},
        "/_fake/rate-limit": {"rate": 2, "burst": 2},
        "/_fake/clock": {"advance": 1},
        "/_fake/responses": {"model": "llama", "texts": ["Hi", "Bye"]},
    }
    unreadable = [
        b"\xff",  # not UTF-8
        b"[" * 5000 + b"]" * 5000,  # nested deeper than the decoder goes
        b"[" * 6000 + b"]" * 6000,  # over the size limit
    ]
    answered: dict[tuple[str, str], set[int]] = {}
    # As a loopback server given a token serves it: the access policy's refusals (a rebinding
    # Host 400, a missing token 401, a cross-origin write 403) are documented too.
    guarded = fake.app.with_access(AccessPolicy.for_bind("127.0.0.1", "t0ken"))
    with (
        fake.client(api_key=None) as admin,
        SGPFake(small, admin=True).client(api_key=None) as no_coverage,
        httpx.Client(transport=FakeTransport(guarded), base_url="http://127.0.0.1:8000") as server,
    ):
        document = admin.get("/openapi.json").json()
        for method, route in admin_operations(fake):
            path = route
            if "{fault_id}" in route:
                rule = admin.post("/_fake/faults", json={"status": 500}).json()
                path = route.replace("{fault_id}", rule["id"])
            if "{record_id}" in route:
                rule = admin.post("/_fake/responses", json={"text": "Hi"}).json()
                path = route.replace("{record_id}", rule["id"])
            if "{trace_id}" in route:
                # a trace of this fake (200); "x" has no span (404)
                span = {"name": "root", "trace_id": "trace-1", "start_timestamp": "2024-01-02"}
                admin.put("/v5/spans/batch", json={"items": [span]}, headers=SPAN_HEADERS)
                path = route.replace("{trace_id}", "trace-1")
            if route == "/_fake/status":
                # a deployment of this fake (200), seeded after the reset; the other has none (404)
                deployment = seed_deployment(fake, seed=1).deployment
                bodies[path] = {"kind": "deployments", "id": deployment["id"], "status": "FAILED"}
            body = {"json": bodies[path]} if method in ("PUT", "POST") and path in bodies else {}
            attempts: list[tuple[httpx.Client, str, dict[str, Any]]] = [
                (admin, path, body),
                (admin, path + "?colour=red", body),
                (no_coverage, path, body),
                (admin, _placeholders(route, "x"), body),
            ]
            token = {"authorization": "Bearer t0ken"}
            attempts += [
                (server, path, {**body, "headers": {"host": "evil.example", **token}}),
                (server, path, body),
                (server, path, {**body, "headers": {"origin": "http://evil.example", **token}}),
            ]
            if body:
                attempts += [(admin, path, {"content": content}) for content in unreadable]
                attempts.append((admin, path, {"json": {"colour": "red"}}))
            answered[(method, route)] = {
                client.request(method, url, **kwargs).status_code
                for client, url, kwargs in attempts
            }
    documented = {
        (method.upper(), path): {int(status) for status in operation["responses"]}
        for path, item in document["paths"].items()
        if path.startswith(ADMIN_PREFIX)
        for method, operation in item.items()
    }
    assert answered == documented


def test_constraints_between_fields_sit_in_all_of_beside_the_properties(
    admin: httpx.Client,
) -> None:
    # "One of these fields is required" is an anyOf of partial schemas; beside "properties"
    # it reads as alternative objects to code generators (openapi-typescript makes
    # `Properties | {text: string} | ...`, where a scripted response's id is unreachable).
    # Under allOf it means the same to a validator, and generators intersect it.
    schemas = admin.get("/openapi.json").json()["components"]["schemas"]
    mixed = sorted(name for name, s in schemas.items() if "properties" in s and "anyOf" in s)
    assert mixed == []
    for name in ("FaultSpec", "ResponseSpec", "ScriptedResponse"):
        assert any("anyOf" in part for part in schemas[name]["allOf"]), name


RESPONSE_SPECS: list[dict[str, Any]] = [
    {"text": "Hi"},
    {"model": "llama", "texts": ["Hi", "Bye"]},
    {"prompt_regex": "^embed", "dimensions": 1024},
    {"tool_calls": [{"name": "f", "arguments": {}}]},
    {"model": "llama"},
    {},
    {"text": "Hi", "texts": ["Bye"]},
    {"text": None, "chunks": ["a"]},
]


@pytest.mark.parametrize("spec", RESPONSE_SPECS, ids=[json.dumps(s) for s in RESPONSE_SPECS])
def test_the_response_schema_in_openapi_accepts_what_the_api_accepts(
    admin: httpx.Client, spec: dict[str, Any]
) -> None:
    document = admin.get("/openapi.json").json()
    schema = {"$ref": "#/components/schemas/ResponseSpec", "components": document["components"]}
    valid = jsonschema.Draft202012Validator(schema).is_valid(spec)
    answer = admin.post("/_fake/responses", json=spec)
    assert valid == (answer.status_code == 201)
    if valid:
        stored = {**schema, "$ref": "#/components/schemas/ScriptedResponse"}
        assert jsonschema.Draft202012Validator(stored).is_valid(answer.json())
