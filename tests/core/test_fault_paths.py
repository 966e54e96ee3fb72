"""Fault rules and the journal name a path as it was sent: a model name's '/' goes as %2F.

The SDK sends ``models.usage_statistics.retrieve("meta-llama/Llama-3.1-8B-Instruct")`` to
``/v4/models/meta-llama%2FLlama-3.1-8B-Instruct/usage-statistics``: a rule written with that
URL fires, and counting the journal's calls by that URL finds them (the decoded path still
works for both).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import scale_gp

from sgp_fake import LiveServer, SGPFake
from sgp_fake.core.faults import FaultRule
from sgp_fake.core.journal import JournalEntry
from sgp_fake.factories import seed_deployment

NAME = "meta-llama/Llama-3.1-8B-Instruct"
SENT = "/v4/models/meta-llama%2FLlama-3.1-8B-Instruct/usage-statistics"
DECODED = "/v4/models/meta-llama/Llama-3.1-8B-Instruct/usage-statistics"
NOW = datetime.now(UTC)
WINDOW: dict[str, Any] = {
    "chunks": 1,
    "start_date": NOW - timedelta(days=1),
    "end_date": NOW + timedelta(days=1),
}
QUERY = {k: v if isinstance(v, int) else v.isoformat() for k, v in WINDOW.items()}
TIMEOUT = 30.0


@pytest.fixture
def fake() -> SGPFake:
    fake = SGPFake(admin=True)
    seed_deployment(fake, account_id="acct_1", model={"name": NAME})
    return fake


def _usage(fake: SGPFake) -> Any:
    with fake.sdk_client(max_retries=0) as client:
        return client.models.usage_statistics.retrieve(NAME, **WINDOW)


@pytest.mark.parametrize(
    "path",
    [
        SENT,  # the URL the SDK sends
        "/v4/models/meta-llama%2F*/usage-statistics",  # a glob over it
        DECODED,  # the decoded path, as before
        "/v4/models/*/usage-statistics",
    ],
)
def test_a_fault_on_the_path_the_sdk_sends_fires(fake: SGPFake, path: str) -> None:
    rule = fake.faults.add(method="GET", path=path, status=503)
    with pytest.raises(scale_gp.InternalServerError):
        _usage(fake)
    assert rule.hits == 1
    assert fake.journal.last().fault == rule.id
    assert _usage(fake).data  # spent: the next call is answered


def test_a_rule_on_another_sent_path_does_not_fire(fake: SGPFake) -> None:
    rule = fake.faults.add(path="/v4/models/meta-llama%2FOther/usage-statistics", status=503)
    assert _usage(fake).data
    assert rule.hits == 0


def test_the_journal_keeps_the_path_as_sent_and_finds_calls_by_it(fake: SGPFake) -> None:
    _usage(fake)
    _usage(fake)
    assert fake.journal.count("GET", SENT) == 2  # counted by the URL that was sent
    assert fake.journal.count("GET", DECODED) == 2  # and by the decoded path, as before
    entry = fake.journal.last(path=SENT)
    assert (entry.path, entry.raw_path) == (DECODED, SENT)
    assert entry.to_dict()["raw_path"] == SENT
    assert entry.to_dict()["path"] == DECODED
    # a path sent with no escape reads the same both ways
    with fake.client() as client:
        client.get("/v4/model-templates")
    plain = fake.journal.last()
    assert plain.raw_path == plain.path == "/v4/model-templates"
    assert fake.journal.count(path="/v4/model-templates") == 1


def test_a_hand_built_entry_has_a_raw_path() -> None:
    entry = JournalEntry("GET", DECODED, "", {}, b"", 200, b"", raw_path=SENT)
    assert (entry.path, entry.raw_path) == (DECODED, SENT)
    assert JournalEntry("GET", "/x", "", {}, b"", 200, b"").raw_path == "/x"


def test_fault_rule_matches_either_form() -> None:
    rule = FaultRule(path=SENT, status=503)
    assert rule.matches("GET", DECODED, None, raw_path=SENT)
    assert not rule.matches("GET", DECODED, None)  # the sent form was not given


def test_over_http_a_rule_on_the_sent_path_fires_and_the_journal_shows_it(
    fake: SGPFake,
) -> None:
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as http,
    ):
        added = http.post("/_fake/faults", json={"method": "GET", "path": SENT, "status": 503})
        assert added.status_code == 201
        assert http.get(SENT, params=QUERY).status_code == 503
        assert http.get(SENT, params=QUERY).status_code == 200
        requests = http.get("/_fake/requests").json()["requests"]
        summary = http.get("/_fake/requests", params={"summary": "true"}).json()["requests"]
    assert [(r["path"], r["raw_path"], r["status"]) for r in requests] == [
        (DECODED, SENT, 503),
        (DECODED, SENT, 200),
    ]
    assert [r["raw_path"] for r in summary] == [SENT, SENT]
    assert requests[0]["fault"] == added.json()["id"]
