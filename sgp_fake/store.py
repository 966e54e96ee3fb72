"""The model-template store, and the clock and ids of new records (re-exported for existing
imports).

Tables are generic (:mod:`sgp_fake.core.table`); the template table, with its create, lives
with its resource (:mod:`sgp_fake.resources.model_templates.store`); the clock and ids in
:mod:`sgp_fake.clock`.
"""

from .clock import Clock, IdGenerator, random_ids, seeded_ids, utc_now
from .resources.model_templates.store import ModelTemplateStore, StoredTemplate

__all__ = [
    "Clock",
    "IdGenerator",
    "ModelTemplateStore",
    "StoredTemplate",
    "random_ids",
    "seeded_ids",
    "utc_now",
]
