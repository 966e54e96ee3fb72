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

from pathlib import Path
from typing import Any

import pytest

from tests.support.generated_suites import run_generated, runs, sdist


def _check(operations: dict[str, Any], *names: str) -> None:
    # The gateway's bodies are free-form (unknown fields are forwarded to the vendor), so
    # coverage lists the ones the fake does not read, and --strict refuses none of them.
    for name in names:
        assert set(operations[name]["status_codes"]) == {"200"}, name


V5_MODULES = (
    "tests/api_resources/chat/test_completions.py",
    "tests/api_resources/test_completions.py",
    "tests/api_resources/test_responses.py",
    "tests/api_resources/test_inference.py",
)


def test_the_v5_sdks_generated_gateway_tests_pass_in_contract_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = sdist("SGP_BETA_SDIST", "scale_gp_beta", V5_MODULES)
    result, operations, _ = run_generated(pytester, monkeypatch, tmp_path, source, V5_MODULES)
    result.assert_outcomes(passed=runs(24) + runs(16) + runs(8) + runs(8))
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
    source = sdist("SGP_SDIST", "scale_gp", V4_MODULES)
    result, operations, _ = run_generated(pytester, monkeypatch, tmp_path, source, V4_MODULES)
    # scale-gp 0.1.0a62 cannot send the beta chat tests' response_format={"foo": "bar"}: it
    # raises TypeError before any request (whatever the server), in the 2 sync and 2 async
    # with_all_params tests of that module.
    failed = 2 * 2 + 2 * 3
    result.assert_outcomes(passed=4 * runs(16) - failed, failed=failed)
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
