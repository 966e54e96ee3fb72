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
* The routes that name a deployment by ``{model_deployment_id}`` alone (inference, usage
  statistics) find it with :func:`find_deployment`: one the caller may see (404; a model's id
  there is a 404 that says so and lists the model's deployments). Fault rules match what they
  are about (:func:`about`: the deployment, its model, the prompts of the body).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from ...core.answers import Answer, ok
from ...core.bodies import require_finite
from ...core.call import Call
from ...core.crud import DELETED, page_body, select
from ...core.facts import Facts
from ...core.table import Record
from ...errors import BadRequest, NotFound
from ..common import cache_small
from ..model_templates.parameters import creation_parameters, require_parameters
from ..models.handlers import name_of, template_of
from .schemas import DeploymentListParams, ModelDeploymentPatch, ModelDeploymentRequest

__all__ = [
    "NOT_FOUND",
    "about",
    "create",
    "delete",
    "find_deployment",
    "get",
    "list_all",
    "list_deployments",
    "update",
]

DEPLOYMENTS = "deployments"
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
            written = (
                call.table()
                .validate(merged)
                .model_dump(mode="json", by_alias=True, exclude_none=True)
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


# -- for the routes that call a deployment (inference) or read what it served (usage) ---------


NOT_FOUND = (
    "No deployment with that id is visible to the caller (for a model's id, the detail says so "
    "and lists its deployments)"
)
"""The 404 of a route whose deployment :func:`find_deployment` finds, as documented."""


@cache_small(maxsize=4096)
def _data(body: bytes) -> Mapping[str, Any]:
    """A record's JSON decoded, once per version of it (read only)."""
    data: dict[str, Any] = json.loads(body)
    return data


def find_deployment(call: Call, deployment_id: str, model: Record | None = None) -> Record:
    """The deployment ``deployment_id`` the caller may see (of ``model`` when given): 404, one
    that names a model's id where a deployment's belongs; made up in contract mode."""
    identity = call.identity()
    tables = call.backend.tables
    found = tables[DEPLOYMENTS].get(deployment_id)
    if (
        found is not None
        and identity.may_use(found.account_id)
        and (model is None or found.parent == model.id)
    ):
        return found  # type: ignore[no-any-return]
    if found is None:
        named = tables[MODELS].get(deployment_id)
        if model is None and named is not None and identity.may_use(named.account_id):
            ids = [d.id for d in tables[DEPLOYMENTS].children(named.id)]
            which = f"its deployments are {', '.join(ids)}" if ids else "it has no deployment"
            noun = call.backend.resources[DEPLOYMENTS].noun
            raise NotFound(
                f"{noun} {deployment_id} not found: {deployment_id} is a model id, and {which}"
            )
    if model is None:
        return call.find(deployment_id, DEPLOYMENTS)
    return call.find(deployment_id, DEPLOYMENTS, parent=model.id, account=model.account_id)


def about(call: Call) -> Facts:
    """The deployment (id and name), model (id and name), account (the deployment's, else the
    model's: what a call that names no account acts for) and prompts a request is about, read
    from the records and the body as they are (the request may be invalid)."""
    tables = call.backend.tables
    facts: dict[str, tuple[str, ...]] = {}
    model_id = call.params.get("model_instance_id")
    deployment_id = call.params.get("model_deployment_id")
    if deployment_id is not None:
        facts["deployment"] = (deployment_id,)
        deployment = tables[DEPLOYMENTS].stored(deployment_id)
        if deployment is not None:
            data = _data(deployment.body)
            facts["deployment"] = (deployment_id, str(data.get("name")))
            facts["account"] = (deployment.account_id,)
            model_id = model_id or data.get("model_instance_id")
    if model_id is not None:
        facts["model"] = (model_id,)
        model = tables[MODELS].stored(model_id)
        if model is not None:
            facts["model"] = (model_id, name_of(model))
            facts.setdefault("account", (model.account_id,))
    name = call.params.get("model_name")
    if name is not None:
        facts["model"] = (name,)
    if call.raw_body:
        facts["prompt"] = _body_prompts(call.raw_body)
    return facts


def _body_prompts(raw: bytes) -> tuple[str, ...]:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return ()
    if not isinstance(body, dict):
        return ()
    found: list[str] = []
    for key in ("prompt", "query"):
        if isinstance(body.get(key), str):
            found.append(body[key])
    for key in ("prompts", "texts"):
        items = body.get(key)
        if isinstance(items, list):
            found.extend(item for item in items if isinstance(item, str))
    return tuple(found)
