"""Deterministic mode: byte-identical answers on every run, seeds from the ini file, the marker
or pytest-randomly, and the factory fixture."""

from __future__ import annotations

import json

import pytest

from sgp_fake import seeded_ids
from sgp_fake.deterministic import StepClock
from tests.plugin.as_used.runs import BODY, UNRELATED, run

RECORDER = f"""
import os
from pathlib import Path
BODY = {BODY}

def test_record(sgp_fake_client, sgp_factory):
    answers = [sgp_fake_client.post("/v4/model-templates", json=BODY).content]
    for body in sgp_factory.requests(3):
        answers.append(sgp_fake_client.post("/v4/model-templates", json=body).content)
    answers.append(sgp_fake_client.get("/v4/model-templates").content)
    Path(os.environ["RECORD_TO"]).write_bytes(b"\\n".join(answers))
"""


def record(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    *args: str,
    subprocess: bool = False,
    randomly: bool = False,
) -> bytes:
    target = pytester.path / f"{name}.out"
    monkeypatch.setenv("RECORD_TO", str(target))
    extra = [*UNRELATED] if randomly else [*UNRELATED, "-p", "no:randomly"]
    if subprocess:
        result = pytester.runpytest_subprocess("--strict-markers", *extra, *args)
    else:
        result = pytester.runpytest("--strict-markers", *extra, *args)
    result.assert_outcomes(passed=1)
    return target.read_bytes()


def test_deterministic_mode_gives_byte_identical_responses_on_every_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_record=RECORDER)
    first = record(pytester, monkeypatch, "a", "--sgp-fake-seed=1234")
    # Another interpreter (another hash seed), and pytest-randomly shuffling its own seed.
    again = record(
        pytester,
        monkeypatch,
        "b",
        "--sgp-fake-seed=1234",
        "--randomly-seed=3",
        subprocess=True,
        randomly=True,
    )
    other_seed = record(pytester, monkeypatch, "c", "--sgp-fake-seed=99")
    assert first == again
    assert first != other_seed
    answers = [json.loads(line) for line in first.split(b"\n")]
    ids = seeded_ids(1234)
    clock = StepClock.seeded(1234)
    for answer in answers[:4]:
        assert answer["id"] == ids()
        assert answer["created_at"] == clock().isoformat()
    assert answers[4]["total_item_count"] == 4


def test_the_seed_comes_from_the_ini_file_or_the_marker_alike(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_record=RECORDER)
    by_option = record(pytester, monkeypatch, "option", "--sgp-fake-seed=1234")
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        sgp_fake_seed = 1234
        """
    )
    by_ini = record(pytester, monkeypatch, "ini")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    marked = RECORDER.replace(
        "def test_record", "import pytest\n@pytest.mark.sgp_fake(seed=1234)\ndef test_record"
    )
    pytester.makepyfile(test_record=marked)
    by_marker = record(pytester, monkeypatch, "marker")
    assert by_option == by_ini == by_marker
    report = run(pytester, "--sgp-fake-seed=1234", "--co").stdout.str()
    assert "sgp-fake: deterministic mode, seed 1234" in report


def test_ids_and_factories_follow_pytest_randomly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_record=RECORDER)
    five = record(pytester, monkeypatch, "5a", "--randomly-seed=5", randomly=True)
    five_again = record(pytester, monkeypatch, "5b", "--randomly-seed=5", randomly=True)
    six = record(pytester, monkeypatch, "6", "--randomly-seed=6", randomly=True)

    def ids_and_bodies(recorded: bytes) -> list[object]:
        # created_at is the real time without an explicit seed; ids and payloads are not.
        return [
            {k: v for k, v in json.loads(line).items() if k != "created_at"}
            for line in recorded.split(b"\n")[:4]
        ]

    assert ids_and_bodies(five) == ids_and_bodies(five_again)
    assert ids_and_bodies(five) != ids_and_bodies(six)
    unseeded = [record(pytester, monkeypatch, f"r{i}") for i in range(2)]
    assert ids_and_bodies(unseeded[0]) != ids_and_bodies(unseeded[1])


def test_a_failing_test_reports_its_seeds(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails(sgp_factory, sgp_fake):
            assert sgp_factory.request()["name"] == "never"
        """
    )
    result = run(pytester, "--randomly-seed=8", randomly=True)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*sgp-fake*", "*ids seed '8:test_a_failing_test_reports_its_seeds.py::test_fails'*"]
    )
    assert "factory seed '8:" in result.stdout.str()


def test_the_factory_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from sgp_fake.factories import seed_templates

        def test_factory(sgp_fake, sgp_fake_client, sgp_factory):
            body = sgp_factory.request(vendor_configuration={"bundle_config": {"tag": "v2"}})
            assert body["vendor_configuration"]["bundle_config"]["tag"] == "v2"
            assert sgp_fake_client.post("/v4/model-templates", json=body).status_code == 200
            seeded = seed_templates(sgp_fake, 5, account_id="acct_9", factory=sgp_factory)
            page = sgp_fake_client.get("/v4/model-templates", params={"account_id": "acct_9"})
            assert page.json()["items"] == seeded
        """
    )
    run(pytester).assert_outcomes(passed=1)
