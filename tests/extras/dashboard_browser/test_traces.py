"""The dashboard's traces view in a real browser: headless Chromium driven by Playwright.

A fake with the real resources is served on a loopback socket; spans arrive over the same
socket as the tracing library sends them (``PUT /v5/spans/batch``), and the page shows the
traces, then one as a tree with timings, its failed spans marked. Every test also checks that
the page logged no console error and raised no exception. Without a browser the tests skip,
saying why; under CI (``$CI`` set) they fail instead.
"""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from sgp_fake.core.routing import DASHBOARD_PREFIX
from tests.extras.dashboard_browser.pages import require_a_browser

require_a_browser()

from playwright.sync_api import Page, expect  # noqa: E402

HEADERS = {"x-api-key": "test-api-key", "x-selected-account-id": "acct_1"}


@pytest.fixture
def served() -> Iterator[tuple[str, httpx.Client]]:  # this module's own, not the conftest's
    """The dashboard's URL, and a client of the fake's SGP routes over the same socket."""
    fake = SGPFake(admin=True)
    with LiveServer(fake.app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield server.url + DASHBOARD_PREFIX, client


def at(seconds: float) -> str:
    return f"2024-01-01T00:00:{seconds:06.3f}+00:00"


def send(client: httpx.Client, items: list[dict[str, Any]]) -> None:
    answer = client.put("/v5/spans/batch", json={"items": items}, headers=HEADERS)
    assert answer.status_code == 200, answer.text


def agent_run(trace_id: str, name: str = "agent") -> list[dict[str, Any]]:
    """A root of 2 s; plan (0.5 s), then tool (1 s) with http inside it, then a failing answer;
    sent twice each, as the library sends a finished span."""
    root = f"{trace_id}-root"

    def span(span_id: str, span_name: str, start: float, end: float, **extra: Any) -> Any:
        return {"id": f"{trace_id}-{span_id}", "trace_id": trace_id, "name": span_name,
                "start_timestamp": at(start), "end_timestamp": at(end), "status": "SUCCESS",
                "input": {}, "output": {}, "metadata": {}, **extra}  # fmt: skip

    spans = [
        span("root", name, 0, 2, type="TRACER", input={"question": "weather?"}),
        span("plan", "plan", 0.1, 0.6, parent_id=root, type="CUSTOM"),
        span("tool", "tool", 0.6, 1.6, parent_id=root, type="CODE_EXECUTION"),
        span("http", "http", 0.7, 1.5, parent_id=f"{trace_id}-tool", type="EXTERNAL_ENDPOINT"),
        span(
            "answer",
            "answer",
            1.6,
            1.9,
            parent_id=root,
            type="COMPLETION",
            status="ERROR",
            metadata=FAILURE,
        ),
    ]
    return spans + spans


FAILURE = {"error": True, "error_type": "RuntimeError", "error_message": "model down"}


def open_traces(page: Page, url: str) -> None:
    page.goto(url + "#view=traces")
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("main")).to_have_attribute("data-view", "traces")


def test_traces_show_as_trees_with_timings_and_errors_marked(
    served: tuple[str, httpx.Client], page: Page
) -> None:
    url, client = served
    send(client, agent_run("t-1"))
    open_traces(page, url)
    rows = page.locator("#traces tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("agent")
    expect(rows.first).to_contain_text("2000.0 ms")
    expect(rows.first).to_contain_text("✖ 1")
    rows.first.click()
    tree = page.locator("#trace ul.tree")
    expect(tree).to_be_visible()
    items = tree.locator("li[role=treeitem]")
    assert [i.get_attribute("data-span") for i in items.all()] == [
        "t-1-root", "t-1-plan", "t-1-tool", "t-1-http", "t-1-answer"
    ]  # fmt: skip
    # children nested under their parent, in start order
    tool = tree.locator("li[data-span='t-1-tool']")
    expect(tool.locator("li[role=treeitem]")).to_have_count(1)
    expect(tool.locator(".span").first).to_contain_text("1000.0 ms")
    failed = tree.locator("li.failed")
    expect(failed).to_have_count(1)
    expect(failed).to_have_attribute("data-span", "t-1-answer")
    expect(failed.locator(".failure")).to_have_text("RuntimeError: model down")
    expect(failed.locator(".status")).to_contain_text("ERROR")
    # the bars: the http call ran from 35% to 75% of the trace
    bar = tree.locator("li[data-span='t-1-http'] svg.timing rect")
    assert (bar.get_attribute("x"), bar.get_attribute("width")) == ("35.000", "40.000")
    expect(tree.locator("li[data-span='t-1-answer'] svg.timing rect.failed")).to_have_count(1)


def test_traces_arrive_live_and_filter(served: tuple[str, httpx.Client], page: Page) -> None:
    url, client = served
    send(client, agent_run("t-1"))
    open_traces(page, url)
    rows = page.locator("#traces tbody tr")
    expect(rows).to_have_count(1)
    page.evaluate("window.stillTheSamePage = true")
    ok = [s for s in agent_run("t-2", name="other") if s["status"] != "ERROR"]
    send(client, ok)
    expect(rows).to_have_count(2)  # the newest first
    expect(rows.first).to_have_attribute("data-trace", "t-2")
    assert page.evaluate("window.stillTheSamePage") is True
    # Each filter change re-reads the list: wait for what it shows, not for a row count the
    # list had before the change too.
    page.check("#traces-errors")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-trace", "t-1")
    page.uncheck("#traces-errors")
    expect(rows).to_have_count(2)
    page.fill("#traces-name", "other")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-trace", "t-2")
    expect(page.locator("#traces-count")).to_have_text("1 trace")
    expect(page.locator("#traces-curl")).to_contain_text("/_fake/traces?last=200&name=other")


def test_what_is_open_stays_open_as_spans_arrive(
    served: tuple[str, httpx.Client], page: Page
) -> None:
    # Spans keep arriving while a person reads one: the list and the tree are redrawn, and
    # the span's details they opened, and the row the keyboard is on, stay as they were.
    url, client = served
    send(client, agent_run("t1"))
    open_traces(page, url)
    page.click("#traces tr[data-trace=t1]")
    root = page.locator("#trace li[data-span=t1-root]")
    root.locator(":scope > details > summary").click()
    expect(root.locator(":scope > details")).to_have_attribute("open", "")
    page.focus("#traces tr[data-trace=t1]")
    late = {"id": "t1-late", "trace_id": "t1", "name": "late", "parent_id": "t1-root",
            "start_timestamp": at(1.9), "end_timestamp": at(2.0), "status": "SUCCESS"}  # fmt: skip
    send(client, [late])
    expect(page.locator("#trace li[data-span=t1-late]")).to_be_visible()
    expect(root.locator(":scope > details")).to_have_attribute("open", "")
    expect(page.locator("#traces tr[data-trace=t1]")).to_be_focused()


def test_traces_reset_by_another_client_leave_the_view(
    served: tuple[str, httpx.Client], page: Page
) -> None:
    # A reset is an admin call, which the journal does not show: the list and the tree shown
    # follow the fake all the same, and the tree is not shown as if still held.
    url, client = served
    send(client, agent_run("t-1"))
    open_traces(page, url)
    page.click("#traces tr[data-trace='t-1']")
    expect(page.locator("#trace h2")).to_have_text("t-1")
    assert client.post("/_fake/reset").status_code == 200
    expect(page.locator("#traces-count")).to_have_text("0 traces")
    expect(page.locator("#trace-gone")).to_have_text("Trace t-1 is no longer held by the fake.")
