"""Section 2: the standalone server over loopback under wrk, against the references and mocks.

Each server runs in its own process; wrk POSTs the full create body at 1 and 32 connections.
Servers of a comparison run one after the other, alternating which goes first, each in a fresh
process per repetition (so the fake's store starts empty every time), and the ratios pair
neighbouring runs.

Then a chat completion, whole and streamed: wrk POSTs the chat body of ``chat.py`` to a
deployment the fake is seeded with (``--seed-file``), against the chat reference answering the
same bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from common import API_KEY, CACHE, FULL_BODY_BYTES, Ratio, Section, fmt, ratios
from servers import (
    HERE,
    ServerSpec,
    ensure_node_tools,
    free_port,
    installed,
    installed_spec,
    prism_spec,
    reference_spec,
    running,
    stateless_spec,
    steady_spec,
)

# wrk prints one JSON line of results at the end; latencies are in microseconds.
LUA = """
wrk.method = "POST"
wrk.body = io.open("%(body)s", "rb"):read("*a")
wrk.headers["content-type"] = "application/json"
wrk.headers["x-api-key"] = "%(key)s"
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "non2xx": %%d, "errors": %%d, ' ..
    '"p50": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    errors: int
    requests: int = 0
    faults_per_request: float | None = None


def minor_faults(pid: int | None) -> int | None:
    """The minor page faults of process ``pid`` so far (``/proc/<pid>/stat``), if readable."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[7])  # field 10 of stat(5), counted after the command name


def ensure_wrk() -> str | None:
    """Install wrk from Debian packages when missing; return why not, or ``None``."""
    if shutil.which("wrk"):
        return None
    try:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"], check=True, timeout=600, capture_output=True
        )
    except (subprocess.SubprocessError, OSError):
        try:
            subprocess.run(
                ["apt-get", "update", "-qq"], check=True, timeout=600, capture_output=True
            )
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "wrk"],
                check=True,
                timeout=600,
                capture_output=True,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            return f"wrk is not installed and apt-get could not install it: {exc}"
    return None if shutil.which("wrk") else "wrk not found after apt-get install"


def _script(name: str = "create", content: bytes = FULL_BODY_BYTES) -> str:
    """A wrk script that POSTs ``content`` (written to the cache folder as ``name``)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    body = CACHE / f"{name}-body.json"
    body.write_bytes(content)
    script = CACHE / f"{name}.lua"
    script.write_text(LUA % {"body": body, "key": API_KEY})
    return str(script)


CREATE_PATH = "/v4/model-templates"


def wrk(
    port: int,
    connections: int,
    seconds: float,
    script: str | None = None,
    path: str = CREATE_PATH,
) -> WrkResult:
    """Run wrk against ``port``; one thread per connection up to two (the machine's cores)."""
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            script or _script(),
            f"http://127.0.0.1:{port}{path}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return WrkResult(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50"] / 1000,
        p99_ms=data["p99"] / 1000,
        non2xx=data["non2xx"],
        errors=data["errors"],
        requests=data["requests"],
    )


def measure(  # noqa: PLR0917 - the run's parts, then what it POSTs
    spec_of: Callable[[int], ServerSpec],
    connections: int,
    seconds: float,
    warmup: float,
    script: str | None = None,
    path: str = CREATE_PATH,
) -> WrkResult:
    """One repetition: a fresh server process, a warm-up, then the measured wrk run."""
    port = free_port()
    spec = spec_of(port)
    with running(spec):
        if warmup:
            wrk(port, connections, warmup, script, path)
        before = minor_faults(spec.pid)
        result = wrk(port, connections, seconds, script, path)
        after = minor_faults(spec.pid)
        if before is not None and after is not None and result.requests:
            result.faults_per_request = (after - before) / result.requests
        return result


