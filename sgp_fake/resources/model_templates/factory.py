"""Made-up model templates: what contract mode answers for an id nobody created.

The template comes from :class:`TemplateFactory` seeded with the id, so it is
realistic, and the same call always gets the same answer; nothing is stored.

TemplateFactory makes create-request bodies (plain dicts, ready for ``json=`` or for
``client.model_templates.create(**body)``) and stored templates (the response shape); every body
validates against ``ModelTemplateRequest``. Its values look like what teams really deploy:
container registries, images and tags, serving commands, environment variables, Kubernetes
quantities, GPU types and parameter schemas.
"""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Mapping, Sequence

from ...testdata.faker import (
    OptionalSections,
    SeededFactory,
    deep_merge,
    override_paths,
    prune,
)
from ..catalogue import (
    AWS_REGIONS,
    CREATION_PARAMETERS,
    EMBEDDING_PARAMETERS,
    HEALTH_ROUTES,
    MEMORY_GI,
    MODELS,
    ORGS,
    REGISTRIES,
    REQUEST_PARAMETERS,
    RERANKING_PARAMETERS,
    STORAGE_GI,
    Model,
)
from ..common import GPUType, ModelType
from .schemas import (
    LaunchEndpointProtocol,
    ModelEndpointType,
    ModelTemplateRequest,
    ModelTemplateResponse,
    TrainingDatasetORMSchemaTypeEnum,
)

__all__ = ["LINKED", "TemplateFactory", "made_up"]

# Fields that make sense only together: kept or dropped as one.
LINKED: Final[Mapping[str, tuple[frozenset[str], ...]]] = {
    "CreateModelEndpointConfig": (
        frozenset({"gpus", "gpu_type"}),
        frozenset({"min_workers", "max_workers"}),
    ),
    "RequiredResources": (frozenset({"gpus", "gpu_type"}),),
    "ModelBundleConfiguration": (frozenset({"streaming_command", "streaming_predict_route"}),),
}


