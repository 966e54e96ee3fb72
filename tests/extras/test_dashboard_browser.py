"""The dashboard in a real browser: headless Chromium driven by Playwright.

Each test serves a fresh fake (admin API and coverage on, with test-only resources that refer to
each other) on a loopback socket, opens the page and uses it as a person would, while a client
sends SGP requests over the same socket; the models-at-work tests serve the real resources with
``fake.dashboard()``, their client calling the fake in process. Every test also checks that the
page logged no console error and raised no exception. Without a browser the tests skip, saying
why; under CI (``$CI`` set) they fail instead, since CI must run them.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import FakeSettings, LiveServer, SGPFake
from sgp_fake.cli.process import ServerProcess
from sgp_fake.core.routing import DASHBOARD_PREFIX
from sgp_fake.deterministic import StepClock
from tests.support.bodies import minimal_body
from tests.support.browser import launch, why_no_browser
from tests.support.dashboard_resources import LINKED

_MISSING = why_no_browser()
if _MISSING is not None:
    if os.environ.get("CI"):
        raise RuntimeError(f"the dashboard's browser tests cannot run in CI: {_MISSING}")
    pytest.skip(_MISSING, allow_module_level=True)

from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright  # noqa: E402

TIMEOUT_MS = 20_000  # generous: the machine is shared; nothing here waits that long when well
API_KEY = "sk-live-0123456789abcdef"
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


class Served:
    """A fake on a loopback socket, a client of its SGP routes, and its dashboard's URL."""

    def __init__(self, fake: SGPFake, server: LiveServer) -> None:
        self.fake = fake
        self.server = server
        self.url = server.url + DASHBOARD_PREFIX
        self.client = httpx.Client(base_url=server.url, headers={"x-api-key": API_KEY}, timeout=30)

    def create(self, **overrides: Any) -> httpx.Response:
        return self.client.post("/v4/model-templates", json=minimal_body(**overrides))


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


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready]")


def rows(page: Page) -> Any:
    return page.locator("#journal tbody tr")


def view(page: Page, name: str) -> None:
    page.click(f"#tab-{name}")
    expect(page.locator("main")).to_have_attribute("data-view", name)


# -- requests ----------------------------------------------------------------------------------


def test_a_create_made_by_a_client_appears_live(served: Served, page: Page) -> None:
    served.create(name="first")
    open_page(page, served.url)
    expect(rows(page)).to_have_count(1)
    page.evaluate("window.stillTheSamePage = true")
    created = served.create(name="second", account_id="acct_live")
    assert created.status_code == 200
    newest = rows(page).first
    expect(newest).to_contain_text("POST")
    expect(newest).to_contain_text("acct_live")
    expect(rows(page)).to_have_count(2)
    assert newest.get_attribute("data-seq") == "2"
    assert page.evaluate("window.stillTheSamePage") is True  # updated, not reloaded
    expect(page.locator("#journal-count")).to_have_text("2 requests")


def test_a_422_shows_each_error_next_to_its_field(served: Served, page: Page) -> None:
    body = minimal_body()
    del body["name"]
    body["vendor_configuration"]["bundle_config"]["tag"] = 5
    answer = served.client.post("/v4/model-templates", json=body)
    assert answer.status_code == 422
    open_page(page, served.url)
    rows(page).first.click()
    expect(page.locator("#detail h2")).to_contain_text("→ 422")
    request_body = page.locator("#detail pre.json").first
    lines = request_body.inner_text().splitlines()
    tag = next(line for line in lines if '"tag"' in line)
    assert re.search(r'"tag": 5\s+← Input should be a valid string \(string_type\)', tag), tag
    name = next(line for line in lines if '"name"' in line)
    assert re.search(r'"name": \(missing\)\s+← Field required \(missing\)', name), name
    # No other line carries an error: each is where it points.
    assert sum("←" in line for line in lines) == 2
    # The API key in the journal's headers is masked to its last 4 characters.
    headers = page.locator("#detail table.headers").first
    expect(headers.locator("tr", has_text="x-api-key")).to_contain_text("••••cdef")
    assert API_KEY not in page.content()


