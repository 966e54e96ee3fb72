"""The dashboard's faults in a real browser: the form has every field of a rule, a fault added
and hit, a rule matching a model's prompts added, an invalid one refused, the rate limit set and
removed."""

from __future__ import annotations

import json
import typing

import pytest

from sgp_fake.extras.admin.schemas import FaultSpec
from tests.extras.dashboard_browser.pages import (
    Served,
    open_page,
    require_a_browser,
    rows,
    view,
)

require_a_browser()

from playwright.sync_api import Page, Route, expect  # noqa: E402


def _allowed(name: str) -> list[str]:
    """The values a rule's field takes: its ``Literal``, without ``None``."""
    annotation = FaultSpec.model_fields[name].annotation
    (literal,) = [a for a in typing.get_args(annotation) if a is not type(None)]
    return list(typing.get_args(literal))


def test_the_form_has_every_field_of_a_rule_and_sends_each(
    served: Served, page: Page, console_allows: list[str]
) -> None:
    console_allows.append("status of 422")  # every field at once: the fake refuses the rule
    open_page(page, served.url)
    view(page, "faults")
    form = page.locator("#fault-form")
    expect(form).to_be_visible()  # the view is drawn once the fake answered
    fields = form.locator("[data-field]")
    names = [fields.nth(i).get_attribute("data-field") for i in range(fields.count())]
    assert sorted(n for n in names if n) == sorted(FaultSpec.model_fields)
    for choice in ("connection", "cut"):
        options = form.locator(f"select[name={choice}] option")
        values = [options.nth(i).get_attribute("value") for i in range(options.count())]
        assert values == ["", *_allowed(choice)], choice
    # Each field set (1 reads as a number, text and JSON alike; a choice's last value): the
    # body sent names every field of the rule.
    for name in names:
        control = form.locator(f"[data-field={name}] [name={name}]")
        if control.evaluate("element => element.tagName") == "SELECT":
            control.select_option(index=control.locator("option").count() - 1)
        else:
            control.fill("1")
    # The POST alone: the view also reads the rules (GET, the same URL) every second.
    url = f"{served.server.url}/_fake/faults"
    with page.expect_request(lambda r: r.url == url and r.method == "POST") as sent:
        page.click("#add-fault")
    assert sorted(sent.value.post_data_json) == sorted(FaultSpec.model_fields)
    expect(form.locator("[data-field=status] .field-error")).to_have_text(
        "Input should be greater than or equal to 100"
    )
    assert served.fake.faults.list() == []


def test_without_the_schema_the_choices_are_typed_and_the_fake_still_judges(
    served: Served, page: Page, console_allows: list[str]
) -> None:
    console_allows.append("status of 503")
    page.route("**/_fake/ui/openapi.json", lambda route: route.fulfill(status=503))
    open_page(page, served.url)
    view(page, "faults")
    form = page.locator("#fault-form")
    form.locator("input[name=after]").fill("0")
    form.locator("input[name=cut]").fill("malformed")
    page.click("#add-fault")
    expect(page.locator("#faults tbody tr")).to_have_count(1)
    assert [(r.cut, r.after) for r in served.fake.faults.list()] == [("malformed", 0)]


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


