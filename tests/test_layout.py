"""The package's layers: what may import what (checked on the source of every module of the
package, the top level included, lazy imports included).

From the ground up:

* the ground: ``errors``, ``settings`` and ``clock`` import nothing of the package beyond each
  other; ``testdata`` (the test-data engines) imports nothing of the package at all.
* ``core`` knows no resource and no extra: it takes the operation table as data.
* ``extras`` (admin, coverage, persistence, traces ...) build on the core and never import a
  resource.
* A resource imports the core's resource-facing modules, the shared contract types and other
  resources' modules, never the registry, an extra, nor the request machinery (gateway,
  journal, faults, rate limit, routing). It may build on ``testdata``, but its request-path
  modules import it (and the shared ``catalogue``) only lazily: Faker stays off the request
  path.
* The assembly, ``state`` and ``app``, puts the core, the extras and the registry together; it
  imports no face and no test data.
* The faces and entry points (every other top-level module: ``fake``, ``plugin``,
  ``factories`` ...) may import all of the above; nothing below the top level imports one.
* ``cli`` is the outermost entry point: only the package root names it (lazily), and
  ``__main__`` (``python -m sgp_fake``) runs it.
* Between the top-level units (a module, or a folder as a whole) there is no import cycle but a
  type-only one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import sgp_fake

PACKAGE = Path(sgp_fake.__file__).parent
ROOT = "sgp_fake"
GROUND = {"errors", "settings", "clock"}
BASE = {f"{ROOT}.{name}" for name in GROUND}
TESTDATA = "sgp_fake.testdata"
# Put the core, the extras and the resources together: below every face.
ASSEMBLY = {"state", "app"}
# Entry points and public faces: what users import. Nothing below the top level imports one, so
# a face can import anything beneath it without closing a circle. A new top-level module must
# be placed in one of these three sets (see test_every_top_level_module_has_a_place).
FACES = {
    "deterministic",
    "examples",
    "factories",
    "fake",
    "inference",
    "intercept",
    "live_server",
    "payloads",
    "plugin",
    "protocol",
    "transport",
}
CLI = "cli"
# `python -m sgp_fake`: runs the CLI, and nothing imports it.
MAIN = "__main__"
# A resource's test data, never imported by a request: the only modules of a resource that
# import the test-data engines (and the shared catalogue) at module level.
TEST_DATA_MODULES = {"factory", "invalid", "examples"}
RESOURCE_FACING_CORE = {
    "sgp_fake.core",
    "sgp_fake.core.answers",
    "sgp_fake.core.bodies",
    "sgp_fake.core.call",
    "sgp_fake.core.compact",
    "sgp_fake.core.crud",
    "sgp_fake.core.envelopes",
    "sgp_fake.core.facts",
    "sgp_fake.core.lazy_model",
    "sgp_fake.core.operations",
    "sgp_fake.core.scope",
    "sgp_fake.core.table",
    "sgp_fake.core.twin",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, tree: ast.AST | None = None) -> set[str]:
    """Every module of the package ``path`` imports, at any depth of its code (of ``tree``,
    when given: a part of it)."""
    name = _module_name(path)
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree or ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # `from . import x` and `from .pkg import mod` name modules too.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    modules = {str(p) for p in (_module_name(p) for p in PACKAGE.rglob("*.py"))}
    return {m for m in found if m in modules and m != name}


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py")) if folder else []


def _unit(module: str) -> str:
    """The top-level unit of ``module``: its top-level module or folder (the root: ``sgp_fake``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def _allowed(importer: str, imported: str) -> bool:  # noqa: PLR0911 - one rule a branch
    source, target = _unit(importer), _unit(imported)
    if source == "testdata":
        return target == "testdata"
    if source in GROUND:
        return target in GROUND
    if target in GROUND:
        return True
    if source == "core":
        return target == "core"
    if source == "extras":
        return target in {"core", "extras"}
    if source == "resources":
        if target == "core":
            return imported in RESOURCE_FACING_CORE
        # Other resources' modules, never the registry that lists them all.
        return target == "testdata" or (target == "resources" and imported != "sgp_fake.resources")
    if source in ASSEMBLY:
        return target in {"core", "extras", "resources", *ASSEMBLY}
    if target == MAIN:
        return False
    if source in FACES:
        return target not in {CLI, ROOT}
    if source == CLI:
        return target != ROOT
    if source == MAIN:
        return target == CLI
    return source == ROOT  # the package root maps public names to their homes


EVERY_MODULE = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", EVERY_MODULE, ids=_module_name)
def test_imports_follow_the_layers(path: Path) -> None:
    importer = _module_name(path)
    wrong = sorted(m for m in _imports(path) if not _allowed(importer, m))
    assert not wrong, f"{importer} may not import {wrong}"


def test_every_top_level_module_has_a_place() -> None:
    # A new top-level module is placed on purpose: the ground, the assembly or a face.
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", MAIN}
    assert top == GROUND | ASSEMBLY | FACES
    assert len(top) == len(GROUND) + len(ASSEMBLY) + len(FACES)  # in one place each
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == {"core", "extras", "resources", "testdata", CLI}


def test_the_rule_catches_an_import_against_the_layers() -> None:
    # The checker itself: one planted import against each rule is refused.
    assert not _allowed("sgp_fake.core.gateway", "sgp_fake.resources.model_templates")
    assert not _allowed("sgp_fake.core.gateway", "sgp_fake.extras.coverage")
    assert not _allowed("sgp_fake.core.gateway", "sgp_fake.testdata.faker")
    assert not _allowed("sgp_fake.extras.admin", "sgp_fake.resources")
    assert not _allowed("sgp_fake.extras.traces", "sgp_fake.resources.spans.table")
    assert not _allowed("sgp_fake.resources.model_templates.handlers", "sgp_fake.extras.admin")
    assert not _allowed("sgp_fake.resources.model_templates", "sgp_fake.core.gateway")
    assert not _allowed("sgp_fake.resources.usage", "sgp_fake.resources")
    assert not _allowed("sgp_fake.errors", "sgp_fake.core.table")
    assert not _allowed("sgp_fake.settings", "sgp_fake.testdata")
    assert _allowed("sgp_fake.settings", "sgp_fake.errors")
    assert _allowed("sgp_fake.resources.model_templates", "sgp_fake.core.call")
    assert _allowed("sgp_fake.resources", "sgp_fake.resources.usage")
    assert not _allowed("sgp_fake.testdata.invalid", "sgp_fake.resources.models")
    assert not _allowed("sgp_fake.testdata.faker", "sgp_fake.errors")
    assert _allowed("sgp_fake.resources.models.invalid", "sgp_fake.testdata.invalid")
    # Nothing below the top level imports a face, the assembly or the package root.
    assert not _allowed("sgp_fake.resources.models.factory", "sgp_fake.factories")
    assert not _allowed("sgp_fake.resources.models.invalid", "sgp_fake.payloads")
    assert not _allowed("sgp_fake.resources.gateway.handlers", "sgp_fake.inference")
    assert not _allowed("sgp_fake.extras.admin.state", "sgp_fake.state")
    assert not _allowed("sgp_fake.core.call", "sgp_fake")
    # The assembly imports no face and no test data.
    assert not _allowed("sgp_fake.state", "sgp_fake.fake")
    assert not _allowed("sgp_fake.app", "sgp_fake.testdata.faker")
    assert _allowed("sgp_fake.fake", "sgp_fake.state")
    # Only the package root names the CLI.
    assert not _allowed("sgp_fake.plugin", "sgp_fake.cli.process")
    assert not _allowed("sgp_fake.extras.admin", "sgp_fake.cli")
    assert _allowed("sgp_fake.cli.serve", "sgp_fake.fake")
    assert _allowed("sgp_fake", "sgp_fake.cli.process")
    assert _allowed("sgp_fake.__main__", "sgp_fake.cli")
    assert not _allowed("sgp_fake.__main__", "sgp_fake.fake")
    assert not _allowed("sgp_fake.fake", "sgp_fake.__main__")


def _without_type_checking(tree: ast.AST) -> ast.AST:
    """``tree`` without its ``if TYPE_CHECKING:`` blocks (their ``else:`` kept), at any depth."""

    class Strip(ast.NodeTransformer):
        def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt]:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                return [self.visit(n) for n in node.orelse]
            self.generic_visit(node)
            return node

    return Strip().visit(tree)


