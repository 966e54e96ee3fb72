"""Section 8: traces. A batch upsert of 50 spans, and a span store searched by trace id.

``PUT /v5/spans/batch`` with 50 spans (the tracing library's largest batch: five traces of ten
spans, each span complete), a new trace id for every batch so that the store grows as a traced
suite's does: through the sync in-process client, and over a socket (``LiveServer``, uvicorn
on loopback, one ``httpx.Client`` keeping its connection), alternating which goes first.

Then two fakes holding 1,000 and 10,000 spans (traces of ten spans, one account): the time of
``POST /v5/spans/search`` with ``{"trace_ids": [id]}`` for a random trace, and of reading one
trace as a tree (``fake.traces.get``), at 10k over the time at 1k in the same repetition. Both
read the trace's spans through the table's ``trace_id`` index, so neither should grow with the
store.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
from common import API_KEY, Ratio, Section, alternate, ratios

from sgp_fake import LiveServer, SGPFake

HEADERS = {
    "x-api-key": API_KEY,
    "x-selected-account-id": "acct_1",
    "content-type": "application/json",
}
SPANS_PER_TRACE = 10
T0 = 1_704_067_200.0  # 2024-01-01T00:00:00Z


def _iso(seconds: float) -> str:
    micros = round(seconds * 1e6) % 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micros:06d}+00:00"


def _trace(trace_id: str) -> list[dict[str, Any]]:
    """Ten complete spans of one trace: a root and nine children, as the library sends them."""
    root = f"{trace_id}-0"
    spans = []
    for i in range(SPANS_PER_TRACE):
        start = T0 + i * 0.01
        spans.append(
            {
                "id": f"{trace_id}-{i}",
                "trace_id": trace_id,
                "name": "agent" if i == 0 else f"step {i}",
                "type": "TRACER" if i == 0 else "CUSTOM",
                "start_timestamp": _iso(start),
                "end_timestamp": _iso(start + 0.005),
                "input": {"question": "What is the weather in Paris?", "step": i},
                "output": {"answer": "Sunny, 21 degrees."},
                "metadata": {},
                "status": "SUCCESS",
                **({} if i == 0 else {"parent_id": root}),
            }
        )
    return spans


def _batches(prefix: str, count: int) -> list[bytes]:
    per = 50 // SPANS_PER_TRACE
    return [
        json.dumps(
            {"items": [s for t in range(per) for s in _trace(f"{prefix}-{b}-{t}")]},
            separators=(",", ":"),
        ).encode()
        for b in range(count)
    ]


def _upserter(client: httpx.Client, batches: list[bytes]) -> Callable[[int], float]:
    """Seconds per batch over ``n`` of ``batches``, from a running position."""
    position = [0]

    def measure(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            body = batches[position[0]]
            position[0] += 1
            answer = client.put("/v5/spans/batch", content=body, headers=HEADERS)
            assert answer.status_code == 200, answer.text[:300]
        return (time.perf_counter() - start) / n

    return measure


def _filled(size: int) -> tuple[SGPFake, list[str]]:
    fake = SGPFake(journal_limit=1000)
    traces = size // SPANS_PER_TRACE
    with fake.client(api_key=API_KEY) as client:
        for body in _batches(f"s{size}", traces // 5):
            answer = client.put("/v5/spans/batch", content=body, headers=HEADERS)
            assert answer.status_code == 200, answer.text[:300]
    ids = [f"s{size}-{b}-{t}" for b in range(traces // 5) for t in range(5)]
    assert len(fake.spans) == size
    return fake, ids


def run(quick: bool) -> Section:
    section = Section("8. Traces: a batch upsert of 50 spans; 1k and 10k stored spans")
    reps = 5 if quick else 9
    n = 20 if quick else 60
    # -- a batch of 50, in process and over a socket ---------------------------------------------
    inproc_fake, socket_fake = SGPFake(journal_limit=1000), SGPFake(journal_limit=1000)
    batches_in = _batches("in", reps * n + 5)
    batches_out = _batches("out", reps * n + 5)
    with (
        inproc_fake.client(api_key=API_KEY) as inproc,
        LiveServer(socket_fake.app) as server,
        httpx.Client(base_url=server.url, timeout=30) as remote,
    ):
        in_process, over_socket = _upserter(inproc, batches_in), _upserter(remote, batches_out)
        in_process(2)  # warm: the first batch builds what is built once
        over_socket(2)
        a, b = alternate(lambda: over_socket(n), lambda: in_process(n), reps)
    section.add(
        Ratio(
            section.title,
            "batch upsert of 50 spans: over a socket / in process",
            ratios(a, b),
            note=f"{statistics.median(a) * 1e3:.2f} ms vs {statistics.median(b) * 1e3:.2f} ms "
            f"per batch ({statistics.median(b) * 1e6 / 50:.0f} us per span in process)",
        )
    )
    section.lines.append(
        f"A batch: five traces of ten complete spans, {len(batches_in[0])} bytes of JSON; "
        f"in process {statistics.median(b) * 1e3:.2f} ms, over a socket "
        f"{statistics.median(a) * 1e3:.2f} ms (medians of {reps} x {n} batches)."
    )
    # -- a trace found by id in 1k and 10k spans -------------------------------------------------
    sizes = (1_000, 10_000)
    fakes = {size: _filled(size) for size in sizes}
    clients = {size: fakes[size][0].client(api_key=API_KEY) for size in sizes}
    rng = random.Random(1)
    lookups = 200 if quick else 500

    def search(size: int) -> Callable[[], float]:
        client, ids = clients[size], fakes[size][1]

        def measure() -> float:
            picks = [rng.choice(ids) for _ in range(lookups)]
            start = time.perf_counter()
            for trace_id in picks:
                answer = client.post(
                    "/v5/spans/search", json={"trace_ids": [trace_id]}, headers=HEADERS
                )
                assert len(answer.json()["items"]) == SPANS_PER_TRACE, answer.text[:300]
            return (time.perf_counter() - start) / lookups

        return measure

    def tree(size: int) -> Callable[[], float]:
        fake, ids = fakes[size]

        def measure() -> float:
            picks = [rng.choice(ids) for _ in range(lookups)]
            start = time.perf_counter()
            for trace_id in picks:
                assert len(fake.traces.get(trace_id)) == SPANS_PER_TRACE
            return (time.perf_counter() - start) / lookups

        return measure

    for label, make in (
        ("POST /v5/spans/search by trace id", search),
        ("fake.traces.get(trace_id), the tree", tree),
    ):
        big, small = alternate(make(10_000), make(1_000), reps)
        section.add(
            Ratio(
                section.title,
                f"{label}: 10k / 1k spans",
                ratios(big, small),
                1.5,
                "le",
                note=f"{statistics.median(big) * 1e6:.0f} us vs "
                f"{statistics.median(small) * 1e6:.0f} us per lookup",
            )
        )
    for client in clients.values():
        client.close()
    return section
