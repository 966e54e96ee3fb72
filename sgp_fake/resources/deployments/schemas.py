"""Pydantic v2 models of the SGP model-deployments contract, as the official SDK types it.

A deployment hangs under its model (``/v4/models/{model_instance_id}/deployments``) and belongs
to its model's account. Its ``vendor_configuration`` is a Launch or an LLM Engine one, told
apart by ``vendor`` (``LAUNCH`` when left out, as the SDK reads it). Its ``status`` is
``PENDING``, ``READY`` or ``FAILED`` (see ``sgp_fake.extras.transitions``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Dict, List, Literal, Optional, Union

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    WrapSerializer,
    field_serializer,
)

from ...core.lazy_model import LazyModel
from ..common import GPUType, IdentifierTypeEnum, utc_created_at

__all__ = [
    "DEPLOYMENT_STATUSES",
    "DeploymentListParams",
    "LLMEngineDeploymentVendorConfiguration",
    "LaunchDeploymentVendorConfiguration",
    "ModelDeployment",
    "ModelDeploymentPatch",
    "ModelDeploymentRequest",
    "PaginatedModelDeployments",
    "VendorConfiguration",
]

_CONFIG = ConfigDict(protected_namespaces=())

DEPLOYMENT_STATUSES = ("PENDING", "READY", "FAILED")
"""The statuses a deployment has: PENDING until its endpoint is ready, then READY; FAILED
only when a test forces it."""

_PER_WORKER = (
    "Concurrent requests one worker serves before the endpoint scales out, between "
    "min_workers and max_workers."
)


class LaunchDeploymentVendorConfiguration(LazyModel):
    """How Launch serves a deployment."""

    vendor: Literal["LAUNCH"] = "LAUNCH"
    min_workers: int = None  # type: ignore[assignment]
    max_workers: int = None  # type: ignore[assignment]
    per_worker: int = Field(None, description=_PER_WORKER)  # type: ignore[assignment]


class LLMEngineDeploymentVendorConfiguration(LazyModel):
    """How LLM Engine serves a deployment (``vendor`` says so: without it, a configuration is
    a Launch one)."""

    model_config = _CONFIG

    vendor: Literal["LLMENGINE"]
    base_model_name: str = None  # type: ignore[assignment]
    checkpoint_path: str = None  # type: ignore[assignment]
    model_name: str = None  # type: ignore[assignment]
    inference_framework_image_tag: str = None  # type: ignore[assignment]
    cpus: int = None  # type: ignore[assignment]
    gpus: int = None  # type: ignore[assignment]
    gpu_type: GPUType = None  # type: ignore[assignment]
    num_shards: int = None  # type: ignore[assignment]
    memory: str = None  # type: ignore[assignment]
    storage: str = None  # type: ignore[assignment]
    high_priority: bool = None  # type: ignore[assignment]
    min_workers: int = None  # type: ignore[assignment]
    max_workers: int = None  # type: ignore[assignment]
    per_worker: int = Field(None, description=_PER_WORKER)  # type: ignore[assignment]


def _launch_without_vendor(value: Any) -> Any:
    # A configuration without a vendor is a Launch one, as the SDK reads it back. Only the
    # missing key is filled in: everything else is the union discriminated by "vendor" that
    # the SDK's types describe, whose errors (a wrong or null tag, a value that is not an
    # object) are the ones FastAPI answers for it, never naming a function of the fake.
    if isinstance(value, dict) and "vendor" not in value:
        return {"vendor": "LAUNCH", **value}
    return value


def _none_or_variant(value: Any, handler: SerializerFunctionWrapHandler) -> Any:
    return None if value is None else handler(value)


VendorConfiguration = Annotated[
    Union[LaunchDeploymentVendorConfiguration, LLMEngineDeploymentVendorConfiguration],
    Field(discriminator="vendor"),
    BeforeValidator(_launch_without_vendor),
    # A field left out holds None, which the tagged union's serializer would warn about.
    WrapSerializer(_none_or_variant, return_type=Any),
]


class _DeploymentFields(LazyModel):
    """Fields a create request, an update and a stored deployment share, in that order."""

    model_config = _CONFIG

    name: str
    deployment_metadata: Dict[str, Any] = None  # type: ignore[assignment]
    model_creation_parameters: Dict[str, Any] = Field(
        None,  # type: ignore[arg-type]
        description="Values for the template's model_creation_parameters_schema, over the "
        "model's own: the merged values must fit the schema.",
    )
    vendor_configuration: VendorConfiguration = None  # type: ignore[assignment]


_WAIT = (
    "True (the default): answer READY at once. False: answer PENDING; the deployment turns "
    "READY after the fake's deployment_ready_after seconds (of its clock)."
)


class ModelDeploymentRequest(_DeploymentFields):
    """Body of ``POST /v4/models/{model_instance_id}/deployments``."""

    account_id: str = Field(
        None,  # type: ignore[assignment]
        description="The model's account (a deployment belongs to its model's account).",
    )
    wait_for_ready: bool = Field(True, description=_WAIT)


class ModelDeploymentPatch(_DeploymentFields):
    """Body of ``PATCH /v4/models/{model_instance_id}/deployments/{deployment_id}``."""

    name: str = None  # type: ignore[assignment]
    wait_for_ready: bool = Field(
        True, description=_WAIT + " Applies when vendor_configuration changes."
    )


class ModelDeployment(_DeploymentFields):
    """A deployment of a model, as every read and write answers it."""

    status: str = Field(description="PENDING, READY or FAILED.")
    model_instance_id: str = Field(description="The model deployed.")
    model_endpoint_id: str = Field(
        None,  # type: ignore[assignment]
        description="The serving endpoint.",
    )
    id: str = Field(description="Unique, opaque identifier of the deployment.")
    created_at: datetime = Field(description="When the deployment was created (ISO 8601, UTC).")
    account_id: str = Field(description="Account that owns the deployment: its model's.")
    created_by_user_id: str = Field(description="Identity that created the deployment.")
    created_by_identity_type: IdentifierTypeEnum = Field(
        description="Kind of identity that created the deployment."
    )

    @field_serializer("created_at")
    def _created_at_in_utc(self, value: datetime) -> str:
        return utc_created_at(value)


class PaginatedModelDeployments(LazyModel):
    """One page of a deployments list."""

    items: List[ModelDeployment]
    current_page: int = Field(description="The page returned, from 1.")
    items_per_page: int = Field(description="The page size asked for.")
    total_item_count: int = Field(description="How many deployments the query matches in all.")


SORT_FIELDS = (
    "model_creation_parameters",
    "model_endpoint_id",
    "model_instance_id",
    "vendor_configuration",
    "deployment_metadata",
    "status",
    "id",
    "created_at",
    "account_id",
    "created_by_user_id",
    "created_by_identity_type",
    "name",
)
if TYPE_CHECKING:
    SortBy = str
else:
    SortBy = Literal[tuple(f"{field}:{way}" for field in SORT_FIELDS for way in ("asc", "desc"))]


class DeploymentListParams(LazyModel):
    """Query parameters of the deployment lists."""

    account_id: Optional[str] = Field(None, description="Only deployments of this account.")
    limit: int = Field(100, description="Page size; below 1, an empty page.")
    page: int = Field(1, description="Page number, from 1; out of range, an empty page.")
    sort_by: List[SortBy] = Field(
        None,  # type: ignore[arg-type]
        description="field:asc or field:desc, comma-separated, the first deciding most; "
        "absent values last ascending, first descending. Default: creation order.",
    )
