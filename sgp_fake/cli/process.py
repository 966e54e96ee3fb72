"""``sgp-fake serve`` in a child process (:class:`ServerProcess`), and the lines it prints that
the class reads.

Kept apart from :mod:`sgp_fake.cli.serve`: a test suite that starts servers this way needs
none of uvicorn, pydantic or Starlette in its own process.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
from types import TracebackType
from typing import IO, Any, Mapping, Sequence

from ..core.access import ADMIN_TOKEN_ENV

__all__ = ["ADMIN_TOKEN_PREFIX", "DASHBOARD_LINE_PREFIX", "READY_PREFIX", "ServerProcess"]

READY_PREFIX = "sgp-fake listening on "
"""The ready line is this prefix and the base URL, alone on a line of standard output."""
ADMIN_TOKEN_PREFIX = "sgp-fake admin token: "
"""A generated admin token is printed as this prefix and the token, on the line after the
ready line (a token given with ``--admin-token`` or the environment gets no line of its own)."""

DASHBOARD_LINE_PREFIX = "sgp-fake dashboard: "
"""With the admin API on, the dashboard's URL is printed as this prefix and the URL, on a line
after the ready line (and the generated token's line); the URL carries ``#token=`` whenever the
admin API needs a token, generated or given, so that the page opens ready to use."""


class ServerProcess:
    """``sgp-fake serve`` in a child process: for scripts and test suites in Python.

    Starts the command with ``--port 0`` (unless ``args`` say otherwise), waits for its ready
    line and exposes the URL; :meth:`stop` sends SIGTERM and waits, killing it if it does not
    exit in time. Standard output is drained in a thread, so the child never blocks on a full
    pipe; standard error goes where ``stderr`` says: a file path (appended to), a file, a
    ``subprocess`` constant, or by default nowhere.

    ``admin_token`` is handed to the child in ``$SGP_FAKE_ADMIN_TOKEN``. :attr:`admin_token` is
    the token its admin API requires, if any: that one, the environment's, or the one the
    server generated and printed.

    >>> with ServerProcess("--contract") as server:  # doctest: +SKIP
    ...     httpx.get(server.url + "/v4/model-templates/x", headers={"x-api-key": "k"})
    """

    def __init__(
        self,
        *args: str,
        command: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        stderr: str | os.PathLike[str] | int | IO[Any] | None = subprocess.DEVNULL,
        timeout: float = 30.0,
        admin_token: str | None = None,
    ) -> None:
        self.command = [
            *(command or (sys.executable, "-m", "sgp_fake.cli")),
            "serve",
            "--port",
            "0",
            *args,
        ]
        self.env = dict(os.environ if env is None else env)
        if admin_token is not None:
            self.env[ADMIN_TOKEN_ENV] = admin_token  # not in argv, which other users can see
        self.admin_token: str | None = self.env.get(ADMIN_TOKEN_ENV) or None
        self.stderr = stderr
        self._stderr_file: IO[Any] | None = None
        self.timeout = timeout
        self.url = ""
        self.dashboard_url = ""
        """The dashboard's URL as the server printed it (empty with ``--no-admin``)."""
        self.output: collections.deque[str] = collections.deque(maxlen=1000)
        self.process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    def start(self) -> ServerProcess:
        """Start the server; return once it is listening (``RuntimeError`` if it is not)."""
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr_target(),
            env=self.env,
        )
        self._reader = threading.Thread(target=self._read, name="sgp-fake-stdout", daemon=True)
        self._reader.start()
        if not self._ready.wait(self.timeout) or not self.url:
            try:
                code: int | None = self.process.wait(1)
            except subprocess.TimeoutExpired:
                code = None
            self.kill()
            raise RuntimeError(
                "sgp-fake serve did not become ready"
                + (f" (exit status {code})" if code is not None else f" in {self.timeout}s")
            )
        return self

    def _stderr_target(self) -> int | IO[Any] | None:
        if isinstance(self.stderr, (str, os.PathLike)):
            self._stderr_file = open(self.stderr, "a")  # noqa: SIM115 - stop() closes it
            return self._stderr_file
        return self.stderr

    def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        pending = b""
        # Whole reads, not lines: the server writes its ready line and a generated token's line
        # at once, so both are known before start() returns.
        while chunk := os.read(fd, 65536):
            *lines, pending = (pending + chunk).split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace")
                self.output.append(line)
                if not self.url and line.startswith(READY_PREFIX):
                    self.url = line[len(READY_PREFIX) :]
                elif self.admin_token is None and line.startswith(ADMIN_TOKEN_PREFIX):
                    self.admin_token = line[len(ADMIN_TOKEN_PREFIX) :]
                elif not self.dashboard_url and line.startswith(DASHBOARD_LINE_PREFIX):
                    self.dashboard_url = line[len(DASHBOARD_LINE_PREFIX) :]
            if self.url:
                self._ready.set()
        self._ready.set()  # the child closed its output: it will not become ready

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self.process is not None, "not started"
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float | None = None) -> int:
        """Send ``sig`` and wait for the exit status; kill the child if it outlives ``timeout``."""
        process = self.process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(self.timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(self.timeout)
        if self._reader is not None:
            self._reader.join(self.timeout)
        if process.stdout is not None and (self._reader is None or not self._reader.is_alive()):
            process.stdout.close()
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None
        return process.returncode

    def kill(self) -> int:
        """SIGKILL the child (as a crash would) and return its exit status."""
        return self.stop(signal.SIGKILL)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
