"""The traces as trees through the admin API: in process, and from the tracing library over a
socket, as a test in another language or a dashboard reads them."""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake

HEADERS = {"x-api-key": "test-api-key", "x-selected-account-id": "acct_1"}


def span(name: str, trace_id: str, start: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "id": f"{trace_id}-{name}", "trace_id": trace_id, **extra,
            "start_timestamp": f"2024-01-01T00:00:{start}+00:00"}  # fmt: skip


def trace(trace_id: str, root: str, start: int, *, fails: bool = False) -> list[dict[str, Any]]:
    """A root with two children, the second failing when ``fails``; the root takes 2 s."""
    at = f"{start:02d}"
    end = f"2024-01-01T00:00:{start + 2:02d}+00:00"
    parent = f"{trace_id}-{root}"
    failing = {"status": "ERROR", "metadata": {"error": True}} if fails else {}
    return [
        span(root, trace_id, at, end_timestamp=end, status="ERROR" if fails else "SUCCESS"),
        span("call", trace_id, f"{at}.5", parent_id=parent, **failing),
        span("plan", trace_id, f"{at}.1", parent_id=parent, end_timestamp=end),
    ]


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake(admin=True)


@pytest.fixture
def admin(fake: SGPFake) -> Iterator[httpx.Client]:
    with fake.client(api_key=None) as client:
        yield client


def upsert(client: httpx.Client, items: list[dict[str, Any]], account: str = "acct_1") -> None:
    headers = {**HEADERS, "x-selected-account-id": account}
    answer = client.put("/v5/spans/batch", json={"items": items}, headers=headers)
    assert answer.status_code == 200, answer.text


def listed(admin: httpx.Client, **params: Any) -> list[tuple[str, str]]:
    answer = admin.get("/_fake/traces", params=params)
    assert answer.status_code == 200, answer.text
    return [(t["trace_id"], t["account_id"]) for t in answer.json()["traces"]]


def test_the_list_filters_by_account_name_errors_and_last(admin: httpx.Client) -> None:
    upsert(admin, trace("t1", "agent", 10))
    upsert(admin, trace("t2", "agent", 20, fails=True))
    upsert(admin, trace("t3", "other", 30))
    upsert(admin, trace("t4", "agent", 5), account="acct_2")
    summary = admin.get("/_fake/traces").json()["traces"][1]
    assert summary == {
        "trace_id": "t1",
        "account_id": "acct_1",
        "name": "agent",
        "status": "SUCCESS",
        "start_timestamp": "2024-01-01T00:00:10+00:00",
        "duration_ms": 2000.0,
        "span_count": 3,
        "error_count": 0,
    }
    everything = [("t4", "acct_2"), ("t1", "acct_1"), ("t2", "acct_1"), ("t3", "acct_1")]
    assert listed(admin) == everything  # first started first
    assert listed(admin, account_id="acct_1") == everything[1:]
    assert listed(admin, name="agent") == everything[:3]
    assert listed(admin, errors="true") == [("t2", "acct_1")]
    assert listed(admin, last=2) == everything[2:]
    assert listed(admin, last=0) == []
    assert listed(admin, name="agent", last=1) == [("t2", "acct_1")]
    assert listed(admin, name="nobody") == []


def test_a_trace_is_a_tree_with_timings_and_errors_marked(admin: httpx.Client) -> None:
    upsert(admin, trace("t2", "agent", 20, fails=True))
    tree = admin.get("/_fake/traces/t2").json()
    assert (tree["name"], tree["span_count"], tree["error_count"]) == ("agent", 3, 2)
    (root,) = tree["roots"]
    assert (root["name"], root["duration_ms"], root["error"]) == ("agent", 2000.0, True)
    plan, call = root["children"]  # in start order, not in the order sent
    assert (plan["name"], plan["duration_ms"], plan["error"]) == ("plan", 1900.0, False)
    assert (call["name"], call["duration_ms"], call["error"]) == ("call", None, True)
    assert call["metadata"] == {"error": True}
    assert call["children"] == []


def test_trace_errors_answer_as_documented(admin: httpx.Client) -> None:
    upsert(admin, trace("shared", "a", 1))
    upsert(admin, trace("shared", "b", 2), account="acct_2")
    missing = admin.get("/_fake/traces/nope")
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "No span of trace nope was received"},
    )
    ambiguous = admin.get("/_fake/traces/shared")
    assert ambiguous.status_code == 400
    assert "acct_1" in ambiguous.json()["detail"]
    chosen = admin.get("/_fake/traces/shared", params={"account_id": "acct_2"}).json()
    assert chosen["name"] == "b"
    bad = admin.get("/_fake/traces", params={"last": "-1"})
    assert (bad.status_code, bad.json()["detail"][0]["loc"]) == (422, ["query", "last"])


