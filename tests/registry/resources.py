"""A resource is a folder and one registry line: everything else follows from its declaration.

``WIDGETS`` below is a plain CRUD resource written the way a resource folder is (its schemas,
its made-up record for contract mode, a ``Resource`` declaration from ``crud()``) and registered
only in the tests, by passing ``resources=(*REGISTRY, WIDGETS)``. With no other edit it gets
routing (fast and Starlette alike), exact validation, the OpenAPI document, journal tags,
coverage, the admin API's state document, per-account reset, contract mode, interception and
persistence: ``test_what_it_gets.py`` and its neighbours show it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, List, Literal, Optional

from pydantic import BaseModel, Field

from sgp_fake.core.call import Call
from sgp_fake.core.crud import crud
from sgp_fake.core.operations import Resource
from sgp_fake.resources import REGISTRY
from sgp_fake.resources.common import GenericDeleteResponse, IdentifierTypeEnum


class WidgetRequest(BaseModel):
    name: str
    color: Literal["red", "blue"] = "red"
    account_id: str


class Widget(BaseModel):
    name: str
    color: Literal["red", "blue"] = "red"
    id: str
    created_at: datetime
    account_id: str
    created_by_user_id: str
    created_by_identity_type: IdentifierTypeEnum


class WidgetPage(BaseModel):
    items: List[Widget]
    current_page: int
    items_per_page: int
    total_item_count: int


class WidgetListParams(BaseModel):
    account_id: Optional[str] = None
    limit: int = Field(100, ge=1, le=10000)
    page: int = Field(1, ge=1)


def made_up_widget(call: Call, widget_id: str, account_id: str) -> bytes:
    identity = call.identity()
    return (
        Widget(
            name=f"made-up {widget_id}",
            id=widget_id,
            created_at=datetime(2024, 1, 1),
            account_id=account_id,
            created_by_user_id=identity.user_id,
            created_by_identity_type=IdentifierTypeEnum(identity.identity_type),
        )
        .model_dump_json(exclude_none=True)
        .encode()
    )


WIDGETS = Resource(
    kind="widgets",
    stored=Widget,
    noun="Widget",
    tag="Widgets",
    operations=crud(
        "/v4/widgets",
        "widget_id",
        noun="widget",
        create=WidgetRequest,
        response=Widget,
        page=WidgetPage,
        list_params=WidgetListParams,
        deleted=GenericDeleteResponse,
    ),
    made_up=made_up_widget,
    example={"name": "w", "account_id": "acct_1"},
)

RESOURCES = (*REGISTRY, WIDGETS)  # the one registry line
WIDGET = {"name": "w", "color": "blue", "account_id": "acct_1"}


def _stored(widget_id: str, account_id: str = "acct_1") -> dict[str, Any]:
    return {
        "name": widget_id,
        "id": widget_id,
        "created_at": "2024-01-01T00:00:00+00:00",
        "account_id": account_id,
        "created_by_user_id": "u",
        "created_by_identity_type": "user",
    }
