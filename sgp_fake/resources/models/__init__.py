"""Models: ``/v4/models``, made from templates (or built in), and what deployments deploy."""

from __future__ import annotations

import dataclasses

from ...core.call import Call
from ...core.crud import crud
from ...core.operations import Operation, Reference, Resource
from ..common import GenericDeleteResponse
from . import handlers
from .schemas import (
    ModelInstance,
    ModelInstanceListParams,
    ModelInstancePatch,
    ModelInstanceRecord,
    ModelInstanceRequest,
    ModelInstanceRetrieveParams,
    ModelInstanceWithViews,
    PaginatedModelInstanceWithViews,
)
from .state import check_state

__all__ = ["RESOURCE"]


def _made_up(call: Call, model_id: str, account_id: str) -> bytes:
    # Faker loads only when contract mode first needs a model.
    from .factory import made_up

    identity = call.identity()
    return made_up(model_id, account_id, identity.user_id, identity.identity_type)


_TEMPLATE_ERRORS = {
    "400": "The model's type is not its template's",
    "404": "No template with that id in the model's account is visible to the caller",
}


def _documented(op: Operation) -> Operation:
    # What the models' own handlers answer beyond the standard operations.
    if op.verb == "create":
        return dataclasses.replace(op, errors=_TEMPLATE_ERRORS)
    if op.verb == "get":
        return dataclasses.replace(
            op, query=ModelInstanceRetrieveParams, response=ModelInstanceWithViews
        )
    if op.verb == "update":
        return dataclasses.replace(
            op,
            errors={
                "400": "The model's type is not its template's; or its model_template_id or "
                "model_type would change while it has deployments"
            },
        )
    return op


RESOURCE = Resource(
    kind="models",
    stored=ModelInstanceRecord,
    noun="Model",
    tag="Models",
    operations=tuple(
        _documented(op)
        for op in crud(
            "/v4/models",
            "model_id",
            noun="model",
            create=ModelInstanceRequest,
            response=ModelInstance,
            page=PaginatedModelInstanceWithViews,
            list_params=ModelInstanceListParams,
            deleted=GenericDeleteResponse,
            update=ModelInstancePatch,
            verbs=("create", "list", "get", "update", "delete"),
            handlers={
                "create": handlers.create,
                "list": handlers.list_models,
                "get": handlers.get,
                "update": handlers.update,
            },
            list_description="Models of the caller's accounts (or of account_id), in creation "
            "order unless sort_by says otherwise, filtered by model_type and model_group_id.",
            not_found="No model with that id is visible to the caller",
        )
    ),
    made_up=_made_up,
    references=(Reference("model_template_id", "model_templates", on_delete="restrict"),),
    render=handlers.render,
    example={"name": "gpt-4o-mini", "model_type": "CHAT_COMPLETION", "account_id": "acct_1"},
    check_state=check_state,
)
