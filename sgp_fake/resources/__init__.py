"""The resources the fake serves: :data:`REGISTRY` is the one list of them.

Each resource is a folder: its contract (``schemas.py``), what its operations do beyond the
standard ones (``handlers.py``), what contract mode makes up (``factory.py``), and a ``RESOURCE``
declaration in its ``__init__.py``. Adding one means writing its folder and one line here;
routing, the OpenAPI document, the journal's tags, coverage, the admin API's state document,
per-account reset and persistence all follow from the declaration.
"""

from __future__ import annotations

from ..core.operations import Resource
from . import (
    deployments,
    gateway,
    model_templates,
    models,
    responses,
    span_assessments,
    spans,
    usage,
    v5_models,
)

__all__ = ["REGISTRY"]

REGISTRY: tuple[Resource, ...] = (
    model_templates.RESOURCE,
    models.RESOURCE,
    deployments.RESOURCE,
    usage.RESOURCE,  # with the inference routes (resources/inference/), which write its records
    responses.RESOURCE,
    v5_models.RESOURCE,
    gateway.RESOURCE,
    spans.RESOURCE,
    span_assessments.RESOURCE,
)
"""Every resource, in the order the OpenAPI document and the state document list them."""
