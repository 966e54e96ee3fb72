"""Running an SDK's own generated tests (``tests/api_resources/...`` of its sdist, unchanged)
against ``sgp-fake serve --contract --strict``, in a pytest process of their own.

The sdists are not vendored: ``SGP_BETA_SDIST`` (scale-gp-beta) and ``SGP_SDIST`` (scale-gp)
name unpacked ones, for instance::

    pip download --no-deps --no-binary :all: scale-gp-beta==0.7.0 -d /tmp/sdist
    tar xzf /tmp/sdist/scale_gp_beta-0.7.0.tar.gz -C /tmp/sdist
    SGP_BETA_SDIST=/tmp/sdist/scale_gp_beta-0.7.0 pytest tests/contract

A test whose sdist is not given is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from sgp_fake.cli.process import ServerProcess

TIMEOUT = 30.0
COMMON = (
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/utils.py",
    "tests/api_resources/__init__.py",
)
"""The sdist's test files every generated module needs, in the sdist's own layout."""


def runs(functions: int) -> int:
    """Items of a generated module of ``functions`` test functions, half sync and half async:
    each sync one runs loose and strict, each async one loose, strict and over aiohttp."""
    return functions // 2 * 2 + functions // 2 * 3


def sdist(variable: str, package: str, modules: tuple[str, ...]) -> Path:
    """The unpacked sdist ``variable`` names, holding ``modules``; skips the test otherwise."""
    pytest.importorskip(package)
    pytest.importorskip("aiohttp")
    pytest.importorskip("pytest_asyncio")
    root = os.environ.get(variable)
    if not root:
        pytest.skip(f"{variable} names no unpacked sdist of {package} (see tests/support)")
    path = Path(root)
    missing = [name for name in (*COMMON, *modules) if not (path / name).is_file()]
    if missing:
        pytest.skip(f"the sdist at {path} lacks {', '.join(missing)}")
    return path


def run_generated(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    source: Path,
    modules: tuple[str, ...],
) -> tuple[pytest.RunResult, dict[str, Any], dict[str, Any]]:
    """Run ``modules`` of the sdist at ``source`` against a fresh contract-mode server; return
    the run's result, the server's coverage by operation and its state document."""
    for name in (*COMMON, *modules):
        target = pytester.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(source / name, target)
    for module in modules:  # the packages between tests/api_resources and the module
        for parent in Path(module).parents:
            if len(parent.parts) > 2:
                init = pytester.path / parent / "__init__.py"
                if not init.exists():
                    shutil.copyfile(source / parent / "__init__.py", init)
    # The sdist's pytest settings, but for xdist's -n auto (one server, one process).
    pytester.makeini(
        "[pytest]\n"
        "asyncio_mode = auto\n"
        "asyncio_default_fixture_loop_scope = session\n"
        "filterwarnings =\n    error\n"
    )
    with ServerProcess(
        "--contract", "--strict", timeout=TIMEOUT, stderr=tmp_path / "stderr.log"
    ) as server:
        monkeypatch.setenv("TEST_API_BASE_URL", server.url)
        # The sdist's package is named tests, as ours is: it runs in a process of its own.
        monkeypatch.delenv("PYTHONPATH", raising=False)
        result = pytester.runpytest_subprocess(
            "-p", "no:randomly", "-p", "no:cacheprovider", "-q", "-rf", *modules
        )  # fmt: skip
        coverage = httpx.get(server.url + "/_fake/coverage", timeout=TIMEOUT).json()
        state = httpx.get(server.url + "/_fake/state", timeout=TIMEOUT).json()
    return result, coverage["operations"], state
