"""SDK contract mode: made-up ids answer as if they existed (re-exported for existing imports).

The policy (when a record is made up, and in which account) lives in
:mod:`sgp_fake.core.call`; each resource says what its made-up record looks like.
"""

from __future__ import annotations

from .core.call import CONTRACT_ACCOUNT_ID, contract_account
from .settings import Identity

__all__ = ["CONTRACT_ACCOUNT_ID", "contract_account", "contract_template"]


def contract_template(
    template_id: str, identity: Identity, selected_account: str | None = None
) -> bytes:
    """The JSON body of the made-up template ``template_id``, as a retrieve answers it."""
    from .resources.model_templates.factory import made_up

    account = contract_account(identity, selected_account)
    return made_up(template_id, account, identity.user_id, identity.identity_type)
