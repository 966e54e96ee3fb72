"""Made-up models: what contract mode answers for a model id nobody created.

The model is built by :class:`ModelFactory` seeded with its id, so it is
realistic and the same request always gets the same answer; nothing is stored. It is never
built in: it names a template (``model_template_id``, itself made up when asked for, with no
parameter schemas), so deployments can be made under it.

ModelFactory makes create bodies of ``/v4/models`` (with creation parameters that fit a
template's schema) and stored models.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Mapping

from ...testdata.faker import (
    OptionalSections,
    SeededFactory,
    deep_merge,
    override_paths,
)
from ..catalogue import (
    DEVELOPERS,
    ENVIRONMENTS,
    MODELS,
    ORGS,
    Model,
)
from ..common import IdentifierTypeEnum
from .schemas import ModelInstanceRecord, ModelInstanceRequest

__all__ = ["MADE_UP_TEMPLATE_ID", "ModelFactory", "made_up"]

_VENDORS: Final = ("LAUNCH", "LAUNCH", "LLMENGINE", "OPENAI", "ANTHROPIC", "COHERE", "OTHER")


class ModelFactory(SeededFactory):
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
        super().__init__(seed, optional, "model")
        self.account_id = account_id or str(self.faker.hexify("^" * 24))

    def __repr__(self) -> str:
        return f"ModelFactory(seed={self.seed!r}, account_id={self.account_id!r})"

    def parameter_value(self, name: str, type_: str, model: Model | None = None) -> Any:
        """A sensible value for a parameter, by its name (else by its type)."""
        model = model or self._pick(MODELS)
        bucket = f"{self._pick(ORGS)}-models"
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
        model: Model | None = None,
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
        model: Model = self._pick(MODELS)
        if template is not None:
            model_type = str(template["model_type"])
        else:
            model_type = model.kind.value if self._rng.random() < 0.85 else "COMPLETION"
        env = self._pick(ENVIRONMENTS)
        body: dict[str, Any] = {
            "name": f"{model.slug}-{env}",
            "model_type": model_type,
            "account_id": self.account_id,
        }
        org = model.hf_id.split("/")[0]
        optional_fields: dict[str, Any] = {
            "display_name": f"{model.hf_id.split('/')[-1]} ({env})",
            "description": f"{model.hf_id} served for {self._pick(ORGS)}, {env} traffic.",
            "base_model_id": model.hf_id,
            "model_vendor": "LAUNCH" if template is not None else self._pick(_VENDORS),
            "model_card": f"https://huggingface.co/{model.hf_id}",
            "training_data_card": f"https://huggingface.co/{model.hf_id}#training-data",
            "base_model_metadata": {
                "delivery_date": f"{2023 + self._rng.randrange(3)}-"
                f"{1 + self._rng.randrange(12):02d}-{1 + self._rng.randrange(28):02d}",
                "model_developer": DEVELOPERS.get(org, org),
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
        named = override_paths(overrides)
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
