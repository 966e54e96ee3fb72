"""A stored template's JSON equals the response model's own serialisation, for any valid request.

The store builds a template's JSON by splicing the request's JSON with the fields it sets (it is
on the hot path of every create); these properties pin that to what dumping a
:class:`ModelTemplateResponse` gives, byte for byte.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgp_fake import Identity
from sgp_fake.clock import random_ids
from sgp_fake.resources.common import GPUType, IdentifierTypeEnum, ModelType
from sgp_fake.resources.model_templates.schemas import (
    LaunchEndpointProtocol,
    ModelEndpointType,
    ModelTemplateRequest,
    ModelTemplateResponse,
    TrainingDatasetORMSchemaTypeEnum,
)
from sgp_fake.resources.model_templates.store import ModelTemplateStore

EXAMPLES = 60 if os.environ.get("SGP_FAKE_FUZZ") != "long" else 2000

text = st.text(max_size=12)
maybe_text = st.none() | text


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # A field left out, or set (possibly to null where the model allows it).
    return st.one_of(st.just(_MISSING), strategy)


_MISSING = object()


def _object(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        result = {}
        for name, strategy in fields.items():
            value = draw(strategy)
            if value is not _MISSING:
                result[name] = value
        return result

    return build()


def _enum(enum: Any) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in enum])


_parameter = _object(
    name=text,
    type=st.sampled_from(["str", "int", "float", "bool"]),
    description=maybe_text,
    required=st.none() | st.booleans(),
)
_parameters = _optional(_object(parameters=st.lists(_parameter, max_size=3)))
_resources = _object(
    cpus=_optional(st.integers(0, 64)),
    memory=_optional(text),
    gpus=_optional(st.integers(0, 8)),
    gpu_type=_optional(st.none() | _enum(GPUType)),
)
_bundle = _object(
    registry=text,
    image=text,
    tag=text,
    command=_optional(st.lists(text, max_size=3)),
    env=_optional(st.dictionaries(text, text, max_size=3)),
    streaming_command=_optional(st.none() | st.lists(text, max_size=2)),
    readiness_initial_delay_seconds=_optional(st.integers(-(2**40), 2**40)),
    streaming_predict_route=_optional(maybe_text),
)
_endpoint_config = _object(
    cpus=_optional(st.integers(0, 64)),
    gpu_type=_optional(st.none() | _enum(GPUType)),
    endpoint_type=_optional(_enum(ModelEndpointType)),
    high_priority=_optional(st.none() | st.booleans()),
)
_fine_tuning = _object(
    registry=text,
    image=text,
    tag=text,
    mount_location=_optional(maybe_text),
    training_dataset_schema_type=_optional(_enum(TrainingDatasetORMSchemaTypeEnum)),
    resources=_optional(st.none() | _resources),
)
requests = _object(
    name=text,
    endpoint_type=_enum(ModelEndpointType),
    model_type=_enum(ModelType),
    account_id=text,
    endpoint_protocol=_optional(_enum(LaunchEndpointProtocol)),
    model_creation_parameters_schema=_parameters,
    model_request_parameters_schema=_parameters,
    vendor_configuration=_object(
        bundle_config=_bundle,
        endpoint_config=_optional(st.none() | _endpoint_config),
        fine_tuning_job_bundle_config=_optional(st.none() | _fine_tuning),
    ),
)
clock_times = st.one_of(
    st.datetimes(timezones=st.none()),
    st.datetimes(
        timezones=st.builds(
            timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
        ),
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
    ),
)
identities = st.builds(
    Identity,
    user_id=text,
    identity_type=st.sampled_from(["user", "service_account"]),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=requests, created_at=clock_times, identity=identities, template_id=text)
def test_stored_json_is_the_response_models_json(
    body: dict[str, Any], created_at: datetime, identity: Identity, template_id: str
) -> None:
    request = ModelTemplateRequest.model_validate(body)
    store = ModelTemplateStore(clock=lambda: created_at, id_generator=lambda: template_id)

    stored = store.create(request, identity)

    expected = ModelTemplateResponse.model_construct(
        **dict(request),
        id=template_id,
        created_at=created_at,
        created_by_user_id=identity.user_id,
        created_by_identity_type=IdentifierTypeEnum(identity.identity_type),
    ).model_dump_json(exclude_none=True)
    assert stored.body == expected.encode()


def test_random_ids_are_uuid4_strings() -> None:
    next_id = random_ids()
    ids = [next_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for template_id in ids:
        parsed = uuid.UUID(template_id)
        assert str(parsed) == template_id
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # Every random hex digit takes every value: none is stuck (the variant digit is 8, 9, a, b).
    for position in (0, 9, 15, 20, 35):
        assert len({template_id[position] for template_id in ids}) == 16
    assert {template_id[19] for template_id in ids} == set("89ab")
