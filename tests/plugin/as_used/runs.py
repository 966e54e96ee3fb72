"""Helpers of the plugin's pytester runs: a create body as Python source, and pytest run in
process as a user runs it."""

from __future__ import annotations

import pytest

BODY = repr(
    {
        "name": "llama",
        "endpoint_type": "SYNC",
        "model_type": "COMPLETION",
        "account_id": "acct_1",
        "vendor_configuration": {
            "bundle_config": {"registry": "ghcr.io/acme", "image": "llm", "tag": "1.0"}
        },
    }
)
"""A minimal create body, as Python source for the generated test files."""


# Plugins of this environment that the generated tests do not need and that are slow to load.
UNRELATED = ("-p", "no:schemathesis", "-p", "no:hypothesispytest")


def run(
    pytester: pytest.Pytester, *args: str, randomly: bool = False, subprocess: bool = False
) -> pytest.RunResult:
    """Run pytest in process (or in a fresh one: process-wide state of its own), as a user with
    ``--strict-markers`` does."""
    extra = [] if randomly else ["-p", "no:randomly"]
    runpytest = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    return runpytest("--strict-markers", *UNRELATED, *extra, *args)
