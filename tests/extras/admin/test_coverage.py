"""Coverage over the admin API."""

from __future__ import annotations

import httpx

from sgp_fake import SGPFake
from tests.extras.admin.records import create


def test_coverage_routes(client: httpx.Client, admin: httpx.Client) -> None:
    create(client)
    report = admin.get("/_fake/coverage").json()
    assert report["requests"] == 1
    assert report["operations"]["create_model_template"]["calls"] == 1
    admin.post("/_fake/reset")  # a reset keeps the coverage
    assert admin.get("/_fake/coverage").json() == report
    cleared = admin.delete("/_fake/coverage").json()
    assert cleared["requests"] == 0
    assert cleared["operations"]["create_model_template"]["calls"] == 0
    assert admin.get("/_fake/coverage").json() == cleared


def test_coverage_route_without_coverage() -> None:
    fake = SGPFake(admin=True)
    with fake.client(api_key=None) as admin:
        answer = admin.get("/_fake/coverage")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Coverage is not recorded by this fake"}
