"""The package's layers: what may import what (checked on the source, lazy imports included).

* ``errors``, ``settings`` and ``clock`` import nothing of the package beyond each other;
  ``testdata`` (the test-data engines) imports nothing of the package at all.
* ``core`` knows no resource and no extra: it takes the operation table as data.
* ``extras`` (admin, coverage, persistence) build on the core and never import a resource.
* A resource imports the core's resource-facing modules, the shared contract types and other
  resources' schemas; never an extra, nor the request machinery (gateway, journal, faults, rate
  limit, routing). It may build on ``testdata``, but its request-path modules import it (and
  the shared ``catalogue``) only lazily: Faker stays off the request path.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sgp_fake

PACKAGE = Path(sgp_fake.__file__).parent
BASE = {"sgp_fake.errors", "sgp_fake.settings", "sgp_fake.clock"}
TESTDATA = "sgp_fake.testdata"
# A resource's test data, never imported by a request: the only modules of a resource that
# import the test-data engines (and the shared catalogue) at module level.
TEST_DATA_MODULES = {"factory", "invalid", "examples"}
RESOURCE_FACING_CORE = {
    "sgp_fake.core.answers",
    "sgp_fake.core.bodies",
    "sgp_fake.core.call",
    "sgp_fake.core.compact",
    "sgp_fake.core.crud",
    "sgp_fake.core.envelopes",
    "sgp_fake.core.facts",
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


def _allowed(importer: str, imported: str) -> bool:  # noqa: PLR0911 - one rule a branch
    if importer.startswith(TESTDATA):
        return imported.startswith(TESTDATA)
    if imported in BASE:
        return True
    if importer in BASE:
        return False
    if importer.startswith("sgp_fake.core"):
        return imported.startswith("sgp_fake.core")
    if importer.startswith("sgp_fake.extras"):
        return imported.startswith(("sgp_fake.core", "sgp_fake.extras"))
    if importer.startswith("sgp_fake.resources."):
        if imported.startswith("sgp_fake.core"):
            return imported in RESOURCE_FACING_CORE or imported == "sgp_fake.core"
        if imported.startswith(TESTDATA):
            return True
        return imported.startswith("sgp_fake.resources") and imported != "sgp_fake.resources"
    return True


LAYERED = [
    *_modules("core"),
    *_modules("extras"),
    *_modules("resources"),
    *_modules("testdata"),
    *(PACKAGE / f"{name}.py" for name in ("errors", "settings", "clock")),
]


@pytest.mark.parametrize("path", LAYERED, ids=_module_name)
def test_imports_follow_the_layers(path: Path) -> None:
    importer = _module_name(path)
    if importer == "sgp_fake.resources":
        return  # the registry: it lists every resource
    wrong = sorted(m for m in _imports(path) if not _allowed(importer, m))
    assert not wrong, f"{importer} may not import {wrong}"


def test_the_rule_catches_a_core_module_importing_a_resource(tmp_path: Path) -> None:
    # The checker itself: a planted import of a resource from the core is refused.
    assert not _allowed("sgp_fake.core.gateway", "sgp_fake.resources.model_templates")
    assert not _allowed("sgp_fake.extras.admin", "sgp_fake.resources")
    assert not _allowed("sgp_fake.resources.model_templates.handlers", "sgp_fake.extras.admin")
    assert not _allowed("sgp_fake.resources.model_templates", "sgp_fake.core.gateway")
    assert not _allowed("sgp_fake.errors", "sgp_fake.core.table")
    assert _allowed("sgp_fake.resources.model_templates", "sgp_fake.core.call")
    assert not _allowed("sgp_fake.testdata.invalid", "sgp_fake.resources.models")
    assert not _allowed("sgp_fake.testdata.faker", "sgp_fake.errors")
    assert not _allowed("sgp_fake.resources.models.factory", "sgp_fake.factories")
    assert not _allowed("sgp_fake.resources.models.invalid", "sgp_fake.payloads")
    assert _allowed("sgp_fake.resources.models.invalid", "sgp_fake.testdata.invalid")


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
