"""What the v5 models API does (``/v5/models``): records of the caller's selected account,
named ``<model_vendor>/<name>`` for the chat gateway.

* Every route needs ``x-selected-account-id`` (the v5 SDK always sends it): without it, FastAPI's
  422 for a missing header; a record of another account is 404, even one the key may use.
* A create is validated as the variant its ``model_vendor`` says (``launch``, ``llmengine`` or a
  hosted vendor; without one, an LLM Engine configuration is told by its ``model`` key). Launch
  and LLM Engine models are ``deploying``, then ``ready`` with the fake's clock
  (``deployment_ready_after``); hosted ones are ``ready`` at once.
* A name is unique per vendor and account: a clash is 400 unless ``on_conflict`` is ``update``
  (create) or ``swap`` (rename). A deploying model cannot be changed or deleted (400).
* Lists are cursor pages (``starting_after``, ``ending_before``, ``limit``, ``has_more``).

:func:`find_by_name`, :func:`ready_by_name` and :func:`callable_models` are what the gateway
calls to reach a record by ``vendor/name``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal, Mapping

import pydantic

from ...core.answers import Answer, ok
from ...core.bodies import require_finite
from ...core.call import Call, SelectedAccount
from ...core.crud import sort_records
from ...core.lazy_model import LazyModel
from ...core.table import Record, Table
from ...errors import BadRequest, NotFound, RequestValidationError
from ..common import cache_small
from .schemas import (
    HostedModelCreateRequest,
    InferenceModelRecord,
    LaunchModelCreateRequest,
    LaunchVendorConfiguration,
    LlmEngineModelCreateRequest,
    LlmEngineVendorConfiguration,
    ModelListParams,
    PartialLaunchVendorConfiguration,
    PartialLlmEngineVendorConfiguration,
    VendorProbe,
)

__all__ = [
    "KIND",
    "callable_models",
    "create",
    "delete",
    "find_by_name",
    "get",
    "list_models",
    "made_up",
    "model_name",
    "ready_by_name",
    "render",
    "selected_account",
    "update",
]

KIND = "v5_models"
"""The kind of the v5 model records: their table, state document key and state file kind."""

_DEPLOYED = ("launch", "llmengine")
_REASONS = {
    "deploying": b',"model_availability":"unavailable","status_reason":"The model is being '
    b'deployed: it is not ready for inference yet"}',
    "failed": b',"model_availability":"unavailable","status_reason":"The deployment failed"}',
    "deployment_timeout": b',"model_availability":"unavailable","status_reason":"The '
    b'deployment did not become ready in time"}',
    "ready": b',"model_availability":"available"}',
}


@cache_small(maxsize=4096)
def _keys(body: bytes) -> tuple[str, str, str]:
    """A stored model's ``model_vendor``, ``name`` and ``status``."""
    data = json.loads(body)
    return data["model_vendor"], data["name"], data["status"]


def model_name(record: Record) -> str:
    """The string the gateway's ``model`` takes for a record: ``<model_vendor>/<name>``."""
    vendor, name, _ = _keys(record.body)
    return f"{vendor}/{name}"


def render(call: Call, record: Record) -> bytes:
    """A model as every read answers it: the stored record, with ``model_availability`` and
    ``status_reason`` derived from its status."""
    _, _, status = _keys(record.body)
    return record.body[:-1] + _REASONS.get(status, b"}")


# -- the caller's account ----------------------------------------------------------------------


def selected_account(call: Call) -> str:
    """The account of a v5 request: its ``x-selected-account-id``, which every route declares
    (``headers=SelectedAccount``: the core has answered 401, 403, and FastAPI's 422 for a
    missing one, before the handler runs)."""
    # The header call answers the 422 when the handler is called outside its operation.
    return call.selected_account or call.headers(SelectedAccount).x_selected_account_id


def _find(call: Call, account_id: str) -> Record:
    """The model of the path, of the selected account (404; made up there in contract mode)."""
    record = call.find(account=account_id)
    if record.account_id != account_id:
        raise NotFound(f"Model {record.id} not found")
    return record


