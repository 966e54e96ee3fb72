"""Shared helpers of the project's own tests."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

import httpcore  # noqa: F401 - see below
import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.cli.process import ServerProcess
from tests.support.bodies import MINIMAL_BODY, minimal_body  # noqa: F401 - shared

# httpx imports httpcore on first use and keeps a map of httpcore's exception classes. The
# plugin tests run pytest in process (pytester), which afterwards removes every module first
# imported during that run: if httpcore were first imported there, later tests would get a
# fresh httpcore whose errors httpx no longer recognises (a refused connection escaping as
# httpcore.ConnectError). Importing it here keeps one httpcore for the whole run; the same
# for httpcore2, which httpx2 (the openai client's) imports on first use.
with contextlib.suppress(ImportError):
    import httpcore2  # noqa: F401

# The suite's servers run as `sgp-fake serve` runs by default: a token exported in the shell
# that runs the tests would make every loopback server require it.
os.environ.pop("SGP_FAKE_ADMIN_TOKEN", None)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def contract() -> dict[str, Any]:
    """The published contract, as kept in ``fixtures/``."""
    data: dict[str, Any] = json.loads((FIXTURES / "model-templates.openapi.json").read_text())
    return data


@pytest.fixture
def fake() -> Iterator[SGPFake]:
    """A fresh fake for tests of the core (the plugin's fixtures are tested separately)."""
    return SGPFake()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``sgp-fake serve`` as a child process on a free port, shared by a module's tests."""
    log = tmp_path_factory.mktemp("server") / "stderr.log"
    with ServerProcess(timeout=30.0, stderr=log) as process:
        yield process


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    """An httpx client to :func:`server`, which is reset first."""
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        assert client.post("/_fake/reset").status_code == 200
        yield client
