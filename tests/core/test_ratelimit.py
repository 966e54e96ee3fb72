"""The per-API-key token bucket: exact arithmetic on a fake clock, real retries by the SDK."""

from __future__ import annotations

import json
import math
import threading
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sgp_fake import SGPFake
from sgp_fake.cli.process import ServerProcess
from sgp_fake.core.ratelimit import MAX_BURST, MIN_RATE, RateLimit, RateLimiter

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


def test_a_request_that_read_the_clock_first_is_not_undone_by_a_later_one() -> None:
    """Two threads at once: the one whose clock reading is older must not set the bucket's
    time back, or a third request refills the same second twice (two grants at one instant
    with a burst of one)."""
    first_read = threading.Event()
    second_done = threading.Event()
    readings = iter([10.0, 11.0, 11.0])
    lock = threading.Lock()

    def clock() -> float:
        with lock:
            now = next(readings)
        if now == 10.0:
            first_read.set()
            second_done.wait(0.5)  # the later request overtakes, if the limiter lets it
        return now

    limiter = RateLimiter(lambda: 0.0)
    limiter.configure(RateLimit(rate=1, burst=1))
    assert limiter.check("k") is not None  # the bucket is empty at 0.0
    limiter.clock = clock
    verdicts: dict[str, bool] = {}

    def first() -> None:
        verdict = limiter.check("k")
        verdicts["first"] = verdict is not None and verdict.allowed

    thread = threading.Thread(target=first)
    thread.start()
    assert first_read.wait(5)
    second = limiter.check("k")
    second_done.set()
    thread.join(5)
    third = limiter.check("k")
    assert second is not None
    assert third is not None
    granted_at_11 = [second.allowed, third.allowed].count(True)
    assert granted_at_11 <= 1, "two tokens granted at 11.0 with a burst of one"
    assert verdicts["first"] or granted_at_11 == 1


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_invalid_limits(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match=r"rate|burst"):
        RateLimit(rate, burst)


# -- limits that cannot work are refused; the headers never fail ---------------------------------

HEADER_MAX = 2**31 - 1  # the largest delay a client must parse (RFC 9111, section 1.2.2)
WAITS = ("x-ratelimit-reset", "retry-after", "retry-after-ms")

# Every float: subnormals, huge, infinite, NaN; and the edges of what works.
RATES = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True) | st.sampled_from(
    [MIN_RATE, math.nextafter(MIN_RATE, 0), 5e-324, 1e-320, 1e-300, 1.7976931348623157e308]
)
BURSTS = st.integers(-2, 2 * MAX_BURST) | st.sampled_from([0, 1, MAX_BURST, MAX_BURST + 1, 2**70])
# Clock steps, backwards and NaN included: a custom clock is any callable.
STEPS = st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=8)


def can_work(rate: float, burst: int) -> bool:
    return math.isfinite(rate) and rate >= MIN_RATE and 1 <= burst <= MAX_BURST


def assert_sane_headers(headers: dict[str, str]) -> None:
    for name, value in headers.items():
        assert value.isdigit(), (name, value)
        assert 0 <= int(value) <= HEADER_MAX, (name, value)


@settings(max_examples=300, deadline=None)
@given(rate=RATES, burst=BURSTS, steps=STEPS)
@example(rate=1e-320, burst=1, steps=[0.0, 0.0])  # the rate that made every request a 500
@example(rate=MIN_RATE, burst=MAX_BURST, steps=[0.0] * 3)
def test_a_limit_exists_only_when_it_can_work(rate: float, burst: int, steps: list[float]) -> None:
    if not can_work(rate, burst):
        with pytest.raises(ValueError, match=r"^(rate|burst) must be "):
            RateLimit(rate, burst)
        return
    clock = Clock()
    limiter = RateLimiter(clock)
    limiter.configure(RateLimit(rate, burst))
    for step in [0.0, *steps]:
        clock.now += step
        verdict = limiter.check("k")
        assert verdict is not None
        assert_sane_headers(verdict.headers)


