"""Usage records and statistics: the tokens of every call a deployment answered.

The ``usage`` kind's records (:class:`~.schemas.UsageRecord`, each child of its deployment, gone
with it) are written by the inference routes (:mod:`sgp_fake.resources.inference`), which this
resource serves as its own operations, and summed on read by the two usage-statistics routes.
See :mod:`.records` for how the points are cut and :mod:`.handlers` for what the routes check.
"""

from __future__ import annotations

import functools

from ...core.compact import CompactTable
from ...core.operations import Operation, Reference, Resource
from ..deployments.handlers import NOT_FOUND, about
from ..inference import OPERATIONS as INFERENCE_ROUTES
from . import handlers
from .records import KIND, LAYOUT
from .schemas import ModelUsage, UsageQuery, UsageRecord
from .state import check_state

__all__ = ["KIND", "RESOURCE", "STATISTICS"]

TAG = "Usage Statistics"

STATISTICS: tuple[Operation, ...] = (
    Operation(
        "get_model_deployment_usage_statistics",
        "GET",
        "/v4/model-deployments/{model_deployment_id}/usage-statistics",
        handlers.deployment_usage,
        summary="Get Model Deployment Usage Statistics",
        description="The tokens the deployment served, in chunks points of equal length from "
        "start_date to end_date.",
        query=UsageQuery,
        response=ModelUsage,
        not_found=NOT_FOUND,
        about=about,
    ),
    Operation(
        "get_model_usage_statistics",
        "GET",
        "/v4/models/{model_name}/usage-statistics",
        handlers.model_usage,
        summary="Get Model Usage Statistics",
        description="The tokens every deployment of the caller's models of that name served "
        "(the name as one path segment: meta-llama/Llama-3 sent as meta-llama%2FLlama-3), in "
        "chunks points of equal length from start_date to end_date.",
        query=UsageQuery,
        response=ModelUsage,
        not_found="No model of that name is visible to the caller",
        raw_path=True,
        about=about,
    ),
)
"""The usage-statistics routes (tagged ``Usage Statistics``)."""

RESOURCE = Resource(
    kind=KIND,
    stored=UsageRecord,
    noun="Usage record",
    tag=TAG,
    # The inference routes first: they write the records (and the OpenAPI document lists them
    # there). They are the kind's operations because the core knows no resource without
    # records, and theirs are these.
    operations=(*INFERENCE_ROUTES, *STATISTICS),
    # Kept in columns, about 70 bytes a record instead of 0.8 KB: one is kept per answered call.
    table=functools.partial(CompactTable, layout=LAYOUT),
    parent_field="model_deployment_id",
    references=(Reference("model_deployment_id", "deployments", on_delete="cascade"),),
    example={"prompt": "Hello"},
    check_state=check_state,
)
"""Usage records: one per answered inference call, summed by the statistics routes."""
