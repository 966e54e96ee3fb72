"""Every code example of the documentation runs as written.

* Python blocks of ``docs/`` and of the README (found by pytest-examples): a block that defines
  tests runs as a test module under pytester, as a user's test suite would; any other block runs
  as a script. tests/plugin/test_plugin_readme.py and
  tests/resources/gateway/test_gateway_readme.py check that the
  guides' sections keep their examples (which run here).
* Shell blocks marked ``<!-- test: live -->`` run in bash against a live ``sgp-fake serve``
  (``$URL`` is its address), every ``curl`` failing on an HTTP error.
* JavaScript blocks marked ``<!-- test: node -->`` run in Node against a live server, where
  ``node`` is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_examples import CodeExample, find_examples

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.rglob("*.md"))
# Blocks that are excerpts, not programs, each with why it cannot run (keep this nearly empty:
# an example that runs is one that cannot go stale).
FRAGMENTS: dict[str, str] = {}
# Examples of a package no extra installs (the OpenAI Agents SDK), by what their source imports:
# they run where that package is installed, and skip elsewhere.
OPTIONAL: dict[str, str] = {"from agents import": "agents"}
MARKED = re.compile(r"^<!-- test: (live|node) -->\n```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_examples() -> list[CodeExample]:
    return list(find_examples(*PAGES, README))


EXAMPLES = python_examples()


def _id(example: CodeExample) -> str:
    return f"{example.path.relative_to(ROOT)}:{example.start_line}"


def marked(kind: str) -> list[tuple[str, str]]:
    """(page:line, code) of every block marked ``<!-- test: KIND -->``."""
    found = []
    for page in [*PAGES, README]:
        text = page.read_text(encoding="utf-8")
        for match in MARKED.finditer(text):
            if match.group(1) == kind:
                line = text.count("\n", 0, match.start()) + 1
                found.append((f"{page.relative_to(ROOT)}:{line}", match.group(3)))
    return found


def test_every_guide_has_a_running_example() -> None:
    pages = {example.path for example in EXAMPLES}
    for page in (DOCS / "guides").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert page in pages or "<!-- test: " in text, page


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_the_python_example_runs(pytester: pytest.Pytester, example: CodeExample) -> None:
    for text, reason in FRAGMENTS.items():
        if text in example.source:
            pytest.skip(reason)
    for text, module in OPTIONAL.items():
        if text in example.source:
            pytest.importorskip(module)
    if not re.search(r"^(async )?def test_", example.source, re.MULTILINE):
        script = pytester.makepyfile(example_script=example.source)
        done = subprocess.run(  # noqa: PLW1510 - the exit status is the assertion
            [sys.executable, str(script)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_docs_example=example.source)
    result = pytester.runpytest(
        "--strict-markers",
        "-p",
        "no:randomly",
        "-p",
        "no:schemathesis",
        "-p",
        "no:hypothesispytest",
        "-o",
        "asyncio_mode=strict",
        # In process, this test's own pytest has imported the plugin already: run as the
        # `pytest` script (not `python -m pytest`), the inner run warns that it cannot rewrite
        # it, which says nothing of the example.
        "-W",
        "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert set(outcomes) <= {"passed"}, result.stdout.str()


LIVE = marked("live")
NODE = marked("node")


@pytest.fixture(scope="module")
def shared_server_url() -> object:
    from sgp_fake.cli.process import ServerProcess

    with ServerProcess() as server:
        yield server.url


@pytest.fixture
def server_url(shared_server_url: str) -> str:
    """The server, emptied: each example starts from a fresh fake, whatever ran before it (an
    example that leaves a fault rule behind must not fail the next one)."""
    import httpx

    assert httpx.post(f"{shared_server_url}/_fake/reset").status_code == 200
    return shared_server_url


def test_marked_examples_exist() -> None:
    assert LIVE
    assert NODE


@pytest.mark.parametrize("code", [code for _, code in LIVE], ids=[where for where, _ in LIVE])
def test_the_shell_example_runs(server_url: str, code: str) -> None:
    script = (
        "set -euo pipefail\n"
        'curl() { command curl --silent --show-error --fail-with-body "$@"; }\n' + code
    )
    done = subprocess.run(  # noqa: PLW1510 - the exit status is the assertion
        ["bash", "-c", script],
        env={**os.environ, "URL": server_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("code", [code for _, code in NODE], ids=[where for where, _ in NODE])
def test_the_javascript_example_runs(server_url: str, code: str, tmp_path: Path) -> None:
    script = tmp_path / "example.mjs"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(  # noqa: PLW1510 - the exit status is the assertion
        ["node", str(script)],
        env={**os.environ, "URL": server_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
