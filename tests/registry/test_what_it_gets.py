"""What a declared resource gets with no other edit: routing, exact errors, accounts, the OpenAPI
document, the journal, coverage, the admin API, contract mode, interception and persistence."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sgp_fake import FakeSettings, Identity, SGPFake
from sgp_fake.intercept import Interceptor
from sgp_fake.resources import REGISTRY
from tests.registry.resources import (
    RESOURCES,
    WIDGET,
    _stored,
)
from tests.support.bodies import minimal_body


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