def test_filter_by_path_status_and_account(served: Served, page: Page) -> None:
    served.create(account_id="acct_a")  # 1
    served.create(account_id="acct_b")  # 2
    served.client.post("/v4/model-templates", json={"account_id": "acct_a"})  # 3: 422
    served.client.get("/v4/model-templates/nope")  # 4: 404
    served.client.get("/v4/model-templates", params={"account_id": "acct_b"})  # 5
    open_page(page, served.url)
    expect(rows(page)).to_have_count(5)

    def shown() -> list[str]:
        return [row.get_attribute("data-seq") or "" for row in rows(page).all()]

    page.fill("#filter-account", "acct_a")
    expect(rows(page)).to_have_count(2)
    assert shown() == ["3", "1"]
    page.fill("#filter-account", "")
    page.fill("#filter-status", "4xx")
    expect(rows(page)).to_have_count(2)
    assert shown() == ["4", "3"]
    page.fill("#filter-status", "200")
    page.fill("#filter-path", "account_id=acct_b")
    expect(rows(page)).to_have_count(1)
    assert shown() == ["5"]
    expect(page.locator("#journal-count")).to_have_text("1 of 5 requests match")
    # A request arriving while filtered shows only if it matches.
    served.create(account_id="acct_c")
    served.client.get("/v4/model-templates", params={"account_id": "acct_b", "limit": 2})
    expect(rows(page)).to_have_count(2)
    assert shown() == ["7", "5"]


def test_rows_open_with_the_keyboard(served: Served, page: Page) -> None:
    served.create(name="one")
    served.create(name="two")
    open_page(page, served.url)
    page.focus("#tab-requests")
    page.keyboard.press("ArrowRight")  # tabs move with the arrow keys
    expect(page.locator("main")).to_have_attribute("data-view", "state")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("main")).to_have_attribute("data-view", "requests")
    rows(page).first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#detail h2")).to_have_text("#1 POST /v4/model-templates → 200")
    assert page.evaluate("document.activeElement.matches('#detail h2')")


# -- faults ----------------------------------------------------------------------------------


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


# -- state -----------------------------------------------------------------------------------


def template(template_id: str, account_id: str, name: str = "t") -> dict[str, Any]:
    return {
        **minimal_body(account_id=account_id, name=name),
        "id": template_id,
        "created_at": "2024-01-02T03:04:05+00:00",
        "created_by_user_id": "user_1",
        "created_by_identity_type": "user",
    }


def linked(kind_id: str, account_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": kind_id,
        "name": f"{kind_id}-name",
        "account_id": account_id,
        "created_at": "2024-01-02T03:04:05+00:00",
        "created_by_user_id": "user_1",
        "created_by_identity_type": "user",
        **fields,
    }


STATE = {
    "model_templates": [template("tpl_a", "acct_a"), template("tpl_b", "acct_b")],
    "gadgets": [
        linked("gad_1", "acct_a", model_template_id="tpl_a"),
        linked("gad_2", "acct_a", model_template_id="tpl_a"),
    ],
    "gizmos": [linked("giz_1", "acct_a", gadget_id="gad_2", status="READY")],
}


