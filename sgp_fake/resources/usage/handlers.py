"""What the usage statistics routes do: sum the usage records of what they name.

* ``{model_deployment_id}`` names a deployment the caller may see, found as the inference routes
  find it (404; a model's id there is a 404 that says so and lists the model's deployments).
* ``{model_name}`` is summed over the caller's models of that name (``x-selected-account-id``:
  of that account); no such model is a 404, but in contract mode an empty answer.
* The points are cut and summed as :mod:`.records` says.
"""

from __future__ import annotations

from ...core.answers import Answer, ok
from ...core.call import Call
from ...errors import NotFound
from ..deployments.handlers import find_deployment
from ..models.handlers import name_of
from . import records
from .schemas import UsageQuery

__all__ = ["deployment_usage", "model_usage"]

MODELS = "models"


def deployment_usage(call: Call) -> Answer:
    """``GET /v4/model-deployments/{model_deployment_id}/usage-statistics``."""
    query = call.query(UsageQuery)
    deployment = find_deployment(call, call.params["model_deployment_id"])
    return ok(records.answer(query, records.of_deployment(call, deployment)))


def model_usage(call: Call) -> Answer:
    """``GET /v4/models/{model_name}/usage-statistics``: summed over the caller's models of
    that name (``x-selected-account-id``: of that account)."""
    query = call.query(UsageQuery)
    name = call.params["model_name"]
    models = [
        model for model in call.table(MODELS).records(call.accounts(None)) if name_of(model) == name
    ]
    if not models and not call.settings.contract:
        raise NotFound(f"No model named {name} is visible to the caller")
    return ok(records.answer(query, records.of_models(call, models)))
