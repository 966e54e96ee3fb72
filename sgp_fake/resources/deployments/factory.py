"""Made-up deployments: what contract mode answers for a deployment id nobody created.

The deployment is built by :class:`DeploymentFactory` seeded with its id,
under the model the path names, ``READY``; the same request always gets the same answer, and
nothing is stored.

DeploymentFactory makes create bodies of ``/v4/models/{model_instance_id}/deployments`` and
stored deployments.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ...testdata.faker import (
    OptionalSections,
    SeededFactory,
    deep_merge,
    override_paths,
)
from ..catalogue import (
    AWS_REGIONS,
    ENVIRONMENTS,
    MODELS,
    ORGS,
    Model,
)
from ..common import IdentifierTypeEnum
from .schemas import ModelDeployment, ModelDeploymentRequest

__all__ = ["DeploymentFactory", "made_up"]


class DeploymentFactory(SeededFactory):
    """Realistic deployment payloads (``/v4/models/{model_instance_id}/deployments``)."""

    def __init__(
        self,
        seed: int | str | None = None,
        *,
        account_id: str | None = None,
        optional: OptionalSections = "random",
    ) -> None:
        super().__init__(seed, optional, "deployment")
        self.account_id = account_id or str(self.faker.hexify("^" * 24))

    def __repr__(self) -> str:
        return f"DeploymentFactory(seed={self.seed!r}, account_id={self.account_id!r})"

    def vendor_configuration(
        self, vendor: Literal["LAUNCH", "LLMENGINE"] | None = None
    ) -> dict[str, Any]:
        """A Launch (or LLM Engine) configuration: workers, and for LLM Engine resources."""
        vendor = vendor or self._pick(["LAUNCH", "LAUNCH", "LLMENGINE"])
        min_workers = self._pick([0, 1, 1, 2])
        config: dict[str, Any] = {
            "vendor": vendor,
            "min_workers": min_workers,
            "max_workers": min_workers + self._pick([1, 2, 4, 8]),
            "per_worker": self._pick([1, 2, 5, 10, 20]),
        }
        if vendor == "LLMENGINE":
            model: Model = self._pick(MODELS)
            gpus = self._pick([1, 2, 4])
            config.update(
                {
                    "base_model_name": model.slug,
                    "model_name": f"{model.slug}-{self.faker.hexify('^' * 6)}",
                    "checkpoint_path": f"s3://{self._pick(ORGS)}-models/{model.slug}/",
                    "inference_framework_image_tag": self._pick(["0.6.3", "0.9.1", "latest"]),
                    "cpus": 4 * gpus,
                    "gpus": gpus,
                    "gpu_type": self._pick(
                        ["nvidia-ampere-a10", "nvidia-ampere-a100", "nvidia-hopper-h100"]
                    ),
                    "num_shards": gpus,
                    "memory": f"{self._pick([24, 48, 96, 160])}Gi",
                    "storage": f"{self._pick([64, 100, 200])}Gi",
                    "high_priority": self._rng.random() < 0.2,
                }
            )
        return config

    def request(
        self, *, optional: OptionalSections | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A create body; ``overrides`` are deep-merged last. ``wait_for_ready`` is left out
        (the service's default, true: answered ``READY``)."""
        mode = self.optional if optional is None else optional
        body: dict[str, Any] = {
            "name": f"{self._pick(ENVIRONMENTS)}-{self.faker.word().lower()}-"
            f"{self.faker.hexify('^' * 4)}",
        }
        optional_fields: dict[str, Any] = {
            "deployment_metadata": {
                "team": self._pick(ORGS),
                "ticket": f"MLOPS-{self._rng.randrange(100, 9999)}",
                "region": self._pick(AWS_REGIONS),
            },
            "vendor_configuration": self.vendor_configuration(),
        }
        named = override_paths(overrides)
        for key, value in optional_fields.items():
            if (key,) in named or self._keep(mode):
                body[key] = value
        return deep_merge(body, overrides) if overrides else body

    def response(
        self,
        *,
        model_instance_id: str | None = None,
        optional: OptionalSections | None = None,
        created_at: datetime | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A stored deployment, exactly as the API answers it (``READY`` unless overridden)."""

        request_overrides = {
            k: v
            for k, v in overrides.items()
            if k in ModelDeploymentRequest.model_fields and k != "account_id"
        }
        body = self.request(optional=optional, **request_overrides)
        start = datetime(2023, 1, 1, tzinfo=UTC)
        stored = {
            **body,
            "status": "READY",
            "model_instance_id": model_instance_id or str(self.faker.uuid4()),
            "id": str(self.faker.uuid4()),
            "created_at": created_at
            or start + timedelta(seconds=self._rng.randrange(3 * 365 * 24 * 3600)),
            "account_id": self.account_id,
            "created_by_user_id": str(self.faker.hexify("^" * 24)),
            "created_by_identity_type": IdentifierTypeEnum.user.value,
        }
        extra = {k: v for k, v in overrides.items() if k not in request_overrides}
        stored = deep_merge(stored, extra)
        return ModelDeployment.model_validate(stored).model_dump(
            mode="json", exclude_none=True, by_alias=True
        )


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
