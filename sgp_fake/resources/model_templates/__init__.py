"""Model templates: ``/v4/model-templates``, the scaffolding models are created from."""

from __future__ import annotations

from ...core.call import Call
from ...core.crud import crud
from ...core.operations import Resource
from ..common import GenericDeleteResponse
from . import handlers
from .schemas import (
    ModelTemplateListParams,
    ModelTemplateRequest,
    ModelTemplateResponse,
    PaginatedModelTemplates,
)
from .store import ModelTemplateStore

__all__ = ["RESOURCE"]


def _made_up(call: Call, template_id: str, account_id: str) -> bytes:
    # Faker loads only when contract mode first needs a template.
    from .factory import made_up

    identity = call.identity()
    return made_up(template_id, account_id, identity.user_id, identity.identity_type)


RESOURCE = Resource(
    kind="model_templates",
    stored=ModelTemplateResponse,
    noun="Model template",
    tag="Model Templates",
    operations=crud(
        "/v4/model-templates",
        "model_template_id",
        noun="model_template",
        create=ModelTemplateRequest,
        response=ModelTemplateResponse,
        page=PaginatedModelTemplates,
        list_params=ModelTemplateListParams,
        deleted=GenericDeleteResponse,
        handlers={"create": handlers.create},
        list_description="Templates of the caller's accounts, oldest first.",
        not_found="No template with that id is visible to the caller",
    ),
    made_up=_made_up,
    example={
        "name": "llama-3-8b-instruct",
        "endpoint_type": "SYNC",
        "model_type": "CHAT_COMPLETION",
        "account_id": "acct_1",
        "vendor_configuration": {
            "bundle_config": {"registry": "ghcr.io/acme", "image": "vllm", "tag": "0.6.3"}
        },
    },
    table=ModelTemplateStore,
    twins=(handlers.TWIN,),
    splice=ModelTemplateRequest,
)
