"""Test-only resources that refer to others, for the dashboard's links: a template has gadgets,
a gadget has gizmos (as a template has models, and a model deployments)."""

from __future__ import annotations

from datetime import datetime
from typing import List, Literal, Optional

from pydantic import BaseModel, Field

from sgp_fake.core.crud import crud
from sgp_fake.core.operations import Reference, Resource
from sgp_fake.resources import REGISTRY
from sgp_fake.resources.common import GenericDeleteResponse, IdentifierTypeEnum


class _ListParams(BaseModel):
    account_id: Optional[str] = None
    limit: int = Field(100, ge=1, le=10000)
    page: int = Field(1, ge=1)


class GadgetRequest(BaseModel):
    name: str
    account_id: str
    model_template_id: str


class Gadget(GadgetRequest):
    id: str
    created_at: datetime
    created_by_user_id: str
    created_by_identity_type: IdentifierTypeEnum


class GadgetPage(BaseModel):
    items: List[Gadget]
    current_page: int
    items_per_page: int
    total_item_count: int


class GizmoRequest(BaseModel):
    name: str
    account_id: str
    gadget_id: str
    status: Literal["PENDING", "READY", "FAILED"] = "PENDING"


class Gizmo(GizmoRequest):
    id: str
    created_at: datetime
    created_by_user_id: str
    created_by_identity_type: IdentifierTypeEnum


class GizmoPage(BaseModel):
    items: List[Gizmo]
    current_page: int
    items_per_page: int
    total_item_count: int


GADGETS = Resource(
    kind="gadgets",
    stored=Gadget,
    noun="Gadget",
    operations=crud(
        "/v4/gadgets",
        "gadget_id",
        noun="gadget",
        create=GadgetRequest,
        response=Gadget,
        page=GadgetPage,
        list_params=_ListParams,
        deleted=GenericDeleteResponse,
    ),
    references=(Reference("model_template_id", "model_templates"),),
)

GIZMOS = Resource(
    kind="gizmos",
    stored=Gizmo,
    noun="Gizmo",
    operations=crud(
        "/v4/gizmos",
        "gizmo_id",
        noun="gizmo",
        create=GizmoRequest,
        response=Gizmo,
        page=GizmoPage,
        list_params=_ListParams,
        deleted=GenericDeleteResponse,
    ),
    references=(Reference("gadget_id", "gadgets"),),
)

LINKED = (*REGISTRY, GADGETS, GIZMOS)
