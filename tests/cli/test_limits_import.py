"""The standalone server's import footprint: start-up time is mostly imports."""

from __future__ import annotations

import subprocess
import sys


def _python(code: str) -> str:
    """What ``code`` prints in a fresh interpreter (so nothing is imported yet)."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def test_the_server_does_not_import_httpx() -> None:
    # httpx (with the CLI extras it pulls in when installed) was a third of `sgp-fake serve`'s
    # start-up; the server never needs it, and the in-process transports load it on use.
    code = (
        "import sys, sgp_fake.cli.serve, sgp_fake.cli;"
        "print('httpx' in sys.modules);"
        "from sgp_fake import FakeTransport, SGPFake;"
        "client = SGPFake().client();"
        "print('httpx' in sys.modules, FakeTransport.__name__, type(client).__name__)"
    )
    assert _python(code).split() == ["False", "True", "FakeTransport", "Client"]


def test_in_process_fakes_do_not_import_uvicorn() -> None:
    # The pytest fixtures pay the package's import once per run; uvicorn (with click) was a
    # sixth of it and only the loopback server needs it.
    code = (
        "import sys, sgp_fake;"
        "client = sgp_fake.SGPFake().client();"
        "print('uvicorn' in sys.modules);"
        "from sgp_fake import LiveServer;"
        "print('uvicorn' in sys.modules, LiveServer.__name__)"
    )
    assert _python(code).split() == ["False", "True", "LiveServer"]


def test_loading_the_pytest_plugin_imports_nothing_heavy() -> None:
    # Every pytest session where sgp-fake is installed loads the plugin (and so the package),
    # whether or not a test uses a fixture: the fake, pydantic and Starlette load on first use.
    code = (
        "import sys, sgp_fake.plugin;"
        "print(sorted(m for m in ('sgp_fake.fake', 'pydantic', 'starlette', 'httpx', 'uvicorn')"
        " if m in sys.modules));"
        "import sgp_fake;"
        "print(sgp_fake.SGPFake.__name__, 'sgp_fake.fake' in sys.modules)"
    )
    assert _python(code).splitlines() == ["[]", "SGPFake True"]


def test_in_process_fakes_do_not_load_the_access_policy() -> None:
    # Only an app a server listens with has an access policy; in-process fakes, admin API
    # included, neither check one nor import it.
    code = (
        "import sys, sgp_fake;"
        "client = sgp_fake.SGPFake(admin=True).client();"
        "print(client.get('/v4/model-templates').status_code,"
        " client.post('/_fake/reset').status_code);"
        "print('sgp_fake.core.access' in sys.modules)"
    )
    assert _python(code).split() == ["200", "200", "False"]
