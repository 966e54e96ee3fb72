"""The store: thread safety and pagination over many templates."""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sgp_fake import DEFAULT_IDENTITY, SGPFake
from sgp_fake.resources.model_templates.schemas import ModelTemplateRequest, ModelTemplateResponse
from sgp_fake.resources.model_templates.store import ModelTemplateStore
from tests.support.bodies import minimal_body


def test_concurrent_creates_lose_nothing(fake: SGPFake) -> None:
    def work(worker: int) -> list[str]:
        with fake.client() as client:
            return [
                client.post("/v4/model-templates", json=minimal_body(name=f"{worker}-{i}")).json()[
                    "id"
                ]
                for i in range(50)
            ]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(work, range(8)) for i in batch]
    assert len(ids) == len(set(ids)) == 400 == len(fake.store)
    with fake.client() as client:
        listed = [
            t["id"]
            for p in (1, 2, 3, 4, 5)
            for t in client.get("/v4/model-templates", params={"page": p}).json()["items"]
        ]
    assert sorted(listed) == sorted(ids)


def test_pages_match_a_reference_model_under_random_changes() -> None:
    store = ModelTemplateStore()
    rng = random.Random(7)
    alive: list[tuple[str, str]] = []
    for step in range(1500):
        if alive and rng.random() < 0.35:
            victim = alive.pop(rng.randrange(len(alive)))
            assert store.delete(victim[0]) is not None
        else:
            account = f"acct_{rng.randrange(6)}"
            request = ModelTemplateRequest.model_validate(minimal_body(account_id=account))
            alive.append((store.create(request, DEFAULT_IDENTITY).id, account))
        if step % 150 == 0:
            for accounts in (
                None,
                ["acct_1"],
                ["acct_0", "acct_4"],
                ["acct_2", "acct_3", "acct_5", "nobody"],
            ):
                expected = [i for i, a in alive if accounts is None or a in accounts]
                for limit in (1, 4, 25):
                    got: list[str] = []
                    page = 1
                    while True:
                        items, total = store.page(accounts, page, limit)
                        assert total == len(expected)
                        if not items:
                            break
                        got.extend(t.id for t in items)
                        page += 1
                    assert got == expected


def test_clear_one_account_keeps_the_others() -> None:
    store = ModelTemplateStore()
    for account in ("a", "b", "a"):
        store.create(
            ModelTemplateRequest.model_validate(minimal_body(account_id=account)), DEFAULT_IDENTITY
        )
    assert store.clear("a") == 2
    assert [t.account_id for t in store.all()] == ["b"]
    assert store.clear("missing") == 0


def test_reads_during_writes_see_consistent_pages(fake: SGPFake) -> None:
    stop = threading.Event()
    errors: list[str] = []

    def reader() -> None:
        with fake.client() as client:
            while not stop.is_set():
                page = client.get("/v4/model-templates", params={"limit": 10000}).json()
                if len(page["items"]) != page["total_item_count"]:
                    errors.append("page and count disagree")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        with fake.client() as client:
            for _ in range(300):
                client.post("/v4/model-templates", json=minimal_body())
    finally:
        stop.set()
        thread.join(10)
    assert not errors


@pytest.mark.parametrize(
    "nanoseconds",
    [0, 1_700_000_000_000_000_000, 1_700_000_000_123_456_789, 1_700_000_001_000_999_999],
)
def test_the_default_clock_writes_created_at_as_the_response_model_does(
    monkeypatch: pytest.MonkeyPatch, nanoseconds: int
) -> None:
    # The store formats the current time itself (once a second for the date part); it must
    # match ModelTemplateResponse's created_at, whole seconds (no fraction) included.
    import datetime as dt

    import sgp_fake.clock as clock_module

    monkeypatch.setattr(clock_module.time, "time_ns", lambda: nanoseconds)
    micros = nanoseconds // 1000
    moment = dt.datetime.fromtimestamp(micros // 1_000_000, dt.UTC).replace(
        microsecond=micros % 1_000_000
    )
    store = ModelTemplateStore()
    stored = store.create(ModelTemplateRequest.model_validate(minimal_body()), DEFAULT_IDENTITY)
    expected = ModelTemplateResponse.model_validate(
        {**json.loads(stored.body), "created_at": moment}
    ).model_dump_json(exclude_none=True)
    assert stored.body == expected.encode()
    assert json.loads(stored.body)["created_at"] == json.loads(expected)["created_at"]
