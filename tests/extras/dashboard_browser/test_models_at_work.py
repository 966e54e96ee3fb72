"""The dashboard's models at work in a real browser: the real resources served with
``fake.dashboard()``, their client calling the fake in process; deployments, scripted answers
and usage per deployment and per model name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import FakeSettings, LiveServer, SGPFake
from sgp_fake.core.routing import DASHBOARD_PREFIX
from sgp_fake.deterministic import StepClock
from tests.extras.dashboard_browser.pages import (
    API_KEY,
    open_page,
    require_a_browser,
    view,
)
from tests.extras.dashboard_browser.records import linked
from tests.support.bodies import minimal_body
from tests.support.dashboard_resources import LINKED

require_a_browser()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

# In process, as a developer looks at a paused test: fake.dashboard() over the real resources.

MODEL_NAME = "meta-llama/Llama-3"  # a name with a "/": the usage route takes it as %2F
READY_AFTER = 3600.0  # seconds of the fake's clock a deployment made without waiting is PENDING
USAGE_BY_DEPLOYMENT = "/v4/model-deployments/{model_deployment_id}/usage-statistics"
USAGE_BY_NAME = "/v4/models/{model_name}/usage-statistics"
CHAT_TEMPLATE = {
    "account_id": "acct_1",
    "endpoint_type": "SYNC",
    "model_type": "CHAT_COMPLETION",
    "name": "vllm-chat",
    "vendor_configuration": {"bundle_config": {"registry": "r", "image": "vllm", "tag": "0.6"}},
}


class AtWork:
    """A fake with a chat model, an SGP client of it in process, and its dashboard's URL."""

    def __init__(self, fake: SGPFake, client: httpx.Client) -> None:
        self.fake = fake
        self.client = client
        self.url = fake.dashboard()
        self.origin = self.url.removesuffix(DASHBOARD_PREFIX)
        template = client.post("/v4/model-templates", json=CHAT_TEMPLATE).json()
        model = client.post(
            "/v4/models",
            json={"account_id": "acct_1", "model_type": "CHAT_COMPLETION", "name": MODEL_NAME,
                  "model_template_id": template["id"]},
        )  # fmt: skip
        self.model_id: str = model.json()["id"]

    @staticmethod
    def deploy_chat_model(client: httpx.Client) -> None:
        """A chat template, a model of it and a ready deployment, made with ``client``."""
        template = client.post("/v4/model-templates", json=CHAT_TEMPLATE).json()
        model = client.post(
            "/v4/models",
            json={"account_id": "acct_1", "model_type": "CHAT_COMPLETION", "name": MODEL_NAME,
                  "model_template_id": template["id"]},
        ).json()  # fmt: skip
        answer = client.post(f"/v4/models/{model['id']}/deployments", json={"name": "prod"})
        assert answer.status_code == 200, answer.text

    def deploy(self, name: str, **body: Any) -> dict[str, Any]:
        answer = self.client.post(
            f"/v4/models/{self.model_id}/deployments", json={"name": name, **body}
        )
        assert answer.status_code == 200, answer.text
        deployment: dict[str, Any] = answer.json()
        return deployment

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/v4/models/{self.model_id}/deployments/{deployment_id}")
        found: dict[str, Any] = answer.json()
        return found

    def chat(self, deployment_id: str, prompt: str) -> dict[str, Any]:
        answer = self.client.post(
            f"/v4/models/{deployment_id}/chat-completions",
            json={"prompt": prompt, "chat_history": []},
        )
        assert answer.status_code == 200, answer.text
        completion: dict[str, Any] = answer.json()
        return completion

    def last_chat(self) -> Any:
        """The journal's entry of the last chat completion."""
        return self.fake.journal.calls("create_chat_completion")[-1]


@pytest.fixture
def at_work(request: pytest.FixtureRequest) -> Iterator[AtWork]:
    """A fake of the real resources with a chat model; ``request.param`` (indirect
    parametrization) is the clock its records are dated by, the wall clock by default."""
    clock = getattr(request, "param", None)
    fake = SGPFake(FakeSettings(deployment_ready_after=READY_AFTER), clock=clock)
    try:
        with fake.client(api_key=API_KEY) as client:
            yield AtWork(fake, client)
    finally:
        fake.close()


