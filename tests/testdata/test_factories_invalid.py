"""Invalid payloads: each names the exact 422 the real service answers, and the fake agrees.

The oracle is the FastAPI reference app (``reference_app``), built from the same models as the
real service; the payload functions write their expectations out by hand.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgp_fake import SGPFake
from sgp_fake.factories import TemplateFactory
from sgp_fake.payloads import (
    INVALID_PAYLOAD_NAMES,
    InvalidPayload,
    bad_enum,
    bad_parameter_type,
    invalid_payloads,
    missing,
    wrong_type,
)
from tests.support.reference_app import call_reference

FULL = TemplateFactory("invalid-payloads").request(optional="all")


def answers(payload: InvalidPayload) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    """(status, bytes) from the reference app and from a fresh fake."""
    reference = call_reference("POST", "/v4/model-templates", **payload.request_kwargs())
    with SGPFake().client() as client:
        fake = payload.post(client)
    return (reference.status_code, reference.content), (fake.status_code, fake.content)


@pytest.mark.parametrize("seed", [0, 1, "x"])
@pytest.mark.parametrize("name", INVALID_PAYLOAD_NAMES)
def test_every_named_variant_matches_the_reference_and_the_fake(name: str, seed: Any) -> None:
    payload = invalid_payloads(seed=seed)[name]
    expected = (payload.expected_status, payload.expected_content)
    reference, fake = answers(payload)
    assert reference == expected
    assert fake == expected


def test_the_variants_are_the_documented_ones() -> None:
    payloads = invalid_payloads(FULL)
    assert tuple(payloads) == INVALID_PAYLOAD_NAMES
    kinds = {p.errors[0]["type"] for p in payloads.values()}
    assert {
        "missing",
        "string_type",
        "int_parsing",
        "int_from_float",
        "list_type",
        "dict_type",
        "bool_parsing",
        "model_attributes_type",
        "enum",
        "literal_error",
        "json_invalid",
    } <= kinds


def test_a_variant_breaks_only_what_it_says() -> None:
    payload = missing(FULL, "vendor_configuration.bundle_config.tag")
    assert payload.body is not None
    restored = json.loads(json.dumps(payload.body))
    restored["vendor_configuration"]["bundle_config"]["tag"] = FULL["vendor_configuration"][
        "bundle_config"
    ]["tag"]
    assert json.dumps(restored, sort_keys=True) == json.dumps(FULL, sort_keys=True)
    assert "tag" in FULL["vendor_configuration"]["bundle_config"]  # the input is not modified


def test_parameter_type_errors_come_one_per_allowed_literal() -> None:
    payload = bad_parameter_type(FULL, "string", schema="model_creation_parameters_schema")
    locs = [e["loc"][-1] for e in payload.errors]
    assert locs == ["literal['str']", "literal['int']", "literal['float']", "literal['bool']"]
    reference, _ = answers(payload)
    assert reference == (422, payload.expected_content)


# Values valid where they are put: the functions refuse them rather than predict a wrong error.
@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("vendor_configuration.endpoint_config.cpus", "4"),
        ("vendor_configuration.endpoint_config.cpus", True),
        ("vendor_configuration.endpoint_config.cpus", 2.0),
        ("vendor_configuration.endpoint_config.high_priority", "yes"),
        ("vendor_configuration.endpoint_config.high_priority", None),
        ("vendor_configuration.endpoint_config.gpu_type", None),
        ("vendor_configuration.bundle_config.streaming_command", None),
        ("endpoint_type", "SYNC"),
        ("name", "fine"),
    ],
)
def test_valid_values_are_refused(path: str, value: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by rule
        wrong_type(FULL, path, value)
    body = json.loads(json.dumps(FULL))
    node = body
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    assert call_reference("POST", "/v4/model-templates", json=body).status_code == 200


def test_misuse_is_explained() -> None:
    with pytest.raises(ValueError, match="optional"):
        missing(FULL, "endpoint_protocol")
    with pytest.raises(KeyError, match=r"no vendor_configuration\.endpoint_config"):
        wrong_type(
            TemplateFactory(1).request(optional="none"),
            "vendor_configuration.endpoint_config.cpus",
            "x",
        )
    with pytest.raises(KeyError, match="no field"):
        wrong_type(FULL, "vendor_configuration.nope", 1)
    with pytest.raises(ValueError, match="not an enum"):
        bad_enum(FULL, "name", "x")


def test_async_post_sends_the_same_bytes() -> None:
    payload = invalid_payloads(FULL)["malformed_json"]

    async def go() -> tuple[int, bytes]:
        async with SGPFake().async_client() as client:
            response = await payload.apost(client)
            return response.status_code, response.content

    assert asyncio.run(go()) == (422, payload.expected_content)


# -- property: any prediction the functions make is the reference's answer ----------------------


def paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


PATHS = paths(FULL)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), value=json_values)
def test_predicted_errors_are_the_reference_errors(path: tuple[str | int, ...], value: Any) -> None:
    try:
        payload = wrong_type(FULL, path, value)
    except ValueError:
        return  # valid there, or an error the functions do not predict
    reference = call_reference("POST", "/v4/model-templates", **payload.request_kwargs())
    assert (reference.status_code, reference.content) == (422, payload.expected_content)


def test_the_property_exercises_every_kind_of_prediction() -> None:
    # The property above skips values the functions refuse; make sure it is not mostly skipping.
    cases = [
        ("name", 3),
        ("vendor_configuration.endpoint_config.cpus", "x"),
        ("vendor_configuration.endpoint_config.cpus", 0.5),
        ("vendor_configuration.endpoint_config.cpus", []),
        ("vendor_configuration.endpoint_config.high_priority", 7),
        ("vendor_configuration.endpoint_config.high_priority", {}),
        ("vendor_configuration.bundle_config.env", "x"),
        ("vendor_configuration.bundle_config.env.PORT", 1),
        ("vendor_configuration.bundle_config.command.0", None),
        ("vendor_configuration.endpoint_config", "x"),
        ("model_type", 1),
        ("vendor_configuration.vendor", None),
        ("model_request_parameters_schema.parameters.0.type", None),
    ]
    for path, value in cases:
        payload = wrong_type(FULL, path, value)
        reference = call_reference("POST", "/v4/model-templates", **payload.request_kwargs())
        assert (reference.status_code, reference.content) == (422, payload.expected_content)
