"""Section 6: the standalone server with ``--state-file``: create throughput against in-memory.

Every create is committed to SQLite (synchronous, durable) before it is answered, so this is
mostly the cost of the disk's flush; wrk at 1 and 32 connections, each repetition a fresh server
(and a fresh state file), alternating with the in-memory server.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import Section
from loopback import compare, ensure_wrk
from servers import ServerSpec, fake_spec


def run(quick: bool) -> Section:
    section = Section("6. Persistence: create throughput with --state-file")
    reason = ensure_wrk()
    if reason:
        section.pending = f"skipped: {reason}"
        return section
    reps = 3 if quick else 5
    seconds = 2.0 if quick else 4.0
    with tempfile.TemporaryDirectory(prefix="sgp-fake-state-") as tmp:
        counter = iter(range(10**6))

        def persistent(port: int) -> ServerSpec:
            state = Path(tmp) / f"state-{next(counter)}.sqlite"
            spec = fake_spec(port, ["--state-file", str(state)])
            spec.name = "sgp-fake --state-file"
            return spec

        for conns in (1, 32):
            compare(
                section,
                a_name="state file",
                a=persistent,
                b_name="in memory",
                b=fake_spec,
                connections=conns,
                reps=reps,
                seconds=seconds,
                warmup=1.0,
            )
    section.lines.append(
        "The state file lives in the system's temporary folder; the figures depend on how fast "
        "that disk flushes."
    )
    return section
