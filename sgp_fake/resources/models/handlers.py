"""What the models API does beyond the standard operations.

* A create (and an update) is checked against the model's template: the template must be one of
  the model's account the caller may see (404 naming it), of the model's ``model_type`` (400),
  and ``model_creation_parameters`` must fit its ``model_creation_parameters_schema`` (422, see
  :mod:`sgp_fake.resources.model_templates.parameters`).
* A model without a template is built in: it gets one deployment at once, named after it and
  ``READY``, in the same transaction, and no other.
* An update cannot change ``model_template_id`` or ``model_type`` while the model has
  deployments (400).
* Every answer adds what is derived, not stored: ``deployment_count`` (live),
  ``request_schema`` and ``response_schema`` (see :mod:`.inference`), ``supports_multi_turn``,
  and the views asked for (``Deployments``, ``ModelGroup``).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from ...core.answers import Answer, ok
from ...core.bodies import require_finite
from ...core.call import Call
from ...core.crud import select
from ...core.table import Record, Table
from ...errors import BadRequest, NotFound
from ..common import cache_small
from ..model_templates.parameters import creation_parameters, require_parameters
from .call_bodies import model_schemas
from .schemas import (
    ModelInstanceListParams,
    ModelInstancePatch,
    ModelInstanceRequest,
    ModelInstanceRetrieveParams,
)

__all__ = [
    "DEPLOYMENTS",
    "GROUPS",
    "TEMPLATES",
    "create",
    "get",
    "list_models",
    "name_of",
    "render",
    "render_model",
    "update",
]

TEMPLATES = "model_templates"
DEPLOYMENTS = "deployments"
GROUPS = "model_groups"
"""The kind that would hold model groups (``view=ModelGroup``); the fake serves none yet."""

_CHAT = "CHAT_COMPLETION"


@cache_small(maxsize=1024)
def _keys(body: bytes) -> tuple[str, str | None]:
    """A stored model's ``model_type`` and ``model_template_id``."""
    data = json.loads(body)
    return data["model_type"], data.get("model_template_id")


@cache_small(maxsize=4096)
def _name(body: bytes) -> str:
    return str(json.loads(body)["name"])


def name_of(model: Record) -> str:
    """A model's name."""
    return _name(model.body)


def render_model(
    tables: Mapping[str, Table[Any]],
    record: Record,
    views: Sequence[str] = (),
    group: bytes | None = None,
) -> bytes:
    """The JSON a model is answered with: the stored record, what is derived from the rest of
    the state, and the ``views`` asked for (``group``: the model group's JSON, if held)."""
    model_type, template_id = _keys(record.body)
    template = None
    if template_id is not None:
        found = tables[TEMPLATES].get(template_id)
        template = None if found is None else found.body
    request_schema, response_schema = model_schemas(model_type, template)
    deployments = tables[DEPLOYMENTS]
    with deployments.lock:  # the count and the list of one answer agree
        count = deployments.count_children(record.id)
        children = deployments.children(record.id) if "Deployments" in views else []
    parts = [
        record.body[:-1],
        b',"deployment_count":%d' % count,
        b',"request_schema":',
        request_schema,
        b',"response_schema":',
        response_schema,
        b',"supports_multi_turn":true' if model_type == _CHAT else b',"supports_multi_turn":false',
    ]
    if "Deployments" in views:
        parts += [b',"deployments":[', b",".join(r.body for r in children), b"]"]
    if "ModelGroup" in views and group is not None:
        parts += [b',"model_group":', group]
    parts.append(b"}")
    return b"".join(parts)


def render(call: Call, record: Record) -> bytes:
    """The resource's ``render``: a model as a create or an update answers it."""
    return render_model(call.backend.tables, record)


def _group(call: Call, record: Record) -> bytes | None:
    """The JSON of the model's group, when the fake holds one the caller may see."""
    table = call.backend.tables.get(GROUPS)
    group_id = record.as_dict().get("model_group_id")
    if table is None or not isinstance(group_id, str):
        return None
    group = table.get(group_id)
    if group is None or not call.identity().may_use(group.account_id):
        return None
    return group.body  # type: ignore[no-any-return]


def _render_views(call: Call, record: Record, views: Sequence[str]) -> bytes:
    group = _group(call, record) if "ModelGroup" in views else None
    return render_model(call.backend.tables, record, views, group)


# -- the template ------------------------------------------------------------------------------


def template_of(
    call: Call, template_id: str, account_id: str, model_type: str, *, made_up: bool = True
) -> Record:
    """The template a model of ``account_id`` names: one of that account the caller may see,
    else 404 naming it. In contract mode an unknown one is made up to fit (unless ``made_up``
    is false): of the model's account and type, with no parameter schemas."""
    template = call.find(
        template_id,
        TEMPLATES,
        made_up=made_up,
        account=account_id,
        fit={
            "model_type": model_type,
            "model_creation_parameters_schema": None,
            "model_request_parameters_schema": None,
        },
    )
    if template.account_id != account_id:
        noun = call.backend.resources[TEMPLATES].noun
        raise NotFound(f"{noun} {template_id} not found")
    return template


