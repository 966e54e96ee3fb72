"""The v5 SDK's own generated tests for models (``tests/api_resources/test_models.py`` of the
``scale-gp-beta`` sdist, unchanged) against ``sgp-fake serve --contract --strict``: the loose,
strict and aiohttp clients.

The sdist is not vendored: point ``SGP_BETA_SDIST`` at an unpacked one (see
``tests/support/generated_suites.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.generated_suites import run_generated, runs, sdist

MODULE = "tests/api_resources/test_models.py"


def test_the_sdks_generated_model_tests_pass_in_contract_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = sdist("SGP_BETA_SDIST", "scale_gp_beta", (MODULE,))
    result, operations, state = run_generated(pytester, monkeypatch, tmp_path, source, (MODULE,))
    result.assert_outcomes(passed=runs(42))  # 21 test functions per client class
    for name in ("create_v5_model", "update_v5_model", "list_v5_models", "get_v5_model",
                 "delete_v5_model"):  # fmt: skip
        assert operations[name]["unknown_fields_sent"] == [], name  # --strict refused none
        assert set(operations[name]["status_codes"]) == {"200"}, name
    # the suite creates the Launch model "name" again and again: the first one is stored
    assert [(m["model_vendor"], m["name"]) for m in state["v5_models"]] == [("launch", "name")]
