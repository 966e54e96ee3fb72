"""The operation table compiled for dispatch: a fast matcher, and Starlette routes for the rest.

The gateway asks :meth:`Router.match` first: exact matches only, found with dictionary lookups
(static paths in one dict; parametrised paths grouped by shape, keyed by their static segments).
Anything it does not match goes to the Starlette routes built from the same table, which answer
404, 405 with ``allow``, redirects and ``HEAD`` exactly as a Starlette (and FastAPI) app does.
"""

from __future__ import annotations

from typing import Iterable

from .operations import Operation

__all__ = ["ADMIN_PREFIX", "DASHBOARD_PREFIX", "Match", "Router"]

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


class Router:
    """Finds the operation of a request by method and path; built once per app."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations: tuple[Operation, ...] = tuple(operations)
        self._static: dict[tuple[str, str], Operation] = {}
        self._shapes: dict[tuple[str, int], list[_Shape]] = {}
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
        # Starlette tries routes in order, the matcher static paths first: they agree only if no
        # static path is shadowed by a parametrised route declared before it.
        for (method, path), op in self._static.items():
            found = self._match_shapes(method, path)
            if found is not None and self.operations.index(found[0]) < self.operations.index(op):
                raise ValueError(f"{method} {path} is shadowed by {found[0].path}, declared first")

    def match(self, method: str, path: str) -> Match | None:
        """The operation ``method path`` exactly matches, with its parameters; else ``None``.

        A parameter matches one non-empty segment, as Starlette's ``{name}`` does.
        """
        op = self._static.get((method, path))
        if op is not None:
            return op, {}
        return self._match_shapes(method, path)

    def _match_shapes(self, method: str, path: str) -> Match | None:
        shapes = self._shapes.get((method, path.count("/") + 1))
        if not shapes:
            return None
        segments = path.split("/")
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

    def serves(self, method: str, path: str) -> bool:
        """Whether some operation serves ``method path`` (``HEAD`` counts for ``GET``)."""
        if self.match(method, path) is not None:
            return True
        return method == "HEAD" and self.match("GET", path) is not None
