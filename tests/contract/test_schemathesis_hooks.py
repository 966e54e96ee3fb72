"""What the schemathesis hooks do to a case (tests/support/schemathesis_cases.py): never fail
on what the negative phase sends, and point a request for a record at a record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.schemathesis_cases import name_a_record, whole_references

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", [True, 3, "text", None, {"id": "d"}, [1, "x"]])
def test_a_state_document_of_any_shape_goes_through_untouched_where_it_is_not_a_list(
    value: Any,
) -> None:
    body = {"models": [{"id": "m", "account_id": "a"}], "deployments": value, "usage": value}
    whole_references(body)  # the document is refused for these values: left for the server
    assert body["deployments"] == value
    assert body["usage"] == value


def test_a_built_in_model_keeps_one_deployment() -> None:
    deployment = {"id": "d1", "model_instance_id": "m", "account_id": "a"}
    body = {
        "models": [{"id": "m", "account_id": "a"}],
        "deployments": [deployment, {**deployment, "id": "d2"}],
    }
    whole_references(body)
    assert [d["id"] for d in body["deployments"]] == ["d1"]


def test_an_empty_path_parameter_is_sent_as_an_id_that_names_nothing() -> None:
    parameters: dict[str, Any] = {"span_id": "", "other": "kept"}
    name_a_record(parameters)
    assert parameters == {"span_id": "no-such-record", "other": "kept"}


_SENDS_A_STATE_DOCUMENT = """
import json, sys
from types import SimpleNamespace
import tests.support.schemathesis_hooks as hooks

body = json.loads(sys.stdin.read())
case = SimpleNamespace(
    method="put", operation=SimpleNamespace(path="/_fake/state"), path_parameters={}, body=body
)
hooks.before_call(None, case)
print(json.dumps(case.body))
"""


def test_a_state_document_is_made_whole_as_it_is_sent() -> None:
    # The stateful phase can set a field from a link after map_case ran: the hook that runs as
    # the request is sent makes the document whole again. In a child process: importing the
    # hooks module registers its hooks for the whole process.
    body = {
        "models": [{"id": "m", "account_id": "a"}],
        "deployments": [{"id": "d", "model_instance_id": "m", "account_id": "a"}],
        "usage": [{"id": "u", "model_deployment_id": "named-by-a-link", "account_id": "a"}],
    }
    result = subprocess.run(
        [sys.executable, "-c", _SENDS_A_STATE_DOCUMENT],
        input=json.dumps(body),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=True,
    )
    sent = json.loads(result.stdout)
    assert sent["usage"] == [
        {"id": "u", "model_deployment_id": "d", "account_id": "a", "model_instance_id": "m"}
    ]
