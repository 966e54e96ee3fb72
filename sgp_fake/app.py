"""The fake's HTTP face: the gateway of :mod:`sgp_fake.core.gateway` over the resources' operations.

:func:`create_app` builds the ASGI app of one fake from its state: the operations of every
resource it serves, ``/openapi.json``, and any extra routes (the admin API).
"""

from __future__ import annotations

import functools
from typing import Callable, Iterable

from starlette.routing import BaseRoute

from .core.gateway import Backend, FakeApp
from .core.openapi import build_openapi, document_bytes, meta_operation
from .core.operations import Resource, operations
from .core.routing import Router

__all__ = ["create_app", "description", "openapi_bytes"]


@functools.cache
def description() -> str:
    """The OpenAPI document's description: the parts of the SGP API the fake serves, named by
    the tags of the registry's operations, so a new resource is named with no edit here."""
    from .resources import REGISTRY

    tags = dict.fromkeys(op.tag.lower() for op in operations(REGISTRY) if not op.meta)
    return f"A fake of the SGP API ({', '.join(tags)}), for tests."


@functools.lru_cache(maxsize=16)
def openapi_bytes(resources: tuple[Resource, ...] | None = None) -> bytes:
    """The OpenAPI document of the resources' routes (the registry's by default), serialised."""
    if resources is None:
        from .resources import REGISTRY

        resources = REGISTRY
    ops = [*operations(resources), meta_operation(lambda: b"")]
    return document_bytes(build_openapi(ops, description=description()))


@functools.lru_cache(maxsize=16)
def _default_openapi(resources: tuple[Resource, ...]) -> Callable[[], bytes]:
    return functools.partial(openapi_bytes, resources)


@functools.lru_cache(maxsize=32)
def _router(resources: tuple[Resource, ...], openapi: Callable[[], bytes]) -> Router:
    # Operations are data: one compiled router serves every fake of the same resources.
    return Router([*operations(resources), meta_operation(openapi)])


def create_app(
    backend: Backend,
    extra_routes: Iterable[BaseRoute] | Callable[[], list[BaseRoute]] = (),
    openapi: Callable[[], bytes] | None = None,
) -> FakeApp:
    """Build the ASGI app of a fake.

    ``extra_routes`` are served beside the operations (the admin API uses this); ``openapi``
    returns the bytes ``GET /openapi.json`` answers (by default, the document of the
    resources' routes generated from their models).
    """
    resources: tuple[Resource, ...] = tuple(backend.resources.values())
    if openapi is None:
        openapi = _default_openapi(resources)
    return FakeApp(backend, _router(resources, openapi), extra_routes)
