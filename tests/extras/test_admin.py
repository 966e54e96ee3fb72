"""The admin API under /_fake: in process for the details, over a real server for the tour."""

from __future__ import annotations

import json
from typing import Any, Iterator
from urllib.parse import quote

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticSerializationError

from sgp_fake import FakeSettings, FakeTransport, LiveServer, SGPFake
from sgp_fake.cli.process import ServerProcess
from sgp_fake.core.access import AccessPolicy
from sgp_fake.core.faults import FaultRule
from sgp_fake.core.ratelimit import RateLimit
from sgp_fake.core.routing import ADMIN_PREFIX, DASHBOARD_PREFIX
from sgp_fake.extras.admin import MAX_ID_LENGTH as MAX_TEMPLATE_ID_LENGTH
from sgp_fake.extras.admin import FaultSpec
from sgp_fake.factories import TemplateFactory, seed_deployment
from sgp_fake.resources import REGISTRY
from tests.support.bodies import minimal_body

TIMEOUT = 30.0


@pytest.fixture
def admin_fake() -> SGPFake:
    return SGPFake(admin=True, coverage=True)


@pytest.fixture
def client(admin_fake: SGPFake) -> Iterator[httpx.Client]:
    with admin_fake.client() as client:
        yield client


@pytest.fixture
def admin(admin_fake: SGPFake) -> Iterator[httpx.Client]:
    """A client sending no API key: the admin API needs none."""
    with admin_fake.client(api_key=None) as client:
        yield client


def template(template_id: str, account_id: str = "acct_1", **extra: Any) -> dict[str, Any]:
    return {
        **minimal_body(account_id=account_id),
        "id": template_id,
        "created_at": "2024-01-02T03:04:05+00:00",
        "created_by_user_id": "user_1",
        "created_by_identity_type": "user",
        **extra,
    }


