"""Start and stop the servers the loopback and start-up benchmarks measure.

Every server runs in its own process on a free loopback port: the fake (``sgp-fake serve``),
the two reference apps, and, when node is present, Stoplight Prism and Steady serving the fake's
own OpenAPI document. The node tools are installed with npm into a cache folder outside the
repository on first use.

The fake runs as a user gets it: :func:`installed` installs this checkout with ``pip install
.`` (default dependencies, no extras) into a virtual environment of its own, refreshed at each
run, and :func:`installed_spec` starts its ``sgp-fake serve`` with default flags.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import importlib.metadata
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from common import API_KEY, CACHE, FULL_BODY_BYTES, ROOT

HERE = Path(__file__).resolve().parent
NODE_DIR = CACHE / "node"
NODE_PACKAGES = {"prism": "@stoplight/prism-cli@5", "steady": "@stdy/cli"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerSpec:
    """How to start one server, and what to ask it for its first 200."""

    name: str
    argv: list[str]
    port: int
    env: dict[str, str] | None = None
    pid: int | None = None  # set while it runs


INSTALLED = CACHE / "as-installed"
"""The virtual environment this checkout is installed into, as the README installs it."""


# What the fake and the references both run on: the installed fake gets the versions this
# interpreter has, so that a ratio compares the code, not two releases of a dependency.
_SHARED = ("starlette", "pydantic", "pydantic-core", "uvicorn", "httptools", "uvloop")


@functools.cache
def installed() -> Path:
    """``sgp-fake`` as ``pip install .`` installs this checkout (made once, refreshed each run),
    with the versions of the dependencies it shares with the references that this interpreter
    has."""
    python = INSTALLED / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(INSTALLED)], check=True, timeout=300)
        try:
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", str(ROOT)],
                check=True,
                timeout=900,
                capture_output=True,
            )
        except (subprocess.SubprocessError, OSError):
            shutil.rmtree(INSTALLED)  # made again next run, not taken for a complete install
            raise
    else:  # this checkout's code, the dependencies already in place
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", ROOT],
            check=True,
            timeout=900,
            capture_output=True,
        )
    pins = []
    for name in _SHARED:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    if pins:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *pins],
            check=True,
            timeout=900,
            capture_output=True,
        )
    return INSTALLED / "bin" / "sgp-fake"


def installed_spec(port: int, extra: list[str] | None = None) -> ServerSpec:
    """``sgp-fake serve`` as installed, with its default flags (``extra`` added)."""
    return ServerSpec(
        "sgp-fake (as installed)",
        [str(INSTALLED / "bin" / "sgp-fake"), "serve", "--port", str(port), *(extra or [])],
        port,
    )


def stateless_spec(port: int) -> ServerSpec:
    """The installed fake, ``--no-admin``, keeping no record (``stateless_fake.py``)."""
    return ServerSpec(
        "sgp-fake keeping nothing",
        [str(INSTALLED / "bin" / "python"), str(HERE / "stateless_fake.py"), "--port", str(port)],
        port,
    )


def fake_spec(port: int, extra: list[str] | None = None) -> ServerSpec:
    """``sgp-fake serve`` in its fastest configuration (quiet; uvloop/httptools when present)."""
    return ServerSpec(
        "sgp-fake",
        [
            sys.executable,
            "-m",
            "sgp_fake.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *(extra or []),
        ],
        port,
    )


def reference_spec(kind: str, port: int) -> ServerSpec:
    """One of the reference apps under uvicorn (httptools + uvloop when present)."""
    return ServerSpec(
        f"{kind} reference",
        [sys.executable, str(HERE / "references.py"), kind, "--port", str(port)],
        port,
    )


def node_available() -> str | None:
    """Why the node mock servers cannot run, or ``None`` when they can."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not found on PATH"
    return None


def ensure_node_tools() -> str | None:
    """Install Prism and Steady with npm (once); return why not, or ``None`` when ready."""
    reason = node_available()
    if reason:
        return reason
    bins = NODE_DIR / "node_modules" / ".bin"
    if (bins / "prism").exists() and (bins / "steady").exists():
        return None
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    if not (NODE_DIR / "package.json").exists():
        (NODE_DIR / "package.json").write_text('{"name": "sgp-fake-bench", "private": true}\n')
    try:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", *NODE_PACKAGES.values()],
            cwd=NODE_DIR,
            check=True,
            timeout=600,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return f"npm install failed: {exc}"
    return None


def openapi_file() -> Path:
    """The fake's own /openapi.json, written to the cache folder for the node mock servers."""
    from sgp_fake.app import openapi_bytes

    path = CACHE / "sgp-fake-openapi.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(openapi_bytes())
    return path


def prism_spec(port: int) -> ServerSpec:
    bin_ = NODE_DIR / "node_modules" / ".bin" / "prism"
    return ServerSpec(
        "Prism",
        [
            str(bin_),
            "mock",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--errors",
            "false",
            "-v",
            "error",
            str(openapi_file()),
        ],
        port,
    )


def steady_spec(port: int) -> ServerSpec:
    bin_ = NODE_DIR / "node_modules" / ".bin" / "steady"
    return ServerSpec(
        "Steady",
        [
            str(bin_),
            "--host",
            "127.0.0.1",
            "-p",
            str(port),
            "-q",
            "--no-color",
            str(openapi_file()),
        ],
        port,
    )


def post_once(port: int, timeout: float = 2.0) -> int | None:
    """POST the create body once; the status, or ``None`` when nothing answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST",
            "/v4/model-templates",
            body=FULL_BODY_BYTES,
            headers={"x-api-key": API_KEY, "content-type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


@contextlib.contextmanager
def running(spec: ServerSpec, timeout: float = 60.0) -> Iterator[float]:
    """Run a server; yield the seconds from process start to its first 200 to a create."""
    start = time.perf_counter()
    # Standard error to a file, as a user redirects it: the fake logs a line per request by
    # default, and a pipe nobody reads would fill and stall it.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below, once stopped
    proc = subprocess.Popen(
        spec.argv,
        cwd=ROOT,
        env={**os.environ, **(spec.env or {})},
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    spec.pid = proc.pid
    try:
        deadline = start + timeout
        while True:
            status = post_once(spec.port)
            if status == 200:
                break
            if proc.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace")
                raise RuntimeError(f"{spec.name} exited with {proc.returncode}: {err[-2000:]}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{spec.name} gave no 200 within {timeout}s (last: {status})")
            time.sleep(0.002)
        yield time.perf_counter() - start
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server process and its children (its own process group), waiting for them."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    if proc.stderr:
        proc.stderr.close()
