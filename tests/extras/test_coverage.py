"""Contract coverage: a known sequence of requests gives exactly the expected report."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.extras.coverage import MAX_LISTED
from tests.support.bodies import minimal_body

LIST = "/v4/model-templates"

# Every field of the create body, in the contract's order, written out from the contract.
CREATE_FIELDS = [
    "name",
    "endpoint_type",
    "model_type",
    "vendor_configuration",
    "vendor_configuration.vendor",
    "vendor_configuration.bundle_config",
    "vendor_configuration.bundle_config.registry",
    "vendor_configuration.bundle_config.image",
    "vendor_configuration.bundle_config.tag",
    "vendor_configuration.bundle_config.command",
    "vendor_configuration.bundle_config.env",
    "vendor_configuration.bundle_config.streaming_command",
    "vendor_configuration.bundle_config.readiness_initial_delay_seconds",
    "vendor_configuration.bundle_config.healthcheck_route",
    "vendor_configuration.bundle_config.predict_route",
    "vendor_configuration.bundle_config.streaming_predict_route",
    "vendor_configuration.endpoint_config",
    "vendor_configuration.endpoint_config.cpus",
    "vendor_configuration.endpoint_config.memory",
    "vendor_configuration.endpoint_config.storage",
    "vendor_configuration.endpoint_config.gpus",
    "vendor_configuration.endpoint_config.gpu_type",
    "vendor_configuration.endpoint_config.min_workers",
    "vendor_configuration.endpoint_config.max_workers",
    "vendor_configuration.endpoint_config.per_worker",
    "vendor_configuration.endpoint_config.endpoint_type",
    "vendor_configuration.endpoint_config.high_priority",
    "vendor_configuration.fine_tuning_job_bundle_config",
    "vendor_configuration.fine_tuning_job_bundle_config.registry",
    "vendor_configuration.fine_tuning_job_bundle_config.image",
    "vendor_configuration.fine_tuning_job_bundle_config.tag",
    "vendor_configuration.fine_tuning_job_bundle_config.command",
    "vendor_configuration.fine_tuning_job_bundle_config.env",
    "vendor_configuration.fine_tuning_job_bundle_config.mount_location",
    "vendor_configuration.fine_tuning_job_bundle_config.training_dataset_schema_type",
    "vendor_configuration.fine_tuning_job_bundle_config.resources",
    "vendor_configuration.fine_tuning_job_bundle_config.resources.cpus",
    "vendor_configuration.fine_tuning_job_bundle_config.resources.memory",
    "vendor_configuration.fine_tuning_job_bundle_config.resources.storage",
    "vendor_configuration.fine_tuning_job_bundle_config.resources.gpus",
    "vendor_configuration.fine_tuning_job_bundle_config.resources.gpu_type",
    "model_creation_parameters_schema",
    "model_creation_parameters_schema.parameters",
    "model_creation_parameters_schema.parameters[].name",
    "model_creation_parameters_schema.parameters[].type",
    "model_creation_parameters_schema.parameters[].description",
    "model_creation_parameters_schema.parameters[].required",
    "model_request_parameters_schema",
    "model_request_parameters_schema.parameters",
    "model_request_parameters_schema.parameters[].name",
    "model_request_parameters_schema.parameters[].type",
    "model_request_parameters_schema.parameters[].description",
    "model_request_parameters_schema.parameters[].required",
    "endpoint_protocol",
    "account_id",
]

ENDPOINT_TYPES = ["SYNC", "ASYNC", "STREAMING", "BATCH"]
MODEL_TYPES = [
    "COMPLETION",
    "CHAT_COMPLETION",
    "AGENT",
    "EMBEDDING",
    "RERANKING",
    "GENERIC",
    "BUNDLE",
]
GPUS = [
    "nvidia-tesla-t4",
    "nvidia-ampere-a10",
    "nvidia-ampere-a100",
    "nvidia-ampere-a100e",
    "nvidia-hopper-h100",
    "nvidia-hopper-h100-1g20gb",
    "nvidia-hopper-h100-3g40gb",
]
PARAMETER_TYPES = ["str", "int", "float", "bool"]


def enum(values: list[str], *used: str) -> dict[str, list[str]]:
    return {
        "used": [v for v in values if v in used],
        "unused": [v for v in values if v not in used],
    }


def run_known_sequence(fake: SGPFake) -> None:
    rich = minimal_body(
        model_type="CHAT_COMPLETION",
        endpoint_protocol="VLLM",
        colour="red",
        model_creation_parameters_schema={
            "parameters": [
                {"name": "temperature", "type": "float", "description": None, "required": True}
            ]
        },
    )
    rich["vendor_configuration"] = {
        "vendor": "LAUNCH",
        "bundle_config": {"registry": "r", "image": "i", "tag": "t", "env": {"A": "1"}},
        "endpoint_config": {"gpu_type": "nvidia-tesla-t4", "gpus": 1},
    }
    invalid_enum = minimal_body(endpoint_type="FAST")
    invalid_enum["vendor_configuration"]["bundle_config"]["extra"] = 1
    with fake.client() as client, fake.client(api_key=None) as anonymous:
        first = client.post(LIST, json=minimal_body()).json()
        second = client.post(LIST, json=rich).json()
        assert client.post(LIST, json={}).status_code == 422
        assert client.post(LIST, json=invalid_enum).status_code == 422
        assert client.get(LIST, params={"limit": 0}).status_code == 422
        listed = client.get(LIST, params={"account_id": "acct_1", "page": 1, "sort": "name"})
        assert listed.status_code == 200
        assert client.get(f"{LIST}/{first['id']}").status_code == 200
        assert client.get(f"{LIST}/missing").status_code == 404
        fake.faults.add(method="DELETE", path=f"{LIST}/*", status=503)
        assert client.delete(f"{LIST}/{first['id']}").status_code == 503
        assert client.delete(f"{LIST}/{first['id']}").status_code == 200
        assert anonymous.get(LIST).status_code == 401
        fake.faults.add(method="GET", path=f"{LIST}/*", connection="reset")
        with pytest.raises(httpx.ReadError):
            client.get(f"{LIST}/{second['id']}")
        assert client.get("/v4/nothing").status_code == 404
        assert client.get("/openapi.json").status_code == 200  # not an SGP operation: ignored
        assert client.post(f"{LIST}/abc", json={}).status_code == 405


CREATE_SENT = [
    "name",
    "endpoint_type",
    "model_type",
    "vendor_configuration",
    "vendor_configuration.vendor",
    "vendor_configuration.bundle_config",
    "vendor_configuration.bundle_config.registry",
    "vendor_configuration.bundle_config.image",
    "vendor_configuration.bundle_config.tag",
    "vendor_configuration.bundle_config.env",
    "vendor_configuration.endpoint_config",
    "vendor_configuration.endpoint_config.gpus",
    "vendor_configuration.endpoint_config.gpu_type",
    "model_creation_parameters_schema",
    "model_creation_parameters_schema.parameters",
    "model_creation_parameters_schema.parameters[].name",
    "model_creation_parameters_schema.parameters[].type",
    "model_creation_parameters_schema.parameters[].description",
    "model_creation_parameters_schema.parameters[].required",
    "endpoint_protocol",
    "account_id",
]

EXPECTED: dict[str, Any] = {
    "requests": 14,
    "operations": {
        "create_model_template": {
            "method": "POST",
            "path": "/v4/model-templates",
            "calls": 4,
            "status_codes": {"200": 2, "422": 2},
            "documented_status_codes_never_seen": ["400", "401", "403", "413", "429"],
            "request_fields": {
                "sent": CREATE_SENT,
                "never_sent": [f for f in CREATE_FIELDS if f not in CREATE_SENT],
            },
            "unknown_fields_sent": ["colour", "vendor_configuration.bundle_config.extra"],
            "enum_values": {
                "endpoint_type": enum(ENDPOINT_TYPES, "SYNC"),
                "model_type": enum(MODEL_TYPES, "COMPLETION", "CHAT_COMPLETION"),
                "vendor_configuration.vendor": enum(["LAUNCH"], "LAUNCH"),
                "vendor_configuration.endpoint_config.gpu_type": enum(GPUS, "nvidia-tesla-t4"),
                "vendor_configuration.endpoint_config.endpoint_type": enum(ENDPOINT_TYPES),
                "vendor_configuration.fine_tuning_job_bundle_config."
                "training_dataset_schema_type": enum(["GENERATION", "RERANKING_QUESTIONS"]),
                "vendor_configuration.fine_tuning_job_bundle_config.resources.gpu_type": enum(GPUS),
                "model_creation_parameters_schema.parameters[].type": enum(
                    PARAMETER_TYPES, "float"
                ),
                "model_request_parameters_schema.parameters[].type": enum(PARAMETER_TYPES),
                "endpoint_protocol": enum(["SGP", "COHERE", "VLLM"], "VLLM"),
            },
            "validation_errors": {"enum": 1, "missing": 5},
        },
        "list_model_templates": {
            "method": "GET",
            "path": "/v4/model-templates",
            "calls": 3,
            "status_codes": {"200": 1, "401": 1, "422": 1},
            "documented_status_codes_never_seen": ["403", "429"],
            "request_fields": {"sent": ["account_id", "limit", "page"], "never_sent": []},
            "unknown_fields_sent": ["sort"],
            "enum_values": {},
            "validation_errors": {"greater_than_equal": 1},
        },
        "get_model_template": {
            "method": "GET",
            "path": "/v4/model-templates/{model_template_id}",
            "calls": 3,
            "status_codes": {"200": 1, "404": 1, "none": 1},
            "documented_status_codes_never_seen": ["401", "403", "429"],
            "request_fields": {"sent": [], "never_sent": []},
            "unknown_fields_sent": [],
            "enum_values": {},
            "validation_errors": {},
        },
        "delete_model_template": {
            "method": "DELETE",
            "path": "/v4/model-templates/{model_template_id}",
            "calls": 2,
            "status_codes": {"200": 1, "503": 1},
            # 400: a template that models still use is not deleted
            "documented_status_codes_never_seen": ["400", "401", "403", "404", "429"],
            "request_fields": {"sent": [], "never_sent": []},
            "unknown_fields_sent": [],
            "enum_values": {},
            "validation_errors": {},
        },
    },
    "unmatched": {"GET /v4/nothing": 1, "POST /v4/model-templates/abc": 1},
}


def templates_part(report: dict[str, Any]) -> dict[str, Any]:
    """The report with only the operations the known sequence exercises (the templates'); every
    other operation (of the other resources) must have seen no call."""
    operations = report["operations"]
    others = [op for name, op in operations.items() if name not in EXPECTED["operations"]]
    assert others
    assert all(op["calls"] == 0 and op["status_codes"] == {} for op in others)
    return {**report, "operations": {k: operations[k] for k in EXPECTED["operations"]}}


def test_known_sequence_gives_the_exact_report() -> None:
    fake = SGPFake(coverage=True)
    run_known_sequence(fake)
    assert fake.coverage is not None
    assert templates_part(fake.coverage.report().model_dump()) == EXPECTED


def test_report_over_the_admin_api_is_the_same_and_ignores_admin_traffic() -> None:
    fake = SGPFake(coverage=True, admin=True)
    run_known_sequence(fake)
    with fake.client(api_key=None) as admin:
        admin.get("/_fake/state")
        admin.post("/_fake/reset")  # a reset keeps the coverage
        assert templates_part(admin.get("/_fake/coverage").json()) == EXPECTED
        cleared = admin.delete("/_fake/coverage").json()
    assert cleared["requests"] == 0
    assert cleared["unmatched"] == {}
    create = cleared["operations"]["create_model_template"]
    assert create["calls"] == 0
    assert create["request_fields"] == {"sent": [], "never_sent": CREATE_FIELDS}
    never_seen = create["documented_status_codes_never_seen"]
    assert never_seen == ["200", "400", "401", "403", "413", "422", "429"]


def test_listed_unknowns_are_capped() -> None:
    fake = SGPFake(coverage=True)
    with fake.client() as client:
        body = minimal_body(**{f"x{i:03}": i for i in range(MAX_LISTED + 50)})
        assert client.post(LIST, json=body).status_code == 200
        for i in range(MAX_LISTED + 50):
            client.get(f"/v4/unknown-{i}")
    assert fake.coverage is not None
    report = fake.coverage.report()
    assert len(report.operations["create_model_template"].unknown_fields_sent) == MAX_LISTED
    assert len(report.unmatched) == MAX_LISTED
    assert report.requests == MAX_LISTED + 51


def test_coverage_is_off_by_default(fake: SGPFake) -> None:
    assert fake.coverage is None


def test_a_request_sent_again_counts_as_often_as_it_was_sent() -> None:
    # The same request again is counted without walking its body again: its calls, statuses
    # and validation errors must still count every time, across separate analyses too.
    fake = SGPFake(coverage=True)
    assert fake.coverage is not None
    invalid = minimal_body(endpoint_type="FAST")
    with fake.client() as client:
        for _ in range(3):
            assert client.post(LIST, json=invalid).status_code == 422
        fake.coverage.report()  # analysed here; the next ones repeat what was analysed last
        for _ in range(2):
            assert client.post(LIST, json=invalid).status_code == 422
        assert client.post(LIST, json=minimal_body()).status_code == 200
        assert client.post(LIST, json=invalid).status_code == 422
    create = fake.coverage.report().operations["create_model_template"]
    assert create.calls == 7
    assert create.status_codes == {"200": 1, "422": 6}
    assert create.validation_errors == {"enum": 6}
    assert "endpoint_type" in create.request_fields.sent


@pytest.mark.asyncio
async def test_under_a_running_loop_requests_are_analysed_once_the_turn_is_over() -> None:
    # A server's answers never wait for a batch: the queue is analysed after the loop's turn.
    fake = SGPFake(coverage=True)
    assert fake.coverage is not None
    async with fake.async_client() as client:
        for _ in range(3):
            assert (await client.post(LIST, json=minimal_body())).status_code == 200
            await asyncio.sleep(0)
            assert not fake.coverage._queue
    assert fake.coverage.report().operations["create_model_template"].calls == 3


def test_a_drain_left_on_a_stopped_loop_neither_holds_back_the_next_loop_nor_keeps_it() -> None:
    # A loop stopped right after a request never runs the drain it queued. A later loop's
    # requests are still analysed once its turn is over, and a stopped loop, once closed, is
    # not kept alive by the coverage.
    fake = SGPFake(coverage=True)
    assert fake.coverage is not None
    coverage = fake.coverage

    def request_on_a_loop_then_stop() -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        with fake.client() as client:

            def request_then_stop() -> None:
                assert client.post(LIST, json=minimal_body()).status_code == 200
                loop.stop()

            loop.call_soon(request_then_stop)
            loop.run_forever()
        assert coverage._queue  # its drain is still queued on the stopped loop
        return loop

    async def later() -> None:
        async with fake.async_client() as client:
            assert (await client.post(LIST, json=minimal_body())).status_code == 200
            await asyncio.sleep(0)
            assert not coverage._queue

    stopped = request_on_a_loop_then_stop()
    asyncio.run(later())
    stopped.close()
    gone = weakref.ref(request_on_a_loop_then_stop())
    gone_loop = gone()
    assert gone_loop is not None
    gone_loop.close()
    del gone_loop
    gc.collect()
    assert gone() is None
    assert coverage.report().operations["create_model_template"].calls == 3


def test_runs_of_the_same_request_in_one_analysis_count_each_request() -> None:
    # One batch (analysed at the report) with runs of the same request, broken and resumed:
    # every request counts once, the last run too.
    fake = SGPFake(coverage=True)
    assert fake.coverage is not None
    invalid = minimal_body(endpoint_type="FAST")
    sent = ["bad", "bad", "good", "bad", "good", "good", "bad", "bad", "bad"]
    with fake.client() as client:
        for kind in sent:
            client.post(LIST, json=invalid if kind == "bad" else minimal_body())
    create = fake.coverage.report().operations["create_model_template"]
    assert create.calls == len(sent)
    assert create.status_codes == {"200": sent.count("good"), "422": sent.count("bad")}
    assert create.validation_errors == {"enum": sent.count("bad")}
