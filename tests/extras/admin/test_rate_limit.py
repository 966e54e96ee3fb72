"""The rate limit over the admin API."""

from __future__ import annotations

import httpx

from sgp_fake import SGPFake
from sgp_fake.core.ratelimit import RateLimit


def test_rate_limit_lifecycle(
    admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client
) -> None:
    assert admin.get("/_fake/rate-limit").json() == {"rate_limit": None}
    put = admin.put("/_fake/rate-limit", json={"rate": 0.001, "burst": 2})
    assert put.json() == {"rate_limit": {"rate": 0.001, "burst": 2}}
    assert admin_fake.rate_limiter.limit == RateLimit(0.001, 2)
    assert admin.get("/_fake/rate-limit").json() == put.json()
    statuses = [client.get("/v4/model-templates").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert admin.get("/_fake/state").status_code == 200  # admin is never limited
    assert admin.delete("/_fake/rate-limit").json() == {"rate_limit": None}
    assert client.get("/v4/model-templates").status_code == 200
    for bad in [{"rate": 0, "burst": 1}, {"rate": 1, "burst": 0}, {"rate": 1}]:
        answer = admin.put("/_fake/rate-limit", json=bad)
        assert answer.status_code == 422
    assert admin_fake.rate_limiter.limit is None
