"""What a resource gets by declaring more: updates, references between records, a status on the
fake's clock."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, List, Literal, Optional

import httpx
import pytest
from pydantic import BaseModel

from sgp_fake import SGPFake
from sgp_fake.core.call import Call
from sgp_fake.core.crud import crud, select, sort_records
from sgp_fake.core.operations import Lifecycle, Reference, Resource
from sgp_fake.resources import REGISTRY
from sgp_fake.resources.common import GenericDeleteResponse, IdentifierTypeEnum
from tests.registry.resources import (
    WIDGET,
    WIDGETS,
    WidgetListParams,
    _stored,
)

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


class TagPatch(BaseModel):
    name: Optional[str] = None
    widget_id: Optional[str] = None


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
        update=TagPatch,
        verbs=("create", "list", "get", "update", "delete"),
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


def test_a_create_refers_only_to_records_that_exist(more: SGPFake) -> None:
    # The standard create: a tag naming no widget (or another account's) is 404, as a state
    # document holding it would be refused; what it stores reads back through the admin API.
    with more.client() as client:
        widget = client.post("/v4/widgets", json=WIDGET).json()["id"]
        theirs = client.post("/v4/widgets", json={**WIDGET, "account_id": "acct_2"}).json()["id"]
        for missing in ("nope", theirs):
            refused = client.post(
                "/v4/tags", json={"name": "x", "widget_id": missing, "account_id": "acct_1"}
            )
            assert (refused.status_code, refused.json()) == (
                404,
                {"detail": f"Widget {missing} not found"},
            )
        tag = {"name": "x", "widget_id": widget, "account_id": "acct_1"}
        created = client.post("/v4/tags", json=tag)
        assert created.status_code == 200
        url = f"/v4/tags/{created.json()['id']}"
        moved = client.patch(url, json={"widget_id": "nope"})  # an update is checked the same
        assert (moved.status_code, moved.json()) == (404, {"detail": "Widget nope not found"})
        assert client.patch(url, json={"name": "y"}).json()["widget_id"] == widget
    with more.client(api_key=None) as admin:
        document = admin.get("/_fake/state").json()
        assert len(document["tags"]) == 1
        assert admin.put("/_fake/state", json=document).status_code == 200
    # In contract mode a made-up widget is answered, and the tag is answered but not stored.
    more.settings.contract = True
    with more.client() as client:
        made_up = {"name": "x", "widget_id": "made-up", "account_id": "acct_1"}
        answered = client.post("/v4/tags", json=made_up)
        assert (answered.status_code, answered.json()["widget_id"]) == (200, "made-up")
    assert len(more.tables["tags"].all()) == 1


class UuidTagRequest(BaseModel):
    name: str
    widget_id: uuid.UUID
    account_id: str


class UuidTag(Tag):
    widget_id: uuid.UUID  # type: ignore[assignment]


class UuidTagPage(BaseModel):
    items: List[UuidTag]
    current_page: int
    items_per_page: int
    total_item_count: int


UUID_TAGS = Resource(
    kind="tags",
    stored=UuidTag,
    noun="Tag",
    tag="Tags",
    operations=crud(
        "/v4/tags",
        "tag_id",
        noun="tag",
        create=UuidTagRequest,
        response=UuidTag,
        page=UuidTagPage,
        list_params=WidgetListParams,
        deleted=GenericDeleteResponse,
    ),
    references=(Reference("widget_id", "widgets"),),
)


def test_a_reference_typed_uuid_is_checked_as_a_string_one() -> None:
    # A reference field typed UUID names a record as its string does: a create naming no
    # record is 404, and a state document naming none is refused.
    fake = SGPFake(resources=(*REGISTRY, WIDGETS, UUID_TAGS), admin=True)
    missing = "123e4567-e89b-12d3-a456-426614174000"
    tag = {"name": "x", "widget_id": missing, "account_id": "acct_1"}
    with fake.client() as client:
        refused = client.post("/v4/tags", json=tag)
        assert (refused.status_code, refused.json()) == (
            404,
            {"detail": f"Widget {missing} not found"},
        )
        widget = client.post("/v4/widgets", json=WIDGET).json()["id"]
        assert client.post("/v4/tags", json={**tag, "widget_id": widget}).status_code == 200
    with fake.client(api_key=None) as admin:
        document = admin.get("/_fake/state").json()
        document["tags"][0]["widget_id"] = missing
        put = admin.put("/_fake/state", json=document)
        assert put.status_code == 422
        assert put.json()["detail"][0]["loc"] == ["body", "tags", 0, "widget_id"]


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
