"""Helpers of the dashboard's browser tests: the check that a browser is there, a fake served on a
loopback socket, and the page's parts the tests use.

Nothing here imports Playwright at import time: a test module first calls
:func:`require_a_browser`, which skips it (or fails it under CI) when Playwright or Chromium is
missing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from sgp_fake.core.routing import DASHBOARD_PREFIX
from tests.support.bodies import minimal_body
from tests.support.browser import why_no_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

TIMEOUT_MS = 20_000  # generous: the machine is shared; nothing here waits that long when well
API_KEY = "sk-live-0123456789abcdef"


def require_a_browser() -> None:
    """Skip the calling test module without a browser, saying why; under CI (``$CI`` set) fail
    instead, since CI must run them. With one, Playwright's ``expect`` waits ``TIMEOUT_MS``."""
    missing = why_no_browser()
    if missing is not None:
        if os.environ.get("CI"):
            raise RuntimeError(f"the dashboard's browser tests cannot run in CI: {missing}")
        pytest.skip(missing, allow_module_level=True)
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)


class Served:
    """A fake on a loopback socket, a client of its SGP routes, and its dashboard's URL."""

    def __init__(self, fake: SGPFake, server: LiveServer) -> None:
        self.fake = fake
        self.server = server
        self.url = server.url + DASHBOARD_PREFIX
        self.client = httpx.Client(base_url=server.url, headers={"x-api-key": API_KEY}, timeout=30)

    def create(self, **overrides: Any) -> httpx.Response:
        return self.client.post("/v4/model-templates", json=minimal_body(**overrides))


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready]")


def rows(page: Page) -> Any:
    return page.locator("#journal tbody tr")


def view(page: Page, name: str) -> None:
    from playwright.sync_api import expect

    page.click(f"#tab-{name}")
    expect(page.locator("main")).to_have_attribute("data-view", name)
