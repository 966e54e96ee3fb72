"""What the schemathesis hooks do to a case (tests/support/schemathesis_cases.py): never fail
on what the negative phase sends, and point a request for a record at a record."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.schemathesis_cases import name_a_record, whole_references


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
