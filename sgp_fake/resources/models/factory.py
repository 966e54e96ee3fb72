"""Made-up models: what contract mode answers for a model id nobody created.

The model is built by :class:`~sgp_fake.factories.ModelFactory` seeded with its id, so it is
realistic and the same request always gets the same answer; nothing is stored. It is never
built in: it names a template (``model_template_id``, itself made up when asked for, with no
parameter schemas), so deployments can be made under it.
"""

from __future__ import annotations

import functools

from ...factories import ModelFactory
from .schemas import ModelInstanceRecord

__all__ = ["MADE_UP_TEMPLATE_ID", "made_up"]

MADE_UP_TEMPLATE_ID = "model_template_id"
"""The template a made-up model names (the placeholder generated SDK tests use)."""


@functools.lru_cache(maxsize=1024)
def made_up(model_id: str, account_id: str, user_id: str, identity_type: str) -> bytes:
    """The JSON of the made-up model ``model_id``, as it is stored."""
    factory = ModelFactory(seed=f"sgp-fake-contract:{model_id}", account_id=account_id)
    model = factory.record(
        id=model_id,
        model_type="COMPLETION",
        model_template_id=MADE_UP_TEMPLATE_ID,
        created_by_user_id=user_id,
        created_by_identity_type=identity_type,
    )
    return (
        ModelInstanceRecord.model_validate(model)
        .model_dump_json(exclude_none=True, by_alias=True)
        .encode()
    )