def compare(
    section: Section,
    *,
    a_name: str,
    a: Callable[[int], ServerSpec],
    b_name: str,
    b: Callable[[int], ServerSpec],
    connections: int,
    reps: int,
    seconds: float,
    warmup: float,
    targets: dict[str, tuple[float, str]] | None = None,
    script: str | None = None,
    path: str = CREATE_PATH,
    what: str = "",
) -> list[WrkResult]:
    """Alternate fresh servers ``a`` and ``b`` under wrk; add their ratios to ``section``
    (``script`` and ``path``: what wrk POSTs, the create body by default; ``what`` names it).

    Returns ``a``'s results."""
    targets = targets or {}
    results_a: list[WrkResult] = []
    results_b: list[WrkResult] = []
    for rep in range(reps):
        order = [(a, results_a), (b, results_b)]
        if rep % 2:
            order.reverse()
        for spec_of, results in order:
            results.append(measure(spec_of, connections, seconds, warmup, script, path))
    label = f"{what}{connections} conn: {a_name} / {b_name}"
    rps = ratios([r.rps for r in results_a], [r.rps for r in results_b])
    p50 = ratios([r.p50_ms for r in results_a], [r.p50_ms for r in results_b])
    p99 = ratios([r.p99_ms for r in results_a], [r.p99_ms for r in results_b])
    t_rps = targets.get("rps")
    t_p99 = targets.get("p99")
    section.add(
        Ratio(
            section.title,
            f"{label}, throughput",
            rps,
            t_rps[0] if t_rps else None,
            t_rps[1] if t_rps else "ge",
            note=_abs(results_a, results_b, "rps"),
        )
    )
    section.add(
        Ratio(
            section.title, f"{label}, p50 latency", p50, note=_abs(results_a, results_b, "p50_ms")
        )
    )
    section.add(
        Ratio(
            section.title,
            f"{label}, p99 latency",
            p99,
            t_p99[0] if t_p99 else None,
            t_p99[1] if t_p99 else "le",
            note=_abs(results_a, results_b, "p99_ms"),
        )
    )
    bad = [
        (n, r)
        for n, rs in ((a_name, results_a), (b_name, results_b))
        for r in rs
        if r.non2xx or r.errors
    ]
    for name, r in bad:
        section.lines.append(
            f"Warning: {name} answered {r.non2xx} non-2xx and had {r.errors} "
            f"socket errors in one run at {connections} connections."
        )
    return results_a


def _abs(a: list[WrkResult], b: list[WrkResult], attr: str) -> str:
    ma = statistics.median(getattr(r, attr) for r in a)
    mb = statistics.median(getattr(r, attr) for r in b)
    unit = " req/s" if attr == "rps" else " ms"
    return f"{fmt(ma)}{unit} vs {fmt(mb)}{unit}"