class TemplateFactory(SeededFactory):
    """Realistic model-template payloads; the same seed gives the same sequence of outputs.

    * ``seed``: any int or str; ``None`` draws one from :mod:`random` (so it follows
      pytest-randomly's per-test seed when that plugin is active). The seed in use is
      :attr:`seed`.
    * ``account_id``: the account every body belongs to unless overridden (default: a
      generated one, :attr:`account_id`).
    * ``optional``: default for :meth:`request`'s ``optional``.
    """

    def __init__(
        self,
        seed: int | str | None = None,
        *,
        account_id: str | None = None,
        optional: OptionalSections = "random",
    ) -> None:
        super().__init__(seed, optional, None)
        # Dropping optional fields draws from its own stream, so that the values of a body do
        # not depend on which fields were dropped, nor on the overrides.
        self._prune_rng = random.Random(f"sgp-fake-prune:{self.seed}")
        self.account_id = account_id or self.new_account_id()

    def __repr__(self) -> str:
        return f"TemplateFactory(seed={self.seed!r}, account_id={self.account_id!r})"

    # -- identifiers ---------------------------------------------------------------------------

    def new_account_id(self) -> str:
        """A new account id (24 hex digits, as SGP's)."""
        return str(self.faker.hexify("^" * 24))

    def new_user_id(self) -> str:
        """A new user id (24 hex digits)."""
        return str(self.faker.hexify("^" * 24))

    def new_template_id(self) -> str:
        """A new template id (a UUID4)."""
        return str(self.faker.uuid4())

    # -- pieces --------------------------------------------------------------------------------

    def registry(self) -> str:
        """A container registry: ECR, GCR, GHCR, Docker Hub, ACR, Quay, NGC or GitLab."""
        org = self._pick(ORGS)
        pattern = self._pick(REGISTRIES)
        return str(
            pattern.format(
                org=org,
                flat_org=org.replace("-", ""),
                region=self._pick(AWS_REGIONS),
                aws_account=self.faker.numerify("############"),
                project_number=self.faker.numerify("####"),
            )
        )

    def tag(self) -> str:
        """An image tag: a version, a CUDA build, a commit or a date."""
        rng = self._rng
        kind = rng.randrange(5)
        version = f"{rng.randrange(4)}.{rng.randrange(12)}.{rng.randrange(10)}"
        if kind == 0:
            return f"v{version}"
        if kind == 1:
            return f"{version}-cuda12.{rng.randrange(5)}"
        if kind == 2:
            return str(self.faker.hexify("^" * 12))
        if kind == 3:
            return (
                f"{2023 + rng.randrange(3)}.{1 + rng.randrange(12):02d}.{1 + rng.randrange(28):02d}"
            )
        return f"{version}-{self.faker.hexify('^' * 7)}"

    def memory(self, low: int = 0) -> str:
        """A Kubernetes memory quantity such as ``"32Gi"``, at least ``low`` GiB."""
        options = [m for m in MEMORY_GI if low <= m <= max(4 * low, 32)] or [MEMORY_GI[-1]]
        return f"{self._pick(options)}Gi"

    def storage(self) -> str:
        """A Kubernetes storage quantity such as ``"100Gi"``."""
        return f"{self._pick(STORAGE_GI)}Gi"

    def _gpus_for(self, model: Model) -> tuple[int, GPUType | None]:
        if model.billions < 1 and self._rng.random() < 0.5:
            return 0, None
        if model.billions <= 10:
            return 1 + self._rng.randrange(2), self._pick(
                [
                    GPUType.nvidia_tesla_t4,
                    GPUType.nvidia_ampere_a10,
                    GPUType.nvidia_ampere_a100,
                    GPUType.nvidia_hopper_h100_1g20gb,
                ]
            )
        if model.billions <= 20:
            return self._pick([1, 2]), self._pick(
                [
                    GPUType.nvidia_ampere_a100,
                    GPUType.nvidia_ampere_a100e,
                    GPUType.nvidia_hopper_h100_3g40gb,
                ]
            )
        return self._pick([2, 4, 8]), self._pick(
            [GPUType.nvidia_ampere_a100e, GPUType.nvidia_hopper_h100]
        )

    def parameter_schema(
        self,
        kind: Literal["creation", "request"] = "request",
        model_type: ModelType | str | None = None,
    ) -> dict[str, Any]:
        """A parameter schema with one to five sensible, distinct parameters."""
        if kind == "creation":
            catalogue: Sequence[tuple[str, str, str]] = CREATION_PARAMETERS
        elif model_type in (ModelType.EMBEDDING, "EMBEDDING"):
            catalogue = EMBEDDING_PARAMETERS
        elif model_type in (ModelType.RERANKING, "RERANKING"):
            catalogue = RERANKING_PARAMETERS
        else:
            catalogue = REQUEST_PARAMETERS
        count = 1 + self._rng.randrange(min(5, len(catalogue)))
        chosen = self._rng.sample(list(catalogue), count)
        return {
            "parameters": [
                {
                    "name": name,
                    "type": type_,
                    "description": description,
                    "required": (i == 0 and kind == "creation") or self._rng.random() < 0.2,
                }
                for i, (name, type_, description) in enumerate(chosen)
            ]
        }

    def _serving(
        self, model: Model, gpus: int
    ) -> tuple[str, str, dict[str, Any], LaunchEndpointProtocol]:
        """Runtime name, image, routes/command/env of a bundle, and its calling convention."""
        rng = self._rng
        port = self._pick(["5005", "8000", "8080"])
        env: dict[str, str] = {
            "HF_HOME": "/workspace/.cache/huggingface",
            "LOG_LEVEL": self._pick(["INFO", "DEBUG", "WARNING"]),
            "PORT": port,
            "OMP_NUM_THREADS": str(self._pick([1, 2, 4, 8])),
        }
        if gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in range(gpus))
        if model.kind in (ModelType.EMBEDDING, ModelType.RERANKING):
            runtime = "tei"
            image = self._pick(["text-embeddings-inference", "sentence-transformers-server", "tei"])
            command = ["text-embeddings-router", "--model-id", model.hf_id, "--port", port]
            routes = {
                "healthcheck_route": "/health",
                "predict_route": self._pick(["/embed", "/rerank", "/predict"]),
            }
            env["MAX_BATCH_TOKENS"] = str(self._pick([8192, 16384, 32768]))
            protocol = self._pick([LaunchEndpointProtocol.SGP, LaunchEndpointProtocol.COHERE])
        elif rng.random() < 0.5:
            runtime = "vllm"
            image = self._pick(["vllm-openai", "vllm", "llm-engine-vllm"])
            command = [
                "python",
                "-m",
                "vllm.entrypoints.openai.api_server",
                "--model",
                model.hf_id,
                "--port",
                port,
                "--tensor-parallel-size",
                str(max(gpus, 1)),
                "--max-model-len",
                str(self._pick([4096, 8192, 16384, 32768])),
            ]
            routes = {"healthcheck_route": "/health", "predict_route": "/v1/completions"}
            env["VLLM_WORKER_MULTIPROC_METHOD"] = "spawn"
            protocol = LaunchEndpointProtocol.VLLM
        elif rng.random() < 0.5:
            runtime = "tgi"
            image = self._pick(["text-generation-inference", "tgi"])
            command = [
                "text-generation-launcher",
                "--model-id",
                model.hf_id,
                "--port",
                port,
                "--num-shard",
                str(max(gpus, 1)),
                "--max-input-length",
                str(self._pick([2048, 4096, 8192])),
            ]
            routes = {"healthcheck_route": "/health", "predict_route": "/generate"}
            env["MAX_BATCH_PREFILL_TOKENS"] = str(self._pick([4096, 8192, 16384]))
            protocol = LaunchEndpointProtocol.SGP
        else:
            runtime = "server"
            image = f"{self._pick(ORGS)}/{model.slug}-server"
            command = self._pick(
                [
                    ["uvicorn", "server:app", "--host", "0.0.0.0", "--port", port],
                    ["python", "serve.py", "--port", port],
                    ["/bin/bash", "-c", f"python -m model_server --port {port}"],
                ]
            )
            routes = {"healthcheck_route": self._pick(HEALTH_ROUTES), "predict_route": "/predict"}
            env["MODEL_ID"] = model.hf_id
            protocol = self._pick(list(LaunchEndpointProtocol))
        bundle: dict[str, Any] = {
            "command": command,
            "env": env,
            "readiness_initial_delay_seconds": 30 * (1 + rng.randrange(20)),
            **routes,
        }
        bundle["streaming_command"] = [*command, "--enable-streaming"]
        bundle["streaming_predict_route"] = self._pick(
            ["/generate_streaming", "/generate_stream", "/stream"]
        )
        return runtime, image, bundle, protocol

    # -- bodies --------------------------------------------------------------------------------

    def _full_request(self) -> dict[str, Any]:
        """A body with every field present (pruned and overridden by :meth:`request`)."""
        rng = self._rng
        model: Model = self._pick(MODELS)
        model_type = model.kind if rng.random() < 0.85 else self._pick(list(ModelType))
        endpoint_type = self._pick(list(ModelEndpointType))
        gpus, gpu_type = self._gpus_for(model)
        runtime, image, serving, protocol = self._serving(model, gpus)
        registry = self.registry()
        min_workers = self._pick([0, 0, 1, 1, 2])
        endpoint_config: dict[str, Any] = {
            "cpus": self._pick([1, 2, 4, 8, 16, 32]) if gpus == 0 else 4 * gpus,
            "memory": self.memory(low=int(model.billions * 2)),
            "storage": self.storage(),
            "gpus": gpus,
            "gpu_type": gpu_type.value if gpu_type else None,
            "min_workers": min_workers,
            "max_workers": min_workers + self._pick([1, 2, 4, 8]),
            "per_worker": self._pick([1, 2, 5, 10, 20, 50]),
            "endpoint_type": endpoint_type.value,
            "high_priority": rng.random() < 0.2,
        }
        if gpu_type is None:
            del endpoint_config["gpu_type"]
        ft_gpus, ft_gpu_type = self._gpus_for(model)
        resources: dict[str, Any] = {
            "cpus": max(4, 8 * ft_gpus),
            "memory": self.memory(low=int(model.billions * 4)),
            "storage": self.storage(),
            "gpus": ft_gpus,
        }
        if ft_gpu_type is not None:
            resources["gpu_type"] = ft_gpu_type.value
        mount = self._pick(
            ["/workspace/launch_specific/config.json", "/workspace/config/finetune.json"]
        )
        fine_tuning: dict[str, Any] = {
            "registry": registry,
            "image": self._pick(["llm-finetune", "axolotl", f"{image.split('/')[-1]}-finetune"]),
            "tag": self.tag(),
            "command": self._pick(
                [
                    ["python", "-m", "llmengine.finetune", "--config", mount],
                    ["accelerate", "launch", "train.py", "--config", mount],
                    ["torchrun", "--nproc_per_node", str(max(ft_gpus, 1)), "finetune.py", mount],
                ]
            ),
            "env": {
                "WANDB_MODE": "offline",
                "NUM_EPOCHS": str(1 + rng.randrange(5)),
                "LEARNING_RATE": self._pick(["1e-5", "2e-5", "5e-5", "1e-4"]),
                "BASE_MODEL": model.hf_id,
            },
            "mount_location": mount,
            "training_dataset_schema_type": (
                TrainingDatasetORMSchemaTypeEnum.RERANKING_QUESTIONS.value
                if model_type is ModelType.RERANKING
                else TrainingDatasetORMSchemaTypeEnum.GENERATION.value
            ),
            "resources": resources,
        }
        suffix = self._pick(["", "", f"-{self.faker.word().lower()}", f"-v{1 + rng.randrange(5)}"])
        return {
            "name": f"{model.slug}-{runtime}{suffix}",
            "endpoint_type": endpoint_type.value,
            "model_type": model_type.value,
            "vendor_configuration": {
                "vendor": "LAUNCH",
                "bundle_config": {
                    "registry": registry,
                    "image": image,
                    "tag": self.tag(),
                    **serving,
                },
                "endpoint_config": endpoint_config,
                "fine_tuning_job_bundle_config": fine_tuning,
            },
            "model_creation_parameters_schema": self.parameter_schema("creation"),
            "model_request_parameters_schema": self.parameter_schema("request", model_type),
            "endpoint_protocol": protocol.value,
            "account_id": self.account_id,
        }

    def request(
        self, *, optional: OptionalSections | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A create-request body (``POST /v4/model-templates``).

        ``optional`` chooses the optional fields, at every depth: ``"random"`` (each with even
        odds), ``"all"`` or ``"none"`` (only the required ones); fields named in ``overrides``
        are always kept. ``overrides`` are deep-merged last (see :func:`deep_merge`).
        """
        mode = self.optional if optional is None else optional
        if mode not in ("random", "all", "none"):
            raise ValueError("optional must be 'random', 'all' or 'none'")
        body = self._full_request()
        prune(body, ModelTemplateRequest, mode, override_paths(overrides), self._prune_rng, LINKED)
        return deep_merge(body, overrides) if overrides else body

    def requests(
        self, n: int, *, optional: OptionalSections | None = None, **overrides: Any
    ) -> list[dict[str, Any]]:
        """``n`` create-request bodies, each with the same ``overrides``."""
        return [self.request(optional=optional, **overrides) for _ in range(n)]

    def created_at(self) -> datetime:
        """A creation time in 2023-2025 (UTC, whole microseconds)."""
        start = datetime(2023, 1, 1, tzinfo=UTC)
        return start + timedelta(microseconds=self._rng.randrange(3 * 365 * 24 * 3600 * 10**6))

    def response(
        self,
        *,
        optional: OptionalSections | None = None,
        created_at: datetime | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A stored template, exactly as the API returns it (defaults filled in, no nulls).

        ``overrides`` may set any response field (``id``, ``created_by_user_id`` ...) as well as
        request fields; they merge as in :meth:`request`.
        """
        request_overrides = {
            k: v for k, v in overrides.items() if k in ModelTemplateRequest.model_fields
        }
        body = self.request(optional=optional, **request_overrides)
        identity_type = "service_account" if self._rng.random() < 0.15 else "user"
        stored = {
            **body,
            "id": self.new_template_id(),
            "created_at": created_at or self.created_at(),
            "created_by_user_id": self.new_user_id(),
            "created_by_identity_type": identity_type,
        }
        extra = {k: v for k, v in overrides.items() if k not in request_overrides}
        stored = deep_merge(stored, extra)
        return ModelTemplateResponse.model_validate(stored).model_dump(
            mode="json", exclude_none=True
        )

    def responses(
        self, n: int, *, optional: OptionalSections | None = None, **overrides: Any
    ) -> list[dict[str, Any]]:
        """``n`` stored templates, created one after another (``created_at`` ascending)."""
        moment = self.created_at()
        out = []
        for _ in range(n):
            out.append(self.response(optional=optional, created_at=moment, **overrides))
            moment += timedelta(
                seconds=1 + self._rng.randrange(3600), microseconds=self._rng.randrange(10**6)
            )
        return out


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
