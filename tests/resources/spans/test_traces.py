"""The tracing library end to end, and traces read as trees (in process and over /_fake)."""

from __future__ import annotations

import logging
import sys
from typing import Iterator

import pytest

pytest.importorskip("scale_gp_beta")

from scale_gp_beta.lib import tracing

from sgp_fake import SGPFake
from sgp_fake.errors import BETA_SDK_MISSING
from sgp_fake.extras.traces import Traces, init_tracing, save_tracing


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake()


@pytest.fixture
def traces(fake: SGPFake) -> Iterator[Traces]:
    restore = save_tracing()
    traced = init_tracing(fake, max_retries=0)
    yield traced
    traced.flush()
    restore()


def _agent_run() -> str:
    with tracing.create_trace("agent", input={"question": "weather?"}) as trace:
        with tracing.create_span("plan", span_type="CUSTOM", input={"step": 1}) as plan:
            plan.output = {"tool": "weather"}
        # nested: http inside tool
        with (
            tracing.create_span("tool", span_type="CODE_EXECUTION"),
            tracing.create_span("http", span_type="EXTERNAL_ENDPOINT"),
        ):
            pass
        with pytest.raises(RuntimeError), tracing.create_span("answer", span_type="COMPLETION"):
            raise RuntimeError("model down")
    return trace.trace_id


def test_traced_run_arrives_as_a_tree(fake: SGPFake, traces: Traces) -> None:
    trace_id = _agent_run()
    tracing.flush_queue()
    trace = fake.traces.get(trace_id)
    trace.assert_shape(("agent", ["plan", ("tool", ["http"]), "answer"]))
    assert trace.root.type == "TRACER"
    assert trace.root.input == {"question": "weather?"}
    assert trace.find("plan").output == {"tool": "weather"}
    assert [s.name for s in trace.errors()] == ["answer"]
    failed = trace.find("answer")
    assert failed.status == "ERROR"
    assert failed.error_type == "RuntimeError"
    assert failed.error_message == "model down"
    assert all(s.duration_ms is not None and s.duration_ms >= 0 for s in trace.walk())
    assert len(trace) == 5
    assert len(fake.spans) == 5
    assert traces.last() is not None
    assert traces.last().trace_id == trace_id
    assert traces.named("agent")[0].trace_id == trace_id
    assert "answer [COMPLETION, ERROR" in trace.pretty()


def test_the_fixture_flushes_before_reading(sgp_traces: Traces) -> None:
    _agent_run()
    assert sgp_traces.last().names() == ["agent", "plan", "tool", "http", "answer"]
    assert [s.name for s in sgp_traces.errors()] == ["answer"]


@pytest.mark.parametrize("made_first", [False, True], ids=["no manager", "a manager made first"])
def test_the_library_is_pointed_at_the_fake_without_an_ignoring_traces_warning(
    fake: SGPFake,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    made_first: bool,
) -> None:
    # Neither a fresh library (no queue manager, nothing queued) nor a manager made before any
    # client (the OpenAI Agents processor takes one when it is built, often at import) may be
    # flushed: that would look for a client in the environment and log "ignoring traces" into
    # the report of every failing test, although the spans go to the fake.
    from scale_gp_beta.lib.tracing import trace_queue_manager as queues

    for name in ("SGP_API_KEY", "SGP_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    restore = save_tracing()
    try:
        monkeypatch.setattr(queues, "_global_tracing_queue_manager", None)
        if made_first:
            queues.tracing_queue_manager()  # what OpenAITracingSGPProcessor() does
        with caplog.at_level(logging.WARNING, logger="scale_gp_beta"):
            traced = init_tracing(fake, max_retries=0)
            with tracing.create_trace("agent"):
                pass
            assert traced.last().names() == ["agent"]
    finally:
        restore()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("scale_gp_beta")] == []


def test_find_and_shape_say_what_the_tree_is(traces: Traces) -> None:
    _agent_run()
    trace = traces.last()
    with pytest.raises(AssertionError, match="no span named 'nope'"):
        trace.find("nope")
    with pytest.raises(AssertionError, match="shape"):
        trace.assert_shape(("agent", ["plan"]))
    with pytest.raises(AssertionError, match="no trace named"):
        traces.last("other")


def test_a_500_once_loses_nothing(fake: SGPFake, traces: Traces) -> None:
    fake.faults.add(method="PUT", path="/v5/spans/batch", status=500, times=1)
    _agent_run()
    assert traces.last().names() == ["agent", "plan", "tool", "http", "answer"]
    assert len(fake.journal.calls("upsert_batch_spans")) == 2


