"""The v5 SDK's own generated tests for spans and span assessments
(``tests/api_resources/test_spans.py`` and ``test_span_assessments.py`` of the ``scale-gp-beta``
sdist, unchanged) against ``sgp-fake serve --contract --strict``: the loose, strict and aiohttp
clients.

Their odd values (``trace_id="trace_id"``, ``obs_span_id`` not hex, a window with ``from_ts ==
to_ts``, a comment assessment with no comment, a list with neither ``span_id`` nor
``trace_id``) pass in contract mode only. The sdist is not vendored: point ``SGP_BETA_SDIST`` at
an unpacked one (see ``tests/support/generated_suites.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.generated_suites import run_generated, runs, sdist

# Test functions per module; the operations whose calls must all have answered 200 and sent
# no field the fake does not know. The path-parameter tests fail client-side, as they should.
MODULES = {
    "tests/api_resources/test_spans.py": (46, ["create_span", "batch_spans",
        "upsert_batch_spans", "search_spans", "get_span", "update_span"]),
    "tests/api_resources/test_span_assessments.py": (44, []),
}  # fmt: skip


@pytest.mark.parametrize("module", list(MODULES))
def test_the_sdks_generated_span_tests_pass_in_contract_mode(
    module: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = sdist("SGP_BETA_SDIST", "scale_gp_beta", (module,))
    functions, checked = MODULES[module]
    result, operations, _ = run_generated(pytester, monkeypatch, tmp_path, source, (module,))
    result.assert_outcomes(passed=runs(functions))
    for name in checked:
        assert operations[name]["unknown_fields_sent"] == [], name  # --strict refused none
        assert set(operations[name]["status_codes"]) == {"200"}, name
