"""The server's collector policy (sgp_fake.cli.serve.Collector): survivors of every
collection are frozen while the server is busy, and collected when it is idle."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from sgp_fake.cli.serve import Collector


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> tuple[_Node, weakref.ref[_Node]]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return a, weakref.ref(b)


@pytest.fixture
def collector() -> Iterator[Collector]:
    # Only the tests' own collections: an automatic one, at any allocation, would freeze too.
    was_enabled = gc.isenabled()
    gc.disable()
    installed = Collector()
    installed.install()
    try:
        yield installed
    finally:
        installed.uninstall()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("generation", [0, 1, 2])
def test_what_survives_a_collection_is_left_out_of_later_ones(
    collector: Collector, generation: int
) -> None:
    assert not collector.frozen_since_idle
    kept, _ = _cycle()
    assert any(obj is kept for obj in gc.get_objects(0))
    # Young collections too: otherwise what survives one is walked again by the next older
    # one, a pause that grows with what the server kept since.
    gc.collect(generation)
    assert collector.frozen_since_idle
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())  # in no generation: frozen


def test_garbage_frozen_while_busy_is_collected_when_idle(collector: Collector) -> None:
    node, alive = _cycle()
    gc.collect(1)  # the cycle, alive, is frozen
    del node  # now garbage, but frozen: a full collection leaves it
    gc.collect()
    assert alive() is not None
    collector.idle()
    assert alive() is None
    assert not collector.frozen_since_idle
    assert gc.get_freeze_count() > 0  # what lives is frozen again


def test_an_idle_server_with_nothing_frozen_does_not_collect(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.collect(1)
    collector.idle()
    collections: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or 0)
    collector.idle()
    assert collections == []
