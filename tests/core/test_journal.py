"""The request journal is complete as soon as the client has its answer."""

from __future__ import annotations

import httpx

from sgp_fake import LiveServer, SGPFake
from tests.support.bodies import minimal_body


def test_journal_has_the_exchange_before_the_client_sees_the_answer() -> None:
    fake = SGPFake()
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}) as client,
    ):
        for count in range(1, 101):
            response = client.post("/v4/model-templates", json=minimal_body(name=f"t{count}"))
            # Read straight after the answer, from another thread than the server's.
            assert len(fake.journal) == count
            last = fake.journal.last()
            assert last.status == response.status_code == 200
            assert last.response_body == response.content


def test_failed_exchanges_are_journaled_too(fake: SGPFake) -> None:
    with fake.client() as client:
        client.post(
            "/v4/model-templates", content=b"{", headers={"content-type": "application/json"}
        )
        client.get("/v4/model-templates/missing")
    assert [(e.method, e.status) for e in fake.journal] == [("POST", 422), ("GET", 404)]


def test_a_body_over_the_limit_is_journaled_with_its_answer(fake: SGPFake) -> None:
    fake.settings.max_body_size = 100
    with fake.client() as client:
        response = client.post("/v4/model-templates", json=minimal_body(name="x" * 500))
    assert response.status_code == 413
    [entry] = fake.journal.entries()
    assert (entry.method, entry.path, entry.status, entry.body) == (
        "POST",
        "/v4/model-templates",
        413,
        b"",
    )
    assert entry.response_json == response.json()


def test_entries_filter_by_status_alone_and_with_method_and_path(fake: SGPFake) -> None:
    with fake.client() as client:
        created = client.post("/v4/model-templates", json=minimal_body()).json()
        client.get("/v4/model-templates/missing")
        client.get(f"/v4/model-templates/{created['id']}")
        client.delete("/v4/model-templates/missing")
    journal = fake.journal
    assert [(e.method, e.path) for e in journal.entries(status=404)] == [
        ("GET", "/v4/model-templates/missing"),
        ("DELETE", "/v4/model-templates/missing"),
    ]
    assert [e.method for e in journal.entries(status=200)] == ["POST", "GET"]
    assert [e.path for e in journal.entries("GET", status=404)] == ["/v4/model-templates/missing"]
    assert journal.entries("POST", "/v4/model-templates", status=404) == []
    assert journal.entries(status=500) == []


def test_entries_are_numbered_for_the_journals_whole_life() -> None:
    fake = SGPFake(journal_limit=3)
    journal = fake.journal
    assert journal.last_sequence == 0
    with fake.client() as client:
        for index in range(5):
            client.get(f"/v4/model-templates/t{index}")
        # the limit dropped the two oldest; the kept ones keep their numbers
        assert [(e.sequence, e.path) for e in journal] == [
            (3, "/v4/model-templates/t2"),
            (4, "/v4/model-templates/t3"),
            (5, "/v4/model-templates/t4"),
        ]
        assert journal.last().sequence == journal.last_sequence == 5
        assert [e.sequence for e in journal.entries_after(3)] == [4, 5]
        assert [e.sequence for e in journal.entries_after(0, limit=2)] == [3, 4]
        assert journal.entries_after(5) == []
        journal.clear()
        assert journal.entries_after(0) == []
        client.get("/v4/model-templates")
        fake.reset()
        client.get("/v4/model-templates")
    # neither a clear nor a reset starts the numbering over: a reader's cursor stays valid
    assert [e.sequence for e in journal] == [7]
    assert [e.path for e in journal.entries_after(5)] == ["/v4/model-templates"]
    assert journal[0].to_dict()["sequence"] == 7


def test_a_request_journaled_from_its_scope_reads_as_its_parts_given_one_by_one() -> None:
    # The app journals from the ASGI scope (Journal.record_request); the entry must read as
    # the one the same parts give field by field (Journal.record_exchange).
    from sgp_fake.core.journal import Journal
    from sgp_fake.core.scope import ACCOUNT_SCOPE_KEY, RESPONSE_SCOPE_KEY

    scope = {
        "method": "POST",
        "path": "/v4/models/a b",
        "raw_path": b"/v4/models/a%20b",
        "query_string": b"x=1&y=%C3%A9",
        "headers": [(b"x-api-key", b"k"), (b"content-type", b"application/json")],
        RESPONSE_SCOPE_KEY: "resp_1",
        ACCOUNT_SCOPE_KEY: "acct_7",
    }
    chunks = [b'data: {"a": 1}\n\n', b"data: [DONE]\n\n"]
    answer_headers = [(b"content-type", b"text/event-stream")]
    clock = iter([100.0, 100.0]).__next__
    by_scope, by_parts = Journal(clock=clock), Journal(clock=clock)
    by_scope.record_request(
        scope, b'{"q": 2}', 201, chunks, answer_headers, "fault_1", True, "op_name", 0.0
    )
    entry = by_scope.entries()[0]
    by_parts.record_exchange(
        "POST",
        "/v4/models/a b",
        b"x=1&y=%C3%A9",
        scope["headers"],  # type: ignore[arg-type]
        b'{"q": 2}',
        201,
        chunks,
        answer_headers,
        "fault_1",
        True,
        "op_name",
        entry.duration,
        "resp_1",
        account="acct_7",
        raw_path=b"/v4/models/a%20b",
    )
    assert entry.to_dict() == by_parts.entries()[0].to_dict()
    assert entry.to_dict()["account"] == "acct_7"
    assert entry.raw_path == "/v4/models/a%20b"
    assert entry.response_body == b"".join(chunks)


def test_a_journal_that_keeps_nothing_builds_nothing() -> None:
    from sgp_fake.core.journal import Journal

    journal = Journal(0)
    journal.record_request({}, b"", 200, b"", [], None, False, None, 0.0)  # no key is read
    assert journal.entries() == []
    assert journal.last_sequence == 0
