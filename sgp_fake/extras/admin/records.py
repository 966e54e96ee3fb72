"""The records set through the admin API (scripted responses), under ``/_fake/<path>``.

A resource that declares ``admin`` (see :class:`sgp_fake.core.operations.AdminRecords`) is
served at ``/_fake/<path>``: POST adds one, GET lists them, DELETE removes them all, DELETE
``.../{id}`` one. Their OpenAPI is in :mod:`sgp_fake.extras.admin.openapi`.
"""

from __future__ import annotations

from typing import Any, Iterable

from pydantic_core import PydanticSerializationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...core.operations import Resource
from ...core.routing import ADMIN_PREFIX
from ...core.table import Table
from ...errors import BodyParseError, NotFound
from .handlers import checking_query, read_body
from .schemas import NoParams
from .state import AdminBackend

__all__ = [
    "AdminRecords",
    "admin_kinds",
    "admin_record_routes",
]


def admin_kinds(resources: Iterable[Resource]) -> list[Resource]:
    """The resources set through the admin API (those that declare ``admin``)."""
    return [resource for resource in resources if resource.admin is not None]


def admin_record_routes(backend: AdminBackend) -> list[BaseRoute]:
    """The routes of the kinds set through the admin API, bound to ``backend``."""
    routes: list[BaseRoute] = []
    for resource in admin_kinds(backend.resources.values()):
        records = AdminRecords(backend, resource)
        base = f"{ADMIN_PREFIX}/{records.path}"
        for path, endpoint, method in (
            (base, records.add, "POST"),
            (base, records.list, "GET"),
            (base, records.clear, "DELETE"),
            (base + "/{record_id}", records.remove, "DELETE"),
        ):
            routes.append(Route(path, checking_query(endpoint, NoParams), methods=[method]))
    return routes


class AdminRecords:
    """The endpoints of one kind set through the admin API, bound to one fake."""

    def __init__(self, backend: AdminBackend, resource: Resource) -> None:
        assert resource.admin is not None
        self.backend = backend
        self.resource = resource
        self.spec = resource.admin
        self.path = resource.admin.path

    def _table(self) -> Table[Any]:
        return self.backend.tables[self.resource.kind]

    def _listed(self) -> Response:
        bodies = b",".join(record.body for record in self._table().all())
        return Response(
            b'{"%s":[%s]}' % (self.path.encode(), bodies), media_type="application/json"
        )

    async def add(self, request: Request) -> Response:
        spec = read_body(self.spec.spec, request)
        try:
            record = self.spec.add(self._table(), spec)
        except PydanticSerializationError as exc:
            raise BodyParseError() from exc  # a lone surrogate: JSON carries it, UTF-8 cannot
        return Response(record.body, status_code=201, media_type="application/json")

    async def list(self, request: Request) -> Response:
        return self._listed()

    async def clear(self, request: Request) -> Response:
        self._table().clear()
        return self._listed()

    async def remove(self, request: Request) -> Response:
        record_id = request.path_params["record_id"]
        if self._table().delete(record_id) is None:
            raise NotFound(f"{self.resource.noun} {record_id} not found")
        return self._listed()
