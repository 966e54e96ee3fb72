"""SDK contract mode: made-up ids answer as if they existed.

Test suites generated for SDKs (Stainless, OpenAPI Generator...) run against stateless mock
servers and call, say, ``retrieve("model_template_id")`` with ids nobody created. In contract
mode the fake answers such a retrieve or delete with a template of that id in the caller's
account instead of 404. The template is a function of the id and the caller only, so the same
call always gets the same answer, and nothing is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .models import IdentifierTypeEnum, ModelTemplateResponse
from .settings import Identity

__all__ = ["CONTRACT_ACCOUNT_ID", "CONTRACT_CREATED_AT", "contract_account", "contract_template"]

CONTRACT_ACCOUNT_ID = "account_id"
"""Account of a made-up template when the caller selected none and may use every account.

Generated test suites pass the parameter name as its value, so this is what they expect.
"""

CONTRACT_CREATED_AT = datetime(2024, 1, 1, tzinfo=UTC)
"""Creation time of every made-up template: fixed, so answers are reproducible."""


def contract_account(identity: Identity, selected_account: str | None) -> str:
    """The account a made-up template belongs to: the selected one, else the caller's first."""
    if selected_account:
        return selected_account
    if identity.accounts:
        return min(identity.accounts)
    return CONTRACT_ACCOUNT_ID


def contract_template(
    template_id: str, identity: Identity, selected_account: str | None = None
) -> bytes:
    """The JSON body of the made-up template ``template_id``, as a retrieve answers it."""
    model = ModelTemplateResponse.model_validate(
        {
            "id": template_id,
            "account_id": contract_account(identity, selected_account),
            "name": "model_template",
            "endpoint_type": "SYNC",
            "model_type": "COMPLETION",
            "vendor_configuration": {
                "vendor": "LAUNCH",
                "bundle_config": {"registry": "registry", "image": "image", "tag": "tag"},
            },
            "created_at": CONTRACT_CREATED_AT,
            "created_by_user_id": identity.user_id,
            "created_by_identity_type": IdentifierTypeEnum(identity.identity_type),
        }
    )
    return model.model_dump_json(exclude_none=True).encode()
