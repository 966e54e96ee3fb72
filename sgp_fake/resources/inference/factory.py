"""Bodies of the inference routes: completions, chat, embeddings, rerankings and execute.

:class:`InferenceFactory` gives each route's body with ``model_request_parameters`` that fit
a template's request schema.
"""

from __future__ import annotations

from typing import Any, Mapping

from ...testdata.faker import OptionalSections, SeededFactory, deep_merge
from ..catalogue import PROMPTS, QUERIES
from ..models.factory import ModelFactory

__all__ = ["InferenceFactory"]


class InferenceFactory(SeededFactory):
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
        super().__init__(seed, optional, "inference")
        self._values = ModelFactory(f"inference:{self.seed}")

    def __repr__(self) -> str:
        return f"InferenceFactory(seed={self.seed!r})"

    def prompt(self) -> str:
        """A prompt such as users send."""
        return str(self._pick(PROMPTS))

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
            "query": self._pick(QUERIES),
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
