"""Made-up model templates: what contract mode answers for an id nobody created.

The template comes from :class:`~sgp_fake.factories.TemplateFactory` seeded with the id, so it is
realistic, and the same call always gets the same answer; nothing is stored.
"""

from __future__ import annotations

import functools

from ...factories import TemplateFactory
from .schemas import ModelTemplateResponse

__all__ = ["made_up"]


@functools.lru_cache(maxsize=1024)
def made_up(template_id: str, account_id: str, user_id: str, identity_type: str) -> bytes:
    """The JSON body of the made-up template ``template_id``, as a retrieve answers it."""
    factory = TemplateFactory(seed=f"sgp-fake-contract:{template_id}", account_id=account_id)
    template = factory.response(
        id=template_id,
        created_by_user_id=user_id,
        created_by_identity_type=identity_type,
    )
    # Serialised as the table serialises what it keeps, so made-up and real answers match.
    return (
        ModelTemplateResponse.model_validate(template).model_dump_json(exclude_none=True).encode()
    )
