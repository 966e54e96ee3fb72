"""The per-API-key token bucket: exact arithmetic on a fake clock, real retries by the SDK."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.ratelimit import RateLimit, RateLimiter
from sgp_fake.serve import ServerProcess

scale_gp = pytest.importorskip("scale_gp")

TIMEOUT = 30.0
LIST = "/v4/model-templates"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    assert limiter.check("k") is None  # no limit configured
    limiter.configure(RateLimit(rate=2, burst=3))
    verdicts = [limiter.check("k") for _ in range(4)]
    assert [v.allowed for v in verdicts if v] == [True, True, True, False]
    assert verdicts[2] is not None
    assert verdicts[2].headers == {
        "x-ratelimit-limit": "3",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "2",  # 3 tokens at 2/s
    }
    assert verdicts[3] is not None
    assert verdicts[3].headers == {
        "x-ratelimit-limit": "3",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "2",
        "retry-after": "1",
        "retry-after-ms": "500",  # one token at 2/s
    }
    clock.now += 0.25  # half a token
    refused = limiter.check("k")
    assert refused is not None
    assert not refused.allowed
    assert refused.headers["retry-after-ms"] == "250"
    clock.now += 0.25
    allowed = limiter.check("k")
    assert allowed is not None
    assert allowed.allowed
    clock.now += 100  # refills up to the burst, not beyond
    assert [v.allowed for v in (limiter.check("k") for _ in range(4)) if v] == [
        True,
        True,
        True,
        False,
    ]


def test_buckets_are_per_key_and_reconfiguring_refills_them() -> None:
    limiter = RateLimiter(Clock())
    limiter.configure(RateLimit(rate=1, burst=1))
    assert [v.allowed for v in (limiter.check("a"), limiter.check("a")) if v] == [True, False]
    other = limiter.check("b")
    assert other is not None
    assert other.allowed
    limiter.configure(RateLimit(rate=1, burst=1))
    again = limiter.check("a")
    assert again is not None
    assert again.allowed
    limiter.configure(None)
    assert limiter.check("a") is None


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_invalid_limits(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match=r"rate|burst"):
        RateLimit(rate, burst)


def test_app_answers_429_with_the_quota_headers(fake: SGPFake) -> None:
    clock = Clock()
    fake.rate_limiter = RateLimiter(clock)
    fake.rate_limiter.configure(RateLimit(rate=4, burst=1))
    with fake.client() as client, fake.client(api_key="other") as other:
        assert client.get(LIST).status_code == 200
        limited = client.get(LIST)
        assert limited.status_code == 429
        assert limited.json() == {"detail": "Rate limit exceeded"}
        assert limited.headers["retry-after"] == "1"
        assert limited.headers["retry-after-ms"] == "250"
        assert limited.headers["x-ratelimit-limit"] == "1"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert other.get(LIST).status_code == 200  # another key, another bucket
        assert client.get("/openapi.json").status_code == 200  # the document is not limited
        clock.now += 0.25
        assert client.get(LIST).status_code == 200
    assert [e.status for e in fake.journal.entries(path=LIST)] == [200, 429, 200, 200]


# -- the official SDK against the standalone server -----------------------------------------------


def sdk(server: ServerProcess, max_retries: int, api_key: str = "k") -> Any:
    return scale_gp.SGPClient(api_key=api_key, base_url=server.url, max_retries=max_retries)


def test_sdk_waits_and_retries_when_rate_limited(server: ServerProcess, http: httpx.Client) -> None:
    # 10/s with no burst: back-to-back calls are limited and each wait is about 100 ms.
    http.put("/_fake/rate-limit", json={"rate": 10, "burst": 1})
    calls = 0
    with sdk(server, max_retries=5) as client:
        while calls < 20:
            calls += 1
            assert client.model_templates.list().items == []
            journal = http.get("/_fake/requests").json()["requests"]
            if any(r["status"] == 429 for r in journal):
                break
    assert any(r["status"] == 429 for r in journal), "never limited"
    # every call ended in success; every 429 was followed by the SDK's retry of that call
    retry_counts = [int(r["headers"]["x-stainless-retry-count"]) for r in journal]
    for index, entry in enumerate(journal):
        if entry["status"] == 429:
            assert entry["response_headers"]["retry-after-ms"].isdigit()
            assert int(entry["response_headers"]["retry-after-ms"]) <= 100
            assert retry_counts[index + 1] == retry_counts[index] + 1
    assert journal[-1]["status"] == 200
    assert sum(1 for r in journal if r["status"] == 200) == calls


def test_sdk_without_retries_gets_rate_limit_error(
    server: ServerProcess, http: httpx.Client
) -> None:
    # A token per 1000 s: the second call is refused however slow the machine is.
    http.put("/_fake/rate-limit", json={"rate": 0.001, "burst": 1})
    with sdk(server, max_retries=0) as client:
        client.model_templates.list()
        with pytest.raises(scale_gp.RateLimitError) as info:
            client.model_templates.list()
        assert info.value.response.headers["x-ratelimit-remaining"] == "0"
    with sdk(server, max_retries=0, api_key="another-key") as other:
        assert other.model_templates.list().items == []
    assert http.delete("/_fake/rate-limit").json() == {"rate_limit": None}
    with sdk(server, max_retries=0) as client:
        assert client.model_templates.list().items == []
