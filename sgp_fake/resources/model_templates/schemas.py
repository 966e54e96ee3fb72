"""Pydantic v2 models of the SGP model-templates contract.

The JSON Schema these models generate equals the published contract's components (checked by
``tests/resources/model_templates/test_schema_parity.py``), so pydantic produces exactly the
validation errors the real
FastAPI service produces. Nullability is deliberate, field by field:

* ``Optional[X]`` fields accept an explicit ``null`` (the contract shows them as flattened
  ``anyOf [X, null]``).
* ``X = None`` fields may be left out but reject an explicit ``null`` with pydantic's error for
  ``X`` (``list_type``, ``enum``, ``model_attributes_type`` ...), as the real service does.
* The five optional fields the contract shows as a bare ``$ref`` (``endpoint_config``,
  ``fine_tuning_job_bundle_config``, both ``gpu_type`` and ``resources``) cannot be told apart by
  the contract; we accept ``null`` for them, matching the official SDK, which types each of them
  ``Optional``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Dict, List, Literal, Optional, Union

from pydantic import (
    ConfigDict,
    Field,
    field_serializer,
    model_serializer,
)

from ...core.lazy_model import LazyModel
from ..common import GPUType, IdentifierTypeEnum, ModelType, utc_created_at

__all__ = [
    "CreateModelEndpointConfig",
    "FineTuningBundleConfiguration",
    "LaunchEndpointProtocol",
    "LaunchVendorConfiguration",
    "ModelBundleConfiguration",
    "ModelEndpointType",
    "ModelTemplateListParams",
    "ModelTemplateRequest",
    "ModelTemplateResponse",
    "PaginatedModelTemplates",
    "ParameterSchema",
    "ParameterSchemaField",
    "RequiredResources",
    "TrainingDatasetORMSchemaTypeEnum",
]

# `model_` prefixed field names are part of the contract.
_CONFIG = ConfigDict(protected_namespaces=())


class ModelEndpointType(enum.StrEnum):
    """How a model endpoint is served."""

    SYNC = "SYNC"
    ASYNC = "ASYNC"
    STREAMING = "STREAMING"
    BATCH = "BATCH"


class LaunchEndpointProtocol(enum.StrEnum):
    """Calling convention of a Launch endpoint."""

    SGP = "SGP"
    COHERE = "COHERE"
    VLLM = "VLLM"


class TrainingDatasetORMSchemaTypeEnum(enum.StrEnum):
    """Shape of a fine-tuning dataset."""

    GENERATION = "GENERATION"
    RERANKING_QUESTIONS = "RERANKING_QUESTIONS"


class ModelBundleConfiguration(LazyModel):
    """Container image and routes of a model bundle."""

    registry: str
    image: str
    tag: str
    command: List[str] = None  # type: ignore[assignment]
    env: Dict[str, str] = None  # type: ignore[assignment]
    streaming_command: Optional[List[str]] = None
    readiness_initial_delay_seconds: int = 120
    healthcheck_route: str = "/readyz"
    predict_route: str = "/predict"
    streaming_predict_route: Optional[str] = "/generate_streaming"


class CreateModelEndpointConfig(LazyModel):
    """Resources and autoscaling of the endpoint a template deploys."""

    cpus: int = 3
    memory: str = "8Gi"
    storage: str = "16Gi"
    gpus: int = 0
    gpu_type: Optional[GPUType] = None
    min_workers: int = 0
    max_workers: int = 1
    per_worker: int = Field(
        10, description="Concurrent requests one worker serves before the endpoint scales out."
    )
    endpoint_type: ModelEndpointType = ModelEndpointType.ASYNC
    high_priority: Optional[bool] = False


class RequiredResources(LazyModel):
    """Resources a fine-tuning job needs."""

    cpus: int = 3
    memory: str = "8Gi"
    storage: str = "16Gi"
    gpus: int = 0
    gpu_type: Optional[GPUType] = None


class FineTuningBundleConfiguration(LazyModel):
    """Container image and resources of a fine-tuning job."""

    registry: str
    image: str
    tag: str
    command: List[str] = None  # type: ignore[assignment]
    env: Dict[str, str] = None  # type: ignore[assignment]
    mount_location: Optional[str] = Field(
        "/workspace/launch_specific/config.json",
        description="Where the job finds its configuration file.",
    )
    training_dataset_schema_type: TrainingDatasetORMSchemaTypeEnum = Field(
        None,  # type: ignore[assignment]
        description="Schema the training and validation datasets must follow.",
    )
    resources: Optional[RequiredResources] = None


class LaunchVendorConfiguration(LazyModel):
    """How the Launch service deploys a template."""

    vendor: Literal["LAUNCH"] = "LAUNCH"
    bundle_config: ModelBundleConfiguration
    endpoint_config: Optional[CreateModelEndpointConfig] = None
    fine_tuning_job_bundle_config: Optional[FineTuningBundleConfiguration] = None


_REQUIRED_NULLABLE = frozenset({"description", "required"})


class ParameterSchemaField(LazyModel):
    """One parameter a model accepts."""

    name: str
    type: Union[Literal["str"], Literal["int"], Literal["float"], Literal["bool"]]
    description: Optional[str]
    required: Optional[bool]

    # The return type given, not read from the annotation: a model built on first use would
    # read it in this module's namespace, which may be gone by then (see LazyModel).
    @model_serializer(mode="plain", return_type=Dict[str, Any])
    def _keep_required_keys(self) -> dict[str, Any]:
        # Answers leave out null fields, but these two are required: a null stays a null, in
        # field order (a plain serializer's dict is not filtered by exclude_none, and is cheaper
        # than a wrap).
        return {
            key: value
            for key, value in self.__dict__.items()
            if value is not None or key in _REQUIRED_NULLABLE
        }


class ParameterSchema(LazyModel):
    """A list of parameters."""

    parameters: List[ParameterSchemaField]


def _account_id() -> Any:
    return Field(
        description="Account that owns the template.", json_schema_extra={"can_patch": False}
    )


class _ModelTemplateFields(LazyModel):
    """The fields a create request and a stored template share, in the contract's order."""

    model_config = _CONFIG

    name: str
    endpoint_type: ModelEndpointType
    model_type: ModelType
    vendor_configuration: LaunchVendorConfiguration
    model_creation_parameters_schema: ParameterSchema = Field(
        None,  # type: ignore[assignment]
        description="Parameters that can be set when a model is created from the template.",
    )
    model_request_parameters_schema: ParameterSchema = Field(
        None,  # type: ignore[assignment]
        description="Parameters that can be set on each request to a model of the template.",
    )
    endpoint_protocol: LaunchEndpointProtocol = Field(
        None,  # type: ignore[assignment]
        description="Calling convention of the Launch endpoint.",
    )


