"""The operation table compiled for dispatch: a fast matcher, and Starlette routes for the rest.

The gateway asks :meth:`Router.match` first: exact matches only, found with dictionary lookups
(static paths in one dict; parametrised paths grouped by shape, keyed by their static segments).
Anything it does not match goes to the Starlette routes built from the same table, which answer
404, 405 with ``allow``, redirects and ``HEAD`` as a Starlette app does (a FastAPI app answers
``HEAD`` with 405, and names fewer methods in ``allow``: see the decisions page).

A parameter matches one segment of the percent-decoded path, as Starlette's ``{name}`` does,
except for the operations declared with ``raw_path``: on a path whose raw form has a
percent-encoded ``/``, they are tried first, each segment of the raw path decoded on its own
(:func:`raw_segments`), so ``/v4/models/meta-llama%2FLlama-3/usage-statistics`` names the model
``meta-llama/Llama-3``. Only a request whose raw path holds a ``%`` pays for that check.
"""

from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import unquote

from starlette.routing import Match as StarletteMatch
from starlette.routing import Route
from starlette.types import Scope

from .operations import Operation

__all__ = [
    "ADMIN_PREFIX",
    "DASHBOARD_PREFIX",
    "Match",
    "RawPathRoute",
    "Router",
    "match_template",
    "raw_segments",
]

ADMIN_PREFIX = "/_fake"
"""Reserved path prefix of the admin API; never an operation's."""
DASHBOARD_PREFIX = "/_fake/ui"
"""Where the dashboard's page and files live (see ``sgp_fake.extras.dashboard``): reading them
needs no admin token, every admin call the page makes does."""

Match = tuple[Operation, dict[str, str]]
"""A matched operation and its path parameters."""


class _Shape:
    """The routes of one method and segment count whose parameters sit at the same places."""

    __slots__ = ("params", "routes", "static")

    def __init__(self, static: tuple[int, ...], params: tuple[int, ...]) -> None:
        self.static = static
        self.params = params
        self.routes: dict[tuple[str, ...], tuple[int, Operation, tuple[str, ...]]] = {}


def raw_segments(raw_path: bytes) -> list[str]:
    """A raw (percent-encoded) path split on ``/``, each segment decoded on its own (UTF-8, as
    a server decodes the path)."""
    return [unquote(segment) for segment in raw_path.decode("latin-1").split("/")]


def match_template(template: list[str], segments: list[str]) -> dict[str, str] | None:
    """The parameters of a path template (split on ``/``) that ``segments`` match, each a
    non-empty segment; else ``None``."""
    if len(template) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(template, segments, strict=True):
        if part.startswith("{"):
            if not segment:
                return None
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    return params


