"""The admin API (:mod:`sgp_fake.extras.admin`), with the state document and the OpenAPI
document of the resources the fake serves (:data:`sgp_fake.resources.REGISTRY`), under their
former names."""

from __future__ import annotations

from typing import Any

from .app import description
from .extras.admin import *  # noqa: F403
from .extras.admin import MAX_ID_LENGTH, admin_openapi, state_document
from .extras.admin import __all__ as _all
from .resources import REGISTRY

__all__ = [  # noqa: PLE0604
    *_all,
    "MAX_TEMPLATE_ID_LENGTH",
    "StateDocument",
    "StateTemplate",
    "admin_openapi_bytes",
]

MAX_TEMPLATE_ID_LENGTH = MAX_ID_LENGTH
"""The longest id ``PUT /_fake/state`` takes."""
StateDocument = state_document(REGISTRY)
"""The state document of the fake's resources: ``{"model_templates": [...]}``."""
_template_list: Any = StateDocument.model_fields["model_templates"].annotation
StateTemplate = _template_list.__args__[0]
"""A template of the state document: as the API answers it, with an id a route can reach."""


def admin_openapi_bytes() -> bytes:
    """``/openapi.json`` of a fake with the admin API: the SGP routes and the admin routes."""
    return admin_openapi(REGISTRY, description())()
