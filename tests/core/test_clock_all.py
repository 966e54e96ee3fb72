"""One clock for everything: records, usage, journal, readiness and deterministic mode's steps
all read the fake's clock, which ``advance``, ``set`` and ``POST /_fake/clock`` move."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
import time_machine

from sgp_fake import FakeSettings, SGPFake
from sgp_fake.clock import ClockWarning, FakeClock
from sgp_fake.deterministic import deterministic, seeded_start
from tests.support.bodies import minimal_body

WHEN = datetime(2030, 5, 1, 12, tzinfo=UTC)


def _complete(fake: SGPFake, deployment_id: str) -> None:
    with fake.client() as client:
        answer = client.post(f"/v4/models/{deployment_id}/completions", json={"prompt": "hi"})
    assert answer.status_code == 200


def _seed(fake: SGPFake) -> dict[str, str]:
    """A template, a model and a deployment made over HTTP (so dated by the fake's clock)."""
    with fake.client() as client:
        template = client.post("/v4/model-templates", json=minimal_body(model_type="COMPLETION"))
        model = client.post(
            "/v4/models",
            json={
                "account_id": "acct_1",
                "model_type": "COMPLETION",
                "name": "llama",
                "model_template_id": template.json()["id"],
            },
        ).json()
        deployment = client.post(
            f"/v4/models/{model['id']}/deployments", json={"name": "d", "wait_for_ready": False}
        ).json()
    return {
        "deployment": deployment["id"],
        "model": model["id"],
        "created_at": deployment["created_at"],
        "path": f"/v4/models/{model['id']}/deployments/{deployment['id']}",
    }


def test_post_clock_sets_the_time_and_still_advances() -> None:
    fake = SGPFake(admin=True)
    with fake.client() as client:
        answer = client.post("/_fake/clock", json={"set": "2030-05-01T12:00:00Z"})
        assert answer.status_code == 200
        assert abs(answer.json()["now"] - WHEN.timestamp()) < 5
        answer = client.post("/_fake/clock", json={"advance": 60})
        assert abs(answer.json()["now"] - WHEN.timestamp() - 60) < 5
        naive = client.post("/_fake/clock", json={"set": "2030-05-01T12:00:00"})
        assert abs(naive.json()["now"] - WHEN.timestamp()) < 5
        seconds = client.post("/_fake/clock", json={"set": 1_000_000_000})
        assert abs(seconds.json()["now"] - 1_000_000_000) < 5
        for body in ({}, {"advance": 1, "set": 5}, {"set": "0001-01-01T00:00:00Z"}):
            assert client.post("/_fake/clock", json=body).status_code == 422


def test_the_admin_openapi_documents_the_set_body() -> None:
    fake = SGPFake(admin=True)
    with fake.client() as client:
        document = client.get("/openapi.json").json()
    operation = document["paths"]["/_fake/clock"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"advance", "set"} <= set(schema["properties"])
    assert "set" in operation["description"]


CLOCK_BODIES: list[dict[str, Any]] = [
    {"advance": 60},
    {"set": "2030-05-01T12:00:00Z"},
    {"set": "2030-05-01T12:00:00"},
    {"set": 1_000_000_000},
    {"set": 1_000_000_000.5},
    {"set": 0},
    {"set": -1},
    {"set": "0001-01-01T00:00:00Z"},
    {"set": None, "advance": 5},
    {"advance": 1, "set": 5},
    {},
]


@pytest.mark.parametrize("body", CLOCK_BODIES, ids=[json.dumps(b) for b in CLOCK_BODIES])
def test_the_clock_schema_in_openapi_accepts_what_the_route_accepts(body: dict[str, Any]) -> None:
    # "set" takes seconds since the epoch as well as ISO 8601, as the route's description says.
    fake = SGPFake(admin=True)
    with fake.client() as client:
        document = client.get("/openapi.json").json()
        schema = {"$ref": "#/components/schemas/ClockAdvance", "components": document["components"]}
        valid = jsonschema.Draft202012Validator(schema).is_valid(body)
        assert valid == (client.post("/_fake/clock", json=body).status_code == 200)


def test_journal_times_come_from_the_fakes_clock() -> None:
    fake = SGPFake()
    fake.clock.set(WHEN)
    with fake.client() as client:
        client.get("/v4/model-templates")
    (entry,) = fake.journal.entries()
    assert abs(entry.timestamp - WHEN.timestamp()) < 5


def test_fault_firings_are_dated_by_the_fakes_clock() -> None:
    fake = SGPFake()
    fake.clock.set(WHEN)
    rule = fake.faults.add(path="/v4/model-templates", status=503)
    with fake.client() as client:
        assert client.get("/v4/model-templates").status_code == 503
    (fired,) = rule.fired_at
    (entry,) = fake.journal.entries()
    assert abs(fired - WHEN.timestamp()) < 5
    assert abs(fired - entry.timestamp) < 5
    # a clock given to the fake (deterministic mode's kind) dates them too
    started = SGPFake(clock=FakeClock(start=datetime(2024, 3, 1, tzinfo=UTC)))
    again = started.faults.add(path="/v4/model-templates", status=503)
    with started.client() as client:
        client.get("/v4/model-templates")
    assert again.fired_at == [datetime(2024, 3, 1, tzinfo=UTC).timestamp()]


def test_deterministic_mode_has_one_stepping_clock() -> None:
    fake = SGPFake(**deterministic(7))
    start = seeded_start(7)
    assert fake.clock.now() == start.timestamp()
    ids = _seed(fake)
    # Each dated record moves the clock one second; reading it does not.
    assert fake.clock.now() > start.timestamp()
    now = fake.clock.now()
    assert fake.clock.now() == now
    _complete(fake, ids["deployment"])
    (usage,) = fake.state.tables["usage"].all()
    assert datetime.fromisoformat(usage.as_dict()["created_at"]).timestamp() == now
    # The journal's time is the clock's at the answer, less the call's (wall clock) duration.
    assert now - 5 < fake.journal.entries()[-1].timestamp <= fake.clock.now()
    fake.clock.advance(3600)
    _complete(fake, ids["deployment"])
    dates = sorted(r.as_dict()["created_at"] for r in fake.state.tables["usage"].all())
    gap = datetime.fromisoformat(dates[1]) - datetime.fromisoformat(dates[0])
    assert timedelta(hours=1) <= gap < timedelta(hours=1, seconds=10)


def test_deterministic_mode_is_the_same_every_run() -> None:
    def run() -> list[str]:
        fake = SGPFake(**deterministic("same"))
        ids = _seed(fake)
        fake.clock.advance(90)
        _complete(fake, ids["deployment"])
        return sorted(
            str(r.as_dict()["created_at"]) for t in fake.state.tables.values() for r in t.all()
        )

    assert run() == run()


def test_deterministic_readiness_moves_with_the_same_clock() -> None:
    fake = SGPFake(FakeSettings(deployment_ready_after=600), **deterministic(3))
    path = _seed(fake)["path"]
    with fake.client() as client:
        assert client.get(path).json()["status"] == "PENDING"
        fake.clock.advance(590)
        assert client.get(path).json()["status"] == "PENDING"
        fake.clock.advance(20)
        assert client.get(path).json()["status"] == "READY"


def test_usage_buckets_follow_the_clock() -> None:
    fake = SGPFake()
    fake.clock.set(WHEN)
    ids = _seed(fake)
    _complete(fake, ids["deployment"])
    fake.clock.advance(3600)
    _complete(fake, ids["deployment"])
    _complete(fake, ids["deployment"])
    params = {
        "start_date": WHEN.isoformat(),
        "end_date": (WHEN + timedelta(hours=2)).isoformat(),
        "chunks": 2,
    }
    with fake.client() as client:
        path = f"/v4/model-deployments/{ids['deployment']}/usage-statistics"
        data = client.get(path, params=params).json()["data"]
    first, second = (point["summary_tokens"] for point in data)
    assert first > 0
    assert second == 2 * first


def test_a_wall_clock_window_over_a_deterministic_fake_warns() -> None:
    fake = SGPFake(**deterministic(42))
    ids = _seed(fake)
    _complete(fake, ids["deployment"])
    now = datetime.now(UTC)
    params = {
        "start_date": (now - timedelta(days=1)).isoformat(),
        "end_date": now.isoformat(),
        "chunks": 4,
    }
    path = f"/v4/model-deployments/{ids['deployment']}/usage-statistics"
    with fake.client() as client, pytest.warns(ClockWarning, match="fake.clock.set"):
        data = client.get(path, params=params).json()["data"]
    assert all(point["summary_tokens"] == 0 for point in data)
    # The fix the warning names: the fake's clock set to the wall clock's now.
    fake.clock.set(now - timedelta(hours=1))
    _complete(fake, ids["deployment"])
    with fake.client() as client, warnings.catch_warnings():
        warnings.simplefilter("error", ClockWarning)
        data = client.get(path, params=params).json()["data"]
    assert sum(point["summary_tokens"] for point in data) > 0


def test_the_warning_turned_into_an_error_still_answers_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Under filterwarnings = error (a common setting) the warning must not become the
    # request's 500, which the SDK retries and reports as a connection error.
    fake = SGPFake(**deterministic(42))
    ids = _seed(fake)
    _complete(fake, ids["deployment"])
    now = datetime.now(UTC)
    params = {"start_date": (now - timedelta(days=1)).isoformat(), "end_date": now.isoformat(),
              "chunks": 2}  # fmt: skip
    path = f"/v4/model-deployments/{ids['deployment']}/usage-statistics"
    with fake.client() as client, warnings.catch_warnings():
        warnings.simplefilter("error", ClockWarning)
        answer = client.get(path, params=params)
    assert answer.status_code == 200
    assert [point["summary_tokens"] for point in answer.json()["data"]] == [0, 0]
    assert any("fake.clock.set" in record.getMessage() for record in caplog.records)


def test_time_machine_moves_records_journal_and_readiness_together() -> None:
    fake = SGPFake(FakeSettings(deployment_ready_after=30))
    with time_machine.travel(WHEN, tick=False) as traveller:
        seeded = _seed(fake)
        assert seeded["created_at"].startswith("2030-05-01T12:00:00")
        path = seeded["path"]
        with fake.client() as client:
            assert client.get(path).json()["status"] == "PENDING"
            traveller.shift(31)
            assert client.get(path).json()["status"] == "READY"
        assert abs(fake.journal.entries()[-1].timestamp - (WHEN.timestamp() + 31)) < 1
        # advance() adds to what time-machine says.
        fake.clock.advance(60)
        assert fake.clock.now() == WHEN.timestamp() + 91


def test_a_started_clock_ignores_the_wall_clock() -> None:
    clock = FakeClock(start=WHEN)
    with time_machine.travel(datetime(2040, 1, 1, tzinfo=UTC), tick=False):
        assert clock() == WHEN
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(start=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="step"):
        FakeClock(step=-1)


def test_the_clock_stays_where_records_can_be_dated() -> None:
    # Past 9000 (or before 1970) every record's date would overflow: the clock refuses to go
    # there, in Python (ValueError) and through the admin API (FastAPI's 422), and keeps its
    # time; the routes answer as before.
    fake = SGPFake(admin=True)
    for when in (1e15, -1e12, datetime(9999, 12, 31, tzinfo=UTC)):
        with pytest.raises(ValueError, match="1970-01-01 to 9000-01-01"):
            fake.clock.set(when)
    fake.clock.set(datetime(8999, 12, 1, tzinfo=UTC))
    before = fake.clock.now()
    with pytest.raises(ValueError, match="past 9000-01-01"):
        fake.clock.advance(1e9)
    with fake.client() as http:
        refused = http.post("/_fake/clock", json={"advance": 1e9})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["msg"].endswith("past 9000-01-01 (UTC)")
        assert http.post("/_fake/clock", json={"advance": 86_400}).status_code == 200
        assert http.post("/v4/model-templates", json=minimal_body()).status_code == 200
    assert fake.clock.now() == pytest.approx(before + 86_400, abs=5)
