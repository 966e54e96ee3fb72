"""The SDKs' own generated tests for the gateway, unchanged, against ``sgp-fake serve --contract
--strict`` (loose, strict and aiohttp clients): ``scale-gp-beta``'s chat completions,
completions, responses and inference, and ``scale-gp``'s ``beta`` chat completions and
completions and the top-level ``/v4/chat-completions`` and ``/v4/completions``.

The sdists are not vendored: point ``SGP_BETA_SDIST`` and ``SGP_SDIST`` at unpacked ones (CI
does, see ``.ci/run``), for instance::

    pip download --no-deps --no-binary :all: scale-gp-beta==0.7.0 scale-gp==0.1.0a62 -d /tmp/s
    for f in /tmp/s/*.tar.gz; do tar xzf "$f" -C /tmp/s; done
    SGP_BETA_SDIST=/tmp/s/scale_gp_beta-0.7.0 SGP_SDIST=/tmp/s/scale_gp-0.1.0a62 \\
        pytest tests/contract/test_gateway_contract.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from sgp_fake.cli.process import ServerProcess

pytest.importorskip("aiohttp")
pytest.importorskip("pytest_asyncio")

TIMEOUT = 30.0
_COMMON = ("tests/__init__.py", "tests/conftest.py", "tests/utils.py",
           "tests/api_resources/__init__.py")  # fmt: skip


def _runs(functions: int) -> int:
    """Items of a generated module of ``functions`` test functions, half sync and half async:
    each sync one loose and strict, each async one loose, strict and over aiohttp."""
    return functions // 2 * 2 + functions // 2 * 3


def _sdist(variable: str, package: str, modules: tuple[str, ...]) -> Path:
    pytest.importorskip(package)
    root = os.environ.get(variable)
    if not root:
        pytest.skip(f"{variable} names no unpacked sdist of {package} (see the docstring)")
    path = Path(root)
    missing = [name for name in (*_COMMON, *modules) if not (path / name).is_file()]
    if missing:
        pytest.skip(f"the sdist at {path} lacks {', '.join(missing)}")
    return path


def _run(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sdist: Path,
    modules: tuple[str, ...],
) -> tuple[pytest.RunResult, dict[str, dict[str, object]]]:
    for name in (*_COMMON, *modules):
        target = pytester.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(sdist / name, target)
    for module in modules:  # the packages between tests/api_resources and the module
        for parent in Path(module).parents:
            if len(parent.parts) > 2:
                init = pytester.path / parent / "__init__.py"
                if not init.exists():
                    shutil.copyfile(sdist / parent / "__init__.py", init)
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
    return result, coverage["operations"]


def _check(operations: dict[str, dict[str, object]], *names: str) -> None:
    # The gateway's bodies are free-form (unknown fields are forwarded to the vendor), so
    # coverage lists the ones the fake does not read, and --strict refuses none of them.
    for name in names:
        assert set(operations[name]["status_codes"]) == {"200"}, name  # type: ignore[arg-type]


V5_MODULES = (
    "tests/api_resources/chat/test_completions.py",
    "tests/api_resources/test_completions.py",
    "tests/api_resources/test_responses.py",
    "tests/api_resources/test_inference.py",
)


def test_the_v5_sdks_generated_gateway_tests_pass_in_contract_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sdist = _sdist("SGP_BETA_SDIST", "scale_gp_beta", V5_MODULES)
    result, operations = _run(pytester, monkeypatch, tmp_path, sdist, V5_MODULES)
    result.assert_outcomes(passed=_runs(24) + _runs(16) + _runs(8) + _runs(8))
    _check(
        operations,
        "create_gateway_chat_completion",
        "create_gateway_completion",
        "create_gateway_response",
        "create_gateway_inference",
    )


V4_MODULES = (
    "tests/api_resources/beta/chat/test_completions.py",
    "tests/api_resources/beta/test_completions.py",
    "tests/api_resources/test_chat_completions.py",
    "tests/api_resources/test_completions.py",
)


def test_the_v4_sdks_generated_gateway_tests_pass_in_contract_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sdist = _sdist("SGP_SDIST", "scale_gp", V4_MODULES)
    result, operations = _run(pytester, monkeypatch, tmp_path, sdist, V4_MODULES)
    # scale-gp 0.1.0a62 cannot send the beta chat tests' response_format={"foo": "bar"}: it
    # raises TypeError before any request (whatever the server), in the 2 sync and 2 async
    # with_all_params tests of that module.
    failed = 2 * 2 + 2 * 3
    result.assert_outcomes(passed=4 * _runs(16) - failed, failed=failed)
    failures = [line for line in result.outlines if line.startswith("FAILED ")]
    assert len(failures) == failed
    assert all(
        "beta/chat/test_completions.py" in line and "with_all_params" in line for line in failures
    ), failures
    _check(
        operations,
        "create_beta_chat_completion",
        "create_beta_completion",
        "create_v4_chat_completion",
        "create_v4_completion",
    )
