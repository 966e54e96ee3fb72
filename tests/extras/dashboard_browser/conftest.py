"""Fixtures of the dashboard's browser tests: one headless Chromium per module, a fresh fake
served on a loopback socket, and a page of its own that fails its test on any console error or
page exception.

Playwright is imported inside the fixtures: only test modules that passed
:func:`~tests.extras.dashboard_browser.pages.require_a_browser` request them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import pytest

from sgp_fake import LiveServer, SGPFake
from tests.extras.dashboard_browser.pages import TIMEOUT_MS, Served
from tests.support.browser import launch
from tests.support.dashboard_resources import LINKED

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def served() -> Iterator[Served]:
    fake = SGPFake(admin=True, coverage=True, resources=LINKED)
    with LiveServer(fake.app) as server:
        result = Served(fake, server)
        with result.client:
            yield result


@pytest.fixture
def console_allows() -> list[str]:
    """What a test expects in console errors: Chromium logs every answer with an error status
    the page fetched (a 422 the page shows, say) as one."""
    return []


@pytest.fixture
def page(browser: Browser, console_allows: list[str]) -> Iterator[Page]:
    """A page of its own; at the end, the test fails on any console error or page exception
    (but those listed in ``console_allows``)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not any(a in message.text for a in console_allows):
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"exception: {error}"))
    yield page
    context.close()
    assert problems == []
