"""Take the dashboard guide's screenshots again: ``python docs/screenshots.py``.

Serves a fake with a little traffic on a loopback socket (a few templates in two accounts, a
422, a fault rule that answered, a rate limit), opens each main view in headless Chromium and
writes ``docs/dashboard-*.png``. Needs the test extra (Playwright) and Debian's ``chromium``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from sgp_fake import LiveServer, RateLimit, SGPFake
from sgp_fake.deterministic import deterministic
from sgp_fake.factories import TemplateFactory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import launch, why_no_browser  # noqa: E402 - the repository's root first

DOCS = ROOT / "docs"
SIZE = {"width": 1280, "height": 760}


def traffic(fake: SGPFake, url: str) -> None:
    factory = TemplateFactory(seed=3)
    with httpx.Client(base_url=url, headers={"x-api-key": "sk-demo-7f3a9c2e41d8b6aa"}) as client:
        for i, account in enumerate(["acct_research", "acct_research", "acct_prod", "acct_prod"]):
            body = factory.request(account_id=account, optional="none" if i % 2 else "random")
            client.post("/v4/model-templates", json=body).raise_for_status()
        client.get("/v4/model-templates", params={"account_id": "acct_prod"})
        broken = factory.request(account_id="acct_prod", optional="none")
        del broken["name"]
        broken["vendor_configuration"]["bundle_config"]["tag"] = 3
        client.post("/v4/model-templates", json=broken)
        fake.faults.add(method="GET", path="/v4/model-templates/*", status=503, times=2)
        listed = client.get("/v4/model-templates").json()["items"]
        for template in listed[:2]:
            client.get(f"/v4/model-templates/{template['id']}")
        client.get(f"/v4/model-templates/{listed[0]['id']}")
        client.delete(f"/v4/model-templates/{listed[-1]['id']}")
    fake.rate_limiter.configure(RateLimit(rate=20, burst=40))


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(300)  # let the last rows and the live indicator settle
    page.screenshot(path=str(DOCS / f"dashboard-{name}.png"))
    print(f"wrote docs/dashboard-{name}.png")


def main() -> int:
    reason = why_no_browser()
    if reason:
        print(f"cannot take screenshots: {reason}", file=sys.stderr)
        return 1
    fake = SGPFake(admin=True, coverage=True, **deterministic(7))
    with LiveServer(fake.app) as server, sync_playwright() as playwright:
        traffic(fake, server.url)
        browser = launch(playwright)
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=SIZE, color_scheme=scheme)
            page = context.new_page()
            page.goto(server.url + "/_fake/ui")
            page.wait_for_selector("body[data-ready]")
            page.locator("#journal tbody tr", has_text="422").first.click()
            page.wait_for_selector("#detail h2")
            page.locator("#detail h4", has_text="Body").first.scroll_into_view_if_needed()
            shoot(page, "requests" if scheme == "light" else "requests-dark")
            if scheme == "dark":
                context.close()
                break
            page.click("#tab-state")
            page.wait_for_selector("details.record")
            page.locator("details.record > summary").first.click()
            shoot(page, "state")
            page.click("#tab-faults")
            page.wait_for_selector("#faults")
            form = page.locator("#fault-form")  # an action, to show its curl line
            form.locator("select[name=method]").select_option("POST")
            form.locator("input[name=path]").fill("/v4/model-templates")
            form.locator("input[name=account_id]").fill("acct_prod")
            form.locator("select[name=connection]").select_option("reset")
            page.click("#add-fault")
            page.wait_for_selector("#faults tbody tr:nth-child(2)")
            shoot(page, "faults")
            page.click("#tab-coverage")
            page.wait_for_selector("section[data-operation]")
            shoot(page, "coverage")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
