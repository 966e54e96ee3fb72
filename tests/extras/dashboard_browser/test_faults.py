"""The dashboard's faults in a real browser: a fault added and hit, an invalid one refused, the
rate limit set and removed."""

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


def test_add_a_fault_and_watch_the_next_request_hit_it(served: Served, page: Page) -> None:
    open_page(page, served.url)
    view(page, "faults")
    expect(page.locator("#no-faults")).to_be_visible()
    form = page.locator("#fault-form")
    form.locator("select[name=method]").select_option("POST")
    form.locator("input[name=path]").fill("/v4/model-templates")
    form.locator("input[name=status]").fill("503")
    form.locator("input[name=retry_after_ms]").fill("1")
    page.click("#add-fault")
    rule = page.locator("#faults tbody tr")
    expect(rule).to_have_count(1)
    (added,) = served.fake.faults.list()  # rule ids are numbered per process: read it
    expect(rule.locator("td").nth(0)).to_have_text(added.id)
    expect(rule.locator("td.hits")).to_have_text("0")
    body = {"method": "POST", "path": "/v4/model-templates", "times": 1, "status": 503,
            "retry_after_ms": 1}  # fmt: skip
    assert page.inner_text("#lastcall") == (
        f"curl -X POST -d '{json.dumps(body, separators=(',', ':'))}' "
        f"'{served.server.url}/_fake/faults'"
    )
    assert [r.to_dict()["status"] for r in served.fake.faults.list()] == [503]
    assert served.create().status_code == 503
    expect(rule.locator("td.hits")).to_have_text("1 (spent)")
    expect(rule.locator("td").nth(5)).to_have_text("#1")
    assert served.create().status_code == 200
    view(page, "requests")
    expect(rows(page)).to_have_count(2)
    expect(rows(page).nth(1).locator("td").nth(4)).to_have_text("503")
    expect(rows(page).nth(1).locator("td.rule")).to_have_text(added.id)
    expect(rows(page).nth(0).locator("td.rule")).to_have_text("")
    view(page, "faults")
    page.click(f"button[aria-label='Remove {added.id}']")
    expect(page.locator("#no-faults")).to_be_visible()
    assert served.fake.faults.list() == []


def test_an_invalid_fault_shows_the_fake_s_error_and_adds_nothing(
    served: Served, page: Page, console_allows: list[str]
) -> None:
    console_allows.append("status of 422")
    open_page(page, served.url)
    view(page, "faults")
    page.locator("#fault-form input[name=status]").fill("99")
    page.click("#add-fault")
    error = page.locator("#fault-form [data-field=status] .field-error")
    expect(error).to_have_text("Input should be greater than or equal to 100")
    assert served.fake.faults.list() == []


def test_the_rate_limit_is_set_and_removed(served: Served, page: Page) -> None:
    open_page(page, served.url)
    view(page, "faults")
    expect(page.locator("#rate-limit-now")).to_have_text("No rate limit.")
    page.fill("#rate-limit input[name=rate]", "5")
    page.fill("#rate-limit input[name=burst]", "10")
    page.click("#rate-limit button[type=submit]")
    expect(page.locator("#rate-limit-now")).to_have_text(
        "5 requests a second per API key, bursts of 10."
    )
    limit = served.fake.rate_limiter.limit
    assert limit is not None
    assert (limit.rate, limit.burst) == (5, 10)
    page.click("#rate-limit button.danger")
    expect(page.locator("#rate-limit-now")).to_have_text("No rate limit.")
    assert served.fake.rate_limiter.limit is None
