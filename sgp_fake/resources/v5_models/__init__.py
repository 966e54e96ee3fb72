"""v5 model records: ``/v5/models``, the models of an account the chat gateway calls by
``<model_vendor>/<name>``, deployed (Launch, LLM Engine) or served by a hosted vendor."""

from __future__ import annotations

import dataclasses
import functools

from ...core.call import SelectedAccount
from ...core.crud import crud
from ...core.operations import Lifecycle, Operation, Resource
from ...core.table import Table
from . import handlers
from .schemas import (
    STATUSES,
    InferenceModel,
    InferenceModelRecord,
    ModelCreateRequest,
    ModelDeleteResponse,
    ModelListParams,
    ModelPage,
    ModelUpdateRequest,
)

__all__ = ["RESOURCE"]

_DEPLOYING = "The model is deploying: it cannot be changed or deleted until its deployment ends"


def _documented(op: Operation) -> Operation:
    # What the handlers answer beyond the standard operations.
    errors = {
        "create": {
            "400": "A model of that vendor and name exists in the account (on_conflict "
            '"error"), or, with on_conflict "update", it is deploying',
        },
        "list": {"400": "starting_after or ending_before names no model of the list"},
        "update": {
            "400": f'{_DEPLOYING}; the name is taken (on_conflict "error"); or the vendor '
            "configuration is not the model's vendor's"
        },
        "delete": {"400": _DEPLOYING},
    }.get(op.verb)
    # Every route needs x-selected-account-id: the core answers FastAPI's 422 without it.
    if errors is None:
        return dataclasses.replace(op, headers=SelectedAccount)
    return dataclasses.replace(op, headers=SelectedAccount, errors=errors)


RESOURCE = Resource(
    kind=handlers.KIND,
    stored=InferenceModelRecord,
    noun="Model",
    plural="v5 models",
    tag="Models (v5)",
    operations=tuple(
        _documented(op)
        for op in crud(
            "/v5/models",
            "model_id",
            noun="v5_model",
            create=ModelCreateRequest,
            response=InferenceModel,
            page=ModelPage,
            list_params=ModelListParams,
            deleted=ModelDeleteResponse,
            update=ModelUpdateRequest,
            verbs=("create", "list", "get", "update", "delete"),
            handlers={
                "create": handlers.create,
                "list": handlers.list_models,
                "get": handlers.get,
                "update": handlers.update,
                "delete": handlers.delete,
            },
            list_description="The selected account's models, in creation order unless "
            "sort_by or sort_order say otherwise, filtered by model_vendor and name, a cursor "
            "page at a time.",
            not_found="No model with that id in the selected account",
        )
    ),
    made_up=handlers.made_up,
    # Names are indexed: the gateway finds a record by vendor and name without a scan.
    table=functools.partial(Table, index_fields=("name",)),
    render=handlers.render,
    lifecycle=Lifecycle(
        delay="deployment_ready_after",
        initial="deploying",
        final="ready",
        statuses=STATUSES,
    ),
    example={"name": "gpt-4o-mini", "model_vendor": "openai", "model_type": "chat_completion"},
)
