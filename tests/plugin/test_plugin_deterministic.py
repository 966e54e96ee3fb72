"""Deterministic mode's parts: the step clock and the seeded fake, without pytest in between."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from sgp_fake import SGPFake
from sgp_fake.deterministic import EPOCH, StepClock, deterministic
from sgp_fake.factories import TemplateFactory


def test_the_clock_starts_where_told_and_steps() -> None:
    start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    clock = StepClock(start, timedelta(milliseconds=250))
    assert clock.peek() == start
    assert [clock() for _ in range(3)] == [
        start,
        start + timedelta(milliseconds=250),
        start + timedelta(milliseconds=500),
    ]
    assert StepClock()() == EPOCH


def test_concurrent_readers_each_get_their_own_instant() -> None:
    clock = StepClock()
    seen: list[datetime] = []
    lock = threading.Lock()

    def read() -> None:
        for _ in range(500):
            instant = clock()
            with lock:
                seen.append(instant)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == [EPOCH + timedelta(seconds=i) for i in range(2000)]


def test_seeded_clocks_follow_the_seed() -> None:
    starts = {StepClock.seeded(seed).start for seed in range(50)}
    assert len(starts) == 50
    assert all(EPOCH <= s < EPOCH + timedelta(days=366) and s.microsecond == 0 for s in starts)
    assert StepClock.seeded("x").start == StepClock.seeded("x").start


def test_bad_clocks_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        StepClock(datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="negative"):
        StepClock(step=timedelta(seconds=-1))


def run_script(fake: SGPFake) -> list[bytes]:
    """A fixed sequence of requests; every answer's bytes."""
    factory = TemplateFactory(5)
    answers = []
    with fake.client() as client:
        created = []
        for body in factory.requests(5):
            answer = client.post("/v4/model-templates", json=body)
            answers.append(answer.content)
            created.append(answer.json()["id"])
        answers.append(client.get("/v4/model-templates", params={"limit": 3}).content)
        answers.append(client.delete(f"/v4/model-templates/{created[1]}").content)
        answers.append(client.get(f"/v4/model-templates/{created[2]}").content)
        answers.append(client.get("/v4/model-templates").content)
    return answers


def test_seeded_fakes_answer_byte_for_byte_alike() -> None:
    first = run_script(SGPFake(**deterministic(11)))
    assert run_script(SGPFake(**deterministic(11))) == first
    assert run_script(SGPFake(**deterministic(12))) != first
    # Without a seed, ids (and times) differ from run to run.
    assert run_script(SGPFake()) != run_script(SGPFake())
