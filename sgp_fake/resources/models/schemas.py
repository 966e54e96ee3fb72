"""Pydantic v2 models of the SGP models contract (``/v4/models``), as the official SDK types it.

A stored model (:class:`ModelInstanceRecord`) is what a create or an update wrote; the answers
(:class:`ModelInstance`, :class:`ModelInstanceWithViews`) add what is derived from the rest of
the state when they are read: ``deployment_count``, ``request_schema``, ``response_schema`` and
``supports_multi_turn`` (and the views). ``base_model_metadata.model_details`` is
``modelDetails`` on the wire, both ways, as the SDK sends and reads it.

As for templates, an optional field may be left out but an explicit ``null`` is refused with
pydantic's error for its type: the SDK never sends one, and no update clears a field.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Union

from pydantic import ConfigDict, Field, field_serializer

from ...core.lazy_model import LazyModel
from ..common import IdentifierTypeEnum, ModelType, utc_created_at
from ..deployments.schemas import ModelDeployment

__all__ = [
    "BaseModelMetadata",
    "ModelDetails",
    "ModelGroup",
    "ModelInstance",
    "ModelInstanceListParams",
    "ModelInstancePatch",
    "ModelInstanceRecord",
    "ModelInstanceRequest",
    "ModelInstanceRetrieveParams",
    "ModelInstanceWithViews",
    "ModelVendor",
    "PaginatedModelInstanceWithViews",
    "UiModelSectionType",
]

_CONFIG = ConfigDict(protected_namespaces=())


class ModelVendor(enum.StrEnum):
    """Who serves a model."""

    OPENAI = "OPENAI"
    COHERE = "COHERE"
    GOOGLE = "GOOGLE"
    VERTEX_AI = "VERTEX_AI"
    ANTHROPIC = "ANTHROPIC"
    LAUNCH = "LAUNCH"
    LLMENGINE = "LLMENGINE"
    BEDROCK = "BEDROCK"
    FIREWORKS_AI = "FIREWORKS_AI"
    OTHER = "OTHER"


class UiModelSectionType(enum.StrEnum):
    """Where the SGP interface lists a model."""

    PARTNER = "PARTNER"
    OPENSOURCE = "OPENSOURCE"
    CUSTOM = "CUSTOM"


class ModelDetails(LazyModel):
    """Sizes of a base model."""

    alignments: int = None  # type: ignore[assignment]
    languages: int = None  # type: ignore[assignment]
    number_of_parameters: int = None  # type: ignore[assignment]
    token_context_window: int = None  # type: ignore[assignment]


class BaseModelMetadata(LazyModel):
    """What is known of the model a model is built on."""

    model_config = _CONFIG

    delivery_date: str = None  # type: ignore[assignment]
    model_developer: str = None  # type: ignore[assignment]
    model_license_url: str = None  # type: ignore[assignment]
    model_details: ModelDetails = Field(None, alias="modelDetails")  # type: ignore[assignment]
    ui_model_section_type: UiModelSectionType = None  # type: ignore[assignment]


class _ModelFields(LazyModel):
    """Fields a create request, an update and a stored model share, in that order."""

    model_config = _CONFIG

    name: str
    model_type: ModelType
    base_model_id: str = None  # type: ignore[assignment]
    base_model_metadata: BaseModelMetadata = None  # type: ignore[assignment]
    description: str = None  # type: ignore[assignment]
    display_name: str = None  # type: ignore[assignment]
    model_card: str = None  # type: ignore[assignment]
    model_creation_parameters: Dict[str, Any] = Field(
        None,  # type: ignore[arg-type]
        description="Values for the template's model_creation_parameters_schema.",
    )
    model_group_id: str = None  # type: ignore[assignment]
    model_template_id: str = Field(
        None,  # type: ignore[assignment]
        description="The template the model is made from; a model without one is built in.",
    )
    model_vendor: ModelVendor = None  # type: ignore[assignment]
    training_data_card: str = None  # type: ignore[assignment]


class ModelInstanceRequest(_ModelFields):
    """Body of ``POST /v4/models``."""

    account_id: str = Field(description="Account that owns the model.")


class ModelInstancePatch(_ModelFields):
    """Body of ``PATCH /v4/models/{model_id}``: the fields to set, every one optional."""

    name: str = None  # type: ignore[assignment]
    model_type: ModelType = None  # type: ignore[assignment]


class ModelInstanceRecord(_ModelFields):
    """A stored model: what ``GET /_fake/state`` lists (the answers add the derived fields)."""

    id: str = Field(description="Unique, opaque identifier of the model.")
    created_at: datetime = Field(description="When the model was created (ISO 8601, UTC).")
    account_id: str = Field(description="Account that owns the model.")
    created_by_user_id: str = Field(description="Identity that created the model.")
    created_by_identity_type: IdentifierTypeEnum = Field(
        description="Kind of identity that created the model."
    )

    @field_serializer("created_at")
    def _created_at_in_utc(self, value: datetime) -> str:
        return utc_created_at(value)


class ModelInstance(ModelInstanceRecord):
    """A model, as a create and an update answer it."""

    deployment_count: int = Field(description="How many deployments the model has, now.")
    request_schema: Dict[str, Any] = Field(
        description="JSON Schema of the body of the model's inference route, with the "
        "template's request parameters as model_request_parameters.bindings."
    )
    response_schema: Dict[str, Any] = Field(
        description="JSON Schema of what the model's inference route answers."
    )
    supports_multi_turn: bool = Field(description="True for CHAT_COMPLETION models.")


class ModelGroup(LazyModel):
    """A group of models."""

    id: str
    account_id: str
    created_at: datetime
    created_by_identity_type: IdentifierTypeEnum
    created_by_user_id: str
    name: str
    description: Optional[str] = None


class ModelInstanceWithViews(ModelInstance):
    """A model, as a retrieve and a list answer it: with the views asked for."""

    deployments: List[ModelDeployment] = Field(
        None,  # type: ignore[arg-type]
        description="Every deployment of the model, oldest first (view=Deployments).",
    )
    model_group: ModelGroup = Field(
        None,  # type: ignore[assignment]
        description="The model's group (view=ModelGroup), when the fake holds it.",
    )


class PaginatedModelInstanceWithViews(LazyModel):
    """One page of ``GET /v4/models``."""

    items: List[ModelInstanceWithViews]
    current_page: int = Field(description="The page returned, from 1.")
    items_per_page: int = Field(description="The page size asked for.")
    total_item_count: int = Field(description="How many models the query matches in all.")


View = Literal["Deployments", "ModelGroup"]

SORT_FIELDS = (
    "display_name",
    "model_vendor",
    "base_model_id",
    "base_model_metadata",
    "model_creation_parameters",
    "model_card",
    "training_data_card",
    "description",
    "model_template_id",
    "model_group_id",
    "model_group",
    "request_schema",
    "response_schema",
    "deployment_count",
    "supports_multi_turn",
    "deployments",
    "id",
    "created_at",
    "account_id",
    "created_by_user_id",
    "created_by_identity_type",
    "name",
    "model_type",
)
if TYPE_CHECKING:
    SortBy = str
else:
    SortBy = Literal[tuple(f"{field}:{way}" for field in SORT_FIELDS for way in ("asc", "desc"))]


class ModelInstanceRetrieveParams(LazyModel):
    """Query parameters of ``GET /v4/models/{model_id}``."""

    view: List[View] = Field(
        None,  # type: ignore[arg-type]
        description="Views to add: Deployments, ModelGroup (comma-separated).",
    )


class ModelInstanceListParams(LazyModel):
    """Query parameters of ``GET /v4/models``."""

    account_id: Optional[str] = Field(None, description="Only models of this account.")
    limit: int = Field(100, description="Page size; below 1, an empty page.")
    page: int = Field(1, description="Page number, from 1; out of range, an empty page.")
    model_group_id: Union[int, str] = Field(
        None,  # type: ignore[assignment]
        description="Only models of this group (a value that names none gives an empty page).",
    )
    model_type: Union[int, str] = Field(
        None,  # type: ignore[assignment]
        description="Only models of this type (a value that names none gives an empty page).",
    )
    sort_by: List[SortBy] = Field(
        None,  # type: ignore[arg-type]
        description="field:asc or field:desc, comma-separated, the first deciding most; "
        "absent values last ascending, first descending. Default: creation order.",
    )
    view: List[View] = Field(
        None,  # type: ignore[arg-type]
        description="Views to add to each model: Deployments, ModelGroup (comma-separated).",
    )
