"""Section 10: the gateway's chat completions against the mock servers a user would pick instead.

The fake as installed (``sgp-fake serve``, default flags) answers ``POST /v5/chat/completions``
for ``openai/gpt-4o-mini`` (a model of its catalog: no set-up); beside it, in the same run:

* the peers, as installed from their registries into folders of their own under
  ``/tmp/sgp-fake-peers`` (a virtual environment and an npm prefix; never this project's
  dependencies): aimock (npm ``@copilotkit/aimock``, its fixture server, which was
  ``@copilotkit/llmock``), llmock (PyPI ``llmock``), fakellm (PyPI ``fakellm``) and mockllm
  (PyPI ``mockllm``), each at ``/v1/chat/completions`` with its artificial delays off where it
  has a switch for them. A peer that cannot be installed or started is skipped, saying why.
* the stub: a hand-written Starlette + pydantic chat route (``python gateway_peers.py stub``)
  validating an OpenAI-style request model and answering the fake's own bytes, JSON or SSE.

Where a peer can be told what to answer, it answers the fake's text, so the bodies compare.
wrk POSTs the chat body, whole (JSON) and streamed (``stream: true``), at 1 and 32
connections; the time to first chunk is the time from sending a streamed request on an open
connection to its first ``data:`` line, one request at a time, each answer read to its end
(untimed) before the next request, as a client reads a stream, measured on the idle server
before wrk loads it. Each repetition starts every
server afresh, in an order that rotates; the ratios pair the fake with each server within a
repetition. Requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import API_KEY, CACHE, Ratio, Section, fmt, ratios

PEERS_DIR = Path("/tmp/sgp-fake-peers")
PY_PEERS = ("llmock", "fakellm", "mockllm")
NPM_AIMOCK = "@copilotkit/aimock"
ACCOUNT = "acct_bench"
MODEL = "openai/gpt-4o-mini"
PROMPT = "Which of our regions had the highest latency yesterday, and why?"
MESSAGES = [
    {"role": "system", "content": "You are a concise assistant for an ML platform team."},
    {"role": "user", "content": "Summarize yesterday's incidents."},
    {"role": "assistant", "content": "Two incidents: a GPU quota alert and a slow deploy."},
    {"role": "user", "content": PROMPT},
]
INSTALL_TIMEOUT = 600  # seconds, per registry


def chat_body(model: str, stream: bool) -> bytes:
    body: dict[str, Any] = {"model": model, "messages": MESSAGES, "max_tokens": 256}
    if stream:
        body["stream"] = True
    return json.dumps(body).encode()


# -- the stub ------------------------------------------------------------------------------


def stub_app(answer: bytes, events: list[bytes]) -> Any:
    """A hand-written chat route: validate an OpenAI-style body with pydantic, answer
    ``answer`` (JSON) or, with ``stream: true``, ``events`` one chunk each."""
    from typing import Literal, Optional

    from pydantic import BaseModel
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    class Message(BaseModel):
        role: Literal["system", "user", "assistant", "tool", "developer"]
        content: Optional[str] = None

    class ChatRequest(BaseModel):
        model: str
        messages: list[Message]
        max_tokens: Optional[int] = None
        stream: bool = False

    async def chat(request: Request) -> Response:
        body = ChatRequest.model_validate_json(await request.body())
        if body.stream:

            async def chunks() -> Any:
                for event in events:
                    yield event

            return StreamingResponse(chunks(), media_type="text/event-stream")
        return Response(answer, media_type="application/json")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


# -- servers -------------------------------------------------------------------------------


@dataclass
class Server:
    """How to start one server, where it answers chat completions, and its headers."""

    name: str
    argv: list[str]
    path: str = "/v1/chat/completions"
    model: str = "gpt-4o-mini"
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _request_bytes(server: Server, port: int, stream: bool) -> bytes:
    body = chat_body(server.model, stream)
    headers = {
        "host": f"127.0.0.1:{port}",
        "content-type": "application/json",
        "content-length": str(len(body)),
        **server.headers,
    }
    head = f"POST {server.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


def _first_chunk(sock: socket.socket, request: bytes) -> tuple[float, bytes]:
    """Send ``request``; the seconds to the first ``data:`` line, and the status line. The
    answer is then read to its end, untimed: a client that hung up after the first chunk would
    leave the server finishing that stream while the next request is timed."""
    start = time.perf_counter()
    sock.sendall(request)
    seen = b""
    while b"data:" not in seen.partition(b"\r\n\r\n")[2]:
        got = sock.recv(65536)
        if not got:
            raise RuntimeError(f"connection closed before a chunk: {seen[:200]!r}")
        seen += got
    elapsed = time.perf_counter() - start
    head, _, body = seen.partition(b"\r\n\r\n")
    fields = head.lower()
    length = None
    for line in fields.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            length = int(value)
    chunked = b"transfer-encoding: chunked" in fields
    while not (
        (chunked and body.endswith(b"0\r\n\r\n")) or (length is not None and len(body) >= length)
    ):
        got = sock.recv(65536)
        if not got:  # framed by closing the connection
            break
        body += got
    return elapsed, seen.split(b"\r\n", 1)[0]


def ttfc(server: Server, port: int, n: int) -> list[float]:
    """Time to first chunk of ``n`` streamed requests, each on a fresh connection (as a client
    opens one per request), in seconds."""
    times = []
    request = _request_bytes(server, port, True)
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            elapsed, status = _first_chunk(sock, request)
            if b" 200" not in status:
                raise RuntimeError(f"{server.name} answered {status!r}")
            times.append(elapsed)
    return times


def _ready(server: Server, port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(_request_bytes(server, port, False))
            sock.settimeout(5)
            return b" 200 " in sock.recv(65536).split(b"\r\n", 1)[0] + b" "
    except OSError:
        return False


@contextlib.contextmanager
def running(server: Server, port: int, timeout: float = 60.0) -> Iterator[None]:
    """Run ``server`` on ``port`` until it answers a chat completion 200, then yield."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        server.argv,
        cwd=server.cwd,
        env={**os.environ, **server.env},
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.perf_counter() + timeout
        while not _ready(server, port):
            if proc.poll() is not None or time.perf_counter() > deadline:
                log.seek(0)
                err = log.read().decode(errors="replace")[-1500:]
                raise RuntimeError(f"{server.name} did not answer 200 (exit {proc.poll()}): {err}")
            time.sleep(0.05)
        yield
    finally:
        from servers import stop

        stop(proc)
        log.close()


