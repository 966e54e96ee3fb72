"""Stopping a LiveServer wakes uvicorn's loop at once, and the wake-up costs nothing while it
runs: no task per tick (tracemalloc sees every thread, so an idle server's ticks would show in
any memory test of the process), and no reference to the stopped server left behind."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
import weakref

from sgp_fake import SGPFake
from sgp_fake.live_server import LiveServer


def test_stop_does_not_wait_for_uvicorns_tick() -> None:
    took = []
    for _ in range(5):
        server = LiveServer(SGPFake().app).start()
        time.sleep(0.02)  # inside a tick's 0.1 s wait
        started = time.perf_counter()
        server.stop()
        took.append(time.perf_counter() - started)
    # uvicorn alone notices a stop at its next tick: 50 ms on average from a random moment.
    assert statistics.median(took) < 0.03, took


def test_an_idle_server_allocates_nothing_that_stays() -> None:
    server = LiveServer(SGPFake().app).start()
    try:
        time.sleep(0.25)  # past the first ticks
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            time.sleep(1.0)  # ten ticks
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
    finally:
        server.stop()
    assert after - before < 2048, after - before


def test_a_stopped_server_and_its_fake_are_freed() -> None:
    fake = SGPFake()
    server = LiveServer(fake.app).start()
    time.sleep(0.02)
    server.stop()
    gone = [weakref.ref(server), weakref.ref(server._server)]
    del server, fake
    gc.collect()
    assert [ref() for ref in gone] == [None, None]
