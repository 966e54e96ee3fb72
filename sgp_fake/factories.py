"""Factories of realistic payloads, built on Faker: templates, models and deployments.

:class:`TemplateFactory` makes create-request bodies (plain dicts, ready for ``json=`` or for
``client.model_templates.create(**body)``) and stored templates (the response shape). Every body
validates against the contract's ``ModelTemplateRequest`` schema; values look like what teams
really deploy: container registries, images and tags, serving commands, environment variables,
Kubernetes quantities, GPU types and parameter schemas. :class:`ModelFactory` and
:class:`DeploymentFactory` do the same for models (with creation parameters that fit a
template's schema) and their deployments; :func:`seed_deployment` stores a template, a model
of it and a ``READY`` deployment in one call. :class:`InferenceFactory` makes the bodies of
the inference routes (completions, chat, embeddings, rerankings, execute), with
``model_request_parameters`` that fit a template's request schema.

>>> factory = TemplateFactory(seed=7)
>>> body = factory.request(vendor_configuration={"bundle_config": {"tag": "v2"}})
>>> body["vendor_configuration"]["bundle_config"]["tag"]
'v2'
>>> TemplateFactory(seed=7).request() == TemplateFactory(seed=7).request()
True

Overrides merge deeply: a nested mapping changes only the keys it names, any other value replaces
what is there, and :data:`OMIT` removes a key. Mentioning an optional section (even with ``{}``)
includes it, fully generated, whatever ``optional`` says.

This module depends on the resources' schemas only.
"""

from __future__ import annotations

import copy
import random
import types
import typing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Literal,
    Mapping,
    NamedTuple,
    Protocol,
    Sequence,
    Union,
)

from faker.generator import Generator
from faker.providers import date_time as _date_time_provider
from faker.providers import misc as _misc_provider
from faker.providers.lorem import en_US as _lorem_provider
from pydantic import BaseModel

from .models import (
    GPUType,
    IdentifierTypeEnum,
    LaunchEndpointProtocol,
    ModelEndpointType,
    ModelTemplateRequest,
    ModelTemplateResponse,
    ModelType,
    TrainingDatasetORMSchemaTypeEnum,
)

__all__ = [
    "OMIT",
    "DeploymentFactory",
    "InferenceFactory",
    "ModelFactory",
    "OptionalSections",
    "SeededDeployment",
    "TemplateFactory",
    "deep_merge",
    "seed_deployment",
    "seed_templates",
]

OptionalSections = Literal["random", "all", "none"]
"""Which optional fields a body carries: each with even odds, every one, or none."""


class _Omit:
    __slots__ = ()

    def __repr__(self) -> str:
        return "OMIT"

    def __copy__(self) -> _Omit:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Omit:
        return self


OMIT: Final = _Omit()
"""An override value that removes the key it is given for: ``request(endpoint_protocol=OMIT)``."""


