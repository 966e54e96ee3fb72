"""The admin API's state document: read, replaced, and refused whole when any record is wrong."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticSerializationError

from sgp_fake import LiveServer, SGPFake
from sgp_fake.extras.admin import MAX_ID_LENGTH as MAX_TEMPLATE_ID_LENGTH
from sgp_fake.factories import TemplateFactory, seed_templates
from tests.extras.admin.records import TIMEOUT, create, state, template


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


@pytest.mark.parametrize("over", ["in process", "a socket"])
def test_a_state_document_over_the_body_limit_goes_back_in(over: str) -> None:
    # The service's 1 MiB limit is not the admin API's: what GET /_fake/state wrote is taken.
    fake = SGPFake(admin=True)
    seed_templates(fake, 800)
    with contextlib.ExitStack() as stack:
        if over == "a socket":
            server = stack.enter_context(LiveServer(fake.app))
            http = stack.enter_context(httpx.Client(base_url=server.url, timeout=TIMEOUT))
        else:
            http = stack.enter_context(fake.client(api_key=None))
        document = http.get("/_fake/state").content
        assert len(document) > fake.settings.max_body_size
        assert http.post("/_fake/reset").status_code == 200
        assert len(fake.store) == 0
        answer = http.put("/_fake/state", content=document)
        assert answer.status_code == 200, answer.text[:300]
        assert http.get("/_fake/state").content == document
        # The service's own routes keep their limit.
        too_big = http.post("/v4/model-templates", content=document, headers={"x-api-key": "k"})
        assert too_big.status_code == 413
