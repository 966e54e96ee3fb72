"""Model deployments: ``/v4/models/{model_instance_id}/deployments`` and
``/v4/model-deployments``, each deployment under its model, with a status on the fake's clock."""

from __future__ import annotations

import dataclasses

from ...core.call import Call
from ...core.crud import crud
from ...core.operations import Lifecycle, Operation, Reference, Resource
from ..common import GenericDeleteResponse
from . import handlers
from .schemas import (
    DEPLOYMENT_STATUSES,
    DeploymentListParams,
    ModelDeployment,
    ModelDeploymentPatch,
    ModelDeploymentRequest,
    PaginatedModelDeployments,
)
from .state import check_state

__all__ = ["RESOURCE"]


def _made_up(call: Call, deployment_id: str, account_id: str) -> bytes:
    # Faker loads only when contract mode first needs a deployment.
    from .factory import made_up

    identity = call.identity()
    model_id = call.params.get("model_instance_id", "model_instance_id")
    return made_up(deployment_id, model_id, account_id, identity.user_id, identity.identity_type)


_NOT_FOUND = "No model with that id, or no deployment with that id under it, is visible"
_BUILT_IN = "The model is built in: its one deployment"


def _documented(op: Operation) -> Operation:
    # What the deployments' own handlers answer beyond the standard operations.
    errors = {
        "create": {
            "400": "The body's account_id is not the model's, or the model is built in (it "
            "takes no other deployment)",
            "404": "No model with that id is visible to the caller",
        },
        "list": {"404": "No model with that id is visible to the caller"},
        "update": {"400": f"{_BUILT_IN} cannot be updated"},
        "delete": {"400": f"{_BUILT_IN} cannot be deleted but with the model"},
    }.get(op.verb)
    return op if errors is None else dataclasses.replace(op, errors=errors)


_CRUD = crud(
    "/v4/models/{model_instance_id}/deployments",
    "deployment_id",
    noun="model_deployment",
    create=ModelDeploymentRequest,
    response=ModelDeployment,
    page=PaginatedModelDeployments,
    list_params=DeploymentListParams,
    deleted=GenericDeleteResponse,
    update=ModelDeploymentPatch,
    verbs=("create", "list", "get", "update", "delete"),
    handlers={
        "create": handlers.create,
        "list": handlers.list_deployments,
        "get": handlers.get,
        "update": handlers.update,
        "delete": handlers.delete,
    },
    list_description="The model's deployments, in creation order unless sort_by says otherwise.",
    not_found=_NOT_FOUND,
)

LIST_ALL = Operation(
    "list_all_model_deployments",
    "GET",
    "/v4/model-deployments",
    handlers.list_all,
    summary="List All Model Deployments",
    description="The deployments of every model of the caller's accounts (or of account_id), "
    "in creation order unless sort_by says otherwise.",
    query=DeploymentListParams,
    response=PaginatedModelDeployments,
)

RESOURCE = Resource(
    kind="deployments",
    stored=ModelDeployment,
    noun="Model deployment",
    tag="Model Deployments",
    operations=(*(_documented(op) for op in _CRUD), LIST_ALL),
    made_up=_made_up,
    parent_field="model_instance_id",
    references=(Reference("model_instance_id", "models", on_delete="cascade"),),
    lifecycle=Lifecycle(delay="deployment_ready_after", statuses=DEPLOYMENT_STATUSES),
    example={"name": "gpt-4o-mini-prod", "account_id": "acct_1"},
    check_state=check_state,
)