def check_against_template(
    call: Call,
    model: Mapping[str, Any],
    account_id: str,
    *,
    model_id: str | None = None,
    made_up: bool = True,
) -> Record | None:
    """Check a model (as it would be stored) against its template: found (404; in contract
    mode made up, unless ``made_up`` is false), of the same type (400), creation parameters
    that fit (422). Returns the template, or ``None`` for a built-in model."""
    template_id = model.get("model_template_id")
    if template_id is None:
        return None
    model_type = str(model["model_type"])
    template = template_of(call, template_id, account_id, model_type, made_up=made_up)
    template_type = template.as_dict()["model_type"]
    if template_type != model_type:
        what = "The model" if model_id is None else f"Model {model_id}"
        raise BadRequest(
            f"{what} is of type {model_type}, but model template {template_id} makes models "
            f"of type {template_type}"
        )
    require_parameters(creation_parameters(template.body), model.get("model_creation_parameters"))
    return template


# -- operations --------------------------------------------------------------------------------


def create(call: Call) -> Answer:
    """``POST /v4/models``: a model from its template, or a built-in model with its one
    deployment. Under a made-up template (contract mode) it is answered, not stored."""
    identity = call.identity()
    request = call.body(ModelInstanceRequest)
    account_id = request.account_id
    call.require_account(account_id)
    require_finite(request.model_dump(by_alias=True))
    fields = request.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude={"account_id"}
    )
    table = call.table()
    with call.transaction():
        template = check_against_template(call, fields, account_id)
        if template is not None and template.seq == 0:
            record = table.create_record(fields, account_id, identity, store=False)
        else:
            record = table.create_record(fields, account_id, identity)
            if template is None:
                # Built in: its one deployment comes with it, in the same transaction.
                call.table(DEPLOYMENTS).create_record(
                    {"name": request.name, "status": "READY", "model_instance_id": record.id},
                    account_id,
                    identity,
                )
    return ok(call.render(record))


def get(call: Call) -> Answer:
    """``GET /v4/models/{model_id}``, with the views asked for."""
    params = call.query(ModelInstanceRetrieveParams)
    record = call.find()
    return ok(_render_views(call, record, params.view or ()))


def _value(tables: Mapping[str, Table[Any]]) -> Any:
    """What a model sorts by for a field, derived fields included."""

    def value(record: Record, field: str) -> Any:
        if field in ("deployment_count", "deployments"):
            return tables[DEPLOYMENTS].count_children(record.id)
        model_type, template_id = _keys(record.body)
        if field == "supports_multi_turn":
            return model_type == _CHAT
        if field in ("request_schema", "response_schema"):
            template = tables[TEMPLATES].get(template_id) if template_id else None
            schemas = model_schemas(model_type, None if template is None else template.body)
            return schemas[field == "response_schema"].decode()
        if field == "model_group":
            field = "model_group_id"
        return record.as_dict().get(field)

    return value


def list_models(call: Call) -> Answer:
    """``GET /v4/models``: filtered by type and group, sorted, paged, with views."""
    params = call.query(ModelInstanceListParams)
    accounts = call.accounts(params.account_id)
    wanted: dict[str, str] = {}
    if params.model_type is not None:
        wanted["model_type"] = str(params.model_type)
    if params.model_group_id is not None:
        wanted["model_group_id"] = str(params.model_group_id)

    def where(record: Record) -> bool:
        data = record.as_dict()
        return all(data.get(field) == value for field, value in wanted.items())

    items, total = select(
        call.table(),
        accounts,
        params.page,
        params.limit,
        where=where if wanted else None,
        sort_by=params.sort_by or (),
        value=_value(call.backend.tables),
    )
    views = params.view or ()
    body = b"".join(
        (
            b'{"items":[',
            b",".join(_render_views(call, record, views) for record in items),
            b'],"current_page":%d,"items_per_page":%d,"total_item_count":%d}'
            % (params.page, params.limit, total),
        )
    )
    return ok(body)


def update(call: Call) -> Answer:
    """``PATCH /v4/models/{model_id}``: the fields sent, the whole model checked again."""
    call.identity()
    request = call.body(ModelInstancePatch)
    require_finite(request.model_dump(by_alias=True))
    fields = request.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def check(record: Record, merged: dict[str, Any]) -> None:
        stored = record.as_dict()
        deployments = call.table(DEPLOYMENTS).count_children(record.id) if record.seq else 0
        for field in ("model_template_id", "model_type"):
            if deployments and merged.get(field) != stored.get(field):
                raise BadRequest(
                    f"Model {record.id} has {deployments} deployment"
                    f"{'' if deployments == 1 else 's'}: its {field} cannot change"
                )
        # A stored model keeps a template that is stored (404 in contract mode too, as the
        # standard update has it): one made up would be gone once answered, and the state
        # file or document holding the model would then be refused.
        check_against_template(
            call, merged, record.account_id, model_id=record.id, made_up=record.seq == 0
        )

    return ok(call.render(call.patch(fields, check=check)))
