"""The fake's own waits and measurements, on clocks a test's time freezing leaves running.

freezegun replaces ``time.monotonic`` and ``time.perf_counter`` (and, through them, the clocks
of asyncio's and trio's event loops) while a test freezes time: an ``asyncio.sleep`` then never
ends, and a duration measured across it is 0. What the fake dates (``created_at``, usage, the
journal's timestamps) follows the frozen time on purpose, through
:class:`~sgp_fake.clock.FakeClock`; what it waits (an injected latency or stall) and measures
(how long a request took, when a client's read timeout is due) is real time: it reads the clocks
as they were when the fake was imported, and, while they are replaced, waits on a timer thread
instead of the event loop's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any, Callable, Protocol

__all__ = [
    "Cancellable",
    "call_later",
    "clocks_replaced",
    "monotonic",
    "perf_counter",
    "sleep",
    "sleep_any",
]

_CLOCKS = (time.monotonic, time.perf_counter)
"""The real clocks, kept in a tuple: freezegun replaces a module's attributes that are the real
clock functions, not what a container holds."""


def monotonic() -> float:
    """``time.monotonic()``, whatever replaced it since."""
    return _CLOCKS[0]()


def perf_counter() -> float:
    """``time.perf_counter()``, whatever replaced it since."""
    return _CLOCKS[1]()


def clocks_replaced() -> bool:
    """Whether ``time.monotonic`` is not the real one now (freezegun is freezing time), so an
    event loop's clock may stand still."""
    return time.monotonic is not _CLOCKS[0]


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def call_later(
    loop: asyncio.AbstractEventLoop, seconds: float, callback: Callable[..., object], *args: Any
) -> Cancellable:
    """``loop.call_later(seconds, callback, *args)``, except while the clocks are replaced: then
    a timer thread, which waits real seconds, queues the callback on ``loop``."""
    if not clocks_replaced():
        return loop.call_later(seconds, callback, *args)
    timer = threading.Timer(seconds, _call_soon, (loop, callback, *args))
    timer.daemon = True
    timer.name = "sgp-fake-wait"
    timer.start()
    return timer


def _call_soon(
    loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: Any
) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
        loop.call_soon_threadsafe(callback, *args)


async def sleep(seconds: float) -> None:
    """``asyncio.sleep(seconds)``, or on a timer thread while the clocks are replaced."""
    if not clocks_replaced():
        await asyncio.sleep(seconds)
        return
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()
    timer = call_later(loop, seconds, _set_done, waiter)
    try:
        await waiter
    finally:
        timer.cancel()


async def sleep_any(seconds: float) -> None:
    """``anyio.sleep(seconds)`` under whichever event loop runs (trio's, say), or in a worker
    thread while the clocks are replaced."""
    import anyio

    if not clocks_replaced():
        await anyio.sleep(seconds)
        return
    done = threading.Event()
    try:
        await anyio.to_thread.run_sync(
            done.wait, seconds, abandon_on_cancel=True, limiter=anyio.CapacityLimiter(1)
        )
    finally:
        done.set()  # a cancelled wait: let its thread go


def _set_done(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