# -- installing the peers ------------------------------------------------------------------


def install_peers() -> dict[str, str]:
    """Install the peers under PEERS_DIR (bounded in time); what could not be, and why."""
    missing: dict[str, str] = {}
    venv = PEERS_DIR / "venv"
    python = venv / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        if not all((venv / "bin" / name).exists() for name in PY_PEERS):
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", *PY_PEERS],
                check=True,
                timeout=INSTALL_TIMEOUT,
                capture_output=True,
            )
    except (subprocess.SubprocessError, OSError) as exc:
        for name in PY_PEERS:
            if not (venv / "bin" / name).exists():
                missing[name] = f"pip install failed: {str(exc)[:300]}"
    npm_dir = PEERS_DIR / "npm"
    if shutil.which("npm") is None or shutil.which("node") is None:
        missing["aimock"] = "node/npm not found on PATH"
    elif not (npm_dir / "node_modules" / NPM_AIMOCK / "dist" / "cli.js").exists():
        try:
            subprocess.run(
                ["npm", "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund",
                 "--silent", NPM_AIMOCK],
                check=True, timeout=INSTALL_TIMEOUT, capture_output=True,
            )  # fmt: skip
        except (subprocess.SubprocessError, OSError) as exc:
            missing["aimock"] = f"npm install failed: {str(exc)[:300]}"
    return missing


def _version(python: Path, dist: str) -> str:
    out = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return out.stdout.strip() or "?"


