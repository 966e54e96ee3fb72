"""A resource is a folder and one registry line: everything else follows from its declaration.

``WIDGETS`` below is a plain CRUD resource written the way a resource folder is (its schemas,
its made-up record for contract mode, a ``Resource`` declaration from ``crud()``) and registered
only here, by passing ``resources=(*REGISTRY, WIDGETS)``. With no other edit it gets routing
(fast and Starlette alike), exact validation, the OpenAPI document, journal tags, coverage, the
admin API's state document, per-account reset, contract mode, interception and persistence.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, List, Literal, Optional

import httpx
import pytest
from pydantic import BaseModel, Field

from sgp_fake import FakeSettings, Identity, RateLimit, SGPFake, payloads
from sgp_fake.core.call import Call
from sgp_fake.core.crud import crud, select, sort_records
from sgp_fake.core.operations import Lifecycle, Operation, Reference, Resource
from sgp_fake.factories import for_resource
from sgp_fake.intercept import Interceptor
from sgp_fake.payloads import invalid_payloads_for
from sgp_fake.resources import REGISTRY
from sgp_fake.resources.common import GenericDeleteResponse, IdentifierTypeEnum
from sgp_fake.testdata import invalid as engine
from tests.support.bodies import minimal_body

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
        assert list(state) == [*(r.kind for r in REGISTRY), "widgets"]
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


# -- its test data, from the declaration alone --------------------------------------------------

WIDGET_PAYLOADS = invalid_payloads_for(WIDGETS)


def test_it_gets_a_factory_whose_bodies_and_records_the_fake_takes(widgets: SGPFake) -> None:
    factory = for_resource(WIDGETS, seed=3, account_id="acct_1")
    again = for_resource(WIDGETS, seed=3, account_id="acct_1")
    bodies = [factory.request(optional=o) for o in ("all", "none", "random")]
    assert bodies == [again.request(optional=o) for o in ("all", "none", "random")]
    assert set(bodies[0]) == {"name", "color", "account_id"}
    assert set(bodies[1]) == {"name", "account_id"}
    assert factory.request(color="blue", name="x")["color"] == "blue"
    with widgets.client() as client:
        for body in bodies:
            created = client.post(WIDGETS.collection, json=body)
            assert created.status_code == 200, created.text
            assert {k: created.json()[k] for k in body} == body
        record = factory.record(id="w-made", optional="all")
        assert Widget.model_validate(record).account_id == "acct_1"
        widgets.tables["widgets"].put(record)
        assert client.get("/v4/widgets/w-made").json() == record
        with widgets.client(api_key=None) as admin:
            document = {"widgets": [factory.record(id=f"w-{i}") for i in range(3)]}
            assert admin.put("/_fake/state", json=document).status_code == 200
        assert client.get("/v4/widgets").json()["total_item_count"] == 3


def test_it_gets_invalid_payloads_of_every_kind() -> None:
    assert list(WIDGET_PAYLOADS) == [
        "missing_name",
        "missing_account_id",
        "wrong_type_name",
        "bad_color",
        "wrong_type_account_id",
        "malformed_json",
        "truncated_json",
        "empty_body",
        "not_an_object",
        "text_content_type",
    ]


@pytest.mark.parametrize("name", list(WIDGET_PAYLOADS))
def test_its_invalid_payloads_earn_the_exact_422_predicted(widgets: SGPFake, name: str) -> None:
    payload = WIDGET_PAYLOADS[name]
    assert payload.path == "/v4/widgets"  # its own create route, read from its operations
    with widgets.client() as client:
        answer = payload.post(client)
    assert answer.status_code == payload.expected_status == 422
    assert answer.content == payload.expected_content


def _never(call: Call) -> Any:
    raise AssertionError


def test_the_engine_never_falls_back_to_another_resources_route() -> None:
    # A body model no registered operation takes is refused, not sent to the templates' route.
    with pytest.raises(ValueError, match="WidgetRequest"):
        payloads.missing(WIDGET, "name", model=WidgetRequest)
    create = next(op for op in WIDGETS.operations if op.verb == "create")
    given = payloads.missing(WIDGET, "name", model=WidgetRequest, operation=create)
    assert (given.path, given.content) == (
        "/v4/widgets",
        b'{"color": "blue", "account_id": "acct_1"}',
    )
    # The engine has no default operation at all.
    with pytest.raises(TypeError):
        engine.missing(WIDGET, "name")  # type: ignore[call-arg]
    # A resource with no create operation gets no bodies, rather than another's.
    gadgets = Resource(
        kind="gadgets",
        stored=Widget,
        noun="Gadget",
        operations=(Operation("get_gadget", "GET", "/v4/gadgets/{gadget_id}", _never),),
    )
    with pytest.raises(ValueError, match="no create operation"):
        invalid_payloads_for(gadgets)
    with pytest.raises(ValueError, match="no create operation"):
        for_resource(gadgets).request()
    # An operation that takes no body is refused too.
    bodiless = Operation("ping", "POST", "/v4/ping", _never)
    with pytest.raises(ValueError, match="takes no body"):
        engine.empty_body(operation=bodiless)
    # And every registered catalogue sends to its own resource's route.
    assert {p.path for p in payloads.invalid_payloads().values()} == {"/v4/model-templates"}
    assert {p.path for p in payloads.invalid_model_payloads().values()} == {"/v4/models"}
    assert {p.path for p in payloads.invalid_deployment_payloads().values()} == {
        "/v4/models/{model_instance_id}/deployments"
    }


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


# -- what a resource gets by declaring more: updates, references, a status on the clock -----------
#
# ``PARTS`` hang under widgets (``/v4/widgets/{widget_id}/parts``), are updated with PATCH, go with
# their widget (``on_delete="cascade"``) and have a status that moves with the fake's clock.
# ``TAGS`` name a widget and keep it from being deleted (``on_delete="restrict"``). Neither is
# anything but declarations and a create handler.


class PartRequest(BaseModel):
    name: str
    status: Literal["PENDING", "READY"] = "PENDING"


class PartPatch(BaseModel):
    name: str = None  # type: ignore[assignment]
    size: int = None  # type: ignore[assignment]


class Part(BaseModel):
    name: str
    size: Optional[int] = None
    status: str
    widget_id: str
    id: str
    created_at: datetime
    account_id: str
    created_by_user_id: str
    created_by_identity_type: IdentifierTypeEnum


class PartPage(BaseModel):
    items: List[Part]
    current_page: int
    items_per_page: int
    total_item_count: int


class PartListParams(BaseModel):
    limit: int = 100
    page: int = 1
    sort_by: List[Literal["name:asc", "name:desc", "size:asc", "size:desc"]] = None  # type: ignore[assignment]


def create_part(call: Call) -> Any:
    from sgp_fake.core.answers import ok

    identity = call.identity()
    request = call.body(PartRequest)
    widget_id = call.params["widget_id"]
    with call.transaction():
        widget = call.find(widget_id, "widgets")
        fields = {**request.model_dump(), "widget_id": widget_id}
        record = call.table().create_record(fields, widget.account_id, identity)
    return ok(record.body)


def list_parts(call: Call) -> Any:
    from sgp_fake.core.answers import ok
    from sgp_fake.core.crud import page_body, select

    params: Any = call.query()
    widget = call.find(call.params["widget_id"], "widgets")
    sort_by = params.sort_by or ()
    items, total = select(
        call.table(), None, params.page, params.limit, parent=widget.id, sort_by=sort_by
    )
    return ok(page_body(items, params.page, params.limit, total, call))


PARTS = Resource(
    kind="parts",
    stored=Part,
    noun="Part",
    tag="Parts",
    operations=crud(
        "/v4/widgets/{widget_id}/parts",
        "part_id",
        noun="part",
        create=PartRequest,
        response=Part,
        page=PartPage,
        list_params=PartListParams,
        deleted=GenericDeleteResponse,
        update=PartPatch,
        verbs=("create", "list", "get", "update", "delete"),
        handlers={"create": create_part, "list": list_parts},
    ),
    parent_field="widget_id",
    references=(Reference("widget_id", "widgets", on_delete="cascade"),),
    lifecycle=Lifecycle(delay="deployment_ready_after"),
)


class TagRequest(BaseModel):
    name: str
    widget_id: str
    account_id: str


class Tag(BaseModel):
    name: str
    widget_id: str
    id: str
    created_at: datetime
    account_id: str
    created_by_user_id: str
    created_by_identity_type: IdentifierTypeEnum


class TagPage(BaseModel):
    items: List[Tag]
    current_page: int
    items_per_page: int
    total_item_count: int


TAGS = Resource(
    kind="tags",
    stored=Tag,
    noun="Tag",
    tag="Tags",
    operations=crud(
        "/v4/tags",
        "tag_id",
        noun="tag",
        create=TagRequest,
        response=Tag,
        page=TagPage,
        list_params=WidgetListParams,
        deleted=GenericDeleteResponse,
    ),
    references=(Reference("widget_id", "widgets"),),
)

MORE = (*REGISTRY, WIDGETS, PARTS, TAGS)


@pytest.fixture
def more() -> SGPFake:
    return SGPFake(resources=MORE, admin=True)


def _widget_with_parts(client: httpx.Client, *names: str) -> tuple[str, list[dict[str, Any]]]:
    widget = client.post("/v4/widgets", json=WIDGET).json()["id"]
    parts = [
        client.post(f"/v4/widgets/{widget}/parts", json={"name": name}).json() for name in names
    ]
    return widget, parts


def test_patch_sets_what_it_sends_and_validates_the_whole(more: SGPFake) -> None:
    with more.client() as client:
        widget, (part,) = _widget_with_parts(client, "bolt")
        url = f"/v4/widgets/{widget}/parts/{part['id']}"
        patched = client.patch(url, json={"size": 3})
        assert patched.status_code == 200
        # (its status moved on as the default delay, 0 seconds, says)
        assert patched.json() == {**part, "size": 3, "status": "READY"}
        assert client.get(url).json() == patched.json()
        assert client.patch(url, json={}).json() == patched.json()  # nothing sent, nothing set
        invalid = client.patch(url, json={"size": "big"})
        assert invalid.status_code == 422
        assert invalid.json()["detail"][0]["loc"] == ["body", "size"]
        assert client.patch(url, json={"size": None}).status_code == 422  # null is no int
        assert client.patch(f"/v4/widgets/{widget}/parts/nope", json={}).status_code == 404
        other = client.post("/v4/widgets", json=WIDGET).json()["id"]
        # a part is found only under its own widget
        assert client.patch(f"/v4/widgets/{other}/parts/{part['id']}", json={}).status_code == 404
        assert client.get(url).json()["size"] == 3
    with more.client(api_key=None) as admin:
        document = admin.get("/openapi.json").json()
    update = document["paths"]["/v4/widgets/{widget_id}/parts/{part_id}"]["patch"]
    assert update["operationId"] == "update_part"
    assert update["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PartPatch"
    }
    assert set(update["responses"]) == {"200", "400", "401", "403", "404", "413", "422", "429"}


def test_a_patch_racing_a_delete_is_a_404_never_a_500(more: SGPFake) -> None:
    table = more.tables["parts"]
    with more.client() as client:
        widget, parts = _widget_with_parts(client, *(f"p{i}" for i in range(40)))
    statuses: list[int] = []

    def patch_all() -> None:
        with more.client() as client:
            for part in parts:
                url = f"/v4/widgets/{widget}/parts/{part['id']}"
                statuses.append(client.patch(url, json={"size": 1}).status_code)

    def delete_all() -> None:
        with more.client() as client:
            for part in reversed(parts):
                client.delete(f"/v4/widgets/{widget}/parts/{part['id']}")

    threads = [threading.Thread(target=patch_all), threading.Thread(target=delete_all)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {200, 404}
    assert len(table) == 0
    # Table.modify and Table.patch answer None for a record that is gone
    assert table.modify("gone", lambda record: b"{}") is None
    assert table.patch("gone", {"size": 1}) is None


def test_a_delete_cascades_in_one_transaction(tmp_path: Path) -> None:
    fake = SGPFake(resources=MORE, state_file=tmp_path / "state.db")
    assert fake.persistence is not None
    try:
        with fake.client() as client:
            widget, _ = _widget_with_parts(client, "a", "b", "c")
            kept, _ = _widget_with_parts(client, "d")
            commits: list[str] = []
            fake.persistence._db.set_trace_callback(  # type: ignore[attr-defined]
                lambda statement: commits.append(statement) if statement == "COMMIT" else None
            )
            assert client.delete(f"/v4/widgets/{widget}").json() == {"count": 1, "success": True}
            assert commits == ["COMMIT"]
            assert client.get(f"/v4/widgets/{widget}/parts").status_code == 404
        assert [r.parent for r in fake.tables["parts"].all()] == [kept]
    finally:
        fake.close()
    again = SGPFake(resources=MORE, state_file=tmp_path / "state.db")
    try:
        assert [r.parent for r in again.tables["parts"].all()] == [kept]
        assert [r.id for r in again.tables["widgets"].all()] == [kept]
    finally:
        again.close()


def test_a_restricting_reference_refuses_the_delete_with_a_count(more: SGPFake) -> None:
    with more.client() as client:
        widget = client.post("/v4/widgets", json=WIDGET).json()["id"]
        tags = [
            client.post("/v4/tags", json={"name": n, "widget_id": widget, "account_id": "acct_1"})
            for n in ("x", "y")
        ]
        refused = client.delete(f"/v4/widgets/{widget}")
        assert (refused.status_code, refused.json()) == (
            400,
            {"detail": f"Widget {widget} is used by 2 tags"},
        )
        client.delete(f"/v4/tags/{tags[0].json()['id']}")
        assert client.delete(f"/v4/widgets/{widget}").json()["detail"].endswith("by 1 tag")
        client.delete(f"/v4/tags/{tags[1].json()['id']}")
        assert client.delete(f"/v4/widgets/{widget}").status_code == 200
        assert client.delete(f"/v4/widgets/{widget}").status_code == 404
    with more.client(api_key=None) as admin:
        paths = admin.get("/openapi.json").json()["paths"]
    delete = paths["/v4/widgets/{widget_id}"]["delete"]["responses"]
    assert delete["400"]["description"] == "The widget is still used by tags"
    assert "400" not in paths["/v4/tags/{tag_id}"]["delete"]["responses"]


def test_sort_by_and_filters_over_a_table(more: SGPFake) -> None:
    with more.client() as client:
        widget, parts = _widget_with_parts(client, "b", "a", "c", "a")
        ids = [p["id"] for p in parts]
        client.patch(f"/v4/widgets/{widget}/parts/{ids[0]}", json={"size": 2})
        client.patch(f"/v4/widgets/{widget}/parts/{ids[3]}", json={"size": 1})

        def listed(**params: Any) -> list[str]:
            page = client.get(f"/v4/widgets/{widget}/parts", params=params).json()
            return [ids.index(p["id"]) for p in page["items"]]

        assert listed() == [0, 1, 2, 3]  # creation order
        assert listed(sort_by="name:asc") == [1, 3, 0, 2]  # ties keep creation order
        assert listed(sort_by="name:desc") == [2, 0, 1, 3]
        assert listed(sort_by="size:asc") == [3, 0, 1, 2]  # absent last ascending
        assert listed(sort_by="size:desc") == [1, 2, 0, 3]  # and first descending
        assert listed(sort_by="name:asc,size:desc") == [1, 3, 0, 2]
        assert listed(sort_by="name:asc,size:asc") == [3, 1, 0, 2]
        assert listed(sort_by="name:desc,name:asc") == [2, 0, 1, 3]  # a repeated key is moot
        assert listed(sort_by="name:asc", limit=2, page=2) == [0, 2]
        assert listed(sort_by="name:asc", limit=2, page=3) == []
        assert listed(sort_by="name:asc", limit=2, page=0) == []
        assert listed(limit=0) == []
        unknown = client.get(f"/v4/widgets/{widget}/parts", params={"sort_by": "x:asc"})
        assert unknown.status_code == 422
    table = more.tables["parts"]
    records = table.records()
    assert [r.id for r in select(table, None, 1, 10, where=lambda r: b'"a"' in r.body)[0]] == [
        ids[1],
        ids[3],
    ]
    assert sort_records(records, ["size:desc"], value=lambda r, f: len(r.id)) == records


def test_a_status_moves_with_the_fakes_clock(more: SGPFake) -> None:
    more.settings.deployment_ready_after = 30
    with more.client() as client, more.client(api_key=None) as admin:
        widget, (part,) = _widget_with_parts(client, "p")
        url = f"/v4/widgets/{widget}/parts/{part['id']}"
        assert part["status"] == "PENDING"
        for _ in range(3):
            assert client.get(url).json()["status"] == "PENDING"  # reading never moves it
        more.clock.advance(29)
        assert client.get(url).json()["status"] == "PENDING"
        clock = admin.post("/_fake/clock", json={"advance": 1}).json()
        assert clock["offset"] == 30
        assert abs(clock["now"] - more.clock.now()) < 60
        listed = client.get(f"/v4/widgets/{widget}/parts").json()["items"]
        assert [p["status"] for p in listed] == ["READY"]
        # the change was written: the state document says it too
        assert admin.get("/_fake/state").json()["parts"][0]["status"] == "READY"

        failed = {"kind": "parts", "id": part["id"], "status": "FAILED"}
        forced = admin.post("/_fake/status", json=failed)
        assert forced.json() == {"kind": "parts", "id": part["id"], "status": "FAILED"}
        assert client.get(url).json()["status"] == "FAILED"
        more.force_status("parts", part["id"], "PENDING")
        more.clock.advance(3600)
        assert client.get(url).json()["status"] == "PENDING"  # forced: it holds
        client.patch(url, json={"size": 1})  # a change that keeps the status keeps it held
        assert client.get(url).json()["status"] == "PENDING"

        nope = {"kind": "parts", "id": "nope", "status": "READY"}
        missing = admin.post("/_fake/status", json=nope)
        assert (missing.status_code, missing.json()) == (404, {"detail": "Part nope not found"})
        wrong = admin.post("/_fake/status", json={"kind": "widgets", "id": "x", "status": "READY"})
        assert wrong.status_code == 422
        assert admin.post("/_fake/clock", json={"advance": -1}).status_code == 422
        assert admin.get("/_fake/clock").json()["offset"] == 3630

    more.settings.deployment_ready_after = 0
    with more.client() as client:
        widget, (part,) = _widget_with_parts(client, "q")
        assert part["status"] == "PENDING"  # the create answers what it wrote
        url = f"/v4/widgets/{widget}/parts/{part['id']}"
        assert client.get(url).json()["status"] == "READY"  # and the next request sees READY
    with pytest.raises(ValueError, match="not a status"):
        more.force_status("parts", part["id"], "GONE")
    with pytest.raises(KeyError):
        more.force_status("widgets", widget, "READY")


def test_a_state_document_with_dangling_references_is_refused(more: SGPFake) -> None:
    def part(part_id: str, widget_id: str, account_id: str = "acct_1") -> dict[str, Any]:
        return {**_stored(part_id, account_id), "status": "READY", "widget_id": widget_id}

    with more.client(api_key=None) as admin:
        good = {"widgets": [_stored("w-1")], "parts": [part("p-1", "w-1")]}
        assert admin.put("/_fake/state", json=good).status_code == 200
        bad = {
            "widgets": [_stored("w-1"), _stored("w-2", "acct_2")],
            "parts": [part("p-1", "w-1"), part("p-2", "w-9"), part("p-3", "w-2")],
        }
        answer = admin.put("/_fake/state", json=bad)
        assert answer.status_code == 422
        assert answer.json()["detail"] == [
            {
                "type": "value_error",
                "loc": ["body", "parts", 1, "widget_id"],
                "msg": "Value error, no widget 'w-9' in the document",
                "input": "w-9",
                "ctx": {"error": "no widget 'w-9' in the document"},
            },
            {
                "type": "value_error",
                "loc": ["body", "parts", 2, "widget_id"],
                "msg": "Value error, widget 'w-2' belongs to account 'acct_2', not 'acct_1'",
                "input": "w-2",
                "ctx": {"error": "widget 'w-2' belongs to account 'acct_2', not 'acct_1'"},
            },
        ]
        assert [p["id"] for p in admin.get("/_fake/state").json()["parts"]] == ["p-1"]  # unchanged
