"""What a state document's deployments must be: what the deployment routes ensure."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from ...core.operations import StateProblem

__all__ = ["check_state"]


def check_state(records: Mapping[str, Sequence[Any]]) -> Iterator[StateProblem]:
    """A built-in model (one with no ``model_template_id``) has one deployment, made with it:
    the API refuses a second (400), and could never delete it but with the model. Each
    deployment after a built-in model's first is named."""
    built_in = {model.id for model in records.get("models", ()) if model.model_template_id is None}
    first: dict[str, str] = {}
    for index, deployment in enumerate(records.get("deployments", ())):
        model_id = deployment.model_instance_id
        if model_id not in built_in:
            continue
        if model_id not in first:
            first[model_id] = deployment.id
            continue
        yield StateProblem(
            index,
            "model_instance_id",
            f"model {model_id} is built in: its one deployment is {first[model_id]}, and it "
            "takes no other",
        )