def ids_of(state: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """The ids of each kind that has records (whatever other kinds the fake serves)."""
    return {kind: [r["id"] for r in records] for kind, records in state.items() if records}


def ids(fake: SGPFake) -> dict[str, list[str]]:
    with fake.client(api_key=None) as admin:
        return ids_of(admin.get("/_fake/state").json())


def test_upload_a_state_document(served: Served, page: Page) -> None:
    open_page(page, served.url)
    view(page, "state")
    page.set_input_files(
        "#state-file",
        files=[{"name": "fixture.json", "mimeType": "application/json",
                "buffer": json.dumps(STATE).encode()}],
    )  # fmt: skip
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("2 model_templates, 2 gadgets, 1 gizmos")
    curl = f"curl -X PUT --data-binary @fixture.json '{served.server.url}/_fake/state'"
    expect(page.locator("#confirm-curl")).to_have_text(curl)
    page.click("#confirm-ok")
    expect(page.locator("#state-count")).to_have_text(
        "5 records: 2 model templates, 2 gadgets, 1 gizmo; 2 accounts"
    )
    assert page.inner_text("#lastcall") == curl
    assert ids(served.fake) == ids_of(STATE)
    expect(page.locator("section[data-account=acct_a] details.record")).to_have_count(4)


def test_a_refused_upload_changes_nothing_and_says_why(
    served: Served, page: Page, console_allows: list[str]
) -> None:
    console_allows.append("status of 422")
    served.create()
    open_page(page, served.url)
    view(page, "state")
    bad = {"model_templates": [{**template("tpl_x", "acct_a"), "endpoint_type": "NOPE"}]}
    page.set_input_files(
        "#state-file",
        files=[{"name": "bad.json", "mimeType": "application/json",
                "buffer": json.dumps(bad).encode()}],
    )  # fmt: skip
    page.click("#confirm-ok")
    errors = page.locator("#state-errors")
    expect(errors).to_contain_text("The fake refused bad.json (422); nothing changed.")
    expect(errors).to_contain_text("body.model_templates.0.endpoint_type")
    assert len(served.fake.store) == 1


def test_reset_an_account_after_confirming(served: Served, page: Page) -> None:
    with served.fake.client(api_key=None) as admin:
        assert admin.put("/_fake/state", json=STATE).status_code == 200
    open_page(page, served.url)
    view(page, "state")
    reset_a = page.locator("button[data-reset=acct_a]")
    reset_a.click()
    expect(page.locator("#confirm-title")).to_have_text("Reset account acct_a?")
    curl = f"curl -X POST '{served.server.url}/_fake/reset?account_id=acct_a'"
    expect(page.locator("#confirm-curl")).to_have_text(curl)
    page.click("#confirm-cancel")  # cancelling changes nothing
    expect(page.locator("#confirm")).to_be_hidden()
    assert len(served.fake.tables["gadgets"]) == 2
    reset_a.click()
    page.click("#confirm-ok")
    expect(page.locator("section[data-account=acct_a]")).to_have_count(0)
    expect(page.locator("section[data-account=acct_b]")).to_have_count(1)
    expect(page.locator("#state-errors")).to_have_text("Deleted 4 records.")
    assert ids(served.fake) == {"model_templates": ["tpl_b"]}
    assert page.inner_text("#lastcall") == curl


def test_links_between_records_are_navigable(served: Served, page: Page) -> None:
    with served.fake.client(api_key=None) as admin:
        assert admin.put("/_fake/state", json=STATE).status_code == 200
    open_page(page, served.url)
    view(page, "state")
    page.click("#rec-model_templates-tpl_a > summary")
    template_record = page.locator("#rec-model_templates-tpl_a")
    expect(template_record.locator(".refs li")).to_have_text(
        ["model_template_id of Gadget gad_1", "model_template_id of Gadget gad_2"]
    )
    template_record.get_by_role("button", name="Gadget gad_2").click()
    gadget = page.locator("#rec-gadgets-gad_2")
    expect(gadget).to_have_attribute("open", "")
    assert page.evaluate("document.activeElement.parentElement.id") == "rec-gadgets-gad_2"
    expect(gadget.locator(".refs li")).to_have_text(
        ["model_template_id → Model template tpl_a", "gadget_id of Gizmo giz_1"]
    )
    gadget.get_by_role("button", name="Gizmo giz_1").click()
    expect(page.locator("#rec-gizmos-giz_1")).to_have_attribute("open", "")
    expect(page.locator("#rec-gizmos-giz_1 pre.json")).to_contain_text('"status": "READY"')


def test_download_the_state_document(served: Served, page: Page) -> None:
    served.create(name="kept")
    open_page(page, served.url)
    view(page, "state")
    with page.expect_download() as download:
        page.click("#download-state")
    path = download.value.path()
    assert json.loads(path.read_text()) == json.loads(served.fake.client(api_key=None).get(
        "/_fake/state").content)  # fmt: skip
    assert download.value.suggested_filename == "sgp-fake-state.json"


# -- safety ----------------------------------------------------------------------------------

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


# -- the whole page --------------------------------------------------------------------------


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
    expect(create.locator("tr", has_text="status").locator("td.never").first).to_have_text(
        "never"
    )
    # The models view is there exactly when the fake documents a route it uses.
    with served.fake.client(api_key=None) as admin:
        paths = admin.get("/openapi.json").json()["paths"]
    lit = any(p in paths for p in ("/_fake/clock", "/_fake/status", "/_fake/responses")) or any(
        p.endswith("/usage-statistics") for p in paths
    )
    expect(page.locator("#tab-models")).to_have_count(1 if lit else 0)
    if lit:
        view(page, "models")


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


def test_the_printed_url_opens_the_page_with_its_token(
    browser: Browser, tmp_path: Any
) -> None:
    # Bound beyond loopback: the admin API needs the generated token, which the URL carries.
    with ServerProcess("--host", "0.0.0.0", timeout=30, stderr=tmp_path / "log") as server:
        assert server.admin_token
        assert server.dashboard_url.endswith(f"#token={server.admin_token}")
        url = server.dashboard_url.replace("0.0.0.0", "127.0.0.1")
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


# -- models at work ---------------------------------------------------------------------------
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
