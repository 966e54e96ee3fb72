"""Made-up deployments: what contract mode answers for a deployment id nobody created.

The deployment is built by :class:`~sgp_fake.factories.DeploymentFactory` seeded with its id,
under the model the path names, ``READY``; the same request always gets the same answer, and
nothing is stored.
"""

from __future__ import annotations

import functools

from ...factories import DeploymentFactory
from .schemas import ModelDeployment

__all__ = ["made_up"]


@functools.lru_cache(maxsize=1024)
def made_up(
    deployment_id: str, model_id: str, account_id: str, user_id: str, identity_type: str
) -> bytes:
    """The JSON of the made-up deployment ``deployment_id`` of model ``model_id``."""
    factory = DeploymentFactory(seed=f"sgp-fake-contract:{deployment_id}", account_id=account_id)
    deployment = factory.response(
        id=deployment_id,
        model_instance_id=model_id,
        status="READY",
        created_by_user_id=user_id,
        created_by_identity_type=identity_type,
    )
    return (
        ModelDeployment.model_validate(deployment)
        .model_dump_json(exclude_none=True, by_alias=True)
        .encode()
    )