def _unit_graph() -> dict[str, set[str]]:
    """Which top-level unit imports which, lazy imports included, type-only ones not."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in EVERY_MODULE:
        importer = _module_name(path)
        tree = _without_type_checking(ast.parse(path.read_text(), str(path)))
        for imported in _imports(path, tree):
            if _unit(imported) != _unit(importer):
                graph[_unit(importer)].add(_unit(imported))
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_top_level_units() -> None:
    assert _cycles(_unit_graph()) == []


def test_the_cycle_check_finds_a_planted_cycle() -> None:
    graph = {"fake": {"live_server", "state"}, "live_server": {"core"}, "state": {"core"}}
    assert _cycles(graph) == []
    graph["live_server"].add("fake")
    assert _cycles(graph) == [["fake", "live_server"]]


def test_type_only_imports_are_left_out_of_the_unit_graph() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sgp_fake.fake\n"
    tree = _without_type_checking(ast.parse(source))
    assert "sgp_fake.fake" not in _imports(PACKAGE / "live_server.py", tree)
    assert "sgp_fake.fake" in _imports(PACKAGE / "live_server.py", ast.parse(source))


def _module_level_imports(path: Path) -> set[str]:
    """The modules of the package ``path`` imports when it is imported: its top-level
    statements, not function bodies nor ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(), str(path))
    top: list[ast.stmt] = []
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            pending += [*node.body, *node.orelse]
        elif isinstance(node, ast.Try):
            pending += [*node.body, *node.orelse, *node.finalbody]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            top.append(node)
    stripped = ast.Module(body=top, type_ignores=[])
    return _imports(path, stripped)


REQUEST_PATH = [
    p for p in _modules("resources") if p.stem not in TEST_DATA_MODULES and p.stem != "catalogue"
]


@pytest.mark.parametrize("path", REQUEST_PATH, ids=_module_name)
def test_the_request_path_loads_no_test_data(path: Path) -> None:
    # Faker is loaded when contract mode first makes a record up, or by a test: never to serve.
    eager = _module_level_imports(path)
    wrong = sorted(
        m
        for m in eager
        if m.startswith(TESTDATA)
        or m == "sgp_fake.resources.catalogue"
        or m.rpartition(".")[2] in TEST_DATA_MODULES
    )
    assert not wrong, f"{_module_name(path)} imports {wrong} at module level"
