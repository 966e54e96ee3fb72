"""The generated reference pages (docs/hooks.py) are complete: every admin route, CLI flag,
fixture, marker argument and error message of the code is on its page."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sgp_fake_docs_hooks", DOCS / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_generated_page_has_its_placeholder(hooks: ModuleType) -> None:
    placeholders = {
        name
        for page in (DOCS / "reference").glob("*.md")
        for name in hooks.PLACEHOLDER.findall(page.read_text(encoding="utf-8"))
    }
    assert placeholders == set(hooks.GENERATORS)


def _blocks(hooks: ModuleType, text: str) -> dict[str, str]:
    return {match.group(1): match.group(0) for match in hooks.BLOCK.finditer(text)}


@pytest.mark.parametrize("page", ["cli", "pytest", "errors", "admin-api"])
def test_the_pages_hold_what_the_code_makes_now(hooks: ModuleType, page: str) -> None:
    # The generated text is committed too, so a page reads whole on a repository's web view;
    # `python docs/hooks.py` rewrites it after a change.
    text = (DOCS / "reference" / f"{page}.md").read_text(encoding="utf-8")
    (committed,) = _blocks(hooks, text).values()
    fresh = hooks.regenerated(committed)
    if page != "admin-api":
        assert committed == fresh, "run `python docs/hooks.py` and commit the pages"
        return

    # The admin page's schemas are pydantic's JSON Schema, which another pydantic release may
    # word differently: its routes and answers must be the code's, its schemas are not compared.
    def headings(block: str) -> list[str]:
        return [line for line in block.splitlines() if line.startswith(("### `", "| `"))]

    assert headings(committed) == headings(fresh), "run `python docs/hooks.py`"


def test_the_site_fills_each_block_in_place(hooks: ModuleType) -> None:
    page = "# T\n\nbefore\n<!-- generated: cli -->\nstale\n<!-- end generated: cli -->\nafter\n"
    built = hooks.on_page_markdown(page)
    assert "stale" not in built
    assert built.startswith("# T\n\nbefore\n<!-- generated: cli -->\n")
    assert built.endswith("\n<!-- end generated: cli -->\nafter\n")
    assert "### `sgp-fake serve`" in built


def test_the_cli_page_names_every_command_and_flag(hooks: ModuleType) -> None:
    from sgp_fake.cli import build_parser

    page = hooks.cli_markdown()
    parsers = [build_parser()]
    for parser in parsers:
        assert f"`{parser.prog}`" in page
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers += action.choices.values()
            for flag in action.option_strings:
                assert f"`{flag}`" in page, flag
            if action.nargs == 0 and action.option_strings:
                # A switch takes no value: no default shown (True would read as "on").
                row = next(
                    line
                    for line in page.splitlines()
                    if line.startswith(f"| `{action.option_strings[0]}`")
                )
                assert row.split("|")[2].strip() == "", row
    assert "serve" in {p.prog.split()[-1] for p in parsers}
    # A number's default is shown, 0.0 too (--help says "(default: 0.0)").
    latency = next(line for line in page.splitlines() if line.startswith("| `--latency`"))
    assert latency.split("|")[2].strip() == "`0.0`", latency
    # A flag of fixed choices names them, as --help does ({critical,error,...}).
    log_level = next(line for line in page.splitlines() if line.startswith("| `--log-level`"))
    assert "`{critical,error,warning,info,debug}`" in log_level, log_level


def test_the_admin_page_describes_each_schema_once(hooks: ModuleType) -> None:
    headings = re.findall(r"^### `([^`]+)` \{ #schema-", hooks.admin_markdown(), re.MULTILINE)
    assert headings
    assert len(headings) == len(set(headings))


def test_the_admin_page_lists_every_admin_route_and_answer(hooks: ModuleType) -> None:
    from sgp_fake import SGPFake

    page = hooks.admin_markdown()
    fake = SGPFake(admin=True, coverage=True)
    # what the app routes under /_fake, but for the dashboard's page and files (not API)
    served = {
        (method, route.path)
        for route in fake.app.routes
        if route.path.startswith("/_fake/") and not route.path.startswith("/_fake/ui")
        for method in route.methods - {"HEAD"}
    }
    assert len(served) >= 22
    document = hooks.admin_openapi()
    routes = hooks.admin_routes(document)
    assert {(method, path) for method, path, _ in routes} == served
    for method, path, op in routes:
        section = page.split(f"### `{method} {path}`", 1)[1].split("\n### ", 1)[0]
        for status in op["responses"]:
            assert f"| `{status}` |" in section, (method, path, status)
        for param in op.get("parameters", []):
            assert f"`{param['name']}`" in section
    for name in set(re.findall(r"\(#schema-([a-z0-9_-]+)\)", page)):
        assert f"{{ #schema-{name} }}" in page, name


def test_the_pytest_page_names_every_fixture_and_marker_argument(hooks: ModuleType) -> None:
    from sgp_fake import plugin

    page = hooks.pytest_markdown()
    names = {name for name, _, _ in hooks.fixtures()}
    # every fixture the plugin defines, found as pytest finds them
    assert {
        "sgp_fake",
        "sgp_fake_client",
        "sgp_client",
        "sgp_fake_server",
        "sgp_fake_intercept",
        "sgp_factory",
        "sgp_traces",
    } <= names
    for name in names:
        assert f"### `{name}`" in page
    arguments = {name for name, _ in hooks.marker_arguments()}
    assert arguments == set(plugin._MARKER_KWARGS)
    for name in arguments:
        assert f"| `{name}` |" in page
    assert "`--sgp-fake-seed`" in page


def test_the_errors_page_has_every_message_as_a_template(hooks: ModuleType) -> None:
    messages = hooks.error_messages()
    page = hooks.errors_markdown()
    templates = {text for entries in messages.values() for _, _, text in entries}
    assert "Model template {template_id} not found" in templates or any(
        text.endswith("{id} not found") for text in templates
    )
    assert "Fault {fault_id} not found" in templates
    assert "Not authenticated" in templates
    # One branch of a conditional, and messages answered through detail_response.
    assert "Invalid API key" in templates
    assert "Rate limit exceeded" in templates
    assert "Fault injected by sgp-fake ({id})" in templates
    for module, entries in messages.items():
        assert f"## `{module}`" in page
        for _, status, _ in entries:
            assert status is None or 400 <= status < 600


@pytest.mark.parametrize(
    ("source", "template"),
    [
        (
            'raise NotFound(f"Span {span_id} of trace {trace_id} not found")',
            "Span {span_id} of trace {trace_id} not found",
        ),
        (
            'raise NotFound(f"{self.resource.noun} {record_id} not found")',
            "{noun} {record_id} not found",
        ),
        ("raise NotFound(f\"Span {fields['id']} exists\")", "Span {id} exists"),
        ('raise NotFound(f"Invalid host {_shown(host)}")', "Invalid host {host}"),
        ('raise NotFound("a" + f"b{c}")', "ab{c}"),
    ],
)
def test_f_strings_render_as_templates(hooks: ModuleType, source: str, template: str) -> None:
    import ast

    call = ast.parse(source).body[0].exc  # type: ignore[attr-defined]
    assert hooks._template(call.args[0]) == template


def test_doctests_are_fenced_for_the_site() -> None:
    spec = importlib.util.spec_from_file_location("griffe_doctests", DOCS / "griffe_doctests.py")
    assert spec is not None
    assert spec.loader is not None
    pytest.importorskip("griffe")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = "Intro.\n\n>>> x = [1]\n>>> x[0]\n1\n\nAfter."
    assert module.fence_doctests(text) == (
        "Intro.\n\n```pycon\n>>> x = [1]\n>>> x[0]\n1\n```\n\nAfter."
    )


def test_the_marker_defaults_shown_are_what_a_test_without_the_argument_gets(
    hooks: ModuleType, pytester: pytest.Pytester
) -> None:
    # The page shows the registered signature's defaults: each must be what leaving the
    # argument out gives (journal_limit=None would keep every request; leaving it out keeps
    # the fake's default number).
    import ast

    defaults = {name: ast.literal_eval(value) for name, value in hooks.marker_arguments()}
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        f"""
        DEFAULTS = {defaults!r}

        def test_without_arguments(sgp_fake, sgp_fake_client):
            settings = sgp_fake.settings
            assert sgp_fake.journal._entries.maxlen == DEFAULTS["journal_limit"]
            assert settings.strict is DEFAULTS["strict"]
            assert settings.deployment_ready_after == DEFAULTS["deployment_ready_after"]
            assert tuple(settings.gateway_models) == tuple(DEFAULTS["gateway_models"])
            assert settings.gateway_builtin_models is DEFAULTS["gateway_builtin_models"]
            assert settings.api_keys == DEFAULTS["api_keys"]
            assert sgp_fake.responses.rules() == list(DEFAULTS["responses"])
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1)


