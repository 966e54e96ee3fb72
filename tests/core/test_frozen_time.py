"""A test that freezes time with freezegun, which also stops ``time.monotonic`` and with it the
clock of asyncio's and trio's event loops: the fake's injected waits still last real seconds,
in process and over a socket."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import httpx
import pytest
import trio
from freezegun import freeze_time

from sgp_fake import SGPFake
from sgp_fake.errors import SDK_IMPORTED_FROZEN
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


FIRST_IMPORT_FROZEN = """
import sys
from freezegun import freeze_time
from sgp_fake import SGPFake
from sgp_fake.errors import SDK_IMPORTED_FROZEN

fake = SGPFake()
with freeze_time("2031-01-02"):
    try:
        fake.{client}()
    except RuntimeError as error:
        sys.exit(str(error))
sys.exit("no error")
"""


@pytest.mark.parametrize("client", ["sdk_client", "beta_client"])
def test_an_sdk_first_imported_under_freezegun_fails_saying_what_to_do(client: str) -> None:
    # A fresh interpreter: the SDK must not be imported yet.
    done = subprocess.run(
        [sys.executable, "-c", FIRST_IMPORT_FROZEN.replace("{client}", client)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stderr.strip().endswith(SDK_IMPORTED_FROZEN), done.stderr


def test_a_client_fixture_under_a_freezing_fixture_fails_saying_what_to_do(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        from datetime import datetime

        import pydantic
        import pytest
        from freezegun import freeze_time

        class Event(pydantic.BaseModel):  # a model of the code under test, built unfrozen
            at: datetime

        @pytest.fixture(autouse=True)
        def frozen():
            with freeze_time("2031-01-02"):
                yield

        def test_templates(sgp_beta_client):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: an SGP SDK was first imported while freezegun*"])
