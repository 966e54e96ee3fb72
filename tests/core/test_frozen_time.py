"""A test that freezes time with freezegun, which also stops ``time.monotonic`` and with it the
clock of asyncio's and trio's event loops: the fake's injected waits still last real seconds,
in process and over a socket."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import trio
from freezegun import freeze_time

from sgp_fake import SGPFake
from sgp_fake.fake import DEFAULT_API_KEY
from sgp_fake.live_server import LiveServer

PATH = "/v4/model-templates"


async def _get(fake: SGPFake, timeout: float) -> int:
    async with fake.async_client(timeout=timeout) as client:
        return (await client.get(PATH)).status_code


@pytest.mark.timeout(20)
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_injected_latency_ends_in_process_under_freezegun(backend: str) -> None:
    fake = SGPFake()
    fake.faults.add(method="GET", path=PATH, latency=0.2)
    started = time.perf_counter()  # outside the frozen time
    with freeze_time("2031-01-02"):
        if backend == "asyncio":
            assert asyncio.run(_get(fake, 5)) == 200
        else:
            assert trio.run(_get, fake, 5) == 200
    assert time.perf_counter() - started >= 0.2  # waited, as without freezegun


@pytest.mark.timeout(20)
def test_a_latency_past_the_read_timeout_raises_at_the_deadline_under_freezegun() -> None:
    fake = SGPFake()
    fake.faults.add(method="GET", path=PATH, latency=30)
    with freeze_time("2031-01-02"), pytest.raises(httpx.ReadTimeout):
        asyncio.run(_get(fake, 0.1))
    assert fake.journal.last().timed_out


@pytest.mark.timeout(20)
def test_an_injected_latency_ends_over_a_socket_on_asyncios_own_loop_under_freezegun() -> None:
    fake = SGPFake()
    fake.faults.add(method="GET", path=PATH, latency=0.2)
    server = LiveServer(fake.app)
    server._config.loop = "asyncio"  # as on Windows (no uvloop): the loop reads time.monotonic
    headers = {"x-api-key": DEFAULT_API_KEY}
    with (
        server,
        freeze_time("2031-01-02"),
        httpx.Client(base_url=server.url, headers=headers, timeout=5) as client,
    ):
        assert client.get(PATH).status_code == 200


@pytest.mark.timeout(20)
def test_a_latency_within_the_read_timeout_is_answered_under_an_auto_ticking_clock() -> None:
    # auto_tick_seconds moves time.monotonic 15 s at each reading: the client's deadline is
    # still counted in real seconds, so a 0.1 s latency does not pass a 5 s read timeout.
    fake = SGPFake()
    fake.faults.add(method="GET", path=PATH, latency=0.1)
    with freeze_time("2031-01-02", auto_tick_seconds=15), fake.client(timeout=5) as client:
        assert client.get(PATH).status_code == 200
    assert not fake.journal.last().timed_out


@pytest.mark.timeout(20)
def test_the_journal_times_a_request_in_real_seconds_under_freezegun() -> None:
    fake = SGPFake()
    fake.faults.add(method="GET", path=PATH, latency=0.2)
    with freeze_time("2031-01-02"), fake.client() as client:
        client.get(PATH)
        entry = fake.journal.last()
        assert 0.2 <= entry.duration < 5  # the latency waited, not 0 by the frozen clock
        # When it arrived, by the fake's clock (the frozen time): its answer came at that time.
        assert entry.timestamp == pytest.approx(fake.clock.now() - entry.duration)
