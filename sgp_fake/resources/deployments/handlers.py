"""What the model-deployments API does: every operation finds the model first.

* A deployment belongs to its model's account: an ``account_id`` in its body that differs is
  a 400 (one the caller may not use, a 403).
* Its ``model_creation_parameters`` are merged key by key over its model's and the merged
  values must fit the template's schema (422); it keeps only what it was sent.
* ``wait_for_ready`` (default true) answers ``READY`` at once; false answers ``PENDING``, and
  the deployment turns ``READY`` with the fake's clock (``deployment_ready_after``). An update
  that changes ``vendor_configuration`` goes through the same again.
* A built-in model's one deployment cannot be updated or deleted, and no other can be made
  under it (400).
"""

from __future__ import annotations

from typing import Any, Mapping

from ...core.answers import Answer, ok
from ...core.bodies import require_finite
from ...core.call import Call
from ...core.crud import DELETED, page_body, select
from ...core.table import Record
from ...errors import BadRequest
from ..model_templates.parameters import creation_parameters, require_parameters
from ..models.handlers import template_of
from .schemas import DeploymentListParams, ModelDeploymentPatch, ModelDeploymentRequest

__all__ = ["create", "delete", "get", "list_all", "list_deployments", "update"]

MODELS = "models"


def _model(call: Call, account_id: str | None = None) -> Record:
    """The model of the path (404; made up in contract mode, in ``account_id`` when given)."""
    return call.find(call.params["model_instance_id"], MODELS, account=account_id)


def _refuse_built_in(model: Record, doing: str) -> None:
    if model.as_dict().get("model_template_id") is None:
        raise BadRequest(
            f"Model {model.id} is built in: its one deployment is made with it, and {doing}"
        )


def _check_parameters(call: Call, model: Record, own: Mapping[str, Any] | None) -> None:
    """The deployment's creation parameters over its model's must fit the template (422)."""
    data = model.as_dict()
    template = template_of(call, data["model_template_id"], model.account_id, data["model_type"])
    merged = {**(data.get("model_creation_parameters") or {}), **(own or {})}
    require_parameters(creation_parameters(template.body), merged)


def create(call: Call) -> Answer:
    """``POST /v4/models/{model_instance_id}/deployments``. Under a made-up model (contract
    mode) it is answered, not stored."""
    identity = call.identity()
    request = call.body(ModelDeploymentRequest)
    if request.account_id is not None:
        call.require_account(request.account_id)
    require_finite(request.model_dump(by_alias=True))
    fields = request.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude={"account_id", "wait_for_ready"}
    )
    with call.transaction():
        model = _model(call, request.account_id)
        if request.account_id is not None and request.account_id != model.account_id:
            raise BadRequest(
                f"A deployment belongs to its model's account: model {model.id} is of account "
                f"{model.account_id}, not {request.account_id}"
            )
        _refuse_built_in(model, "it takes no other")
        _check_parameters(call, model, request.model_creation_parameters)
        fields["status"] = "READY" if request.wait_for_ready else "PENDING"
        fields["model_instance_id"] = model.id
        record = call.table().create_record(
            fields, model.account_id, identity, store=model.seq != 0
        )
    return ok(record.body)


def get(call: Call) -> Answer:
    """``GET /v4/models/{model_instance_id}/deployments/{deployment_id}``."""
    model = _model(call)
    return ok(call.find(parent=model.id, account=model.account_id).body)


def update(call: Call) -> Answer:
    """``PATCH .../deployments/{deployment_id}``: the fields sent; a new
    ``vendor_configuration`` makes it ``PENDING`` again unless ``wait_for_ready``."""
    call.identity()
    request = call.body(ModelDeploymentPatch)
    require_finite(request.model_dump(by_alias=True))
    fields = request.model_dump(
        mode="json", by_alias=True, exclude_unset=True, exclude={"wait_for_ready"}
    )
    with call.transaction():
        model = _model(call)
        _refuse_built_in(model, "it cannot be updated")

        def check(record: Record, merged: dict[str, Any]) -> Mapping[str, Any] | None:
            if "model_creation_parameters" in fields:
                _check_parameters(call, model, merged.get("model_creation_parameters"))
            # Compared as stored (defaults filled in): the same configuration sent again, with
            # or without its defaults, changes nothing.
            written = call.table().validate(merged).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            if written.get("vendor_configuration") != record.as_dict().get("vendor_configuration"):
                call.restart_lifecycle(record.id)  # back through PENDING: its whole delay
                return {"status": "READY" if request.wait_for_ready else "PENDING"}
            return None

        record = call.patch(fields, parent=model.id, account=model.account_id, check=check)
    return ok(record.body)


def delete(call: Call) -> Answer:
    """``DELETE .../deployments/{deployment_id}``."""
    with call.transaction():
        model = _model(call)
        record = call.find(parent=model.id, account=model.account_id)
        _refuse_built_in(model, "it cannot be deleted but with the model")
        call.delete(record)
    return ok(DELETED)


def _page(call: Call, parent: str | None) -> Answer:
    params = call.query(DeploymentListParams)
    accounts = call.accounts(params.account_id)
    items, total = select(
        call.table(),
        accounts,
        params.page,
        params.limit,
        parent=parent,
        sort_by=params.sort_by or (),
    )
    return ok(page_body(items, params.page, params.limit, total))


def list_deployments(call: Call) -> Answer:
    """``GET /v4/models/{model_instance_id}/deployments``: the model's deployments."""
    model = _model(call)
    return _page(call, model.id)


def list_all(call: Call) -> Answer:
    """``GET /v4/model-deployments``: the deployments of every model of the caller's
    accounts (or of ``account_id``)."""
    return _page(call, None)
