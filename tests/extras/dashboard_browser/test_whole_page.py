"""The whole dashboard in a real browser: every view renders without a console error, coverage
shows as off when not recorded, the printed URL opens the page with its token."""

from __future__ import annotations

from typing import Any

import httpx

from sgp_fake import SGPFake
from sgp_fake.cli.process import ServerProcess
from tests.extras.dashboard_browser.pages import (
    Served,
    open_page,
    require_a_browser,
    rows,
    view,
)

require_a_browser()

from playwright.sync_api import Browser, Page, expect  # noqa: E402


def test_every_view_renders_without_a_console_error(served: Served, page: Page) -> None:
    # The page fixture fails the test on any console error or exception; this visits it all.
    served.create()
    served.client.post("/v4/model-templates", json={})
    served.fake.faults.add(method="GET", path="/nowhere", status=500)
    open_page(page, served.url)
    rows(page).first.click()
    expect(page.locator("#detail h2")).to_be_visible()
    for name in ("state", "faults", "coverage", "requests"):
        view(page, name)
    expect(page.locator("section[data-operation=create_model_template]")).to_have_count(0)
    view(page, "coverage")
    create = page.locator("section[data-operation=create_model_template]")
    expect(create).to_contain_text("2 calls")
    expect(create.locator("tr", has_text="status").locator("td.never").first).to_have_text("never")
    # The models view is there exactly when the fake documents a route it uses.
    with served.fake.client(api_key=None) as admin:
        paths = admin.get("/openapi.json").json()["paths"]
    lit = any(p in paths for p in ("/_fake/clock", "/_fake/status", "/_fake/responses")) or any(
        p.endswith("/usage-statistics") for p in paths
    )
    expect(page.locator("#tab-models")).to_have_count(1 if lit else 0)
    if lit:
        view(page, "models")


def test_with_the_fake_gone_every_view_and_action_says_so(
    served: Served, page: Page, console_allows: list[str]
) -> None:
    # The fake stops (a test run ended, a restart) under the open page: an action says it was
    # not done, each view says the fake does not answer, and no exception goes unseen.
    console_allows.append("net::ERR_FAILED")  # Chromium logs each call that got no answer
    served.create()
    open_page(page, served.url)
    view(page, "faults")
    page.route("**/_fake/**", lambda route: route.abort())
    page.click("#add-fault")
    expect(page.locator("#lastcall.refused")).to_contain_text(
        "# not done: the fake does not answer"
    )
    expect(page.locator("#live")).to_have_text("the fake does not answer")
    for name in ("state", "coverage", "traces"):
        view(page, name)
        expect(page.locator("main")).to_contain_text("got no answer: the fake does not answer")
    view(page, "requests")
    rows(page).first.click()
    expect(page.locator("#detail")).to_contain_text("got no answer: the fake does not answer")


def test_coverage_shows_as_off_when_not_recorded(browser: Browser) -> None:
    fake = SGPFake()
    try:
        url = fake.dashboard()
        context = browser.new_context()
        page = context.new_page()
        open_page(page, url)
        view(page, "coverage")
        expect(page.locator("#coverage-off")).to_be_visible()
        context.close()
    finally:
        fake.close()


def test_the_printed_url_carries_a_token_of_any_printable_characters(
    browser: Browser, tmp_path: Any
) -> None:
    # "+" reads as a space in the fragment's form data, "&" ends the value, "%2F" decodes: the
    # printed URL percent-encodes the token, and the page sends the token as given.
    token = "a+b%2F&c=d#e"
    with ServerProcess("--admin-token", token, timeout=30, stderr=tmp_path / "log") as server:
        with httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=30) as client:
            assert client.get("/v4/model-templates").status_code == 200
        context = browser.new_context()
        page = context.new_page()
        open_page(page, server.dashboard_url)
        expect(rows(page)).to_have_count(1)
        expect(page.locator("#banner")).to_be_hidden()
        context.close()


def test_the_printed_url_opens_the_page_with_its_token(browser: Browser, tmp_path: Any) -> None:
    # Bound beyond loopback: the admin API needs the generated token, which the URL carries.
    with ServerProcess("--host", "0.0.0.0", timeout=30, stderr=tmp_path / "log") as server:
        assert server.admin_token
        assert server.dashboard_url.endswith(f"#token={server.admin_token}")
        url = server.dashboard_url  # as printed: it names loopback
        assert url.startswith("http://127.0.0.1:")
        base = server.url.replace("0.0.0.0", "127.0.0.1")
        with httpx.Client(base_url=base, headers={"x-api-key": "k"}, timeout=30) as client:
            assert client.get("/v4/model-templates").status_code == 200
        context = browser.new_context()
        page = context.new_page()
        open_page(page, url)
        expect(rows(page)).to_have_count(1)
        # Without the token in the URL, the page asks for it.
        bare = url.partition("#")[0]
        page.goto(bare)
        expect(page.locator("#banner")).to_be_visible()
        page.fill("#token-input", server.admin_token)
        page.press("#token-input", "Enter")
        expect(rows(page)).to_have_count(1)
        assert page.evaluate("location.hash") == f"#token={server.admin_token}"
        context.close()
