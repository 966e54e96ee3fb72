"""The dashboard: a page in the browser over the admin API, served at ``/_fake/ui``.

The page is static HTML, CSS and plain JavaScript (ES modules, no build step) shipped in this
package (``static/``); it holds no state of its own and reads and changes the fake only through
the admin API, with the admin token it finds in ``#token=`` of its URL (see
:mod:`sgp_fake.core.access`, which lets the page itself load without the token). It is served
with the admin routes, so ``--no-admin`` turns it off with the rest of ``/_fake``.

Only the files listed in :data:`ASSETS` are served, looked up by name: a path that names
anything else (``..``, an encoded slash, another file of the package) is a 404 and never
reaches the file system. ``/_fake/ui/openapi.json`` is the fake's ``/openapi.json``, which the
page reads to find the admin routes a fake has: read there, it leaves no entry in the journal
and meets no fault rule, as every admin call.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Awaitable, Callable, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...core.routing import DASHBOARD_PREFIX
from ...errors import NotFound

__all__ = ["ASSETS", "CONTENT_SECURITY_POLICY", "asset", "dashboard_routes"]

_SCRIPT: Final = "text/javascript; charset=utf-8"

ASSETS: Final = {
    "index.html": "text/html; charset=utf-8",
    # ES modules (no build step): app.js starts the page and imports the rest.
    "app.js": _SCRIPT,
    "page.js": _SCRIPT,
    "api.js": _SCRIPT,
    "dom.js": _SCRIPT,
    "requests.js": _SCRIPT,
    "records.js": _SCRIPT,
    "faults.js": _SCRIPT,
    "coverage.js": _SCRIPT,
    "features.js": _SCRIPT,
    "models.js": _SCRIPT,
    "usage.js": _SCRIPT,
    "traces.js": _SCRIPT,
    "style.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
"""Every file the dashboard serves, with its content type: the page, its script's modules (one
per view, and ``page.js``, ``api.js``, ``dom.js`` they share), its style and its icon."""

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page runs only its own script: bodies it shows are attacker-controlled, and were one
ever rendered as markup, no script or style in it would run, and nothing could be sent away."""

_HEADERS: Final = {
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@functools.cache
def asset(name: str) -> bytes:
    """The bytes of the dashboard file ``name`` (one of :data:`ASSETS`)."""
    if name not in ASSETS:
        raise KeyError(name)
    return resources.files(__name__).joinpath("static", name).read_bytes()


def _answer(name: str) -> Response:
    headers = dict(_HEADERS)
    if name == "index.html":
        headers["content-security-policy"] = CONTENT_SECURITY_POLICY
    return Response(asset(name), headers=headers, media_type=ASSETS[name])


def _openapi(document: Callable[[], bytes]) -> Callable[[Request], Awaitable[Response]]:
    async def openapi(request: Request) -> Response:
        return Response(document(), headers=dict(_HEADERS), media_type="application/json")

    return openapi


async def _page(request: Request) -> Response:
    return _answer("index.html")


async def _asset(request: Request) -> Response:
    name = request.path_params["name"] or "index.html"
    if name not in ASSETS:
        raise NotFound("No such file in the dashboard")
    return _answer(name)


def dashboard_routes(openapi: Callable[[], bytes]) -> list[BaseRoute]:
    """The page at ``/_fake/ui``, its files under ``/_fake/ui/`` and the fake's OpenAPI
    document (``openapi()``, as ``/openapi.json`` answers it) at ``/_fake/ui/openapi.json``;
    GET and HEAD."""
    return [
        Route(DASHBOARD_PREFIX, _page, methods=["GET"]),
        Route(DASHBOARD_PREFIX + "/openapi.json", _openapi(openapi), methods=["GET"]),
        Route(DASHBOARD_PREFIX + "/{name:path}", _asset, methods=["GET"]),
    ]