def _named(
    table: Table[Any], account_id: str | None, vendor: str | None, name: str, besides: str = ""
) -> Record | None:
    """The oldest model ``vendor``/``name`` of ``account_id`` (any account when ``None``; any
    vendor when ``vendor`` is ``None``)."""
    record: Record
    for record in table.referencing("name", name):
        if record.id == besides or (account_id is not None and record.account_id != account_id):
            continue
        if vendor is None or _keys(record.body)[0] == vendor:
            return record
    return None


def _refuse_deploying(record: Record, doing: str) -> None:
    if _keys(record.body)[2] == "deploying":
        raise BadRequest(
            f"Model {record.id} is deploying: it cannot be {doing} until its deployment ends"
        )


# -- what the gateway calls --------------------------------------------------------------------


def find_by_name(
    call: Call, vendor: str | None, name: str, account_id: str | None = None
) -> Record | None:
    """The model record ``vendor``/``name`` of the caller's account, status up to date, or
    ``None``: of ``account_id`` (a v4 body's), else of the selected account
    (``x-selected-account-id``), else the oldest such record of the accounts the caller may
    use. A ``vendor`` of ``None`` takes the oldest record of that name whatever its vendor
    (a v4 route names a model alone). Raises 401/403 as every route does."""
    call.identity()
    selected = account_id or call.selected_account
    table = call.table(KIND)
    if selected:
        return _named(table, selected, vendor, name)
    accounts = call.accounts(None)
    record: Record
    for record in table.referencing("name", name):
        if (accounts is None or record.account_id in accounts) and (
            vendor is None or _keys(record.body)[0] == vendor
        ):
            return record
    return None


def ready_by_name(
    call: Call, vendor: str, name: str, account_id: str | None = None
) -> Record | None:
    """:func:`find_by_name`, refusing a record that is not ``ready`` (400 naming the model
    and its status); ``None`` when the caller's account has no such record."""
    record = find_by_name(call, vendor, name, account_id)
    if record is not None:
        status = _keys(record.body)[2]
        if status != "ready":
            raise BadRequest(
                f"Model {vendor}/{name} ({record.id}) is {status}: it is not ready for inference"
            )
    return record


def callable_models(call: Call, account_id: str | None = None) -> list[Record]:
    """The ``ready`` model records of the caller's account (``account_id``, else the selected
    one, else every one the caller may use), oldest first."""
    selected = account_id or call.selected_account
    accounts = (selected,) if selected else call.accounts(None)
    table = call.table(KIND)
    return [r for r in table.records(accounts) if _keys(r.body)[2] == "ready"]


# -- create ------------------------------------------------------------------------------------


def _create_model(call: Call) -> type[pydantic.BaseModel]:
    """The create variant the body is: by its ``model_vendor``, else by the shape of its
    ``vendor_configuration`` (LLM Engine's has ``model``)."""
    probe = call.body(VendorProbe, free_form=True)
    vendor = probe.model_vendor
    if vendor is None:
        data = json.loads(call.raw_body)
        config = data.get("vendor_configuration")
        llm = isinstance(config, dict) and "model" in config and "model_image" not in config
        vendor = "llmengine" if llm else "launch"
    if vendor == "launch":
        return LaunchModelCreateRequest
    if vendor == "llmengine":
        return LlmEngineModelCreateRequest
    return HostedModelCreateRequest


def create(call: Call) -> Answer:
    """``POST /v5/models``."""
    account_id = selected_account(call)
    identity = call.identity()
    request: Any = call.body(_create_model(call))
    require_finite(request.model_dump())
    fields = request.model_dump(mode="json", exclude_none=True, exclude={"on_conflict"})
    vendor, name = fields["model_vendor"], fields["name"]
    fields["status"] = "deploying" if vendor in _DEPLOYED else "ready"
    table = call.table()
    with call.transaction():
        existing = _named(table, account_id, vendor, name)
        if existing is not None and request.on_conflict == "update":
            return ok(call.render(_replace(call, existing, fields)))
        store = True
        if existing is not None:
            if not call.settings.contract:
                raise BadRequest(
                    f"Model {vendor}/{name} exists already in account {account_id} "
                    f'({existing.id}): send on_conflict "update" to update it'
                )
            # Generated suites create the same placeholder name again and again: contract
            # mode answers the model it would make, and stores nothing.
            store = False
        record = table.create_record(fields, account_id, identity, store=store)
    return ok(call.render(record))