def peer_servers(port: int, text: str, work: Path) -> dict[str, Server]:
    """Every peer's server on ``port``, told to answer ``text`` where it can be."""
    bins = PEERS_DIR / "venv" / "bin"
    fixtures = work / "aimock-fixtures.json"
    fixtures.write_text(json.dumps({"fixtures": [{"match": {}, "response": {"content": text}}]}))
    (work / "responses.yml").write_text(
        json.dumps({"responses": {}, "defaults": {"unknown_response": text},
                    "settings": {"lag_enabled": False}})
    )  # fmt: skip
    fakellm_dir = work / "fakellm"
    fakellm_dir.mkdir(exist_ok=True)
    quiet_dir = work / "mockllm"
    quiet_dir.mkdir(exist_ok=True)
    (fakellm_dir / "fakellm.yaml").write_text(
        json.dumps({"version": 1, "defaults": {"fallback": "deterministic_echo"},
                    "rules": [{"name": "bench", "when": {"messages_contain": "latency"},
                               "respond": {"content": text}}]})
    )  # fmt: skip
    aimock_cli = PEERS_DIR / "npm" / "node_modules" / NPM_AIMOCK / "dist" / "cli.js"
    return {
        "aimock": Server(
            "aimock",
            [
                "node",
                str(aimock_cli),
                "-p",
                str(port),
                "-h",
                "127.0.0.1",
                "-f",
                str(fixtures),
                "--log-level",
                "silent",
                "--latency",
                "0",
            ],
            note="`--latency 0` (the default: no delay between chunks), one catch-all fixture "
            "answering the fake's text",
        ),
        "llmock": Server(
            "llmock",
            [
                str(bins / "llmock"),
                "serve",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "--log-level",
                "warning",
                "--latency-ms",
                "0",
                "--response-style",
                "static",
            ],
            note="`--latency-ms 0`, stream chunk delay 0 (its defaults), `--response-style "
            "static` (its own short text: it takes no scripted text from the command line)",
        ),
        "fakellm": Server(
            "fakellm",
            [str(bins / "fakellm"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=str(fakellm_dir),
            note="a rule answering the fake's text; its stream sleeps 10 ms after every word "
            "(`asyncio.sleep(0.01)` in fakellm/streaming.py, with no switch to turn it off)",
        ),
        "mockllm": Server(
            "mockllm",
            [
                str(bins / "mockllm"),
                "start",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-r",
                str(work / "responses.yml"),
            ],
            # Its start command always reloads on a change under its working folder (its
            # --reload flag defaults on and has no off switch): run in an empty one, a file
            # the benchmark writes meanwhile would restart it mid-measurement.
            cwd=str(quiet_dir),
            note="`lag_enabled: false` (its default) in its responses file, whose default "
            "answer is the fake's text; it streams one character per chunk; run in an empty "
            "folder, as its start command always watches its folder and reloads",
        ),
    }


# -- the run -------------------------------------------------------------------------------

LUA = """
wrk.method = "POST"
wrk.body = io.open("%(body)s", "rb"):read("*a")
%(headers)s
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "non2xx": %%d, "errors": %%d, ' ..
    '"p50": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _script(server: Server, port: int, stream: bool, work: Path) -> str:
    tag = f"{server.name}-{'stream' if stream else 'json'}"
    body = work / f"{tag}.json"
    body.write_bytes(chat_body(server.model, stream))
    headers = {"content-type": "application/json", **server.headers}
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script = work / f"{tag}.lua"
    script.write_text(LUA % {"body": body, "headers": lines})
    return str(script)


@dataclass
class Figures:
    """One server's figures in one repetition: requests per second and p50 latency (ms) per
    mode, and time to first chunk (s)."""

    rps: dict[str, float] = field(default_factory=dict)
    p50: dict[str, float] = field(default_factory=dict)
    ttfc: float = 0.0
    bad: list[str] = field(default_factory=list)


MODES = [("JSON", False, 1), ("JSON", False, 32), ("streamed", True, 1), ("streamed", True, 32)]


def _mode(label: str, conns: int) -> str:
    return f"{label}, c{conns}"


def measure(server_of: Callable[[int], Server], seconds: float, ttfc_n: int, work: Path) -> Figures:
    """One repetition of one server: a fresh process, every mode under wrk, then TTFC."""
    from loopback import wrk

    port = _free_port()
    server = server_of(port)
    figures = Figures()
    with running(server, port):
        # Time to first chunk first, on the idle server: a slow peer is still working through
        # what wrk's cut connections left it long after wrk stops (mockllm: over 10 s).
        ttfc(server, port, 5)  # warm-up
        figures.ttfc = statistics.median(ttfc(server, port, ttfc_n))
        for label, stream, conns in MODES:
            script = _script(server, port, stream, work)
            wrk(port, conns, 1.0, script, server.path)  # warm-up
            result = wrk(port, conns, seconds, script, server.path)
            figures.rps[_mode(label, conns)] = result.rps
            figures.p50[_mode(label, conns)] = result.p50_ms
            if result.non2xx or result.errors:
                where = _mode(label, conns)
                figures.bad.append(f"{result.non2xx} non-2xx, {result.errors} errors ({where})")
    return figures


def _fake_answers(work: Path) -> tuple[str, bytes, list[bytes]]:
    """The fake's text, JSON answer and SSE events for the benchmark's chat (in process)."""
    from sgp_fake import SGPFake

    fake = SGPFake()
    headers = {"content-type": "application/json", "x-selected-account-id": ACCOUNT}
    with fake.client(api_key=API_KEY, headers=headers) as client:
        whole = client.post("/v5/chat/completions", content=chat_body(MODEL, False))
        streamed = client.post("/v5/chat/completions", content=chat_body(MODEL, True))
    fake.close()
    assert whole.status_code == streamed.status_code == 200, (whole.text, streamed.text)
    events = [event + b"\n\n" for event in streamed.content.split(b"\n\n") if event]
    text = whole.json()["choices"][0]["message"]["content"]
    return text, whole.content, events


def run(quick: bool) -> Section:
    section = Section("10. Gateway: chat completions against the mock servers users pick instead")
    from loopback import ensure_wrk
    from servers import INSTALLED, installed

    reason = ensure_wrk()
    if reason:
        section.pending = f"skipped: {reason}"
        return section
    installed()
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    missing = install_peers()
    work = Path(tempfile.mkdtemp(prefix="gateway-peers-", dir=CACHE if CACHE.exists() else None))
    text, answer, events = _fake_answers(work)
    answers = work / "answers.json"
    answers.write_text(
        json.dumps({"json": answer.decode(), "events": [e.decode() for e in events]})
    )
    reps = 2 if quick else 3
    seconds = 2.0 if quick else 3.0
    ttfc_n = 20 if quick else 40

    def fake(port: int) -> Server:
        return Server(
            "fake",
            [str(INSTALLED / "bin" / "sgp-fake"), "serve", "--port", str(port)],
            path="/v5/chat/completions",
            model=MODEL,
            headers={"x-api-key": API_KEY, "x-selected-account-id": ACCOUNT},
        )

    def stub(port: int) -> Server:
        return Server(
            "stub",
            [sys.executable, str(Path(__file__).resolve()), "stub", "--port", str(port),
             "--answers", str(answers)],
        )  # fmt: skip

    servers: dict[str, Callable[[int], Server]] = {"fake": fake, "stub": stub}
    notes = {name: s.note for name, s in peer_servers(0, text, work).items()}
    for name in notes:
        if name not in missing:
            servers[name] = _peer(name, text, work)
    results: dict[str, list[Figures]] = {name: [] for name in servers}
    names = list(servers)
    for rep in range(reps):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            if name in missing:
                continue
            print(f"   rep {rep + 1}/{reps}: {name}", flush=True)
            try:
                results[name].append(measure(servers[name], seconds, ttfc_n, work))
            except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
                missing[name] = f"could not be measured: {str(exc)[:400]}"
    _report(section, results, missing, notes, reps, seconds, ttfc_n, len(answer), len(events))
    return section


def _peer(name: str, text: str, work: Path) -> Callable[[int], Server]:
    return lambda port: peer_servers(port, text, work)[name]


def _versions() -> str:
    python = PEERS_DIR / "venv" / "bin" / "python"
    found = [f"{name} {_version(python, name)}" for name in PY_PEERS if python.exists()]
    package = PEERS_DIR / "npm" / "node_modules" / NPM_AIMOCK / "package.json"
    if package.exists():
        found.insert(0, f"{NPM_AIMOCK} {json.loads(package.read_text())['version']}")
    return ", ".join(found)


def _report(  # noqa: PLR0912, PLR0917 - the run's parts
    section: Section,
    results: dict[str, list[Figures]],
    missing: dict[str, str],
    notes: dict[str, str],
    reps: int,
    seconds: float,
    ttfc_n: int,
    answer_size: int,
    event_count: int,
) -> None:
    section.lines.append(
        "The fake as installed (`sgp-fake serve`, default flags: admin API, journal and "
        "coverage on) answers `POST /v5/chat/completions` for `openai/gpt-4o-mini`, a model of "
        f"its catalog: a {answer_size}-byte answer, or {event_count} Server-Sent Events. The "
        "stub is a hand-written Starlette + pydantic route answering the same bytes. The peers "
        f"are installed from their registries into {PEERS_DIR} at benchmark time ("
        f"{_versions()}) and answer `/v1/chat/completions`."
    )
    section.lines.append(
        f"wrk, {reps} repetitions of {seconds:g} s per server and mode (after a 1 s warm-up), a "
        "fresh server process per repetition, servers in a rotating order; time to first chunk: "
        f"the median of {ttfc_n} streamed requests, one at a time, each on a new connection, "
        "from sending the request to the first `data:` line, each answer read to its end "
        "(untimed) before the next request, on the idle server before wrk loads it. Compare the "
        "ratios, not the absolute figures: the machine is shared."
    )
    for name, note in notes.items():
        if note:
            section.lines.append(f"{name}: {note}.")
    for name, why in missing.items():
        section.lines.append(f"{name} not measured: {why}.")
    fake = results.get("fake", [])
    if not fake:
        section.pending = "the fake could not be measured"
        return
    table = ["", "| Server | " + " | ".join(_mode(m, c) + " req/s" for m, _, c in MODES)
             + " | time to first chunk |",
             "| --- |" + " --- |" * (len(MODES) + 1)]  # fmt: skip
    for name, figures in results.items():
        if not figures:
            continue
        cells = [fmt(statistics.median(f.rps[_mode(m, c)] for f in figures)) for m, _, c in MODES]
        ttfc_ms = fmt(statistics.median(f.ttfc for f in figures) * 1000) + " ms"
        table.append(f"| {name} | " + " | ".join(cells) + f" | {ttfc_ms} |")
        for f in figures:
            for bad in f.bad:
                section.lines.append(f"Warning: {name} answered {bad} in one repetition.")
    section.lines.extend(table)
    for name, figures in results.items():
        if name == "fake" or not figures:
            continue
        pairs = min(len(fake), len(figures))
        for label, _, conns in MODES:
            key = _mode(label, conns)
            theirs = [f.rps[key] for f in figures[:pairs]]
            if 0 in theirs:
                # No request answered within the run: its throughput is under one per run,
                # which is what it is counted as (the ratio a lower bound).
                section.lines.append(
                    f"{name}, {key}: no answer completed within {seconds:g} s in "
                    f"{theirs.count(0)} of {pairs} repetitions; counted as 1 request per "
                    f"{seconds:g} s, more than it answered, so the ratio is a lower bound."
                )
                theirs = [rps or 1 / seconds for rps in theirs]
            values = ratios([f.rps[key] for f in fake[:pairs]], theirs)
            a = statistics.median(f.rps[key] for f in fake[:pairs])
            b = statistics.median(theirs)
            section.add(
                Ratio(
                    section.title,
                    f"{key}: fake / {name}, throughput",
                    values,
                    # Ahead of every peer; against the stub, at 32 connections (issue 21: the
                    # gateway's chat held to the create's target against its stub).
                    1.0 if name != "stub" or conns == 32 else None,
                    "ge",
                    note=f"{fmt(a)} req/s vs {fmt(b)} req/s",
                )
            )
    for name, figures in results.items():
        if name == "fake" or not figures:
            continue
        pairs = min(len(fake), len(figures))
        a = [f.ttfc for f in fake[:pairs]]
        b = [f.ttfc for f in figures[:pairs]]
        section.add(
            Ratio(
                section.title,
                f"time to first chunk: fake / {name}",
                ratios(a, b),
                1.0 if name == "stub" else None,
                "le",
                note=f"{_ms(a)} vs {_ms(b)}",
            )
        )


def _ms(seconds: list[float]) -> str:
    return f"{fmt(statistics.median(seconds) * 1e3)} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["stub", "run"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--answers", help="the stub's answers: {json, events}")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.what == "run":
        section = run(args.quick)
        for r in section.ratios:
            print(r.name, r.text(), r.note)
        print("\n".join(section.lines))
        return
    import uvicorn

    answers = json.loads(Path(args.answers).read_text())
    app = stub_app(answers["json"].encode(), [e.encode() for e in answers["events"]])
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, lifespan="off"
    )


if __name__ == "__main__":
    main()