def test_the_routes_are_served_only_with_spans() -> None:
    from sgp_fake.resources import REGISTRY

    kinds = tuple(r for r in REGISTRY if r.kind not in ("spans", "span_assessments"))
    fake = SGPFake(admin=True, resources=kinds)
    with fake.client(api_key=None) as admin:
        assert admin.get("/_fake/traces").status_code == 404
        assert "/_fake/traces" not in admin.get("/openapi.json").json()["paths"]


def test_the_tracing_library_over_a_socket() -> None:
    """``tracing.init(client=...)`` with a client of a served fake, then the trees read over
    HTTP, as a test of a traced agent in another process would."""
    sgp = pytest.importorskip("scale_gp_beta")
    from scale_gp_beta.lib import tracing

    fake = SGPFake(admin=True)
    with (
        LiveServer(fake.app) as server,
        sgp.SGPClient(
            api_key="test-api-key", account_id="acct_1", base_url=server.url, max_retries=0
        ) as client,
        httpx.Client(base_url=server.url, timeout=30) as admin,
    ):
        tracing.flush_queue()  # what an earlier test left queued goes where it was headed
        tracing.init(client=client)
        try:
            with tracing.create_trace("agent", input={"q": "weather?"}) as root:
                with tracing.create_span("plan", span_type="CUSTOM") as plan:
                    plan.output = {"tool": "weather"}
                with pytest.raises(RuntimeError), tracing.create_span("answer"):
                    raise RuntimeError("model down")
            tracing.flush_queue()
        finally:
            tracing.flush_queue()
        summaries = admin.get("/_fake/traces").json()["traces"]
        tree = admin.get(f"/_fake/traces/{root.trace_id}").json()
    assert [(s["trace_id"], s["name"], s["span_count"]) for s in summaries] == [
        (root.trace_id, "agent", 3)
    ]
    (agent,) = tree["roots"]
    assert (agent["type"], agent["input"]) == ("TRACER", {"q": "weather?"})
    assert [c["name"] for c in agent["children"]] == ["plan", "answer"]
    plan_node, answer = agent["children"]
    assert plan_node["output"] == {"tool": "weather"}
    assert answer["error"] is True
    assert answer["status"] == "ERROR"
    assert answer["metadata"]["error_type"] == "RuntimeError"
    assert all(n["duration_ms"] >= 0 for n in [agent, plan_node, answer])
    # every span was sent twice in one batch (at start and at end): one span each
    assert len(fake.spans) == 3


def test_a_chain_deeper_than_any_nesting_limit_reads_whole(
    fake: SGPFake, admin: httpx.Client
) -> None:
    # 2,500 spans each the parent of the next, in three batches: read in Python and through
    # the admin API, as deep as it is (JSON's encoder and Python's recursion stop near 1,000).
    depth = 2_500
    chain = [
        {
            "name": f"s{i}",
            "id": f"s{i}",
            "trace_id": "deep",
            "start_timestamp": "2024-01-01T00:00:00+00:00",
            **({"parent_id": f"s{i - 1}"} if i else {}),
        }
        for i in range(depth)
    ]
    for first in range(0, depth, 1_000):
        upsert(admin, chain[first : first + 1_000])
    traced = fake.traces.get("deep")
    assert traced.names() == [f"s{i}" for i in range(depth)]
    assert traced.pretty().splitlines()[-1] == "  " * (depth - 1) + "s2499 [-, -, in progress]"
    shape: Any = "s2499"
    for i in reversed(range(depth - 1)):
        shape = (f"s{i}", [shape])
    traced.assert_shape(shape)
    answer = admin.get("/_fake/traces/deep")
    assert answer.status_code == 200
    body = answer.content  # too deep for json.loads: its parts are checked
    assert body.count(b'"children":[') == depth
    assert body.endswith(b'"children":[' + b"]}" * depth + b"]}")  # the leaf, then each end
    positions = [body.index(b'"name":"s%d"' % i) for i in range(depth)]
    assert positions == sorted(positions)  # each inside the one before


def test_the_trace_json_is_the_tree_as_data(fake: SGPFake, admin: httpx.Client) -> None:
    import json

    upsert(admin, trace("t1", "agent", 10, fails=True))
    traced = fake.traces.get("t1")
    assert json.loads(traced.to_json()) == traced.to_dict()
    assert admin.get("/_fake/traces/t1").json() == traced.to_dict()
