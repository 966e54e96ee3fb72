"""Pydantic v2 models of the v5 model records (``/v5/models``), as ``scale_gp_beta`` types them.

The request models are the SDK's ``model_create_params``/``model_update_params`` variants, one
class each, so that a 422 names the fields of the variant the body is (see :mod:`.handlers`,
which picks it). Nullability follows the v4 templates' rule: optional fields may be left out but
refuse an explicit ``null`` with pydantic's error for their type (the SDK never sends one).
The GPU names are the templates' :class:`~sgp_fake.resources.common.GPUType`, the same list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Literal, Optional, Union

from pydantic import ConfigDict, Field, RootModel, field_serializer

from ...core.lazy_model import LAZY, LazyModel
from ..common import GPUType, IdentifierTypeEnum, utc_created_at

__all__ = [
    "HOSTED_VENDORS",
    "STATUSES",
    "V5_VENDORS",
    "HostedModelCreateRequest",
    "InferenceModel",
    "InferenceModelRecord",
    "LaunchModelCreateRequest",
    "LaunchVendorConfiguration",
    "LlmEngineModelCreateRequest",
    "LlmEngineVendorConfiguration",
    "ModelCreateRequest",
    "ModelDeleteResponse",
    "ModelListParams",
    "ModelPage",
    "ModelUpdateRequest",
    "PartialLaunchVendorConfiguration",
    "PartialLlmEngineVendorConfiguration",
    "VendorProbe",
]

# `model_` prefixed field names are part of the contract.
_CONFIG = ConfigDict(protected_namespaces=())

HostedVendor = Literal[
    "openai",
    "cohere",
    "vertex_ai",
    "anthropic",
    "azure",
    "gemini",
    "model_zoo",
    "bedrock",
    "xai",
    "fireworks_ai",
]
Vendor = Literal[
    "openai",
    "cohere",
    "vertex_ai",
    "anthropic",
    "azure",
    "gemini",
    "launch",
    "llmengine",
    "model_zoo",
    "bedrock",
    "xai",
    "fireworks_ai",
]
V5_VENDORS: tuple[str, ...] = Vendor.__args__  # type: ignore[attr-defined]
"""Every ``model_vendor`` of the v5 API, in the SDK's order."""
HOSTED_VENDORS: tuple[str, ...] = HostedVendor.__args__  # type: ignore[attr-defined]
"""The vendors whose models are served elsewhere: created ``ready``, no deployment."""
ModelType = Literal["generic", "completion", "chat_completion"]
Status = Literal["failed", "ready", "deploying", "deployment_timeout"]
STATUSES: tuple[str, ...] = ("deploying", "ready", "failed", "deployment_timeout")
"""The statuses of a v5 model (lower case, as the SDK types them)."""


# -- vendor configurations ---------------------------------------------------------------------


class LaunchModelImage(LazyModel):
    """The container a Launch model runs."""

    command: List[str]
    registry: str
    repository: str
    tag: str
    env_vars: Dict[str, Any] = None  # type: ignore[assignment]
    healthcheck_route: str = None  # type: ignore[assignment]
    predict_route: str = None  # type: ignore[assignment]
    readiness_delay: int = None  # type: ignore[assignment]
    request_schema: Dict[str, Any] = None  # type: ignore[assignment]
    response_schema: Dict[str, Any] = None  # type: ignore[assignment]
    streaming_command: List[str] = None  # type: ignore[assignment]
    streaming_predict_route: str = None  # type: ignore[assignment]


class LaunchModelInfra(LazyModel):
    """Resources and autoscaling of a Launch model's endpoint; every field optional."""

    cpus: Union[str, int] = None  # type: ignore[assignment]
    endpoint_type: Literal["async", "sync", "streaming"] = None  # type: ignore[assignment]
    gpu_type: GPUType = None  # type: ignore[assignment]
    gpus: int = None  # type: ignore[assignment]
    high_priority: bool = None  # type: ignore[assignment]
    labels: Dict[str, str] = None  # type: ignore[assignment]
    max_workers: int = None  # type: ignore[assignment]
    memory: str = None  # type: ignore[assignment]
    min_workers: int = None  # type: ignore[assignment]
    per_worker: int = None  # type: ignore[assignment]
    public_inference: bool = None  # type: ignore[assignment]
    storage: str = None  # type: ignore[assignment]


