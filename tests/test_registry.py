"""A resource is a folder and one registry line: everything else follows from its declaration.

``WIDGETS`` below is a plain CRUD resource written the way a resource folder is (its schemas,
its made-up record for contract mode, a ``Resource`` declaration from ``crud()``) and registered
only here, by passing ``resources=(*REGISTRY, WIDGETS)``. With no other edit it gets routing
(fast and Starlette alike), exact validation, the OpenAPI document, journal tags, coverage, the
admin API's state document, per-account reset, contract mode, interception and persistence.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, List, Literal, Optional

import httpx
import pytest
from pydantic import BaseModel, Field

from sgp_fake import FakeSettings, Identity, RateLimit, SGPFake
from sgp_fake.core.call import Call
from sgp_fake.core.crud import crud
from sgp_fake.core.operations import Resource
from sgp_fake.intercept import Interceptor
from sgp_fake.resources import REGISTRY
from sgp_fake.resources.common import GenericDeleteResponse, IdentifierTypeEnum

from .conftest import minimal_body

# -- the resource, as its folder would hold it ----------------------------------------------------


class WidgetRequest(BaseModel):
    name: str
    color: Literal["red", "blue"] = "red"
    account_id: str


class Widget(BaseModel):
    name: str
    color: Literal["red", "blue"] = "red"
    id: str
    created_at: datetime
    account_id: str
    created_by_user_id: str
    created_by_identity_type: IdentifierTypeEnum


class WidgetPage(BaseModel):
    items: List[Widget]
    current_page: int
    items_per_page: int
    total_item_count: int


class WidgetListParams(BaseModel):
    account_id: Optional[str] = None
    limit: int = Field(100, ge=1, le=10000)
    page: int = Field(1, ge=1)


def made_up_widget(call: Call, widget_id: str, account_id: str) -> bytes:
    identity = call.identity()
    return (
        Widget(
            name=f"made-up {widget_id}",
            id=widget_id,
            created_at=datetime(2024, 1, 1),
            account_id=account_id,
            created_by_user_id=identity.user_id,
            created_by_identity_type=IdentifierTypeEnum(identity.identity_type),
        )
        .model_dump_json(exclude_none=True)
        .encode()
    )


WIDGETS = Resource(
    kind="widgets",
    stored=Widget,
    noun="Widget",
    tag="Widgets",
    operations=crud(
        "/v4/widgets",
        "widget_id",
        noun="widget",
        create=WidgetRequest,
        response=Widget,
        page=WidgetPage,
        list_params=WidgetListParams,
        deleted=GenericDeleteResponse,
    ),
    made_up=made_up_widget,
    example={"name": "w", "account_id": "acct_1"},
)

RESOURCES = (*REGISTRY, WIDGETS)  # the one registry line
WIDGET = {"name": "w", "color": "blue", "account_id": "acct_1"}


@pytest.fixture
def widgets() -> SGPFake:
    return SGPFake(resources=RESOURCES, admin=True, coverage=True)


# -- what it gets --------------------------------------------------------------------------------


def test_routing_crud_and_exact_errors(widgets: SGPFake) -> None:
    with widgets.client() as client:
        created = client.post("/v4/widgets", json=WIDGET)
        assert created.status_code == 200
        widget = created.json()
        assert widget["color"] == "blue"
        assert widget["created_by_user_id"] == "user_sgp_fake"
        assert client.get(f"/v4/widgets/{widget['id']}").json() == widget
        page = client.get("/v4/widgets", params={"limit": 1}).json()
        assert page == {"items": [widget], "current_page": 1, "items_per_page": 1,
                        "total_item_count": 1}  # fmt: skip
        invalid = client.post("/v4/widgets", json={"name": "w", "color": "green"})
        assert invalid.status_code == 422
        assert [(e["type"], e["loc"]) for e in invalid.json()["detail"]] == [
            ("literal_error", ["body", "color"]),
            ("missing", ["body", "account_id"]),
        ]
        wrong_method = client.put(f"/v4/widgets/{widget['id']}")
        assert wrong_method.status_code == 405
        assert wrong_method.headers["allow"] == "DELETE, GET, HEAD"
        assert client.head(f"/v4/widgets/{widget['id']}").status_code == 200  # Starlette's way
        assert client.delete(f"/v4/widgets/{widget['id']}").json() == {
            "count": 1,
            "success": True,
        }
        missing = client.get(f"/v4/widgets/{widget['id']}")
        assert missing.status_code == 404
        assert missing.json() == {"detail": f"Widget {widget['id']} not found"}
        # The templates are served beside it, unchanged.
        assert client.post("/v4/model-templates", json=minimal_body()).status_code == 200


def test_accounts_and_strict_mode_apply(widgets: SGPFake) -> None:
    widgets.settings = FakeSettings(
        api_keys={"k": Identity("alice", accounts=frozenset({"acct_1"}))}, strict=True
    )
    with widgets.client(api_key="k") as client:
        foreign = client.post("/v4/widgets", json={**WIDGET, "account_id": "acct_2"})
        assert foreign.status_code == 403
        extra = client.post("/v4/widgets", json={**WIDGET, "size": 3})
        assert extra.json()["detail"][0]["type"] == "extra_forbidden"
        assert client.get("/v4/widgets", params={"account_id": "acct_2"}).status_code == 403
    widgets.tables["widgets"].put(_stored("w-2", "acct_2"))
    with widgets.client(api_key="k") as client:
        assert client.get("/v4/widgets/w-2").status_code == 404  # another account's


def _stored(widget_id: str, account_id: str = "acct_1") -> dict[str, Any]:
    return {
        "name": widget_id,
        "id": widget_id,
        "created_at": "2024-01-01T00:00:00+00:00",
        "account_id": account_id,
        "created_by_user_id": "u",
        "created_by_identity_type": "user",
    }


def test_openapi_documents_it(widgets: SGPFake) -> None:
    with widgets.client() as client:
        document = client.get("/openapi.json").json()
    operations = {
        op["operationId"]: (method, path)
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert operations["create_widget"] == ("post", "/v4/widgets")
    assert operations["list_widgets"] == ("get", "/v4/widgets")
    assert operations["get_widget"] == ("get", "/v4/widgets/{widget_id}")
    assert operations["delete_widget"] == ("delete", "/v4/widgets/{widget_id}")
    assert "create_model_template" in operations
    assert {"Widget", "WidgetRequest", "WidgetPage"} <= set(document["components"]["schemas"])
    assert "widgets" in document["components"]["schemas"]["StateDocument"]["properties"]


def test_the_journal_tags_its_calls_and_coverage_counts_them(widgets: SGPFake) -> None:
    with widgets.client() as client:
        client.post("/v4/widgets", json=WIDGET)
        client.post("/v4/widgets", json={"name": "w"})
        client.get("/v4/widgets/nope")
        client.post("/v4/model-templates", json=minimal_body())
        report = client.get("/_fake/coverage").json()
    journal = widgets.journal
    assert [e.status for e in journal.calls("create_widget")] == [200, 422]
    assert [e.operation for e in journal.creates] == [
        "create_widget",
        "create_widget",
        "create_model_template",
    ]
    assert journal.calls("get_widget")[0].path == "/v4/widgets/nope"
    create = report["operations"]["create_widget"]
    assert create["calls"] == 2
    assert create["status_codes"] == {"200": 1, "422": 1}
    assert create["enum_values"]["color"] == {"used": ["blue"], "unused": ["red"]}
    assert report["operations"]["get_widget"]["status_codes"] == {"404": 1}
    assert report["unmatched"] == {}


def test_admin_state_and_per_account_reset_cover_it(widgets: SGPFake) -> None:
    with widgets.client(api_key=None) as admin:
        document = {
            "model_templates": [],
            "widgets": [_stored("w-1"), _stored("w-2", "acct_2")],
        }
        assert admin.put("/_fake/state", json=document).status_code == 200
        state = admin.get("/_fake/state").json()
        assert list(state) == ["model_templates", "widgets"]
        assert [w["id"] for w in state["widgets"]] == ["w-1", "w-2"]
        bad = admin.put("/_fake/state", json={"widgets": [_stored("w/3")]})
        assert bad.json()["detail"][0]["loc"] == ["body", "widgets", 0, "id"]
        assert "a widget id cannot contain '/'" in bad.json()["detail"][0]["msg"]
        assert admin.post("/_fake/reset", params={"account_id": "acct_2"}).json() == {"deleted": 1}
        assert [w.id for w in widgets.widgets.all()] == ["w-1"]
        assert admin.post("/_fake/reset").json() == {"deleted": 1}
        assert len(widgets.tables["widgets"]) == 0


def test_contract_mode_makes_up_a_widget(widgets: SGPFake) -> None:
    widgets.settings = FakeSettings(contract=True)
    with widgets.client(headers={"x-selected-account-id": "acct_9"}) as client:
        answer = client.get("/v4/widgets/widget_id").json()
        assert answer["id"] == "widget_id"
        assert answer["account_id"] == "acct_9"
        assert client.delete("/v4/widgets/widget_id").json() == {"count": 1, "success": True}
    assert len(widgets.tables["widgets"]) == 0  # nothing stored


def test_interception_serves_it(widgets: SGPFake) -> None:
    with Interceptor(widgets, include_env=False), httpx.Client() as client:
        answer = client.post(
            "https://api.egp.scale.com/v4/widgets", json=WIDGET, headers={"x-api-key": "k"}
        )
        assert answer.status_code == 200


def test_persistence_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    fake = SGPFake(resources=RESOURCES, state_file=path)
    try:
        with fake.client() as client:
            widget = client.post("/v4/widgets", json=WIDGET).json()
            template = client.post("/v4/model-templates", json=minimal_body()).json()
    finally:
        fake.close()
    again = SGPFake(resources=RESOURCES, state_file=path)
    try:
        with again.client() as client:
            assert client.get(f"/v4/widgets/{widget['id']}").json() == widget
            assert client.get(f"/v4/model-templates/{template['id']}").json() == template
    finally:
        again.close()
    # A fake that does not serve widgets refuses the file rather than lose them.
    with pytest.raises(Exception, match="kind 'widgets'"):
        SGPFake(state_file=path)


def test_a_reset_is_one_transaction_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    fake = SGPFake(resources=RESOURCES, state_file=path)
    commits: list[str] = []
    assert fake.persistence is not None
    fake.persistence._db.set_trace_callback(  # type: ignore[attr-defined]
        lambda statement: commits.append(statement) if statement == "COMMIT" else None
    )
    try:
        for i in range(3):
            fake.tables["widgets"].put(_stored(f"w-{i}"))
            fake.store.put({**minimal_body(), **_stored(f"t-{i}")})
        commits.clear()
        assert fake.reset() == 6
        assert commits == ["COMMIT"]
    finally:
        fake.close()


# -- what every registered resource declares holds ------------------------------------------------

SERVER_FIELDS = (
    "id",
    "created_at",
    "account_id",
    "created_by_user_id",
    "created_by_identity_type",
)


@pytest.mark.parametrize("resource", REGISTRY, ids=lambda r: r.kind)
def test_a_declared_splice_writes_what_the_model_writes(resource: Resource) -> None:
    # Stored records are spliced from the request's JSON and the server's fields: that is the
    # response model's JSON only if the model lists the request's fields, then the server's.
    if resource.splice is None:
        pytest.skip("no splice declared")
    request_fields = tuple(n for n in resource.splice.model_fields if n != "account_id")
    assert tuple(resource.stored.model_fields) == (*request_fields, *SERVER_FIELDS)
    fake = SGPFake()
    with fake.client() as client:
        created = client.post(resource.collection, json=dict(resource.example))
    assert created.status_code == 200
    model = resource.stored.model_validate_json(created.content)
    assert created.content == model.model_dump_json(exclude_none=True).encode()


@pytest.mark.parametrize(
    "twin", [t for r in REGISTRY for t in r.twins], ids=lambda t: t.model.__name__
)
@pytest.mark.parametrize("extra", ["ignore", "forbid"])
def test_a_declared_twin_accepts_and_writes_what_its_model_does(twin: Any, extra: Any) -> None:
    resource = next(r for r in REGISTRY if twin in r.twins)
    bodies = [
        dict(resource.example),
        {**resource.example, "unknown": 1},
        {**resource.example, "name": None},
        {k: v for k, v in resource.example.items() if k != "name"},
    ]
    for body in bodies:
        raw = json.dumps(body).encode()
        try:
            model = twin.model.model_validate_json(raw, extra=extra)
        except ValueError:
            assert twin.validate(raw, extra) is None
            continue
        data = twin.validate(raw, extra)
        assert data is not None
        exclude = set(twin.exclude)
        assert twin.dump(data) == model.model_dump_json(exclude_none=True, exclude=exclude).encode()


def test_the_router_agrees_with_starlette_on_precedence() -> None:
    from sgp_fake.core.operations import Operation
    from sgp_fake.core.routing import Router

    def handler(call: Call) -> Any:
        raise AssertionError

    later = Operation("static", "GET", "/a/b", handler)
    first = Operation("param", "GET", "/a/{x}", handler)
    with pytest.raises(ValueError, match="shadowed"):
        Router([first, later])
    router = Router([later, first])  # the static one first: both agree it wins
    assert router.match("GET", "/a/b") == (later, {})
    assert router.match("GET", "/a/c") == (first, {"x": "c"})


def test_the_core_answers_for_every_resource_what_a_handler_never_sees(widgets: SGPFake) -> None:
    widgets.settings = FakeSettings(api_keys={"k": Identity("alice")})
    with widgets.client(api_key=None) as anonymous:
        # Authentication comes first, whatever the handler reads: 401, not the body's 422.
        assert anonymous.post("/v4/widgets", json={}).status_code == 401
    with widgets.client(api_key="k") as client:
        # A string UTF-8 cannot carry is a 400 from any create, never a 500.
        surrogate = b'{"name": "\\ud800", "account_id": "acct_1"}'
        answer = client.post(
            "/v4/widgets", content=surrogate, headers={"content-type": "application/json"}
        )
        assert (answer.status_code, answer.json()) == (
            400,
            {"detail": "There was an error parsing the body"},
        )
        # HEAD reaches the GET operation: named so in the journal, exempt as it is.
        widgets.rate_limiter.configure(RateLimit(rate=0.001, burst=1))
        assert client.head("/openapi.json").status_code == 200
        assert client.head("/openapi.json").status_code == 200
        assert client.head("/v4/widgets").status_code == 200
        assert client.head("/v4/widgets").status_code == 429
    operations = [(e.method, e.operation, e.rule) for e in widgets.journal][-4:]
    assert operations == [
        ("HEAD", "get_openapi", None),
        ("HEAD", "get_openapi", None),
        ("HEAD", "list_widgets", None),
        ("HEAD", "list_widgets", "rate-limit"),
    ]
