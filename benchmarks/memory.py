"""Section 9: memory per kept thing, in bytes, counted with tracemalloc (no timing involved).

Each row drives the in-process app with a number of identical-shaped requests and divides the
memory still traced afterwards (after a collection) by that count: a usage record per answered
inference call (the columns the fake keeps, and the JSON table it kept before, side by side), a
gateway usage record, a stored span, and a journal entry. The journal is off (limit 0) for the
rows that measure a record, and the only thing that grows for the journal row.
"""

from __future__ import annotations

import dataclasses
import gc
import tracemalloc
from typing import Any, Callable

from common import Ratio, Section

CALLS = 5000
WARM = 200


def _traced(fake: Any, step: Callable[[Any, int], None], count: int) -> float:
    """Bytes still traced per ``step`` after ``count`` of them (the first ``WARM`` untraced)."""
    with fake.client(headers={"x-selected-account-id": "acct_1"}) as client:
        for index in range(WARM):
            step(client, index)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for index in range(count):
                step(client, WARM + index)
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    return (after - before) / count


def _ok(answer: Any) -> None:
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"{answer.status_code}: {answer.text[:300]}")


def _usage(compact: bool, count: int) -> float:
    from sgp_fake import SGPFake
    from sgp_fake.factories import seed_deployment
    from sgp_fake.resources import REGISTRY
    from sgp_fake.resources.usage import RESOURCE as USAGE

    resources = [
        r if compact or r is not USAGE else dataclasses.replace(r, table=None) for r in REGISTRY
    ]
    fake = SGPFake(resources=resources, journal_limit=0)
    deployment = seed_deployment(fake, account_id="acct_1", seed=1).deployment["id"]

    def step(client: Any, index: int) -> None:
        _ok(client.post(f"/v4/models/{deployment}/completions", json={"prompt": "hello there"}))

    return _traced(fake, step, count)


def _gateway(count: int) -> float:
    from sgp_fake import SGPFake

    fake = SGPFake(journal_limit=0)
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}

    def step(client: Any, index: int) -> None:
        _ok(client.post("/v5/chat/completions", json=body))

    return _traced(fake, step, count)


def _spans(count: int) -> float:
    from sgp_fake import SGPFake

    fake = SGPFake(journal_limit=0)

    def step(client: Any, index: int) -> None:
        span = {
            "name": "llm call",
            "trace_id": f"trace_{index // 10}",
            "start_timestamp": "2024-01-01T00:00:00Z",
        }
        _ok(client.post("/v5/spans", json=span))

    return _traced(fake, step, count)


def _journal(count: int) -> float:
    from sgp_fake import SGPFake
    from sgp_fake.factories import seed_deployment

    fake = SGPFake(journal_limit=count + WARM)
    deployment = seed_deployment(fake, account_id="acct_1", seed=1).deployment["id"]
    # The usage record each call keeps is measured above: subtract it.
    per_record = _usage(True, min(count, 2000))

    def step(client: Any, index: int) -> None:
        _ok(client.post(f"/v4/models/{deployment}/completions", json={"prompt": "hello there"}))

    return _traced(fake, step, count) - per_record


def run(quick: bool) -> Section:
    """Bytes per kept record and journal entry."""
    count = 2000 if quick else CALLS
    section = Section("9. Memory: bytes kept per call")
    before = _usage(False, count)
    after = _usage(True, count)
    gateway = _gateway(count)
    spans = _spans(count)
    journal = _journal(count)
    section.lines = [
        f"tracemalloc over {count} calls after {WARM} untraced ones, through the in-process "
        "app (sync transport), the journal off but for its row; a completion of a 2-word "
        "prompt, a gateway chat completion of 'Hi', a span of three fields.",
    ]

    def row(name: str, value: float, note: str, target: float | None = None) -> Ratio:
        return Ratio(section.title, name, [value], target=target, note=note, unit=" bytes")

    section.ratios = [
        row("usage record per answered call", after, "columns (CompactTable)", 100),
        row("usage record per answered call, kept as JSON", before, "the previous table"),
        row("gateway usage record per answered call", gateway, ""),
        row("span per stored span", spans, "its JSON is about 330 bytes"),
        row("journal entry per request", journal, "the request's and answer's bytes kept"),
    ]
    return section
