"""Stopping a LiveServer wakes uvicorn's loop at once, and the wake-up costs nothing while it
runs: no task per tick (tracemalloc sees every thread, so an idle server's ticks would show in
any memory test of the process), and no reference to the stopped server left behind."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import tracemalloc
import weakref
from typing import Any

from sgp_fake import SGPFake, live_server
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
    # Only what a server's thread allocates (any allocation with the live server's code in
    # its stack: the event loop and uvicorn as it runs them): other threads of the test
    # process (clients' pools, readers earlier tests left behind) may allocate meanwhile, in
    # asyncio's files too.
    where = [tracemalloc.Filter(True, live_server.__file__, all_frames=True)]

    def traced() -> int:
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces(where)
        return sum(stat.size for stat in snapshot.statistics("filename"))

    server = LiveServer(SGPFake().app).start()
    try:
        time.sleep(0.25)  # past the first ticks
        loop = server._server._loop
        assert loop is not None
        made: list[str] = []

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            made.append(getattr(coro, "__qualname__", repr(coro)))
            return asyncio.Task(coro, loop=loop, **kwargs)

        loop.call_soon_threadsafe(loop.set_task_factory, factory)
        tracemalloc.start(200)  # frames enough to reach the thread's first one
        grown: list[int] = []
        try:
            time.sleep(0.5)
            before = traced()
            # Ten ticks a window. What each tick kept would show in every window; on a busy
            # machine one window may catch a late first tick's one-off allocations, so up to
            # three are measured and the quietest counts.
            while len(grown) < 3 and (not grown or grown[-1] >= 1024):
                time.sleep(1.0)
                after = traced()
                grown.append(after - before)
                before = after
            while_idle = list(made)  # before the stop, whose shutdown makes tasks
        finally:
            tracemalloc.stop()
    finally:
        server.stop()
    assert while_idle == []  # no task per tick
    assert min(grown) < 1024, grown


def test_a_stopped_server_and_its_fake_are_freed() -> None:
    fake = SGPFake()
    server = LiveServer(fake.app).start()
    time.sleep(0.02)
    server.stop()
    gone = [weakref.ref(server), weakref.ref(server._server)]
    del server, fake
    gc.collect()
    assert [ref() for ref in gone] == [None, None]
