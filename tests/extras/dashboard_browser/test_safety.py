"""The dashboard in a real browser shows a script-like name as text and never runs it, and a
very long one without widening the page."""

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


def test_a_very_long_value_widens_no_view_of_a_narrow_window(served: Served, page: Page) -> None:
    # A name or an account of thousands of characters with no space, in a phone-wide window:
    # each view wraps it, and the page never scrolls sideways.
    long = "x" * 3000
    assert served.create(name=long, account_id="acct_" + "a" * 300).status_code == 200
    served.fake.faults.add(method="GET", path="/v4/" + long, status=500)
    page.set_viewport_size({"width": 380, "height": 800})
    open_page(page, served.url)
    rows(page).first.click()
    expect(page.locator("#detail h2")).to_be_visible()
    width = "[document.documentElement.scrollWidth, window.innerWidth]"
    assert page.evaluate(width)[0] <= page.evaluate(width)[1]
    for name in ("state", "faults", "traces", "coverage"):
        view(page, name)
        if name == "state":
            page.click("details.record > summary")
            expect(page.locator("details.record pre.json")).to_contain_text(long)
        if name == "faults":
            expect(page.locator("#faults")).to_contain_text(long)
        page.wait_for_timeout(300)  # the view drawn whole
        scroll, window = page.evaluate(width)
        assert scroll <= window, f"{name}: {scroll} px wide in a window of {window}"
