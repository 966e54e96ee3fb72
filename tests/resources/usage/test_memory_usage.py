"""Usage records are kept in columns (``sgp_fake.core.compact``): at most about 100 bytes per
answered call, and every view of them (``fake.usage``, the state document, state files, resets,
a deployment's delete) byte for byte what the JSON-keeping table gives on the same calls."""

from __future__ import annotations

import dataclasses
import gc
import sqlite3
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.clock import seeded_ids
from sgp_fake.core.compact import CompactTable, Layout
from sgp_fake.core.table import Table
from sgp_fake.deterministic import StepClock
from sgp_fake.factories import OMIT, seed_deployment
from sgp_fake.resources import REGISTRY
from sgp_fake.resources.usage import RESOURCE as USAGE
from sgp_fake.resources.usage.records import LAYOUT
from sgp_fake.resources.usage.schemas import UsageRecord

CALLS = 10_000
BOUND = 150  # bytes per answered call


def _fake(compact: bool, **kwargs: Any) -> SGPFake:
    """A fake with a fixed clock and ids; ``compact=False``: usage kept as JSON, as before."""
    resources = list(REGISTRY)
    if not compact:
        resources = [dataclasses.replace(r, table=None) if r is USAGE else r for r in resources]
    # Whole seconds, fractions and a second with no fraction: every way created_at is written.
    clock = StepClock(datetime(2025, 3, 1, 23, 59, 58, tzinfo=UTC), timedelta(microseconds=250_000))
    return SGPFake(
        admin=True,
        resources=resources,
        clock=clock,
        id_generator=seeded_ids(7),
        **kwargs,
    )


def _deployments(fake: SGPFake) -> list[str]:
    found = []
    for seed, account in ((1, "acct_1"), (2, "acct_2"), (3, "acct_1")):
        seeded = seed_deployment(
            fake,
            account_id=account,
            seed=seed,
            template={"model_type": "CHAT_COMPLETION", "model_request_parameters_schema": OMIT},
        )
        found.append(seeded.deployment["id"])
    return found


def _calls(client: httpx.Client, deployments: list[str], count: int) -> None:
    for index in range(count):
        deployment = deployments[index % len(deployments)]
        prompt = "word " * (index % 7) + "héllo ✓"
        if index % 3 == 0:
            answer = client.post(
                f"/v4/models/{deployment}/chat-completions",
                json={"prompt": prompt, "chat_history": [], "stream": index % 2 == 0},
            )
        else:
            answer = client.post(f"/v4/models/{deployment}/completions", json={"prompt": prompt})
        assert answer.status_code == 200, answer.text


def _views(fake: SGPFake, deployments: list[str]) -> dict[str, Any]:
    usage = fake.usage
    records = usage.all()
    return {
        "all": records,
        "len": len(usage),
        "of_account": usage.all("acct_2"),
        "children": [usage.children(d) for d in deployments],
        "count_children": [usage.count_children(d) for d in deployments],
        "get": [usage.get(r.id) for r in records[::5]],
        "contains": [r.id in usage for r in records[::7]],
        "page": usage.page({"acct_1"}, 2, 3),
        "referencing": usage.referencing("operation", "create_chat_completion"),
    }


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[SGPFake, SGPFake, list[str]]]:
    old = _fake(False, state_file=tmp_path / "old.db")
    new = _fake(True, state_file=tmp_path / "new.db")
    assert isinstance(new.usage, CompactTable)
    assert not isinstance(old.usage, CompactTable)
    try:
        deployments = _deployments(old)
        assert _deployments(new) == deployments
        yield old, new, deployments
    finally:
        old.close()
        new.close()


def _file_rows(fake: SGPFake) -> list[tuple[Any, ...]]:
    # The file is held exclusively: read it through the fake's own connection.
    db: sqlite3.Connection = fake._state.durable._db  # type: ignore[union-attr]
    return db.execute("SELECT kind, id, account_id, body FROM records ORDER BY rowid").fetchall()


def test_every_view_is_what_the_json_table_gives(
    both: tuple[SGPFake, SGPFake, list[str]],
) -> None:
    old, new, deployments = both
    with old.client() as old_client, new.client() as new_client:
        _calls(old_client, deployments, 60)
        _calls(new_client, deployments, 60)
        assert _views(new, deployments) == _views(old, deployments)
        for record in new.usage.all():
            # As the record's schema writes it.
            assert (
                UsageRecord.model_validate_json(record.body)
                .model_dump_json(exclude_none=True)
                .encode()
                == record.body
            )
        state = old_client.get("/_fake/state").content
        assert new_client.get("/_fake/state").content == state
        assert _file_rows(new) == _file_rows(old)

        # Replaced by a state document, then reset by account, then a deployment deleted.
        for client in (old_client, new_client):
            assert client.put("/_fake/state", content=state).status_code == 200
        assert new_client.get("/_fake/state").content == state
        old.reset("acct_2")
        new.reset("acct_2")
        model = new.deployments.get(deployments[0]).as_dict()["model_instance_id"]
        for client in (old_client, new_client):
            deleted = client.delete(f"/v4/models/{model}")
            assert deleted.status_code == 200, deleted.text
        _calls(old_client, deployments[2:], 5)
        _calls(new_client, deployments[2:], 5)
        assert _views(new, deployments) == _views(old, deployments)
        assert new_client.get("/_fake/state").content == old_client.get("/_fake/state").content
        assert _file_rows(new) == _file_rows(old)
        # Statistics summed from either table agree.
        query = "chunks=3&start_date=2025-03-01T00:00:00&end_date=2025-03-03T00:00:00"
        for deployment in deployments:
            path = f"/v4/model-deployments/{deployment}/usage-statistics?{query}"
            assert new_client.get(path).content == old_client.get(path).content
    # Loaded back from the state files.
    for fake in (old, new):
        fake.close()
    reopened = [
        _fake(compact, state_file=fake._state.durable.path)  # type: ignore[union-attr]
        for compact, fake in ((False, old), (True, new))
    ]
    try:
        assert _views(reopened[1], deployments) == _views(reopened[0], deployments)
    finally:
        for fake in reopened:
            fake.close()


