"""Every module path and public name of the package before it was laid out by resource still
imports, and the old ways of using them still work."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from sgp_fake import SGPFake
from sgp_fake.settings import DEFAULT_IDENTITY

from .conftest import minimal_body

# Each module's __all__ as it was: a user's import of any of these must keep working.
BEFORE = {
    "access": "ADMIN_TOKEN_ENV AccessPolicy AccessRefused AdminTokenRequired CrossOriginRefused "
    "DASHBOARD_PREFIX HostNotAllowed LOOPBACK_HOSTS check_token is_loopback serve_with",
    "admin": "AdminBackend FaultList FaultSpec FaultView MAX_TEMPLATE_ID_LENGTH RateLimitSpec "
    "RateLimitState RequestLog RequestView ResetResult StateDocument StateTemplate "
    "admin_openapi_bytes admin_routes",
    "app": "create_app",
    "cli": "DEFAULT_PORT build_parser main",
    "cli.process": "ADMIN_TOKEN_PREFIX READY_PREFIX ServerProcess",
    "cli.serve": "SetupError build_fake serve",
    "contract": "CONTRACT_ACCOUNT_ID contract_account contract_template",
    "coverage": "Coverage CoverageReport EnumCoverage FieldCoverage ObservedJournal "
    "OperationCoverage",
    "deterministic": "Deterministic EPOCH StepClock deterministic",
    "errors": "BodyParseError FakeHTTPError NotAuthenticated NotFound PayloadTooLarge "
    "PermissionDenied RequestValidationError",
    "examples": "EXAMPLES_SEED FULL_REQUEST MINIMAL_REQUEST build_examples example_names "
    "load_example same_except_volatile volatile_paths write_examples",
    "factories": "OMIT OptionalSections TemplateFactory deep_merge seed_templates",
    "fake": "DEFAULT_API_KEY DEFAULT_BASE_URL SGPFake",
    "fastpath": "request_json validate_request",
    "faults": "ConnectionFault FaultRule FaultRules MAX_LATENCY",
    "intercept": "BASE_URL_ENV Interceptor UnhandledRequest",
    "journal": "DEFAULT_JOURNAL_LIMIT Journal JournalEntry",
    "models": "CreateModelEndpointConfig FineTuningBundleConfiguration GPUType "
    "GenericDeleteResponse HTTPValidationError IdentifierTypeEnum LaunchEndpointProtocol "
    "LaunchVendorConfiguration ModelBundleConfiguration ModelEndpointType "
    "ModelTemplateListParams ModelTemplateRequest ModelTemplateResponse ModelType "
    "PaginatedModelTemplates ParameterSchema ParameterSchemaField RequiredResources "
    "TrainingDatasetORMSchemaTypeEnum ValidationError",
    "openapi": "REF_TEMPLATE build_openapi error_response openapi_bytes schema_ref",
    "payloads": "INVALID_PAYLOAD_NAMES InvalidPayload Path bad_enum bad_parameter_type "
    "empty_body invalid_payloads malformed_json missing not_an_object text_content_type "
    "truncated_json wrong_type",
    "persistence": "APPLICATION_ID DurableModelTemplateStore SCHEMA_VERSION StateFileError",
    "query": "ACCOUNT_PARAM ParsedQuery account_of parse_query",
    "ratelimit": "MAX_BURST MIN_RATE RateLimit RateLimitVerdict RateLimiter",
    "live_server": "LiveServer with_socket_faults",
    "settings": "DEFAULT_IDENTITY DEFAULT_MAX_BODY_SIZE FakeSettings Identity load_api_keys "
    "parse_api_key",
    "store": "Clock IdGenerator ModelTemplateStore StoredTemplate random_ids seeded_ids utc_now",
    "transport": "AsyncFakeTransport FakeTransport",
    "validation": "decode_json_body is_json_content_type render_errors validate_body",
}


@pytest.mark.parametrize("module", sorted(BEFORE))
def test_every_former_name_still_imports(module: str) -> None:
    imported = importlib.import_module(f"sgp_fake.{module}")
    for name in BEFORE[module].split():
        assert hasattr(imported, name), f"sgp_fake.{module}.{name} is gone"
        assert name in imported.__all__, f"sgp_fake.{module}.__all__ lost {name}"


def test_former_defaults_still_work() -> None:
    from sgp_fake.admin import admin_openapi_bytes
    from sgp_fake.coverage import Coverage
    from sgp_fake.openapi import build_openapi, openapi_bytes

    assert "/v4/model-templates" in build_openapi()["paths"]
    assert b'"/_fake/reset"' in admin_openapi_bytes()
    assert build_openapi()["paths"] == json.loads(openapi_bytes())["paths"]
    assert "create_model_template" in Coverage().report().operations


def test_a_store_can_still_be_swapped_and_listened_to_as_before() -> None:
    fake = SGPFake()
    events: list[tuple[str, str]] = []
    fake.store.add_listener(lambda event, template: events.append((event, template.id)))
    with fake.client() as client:
        created = client.post("/v4/model-templates", json=minimal_body()).json()
    assert events == [("put", created["id"])]
    from sgp_fake.store import ModelTemplateStore

    fresh = ModelTemplateStore()
    fake.store = fresh
    assert fake.store is fresh
    with fake.client() as client:
        assert client.get("/v4/model-templates").json()["total_item_count"] == 0


def test_a_durable_template_store_still_works_alone(tmp_path: Path) -> None:
    from sgp_fake.models import ModelTemplateRequest
    from sgp_fake.persistence import DurableModelTemplateStore

    path = tmp_path / "templates.db"
    store = DurableModelTemplateStore(path)
    assert store.created
    made: Any = store.create(ModelTemplateRequest.model_validate(minimal_body()), DEFAULT_IDENTITY)
    store.close()
    again = DurableModelTemplateStore(path)
    try:
        assert not again.created
        assert [t.body for t in again.all()] == [made.body]
    finally:
        again.close()
    fake = SGPFake(state_file=path)  # the same file serves a whole fake
    try:
        assert fake.store.get(made.id) is not None
    finally:
        fake.close()


def test_the_former_coverage_journal_still_counts() -> None:
    from sgp_fake.coverage import Coverage, ObservedJournal

    coverage = Coverage()
    journal = ObservedJournal(coverage, limit=0)
    journal.record_asgi(
        "GET", "/v4/model-templates", b"", [], b"", 200, b"{}", [], operation="list_model_templates"
    )
    assert coverage.report().operations["list_model_templates"].calls == 1
