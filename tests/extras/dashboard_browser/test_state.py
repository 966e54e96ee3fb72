"""The dashboard's state in a real browser: upload, refused upload, per-account reset, links
between records, download."""

from __future__ import annotations

import json
from typing import Any

from sgp_fake import SGPFake
from tests.extras.dashboard_browser.pages import (
    Served,
    open_page,
    require_a_browser,
    view,
)
from tests.extras.dashboard_browser.records import linked, template

require_a_browser()

from playwright.sync_api import Page, expect  # noqa: E402

STATE = {
    "model_templates": [template("tpl_a", "acct_a"), template("tpl_b", "acct_b")],
    "gadgets": [
        linked("gad_1", "acct_a", model_template_id="tpl_a"),
        linked("gad_2", "acct_a", model_template_id="tpl_a"),
    ],
    "gizmos": [linked("giz_1", "acct_a", gadget_id="gad_2", status="READY")],
}


def ids_of(state: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """The ids of each kind that has records (whatever other kinds the fake serves)."""
    return {kind: [r["id"] for r in records] for kind, records in state.items() if records}


def ids(fake: SGPFake) -> dict[str, list[str]]:
    with fake.client(api_key=None) as admin:
        return ids_of(admin.get("/_fake/state").json())


def test_upload_a_state_document(served: Served, page: Page) -> None:
    open_page(page, served.url)
    view(page, "state")
    page.set_input_files(
        "#state-file",
        files=[{"name": "fixture.json", "mimeType": "application/json",
                "buffer": json.dumps(STATE).encode()}],
    )  # fmt: skip
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("2 model_templates, 2 gadgets, 1 gizmos")
    curl = f"curl -X PUT --data-binary @fixture.json '{served.server.url}/_fake/state'"
    expect(page.locator("#confirm-curl")).to_have_text(curl)
    page.click("#confirm-ok")
    expect(page.locator("#state-count")).to_have_text(
        "5 records: 2 model templates, 2 gadgets, 1 gizmo; 2 accounts"
    )
    assert page.inner_text("#lastcall") == curl
    assert ids(served.fake) == ids_of(STATE)
    expect(page.locator("section[data-account=acct_a] details.record")).to_have_count(4)


def test_a_refused_upload_changes_nothing_and_says_why(
    served: Served, page: Page, console_allows: list[str]
) -> None:
    console_allows.append("status of 422")
    served.create()
    open_page(page, served.url)
    view(page, "state")
    bad = {"model_templates": [{**template("tpl_x", "acct_a"), "endpoint_type": "NOPE"}]}
    page.set_input_files(
        "#state-file",
        files=[{"name": "bad.json", "mimeType": "application/json",
                "buffer": json.dumps(bad).encode()}],
    )  # fmt: skip
    page.click("#confirm-ok")
    errors = page.locator("#state-errors")
    expect(errors).to_contain_text("The fake refused bad.json (422); nothing changed.")
    expect(errors).to_contain_text("body.model_templates.0.endpoint_type")
    assert len(served.fake.store) == 1


def test_reset_an_account_after_confirming(served: Served, page: Page) -> None:
    with served.fake.client(api_key=None) as admin:
        assert admin.put("/_fake/state", json=STATE).status_code == 200
    open_page(page, served.url)
    view(page, "state")
    reset_a = page.locator("button[data-reset=acct_a]")
    reset_a.click()
    expect(page.locator("#confirm-title")).to_have_text("Reset account acct_a?")
    curl = f"curl -X POST '{served.server.url}/_fake/reset?account_id=acct_a'"
    expect(page.locator("#confirm-curl")).to_have_text(curl)
    page.click("#confirm-cancel")  # cancelling changes nothing
    expect(page.locator("#confirm")).to_be_hidden()
    assert len(served.fake.tables["gadgets"]) == 2
    reset_a.click()
    page.click("#confirm-ok")
    expect(page.locator("section[data-account=acct_a]")).to_have_count(0)
    expect(page.locator("section[data-account=acct_b]")).to_have_count(1)
    expect(page.locator("#state-errors")).to_have_text("Deleted 4 records.")
    assert ids(served.fake) == {"model_templates": ["tpl_b"]}
    assert page.inner_text("#lastcall") == curl


def test_links_between_records_are_navigable(served: Served, page: Page) -> None:
    with served.fake.client(api_key=None) as admin:
        assert admin.put("/_fake/state", json=STATE).status_code == 200
    open_page(page, served.url)
    view(page, "state")
    page.click("#rec-model_templates-tpl_a > summary")
    template_record = page.locator("#rec-model_templates-tpl_a")
    expect(template_record.locator(".refs li")).to_have_text(
        ["model_template_id of Gadget gad_1", "model_template_id of Gadget gad_2"]
    )
    template_record.get_by_role("button", name="Gadget gad_2").click()
    gadget = page.locator("#rec-gadgets-gad_2")
    expect(gadget).to_have_attribute("open", "")
    assert page.evaluate("document.activeElement.parentElement.id") == "rec-gadgets-gad_2"
    expect(gadget.locator(".refs li")).to_have_text(
        ["model_template_id → Model template tpl_a", "gadget_id of Gizmo giz_1"]
    )
    gadget.get_by_role("button", name="Gizmo giz_1").click()
    expect(page.locator("#rec-gizmos-giz_1")).to_have_attribute("open", "")
    expect(page.locator("#rec-gizmos-giz_1 pre.json")).to_contain_text('"status": "READY"')


def test_download_the_state_document(served: Served, page: Page) -> None:
    served.create(name="kept")
    open_page(page, served.url)
    view(page, "state")
    with page.expect_download() as download:
        page.click("#download-state")
    path = download.value.path()
    assert json.loads(path.read_text()) == json.loads(served.fake.client(api_key=None).get(
        "/_fake/state").content)  # fmt: skip
    assert download.value.suggested_filename == "sgp-fake-state.json"


def test_records_changed_by_another_client_show_with_no_request(served: Served, page: Page) -> None:
    # A test's set-up resets the fake or loads its records with admin calls, which the journal
    # does not show: the view follows the state all the same.
    served.create(account_id="acct_a")
    open_page(page, served.url)
    view(page, "state")
    expect(page.locator("#state-count")).to_have_text("1 record: 1 model template; 1 account")
    served.fake.reset()
    expect(page.locator("main")).to_contain_text("The fake holds no records.")
    with served.fake.client(api_key=None) as admin:
        assert admin.put("/_fake/state", json=STATE).status_code == 200
    expect(page.locator("#state-count")).to_have_text(
        "5 records: 2 model templates, 2 gadgets, 1 gizmo; 2 accounts"
    )
    assert served.fake.journal.entries() == []  # nothing the page could have seen there