class ModelTemplateRequest(_ModelTemplateFields):
    """Body of ``POST /v4/model-templates``."""

    account_id: str = _account_id()


class ModelTemplateResponse(_ModelTemplateFields):
    """A stored model template, as every read and write returns it."""

    id: str = Field(description="Unique, opaque identifier of the template.")
    created_at: datetime = Field(description="When the template was created (ISO 8601, UTC).")
    account_id: str = _account_id()
    created_by_user_id: str = Field(description="Identity that created the template.")
    created_by_identity_type: IdentifierTypeEnum = Field(
        description="Kind of identity that created the template."
    )

    @field_serializer("created_at")
    def _created_at_in_utc(self, value: datetime) -> str:
        return utc_created_at(value)


class PaginatedModelTemplates(LazyModel):
    """One page of ``GET /v4/model-templates``."""

    items: List[ModelTemplateResponse]
    current_page: int = Field(description="The page returned, from 1.")
    items_per_page: int = Field(description="The page size asked for.")
    total_item_count: int = Field(description="How many templates the query matches in all.")


class ModelTemplateListParams(LazyModel):
    """Query parameters of ``GET /v4/model-templates``."""

    account_id: Optional[str] = Field(None, description="Only templates of this account.")
    limit: int = Field(100, ge=1, le=10000, description="Page size, 1 to 10,000.")
    page: int = Field(1, ge=1, description="Page number, from 1.")
