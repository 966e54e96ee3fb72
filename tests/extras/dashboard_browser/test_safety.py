"""The dashboard in a real browser shows a script-like name as text and never runs it."""

from __future__ import annotations

import json

from tests.extras.dashboard_browser.pages import (
    Served,
    open_page,
    require_a_browser,
    rows,
    view,
)

require_a_browser()

from playwright.sync_api import Page, expect  # noqa: E402

HOSTILE = '<script>window.ran = 1</script><img src=x onerror="window.ran = 2">'


def test_a_script_like_name_is_shown_as_text_and_never_runs(served: Served, page: Page) -> None:
    assert served.create(name=HOSTILE, account_id=HOSTILE).status_code == 200
    open_page(page, served.url)
    rows(page).first.click()
    expect(page.locator("#detail pre.json").first).to_contain_text(json.dumps(HOSTILE))
    expect(rows(page).first).to_contain_text(HOSTILE)  # the account column, as text
    view(page, "state")
    expect(page.locator("section.account h3 span").first).to_have_text(f"Account {HOSTILE}")
    page.click("details.record > summary")
    expect(page.locator("details.record pre.json")).to_contain_text(json.dumps(HOSTILE))
    page.wait_for_timeout(300)  # time for an injected handler to have fired
    assert page.evaluate("window.ran") is None
    assert page.locator("img[src=x], main script, #detail script").count() == 0