def test_a_500_every_time_drops_the_batch(fake: SGPFake, traces: Traces) -> None:
    fake.faults.add(method="PUT", path="/v5/spans/batch", status=500, times=None)
    _agent_run()
    traces.flush()
    assert len(traces) == 0
    assert len(fake.journal.calls("upsert_batch_spans")) == 4  # the library's four attempts


def test_openai_agents_ids_are_accepted(fake: SGPFake, traces: Traces) -> None:
    trace_id, span_id = "trace_" + "a" * 32, "span_" + "b" * 24
    from sgp_fake.extras.traces import init_tracing as again

    again(fake)  # the same process queue, another client: still this fake
    with fake.client() as http:
        answer = http.put(
            "/v5/spans/batch",
            headers={"x-selected-account-id": "acct_1"},
            json={
                "items": [
                    {
                        "id": "root",
                        "name": "wf",
                        "trace_id": trace_id,
                        "type": "AGENT_WORKFLOW",
                        "start_timestamp": "2024-01-01T00:00:00+00:00",
                    },
                    {
                        "id": span_id,
                        "parent_id": "root",
                        "name": "gen",
                        "trace_id": trace_id,
                        "type": "COMPLETION",
                        "start_timestamp": "2024-01-01T00:00:01+00:00",
                    },
                ]
            },
        )
    assert answer.status_code == 200, answer.text
    traces.get(trace_id).assert_shape(("wf", ["gen"]))


def test_a_read_waits_for_the_workers_export_in_flight(fake: SGPFake, traces: Traces) -> None:
    # The library's worker drains the queue, then sends: a flush meanwhile finds the queue
    # empty. Here another thread's export is held inside the transport until a timer lets it
    # go; the read must wait for it rather than answer without its spans.
    import threading

    import httpx
    from scale_gp_beta import SGPClient
    from scale_gp_beta.lib.tracing.trace_queue_manager import tracing_queue_manager

    sending, release = threading.Event(), threading.Event()
    inner = fake.transport()

    class Held(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sending.set()
            release.wait(10)
            return inner.handle_request(request)

    tracing_queue_manager().register_client(
        SGPClient(
            api_key="test-api-key",
            account_id="acct_1",
            base_url="http://sgp-fake.test",
            http_client=httpx.Client(transport=Held()),
            max_retries=0,
        )
    )
    with tracing.create_trace("agent"), tracing.create_span("step"):
        pass
    worker = threading.Thread(target=tracing.flush_queue)
    worker.start()
    assert sending.wait(10)  # the queue is drained, the batch not yet delivered
    threading.Timer(0.2, release.set).start()
    try:
        traces.last().assert_shape(("agent", ["step"]))
    finally:
        release.set()
        worker.join(10)


def test_restoring_puts_the_exporter_back(fake: SGPFake) -> None:
    from scale_gp_beta.lib.tracing.trace_queue_manager import tracing_queue_manager

    manager = tracing_queue_manager()  # a manager there was before
    restore = save_tracing()
    init_tracing(fake)
    assert "export" in vars(manager._exporter)  # one export at a time, while the fake's
    restore()
    assert "export" not in vars(manager._exporter)


def test_spans_queued_with_no_client_do_not_reach_the_fake(fake: SGPFake) -> None:
    # An earlier test traced with no client (none given, none from the environment): the
    # library keeps those spans queued and never sends them. They are not this fake's.
    from scale_gp_beta.lib.tracing.trace_queue_manager import tracing_queue_manager

    restore = save_tracing()
    try:
        manager = tracing_queue_manager()
        manager._client, manager._attempted_local_client_creation = None, True
        with tracing.create_trace("an earlier test's"):
            pass
        traced = init_tracing(fake)
        with tracing.create_trace("this test's"):
            pass
        assert [trace.name for trace in traced] == ["this test's"]
    finally:
        restore()


def test_pointing_the_library_at_the_fake_warns_of_nothing(
    fake: SGPFake, caplog: pytest.LogCaptureFixture
) -> None:
    from scale_gp_beta.lib.tracing import trace_queue_manager as queues

    restore = save_tracing()
    try:
        queues._global_tracing_queue_manager = None  # as in a fresh process
        with caplog.at_level(logging.WARNING, logger="scale_gp_beta"):
            init_tracing(fake)
            init_tracing(fake)  # and again, on the manager the first made
            with tracing.create_trace("traced"):
                pass
            tracing.flush_queue()
        assert [trace.name for trace in fake.traces] == ["traced"]
        assert [record.getMessage() for record in caplog.records] == []
    finally:
        restore()


def test_init_tracing_without_the_v5_sdk_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "scale_gp_beta", None)  # as if it were not installed
    with pytest.raises(ModuleNotFoundError) as missing:
        init_tracing(SGPFake())
    assert str(missing.value) == BETA_SDK_MISSING
    assert "pip install sgp-fake[sdk]" in str(missing.value)