def tokens(completion: dict[str, Any]) -> int:
    """The tokens a call counts in its deployment's usage, as its answer reports them."""
    return int(completion["prompt_tokens"]) + int(completion["response_tokens"])


def test_a_pending_deployment_turns_ready_when_the_page_moves_the_clock(
    at_work: AtWork, page: Page
) -> None:
    pending = at_work.deploy("canary", wait_for_ready=False)
    assert pending["status"] == "PENDING"
    open_page(page, at_work.url)
    view(page, "models")
    row = page.locator(f"table[data-kind=deployments] tr[data-id='{pending['id']}']")
    expect(row.locator("td").nth(1)).to_have_text("canary")
    expect(row.locator("td.status")).to_have_text("PENDING")
    expect(page.locator("#clock-now")).to_contain_text("moved 0 s in all")
    page.fill("#clock-form input[aria-label=Seconds]", f"{READY_AFTER:g}")
    page.click("text=Advance the clock")
    expect(row.locator("td.status")).to_have_text("READY")
    expect(page.locator("#clock-now")).to_contain_text(f"moved {READY_AFTER:g} s in all")
    assert page.inner_text("#lastcall") == (
        f"curl -X POST -d '{{\"advance\":{READY_AFTER:g}}}' '{at_work.origin}/_fake/clock'"
    )
    assert at_work.fake.clock.offset == READY_AFTER
    assert at_work.deployment(pending["id"])["status"] == "READY"
    # And a status forced from the page is the API's.
    row.locator("select").select_option("FAILED")
    row.get_by_role("button", name="Force").click()
    expect(row.locator("td.status")).to_have_text("FAILED")
    assert at_work.deployment(pending["id"])["status"] == "FAILED"


def test_a_deployment_made_ready_by_the_clock_alone_shows_ready(
    at_work: AtWork, page: Page
) -> None:
    # The fake's clock moves with no request to the fake (here in process; over a socket, as
    # time passes): the view follows it without a write in the journal.
    pending = at_work.deploy("canary", wait_for_ready=False)
    open_page(page, at_work.url)
    view(page, "models")
    row = page.locator(f"table[data-kind=deployments] tr[data-id='{pending['id']}']")
    expect(row.locator("td.status")).to_have_text("PENDING")
    expect(page.locator("#clock-now")).to_contain_text("moved 0 s in all")
    entries = len(at_work.fake.journal.entries())
    at_work.fake.clock.advance(READY_AFTER)
    expect(row.locator("td.status")).to_have_text("READY")
    expect(page.locator("#clock-now")).to_contain_text(f"moved {READY_AFTER:g} s in all")
    assert len(at_work.fake.journal.entries()) == entries


def test_a_refused_clock_or_status_change_says_why(
    at_work: AtWork, page: Page, console_allows: list[str]
) -> None:
    console_allows.append("status of 422")  # Chromium logs the refusals the page shows
    pending = at_work.deploy("canary", wait_for_ready=False)
    open_page(page, at_work.url)
    view(page, "models")
    page.fill("#clock-form input[aria-label=Seconds]", "2e9")
    page.click("text=Advance the clock")
    expect(page.locator("#clock-error")).to_contain_text("less than or equal to")
    assert at_work.fake.clock.offset == 0
    # A status the fake refuses (here by the route, as for a deployment gone meanwhile).
    page.route(
        "**/_fake/status",
        lambda route: route.fulfill(status=422, json={"detail": [{"msg": "refused here"}]}),
    )
    row = page.locator(f"table[data-kind=deployments] tr[data-id='{pending['id']}']")
    row.get_by_role("button", name="Force").click()
    expect(row.locator(".field-error")).to_have_text("refused here")
    expect(row.locator("td.status")).to_have_text("PENDING")