class LaunchVendorConfiguration(LazyModel):
    """How the Launch service deploys a model: its image and its infrastructure."""

    model_config = _CONFIG

    model_image: LaunchModelImage
    model_infra: LaunchModelInfra


class _LlmEngineFields(LazyModel):
    model_config = ConfigDict(protected_namespaces=(), extra="allow")

    chat_template_override: str = None  # type: ignore[assignment]
    checkpoint_path: str = None  # type: ignore[assignment]
    cpus: int = None  # type: ignore[assignment]
    default_callback_url: str = None  # type: ignore[assignment]
    endpoint_type: str = None  # type: ignore[assignment]
    gpu_type: str = None  # type: ignore[assignment]
    gpus: int = None  # type: ignore[assignment]
    high_priority: bool = None  # type: ignore[assignment]
    inference_framework: str = None  # type: ignore[assignment]
    inference_framework_image_tag: str = None  # type: ignore[assignment]
    labels: Dict[str, str] = None  # type: ignore[assignment]
    max_workers: int = None  # type: ignore[assignment]
    memory: str = None  # type: ignore[assignment]
    min_workers: int = None  # type: ignore[assignment]
    nodes_per_worker: int = None  # type: ignore[assignment]
    num_shards: int = None  # type: ignore[assignment]
    per_worker: int = None  # type: ignore[assignment]
    post_inference_hooks: List[str] = None  # type: ignore[assignment]
    public_inference: bool = None  # type: ignore[assignment]
    quantize: str = None  # type: ignore[assignment]
    source: str = None  # type: ignore[assignment]
    storage: str = None  # type: ignore[assignment]


class LlmEngineVendorConfiguration(_LlmEngineFields):
    """How LLM Engine deploys a model; further keys are kept (the SDK types allow them)."""

    model: str


class PartialLaunchModelImage(LazyModel):
    """An update of a Launch model's image: the fields sent replace the stored ones."""

    command: List[str] = None  # type: ignore[assignment]
    env_vars: Dict[str, Any] = None  # type: ignore[assignment]
    healthcheck_route: str = None  # type: ignore[assignment]
    predict_route: str = None  # type: ignore[assignment]
    readiness_delay: int = None  # type: ignore[assignment]
    registry: str = None  # type: ignore[assignment]
    repository: str = None  # type: ignore[assignment]
    request_schema: Dict[str, Any] = None  # type: ignore[assignment]
    response_schema: Dict[str, Any] = None  # type: ignore[assignment]
    streaming_command: List[str] = None  # type: ignore[assignment]
    streaming_predict_route: str = None  # type: ignore[assignment]
    tag: str = None  # type: ignore[assignment]


class PartialLaunchVendorConfiguration(LazyModel):
    """An update of a Launch model's configuration, merged key by key over the stored one."""

    model_config = _CONFIG

    model_image: PartialLaunchModelImage = None  # type: ignore[assignment]
    model_infra: LaunchModelInfra = None  # type: ignore[assignment]


class PartialLlmEngineVendorConfiguration(_LlmEngineFields):
    """An update of an LLM Engine model's configuration, merged key by key."""

    model: str = None  # type: ignore[assignment]


# -- requests ----------------------------------------------------------------------------------


class VendorProbe(LazyModel):
    """What decides which create variant a body is: its ``model_vendor``, if sent."""

    model_config = _CONFIG

    model_vendor: Vendor = None  # type: ignore[assignment]


class _CreateFields(LazyModel):
    model_config = _CONFIG

    # Not empty: the gateway calls a record as "<model_vendor>/<name>", and "launch/" is no name.
    name: str = Field(
        min_length=1, description="Unique name of the model among its vendor's, per account."
    )
    model_metadata: Dict[str, Any] = None  # type: ignore[assignment]
    on_conflict: Literal["error", "update"] = Field(
        None,  # type: ignore[arg-type]
        description="What a name the vendor already has in the account does: refused (400, "
        "the default) or the record updated.",
    )