def _without_omit(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_omit(v) for k, v in value.items() if v is not OMIT}
    if isinstance(value, list):
        return [_without_omit(v) for v in value if v is not OMIT]
    return copy.deepcopy(value)


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``base`` with ``overrides`` merged in, recursively; neither is modified.

    Mappings merge key by key; any other value (lists included) replaces the base value;
    :data:`OMIT` removes the key.
    """
    result = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if value is OMIT:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = _without_omit(value)
    return result


def _override_paths(
    overrides: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> set[tuple[str, ...]]:
    """Every key path an override names (with its ancestors), except the keys it removes."""
    paths: set[tuple[str, ...]] = set()
    for key, value in overrides.items():
        path = (*prefix, key)
        if value is OMIT:
            continue
        paths.add(path)
        if isinstance(value, Mapping):
            paths |= _override_paths(value, path)
    for path in list(paths):
        paths.update(path[:i] for i in range(1, len(path)))
    return paths


# -- what the values look like ----------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    hf_id: str
    slug: str
    kind: ModelType
    billions: float


_MODELS: Final = (
    _Model(
        "meta-llama/Llama-3.1-8B-Instruct", "llama-3-1-8b-instruct", ModelType.CHAT_COMPLETION, 8
    ),
    _Model(
        "meta-llama/Llama-3.1-70B-Instruct", "llama-3-1-70b-instruct", ModelType.CHAT_COMPLETION, 70
    ),
    _Model("meta-llama/Meta-Llama-3-8B", "llama-3-8b", ModelType.COMPLETION, 8),
    _Model(
        "mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b-instruct", ModelType.CHAT_COMPLETION, 7
    ),
    _Model(
        "mistralai/Mixtral-8x7B-Instruct-v0.1",
        "mixtral-8x7b-instruct",
        ModelType.CHAT_COMPLETION,
        47,
    ),
    _Model("Qwen/Qwen2.5-14B-Instruct", "qwen2-5-14b-instruct", ModelType.CHAT_COMPLETION, 14),
    _Model("google/gemma-2-9b-it", "gemma-2-9b-it", ModelType.CHAT_COMPLETION, 9),
    _Model("microsoft/Phi-3-mini-4k-instruct", "phi-3-mini-4k", ModelType.COMPLETION, 3.8),
    _Model("tiiuae/falcon-40b", "falcon-40b", ModelType.COMPLETION, 40),
    _Model("codellama/CodeLlama-13b-hf", "codellama-13b", ModelType.COMPLETION, 13),
    _Model("BAAI/bge-large-en-v1.5", "bge-large-en", ModelType.EMBEDDING, 0.34),
    _Model("intfloat/e5-mistral-7b-instruct", "e5-mistral-7b", ModelType.EMBEDDING, 7),
    _Model("sentence-transformers/all-MiniLM-L6-v2", "minilm-l6-v2", ModelType.EMBEDDING, 0.02),
    _Model("BAAI/bge-reranker-large", "bge-reranker-large", ModelType.RERANKING, 0.56),
    _Model("cross-encoder/ms-marco-MiniLM-L-6-v2", "ms-marco-minilm", ModelType.RERANKING, 0.02),
)

_ORGS: Final = (
    "acme-ml",
    "applied-ml",
    "ml-platform",
    "inference",
    "llm-serving",
    "research",
    "mlops",
    "genai",
    "search-relevance",
    "data-science",
)
_AWS_REGIONS: Final = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
)
_REGISTRIES: Final = (
    "{aws_account}.dkr.ecr.{region}.amazonaws.com",
    "gcr.io/{org}-{project_number}",
    "ghcr.io/{org}",
    "docker.io/{org}",
    "{flat_org}.azurecr.io",
    "quay.io/{org}",
    "nvcr.io/nvidia",
    "registry.gitlab.com/{org}/model-serving",
)
_MEMORY_GI: Final = (4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 160, 192, 256)
_STORAGE_GI: Final = (16, 32, 50, 64, 80, 100, 128, 200, 256, 500)
_HEALTH_ROUTES: Final = ("/readyz", "/health", "/healthz", "/v1/health", "/ping")

_CREATION_PARAMETERS: Final = (
    (
        "model_weights_uri",
        "str",
        "URI of the model weights to load, e.g. s3://bucket/models/llama/.",
    ),
    ("model_name", "str", "Name the deployed model reports in its responses."),
    ("hf_model_id", "str", "Hugging Face model id to download when the endpoint starts."),
    ("max_model_len", "int", "Maximum context length, in tokens."),
    ("tensor_parallel_size", "int", "Number of GPUs the model is sharded across."),
    ("max_num_seqs", "int", "Maximum number of sequences batched together."),
    ("quantization", "str", "Quantization method of the weights: awq, gptq or none."),
    ("dtype", "str", "Data type of weights and activations, e.g. bfloat16."),
    (
        "gpu_memory_utilization",
        "float",
        "Fraction of GPU memory given to the model and its KV cache.",
    ),
    ("trust_remote_code", "bool", "Whether to run custom model code from the model repository."),
    ("lora_adapter_uri", "str", "URI of a LoRA adapter applied on top of the base weights."),
    ("enable_prefix_caching", "bool", "Reuse the KV cache across requests that share a prefix."),
)
_REQUEST_PARAMETERS: Final = (
    ("temperature", "float", "Sampling temperature; 0 means greedy decoding."),
    ("top_p", "float", "Nucleus sampling: the probability mass to sample from."),
    ("top_k", "int", "Sample only from the k most likely tokens."),
    ("max_new_tokens", "int", "Maximum number of tokens to generate."),
    ("stop_sequences", "str", "Comma-separated sequences that end generation."),
    ("presence_penalty", "float", "Penalty for tokens that already appear in the output."),
    ("frequency_penalty", "float", "Penalty proportional to how often a token already appears."),
    ("seed", "int", "Random seed, for reproducible sampling."),
    ("stream", "bool", "Whether to stream tokens as they are generated."),
    ("return_logprobs", "bool", "Whether to return the log probability of each token."),
)
_EMBEDDING_PARAMETERS: Final = (
    ("truncate", "bool", "Truncate inputs longer than the context window instead of failing."),
    ("normalize", "bool", "Whether to L2-normalise the embeddings."),
    ("batch_size", "int", "Number of texts embedded per forward pass."),
    ("instruction", "str", "Instruction prepended to each query before embedding."),
)
_RERANKING_PARAMETERS: Final = (
    ("top_n", "int", "Number of documents to return, best first."),
    ("return_documents", "bool", "Whether to return the documents' text with their scores."),
    ("max_chunks_per_doc", "int", "Maximum number of chunks a long document is split into."),
    ("score_threshold", "float", "Drop documents scoring below this value."),
)


# -- optional fields, from the models ---------------------------------------------------------


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (through ``Optional``), or ``None`` for any other type."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model = _nested_model(arg)
            if model is not None:
                return model
    return None


# Fields that make sense only together: kept or dropped as one.
_LINKED: Final[Mapping[str, tuple[frozenset[str], ...]]] = {
    "CreateModelEndpointConfig": (
        frozenset({"gpus", "gpu_type"}),
        frozenset({"min_workers", "max_workers"}),
    ),
    "RequiredResources": (frozenset({"gpus", "gpu_type"}),),
    "ModelBundleConfiguration": (frozenset({"streaming_command", "streaming_predict_route"}),),
}


def _prune(  # noqa: PLR0917
    data: dict[str, Any],
    model: type[BaseModel],
    mode: OptionalSections,
    keep: set[tuple[str, ...]],
    rng: random.Random,
    path: tuple[str, ...] = (),
) -> None:
    decided: dict[str, bool] = {}
    for name, field in model.model_fields.items():
        if name not in data:
            continue
        sub = (*path, name)
        child_mode = mode
        if not field.is_required():
            if sub in keep:
                # An optional section the caller named comes fully generated.
                child_mode = "all"
            else:
                if name not in decided:
                    wanted = mode == "all" or (mode == "random" and rng.random() < 0.5)
                    group = next((g for g in _LINKED.get(model.__name__, ()) if name in g), {name})
                    decided.update(dict.fromkeys(group, wanted))
                if not decided[name]:
                    del data[name]
                    continue
        nested = _nested_model(field.annotation)
        if nested is not None and isinstance(data[name], dict):
            _prune(data[name], nested, child_mode, keep, rng, sub)


# -- the factory ------------------------------------------------------------------------------


def _new_faker(seed: int | str) -> Any:
    # A bare generator with the few providers we use: a full Faker() costs ~1 ms per instance.
    faker = Generator()
    for provider in (
        _misc_provider.Provider,
        _date_time_provider.Provider,
        _lorem_provider.Provider,
    ):
        faker.add_provider(provider)
    faker.seed_instance(seed)
    return faker


class TemplateFactory:
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
        if optional not in ("random", "all", "none"):
            raise ValueError("optional must be 'random', 'all' or 'none'")
        self.seed: int | str = random.getrandbits(64) if seed is None else seed
        # Faker adds its provider methods at run time, hence ``Any``.
        self.faker: Any = _new_faker(self.seed)
        self._rng: random.Random = self.faker.random
        # Dropping optional fields draws from its own stream, so that the values of a body do
        # not depend on which fields were dropped, nor on the overrides.
        self._prune_rng = random.Random(f"sgp-fake-prune:{self.seed}")
        self.optional: OptionalSections = optional
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

    def _pick(self, options: Sequence[Any]) -> Any:
        return options[self._rng.randrange(len(options))]

    def registry(self) -> str:
        """A container registry: ECR, GCR, GHCR, Docker Hub, ACR, Quay, NGC or GitLab."""
        org = self._pick(_ORGS)
        pattern = self._pick(_REGISTRIES)
        return str(
            pattern.format(
                org=org,
                flat_org=org.replace("-", ""),
                region=self._pick(_AWS_REGIONS),
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
        options = [m for m in _MEMORY_GI if low <= m <= max(4 * low, 32)] or [_MEMORY_GI[-1]]
        return f"{self._pick(options)}Gi"

    def storage(self) -> str:
        """A Kubernetes storage quantity such as ``"100Gi"``."""
        return f"{self._pick(_STORAGE_GI)}Gi"

    def _gpus_for(self, model: _Model) -> tuple[int, GPUType | None]:
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
            catalogue: Sequence[tuple[str, str, str]] = _CREATION_PARAMETERS
        elif model_type in (ModelType.EMBEDDING, "EMBEDDING"):
            catalogue = _EMBEDDING_PARAMETERS
        elif model_type in (ModelType.RERANKING, "RERANKING"):
            catalogue = _RERANKING_PARAMETERS
        else:
            catalogue = _REQUEST_PARAMETERS
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
        self, model: _Model, gpus: int
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
            image = f"{self._pick(_ORGS)}/{model.slug}-server"
            command = self._pick(
                [
                    ["uvicorn", "server:app", "--host", "0.0.0.0", "--port", port],
                    ["python", "serve.py", "--port", port],
                    ["/bin/bash", "-c", f"python -m model_server --port {port}"],
                ]
            )
            routes = {"healthcheck_route": self._pick(_HEALTH_ROUTES), "predict_route": "/predict"}
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
        model: _Model = self._pick(_MODELS)
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
        _prune(body, ModelTemplateRequest, mode, _override_paths(overrides), self._prune_rng)
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


class _Store(Protocol):
    def put(self, template: dict[str, Any]) -> Any: ...


class _HasStore(Protocol):
    @property
    def store(self) -> _Store: ...


def seed_templates(
    target: _HasStore | _Store,
    n: int,
    *,
    account_id: str | None = None,
    factory: TemplateFactory | None = None,
    optional: OptionalSections | None = None,
    **overrides: Any,
) -> list[dict[str, Any]]:
    """Store ``n`` generated templates in a fake (or its store); return them as the API would.

    ``account_id`` defaults to the factory's; ``factory`` defaults to a new unseeded one.

    >>> from sgp_fake import SGPFake
    >>> fake = SGPFake()
    >>> templates = seed_templates(fake, 3, account_id="acct_1")
    >>> len(fake.store.all("acct_1"))
    3
    """
    factory = factory or TemplateFactory()
    store = typing.cast(_Store, getattr(target, "store", target))
    if account_id is not None:
        overrides["account_id"] = account_id
    templates = factory.responses(n, optional=optional, **overrides)
    for template in templates:
        store.put(template)
    return templates


# -- models and deployments -------------------------------------------------------------------

if TYPE_CHECKING:
    from .fake import SGPFake

_VENDORS: Final = ("LAUNCH", "LAUNCH", "LLMENGINE", "OPENAI", "ANTHROPIC", "COHERE", "OTHER")
_DEVELOPERS: Final = {
    "meta-llama": "Meta",
    "mistralai": "Mistral AI",
    "Qwen": "Alibaba Cloud",
    "google": "Google",
    "microsoft": "Microsoft",
    "tiiuae": "Technology Innovation Institute",
    "codellama": "Meta",
    "BAAI": "Beijing Academy of Artificial Intelligence",
    "intfloat": "Microsoft",
    "sentence-transformers": "Hugging Face",
    "cross-encoder": "Hugging Face",
}
_ENVIRONMENTS: Final = ("prod", "staging", "dev", "canary", "eval", "shadow")


class ModelFactory:
    """Realistic model payloads (``/v4/models``); the same seed gives the same outputs.

    ``request(template=...)`` makes a create body for a model of that template (its id and type,
    and ``model_creation_parameters`` that fit its schema); without a template, a built-in
    model's body. ``record()`` makes a stored model, as ``GET /_fake/state`` lists it.
    """

    def __init__(
        self,
        seed: int | str | None = None,
        *,
        account_id: str | None = None,
        optional: OptionalSections = "random",
    ) -> None:
        if optional not in ("random", "all", "none"):
            raise ValueError("optional must be 'random', 'all' or 'none'")
        self.seed: int | str = random.getrandbits(64) if seed is None else seed
        self.faker: Any = _new_faker(f"model:{self.seed}")
        self._rng: random.Random = self.faker.random
        self.optional: OptionalSections = optional
        self.account_id = account_id or str(self.faker.hexify("^" * 24))

    def __repr__(self) -> str:
        return f"ModelFactory(seed={self.seed!r}, account_id={self.account_id!r})"

    def _pick(self, options: Sequence[Any]) -> Any:
        return options[self._rng.randrange(len(options))]

    def _keep(self, mode: OptionalSections) -> bool:
        return mode == "all" or (mode == "random" and self._rng.random() < 0.5)

    def parameter_value(self, name: str, type_: str, model: _Model | None = None) -> Any:
        """A sensible value for a parameter, by its name (else by its type)."""
        model = model or self._pick(_MODELS)
        bucket = f"{self._pick(_ORGS)}-models"
        known: dict[str, Any] = {
            "model_weights_uri": f"s3://{bucket}/{model.slug}/",
            "model_name": model.slug,
            "hf_model_id": model.hf_id,
            "max_model_len": self._pick([4096, 8192, 16384, 32768]),
            "tensor_parallel_size": self._pick([1, 2, 4, 8]),
            "max_num_seqs": self._pick([32, 64, 128, 256]),
            "quantization": self._pick(["awq", "gptq", "none"]),
            "dtype": self._pick(["bfloat16", "float16", "auto"]),
            "gpu_memory_utilization": self._pick([0.85, 0.9, 0.95]),
            "trust_remote_code": False,
            "lora_adapter_uri": f"s3://{bucket}/{model.slug}/lora/{self.faker.hexify('^' * 8)}/",
            "enable_prefix_caching": self._rng.random() < 0.5,
        }
        if name in known and type(known[name]).__name__ == type_:
            return known[name]
        if type_ == "int":
            return self._rng.randrange(1, 1024)
        if type_ == "float":
            return round(self._rng.random(), 3)
        if type_ == "bool":
            return self._rng.random() < 0.5
        return str(self.faker.word())

    def creation_parameters(
        self,
        template: Mapping[str, Any],
        *,
        optional: OptionalSections | None = None,
        model: _Model | None = None,
    ) -> dict[str, Any]:
        """Values that fit the template's ``model_creation_parameters_schema``: every required
        parameter, and the optional ones as ``optional`` says."""
        mode = self.optional if optional is None else optional
        schema = template.get("model_creation_parameters_schema") or {}
        values: dict[str, Any] = {}
        for parameter in schema.get("parameters", ()):
            name = parameter["name"]
            if name in values or not (parameter.get("required") is True or self._keep(mode)):
                continue
            values[name] = self.parameter_value(name, parameter["type"], model)
        return values

    def request(
        self,
        *,
        template: Mapping[str, Any] | None = None,
        optional: OptionalSections | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A create body (``POST /v4/models``): of ``template`` (a template as the API answers
        it) when given, else a built-in model. ``overrides`` are deep-merged last."""
        mode = self.optional if optional is None else optional
        model: _Model = self._pick(_MODELS)
        if template is not None:
            model_type = str(template["model_type"])
        else:
            model_type = model.kind.value if self._rng.random() < 0.85 else "COMPLETION"
        env = self._pick(_ENVIRONMENTS)
        body: dict[str, Any] = {
            "name": f"{model.slug}-{env}",
            "model_type": model_type,
            "account_id": self.account_id,
        }
        org = model.hf_id.split("/")[0]
        optional_fields: dict[str, Any] = {
            "display_name": f"{model.hf_id.split('/')[-1]} ({env})",
            "description": f"{model.hf_id} served for {self._pick(_ORGS)}, {env} traffic.",
            "base_model_id": model.hf_id,
            "model_vendor": "LAUNCH" if template is not None else self._pick(_VENDORS),
            "model_card": f"https://huggingface.co/{model.hf_id}",
            "training_data_card": f"https://huggingface.co/{model.hf_id}#training-data",
            "base_model_metadata": {
                "delivery_date": f"{2023 + self._rng.randrange(3)}-"
                f"{1 + self._rng.randrange(12):02d}-{1 + self._rng.randrange(28):02d}",
                "model_developer": _DEVELOPERS.get(org, org),
                "model_license_url": f"https://huggingface.co/{model.hf_id}/blob/main/LICENSE",
                "modelDetails": {
                    "number_of_parameters": int(model.billions * 1e9),
                    "token_context_window": self._pick([4096, 8192, 32768, 131072]),
                    "languages": self._pick([1, 8, 29, 100]),
                    "alignments": self._pick([0, 1, 2]),
                },
                "ui_model_section_type": self._pick(["PARTNER", "OPENSOURCE", "CUSTOM"]),
            },
        }
        named = _override_paths(overrides)
        for key, value in optional_fields.items():
            if (key,) in named or self._keep(mode):
                body[key] = value
        if template is not None:
            body["model_template_id"] = template["id"]
            values = self.creation_parameters(template, optional=optional, model=model)
            if values or "model_creation_parameters_schema" in template:
                body["model_creation_parameters"] = values
        return deep_merge(body, overrides) if overrides else body

    def record(
        self,
        *,
        template: Mapping[str, Any] | None = None,
        optional: OptionalSections | None = None,
        created_at: datetime | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A stored model, as ``GET /_fake/state`` lists it (the answers add the derived
        fields). ``overrides`` may set any field (``id``, ``created_by_user_id`` ...)."""
        from .resources.models.schemas import ModelInstanceRecord, ModelInstanceRequest

        request_overrides = {
            k: v for k, v in overrides.items() if k in ModelInstanceRequest.model_fields
        }
        body = self.request(template=template, optional=optional, **request_overrides)
        start = datetime(2023, 1, 1, tzinfo=UTC)
        stored = {
            **body,
            "id": str(self.faker.uuid4()),
            "created_at": created_at
            or start + timedelta(seconds=self._rng.randrange(3 * 365 * 24 * 3600)),
            "created_by_user_id": str(self.faker.hexify("^" * 24)),
            "created_by_identity_type": IdentifierTypeEnum.user.value,
        }
        extra = {k: v for k, v in overrides.items() if k not in request_overrides}
        stored = deep_merge(stored, extra)
        return ModelInstanceRecord.model_validate(stored).model_dump(
            mode="json", exclude_none=True, by_alias=True
        )


class DeploymentFactory:
    """Realistic deployment payloads (``/v4/models/{model_instance_id}/deployments``)."""

    def __init__(
        self,
        seed: int | str | None = None,
        *,
        account_id: str | None = None,
        optional: OptionalSections = "random",
    ) -> None:
        if optional not in ("random", "all", "none"):
            raise ValueError("optional must be 'random', 'all' or 'none'")
        self.seed: int | str = random.getrandbits(64) if seed is None else seed
        self.faker: Any = _new_faker(f"deployment:{self.seed}")
        self._rng: random.Random = self.faker.random
        self.optional: OptionalSections = optional
        self.account_id = account_id or str(self.faker.hexify("^" * 24))

    def __repr__(self) -> str:
        return f"DeploymentFactory(seed={self.seed!r}, account_id={self.account_id!r})"

    def _pick(self, options: Sequence[Any]) -> Any:
        return options[self._rng.randrange(len(options))]

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
            model: _Model = self._pick(_MODELS)
            gpus = self._pick([1, 2, 4])
            config.update(
                {
                    "base_model_name": model.slug,
                    "model_name": f"{model.slug}-{self.faker.hexify('^' * 6)}",
                    "checkpoint_path": f"s3://{self._pick(_ORGS)}-models/{model.slug}/",
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
            "name": f"{self._pick(_ENVIRONMENTS)}-{self.faker.word().lower()}-"
            f"{self.faker.hexify('^' * 4)}",
        }
        optional_fields: dict[str, Any] = {
            "deployment_metadata": {
                "team": self._pick(_ORGS),
                "ticket": f"MLOPS-{self._rng.randrange(100, 9999)}",
                "region": self._pick(_AWS_REGIONS),
            },
            "vendor_configuration": self.vendor_configuration(),
        }
        named = _override_paths(overrides)
        for key, value in optional_fields.items():
            if (key,) in named or mode == "all" or (mode == "random" and self._rng.random() < 0.5):
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
        from .resources.deployments.schemas import ModelDeployment, ModelDeploymentRequest

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


_PROMPTS: Final = (
    "Summarize the incident report below in three bullet points.",
    "Write a SQL query that returns the ten most active customers last month.",
    "Translate 'the shipment left the warehouse on Tuesday' into German.",
    "Classify the sentiment of this review: the battery died after two days.",
    "Explain the difference between a process and a thread to a new engineer.",
    "Draft a polite reply declining the meeting on Friday.",
    "Extract every date mentioned in the contract clause below.",
    "Which of our regions had the highest latency yesterday, and why?",
    "Suggest three names for an internal tool that tracks GPU quotas.",
    "List the steps to rotate the API key of a service account.",
)
_QUERIES: Final = (
    "How do I reset my password?",
    "What is the refund policy for annual plans?",
    "Which GPU types does the cluster support?",
    "How are model deployments autoscaled?",
)


class InferenceFactory:
    """Realistic bodies of the inference routes; the same seed gives the same outputs.

    Each method takes the deployment's model's ``template`` (as the API answers it), whose
    ``model_request_parameters_schema`` the body's ``model_request_parameters`` then fits
    (every required parameter, the optional ones as ``optional`` says), and ``overrides``,
    merged deeply last. Bodies are plain dicts for ``json=``, or for the SDK
    (``client.models.completions.create(deployment_id, **body)``).
    """

    def __init__(
        self, seed: int | str | None = None, *, optional: OptionalSections = "random"
    ) -> None:
        if optional not in ("random", "all", "none"):
            raise ValueError("optional must be 'random', 'all' or 'none'")
        self.seed: int | str = random.getrandbits(64) if seed is None else seed
        self.faker: Any = _new_faker(f"inference:{self.seed}")
        self._rng: random.Random = self.faker.random
        self.optional: OptionalSections = optional
        self._values = ModelFactory(f"inference:{self.seed}")

    def __repr__(self) -> str:
        return f"InferenceFactory(seed={self.seed!r})"

    def _pick(self, options: Sequence[Any]) -> Any:
        return options[self._rng.randrange(len(options))]

    def _keep(self, mode: OptionalSections) -> bool:
        return mode == "all" or (mode == "random" and self._rng.random() < 0.5)

    def prompt(self) -> str:
        """A prompt such as users send."""
        return str(self._pick(_PROMPTS))

    def bindings(
        self, template: Mapping[str, Any], *, optional: OptionalSections | None = None
    ) -> dict[str, Any]:
        """Values that fit the template's ``model_request_parameters_schema``."""
        mode = self.optional if optional is None else optional
        schema = template.get("model_request_parameters_schema") or {}
        values: dict[str, Any] = {}
        for parameter in schema.get("parameters", ()):
            name = parameter["name"]
            if name in values or not (parameter.get("required") is True or self._keep(mode)):
                continue
            values[name] = self._values.parameter_value(name, parameter["type"])
        return values

    def _common(
        self, template: Mapping[str, Any] | None, optional: OptionalSections | None
    ) -> dict[str, Any]:
        if template is None or template.get("model_request_parameters_schema") is None:
            return {}
        bindings = self.bindings(template, optional=optional)
        return {"model_request_parameters": {"bindings": bindings}}

    def _sampling(self, optional: OptionalSections | None) -> dict[str, Any]:
        mode = self.optional if optional is None else optional
        fields: dict[str, Any] = {
            "max_tokens": self._pick([64, 256, 512, 1024]),
            "temperature": self._pick([0.0, 0.2, 0.7, 1.0]),
            "top_p": self._pick([0.9, 0.95, 1.0]),
            "stop_sequences": self._pick([["\n\n"], ["</answer>"], ["END", "STOP"]]),
        }
        return {key: value for key, value in fields.items() if self._keep(mode)}

    def completion(
        self,
        *,
        template: Mapping[str, Any] | None = None,
        optional: OptionalSections | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A body of ``POST /v4/models/{model_deployment_id}/completions``."""
        body = {
            "prompt": self.prompt(),
            **self._sampling(optional),
            **self._common(template, optional),
        }
        return deep_merge(body, overrides) if overrides else body

    def chat_history(self, turns: int = 2) -> list[dict[str, Any]]:
        """A conversation so far: a system message, then ``turns`` user and assistant turns."""
        history: list[dict[str, Any]] = [
            {"role": "system", "content": "You are a concise assistant for an ML platform team."}
        ]
        for _ in range(turns):
            history.append({"role": "user", "content": self.prompt()})
            history.append({"role": "assistant", "content": str(self.faker.sentence())})
        return history

    def chat(
        self,
        *,
        template: Mapping[str, Any] | None = None,
        turns: int = 2,
        optional: OptionalSections | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A body of ``POST /v4/models/{model_deployment_id}/chat-completions``: the new
        message (``prompt``) after ``turns`` earlier exchanges."""
        body = {
            "prompt": self.prompt(),
            "chat_history": self.chat_history(turns),
            **self._sampling(optional),
            **self._common(template, optional),
        }
        return deep_merge(body, overrides) if overrides else body

    def embedding(
        self,
        *,
        template: Mapping[str, Any] | None = None,
        count: int = 3,
        optional: OptionalSections | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A body of ``POST /v4/models/{model_deployment_id}/embeddings``: ``count`` texts."""
        body = {
            "texts": [str(self.faker.sentence()) for _ in range(count)],
            **self._common(template, optional),
        }
        return deep_merge(body, overrides) if overrides else body

    def reranking(
        self,
        *,
        template: Mapping[str, Any] | None = None,
        count: int = 3,
        optional: OptionalSections | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A body of ``POST /v4/models/{model_deployment_id}/rerankings``: a query and
        ``count`` chunks."""
        mode = self.optional if optional is None else optional
        body: dict[str, Any] = {
            "query": self._pick(_QUERIES),
            "chunks": [str(self.faker.paragraph(nb_sentences=2)) for _ in range(count)],
        }
        if self._keep(mode):
            body["instruction"] = "Rank the passages by how well they answer the question."
        body.update(self._common(template, optional))
        return deep_merge(body, overrides) if overrides else body

    def execute(self, *, count: int = 2, **overrides: Any) -> dict[str, Any]:
        """A free-form body of ``POST .../deployments/{model_deployment_id}/execute``:
        ``prompts``, as the SDK's example sends them (``extra_body=``)."""
        body: dict[str, Any] = {"prompts": [self.prompt() for _ in range(count)]}
        return deep_merge(body, overrides) if overrides else body


class SeededDeployment(NamedTuple):
    """What :func:`seed_deployment` stored, each as the API answers it."""

    template: dict[str, Any]
    model: dict[str, Any]
    deployment: dict[str, Any]


def seed_deployment(
    fake: SGPFake,
    *,
    account_id: str | None = None,
    seed: int | str | None = None,
    template: Mapping[str, Any] | None = None,
    model: Mapping[str, Any] | None = None,
    deployment: Mapping[str, Any] | None = None,
) -> SeededDeployment:
    """Store a template, a model of it and a ``READY`` deployment of the model in ``fake``, in
    one transaction; return the three as the API answers them (the model with its derived
    fields: ``deployment_count`` 1).

    ``template``, ``model`` and ``deployment`` override fields of each (merged deeply, as the
    factories merge them); the three share ``account_id`` (generated when not given).

    >>> from sgp_fake import SGPFake
    >>> fake = SGPFake()
    >>> seeded = seed_deployment(fake, account_id="acct_1", seed=3)
    >>> seeded.model["deployment_count"], seeded.deployment["status"]
    (1, 'READY')
    """
    import json

    from .resources.models.handlers import render_model

    templates = TemplateFactory(seed, account_id=account_id)
    account = templates.account_id
    models = ModelFactory(templates.seed, account_id=account)
    deployments = DeploymentFactory(templates.seed, account_id=account)
    stored_template = templates.response(
        **{
            "model_creation_parameters_schema": templates.parameter_schema("creation"),
            **dict(template or {}),
        }
    )
    stored_model = models.record(
        template=stored_template,
        **{"model_type": stored_template["model_type"], **dict(model or {})},
    )
    stored_deployment = deployments.response(
        model_instance_id=stored_model["id"], **dict(deployment or {})
    )
    state = fake.state
    with state.transaction():
        state.tables["model_templates"].put(stored_template)
        record = state.tables["models"].put(stored_model)
        state.tables["deployments"].put(stored_deployment)
        answered = json.loads(render_model(state.tables, record))
    return SeededDeployment(stored_template, answered, stored_deployment)