def test_scripted_answers_show_the_calls_they_answered(at_work: AtWork, page: Page) -> None:
    prod = at_work.deploy("prod")["id"]
    by_api = at_work.fake.respond(prompt="weather", text="Sunny.")
    open_page(page, at_work.url)
    view(page, "models")
    listed = page.locator("#responses tbody tr")
    expect(listed).to_have_count(1)
    first = page.locator(f"#responses tr[data-response='{by_api['id']}']")
    expect(first.locator("td.answered")).to_have_text("none yet")
    expect(first.locator("td").nth(1)).to_have_text('prompt contains "weather"')
    # One more through the page's form.
    form = page.locator("#response-form")
    form.locator("input[name=deployment]").fill("prod")
    form.locator("input[name=prompt]").fill("flight")
    form.locator("input[name=text]").fill("Booked.")
    page.click("#add-response")
    expect(listed).to_have_count(2)
    (by_page,) = [r for r in at_work.fake.responses.rules() if r["id"] != by_api["id"]]
    fields = (by_page["deployment"], by_page["prompt"], by_page["text"])
    assert fields == ("prod", "flight", "Booked.")
    assert page.inner_text("#lastcall") == (
        """curl -X POST -d '{"deployment":"prod","prompt":"flight","text":"Booked."}' """
        f"'{at_work.origin}/_fake/responses'"
    )
    second = page.locator(f"#responses tr[data-response='{by_page['id']}']")
    # A latency fault on every chat: the journal's rule names it, its response the script.
    at_work.fake.faults.add(
        method="POST", path="/v4/models/*/chat-completions", latency=0.001, times=None
    )
    assert at_work.chat(prod, "What is the weather in Oslo?")["completions"][0][1] == ["Sunny."]
    weather = at_work.last_chat().sequence
    assert at_work.last_chat().rule != by_api["id"]  # the fault's
    at_work.chat(prod, "Hello there")  # no rule matches: the default answer
    assert at_work.chat(prod, "Book a flight")["completions"][0][1] == ["Booked."]
    flight = at_work.last_chat().sequence
    expect(first.locator("td.answered")).to_have_text(f"#{weather}")
    expect(second.locator("td.answered")).to_have_text(f"#{flight}")
    expect(first.locator("td.hits")).to_have_text("1")
    # A call opens in the requests view.
    first.get_by_role("button", name=f"#{weather}").click()
    expect(page.locator("main")).to_have_attribute("data-view", "requests")
    expect(page.locator("#detail h2")).to_have_text(
        f"#{weather} POST /v4/models/{prod}/chat-completions → 200"
    )
    view(page, "models")
    page.click(f"button[aria-label='Remove {by_api['id']}']")
    expect(listed).to_have_count(1)
    assert [r["id"] for r in at_work.fake.responses.rules()] == [by_page["id"]]


def test_gateway_scripts_show_their_turn_tool_calls_and_chunks(at_work: AtWork, page: Page) -> None:
    # A tool-call loop's scripts differ only by turn and tool result: each says which it is.
    calls = [{"name": "get_weather", "arguments": {"city": "Paris"}}]
    first = at_work.fake.respond(model="openai/gpt-4o-mini", turn=0, tool_calls=calls)
    then = at_work.fake.respond(model="openai/gpt-4o-mini", tool_result=True, chunks=["Su", "n"])
    open_page(page, at_work.url)
    view(page, "models")
    row = page.locator(f"#responses tr[data-response='{first['id']}']")
    expect(row.locator("td").nth(1)).to_have_text("model openai/gpt-4o-mini, turn 0")
    expect(row.locator("td").nth(2)).to_have_text(
        f"tool calls {json.dumps(calls, separators=(',', ':'))}"
    )
    row = page.locator(f"#responses tr[data-response='{then['id']}']")
    expect(row.locator("td").nth(1)).to_have_text(
        "model openai/gpt-4o-mini, the last message is a tool result"
    )
    expect(row.locator("td").nth(2)).to_have_text('chunks ["Su","n"]')
    # And the form sends them.
    form = page.locator("#response-form")
    form.locator("input[name=model]").fill("openai/gpt-4o-mini")
    form.locator("input[name=turn]").fill("1")
    form.locator("input[name=tool_result]").check()
    form.locator("input[name=tool_calls]").fill(json.dumps(calls))
    page.click("#add-response")
    expect(page.locator("#responses tbody tr")).to_have_count(3)
    (added,) = [
        r for r in at_work.fake.responses.rules() if r["id"] not in (first["id"], then["id"])
    ]
    assert (added["turn"], added["tool_result"], added["tool_calls"]) == (1, True, calls)