class LaunchModelCreateRequest(_CreateFields):
    """A model the Launch service deploys from a container image."""

    vendor_configuration: LaunchVendorConfiguration
    model_type: Literal["generic"] = "generic"
    model_vendor: Literal["launch"] = "launch"


class LlmEngineModelCreateRequest(_CreateFields):
    """A model LLM Engine deploys."""

    vendor_configuration: LlmEngineVendorConfiguration
    model_type: Literal["chat_completion"] = "chat_completion"
    model_vendor: Literal["llmengine"] = "llmengine"


class HostedModelCreateRequest(_CreateFields):
    """A model an external vendor serves: no deployment, ``ready`` at once."""

    model_type: ModelType
    model_vendor: HostedVendor


class ModelCreateRequest(
    RootModel[
        Union[LaunchModelCreateRequest, LlmEngineModelCreateRequest, HostedModelCreateRequest]
    ]
):
    """A create body, one of three variants: Launch, LLM Engine and hosted (the document's
    ``anyOf``, as pydantic and FastAPI give a plain Union: the variants have no required
    discriminator, since a Launch or LLM Engine body may leave ``model_vendor`` out). The
    handler validates a body as the variant its vendor says."""

    model_config = LAZY


class ModelUpdateRequest(LazyModel):
    """A change of a model: its metadata (replaced whole), its vendor configuration (merged;
    the model deploys again when it changes) and its name (``on_conflict: "swap"`` exchanges it
    with the model that holds it)."""

    model_config = _CONFIG

    model_metadata: Dict[str, Any] = None  # type: ignore[assignment]
    vendor_configuration: Union[
        PartialLaunchVendorConfiguration, PartialLlmEngineVendorConfiguration
    ] = None  # type: ignore[assignment]
    name: str = Field(None, min_length=1)  # type: ignore[assignment]
    on_conflict: Literal["error", "swap"] = None  # type: ignore[assignment]


class ModelListParams(LazyModel):
    """Query of ``GET /v5/models``."""

    model_config = _CONFIG

    starting_after: Optional[str] = Field(None, description="Id of the model the page follows.")
    ending_before: Optional[str] = Field(None, description="Id of the model the page precedes.")
    limit: int = Field(100, description="Models per page (below 1: an empty page).")
    model_vendor: Optional[Vendor] = None
    name: Optional[str] = None
    sort_by: Optional[str] = Field(
        None, description="Field to sort by (any of the model's; creation order by default)."
    )
    sort_order: Literal["asc", "desc"] = "asc"


# -- answers -----------------------------------------------------------------------------------


class InferenceModelRecord(LazyModel):
    """A v5 model as stored (answers add ``model_availability`` and ``status_reason``, derived
    from its status: see :class:`InferenceModel`)."""

    model_config = _CONFIG

    name: str
    model_vendor: Vendor
    model_type: ModelType
    status: Status
    object: Literal["model"] = "model"
    model_metadata: Optional[Dict[str, Any]] = None
    vendor_configuration: Optional[
        Union[LaunchVendorConfiguration, LlmEngineVendorConfiguration]
    ] = None
    id: str
    created_at: datetime
    account_id: str
    created_by_user_id: str
    created_by_identity_type: IdentifierTypeEnum

    @field_serializer("created_at")
    def _created_at_in_utc(self, value: datetime) -> str:
        return utc_created_at(value)


class InferenceModel(InferenceModelRecord):
    """A v5 model as every read answers it: the stored record and what its status says."""

    model_availability: Literal["unknown", "available", "unavailable"] = Field(
        description="available when ready, else unavailable."
    )
    status_reason: Optional[str] = Field(None, description="Why the model is not ready.")


class ModelPage(LazyModel):
    """A cursor page of ``GET /v5/models``."""

    items: List[InferenceModel]
    has_more: bool


class ModelDeleteResponse(LazyModel):
    """Answer to a delete: the model is gone (a hard delete)."""

    id: str
    deleted: bool
    object: Literal["model"] = "model"
