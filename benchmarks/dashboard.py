"""Section 7: the dashboard's first render, with a full journal, in headless Chromium.

``sgp-fake serve`` (admin API, journal and coverage on, as it starts by default) holds 10,000
journal entries, each a create of the full template; another server holds none. Each
repetition opens the page in a fresh browser context (nothing cached) and reads when the
requests view was first painted with its rows: the page marks it (``performance.mark``) after
the frame that shows them, in milliseconds since navigation started. That covers loading the
page, the newest 100 summaries (``GET /_fake/requests?limit=100&summary=true``: no headers or
bodies) answered by the server, and drawing the first screenful of rows (40; the rest of the
100 follow right after, and the older entries load in the background). The target is on the
full journal; the empty one shows what any first render costs. Needs Playwright (in the bench
extra) and Debian's Chromium, installed with apt-get when it is missing.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
from typing import Any, Callable

from common import API_KEY, FULL_BODY, ROOT, Ratio, Section, alternate, median_range, ratios

sys.path.insert(0, str(ROOT))

from tests.support.browser import launch, why_no_browser

ENTRIES = 10_000
TARGET_MS = 200.0


def _measure(browser: Any, url: str) -> Callable[[], float]:
    def measure() -> float:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-ready]", timeout=60_000)
            rendered: float = page.evaluate(
                "performance.getEntriesByName('sgp-fake-first-render')[0].startTime"
            )
            return rendered
        finally:
            context.close()

    return measure


def _journal_fetch_ms(browser: Any, url: str, part: str) -> float:
    """How long the journal's summaries took to arrive, by the page's resource timing."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready]", timeout=60_000)
        spent: float = page.evaluate(
            "performance.getEntriesByType('resource')"
            f".filter(e => e.name.endsWith({part!r}))"
            ".map(e => e.responseEnd - e.startTime)[0]"
        )
        return spent
    finally:
        context.close()


def _ensure_chromium() -> None:
    """Install Debian's Chromium when it is missing (as the CI script does); quietly give up."""
    if why_no_browser() is None or not shutil.which("apt-get"):
        return
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            subprocess.run(command, check=True, timeout=900, capture_output=True)
        except (subprocess.SubprocessError, OSError):
            return


def run(quick: bool) -> Section:
    section = Section("7. Dashboard: first render of the requests view")
    _ensure_chromium()
    reason = why_no_browser()
    if reason:
        section.pending = reason
        return section
    import httpx
    from playwright.sync_api import sync_playwright

    from sgp_fake.cli.process import ServerProcess

    reps = 5 if quick else 11
    with (
        ServerProcess(timeout=60) as full_server,
        ServerProcess(timeout=60) as empty_server,
        sync_playwright() as playwright,
    ):
        with httpx.Client(base_url=full_server.url, headers={"x-api-key": API_KEY}) as client:
            for i in range(ENTRIES):
                body = {**FULL_BODY, "account_id": f"acct_{i % 20}"}
                client.post("/v4/model-templates", json=body).raise_for_status()
            journal = client.get("/_fake/requests", params={"limit": 1, "summary": True}).json()
            assert journal["requests"][0]["sequence"] == ENTRIES
        browser = launch(playwright)
        try:
            on_full = _measure(browser, full_server.url + "/_fake/ui")
            on_empty = _measure(browser, empty_server.url + "/_fake/ui")
            on_full()  # warm the server's and the browser's first-time costs
            on_empty()
            full_ms, empty_ms = alternate(on_full, on_empty, reps)
            page = full_server.url + "/_fake/ui"
            fetch_ms = [_journal_fetch_ms(browser, page, "?limit=100&summary=true") for _ in "abc"]
            every = "/_fake/requests?summary=true"
            all_ms = [_journal_fetch_ms(browser, page, every) for _ in "ab"]
        finally:
            browser.close()
    section.lines.append(
        f"{ENTRIES:,} entries, each a create of the full template; Chromium headless, a fresh "
        "context per repetition. The newest 100 summaries took "
        f"{statistics.median(fetch_ms):.0f} ms to arrive (median of 3); all {ENTRIES:,}, "
        f"loaded after the first render, {statistics.median(all_ms):.0f} ms."
    )
    section.add(
        Ratio(
            section.title,
            f"first render, {ENTRIES:,} journal entries",
            full_ms,
            TARGET_MS,
            "lt",
            note=f"an empty journal: {median_range(empty_ms, 1, ' ms')}",
            unit=" ms",
        )
    )
    section.add(
        Ratio(
            section.title,
            f"first render, {ENTRIES:,} entries / an empty journal",
            ratios(full_ms, empty_ms),
            note="what the entries add",
        )
    )
    return section