@pytest.mark.parametrize(
    "at_work",
    # Usage is dated by the clock of the fake's records, which need not be the browser's: a
    # seeded clock (deterministic mode) starts in 2024, and a test may choose any other.
    [None, StepClock(datetime(2100, 1, 1, tzinfo=UTC))],
    ids=["wall-clock", "records-dated-2100"],
    indirect=True,
)
def test_usage_is_charted_per_deployment_and_per_model_name(at_work: AtWork, page: Page) -> None:
    prod = at_work.deploy("prod")["id"]
    canary = at_work.deploy("canary")["id"]
    at_work.fake.respond(deployment="canary", text="A scripted answer, counted as any other.")
    by_prod = [at_work.chat(prod, p) for p in ("Hello!", "What is the weather in Oslo?")]
    by_canary = [at_work.chat(canary, "How are you today?")]
    expected = {prod: sum(map(tokens, by_prod)), canary: sum(map(tokens, by_canary))}
    assert expected[prod] != expected[canary]  # each chart has to be its own
    # Time passing on the fake's status clock moves no usage out of the charts.
    at_work.fake.clock.advance(2 * READY_AFTER)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    open_page(page, at_work.url)
    view(page, "models")
    page.fill("#usage-key", "sk-usage-key")

    per_deployment = page.locator(f"section[data-usage='{USAGE_BY_DEPLOYMENT}']")
    expect(per_deployment.locator("h3")).to_have_text("Usage per model deployment")
    per_deployment.get_by_role("button", name="Show usage per model deployment").click()
    for deployment_id, total in expected.items():
        chart = per_deployment.locator(f"[data-subject='{deployment_id}'] svg.chart")
        expect(chart).to_have_attribute("aria-label", f"{total} tokens in all")
        expect(chart.locator("rect.bar")).to_have_count(12)

    per_name = page.locator(f"section[data-usage='{USAGE_BY_NAME}']")
    expect(per_name.locator("h3")).to_have_text("Usage per model name")
    per_name.get_by_role("button", name="Show usage per model name").click()
    chart = per_name.locator(f"[data-subject='{MODEL_NAME}'] svg.chart")
    expect(chart).to_have_attribute("aria-label", f"{sum(expected.values())} tokens in all")

    # The page sent the name, percent-encoded, never the model's id.
    (by_name,) = [u for u in sent if u.startswith(f"{at_work.origin}/v4/models/") and "/usage" in u]
    assert by_name.startswith(f"{at_work.origin}/v4/models/meta-llama%2FLlama-3/usage-statistics?")
    assert not any(at_work.model_id in url for url in sent)
    # Each is an SGP call with the key typed on the page, journaled as such.
    calls = [e for e in at_work.fake.journal if e.path.endswith("/usage-statistics")]
    assert sorted(e.operation or "" for e in calls) == [
        "get_model_deployment_usage_statistics",
        "get_model_deployment_usage_statistics",
        "get_model_usage_statistics",
    ]
    assert {(e.status, e.headers.get("x-api-key")) for e in calls} == {(200, "sk-usage-key")}
    # The curl line under a chart is the call it made: replayed, it answers the same total.
    curl = per_name.locator(f"[data-subject='{MODEL_NAME}'] pre.curl").inner_text()
    assert curl == f"curl -H \"x-api-key: $SGP_API_KEY\" '{by_name}'"
    replayed = httpx.get(by_name, headers={"x-api-key": "sk-usage-key"}).json()
    assert sum(p["summary_tokens"] for p in replayed["data"]) == sum(expected.values())


