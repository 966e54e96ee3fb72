"""SDK contract mode: made-up ids answer as if they existed.

Test suites generated for SDKs (Stainless, OpenAPI Generator...) run against stateless mock
servers and call, say, ``retrieve("model_template_id")`` with ids nobody created. In contract
mode the fake answers such a retrieve or delete with a template of that id in the caller's
account instead of 404. The template comes from :class:`~sgp_fake.factories.TemplateFactory`
seeded with the id, so it is realistic, and the same call always gets the same answer; nothing
is stored.
"""

from __future__ import annotations

import functools

from .factories import TemplateFactory
from .models import ModelTemplateResponse
from .settings import Identity

__all__ = ["CONTRACT_ACCOUNT_ID", "contract_account", "contract_template"]

CONTRACT_ACCOUNT_ID = "account_id"
"""Account of a made-up template when the caller selected none and may use every account.

Generated test suites pass the parameter name as its value, so this is what they expect.
"""


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
    return _made_up(
        template_id,
        contract_account(identity, selected_account),
        identity.user_id,
        identity.identity_type,
    )


@functools.lru_cache(maxsize=1024)
def _made_up(template_id: str, account_id: str, user_id: str, identity_type: str) -> bytes:
    factory = TemplateFactory(seed=f"sgp-fake-contract:{template_id}", account_id=account_id)
    template = factory.response(
        id=template_id,
        created_by_user_id=user_id,
        created_by_identity_type=identity_type,
    )
    # Serialised as the store serialises what it keeps, so made-up and real answers match.
    return (
        ModelTemplateResponse.model_validate(template).model_dump_json(exclude_none=True).encode()
    )
