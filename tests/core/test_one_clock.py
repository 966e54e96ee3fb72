"""One clock per fake: records are dated by the clock that moves the statuses."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from sgp_fake import SGPFake
from sgp_fake.factories import OMIT, seed_deployment
from tests.support.bodies import minimal_body


def _created(fake: SGPFake) -> datetime:
    with fake.client() as client:
        answer = client.post("/v4/model-templates", json=minimal_body())
    return datetime.fromisoformat(answer.json()["created_at"])


def test_records_are_dated_by_the_fakes_clock() -> None:
    fake = SGPFake()
    before = _created(fake)
    fake.clock.advance(3600)
    later = _created(fake)
    assert 3600 <= (later - before).total_seconds() < 3700


def test_the_clock_can_be_set_and_usage_is_dated_by_it() -> None:
    fake = SGPFake()
    when = datetime(2030, 5, 1, 12, tzinfo=UTC)
    fake.clock.set(when)
    assert abs(_created(fake) - when).total_seconds() < 60
    seeded = seed_deployment(
        fake, template={"model_type": "COMPLETION", "model_request_parameters_schema": OMIT}
    )
    with fake.client() as client:
        client.post(f"/v4/models/{seeded.deployment['id']}/completions", json={"prompt": "hi"})
    record = fake.state.tables["usage"].all()[0].as_dict()
    assert record["created_at"].startswith("2030-05-01T12:")


def test_the_clock_follows_time_machine() -> None:
    fake = SGPFake()
    with time_machine.travel(datetime(2031, 1, 2, tzinfo=UTC), tick=False):
        assert _created(fake) == datetime(2031, 1, 2, tzinfo=UTC)
        fake.clock.advance(60)
        assert _created(fake) == datetime(2031, 1, 2, 0, 1, tzinfo=UTC)