def test_a_rule_for_a_model_s_prompts_is_added_as_the_form_says(served: Served, page: Page) -> None:
    open_page(page, served.url)
    view(page, "faults")
    form = page.locator("#fault-form")
    form.locator("select[name=method]").select_option("POST")
    form.locator("input[name=path]").fill("/v5/chat/completions")
    form.locator("input[name=model]").fill("gpt-4o")
    form.locator("input[name=prompt_regex]").fill(r"^summari[sz]e\b")
    form.locator("input[name=request_body]").fill('{"stream": true}')
    form.locator("input[name=after]").fill("2")
    form.locator("select[name=cut]").select_option("truncate")
    form.locator("input[name=stall_ms]").fill("250")
    form.locator("input[name=times]").fill("")
    page.click("#add-fault")
    rule = page.locator("#faults tbody tr")
    expect(rule).to_have_count(1)
    with served.fake.client(api_key=None) as admin:
        (listed,) = admin.get("/_fake/faults").json()["faults"]
    assert listed == {
        **{n: f.get_default(call_default_factory=True) for n, f in FaultSpec.model_fields.items()},
        "method": "POST",
        "path": "/v5/chat/completions",
        "model": "gpt-4o",
        "prompt_regex": r"^summari[sz]e\b",
        "request_body": {"stream": True},
        "after": 2,
        "cut": "truncate",
        "stall_ms": 250,
        "times": None,
        "id": listed["id"],
        "hits": 0,
        "spent": False,
        "fired_at": [],
    }
    expect(rule.locator("td").nth(1)).to_have_text(
        r"POST /v5/chat/completions model gpt-4o prompt matches /^summari[sz]e\b/ "
        'body holds {"stream":true}'
    )
    expect(rule.locator("td").nth(2)).to_have_text(
        "stall 250 ms then cut (truncate) after 2 chunks"
    )


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("prompt_regex", "(a)\\1", "Value error, "),
        ("stall_ms", "86400001", "Input should be less than or equal to 86400000"),
        ("request_body", "{stream}", "not JSON"),
    ],
)
def test_a_new_field_s_error_shows_next_to_it(
    *,
    served: Served,
    page: Page,
    console_allows: list[str],
    field: str,
    value: str,
    error: str,
) -> None:
    console_allows.append("status of 422")
    open_page(page, served.url)
    view(page, "faults")
    form = page.locator("#fault-form")
    form.locator("input[name=status]").fill("503")
    form.locator(f"input[name={field}]").fill(value)
    page.click("#add-fault")
    expect(form.locator(f"[data-field={field}] .field-error")).to_contain_text(error)
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


def test_a_rate_limit_set_or_removed_elsewhere_shows(served: Served, page: Page) -> None:
    # Another client sets the limit with an admin call, which the journal does not show.
    open_page(page, served.url)
    view(page, "faults")
    expect(page.locator("#rate-limit-now")).to_have_text("No rate limit.")
    assert served.client.put("/_fake/rate-limit", json={"rate": 2, "burst": 3}).is_success
    expect(page.locator("#rate-limit-now")).to_have_text(
        "2 requests a second per API key, bursts of 3."
    )
    assert served.client.delete("/_fake/rate-limit").is_success
    expect(page.locator("#rate-limit-now")).to_have_text("No rate limit.")


def test_rules_added_and_removed_elsewhere_show_with_no_request(served: Served, page: Page) -> None:
    # A test's set-up adds its rules with admin calls (or in process), which the journal does
    # not show: the view follows them all the same.
    open_page(page, served.url)
    view(page, "faults")
    expect(page.locator("#no-faults")).to_be_visible()
    rule = served.fake.faults.add(method="GET", path="/nowhere", status=500)
    expect(page.locator(f"#faults tr[data-rule='{rule.id}']")).to_be_visible()
    served.fake.faults.clear()
    expect(page.locator("#no-faults")).to_be_visible()
    assert served.fake.journal.entries() == []


def test_a_remove_the_fake_refuses_says_so_and_redraws_the_rules(
    served: Served, page: Page, console_allows: list[str]
) -> None:
    console_allows.append("status of 404")
    rule = served.fake.faults.add(method="GET", path="/nowhere", status=500)
    open_page(page, served.url)
    view(page, "faults")
    row = page.locator(f"#faults tr[data-rule='{rule.id}']")
    expect(row).to_be_visible()

    def removed_elsewhere_first(route: Route) -> None:
        # Another client removes the rule between the click and the page's call.
        served.fake.faults.remove(rule.id)
        route.continue_()

    page.route(f"**/_fake/faults/{rule.id}", removed_elsewhere_first)
    row.get_by_role("button", name=f"Remove {rule.id}").click()
    refused = page.locator("#lastcall.refused")
    expect(refused).to_be_visible()
    answer = served.client.delete(f"/_fake/faults/{rule.id}")
    assert answer.status_code == 404
    expect(refused).to_contain_text(f"the fake refused it (404): {answer.json()['detail']}")
    expect(page.locator("#no-faults")).to_be_visible()
