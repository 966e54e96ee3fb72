"""The dashboard's "models at work" with the gateway: calls per model (``vendor/name``), with
their tokens and the scripted answers that served them, in headless Chromium (Playwright).

As ``test_models_at_work.py`` beside it: the fake of the real resources serves its dashboard
(``fake.dashboard()``), a client calls it in process, and every test fails on a console error
or page exception. Without a browser the tests skip, saying why; under CI they fail instead.
"""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import SGPFake
from tests.extras.dashboard_browser.pages import API_KEY, require_a_browser

require_a_browser()

from playwright.sync_api import Page, expect  # noqa: E402

ACCOUNT = "acct_1"


@pytest.fixture
def gateway() -> Iterator[tuple[SGPFake, httpx.Client]]:
    fake = SGPFake()
    try:
        headers = {"x-selected-account-id": ACCOUNT}
        with fake.client(api_key=API_KEY, headers=headers) as client:
            yield fake, client
    finally:
        fake.close()


def chat(client: httpx.Client, model: str, prompt: str, **body: Any) -> dict[str, Any]:
    answer = client.post(
        "/v5/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": prompt}], **body},
    )
    assert answer.status_code == 200, answer.text
    if body.get("stream"):
        return {}
    completion: dict[str, Any] = answer.json()
    return completion


def test_gateway_calls_show_per_model_with_the_scripted_answers_that_served_them(
    gateway: tuple[SGPFake, httpx.Client], page: Page
) -> None:
    fake, client = gateway
    rule = fake.respond(model="openai/gpt-4o-mini", prompt="weather", text="Sunny.")
    page.goto(fake.dashboard())
    page.wait_for_selector("body[data-ready]")
    page.click("#tab-models")
    expect(page.locator("main")).to_have_attribute("data-view", "models")
    expect(page.locator("#no-model-calls")).to_have_text("No calls yet.")
    scripted = chat(client, "openai/gpt-4o-mini", "What is the weather in Oslo?")
    assert scripted["choices"][0]["message"]["content"] == "Sunny."
    weather = fake.journal.calls("create_gateway_chat_completion")[-1].sequence
    plain = chat(client, "openai/gpt-4o-mini", "Hello there")
    chat(client, "anthropic/claude-3-5-sonnet-20241022", "Summarize this", stream=True)
    mini = page.locator("#calls-per-model tr[data-model='openai/gpt-4o-mini']")
    expect(mini.locator("td.calls")).to_have_text("2")
    usage = scripted["usage"]["prompt_tokens"] + plain["usage"]["prompt_tokens"]
    expect(mini.locator("td").nth(2)).to_have_text(str(usage))
    expect(mini.locator("td").nth(4)).to_have_text(ACCOUNT)
    expect(mini.locator(f"td.scripted [data-rule='{rule['id']}']")).to_contain_text(f"#{weather}")
    claude = page.locator("#calls-per-model tr[data-model='anthropic/claude-3-5-sonnet-20241022']")
    expect(claude.locator("td.calls")).to_have_text("1")
    expect(claude.locator("td.scripted")).to_have_text("none")
    # The call the script answered opens in the requests view.
    mini.get_by_role("button", name=f"#{weather}").click()
    expect(page.locator("main")).to_have_attribute("data-view", "requests")
    expect(page.locator("#detail h2")).to_have_text(f"#{weather} POST /v5/chat/completions → 200")


def test_a_script_whose_calls_left_the_journal_never_says_none_yet(
    gateway: tuple[SGPFake, httpx.Client], page: Page
) -> None:
    # The journal was cleared (or dropped its oldest entries past its limit) after the script
    # answered: its hits stand, and the page does not claim it answered nothing yet.
    fake, client = gateway
    rule = fake.respond(model="openai/gpt-4o-mini", prompt="weather", text="Sunny.")
    chat(client, "openai/gpt-4o-mini", "What is the weather in Oslo?")
    fake.journal.clear()
    page.goto(fake.dashboard() + "#view=models")
    page.wait_for_selector("body[data-ready]")
    row = page.locator(f"#responses tr[data-response='{rule['id']}']")
    expect(row.locator("td.hits")).to_have_text("1")
    expect(row.locator("td.answered")).to_have_text("none in the journal")