def test_the_python_api_page_documents_every_public_name() -> None:
    # The page renders what its ::: directives name; a module renders the names of its __all__
    # that have a docstring.
    griffe = pytest.importorskip("griffe")
    import sgp_fake

    page = (DOCS / "reference" / "python-api.md").read_text(encoding="utf-8")
    directives = re.findall(r"^::: (\S+)$", page, re.MULTILINE)
    package = griffe.load("sgp_fake", search_paths=[str(ROOT)], resolve_aliases=True)
    shown: set[str] = set()

    def real(obj: Any) -> str:
        return str(obj.target_path if obj.is_alias else obj.path)

    for path in directives:
        obj = package[path.removeprefix("sgp_fake.")] if path != "sgp_fake" else package
        shown |= {path, real(obj)}
        if obj.is_module and "members: false" not in page.split(path, 1)[1].split(":::", 1)[0]:
            for name in importlib.import_module(path).__all__:
                assert obj[name].docstring, f"{path}.{name} has no docstring: not rendered"
                shown |= {f"{path}.{name}", real(obj[name])}
    for name in sgp_fake.__all__:
        assert {f"sgp_fake.{name}", real(package[name])} & shown, f"sgp_fake.{name}"
    imported = set(re.findall(r"from (sgp_fake\.[\w.]+) import", "\n".join(
        p.read_text(encoding="utf-8") for p in [*DOCS.rglob("*.md"), ROOT / "README.md"]
    )))  # fmt: skip
    undocumented = {m for m in imported if m not in directives and m != "sgp_fake.cli"}
    assert undocumented <= {"sgp_fake.cli.process"}, undocumented
