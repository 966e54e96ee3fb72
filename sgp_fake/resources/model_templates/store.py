"""The model-templates table, with the writes the template API and its users make."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel

from ...core.table import Record, Table
from ...settings import Identity
from .schemas import ModelTemplateRequest, ModelTemplateResponse

__all__ = ["ModelTemplateStore", "StoredTemplate"]

_ACCOUNT_ID = {"account_id"}
_dump_request = ModelTemplateRequest.__pydantic_serializer__.to_json


@dataclass(frozen=True, slots=True)
class StoredTemplate(Record):
    """One stored template: its id, account, creation order and JSON representation."""

    def model(self) -> ModelTemplateResponse:
        """The template as a validated :class:`ModelTemplateResponse`."""
        return ModelTemplateResponse.model_validate_json(self.body)


class ModelTemplateStore(Table[StoredTemplate]):
    """Model templates of one fake instance (a :class:`~sgp_fake.core.table.Table`).

    ``clock`` and ``id_generator`` decide ``created_at`` and ``id`` of new templates; swap them
    (see :meth:`set_clock`, :meth:`set_id_generator`) for deterministic tests.
    """

    def __init__(
        self,
        kind: str = "model_templates",
        schema: type[BaseModel] = ModelTemplateResponse,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("record_type", StoredTemplate)
        super().__init__(kind, schema, **kwargs)

    def add_listener(self, listener: Callable[..., None]) -> None:
        """Call ``listener`` under the lock after each change: as every table does,
        ``listener(kind, event, record)``; a listener of two parameters, as this store once
        called them, gets ``listener(event, template)``."""
        try:
            parameters = inspect.signature(listener).parameters.values()
        except (TypeError, ValueError):
            parameters = None
        if (
            parameters is not None
            and len(parameters) == 2
            and all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
        ):
            two = listener
            super().add_listener(lambda kind, event, record: two(event, record))
        else:
            super().add_listener(listener)

    def create(self, request: ModelTemplateRequest, identity: Identity) -> StoredTemplate:
        """Store a validated create request on behalf of ``identity``; return the new template."""
        head = _dump_request(request, exclude_none=True, exclude=_ACCOUNT_ID)
        return self.create_spliced(head, request.account_id, identity)

    def create_from_json(
        self, request_json: bytes, account_id: str, identity: Identity
    ) -> StoredTemplate:
        """Store a create request given as its JSON without ``account_id``; return the template.

        ``request_json`` must be what dumping a valid :class:`ModelTemplateRequest` with
        ``exclude_none=True, exclude={"account_id"}`` gives.
        """
        return self.create_spliced(request_json, account_id, identity)