def cpu_time(pid: int | None) -> float | None:
    """User plus system CPU seconds of process ``pid`` so far, if readable."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_per_request(
    spec_of: Callable[[int], ServerSpec],
    seconds: float,
    warmup: float,
    script: str | None = None,
    path: str = CREATE_PATH,
) -> float | None:
    port = free_port()
    spec = spec_of(port)
    with running(spec):
        wrk(port, 32, warmup, script, path)
        before = cpu_time(spec.pid)
        result = wrk(port, 32, seconds, script, path)
        after = cpu_time(spec.pid)
    if before is None or after is None or not result.requests:
        return None
    return (after - before) / result.requests * 1e6


def _cpu_breakdown(  # noqa: PLR0917 - the servers and the run, then what wrk POSTs
    servers: dict[str, Callable[[int], ServerSpec]],
    reps: int,
    seconds: float,
    warmup: float,
    script: str | None = None,
    path: str = CREATE_PATH,
) -> dict[str, float]:
    """CPU microseconds per request of each server at 32 connections, median over ``reps``
    alternating runs (``script`` and ``path``: what wrk POSTs, the create by default)."""
    samples: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(reps):
        for name, spec_of in servers.items():
            value = _cpu_per_request(spec_of, seconds, warmup, script, path)
            if value is not None:
                samples[name].append(value)
    return {name: statistics.median(v) for name, v in samples.items() if v}


def _cpu_sentence(what: str, cpu: dict[str, float]) -> str:
    return (
        f"CPU time of the server process per {what} at 32 connections (user + system, from "
        "/proc; median of the repetitions): "
        + "; ".join(f"{name} {fmt(us)} us" for name, us in cpu.items())
    )


def ablated_spec(what: str, extra: list[str]) -> Callable[[int], ServerSpec]:
    """The installed fake with ``what`` left out (benchmarks/ablated_fake.py), ``extra`` flags."""

    def spec_of(port: int) -> ServerSpec:
        return ServerSpec(
            f"sgp-fake without {what}",
            [str(installed().parent / "python"), str(HERE / "ablated_fake.py"), what,
             "--port", str(port), *extra],
            port,
        )  # fmt: skip

    return spec_of


def as_installed_no_admin(port: int) -> ServerSpec:
    """The installed server without the admin API (no journal, no coverage)."""
    return installed_spec(port, ["--no-admin"])


def run(quick: bool) -> Section:
    section = Section("2. Loopback: the standalone server under wrk")
    reason = ensure_wrk()
    if reason:
        section.pending = f"skipped: {reason}"
        return section
    installed()
    reps = 3 if quick else 5
    seconds = 2.0 if quick else 4.0
    warmup = 1.0
    section.lines.append(
        f"wrk POSTs the full create body; {reps} repetitions of {seconds:g} s (after a "
        f"{warmup:g} s warm-up) per server and connection count, a fresh server process each time."
    )
    pyd = lambda port: reference_spec("pydantic", port)  # noqa: E731
    bare = lambda port: reference_spec("bare", port)  # noqa: E731
    section.lines.append(
        '"fake" is what a user gets: this checkout installed with `pip install .` into a fresh '
        "virtual environment (default dependencies: uvicorn with httptools and uvloop where they "
        "build), run as plain `sgp-fake serve` with its default flags: the admin API on, so "
        "every request is journaled and counted in the contract coverage, and a log line per "
        "request on standard error (to a file). "
        '"fake, --no-admin" is the same without the admin API (no journal, no coverage). The '
        "references run under uvicorn with httptools and uvloop."
    )
    timing = {"reps": reps, "seconds": seconds, "warmup": warmup}
    faults: list[float] = []
    for conns in (1, 32):
        results = compare(
            section,
            a_name="fake",
            a=installed_spec,
            b_name="pydantic ref",
            b=pyd,
            connections=conns,
            targets={"rps": (1.0, "ge"), "p99": (1.5, "le")},
            **timing,
        )
        if conns == 32:
            faults = [r.faults_per_request for r in results if r.faults_per_request is not None]
        compare(
            section,
            a_name="fake, --no-admin",
            a=as_installed_no_admin,
            b_name="pydantic ref",
            b=pyd,
            connections=conns,
            **timing,
        )
        compare(
            section,
            a_name="fake",
            a=installed_spec,
            b_name="bare ref",
            b=bare,
            connections=conns,
            **timing,
        )
    cpu = _cpu_breakdown(
        {
            "pydantic ref": pyd,
            "fake": installed_spec,
            "fake, --no-admin": as_installed_no_admin,
            "fake, --no-admin, keeping nothing": stateless_spec,
        },
        reps,
        seconds,
        warmup,
    )
    if cpu:
        section.lines.append(
            _cpu_sentence("request", cpu)
            + '. "Keeping nothing" is the fake without its state (benchmarks/stateless_fake.py: '
            "every create validated and answered, the record not kept): the difference to "
            '"--no-admin" is what keeping what it is sent costs per request.'
        )
    if faults:
        section.lines.append(
            f"Minor page faults per request of the fake at 32 connections (from /proc): "
            f"{fmt(statistics.median(faults))} ({fmt(min(faults))}-{fmt(max(faults))}). Each "
            "create keeps about 2 KB (the stored template, and the journal's entry until the "
            "journal is full), half a 4 KB page: about 0.5 is the floor for a server that keeps "
            "what it is sent."
        )

    inference_rows(section, quick)

    reason = ensure_node_tools()
    if reason:
        section.lines.append(f"Prism and Steady not measured: {reason}.")
        return section
    for name, spec in (("Prism", prism_spec), ("Steady", steady_spec)):
        targets = {"rps": (6.0, "ge")} if name == "Prism" else {}
        try:
            compare(
                section,
                a_name="fake",
                a=installed_spec,
                b_name=name,
                b=spec,
                connections=32,
                targets=targets,
                **timing,
            )
        except (RuntimeError, subprocess.SubprocessError) as exc:
            section.lines.append(f"{name} not measured: {exc}")
    return section


def inference_rows(section: Section, quick: bool) -> None:
    """A chat completion, whole and streamed, over loopback: the fake as installed (seeded
    with a chat deployment) against the chat reference answering the same bytes."""
    from chat import CHAT_BODY_BYTES, STREAM_BODY_BYTES, answers, chat_deployment, seed_document

    from sgp_fake import SGPFake

    reps = 3 if quick else 5
    seconds = 2.0 if quick else 4.0
    fake = SGPFake()
    path = chat_deployment(fake)
    answer, events = answers(fake, path, API_KEY)
    CACHE.mkdir(parents=True, exist_ok=True)
    seed = CACHE / "chat-seed.json"
    seed.write_text(json.dumps(seed_document(fake)))
    answers_file = CACHE / "chat-answers.json"
    answers_file.write_text(
        json.dumps({"json": answer.decode(), "events": [e.decode() for e in events]})
    )

    def fake_spec(port: int) -> ServerSpec:
        return installed_spec(port, ["--seed-file", str(seed)])

    def chat_reference(port: int) -> ServerSpec:
        return ServerSpec(
            "chat reference",
            [sys.executable, str(HERE / "references.py"), "chat", "--port", str(port),
             "--answers", str(answers_file)],
            port,
        )  # fmt: skip

    section.lines.append(
        f"Chat completion: wrk POSTs a chat body to a deployment the fake is seeded with "
        f"(`--seed-file`): a {len(answer)}-byte answer, or {len(events)} Server-Sent Events; "
        "the chat reference validates the body with the same request model and answers the "
        f"same bytes. {reps} repetitions of {seconds:g} s per server and connection count."
    )
    timing = {"reps": reps, "seconds": seconds, "warmup": 1.0}
    for stream, body in ((False, CHAT_BODY_BYTES), (True, STREAM_BODY_BYTES)):
        name = "chat-stream" if stream else "chat"
        what = "streamed chat completion, " if stream else "chat completion, "
        for conns in (1, 32):
            compare(
                section,
                a_name="fake",
                a=fake_spec,
                b_name="pydantic chat ref",
                b=chat_reference,
                connections=conns,
                script=_script(name, body),
                path=path,
                what=what,
                # Issue 21: the same targets as the create's, against the chat reference.
                targets={"rps": (1.0, "ge"), "p99": (1.5, "le")},
                **timing,
            )
    seeded = ["--seed-file", str(seed)]

    def flagged(*flags: str) -> Callable[[int], ServerSpec]:
        return lambda port: installed_spec(port, [*seeded, *flags])

    cpu = _cpu_breakdown(
        {
            "chat ref": chat_reference,
            "fake": fake_spec,
            "fake, --no-admin": flagged("--no-admin"),
            "fake, --log-level warning": flagged("--log-level", "warning"),
            "fake without its usage record": ablated_spec("usage", seeded),
            "fake answering each path's first answer again": ablated_spec("constant", seeded),
        },
        reps,
        seconds,
        1.0,
        _script("chat", CHAT_BODY_BYTES),
        path,
    )
    if cpu:
        section.lines.append(
            _cpu_sentence("chat completion", cpu)
            + ". Each variant leaves one part out (benchmarks/ablated_fake.py): `--no-admin` "
            "the journal and coverage, `--log-level warning` the request log; the last answers "
            "without the app, so it is what the server around the app costs."
        )


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    for r in run(quick="--quick" in sys.argv).ratios:
        print(r.name, r.text(), r.note)
