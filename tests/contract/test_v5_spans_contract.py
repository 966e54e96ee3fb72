"""The v5 SDK's own generated tests for spans and span assessments
(``tests/api_resources/test_spans.py`` and ``test_span_assessments.py`` of the ``scale-gp-beta``
sdist, unchanged) against ``sgp-fake serve --contract --strict``: the loose, strict and aiohttp
clients.

Their odd values (``trace_id="trace_id"``, ``obs_span_id`` not hex, a window with ``from_ts ==
to_ts``, a comment assessment with no comment, a list with neither ``span_id`` nor
``trace_id``) pass in contract mode only. The sdist is not vendored: point ``SGP_BETA_SDIST`` at
an unpacked one, for instance::

    pip download --no-deps --no-binary :all: scale-gp-beta==0.7.0 -d /tmp/sdist
    tar xzf /tmp/sdist/scale_gp_beta-0.7.0.tar.gz -C /tmp/sdist
    SGP_BETA_SDIST=/tmp/sdist/scale_gp_beta-0.7.0 pytest tests/contract/test_v5_spans_contract.py
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
SHARED = (
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/utils.py",
    "tests/api_resources/__init__.py",
)
# Test functions per client class: each sync one runs loose and strict, each async one loose,
# strict and over aiohttp. The path-parameter tests fail client-side, as they should.
MODULES = {
    "tests/api_resources/test_spans.py": (23, ["create_span", "batch_spans",
        "upsert_batch_spans", "search_spans", "get_span", "update_span"]),
    "tests/api_resources/test_span_assessments.py": (22, []),
}  # fmt: skip


def _sdist(module: str) -> Path:
    root = os.environ.get("SGP_BETA_SDIST")
    if not root:
        pytest.skip("SGP_BETA_SDIST names no unpacked scale-gp-beta sdist (see the docstring)")
    path = Path(root)
    missing = [name for name in (*SHARED, module) if not (path / name).is_file()]
    if missing:
        pytest.skip(f"the sdist at {path} lacks {', '.join(missing)}")
    return path


@pytest.mark.parametrize("module", list(MODULES))
def test_the_sdks_generated_span_tests_pass_in_contract_mode(
    module: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sdist = _sdist(module)
    per_class, checked = MODULES[module]
    for name in (*SHARED, module):
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
            "-p", "no:randomly", "-p", "no:cacheprovider", "-q", module
        )
        result.assert_outcomes(passed=per_class * 2 + per_class * 3)
        coverage = httpx.get(server.url + "/_fake/coverage", timeout=TIMEOUT).json()
    operations = coverage["operations"]
    for name in checked:
        assert operations[name]["unknown_fields_sent"] == [], name  # --strict refused none
        assert set(operations[name]["status_codes"]) == {"200"}, name