class Router:
    """Finds the operation of a request by method and path; built once per app."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations: tuple[Operation, ...] = tuple(operations)
        self._methods = tuple(sorted({op.method for op in self.operations}))
        self._static: dict[tuple[str, str], Operation] = {}
        self._shapes: dict[tuple[str, int], list[_Shape]] = {}
        # The raw-path operations, by method and segment count, matched on the raw path.
        self._raw: dict[str, dict[int, list[_Shape]]] = {}
        seen: set[tuple[str, str]] = set()
        for order, op in enumerate(self.operations):
            if (op.method, op.path) in seen:
                raise ValueError(f"two operations for {op.method} {op.path}")
            seen.add((op.method, op.path))
            if op.name in {o.name for o in self.operations[:order]}:
                raise ValueError(f"two operations named {op.name!r}")
            if "{" not in op.path:
                self._static[(op.method, op.path)] = op
                continue
            segments = op.path.split("/")
            static = tuple(i for i, s in enumerate(segments) if not s.startswith("{"))
            params = tuple(i for i, s in enumerate(segments) if s.startswith("{"))
            shapes = self._shapes.setdefault((op.method, len(segments)), [])
            shape = next((s for s in shapes if (s.static, s.params) == (static, params)), None)
            if shape is None:
                shape = _Shape(static, params)
                shapes.append(shape)
            key = tuple(segments[i] for i in static)
            names = tuple(segments[i][1:-1] for i in params)
            shape.routes.setdefault(key, (order, op, names))
            if op.raw_path:
                raw = self._raw.setdefault(op.method, {}).setdefault(len(segments), [])
                raw_shape = next((s for s in raw if (s.static, s.params) == (static, params)), None)
                if raw_shape is None:
                    raw_shape = _Shape(static, params)
                    raw.append(raw_shape)
                raw_shape.routes.setdefault(key, (order, op, names))
        # Starlette tries routes in order, the matcher static paths first: they agree only if no
        # static path is shadowed by a parametrised route declared before it.
        for (method, path), op in self._static.items():
            found = self._match_shapes(method, path)
            if found is not None and self.operations.index(found[0]) < self.operations.index(op):
                raise ValueError(f"{method} {path} is shadowed by {found[0].path}, declared first")

    def match(self, method: str, path: str, raw_path: bytes | None = None) -> Match | None:
        """The operation ``method path`` exactly matches, with its parameters; else ``None``.

        A parameter matches one non-empty segment, as Starlette's ``{name}`` does; that of a
        raw-path operation one segment of ``raw_path`` (the path as sent, percent-encoded), when
        given.
        """
        op = self._static.get((method, path))
        if op is not None:
            return op, {}
        raw = self._raw.get(method)
        if raw is not None and raw_path is not None and b"%" in raw_path:
            found = self.match_raw(method, raw_path)
            if found is not None:
                return found
        return self._match_shapes(method, path)

    def match_raw(self, method: str, raw_path: bytes) -> Match | None:
        """The raw-path operation ``method raw_path`` matches, its parameters decoded segment
        by segment; else ``None``."""
        shapes = self._raw.get(method, {}).get(raw_path.count(b"/") + 1)
        if not shapes:
            return None
        return self._best(shapes, raw_segments(raw_path))

    def _match_shapes(self, method: str, path: str) -> Match | None:
        shapes = self._shapes.get((method, path.count("/") + 1))
        if not shapes:
            return None
        return self._best(shapes, path.split("/"))

    @staticmethod
    def _best(shapes: list[_Shape], segments: list[str]) -> Match | None:
        best: tuple[int, Operation, tuple[str, ...], _Shape] | None = None
        for shape in shapes:
            found = shape.routes.get(tuple([segments[i] for i in shape.static]))
            if found is None or not all(segments[i] for i in shape.params):
                continue
            if best is None or found[0] < best[0]:
                best = (*found, shape)
        if best is None:
            return None
        _, op, names, shape = best
        return op, {name: segments[i] for name, i in zip(names, shape.params, strict=True)}

    def serves(self, method: str, path: str, raw_path: bytes | None = None) -> bool:
        """Whether some operation serves ``method path`` (``HEAD`` counts for ``GET``)."""
        if self.match(method, path, raw_path) is not None:
            return True
        return method == "HEAD" and self.match("GET", path, raw_path) is not None

    def knows(self, path: str, raw_path: bytes | None = None) -> bool:
        """Whether some operation serves ``path`` with any method (another one is a 405)."""
        return any(self.match(method, path, raw_path) is not None for method in self._methods)


class RawPathRoute(Route):
    """A raw-path operation's route on its raw path (see ``Operation.raw_path``): placed before
    every other route, it matches only a path whose raw form holds a ``%``, each raw segment
    decoded on its own, so a parameter may hold a ``/`` sent as ``%2F``; the operation's own
    route, in its place, matches the decoded path as any route does. Starlette then picks what
    the direct dispatch picks."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self._segments = path.split("/")

    def matches(self, scope: Scope) -> tuple[StarletteMatch, Scope]:
        raw_path = scope.get("raw_path")
        if scope["type"] != "http" or scope.get("root_path") or not raw_path:
            return StarletteMatch.NONE, {}
        if b"%" not in raw_path:
            return StarletteMatch.NONE, {}
        params = match_template(self._segments, raw_segments(raw_path))
        if params is None:
            return StarletteMatch.NONE, {}
        child = {
            "endpoint": self.endpoint,
            "path_params": {**scope.get("path_params", {}), **params},
        }
        if self.methods and scope["method"] not in self.methods:
            return StarletteMatch.PARTIAL, child
        return StarletteMatch.FULL, child