def _replace(call: Call, existing: Record, fields: dict[str, Any]) -> Record:
    """A create with ``on_conflict: "update"``: the fields it sends replace the record's; a
    new configuration deploys it again."""
    _refuse_deploying(existing, "updated")
    changes = {k: v for k, v in fields.items() if k not in ("name", "model_vendor", "status")}
    stored = existing.as_dict()
    if "vendor_configuration" in changes and changes["vendor_configuration"] != stored.get(
        "vendor_configuration"
    ):
        call.restart_lifecycle(existing.id)
        changes["status"] = "deploying"
    return call.patch(changes, existing.id)


# -- update ------------------------------------------------------------------------------------


class _UpdateBody(LazyModel):
    """The update body as first read: the configuration is checked against the model's own
    vendor afterwards."""

    model_config = pydantic.ConfigDict(protected_namespaces=())

    model_metadata: dict[str, Any] = None  # type: ignore[assignment]
    vendor_configuration: dict[str, Any] = None  # type: ignore[assignment]
    name: str = pydantic.Field(None, min_length=1)  # type: ignore[assignment]
    on_conflict: Literal["error", "swap"] = None  # type: ignore[assignment]


def _partial(call: Call, vendor: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration update validated as the model's vendor takes it (422 at
    ``["body", "vendor_configuration", ...]``; 400 for another vendor's)."""
    if vendor == "launch":
        model: type[pydantic.BaseModel] = PartialLaunchVendorConfiguration
        foreign = "model" in config
    else:
        model = PartialLlmEngineVendorConfiguration
        foreign = "model_image" in config or "model_infra" in config
    if foreign:
        raise BadRequest(f"The vendor configuration must be the model's own vendor's ({vendor})")
    try:
        partial = model.model_validate(config, extra=call.extra)
    except pydantic.ValidationError as exc:
        raise RequestValidationError(
            [
                {**e, "loc": ["body", "vendor_configuration", *e["loc"]]}
                for e in exc.errors(include_url=False)
            ]
        ) from None
    sent: dict[str, Any] = partial.model_dump(mode="json", exclude_unset=True)
    require_finite(sent, ("body", "vendor_configuration"))
    return sent


def _merged(vendor: str, stored: Mapping[str, Any], sent: Mapping[str, Any]) -> dict[str, Any]:
    """The stored configuration with an update's fields over it (a Launch model's image and
    infrastructure each merged key by key)."""
    merged = dict(stored)
    for key, value in sent.items():
        if vendor == "launch" and isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    full = LaunchVendorConfiguration if vendor == "launch" else LlmEngineVendorConfiguration
    result: dict[str, Any] = full.model_validate(merged).model_dump(mode="json", exclude_none=True)
    return result


def update(call: Call) -> Answer:
    """``PATCH /v5/models/{model_id}``: metadata, configuration and name, each when sent."""
    account_id = selected_account(call)
    request = call.body(_UpdateBody)
    sent = request.model_dump(exclude_unset=True)
    require_finite(sent)
    table = call.table()
    with call.transaction():
        record = _find(call, account_id)
        vendor, name, _ = _keys(record.body)
        _refuse_deploying(record, "changed")
        changes: dict[str, Any] = {}
        if "model_metadata" in sent:
            changes["model_metadata"] = sent["model_metadata"]
        if "vendor_configuration" in sent:
            if vendor not in _DEPLOYED:
                raise BadRequest(
                    f"Model {record.id} is served by {vendor}: it has no vendor configuration"
                )
            partial = _partial(call, vendor, sent["vendor_configuration"])
            stored = record.as_dict().get("vendor_configuration") or {}
            merged = _merged(vendor, stored, partial)
            if merged != stored:
                changes["vendor_configuration"] = merged
                changes["status"] = "deploying"
                if record.seq:
                    call.restart_lifecycle(record.id)  # back through deploying: its whole delay
        if "name" in sent and sent["name"] != name:
            holder = _named(table, account_id, vendor, sent["name"], besides=record.id)
            if holder is not None:
                if sent.get("on_conflict") != "swap":
                    raise BadRequest(
                        f"Model {vendor}/{sent['name']} exists already ({holder.id}): send "
                        'on_conflict "swap" to exchange the names'
                    )
                _refuse_deploying(holder, "renamed")
                if record.seq:
                    table.patch(holder.id, {"name": name})
            changes["name"] = sent["name"]
        record = call.patch(changes, record.id, account=account_id)
    return ok(call.render(record))


# -- get, delete, list -------------------------------------------------------------------------


def get(call: Call) -> Answer:
    """``GET /v5/models/{model_id}``."""
    return ok(call.render(_find(call, selected_account(call))))


def delete(call: Call) -> Answer:
    """``DELETE /v5/models/{model_id}``: a hard delete."""
    account_id = selected_account(call)
    with call.transaction():
        record = _find(call, account_id)
        _refuse_deploying(record, "deleted")
        call.delete(record)
    return ok(b'{"id":%s,"deleted":true,"object":"model"}' % json.dumps(record.id).encode())


def _position(call: Call, ids: list[str], cursor: str | None, which: str) -> int | None:
    """Where a cursor's model is in the list (``None``: no cursor). A cursor that names no
    model of the list is 400, but ignored in contract mode (a placeholder)."""
    if cursor is None:
        return None
    try:
        return ids.index(cursor)
    except ValueError:
        if call.settings.contract:
            return None
        raise BadRequest(f"{which}: no model {cursor} in this list") from None


def list_models(call: Call) -> Answer:
    """``GET /v5/models``: a cursor page of the selected account's models."""
    account_id = selected_account(call)
    params = call.query(ModelListParams)
    records: list[Record] = call.table().records((account_id,))
    if params.sort_by:
        records = sort_records(records, [f"{params.sort_by}:{params.sort_order}"])
    elif params.sort_order == "desc":
        records.reverse()
    ids = [record.id for record in records]
    after = _position(call, ids, params.starting_after, "starting_after")
    before = _position(call, ids, params.ending_before, "ending_before")
    window = records[(0 if after is None else after + 1) : before]
    if params.model_vendor is not None or params.name is not None:
        window = [
            r
            for r in window
            if (params.model_vendor is None or _keys(r.body)[0] == params.model_vendor)
            and (params.name is None or _keys(r.body)[1] == params.name)
        ]
    if params.limit < 1:
        items: list[Record] = []
    elif params.ending_before is not None:
        items = window[-params.limit :]  # paging backwards: the models just before the cursor
    else:
        items = window[: params.limit]
    has_more = params.limit >= 1 and len(window) > params.limit
    return ok(
        b"".join(
            (
                b'{"items":[',
                b",".join(call.render(record) for record in items),
                b'],"has_more":',
                b"true" if has_more else b"false",
                b"}",
            )
        )
    )


# -- contract mode -----------------------------------------------------------------------------

_MADE_UP_AT = datetime(2024, 1, 1, tzinfo=UTC)


def made_up(call: Call, model_id: str, account_id: str) -> bytes:
    """Contract mode's model for an id nobody created: a ``ready`` Launch model named after
    its id, the same for the same request; nothing is stored."""
    identity = call.identity()
    record = InferenceModelRecord.model_validate(
        {
            "name": model_id,
            "model_vendor": "launch",
            "model_type": "generic",
            "status": "ready",
            "model_metadata": {},
            "vendor_configuration": {
                "model_image": {
                    "command": ["python", "-m", "server"],
                    "registry": "123456789012.dkr.ecr.us-west-2.amazonaws.com",
                    "repository": "models",
                    "tag": "latest",
                },
                "model_infra": {},
            },
            "id": model_id,
            "created_at": _MADE_UP_AT,
            "account_id": account_id,
            "created_by_user_id": identity.user_id,
            "created_by_identity_type": identity.identity_type,
        }
    )
    return record.model_dump_json(exclude_none=True).encode()