def test_a_usage_call_without_a_key_never_carries_the_admin_token(browser: Browser) -> None:
    # The admin token is for /_fake: sent with an SGP call, the fake takes it as an API key and
    # the journal keeps it. With the key field emptied, the call goes without a key.
    token = "admin-token-never-an-api-key"
    fake = SGPFake(admin=True)
    with fake.client(api_key=API_KEY) as client:
        AtWork.deploy_chat_model(client)
    with LiveServer(fake.app, admin_token=token) as server:
        context = browser.new_context()
        page = context.new_page()
        open_page(page, f"{server.url}{DASHBOARD_PREFIX}#token={token}")
        view(page, "models")
        page.fill("#usage-key", "")
        section = page.locator(f"section[data-usage='{USAGE_BY_DEPLOYMENT}']")
        section.get_by_role("button", name="Show usage per model deployment").click()
        expect(section.locator(".usage-chart pre.curl")).to_have_count(1)
        curl = section.locator(".usage-chart pre.curl").inner_text()
        assert "Authorization" not in curl
        assert "x-api-key" not in curl
        context.close()
    calls = [e for e in fake.journal if e.path.endswith("/usage-statistics")]
    assert len(calls) == 1
    assert not any(token in value for value in calls[0].headers.values())
    fake.close()


def test_models_at_work_appear_when_the_fake_documents_their_routes(
    browser: Browser,
) -> None:
    # Any kind whose usage route the fake documents gets a chart, by the records' ids: here a
    # test-only one, over a stand-in route.
    fake, answered = _gizmo_usage_fake()
    try:
        url = fake.dashboard()
        context = browser.new_context()
        page = context.new_page()
        open_page(page, url)
        view(page, "models")
        section = page.locator("section[data-usage='/v4/gizmos/{gizmo_id}/usage-statistics']")
        expect(section.locator("h3")).to_have_text("Usage per gizmo")
        page.fill("#usage-key", "sk-usage-key")
        section.get_by_role("button", name="Show usage per gizmo").click()
        chart = section.locator("[data-subject=giz_1] svg.chart")
        expect(chart).to_have_attribute("aria-label", "42 tokens in all")
        expect(chart.locator("rect.bar")).to_have_count(2)
        ((path, seen),) = answered
        assert path == "/v4/gizmos/giz_1/usage-statistics"
        assert (seen["x-api-key"], seen["chunks"]) == ("sk-usage-key", "12")
        assert seen["start_date"] == "2024-01-02T03:04:05.000Z"  # since the gizmo was made
        context.close()
    finally:
        fake.close()


def _gizmo_usage_fake() -> tuple[SGPFake, list[tuple[str, dict[str, Any]]]]:
    """A fake of the test-only resources whose dashboard server also serves (and documents) a
    usage route per gizmo, answering in the shape of the SGP usage routes."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from sgp_fake.app import create_app
    from sgp_fake.extras.admin import admin_openapi, admin_routes

    fake = SGPFake(resources=LINKED)
    state = fake.state
    answered: list[tuple[str, dict[str, Any]]] = []

    async def usage(request: Request) -> JSONResponse:
        seen = {**request.query_params, "x-api-key": request.headers.get("x-api-key")}
        answered.append((request.url.path, seen))
        points = [
            {"date": "2024-01-01T00:00:00Z", "prompt_tokens": 10, "response_tokens": 20,
             "summary_tokens": 30},
            {"date": "2024-01-01T00:05:00Z", "prompt_tokens": 4, "response_tokens": 8,
             "summary_tokens": 12},
        ]  # fmt: skip
        return JSONResponse(
            {"data": points, "start_date": points[0]["date"], "end_date": points[1]["date"]}
        )

    base = admin_openapi(tuple(state.resources.values()))

    def openapi() -> bytes:
        document = json.loads(base())
        document["paths"]["/v4/gizmos/{gizmo_id}/usage-statistics"] = {"get": {}}
        return json.dumps(document).encode()

    app = create_app(
        state,
        extra_routes=lambda: [
            Route("/v4/gizmos/{gizmo_id}/usage-statistics", usage, methods=["GET"]),
            *admin_routes(state, openapi),
        ],
        openapi=openapi,
    )
    fake._build_app = lambda admin=None: app  # type: ignore[method-assign]
    with fake.client() as client:
        client.post("/v4/model-templates", json=minimal_body())
    template_id = fake.store.all()[0].id
    state.tables["gadgets"].put(linked("gad_1", "acct_1", model_template_id=template_id))
    state.tables["gizmos"].put(linked("giz_1", "acct_1", gadget_id="gad_1", status="PENDING"))
    return fake, answered