@settings(max_examples=300, deadline=None)
@given(rate=RATES, burst=BURSTS, steps=STEPS)
@example(rate=1e-320, burst=1, steps=[0.0])
@example(rate=0.0, burst=1, steps=[0.0])
def test_header_arithmetic_never_raises(rate: float, burst: int, steps: list[float]) -> None:
    # Defence in depth: a limit that skipped the checks still gives headers, not exceptions.
    limit = object.__new__(RateLimit)
    object.__setattr__(limit, "rate", rate)
    object.__setattr__(limit, "burst", burst)
    clock = Clock()
    limiter = RateLimiter(clock)
    limiter.configure(limit)
    for step in [0.0, 0.0, *steps]:
        clock.now += step
        verdict = limiter.check("k")
        assert verdict is not None
        # The waits are clamped; the counts are the limit's own figures, whatever they are.
        assert_sane_headers({k: v for k, v in verdict.headers.items() if k in WAITS})


def json_number(value: float) -> str:
    # JSON has no infinity, but 1e999 is valid JSON that decodes to one; NaN has no spelling.
    if math.isinf(value):
        return "-1e999" if value < 0 else "1e999"
    return json.dumps(value)  # NaN becomes the non-JSON NaN, which the fake refuses as such


@settings(max_examples=200, deadline=None)
@given(rate=RATES, burst=BURSTS)
@example(rate=1e-320, burst=1)
@example(rate=math.inf, burst=1)
def test_the_admin_api_refuses_a_limit_that_cannot_work(rate: float, burst: int) -> None:
    fake = SGPFake(admin=True)
    with fake.client(api_key=None) as admin, fake.client() as client:
        body = f'{{"rate": {json_number(rate)}, "burst": {burst}}}'
        answer = admin.put("/_fake/rate-limit", content=body)
        if can_work(rate, burst):
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"rate_limit": {"rate": rate, "burst": burst}}
            assert fake.rate_limiter.limit == RateLimit(rate, burst)
        else:
            assert answer.status_code == 422, answer.text
            [error] = answer.json()["detail"][:1]
            assert error["loc"][:2] in (["body", "rate"], ["body", "burst"]) or (
                math.isnan(rate) and error["type"] == "json_invalid"
            )
            assert fake.rate_limiter.limit is None  # nothing changed
        for _ in range(3):
            answer = client.get(LIST)
            assert answer.status_code in (200, 429)
            assert_sane_headers(
                {k: v for k, v in answer.headers.items() if k.startswith(("x-ratelimit", "retry"))}
            )


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


def test_a_key_sent_as_a_bearer_token_has_the_same_bucket(fake: SGPFake) -> None:
    # The openai client sends its key as Authorization: Bearer; the fake knows the caller by
    # it, and limits it as it limits the same key in x-api-key.
    fake.rate_limiter = RateLimiter(Clock())
    fake.rate_limiter.configure(RateLimit(rate=1, burst=1))
    with fake.client(api_key=None) as client:
        bearer = {"authorization": "Bearer k"}
        assert client.get(LIST, headers=bearer).status_code == 200
        assert client.get(LIST, headers=bearer).status_code == 429
        assert client.get(LIST, headers={"x-api-key": "k"}).status_code == 429
        assert client.get(LIST, headers={"authorization": "Bearer other"}).status_code == 200


# -- the official SDK against the standalone server -----------------------------------------------


def test_the_bucket_refills_by_the_fakes_clock() -> None:
    # One token per 1000 s: only the fake's clock can bring it back within a test.
    fake = SGPFake()
    fake.rate_limiter.configure(RateLimit(rate=MIN_RATE, burst=1))
    with fake.client() as client:
        assert client.get(LIST).status_code == 200
        assert client.get(LIST).status_code == 429
        fake.clock.advance(1000)
        assert client.get(LIST).status_code == 200
        assert client.get(LIST).status_code == 429
        # set back, then forward again: going back refilled nothing, coming back does
        fake.clock.set(fake.clock.now() - 5000)
        assert client.get(LIST).status_code == 429
        fake.clock.advance(1000)
        assert client.get(LIST).status_code == 200


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
