"""/v5/spans and /v5/span-assessments through the v5 SDK in process, and as records like any
other (journal, coverage, state document, state files, per-account reset, contract mode)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("scale_gp_beta")

from scale_gp_beta import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    SGPClient,
    UnprocessableEntityError,
)

from sgp_fake import SGPFake
from sgp_fake.resources.spans import span_key
from sgp_fake.resources.spans.schemas import SpanCreateRequest
from sgp_fake.settings import FakeSettings

T0 = "2024-01-01T00:00:00+00:00"


def sdk(fake: SGPFake, account: str = "acct_1", **kwargs: Any) -> SGPClient:
    return SGPClient(
        api_key="k",
        account_id=account,
        base_url="http://sgp.test",
        http_client=httpx.Client(transport=fake.transport()),
        max_retries=0,
        **kwargs,
    )


def span(span_id: str, trace: str = "t1", parent: str | None = None, **extra: Any) -> Any:
    item: dict[str, Any] = {
        "id": span_id,
        "trace_id": trace,
        "name": span_id,
        "start_timestamp": T0,
    }
    if parent is not None:
        item["parent_id"] = parent
    return {**item, **extra}


def test_create_get_update() -> None:
    fake = SGPFake()
    client = sdk(fake)
    created = client.spans.create(name="root", trace_id="t1", start_timestamp=T0, input={"q": 1})
    assert created.account_id == "acct_1"
    assert created.id
    with pytest.warns(DeprecationWarning, match="deprecated"):
        got = client.spans.retrieve(created.id)
    assert got.input == {"q": 1}
    updated = client.spans.update(created.id, status="ERROR", end_timestamp="2024-01-01T00:00:02Z")
    assert updated.status == "ERROR"
    assert updated.name == "root"
    with pytest.raises(UnprocessableEntityError):
        client.spans.update(created.id, end_timestamp="2023-01-01T00:00:00Z")
    with pytest.raises(NotFoundError), pytest.warns(DeprecationWarning, match="deprecated"):
        client.spans.retrieve("nope")


def test_a_null_removes_what_a_span_may_lack_and_keeps_its_name() -> None:
    fake = SGPFake()
    created = sdk(fake).spans.create(
        name="root", trace_id="t1", start_timestamp=T0, output={"a": 1}, metadata={"m": 1}
    )
    with fake.client(headers={"x-selected-account-id": "acct_1"}) as client:
        answer = client.patch(
            f"/v5/spans/{created.id}", json={"name": None, "output": None, "status": "SUCCESS"}
        )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["name"], body["status"], body["metadata"]) == ("root", "SUCCESS", {"m": 1})
    assert "output" not in body
    with pytest.warns(DeprecationWarning, match="deprecated"):
        stored = sdk(fake).spans.retrieve(created.id)
    assert (stored.name, stored.output) == ("root", None)


def test_insert_refuses_what_exists_and_bad_graphs() -> None:
    fake = SGPFake()
    client = sdk(fake)
    client.spans.batch(items=[span("r"), span("c", parent="r")])
    with pytest.raises(ConflictError):
        client.spans.create(**span("r"))
    with pytest.raises(ConflictError):  # a parent of another trace only
        client.spans.batch(items=[span("x", trace="t2", parent="r")])
    with pytest.raises(ConflictError):  # a cycle
        client.spans.upsert_batch(items=[span("a", parent="b"), span("b", parent="a")])
    with pytest.raises(UnprocessableEntityError):
        client.spans.create(**span("late", end_timestamp="2023-01-01T00:00:00Z"))
    with pytest.raises(UnprocessableEntityError):
        client.spans.batch(items=[span(f"s{i}") for i in range(1001)])
    assert len(fake.spans) == 2  # nothing of a refused batch was written


def test_an_upsert_cannot_make_a_cycle_through_a_completed_span_it_keeps() -> None:
    fake = SGPFake()
    client = sdk(fake)
    done = {"end_timestamp": "2024-01-01T00:00:01Z"}
    client.spans.upsert_batch(items=[span("a", parent="b", **done)])
    # "a" again, in progress and without a parent: the completed "a" (parent "b") is kept, so
    # "b" under "a" would close a cycle.
    with pytest.raises(ConflictError):
        client.spans.upsert_batch(items=[span("a"), span("b", parent="a")])
    assert len(fake.spans) == 1
    assert len(fake.traces) == 1


def test_a_deep_trace_is_walked_once_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # A chain of 200 stored spans, continued by a batch of 200: checking the batch for a
    # cycle reads each stored ancestor once, not once for every span of the batch.
    from sgp_fake.resources.spans import SpanTable

    fake = SGPFake()
    client = sdk(fake)
    chain = [span(f"s{i}", parent=f"s{i - 1}" if i else None) for i in range(400)]
    client.spans.upsert_batch(items=chain[:200])
    reads = 0
    stored = SpanTable.stored

    def counted(self: SpanTable, record_id: str) -> Any:
        nonlocal reads
        reads += 1
        return stored(self, record_id)

    monkeypatch.setattr(SpanTable, "stored", counted)
    client.spans.upsert_batch(items=chain[200:])
    assert len(fake.traces.get("t1")) == 400
    assert reads < 2_000  # 200 x 200 walks up the stored chain would be 40,000


def test_a_state_document_takes_only_graphs_the_routes_could_write() -> None:
    fake = SGPFake(admin=True)
    base = {"account_id": "acct_1", "name": "s", "start_timestamp": T0}
    cases = {
        "cycle": [
            {**base, "id": "a", "trace_id": "t1", "parent_id": "b"},
            {**base, "id": "b", "trace_id": "t1", "parent_id": "a"},
        ],
        "end before start": [
            {**base, "id": "a", "trace_id": "t1", "end_timestamp": "2023-12-31T23:59:55+00:00"}
        ],
        "parent of another trace": [
            {**base, "id": "a", "trace_id": "t1"},
            {**base, "id": "b", "trace_id": "t2", "parent_id": "a"},
        ],
    }
    with fake.client() as http:
        for name, spans in cases.items():
            answer = http.put("/_fake/state", json={"spans": spans})
            assert answer.status_code == 422, name
            assert "spans" in answer.text, name
        assert http.get("/_fake/traces").status_code == 200
    assert len(fake.spans) == 0


def test_a_stored_cycle_still_reads_as_trees() -> None:
    # What a state file written before the check could hold: every span is read, once.
    fake = SGPFake()
    table = fake.spans
    client = sdk(fake)
    client.spans.upsert_batch(items=[span("r"), span("a", parent="r"), span("b", parent="a")])
    key = span_key("acct_1", "t1", "a")
    record = table.stored(key)
    assert record is not None
    table.update(key, json.dumps({**record.as_dict(), "parent_id": "b"}).encode())
    (trace,) = fake.traces.all()
    assert sorted(n.id for n in trace.spans) == ["a", "b", "r"]
    assert sorted(root.id for root in trace.roots) == ["a", "r"]
    assert "b" in trace.pretty()


def test_upsert_sent_twice_is_one_and_completed_wins() -> None:
    fake = SGPFake()
    client = sdk(fake)
    done = span("s", end_timestamp="2024-01-01T00:00:01Z", output={"a": 1})
    answer = client.spans.upsert_batch(items=[span("s"), done, span("s")])
    assert len(answer.items) == 1
    assert answer.items[0].output == {"a": 1}
    client.spans.upsert_batch(items=[span("s", name="again")])  # in progress: not replacing
    assert fake.traces.get("t1").root.output == {"a": 1}
    client.spans.upsert_batch(items=[{**done, "name": "renamed"}])  # completed: the later wins
    assert fake.traces.get("t1").root.name == "renamed"
    assert len(fake.spans) == 1


def test_search_filters_window_sort_and_pages() -> None:
    fake = SGPFake()
    client = sdk(fake)
    items = [
        span(
            f"s{i}",
            trace="t1" if i < 4 else "t2",
            start_timestamp=f"2024-01-01T00:00:0{i}Z",
            end_timestamp=f"2024-01-01T00:00:0{i}.{i}Z",
            status="ERROR" if i == 2 else "SUCCESS",
            metadata={"env": "prod" if i % 2 else "dev"},
        )
        for i in range(6)
    ]
    client.spans.upsert_batch(items=items)
    ids = [s.id for s in client.spans.search(sort_order="asc", limit=2)]
    assert ids == [f"s{i}" for i in range(6)]  # three pages, in start order
    assert [s.id for s in client.spans.search(trace_ids=["t2"])] == ["s5", "s4"]  # newest first
    assert [s.id for s in client.spans.search(statuses=["ERROR"])] == ["s2"]
    assert {s.id for s in client.spans.search(extra_metadata={"env": "prod"})} == {"s1", "s3", "s5"}
    window = client.spans.search(from_ts="2024-01-01T00:00:01Z", to_ts="2024-01-01T00:00:02Z")
    assert {s.id for s in window} == {"s1", "s2"}
    longest = client.spans.search(sort_by="duration_ms", limit=1).items
    assert longest[0].id == "s5"
    assert [s.id for s in client.spans.search(search_texts=["s3"])] == ["s3"]
    both = client.spans.search(
        trace_ids=["t1"],
        excluded_spans=[{"trace_id": "t1", "span_id": "s0"}],
        excluded_span_ids=["s1"],
    )
    # The pairs take precedence over the ids (the SDK's excluded_spans): s1 stays.
    assert [s.id for s in both] == ["s3", "s2", "s1"]
    by_ids = client.spans.search(trace_ids=["t1"], excluded_span_ids=["s1"])
    assert [s.id for s in by_ids] == ["s3", "s2", "s0"]
    with pytest.raises(UnprocessableEntityError):
        client.spans.search(from_ts="2024-01-02T00:00:00Z", to_ts="2024-01-01T00:00:00Z")


def test_a_uuid_shaped_search_text_finds_its_trace_or_the_other_terms() -> None:
    # search_texts: every term that is not a UUID in the name, input, output or metadata, or
    # a span of the trace a UUID-shaped term names (ORed); the trace id is no text to search.
    fake = SGPFake()
    client = sdk(fake)
    trace = "0b3c3f1e-5d4a-4c2b-9e8f-7a6b5c4d3e2f"
    client.spans.batch(
        items=[
            span("root", trace=trace),
            span("tool", trace=trace, parent="root"),
            span("other", trace="t2", input={"about": trace}),
            span("tool call", trace="t3"),
        ]
    )

    def found(*terms: str) -> set[str]:
        return {s.id for s in client.spans.search(search_texts=list(terms))}

    assert found(trace) == {"root", "tool"}
    assert found(trace.upper()) == {"root", "tool"}
    assert found("call", trace) == {"root", "tool", "tool call"}
    assert found("tool", "call") == {"tool call"}
    assert found("t2") == set()  # the trace id is not text searched


@pytest.mark.parametrize(
    ("filters", "refused"),
    [
        ({"trace_ids": ["t"] * 4_000, "span_ids": ["s"] * 6_000}, False),
        ({"trace_ids": ["t"] * 4_000, "span_ids": ["s"] * 6_001}, True),
        ({"trace_ids": ["t"] * 2, "spans": [{"trace_id": "t", "span_id": "s"}] * 4_999}, False),
        ({"trace_ids": ["t"] * 3, "spans": [{"trace_id": "t", "span_id": "s"}] * 4_999}, True),
        ({"excluded_spans": [{"trace_id": "t", "span_id": "s"}] * 5_001}, True),
    ],
)
def test_a_search_of_more_than_10000_ids_counts_a_pair_as_two(filters: Any, refused: bool) -> None:
    client = sdk(SGPFake())
    if refused:
        with pytest.raises(UnprocessableEntityError, match="at most 10000"):
            client.spans.search(**filters)
    else:
        assert client.spans.search(**filters).items == []


@pytest.mark.timeout(120)  # paging that does not move on never ends
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 50])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pages_of_span_ids_several_traces_hold_end_and_miss_nothing(limit: int, order: Any) -> None:
    # Each trace has its spans "root", "llm" and "tool" (fixed ids), and one of its own; the
    # SDK's cursor is the last item's id, which names a span of every trace.
    fake = SGPFake()
    client = sdk(fake)
    items = [
        span(name, trace=f"t{t}", start_timestamp=f"2024-01-01T00:00:{10 * t + k:02d}Z")
        for t in range(4)
        for k, name in enumerate(["root", "llm", "tool", f"own{t}"])
    ]
    client.spans.upsert_batch(items=items)
    everything = [(s.trace_id, s.id) for s in client.spans.search(sort_order=order).items]
    assert len(everything) == len(items)
    forward = [(s.trace_id, s.id) for s in client.spans.search(sort_order=order, limit=limit)]
    assert forward == everything
    at = max(i for i, (_, span_id) in enumerate(everything) if span_id.startswith("own"))
    backward = client.spans.search(sort_order=order, limit=limit, ending_before=everything[at][1])
    got = [(s.trace_id, s.id) for page in backward.iter_pages() for s in page.items]
    assert sorted(got) == sorted(everything[:at])  # moving back, page by page


def test_a_search_on_agent_metadata_skips_values_that_are_not_text() -> None:
    fake = SGPFake()
    client = sdk(fake)
    metadata = {"acp_type": ["sync"], "agentex_agent_id": {"id": "a"}, "agentex_agent_name": 1}
    client.spans.batch(items=[span("odd", metadata=metadata), span("ok", metadata=_AGENT)])
    for name, key in [
        ("acp_types", "acp_type"),
        ("agentex_agent_ids", "agentex_agent_id"),
        ("agentex_agent_names", "agentex_agent_name"),
    ]:
        found = client.spans.search(**{name: [_AGENT[key], "sync", "a", "1"]})
        assert [s.id for s in found] == ["ok"], name


_AGENT = {"acp_type": "agentic", "agentex_agent_id": "agent_1", "agentex_agent_name": "helper"}


def test_spans_belong_to_the_callers_account() -> None:
    fake = SGPFake()
    sdk(fake, "acct_1").spans.create(**span("same"))
    sdk(fake, "acct_2").spans.create(**span("same"))  # the same id in another account
    assert len(fake.spans) == 2
    assert [s.account_id for s in sdk(fake, "acct_2").spans.search()] == ["acct_2"]
    assert fake.reset("acct_1") == 1
    assert [t.account_id for t in fake.traces] == ["acct_2"]


def test_a_search_by_assessment_type_sees_the_accounts_own_assessments() -> None:
    fake = SGPFake()
    first, second = sdk(fake, "acct_1"), sdk(fake, "acct_2")
    for client in (first, second):
        client.spans.batch(items=[span("r")])  # the same trace and span id in each account
    first.span_assessments.create(assessment_type="rating", trace_id="t1", rating=5)
    assert [s.account_id for s in first.spans.search(assessment_types=["rating"])] == ["acct_1"]
    assert [s.id for s in second.spans.search(assessment_types=["rating"])] == []


def test_an_assessment_is_read_in_the_selected_account_only() -> None:
    fake = SGPFake()
    first, second = sdk(fake, "acct_1"), sdk(fake, "acct_2")
    first.spans.batch(items=[span("r")])
    rating = first.span_assessments.create(assessment_type="rating", trace_id="t1", rating=5)
    assert first.span_assessments.retrieve(rating.assessment_id).rating == 5
    for call in (
        lambda: second.span_assessments.retrieve(rating.assessment_id),
        lambda: second.span_assessments.update(rating.assessment_id, rating=1),
        lambda: second.span_assessments.delete(rating.assessment_id),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert first.span_assessments.retrieve(rating.assessment_id).rating == 5


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (
            {"assessment_type": "approval", "approval": "approved", "rating": 1},
            "An assessment of type approval carries its approval and a comment only, not rating",
        ),
        (
            {"assessment_type": "comment", "comment": "ok", "rating": 1},
            "An assessment of type comment carries its comment only, not rating",
        ),
        ({"assessment_type": "overwrite"}, "An assessment of type overwrite needs its overwrite"),
    ],
)
def test_an_assessments_content_refusal_reads_right(content: Any, detail: str) -> None:
    fake = SGPFake()
    sdk(fake).spans.batch(items=[span("r")])
    with fake.client(headers={"x-selected-account-id": "acct_1"}) as raw:
        answer = raw.post("/v5/span-assessments", json={"trace_id": "t1", **content})
    assert (answer.status_code, answer.json()) == (422, {"detail": detail})


def test_a_null_in_an_assessment_update_keeps_its_type() -> None:
    fake = SGPFake()
    client = sdk(fake)
    client.spans.batch(items=[span("r")])
    rating = client.span_assessments.create(
        assessment_type="rating", trace_id="t1", rating=5, comment="fine"
    )
    with fake.client(headers={"x-selected-account-id": "acct_1"}) as raw:
        answer = raw.patch(
            f"/v5/span-assessments/{rating.assessment_id}",
            json={"assessment_type": None, "comment": None, "rating": 4},
        )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["assessment_type"], body["rating"]) == ("rating", 4)
    assert "comment" not in body


def test_assessments_crud_and_rules() -> None:
    fake = SGPFake()
    client = sdk(fake)
    client.spans.batch(items=[span("r"), span("c", parent="r")])
    rating = client.span_assessments.create(assessment_type="rating", trace_id="t1", rating=5)
    assert rating.span_id == "r"
    assert rating.created_by
    got = client.span_assessments.retrieve(rating.assessment_id)
    assert got.rating == 5
    changed = client.span_assessments.update(rating.assessment_id, rating=3, comment="ok")
    assert (changed.rating, changed.comment) == (3, "ok")
    client.span_assessments.create(
        assessment_type="overwrite", trace_id="t1", span_id="c", overwrite={"output": {}}
    )
    assert [a.assessment_type for a in client.span_assessments.list(trace_id="t1")] == [
        "rating",
        "overwrite",
    ]
    assert len(client.span_assessments.list(span_id="c", assessment_type="overwrite").items) == 1
    for bad in (
        {"assessment_type": "rating", "rating": 6},
        {"assessment_type": "comment"},
        {"assessment_type": "approval", "approval": "approved", "rating": 1},
    ):
        with pytest.raises(UnprocessableEntityError):
            client.span_assessments.create(trace_id="t1", **bad)
    with pytest.raises(ConflictError):
        client.span_assessments.create(
            assessment_type="overwrite", trace_id="t1", span_id="c", overwrite={}
        )
    with pytest.raises(NotFoundError):
        client.span_assessments.create(assessment_type="comment", trace_id="nope", comment="x")
    with pytest.raises(BadRequestError):
        client.span_assessments.list()
    assert client.span_assessments.delete(rating.assessment_id).deleted
    with pytest.raises(NotFoundError):
        client.span_assessments.retrieve(rating.assessment_id)
    assert [s.id for s in client.spans.search(assessment_types=["overwrite"])] == ["c"]


def test_contract_mode_takes_the_generated_tests_values() -> None:
    fake = SGPFake(settings=FakeSettings(contract=True))
    client = sdk(fake, "My Account ID")
    for _ in range(2):
        client.spans.create(
            name="name",
            start_timestamp="2019-12-27T18:11:19.117Z",
            trace_id="trace_id",
            id="id",
            obs_span_id="obs_span_id",
            end_timestamp="2019-12-27T18:11:19.117Z",
        )
    with pytest.warns(DeprecationWarning, match="deprecated"):
        assert client.spans.retrieve("span_id").id == "span_id"
    ended = client.spans.update("span_id", end_timestamp="2019-12-27T18:11:19.117Z")
    assert ended.end_timestamp == ended.start_timestamp  # made up: it started no later
    client.span_assessments.create(assessment_type="comment", trace_id="trace_id")
    client.span_assessments.create(
        assessment_type="comment",
        trace_id="trace_id",
        rating=0,
        approval="approved",
        overwrite={},
        rubric={},
    )
    assert client.span_assessments.list().items is not None
    assert client.span_assessments.retrieve("span_assessment_id").assessment_id == (
        "span_assessment_id"
    )
    page = client.spans.search(
        starting_after="starting_after",
        ending_before="ending_before",
        sort_by="sort_by",
        from_ts=T0,
        to_ts=T0,
        trace_ids=["string"],
    )
    assert page.items == []


def test_journal_and_coverage_name_the_operations() -> None:
    fake = SGPFake(coverage=True)
    client = sdk(fake)
    client.spans.upsert_batch(items=[span("r")])
    client.spans.search()
    assert len(fake.journal.calls("upsert_batch_spans")) == 1
    assert fake.coverage is not None
    report = fake.coverage.report()
    assert "upsert_batch_spans" in str(report)
    assert "search_spans" in str(report)


def test_state_document_and_state_file(tmp_path: Path) -> None:
    fake = SGPFake(admin=True)
    client = sdk(fake)
    client.spans.batch(items=[span("r"), span("c", parent="r")])
    client.span_assessments.create(assessment_type="comment", trace_id="t1", comment="hi")
    with fake.client() as http:
        state = http.get("/_fake/state").json()
        assert [s["id"] for s in state["spans"]] == ["r", "c"]
        assert len(state["span_assessments"]) == 1
        assert http.post("/_fake/reset").status_code == 200
        assert len(fake.spans) == 0
        assert http.put("/_fake/state", json=state).status_code == 200
    fake.traces.get("t1").assert_shape(("r", ["c"]))

    path = tmp_path / "state.sqlite"
    durable = SGPFake(state_file=path)
    sdk(durable).spans.upsert_batch(items=[span("r"), span("c", parent="r")])
    durable.close()
    again = SGPFake(state_file=path)
    again.traces.get("t1").assert_shape(("r", ["c"]))
    again.close()


def test_a_state_document_round_trips_span_ids_several_traces_hold() -> None:
    fake = SGPFake(admin=True)
    sdk(fake).spans.batch(items=[span("root", trace="t1"), span("root", trace="t2")])
    sdk(fake, "acct_2").spans.batch(items=[span("root", trace="t1")])
    with fake.client() as http:
        state = http.get("/_fake/state").json()
        assert len(state["spans"]) == 3
        answer = http.put("/_fake/state", json=state)
        assert answer.status_code == 200, answer.text
        assert answer.json()["spans"] == state["spans"]
        state["spans"].append(state["spans"][0])  # one span twice: still refused
        answer = http.put("/_fake/state", json=state)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"] == (
        "Value error, duplicate spans (account_id 'acct_1', trace_id 't1', id 'root')"
    )
    assert len(fake.spans) == 3


def test_a_state_document_takes_back_any_span_id_the_api_took() -> None:
    # A span's id is its caller's: one with a '/' or a dot segment is stored by POST, so the
    # document the fake writes of it, and a seed file saved from that document, go back in.
    fake = SGPFake(admin=True)
    odd = ["a/b", "..", ".", "trace/span/1"]
    sdk(fake).spans.batch(items=[span(span_id) for span_id in odd])
    with fake.client() as http:
        state = http.get("/_fake/state").json()
        answer = http.put("/_fake/state", json=state)
        assert answer.status_code == 200, answer.text
        assert [s["id"] for s in answer.json()["spans"]] == odd
        state["spans"][0]["id"] = ""  # still refused: the create refuses it too
        assert http.put("/_fake/state", json=state).status_code == 422


def test_the_document_lists_what_the_assessment_routes_answer() -> None:
    # A 404 for an unknown span and a 409 for a second overwrite are answered, so documented
    # (coverage reports documented statuses never seen).
    with SGPFake().client() as http:
        paths = http.get("/openapi.json").json()["paths"]
    assert {"404", "409"} <= set(paths["/v5/span-assessments"]["post"]["responses"])
    assert "409" in paths["/v5/span-assessments/{span_assessment_id}"]["patch"]["responses"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timestamp_with_no_utc_time_is_fastapis_422(moment: str) -> None:
    # The spans are kept in UTC; a moment past the calendar's edge there is refused as FastAPI
    # on the same model refuses it (a validator's ValueError written as "ctx": {"error": {}}).
    fastapi = pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    reference = fastapi.FastAPI()

    def create(body: Any) -> None: ...

    create.__annotations__ = {"body": SpanCreateRequest, "return": None}
    reference.post("/v5/spans")(create)

    sent = {"name": "s", "trace_id": "t", "start_timestamp": moment}
    expected = TestClient(reference).post("/v5/spans", json=sent)
    with SGPFake().client(headers={"x-selected-account-id": "acct_1"}) as http:
        answer = http.post("/v5/spans", json=sent)
        assert (answer.status_code, answer.content) == (422, expected.content)
        search = http.post(f"/v5/spans/search?from_ts={moment.replace('+', '%2B')}", json={})
        assert search.status_code == 422
        assert search.json()["detail"][0]["loc"] == ["query", "from_ts"]
