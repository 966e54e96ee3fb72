"""The dashboard's requests in a real browser: a client's calls appear live, a 422 shows each
error by its field, filters, and rows that open with the keyboard."""

from __future__ import annotations

import re
from typing import Any

import httpx

from sgp_fake import LiveServer, SGPFake
from sgp_fake.core.routing import DASHBOARD_PREFIX
from tests.extras.dashboard_browser.pages import (
    API_KEY,
    Served,
    open_page,
    require_a_browser,
    rows,
)
from tests.support.bodies import minimal_body

require_a_browser()

from playwright.sync_api import Page, expect  # noqa: E402


def test_a_create_made_by_a_client_appears_live(served: Served, page: Page) -> None:
    served.create(name="first")
    open_page(page, served.url)
    expect(rows(page)).to_have_count(1)
    page.evaluate("window.stillTheSamePage = true")
    created = served.create(name="second", account_id="acct_live")
    assert created.status_code == 200
    newest = rows(page).first
    expect(newest).to_contain_text("POST")
    expect(newest).to_contain_text("acct_live")
    expect(rows(page)).to_have_count(2)
    assert newest.get_attribute("data-seq") == "2"
    assert page.evaluate("window.stillTheSamePage") is True  # updated, not reloaded
    expect(page.locator("#journal-count")).to_have_text("2 requests")


def test_a_422_shows_each_error_next_to_its_field(served: Served, page: Page) -> None:
    body = minimal_body()
    del body["name"]
    body["vendor_configuration"]["bundle_config"]["tag"] = 5
    answer = served.client.post("/v4/model-templates", json=body)
    assert answer.status_code == 422
    open_page(page, served.url)
    rows(page).first.click()
    expect(page.locator("#detail h2")).to_contain_text("→ 422")
    request_body = page.locator("#detail pre.json").first
    lines = request_body.inner_text().splitlines()
    tag = next(line for line in lines if '"tag"' in line)
    assert re.search(r'"tag": 5\s+← Input should be a valid string \(string_type\)', tag), tag
    name = next(line for line in lines if '"name"' in line)
    assert re.search(r'"name": \(missing\)\s+← Field required \(missing\)', name), name
    # No other line carries an error: each is where it points.
    assert sum("←" in line for line in lines) == 2
    # The API key in the journal's headers is masked to its last 4 characters.
    headers = page.locator("#detail table.headers").first
    expect(headers.locator("tr", has_text="x-api-key")).to_contain_text("••••cdef")
    assert API_KEY not in page.content()


def test_filter_by_path_status_and_account(served: Served, page: Page) -> None:
    served.create(account_id="acct_a")  # 1
    served.create(account_id="acct_b")  # 2
    served.client.post("/v4/model-templates", json={"account_id": "acct_a"})  # 3: 422
    served.client.get("/v4/model-templates/nope")  # 4: 404
    served.client.get("/v4/model-templates", params={"account_id": "acct_b"})  # 5
    open_page(page, served.url)
    expect(rows(page)).to_have_count(5)

    def shown() -> list[str]:
        return [row.get_attribute("data-seq") or "" for row in rows(page).all()]

    page.fill("#filter-account", "acct_a")
    expect(rows(page)).to_have_count(2)
    assert shown() == ["3", "1"]
    page.fill("#filter-account", "")
    page.fill("#filter-status", "4xx")
    expect(rows(page)).to_have_count(2)
    assert shown() == ["4", "3"]
    page.fill("#filter-status", "200")
    page.fill("#filter-path", "account_id=acct_b")
    expect(rows(page)).to_have_count(1)
    assert shown() == ["5"]
    expect(page.locator("#journal-count")).to_have_text("1 of 5 requests match")
    # A request arriving while filtered shows only if it matches.
    served.create(account_id="acct_c")
    served.client.get("/v4/model-templates", params={"account_id": "acct_b", "limit": 2})
    expect(rows(page)).to_have_count(2)
    assert shown() == ["7", "5"]


def test_rows_open_with_the_keyboard(served: Served, page: Page) -> None:
    served.create(name="one")
    served.create(name="two")
    open_page(page, served.url)
    page.focus("#tab-requests")
    page.keyboard.press("ArrowRight")  # tabs move with the arrow keys
    expect(page.locator("main")).to_have_attribute("data-view", "state")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("main")).to_have_attribute("data-view", "requests")
    rows(page).first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#detail h2")).to_have_text("#1 POST /v4/model-templates → 200")
    assert page.evaluate("document.activeElement.matches('#detail h2')")


def test_a_tab_keeps_the_keyboard_when_the_tabs_are_redrawn(served: Served, page: Page) -> None:
    # The tabs are redrawn once the fake's features are read, after the page is ready: hold that
    # answer until a keyboard user is on a tab, then let it through.
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.route("**/_fake/ui/openapi.json", hold)
    open_page(page, served.url)
    page.focus("#tab-requests")
    page.keyboard.press("ArrowRight")
    expect(page.locator("main")).to_have_attribute("data-view", "state")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    held[0].continue_()
    expect(page.locator("#tab-models")).to_have_count(1)  # the tabs were redrawn
    page.keyboard.press("ArrowLeft")
    expect(page.locator("main")).to_have_attribute("data-view", "requests")


def test_entries_cleared_by_another_client_leave_the_page(served: Served, page: Page) -> None:
    # Another client (a test suite's set-up, say) clears the journal or resets the fake: the
    # page shows the journal as it is, not what it read of it before.
    served.create()
    served.create()
    open_page(page, served.url)
    expect(rows(page)).to_have_count(2)
    served.fake.journal.clear()
    served.create()
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#journal-count")).to_have_text("1 requests")
    last = served.fake.journal.entries()[-1].sequence
    expect(rows(page).first).to_have_attribute("data-seq", str(last))
    served.fake.reset()
    expect(rows(page)).to_have_count(0)
    expect(page.locator("#journal-count")).to_have_text("0 requests")


def test_a_restarted_fake_s_requests_show(page: Page, console_allows: list[str]) -> None:
    # The fake is restarted while the page stays open: the new process numbers its journal
    # from 1 again, and the page shows its requests, not the old process's.
    console_allows.append("ERR_CONNECTION_REFUSED")  # Chromium logs the polls while it is down
    first = SGPFake(admin=True)
    with LiveServer(first.app) as server, httpx.Client(base_url=server.url) as client:
        port = server.port
        for _ in range(3):
            client.get("/v4/model-templates", headers={"x-api-key": API_KEY})
        open_page(page, server.url + DASHBOARD_PREFIX)
        expect(rows(page)).to_have_count(3)
    expect(page.locator("#live")).to_have_text("the fake does not answer")
    second = SGPFake(admin=True)
    with LiveServer(second.app, port=port) as server:
        served = Served(second, server)
        with served.client:
            assert served.create().status_code == 200
        expect(rows(page)).to_have_count(1)
        expect(rows(page).first.locator("td").nth(2)).to_have_text("POST")
        expect(page.locator("#journal-count")).to_have_text("1 requests")
