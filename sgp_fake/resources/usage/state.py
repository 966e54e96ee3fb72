"""What a state document's usage records must be: what the inference routes write."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from ...core.operations import StateProblem
from .records import KIND

__all__ = ["check_state"]


def check_state(records: Mapping[str, Sequence[Any]]) -> Iterator[StateProblem]:
    """A usage record names the model of its deployment (the one that answered the call)."""
    models = {model.id for model in records.get("models", ())}
    deployed = {
        deployment.id: deployment.model_instance_id for deployment in records.get("deployments", ())
    }
    for index, usage in enumerate(records.get(KIND, ())):
        model_id = usage.model_instance_id
        deployment_model = deployed.get(usage.model_deployment_id)
        if model_id not in models:
            problem = f"no model {model_id!r} in the document"
        elif deployment_model is not None and deployment_model != model_id:
            problem = (
                f"deployment {usage.model_deployment_id} is of model {deployment_model}, "
                f"not {model_id}"
            )
        else:
            continue
        yield StateProblem(index, "model_instance_id", problem)