def test_odd_records_are_kept_as_given() -> None:
    table = CompactTable("usage", UsageRecord, layout=LAYOUT, parent_field="model_deployment_id")
    body = (
        b'{"id":"X-1","account_id":"a","created_at":"2025-01-01T00:00:00+00:00",'
        b'"model_deployment_id":"d","model_instance_id":"m","operation":"o",'
        b'"prompt_tokens":%d,"response_tokens":1}'
    )
    odd = table.insert("X-1", "a", body % 1, "d")  # an id that is not a UUID
    big = table.put(
        {**odd.as_dict(), "id": "00000000-0000-4000-8000-000000000001", "prompt_tokens": 2**40}
    )
    assert [r.body for r in table.all()] == [odd.body, big.body]
    assert b"1099511627776" in big.body
    assert table.get("X-1") == odd
    assert "X-1" in table
    assert len(table) == 2
    with pytest.raises(ValueError, match="exists already"):
        table.insert("X-1", "a", body % 1, "d")
    table.update("X-1", body % 5)
    assert table.get("X-1").body == body % 5  # type: ignore[union-attr]
    assert table.delete("X-1") is not None
    assert table.get("X-1") is None


def test_deleted_rows_are_dropped_and_lookups_still_work() -> None:
    fake = SGPFake()
    table = fake.usage
    assert isinstance(table, CompactTable)
    ids = [table.add("acct", f"dep_{i % 3}", model_instance_id="m", operation="op",
                     prompt_tokens=i, response_tokens=1) for i in range(5000)]  # fmt: skip
    for record_id in ids[:4000]:
        assert table.delete(record_id) is not None
    assert len(table._seqs) < 5000  # compacted
    assert [r.id for r in table.all()] == ids[4000:]
    assert all(table.get(i) is not None for i in ids[4000:])
    assert all(table.get(i) is None for i in ids[:4000:97])
    assert sum(table.count_children(f"dep_{i}") for i in range(3)) == 1000


def _bytes_per_call(table: Table[Any], add: Any) -> float:
    add(100)  # the strings interned, the first arrays made
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        add(CALLS)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(table) == CALLS + 100
    return (after - before) / CALLS


def test_a_usage_record_costs_under_150_bytes() -> None:
    fake = SGPFake()
    deployment = seed_deployment(fake, account_id="acct_1", seed=1).deployment

    def add(count: int) -> None:
        for index in range(count):
            fake.usage.add(
                "acct_1",
                deployment["id"],
                model_instance_id="model_1",
                operation="create_chat_completion",
                prompt_tokens=index % 500,
                response_tokens=17,
            )

    per_call = _bytes_per_call(fake.usage, add)
    assert per_call < BOUND, f"{per_call:.0f} bytes per usage record"


def test_layouts_refuse_what_they_cannot_write() -> None:
    with pytest.raises(ValueError, match="a layout has an id"):
        Layout((("id", "str"),), quote=str.encode)


def test_gateway_usage_is_what_the_json_table_gave() -> None:
    from sgp_fake.resources.gateway import RESOURCE as GATEWAY

    fakes = []
    for compact in (False, True):
        resources = [
            r if compact or r is not GATEWAY else dataclasses.replace(r, table=None)
            for r in REGISTRY
        ]
        clock = StepClock(datetime(2025, 3, 1, tzinfo=UTC), timedelta(microseconds=500_000))
        fakes.append(
            SGPFake(admin=True, resources=resources, clock=clock, id_generator=seeded_ids(3))
        )
    assert isinstance(fakes[1].gateway_usage, CompactTable)
    assert not isinstance(fakes[0].gateway_usage, CompactTable)
    states = []
    for fake in fakes:
        with fake.client(headers={"x-selected-account-id": "acct_1"}) as client:
            for index in range(12):
                content = "Hi ✓ " * index
                message = {"role": "user", "content": content}
                body: dict[str, Any] = {"model": "openai/gpt-4o-mini", "messages": [message]}
                path = "/v5/chat/completions" if index % 2 else "/v5/completions"
                if index % 2 == 0:
                    body = {"model": "openai/gpt-4o-mini", "prompt": content}
                assert client.post(path, json=body).status_code == 200
            states.append(client.get("/_fake/state").content)
    assert fakes[1].gateway_usage.all() == fakes[0].gateway_usage.all()
    assert len(fakes[1].gateway_usage) == 12
    assert states[1] == states[0]
