"""Records and state documents for the admin API's tests, a create over the SGP routes, and the
admin API's routes."""

from __future__ import annotations

from typing import Any

import httpx

from sgp_fake import SGPFake
from sgp_fake.core.routing import ADMIN_PREFIX, DASHBOARD_PREFIX
from sgp_fake.resources import REGISTRY
from tests.support.bodies import minimal_body

TIMEOUT = 30.0


def template(template_id: str, account_id: str = "acct_1", **extra: Any) -> dict[str, Any]:
    return {
        **minimal_body(account_id=account_id),
        "id": template_id,
        "created_at": "2024-01-02T03:04:05+00:00",
        "created_by_user_id": "user_1",
        "created_by_identity_type": "user",
        **extra,
    }


def state(**kinds: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A whole state document: a list for every kind the fake serves, empty unless given."""
    return {**{resource.kind: [] for resource in REGISTRY}, **kinds}


def create(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    answer = client.post("/v4/model-templates", json=minimal_body(**overrides))
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def admin_operations(fake: SGPFake) -> list[tuple[str, str]]:
    """The admin API's routes; the dashboard's page and files are not API (see test_dashboard)."""
    return sorted(
        (method, route.path)  # type: ignore[attr-defined]
        for route in fake.app.routes
        if route.path.startswith(ADMIN_PREFIX)  # type: ignore[attr-defined]
        and not route.path.startswith(DASHBOARD_PREFIX)  # type: ignore[attr-defined]
        for method in route.methods - {"HEAD"}  # type: ignore[attr-defined]
    )
