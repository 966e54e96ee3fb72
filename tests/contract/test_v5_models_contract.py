"""The v5 SDK's own generated tests for models (``tests/api_resources/test_models.py`` of the
``scale-gp-beta`` sdist, unchanged) against ``sgp-fake serve --contract --strict``: the loose,
strict and aiohttp clients.

The sdist is not vendored: point ``SGP_BETA_SDIST`` at an unpacked one, for instance::

    pip download --no-deps --no-binary :all: scale-gp-beta==0.7.0 -d /tmp/sdist
    tar xzf /tmp/sdist/scale_gp_beta-0.7.0.tar.gz -C /tmp/sdist
    SGP_BETA_SDIST=/tmp/sdist/scale_gp_beta-0.7.0 pytest tests/contract/test_v5_models_contract.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from sgp_fake.cli.process import ServerProcess

pytest.importorskip("scale_gp_beta")
pytest.importorskip("aiohttp")
pytest.importorskip("pytest_asyncio")

TIMEOUT = 30.0
# The sdist's test files the models module needs, in the sdist's own layout.
FILES = (
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/utils.py",
    "tests/api_resources/__init__.py",
    "tests/api_resources/test_models.py",
)
# 21 test functions per client class: each sync one loose and strict, each async one loose,
# strict and over aiohttp.
EXPECTED = 21 * 2 + 21 * 3


def _sdist() -> Path:
    root = os.environ.get("SGP_BETA_SDIST")
    if not root:
        pytest.skip("SGP_BETA_SDIST names no unpacked scale-gp-beta sdist (see the docstring)")
    path = Path(root)
    missing = [name for name in FILES if not (path / name).is_file()]
    if missing:
        pytest.skip(f"the sdist at {path} lacks {', '.join(missing)}")
    return path


def test_the_sdks_generated_model_tests_pass_in_contract_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sdist = _sdist()
    for name in FILES:
        target = pytester.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sdist / name, target)
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
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/api_resources/test_models.py",
        )
        result.assert_outcomes(passed=EXPECTED)
        coverage = httpx.get(server.url + "/_fake/coverage", timeout=TIMEOUT).json()
        state = httpx.get(server.url + "/_fake/state", timeout=TIMEOUT).json()
    operations = coverage["operations"]
    for name in ("create_v5_model", "update_v5_model", "list_v5_models", "get_v5_model",
                 "delete_v5_model"):  # fmt: skip
        assert operations[name]["unknown_fields_sent"] == [], name  # --strict refused none
        assert set(operations[name]["status_codes"]) == {"200"}, name
    # the suite creates the Launch model "name" again and again: the first one is stored
    assert [(m["model_vendor"], m["name"]) for m in state["v5_models"]] == [("launch", "name")]
