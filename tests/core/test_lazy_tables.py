"""A fresh fake builds no table until one is asked for, and shares what every fake of the same
resources has in common: the per-test fixtures make one fake per test, most touching one or two
kinds. Nothing here times anything: it checks what is built, and what is shared."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

import pytest

from sgp_fake import SGPFake
from sgp_fake.clock import seeded_ids
from sgp_fake.core.table import Table
from sgp_fake.resources import REGISTRY
from tests.support.bodies import minimal_body

KINDS = [resource.kind for resource in REGISTRY]


def built(fake: SGPFake) -> list[str]:
    return [table.kind for table in fake.state.tables.built()]


def test_a_fresh_fake_has_built_no_table() -> None:
    fake = SGPFake()
    assert built(fake) == []
    assert fake.state._transitions is None


def test_a_request_builds_the_tables_it_reads_only() -> None:
    fake = SGPFake()
    with fake.client() as client:
        assert client.get("/v4/model-templates").status_code == 200
    assert built(fake) == ["model_templates"]


def test_the_tables_are_a_mapping_of_every_kind() -> None:
    fake = SGPFake()
    tables = fake.tables
    assert list(tables) == KINDS
    assert len(tables) == len(KINDS)
    assert "models" in tables
    assert "nothing" not in tables
    assert list(tables.keys()) == KINDS
    assert built(fake) == []  # none of the above builds a table
    assert tables.get("nothing") is None
    assert tables.get("nothing", 1) == 1
    with pytest.raises(KeyError):
        tables["nothing"]
    with pytest.raises(AttributeError):
        fake.nothing  # noqa: B018
    assert isinstance(tables.get("models"), Table)
    assert [kind for kind, _ in tables.items()] == KINDS
    assert all(isinstance(table, Table) for table in tables.values())
    assert sorted(built(fake)) == sorted(KINDS)
    assert dict(tables) == {kind: tables[kind] for kind in KINDS}
    assert {**tables} == dict(tables) == tables


def test_a_table_is_built_once_and_kept() -> None:
    fake = SGPFake()
    assert fake.model_templates is fake.tables["model_templates"] is fake.store
    assert fake.tables.get("model_templates") is fake.store


def test_a_reset_of_a_fresh_fake_builds_nothing() -> None:
    fake = SGPFake()
    assert fake.reset() == 0
    assert fake.reset("acct_1") == 0
    assert built(fake) == []


def test_what_every_table_gets_reaches_a_table_built_later() -> None:
    fake = SGPFake()
    seen: list[tuple[str, str]] = []
    fake.state.add_listener(lambda kind, event, record: seen.append((kind, event)))
    fake.state.set_id_generator(seeded_ids(7))
    with fake.client() as client:
        created = client.post("/v4/model-templates", json=minimal_body()).json()
    assert seen == [("model_templates", "put")]
    assert created["id"] == seeded_ids(7)()


def test_the_statuses_of_a_table_built_later_move_with_the_clock() -> None:
    fake = SGPFake()
    assert built(fake) == []
    # Every kind with a lifecycle is built with the transitions that manage it.
    assert fake.state.transitions is not None
    lifecycles = [r.kind for r in REGISTRY if r.lifecycle is not None]
    assert sorted(built(fake)) == sorted(lifecycles)
    with pytest.raises(KeyError):
        fake.force_status("deployments", "nothing", "READY")


def test_tables_built_by_two_threads_at_once_are_one() -> None:
    fake = SGPFake()
    found: list[Any] = []
    barrier = threading.Barrier(4)

    def build() -> None:
        barrier.wait()
        found.append(fake.tables["spans"])

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 4
    assert all(table is found[0] for table in found)


def test_a_dropped_fake_is_freed_at_once() -> None:
    fake = SGPFake()
    fake.state.transitions  # noqa: B018
    fake.tables.values()  # builds nothing by itself
    list(fake.tables.values())
    state = weakref.ref(fake.state)
    gc.disable()
    try:
        del fake
        assert state() is None
    finally:
        gc.enable()


def test_fakes_of_the_same_resources_share_what_does_not_change() -> None:
    one, two = SGPFake(), SGPFake()
    assert one.state.resources is two.state.resources
    assert one.app.operations is two.app.operations
    assert one.tables is not two.tables
    assert one.tables["models"] is not two.tables["models"]