def state(**kinds: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A whole state document: a list for every kind the fake serves, empty unless given."""
    return {**{resource.kind: [] for resource in REGISTRY}, **kinds}


def create(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    answer = client.post("/v4/model-templates", json=minimal_body(**overrides))
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


# -- reset -------------------------------------------------------------------------------------


def test_reset_empties_store_journal_faults_and_rate_limit(
    admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client
) -> None:
    create(client)
    create(client, account_id="acct_2")
    admin_fake.faults.add(FaultRule(path="/nowhere", status=500))
    admin_fake.rate_limiter.configure(RateLimit(1, 5))
    answer = admin.post("/_fake/reset")
    assert answer.status_code == 200
    assert answer.json() == {"deleted": 2}
    assert len(admin_fake.store) == 0
    assert len(admin_fake.journal) == 0
    assert admin_fake.faults.list() == []
    assert admin_fake.rate_limiter.limit is None


def test_reset_of_one_account_keeps_everything_else(
    admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client
) -> None:
    kept = [create(client, account_id="acct_1"), create(client, account_id="acct_1")]
    create(client, account_id="acct_2")
    rule = admin_fake.faults.add(FaultRule(path="/nowhere", status=500))
    answer = admin.post("/_fake/reset", params={"account_id": "acct_2"})
    assert answer.json() == {"deleted": 1}
    assert [t.id for t in admin_fake.store.all()] == [t["id"] for t in kept]
    assert len(admin_fake.journal) == 3
    assert admin_fake.faults.list() == [rule]
    assert admin.post("/_fake/reset", params={"account_id": "nobody"}).json() == {"deleted": 0}


# -- state -------------------------------------------------------------------------------------


def test_get_state_lists_templates_oldest_first(client: httpx.Client, admin: httpx.Client) -> None:
    first, second = create(client, name="a"), create(client, name="b")
    assert admin.get("/_fake/state").json() == state(model_templates=[first, second])


def test_put_state_replaces_everything(
    admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client
) -> None:
    create(client)
    document = {"model_templates": [template("t-1"), template("t-2", "acct_2")]}
    answer = admin.put("/_fake/state", content=json.dumps(document))  # no content type: curl -d
    assert answer.status_code == 200
    stored = answer.json()["model_templates"]
    assert [t["id"] for t in stored] == ["t-1", "t-2"]
    assert stored[0]["vendor_configuration"]["bundle_config"]["predict_route"] == "/predict"
    assert admin.get("/_fake/state").json() == answer.json()
    fetched = client.get("/v4/model-templates/t-2")
    assert fetched.status_code == 200
    assert fetched.json()["created_at"] == "2024-01-02T03:04:05+00:00"
    assert [t.id for t in admin_fake.store.all("acct_1")] == ["t-1"]


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"model_templates": [{"id": "x"}]}, ("missing", ["body", "model_templates", 0, "name"])),
        (
            {"model_templates": [template("t", endpoint_type="FAST")]},
            ("enum", ["body", "model_templates", 0, "endpoint_type"]),
        ),
        ({"model_templates": [template("a"), template("a")]}, ("value_error", ["body"])),
        # A kind left out is an empty list, but a name no kind has is refused.
        ({"templates": []}, ("extra_forbidden", ["body", "templates"])),
        ([], ("model_attributes_type", ["body"])),
        (
            {"model_templates": [template("t", colour="red")]},
            ("extra_forbidden", ["body", "model_templates", 0, "colour"]),
        ),
    ],
)
def test_put_state_rejects_bad_documents_and_changes_nothing(
    client: httpx.Client, admin: httpx.Client, document: Any, error: tuple[str, list[Any]]
) -> None:
    existing = create(client)
    answer = admin.put("/_fake/state", json=document)
    assert answer.status_code == 422
    first = answer.json()["detail"][0]
    assert (first["type"], first["loc"]) == error
    assert admin.get("/_fake/state").json() == state(model_templates=[existing])


# Ids of every kind: any text, path syntax, percent signs, lone surrogates, the longest.
TEMPLATE_IDS = (
    st.text(max_size=12)
    | st.text(st.sampled_from("./%?#;:@ a\\\x00\n~é"), max_size=4)
    | st.text(st.characters(categories=["Cs", "Ll", "So"]), min_size=1, max_size=3)
    | st.sampled_from(["x", "😀"]).flatmap(
        lambda c: st.sampled_from([c * MAX_TEMPLATE_ID_LENGTH, c * (MAX_TEMPLATE_ID_LENGTH + 1)])
    )
)


def reached(fake: SGPFake, template_id: str) -> tuple[bool, bool]:
    """Whether httpx (percent-encoding the id) and the official SDK retrieve ``template_id``."""
    with fake.client() as client:
        try:
            answer = client.get("/v4/model-templates/" + quote(template_id, safe=""))
            # "." is the list's path once the client removed the dot segment: no "id" there
            by_http = answer.status_code == 200 and answer.json().get("id") == template_id
        except (httpx.HTTPError, UnicodeError):
            by_http = False
    with fake.sdk_client(max_retries=0) as sdk:
        try:
            by_sdk = sdk.model_templates.retrieve(template_id).id == template_id
        except Exception:  # the SDK refuses the id itself, or the fake answers 404
            by_sdk = False
    return by_http, by_sdk


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template_id=TEMPLATE_IDS)
@example(template_id="")  # the list's own path, reachable by no template
@example(template_id="a/b")
@example(template_id="..")
@example(template_id="a%2Fb")  # a percent sign is just a character of an id
@example(template_id="\ud800")
@example(template_id="\ud800\udc00")  # a surrogate pair: JSON text decodes it to one character
def test_put_state_takes_exactly_the_ids_a_client_can_reach(template_id: str) -> None:
    pytest.importorskip("scale_gp")
    # The document travels as JSON text: the fake gets the id as JSON decodes it.
    template_id = json.loads(json.dumps(template_id))
    # Stored behind the door's back, is the id reachable at all?
    behind = SGPFake()
    try:
        behind.store.put(template(template_id))
    except PydanticSerializationError:  # not even JSON text UTF-8 can carry
        reachable = False
    else:
        reachable = all(reached(behind, template_id))
    fake = SGPFake(admin=True)
    with fake.client(api_key=None) as admin:
        # json.dumps escapes what is not ASCII, so a lone surrogate travels as JSON text can
        document = {"model_templates": [template(template_id)]}
        answer = admin.put("/_fake/state", content=json.dumps(document))
    if answer.status_code == 200:
        assert reachable
        assert reached(fake, template_id) == (True, True)
    else:
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["detail"]
        assert error["loc"] == ["body", "model_templates", 0, "id"]
        assert error["msg"].startswith("Value error, a model template id ")
        assert not reachable or len(template_id) > MAX_TEMPLATE_ID_LENGTH
        assert len(fake.store) == 0


@pytest.mark.parametrize(
    ("template_id", "reason"),
    [
        ("", "cannot be empty"),
        ("a/b", "cannot contain '/'"),
        (".", "cannot be '.' or '..'"),
        ("..", "cannot be '.' or '..'"),
        ("x" * (MAX_TEMPLATE_ID_LENGTH + 1), f"at most {MAX_TEMPLATE_ID_LENGTH} characters"),
        ("a\udc80", "text UTF-8 can encode"),
    ],
)
def test_put_state_says_why_an_id_is_refused(
    admin: httpx.Client, template_id: str, reason: str
) -> None:
    document = json.dumps({"model_templates": [template(template_id)]})
    answer = admin.put("/_fake/state", content=document)
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert (error["type"], error["loc"]) == ("value_error", ["body", "model_templates", 0, "id"])
    assert reason in error["msg"]


def test_seeded_ids_are_reached_over_a_socket() -> None:
    scale_gp = pytest.importorskip("scale_gp")
    ids = ["a?b", "a#b", "100%", "a%2Fb", "a b", "\x00", "é", "...", "a\\b"]
    ids.append("😀" * MAX_TEMPLATE_ID_LENGTH)  # the longest, each character 12 bytes in a URL
    fake = SGPFake(admin=True)
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as http,
        scale_gp.SGPClient(api_key="k", base_url=server.url, max_retries=0) as sdk,
    ):
        document = {"model_templates": [template(i) for i in ids]}
        assert http.put("/_fake/state", json=document).status_code == 200
        for template_id in ids:
            answer = http.get(
                "/v4/model-templates/" + quote(template_id, safe=""), headers={"x-api-key": "k"}
            )
            assert (answer.status_code, answer.json()["id"]) == (200, template_id)
            assert sdk.model_templates.retrieve(template_id).id == template_id


def test_put_state_with_a_string_utf8_cannot_carry_is_400_and_changes_nothing(
    client: httpx.Client, admin: httpx.Client
) -> None:
    existing = create(client)
    # A lone surrogate, valid in JSON text as an escape; the last template holds it.
    document = {"model_templates": [template("t-1"), template("t-2", name="\ud800")]}
    answer = admin.put("/_fake/state", content=json.dumps(document))
    assert answer.status_code == 400
    assert answer.json() == {"detail": "There was an error parsing the body"}
    assert admin.get("/_fake/state").json() == state(model_templates=[existing])


@pytest.mark.parametrize("created_at", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_put_state_keeps_a_time_utc_cannot_hold_as_given(
    client: httpx.Client, admin: httpx.Client, created_at: str
) -> None:
    # A valid date-time, before year 1 or after 9999 once in UTC: kept with its own offset.
    document = {"model_templates": [template("t", created_at=created_at)]}
    answer = admin.put("/_fake/state", json=document)
    assert answer.status_code == 200, answer.text
    assert client.get("/v4/model-templates/t").json()["created_at"] == created_at


def test_the_state_schema_refuses_what_put_state_refuses(admin: httpx.Client) -> None:
    components = admin.get("/openapi.json").json()["components"]
    schema = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/StateDocument", "components": components}
    )
    full = TemplateFactory(seed=3, optional="all").response()

    def with_unknown_field(node: Any, target: int, seen: list[int]) -> Any:
        # A copy of node with "colour" added to its target-th object (in document order).
        if isinstance(node, dict):
            seen.append(0)
            copy = {k: with_unknown_field(v, target, seen) for k, v in node.items()}
            if len(seen) - 1 == target:
                copy["colour"] = "red"
            return copy
        if isinstance(node, list):
            return [with_unknown_field(v, target, seen) for v in node]
        return node

    objects: list[int] = []
    with_unknown_field(full, -1, objects)
    documents = [{"model_templates": [full]}]
    for target in range(len(objects)):
        documents.append({"model_templates": [with_unknown_field(full, target, [])]})
    documents += [{"model_templates": [{**full, "id": bad}]} for bad in ("", "a/b", ".", "..")]
    verdicts = []
    for document in documents:
        answer = admin.put("/_fake/state", json=document)
        assert answer.status_code in (200, 422), answer.text
        assert schema.is_valid(document) == (answer.status_code == 200), (document, answer.text)
        verdicts.append(answer.status_code)
    # both kinds were met: free-form maps (env) take any key, models refuse unknown ones
    assert verdicts.count(200) > 1
    assert verdicts.count(422) > 5


def test_put_state_rejects_a_body_that_is_not_json(admin: httpx.Client) -> None:
    answer = admin.put("/_fake/state", content=b"{oops")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "json_invalid"
    assert admin.put("/_fake/state").json()["detail"][0]["type"] == "missing"


# -- requests ------------------------------------------------------------------------------------


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


def admin_operations(fake: SGPFake) -> list[tuple[str, str]]:
    """The admin API's routes; the dashboard's page and files are not API (see test_dashboard)."""
    return sorted(
        (method, route.path)  # type: ignore[attr-defined]
        for route in fake.app.routes
        if route.path.startswith(ADMIN_PREFIX)  # type: ignore[attr-defined]
        and not route.path.startswith(DASHBOARD_PREFIX)  # type: ignore[attr-defined]
        for method in route.methods - {"HEAD"}  # type: ignore[attr-defined]
    )


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


# -- faults --------------------------------------------------------------------------------------


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


# -- rate limit --------------------------------------------------------------------------------


def test_rate_limit_lifecycle(
    admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client
) -> None:
    assert admin.get("/_fake/rate-limit").json() == {"rate_limit": None}
    put = admin.put("/_fake/rate-limit", json={"rate": 0.001, "burst": 2})
    assert put.json() == {"rate_limit": {"rate": 0.001, "burst": 2}}
    assert admin_fake.rate_limiter.limit == RateLimit(0.001, 2)
    assert admin.get("/_fake/rate-limit").json() == put.json()
    statuses = [client.get("/v4/model-templates").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert admin.get("/_fake/state").status_code == 200  # admin is never limited
    assert admin.delete("/_fake/rate-limit").json() == {"rate_limit": None}
    assert client.get("/v4/model-templates").status_code == 200
    for bad in [{"rate": 0, "burst": 1}, {"rate": 1, "burst": 0}, {"rate": 1}]:
        answer = admin.put("/_fake/rate-limit", json=bad)
        assert answer.status_code == 422
    assert admin_fake.rate_limiter.limit is None


# -- coverage ----------------------------------------------------------------------------------


def test_coverage_routes(client: httpx.Client, admin: httpx.Client) -> None:
    create(client)
    report = admin.get("/_fake/coverage").json()
    assert report["requests"] == 1
    assert report["operations"]["create_model_template"]["calls"] == 1
    admin.post("/_fake/reset")  # a reset keeps the coverage
    assert admin.get("/_fake/coverage").json() == report
    cleared = admin.delete("/_fake/coverage").json()
    assert cleared["requests"] == 0
    assert cleared["operations"]["create_model_template"]["calls"] == 0
    assert admin.get("/_fake/coverage").json() == cleared


def test_coverage_route_without_coverage() -> None:
    fake = SGPFake(admin=True)
    with fake.client(api_key=None) as admin:
        answer = admin.get("/_fake/coverage")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Coverage is not recorded by this fake"}


# -- the prefix, the document ----------------------------------------------------------------


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
    assert "FaultSpec" in schemas
    assert set(schemas["FaultSpec"]["properties"]) == set(FaultSpec.model_fields)
    # SGP operations are unchanged next to the admin ones
    assert "/v4/model-templates" in document["paths"]


SPAN_HEADERS = {"x-api-key": "test-api-key", "x-selected-account-id": "acct_1"}


def _placeholders(route: str, value: str) -> str:
    for name in ("{fault_id}", "{record_id}", "{trace_id}"):
        route = route.replace(name, value)
    return route


def test_every_admin_route_answers_exactly_the_statuses_it_documents() -> None:
    small = FakeSettings(max_body_size=10_000)
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


# -- over a real server ---------------------------------------------------------------------------


def test_admin_tour_over_http(tmp_path: Any) -> None:
    """Every admin route, as a script in another language would use them."""
    with (
        ServerProcess(timeout=TIMEOUT, stderr=tmp_path / "stderr.log") as server,
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as http,
    ):
        sgp = {"x-api-key": "k"}
        created = http.post("/v4/model-templates", json=minimal_body(), headers=sgp).json()
        assert http.get("/_fake/state").json() == state(model_templates=[created])
        assert len(http.get("/_fake/requests").json()["requests"]) == 1

        fault = http.post("/_fake/faults", content='{"path": "/v4/model-templates", "status": 503}')
        assert fault.status_code == 201
        assert http.get("/_fake/faults").json()["faults"][0]["id"] == fault.json()["id"]
        assert http.get("/v4/model-templates", headers=sgp).status_code == 503
        assert http.get("/v4/model-templates", headers=sgp).status_code == 200
        assert http.post("/_fake/faults", json={"status": 500, "times": None}).status_code == 201
        assert http.delete("/_fake/faults").json() == {"faults": []}
        other = http.post("/_fake/faults", json={"status": 500}).json()
        assert http.delete(f"/_fake/faults/{other['id']}").json() == {"faults": []}

        assert http.put("/_fake/rate-limit", json={"rate": 0.001, "burst": 1}).status_code == 200
        assert http.get("/v4/model-templates", headers=sgp).status_code == 200
        limited = http.get("/v4/model-templates", headers=sgp)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert http.get("/_fake/rate-limit").json()["rate_limit"] == {"rate": 0.001, "burst": 1}
        assert http.delete("/_fake/rate-limit").json() == {"rate_limit": None}

        coverage = http.get("/_fake/coverage").json()
        create_op = coverage["operations"]["create_model_template"]
        assert (create_op["calls"], create_op["status_codes"]) == (1, {"200": 1})
        assert coverage["operations"]["list_model_templates"]["status_codes"] == {
            "200": 2,
            "429": 1,
            "503": 1,
        }
        assert http.delete("/_fake/coverage").json()["requests"] == 0

        document = {"model_templates": [template("t-1")]}
        assert http.put("/_fake/state", json=document).status_code == 200
        assert http.get("/v4/model-templates/t-1", headers=sgp).status_code == 200
        assert http.put("/_fake/state", json={"model_templates": [{}]}).status_code == 422
        assert [t["id"] for t in http.get("/_fake/state").json()["model_templates"]] == ["t-1"]

        assert http.post("/_fake/reset", params={"account_id": "acct_1"}).json() == {"deleted": 1}
        assert http.post("/_fake/reset").json() == {"deleted": 0}
        assert http.get("/_fake/requests").json() == {"requests": []}
        assert http.delete("/_fake/requests").json() == {"requests": []}
        paths = http.get("/openapi.json").json()["paths"]
        assert f"{ADMIN_PREFIX}/coverage" in paths
        assert server.stop() == 0
