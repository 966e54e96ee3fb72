"""MkDocs hooks: the reference pages that are generated from the code, so they cannot drift.

A page under ``docs/reference/`` holds a block opened by ``<!-- generated: NAME -->`` and closed
by ``<!-- end generated: NAME -->``; at build time :func:`on_page_markdown` puts in it what
:data:`GENERATORS` makes of the code as it is:

* ``cli``: every command and flag of ``sgp-fake``, from :func:`sgp_fake.cli.build_parser`;
* ``admin-api``: every route of the admin API, from the OpenAPI document the fake serves;
* ``pytest``: every fixture (with its docstring), marker argument and option of the plugin;
* ``errors``: every error message the package's source can answer with, as a template.

The pages hold the generated text too, so they read whole where Markdown is shown as it is
(a repository's web view); ``python docs/hooks.py`` rewrites them, and
``tests/docs/test_docs_reference.py`` (which loads this file by path) fails while a page's text
is not what the code makes, and checks each page is complete.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)
BLOCK = re.compile(
    r"^<!-- generated: ([a-z-]+) -->\n.*?^<!-- end generated: \1 -->$", re.MULTILINE | re.DOTALL
)


def _cell(text: Any) -> str:
    """Text that stays in one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


# -- the command line -------------------------------------------------------------------------


def _help(action: argparse.Action, prog: str) -> str:
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    # argparse's own expansion (HelpFormatter._expand_help): %(default)s and the like
    params = dict(vars(action), prog=prog)
    params = {k: getattr(v, "__name__", v) for k, v in params.items() if v is not argparse.SUPPRESS}
    return action.help % params


def _flag(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    names = ", ".join(f"`{name}`" for name in action.option_strings)
    if action.nargs == 0:
        return names
    # As --help names it: a flag of fixed choices takes one of {a,b,...}.
    choices = "{" + ",".join(map(str, action.choices)) + "}" if action.choices else None
    metavar = action.metavar or choices or action.dest.upper()
    return f"{names} `{metavar}`"


def _parser_section(parser: argparse.ArgumentParser, title: str, level: int) -> list[str]:
    lines = [f"{'#' * level} `{title}`", ""]
    if parser.description:
        lines += [textwrap.dedent(parser.description).strip(), ""]
    # At a fixed width: argparse wraps to the terminal's (COLUMNS), and the page must not move.
    formatter = parser.formatter_class(prog=parser.prog, width=80)  # type: ignore[call-arg]
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    lines += ["```text", formatter.format_help().strip(), "```", ""]
    subparsers: list[argparse._SubParsersAction[Any]] = []
    for group in parser._action_groups:
        actions = [a for a in group._group_actions if not isinstance(a, argparse._SubParsersAction)]
        subparsers += [a for a in group._group_actions if isinstance(a, argparse._SubParsersAction)]
        if not actions:
            continue
        lines += [
            f"**{group.title}**",
            "",
            "| flag | default | what it does |",
            "| --- | --- | --- |",
        ]
        for action in actions:
            default = action.default
            # A switch takes no value: its default is where its dest starts (True for a
            # --no-... flag), not a value to give it.
            # By identity: 0.0 == False, and a number's default is shown.
            shown = (
                ""
                if action.nargs == 0 or any(default is v for v in (None, argparse.SUPPRESS, False))
                else f"`{default}`"
            )
            lines.append(f"| {_flag(action)} | {shown} | {_cell(_help(action, parser.prog))} |")
        lines.append("")
    if parser.epilog:
        lines += ["```text", parser.epilog.rstrip(), "```", ""]
    for sub in subparsers:
        for name, child in sub.choices.items():
            lines += _parser_section(child, f"{title} {name}", level + 1)
    return lines


def cli_markdown() -> str:
    """Every command and flag of ``sgp-fake``, from its argument parser."""
    from sgp_fake.cli import build_parser

    parser = build_parser()
    return "\n".join(_parser_section(parser, parser.prog, 2))


# -- the admin API ----------------------------------------------------------------------------


def admin_openapi() -> dict[str, Any]:
    """The OpenAPI document a fake with the admin API on serves at ``/openapi.json``."""
    from sgp_fake import SGPFake

    fake = SGPFake(admin=True, coverage=True)
    with fake.client() as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _schema_text(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[`{name}`](#schema-{name.lower()})"
    if schema.get("type") == "array" and "items" in schema:
        return f"array of {_schema_text(schema['items'])}"
    return f"`{_cell(json.dumps(schema, separators=(',', ':')))}`"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def admin_routes(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) of every admin route, in the document's order."""
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        if path.startswith("/_fake")
        for method, op in item.items()
    ]


def admin_markdown() -> str:
    """Every admin route with its parameters, body and answers; then the schemas they name."""
    document = admin_openapi()
    routes = admin_routes(document)
    lines = ["## Routes", "", "| method | path | what it does |", "| --- | --- | --- |"]
    for method, path, op in routes:
        anchor = op["operationId"].replace("_", "-")
        lines.append(f"| `{method}` | [`{path}`](#{anchor}) | {_cell(op.get('summary', ''))} |")
    lines.append("")
    wanted: list[str] = []
    for method, path, op in routes:
        lines += [f"### `{method} {path}` {{ #{op['operationId'].replace('_', '-')} }}", ""]
        lines += [op.get("summary", ""), ""]
        if op.get("description"):
            lines += [op["description"], ""]
        if op.get("parameters"):
            lines += ["**Parameters**", "", "| name | in | required | schema | description |"]
            lines.append("| --- | --- | --- | --- | --- |")
            for param in op["parameters"]:
                required = "yes" if param.get("required") else "no"
                schema = _schema_text(param.get("schema"))
                described = _cell(param.get("description", ""))
                lines.append(
                    f"| `{param['name']}` | {param['in']} | {required} | {schema} | {described} |"
                )
            lines.append("")
        body = op.get("requestBody")
        if body:
            for media, content in body.get("content", {}).items():
                required = "required" if body.get("required") else "optional"
                schema = _schema_text(content.get("schema"))
                lines += [f"**Request body** ({required}, `{media}`): {schema}", ""]
        lines += ["**Answers**", "", "| status | description | body |", "| --- | --- | --- |"]
        for status, answer in op.get("responses", {}).items():
            content = answer.get("content", {})
            schema = next(iter(content.values()), {}).get("schema") if content else None
            lines.append(
                f"| `{status}` | {_cell(answer.get('description', ''))} | {_schema_text(schema)} |"
            )
        lines.append("")
        wanted += [name for name in dict.fromkeys(_refs(op)) if name not in wanted]
    schemas = document["components"]["schemas"]
    # the schemas a named schema names in turn, until none is new
    index = 0
    while index < len(wanted):
        # dict.fromkeys: a schema may name another twice (two fields of one type)
        wanted += [n for n in dict.fromkeys(_refs(schemas[wanted[index]])) if n not in wanted]
        index += 1
    lines += ["## Schemas", ""]
    for name in sorted(wanted):
        lines += [
            f"### `{name}` {{ #schema-{name.lower()} }}",
            "",
            "```json",
            json.dumps(schemas[name], indent=2),
            "```",
            "",
        ]
    return "\n".join(lines)


# -- the pytest plugin ------------------------------------------------------------------------


def marker_line() -> tuple[str, str]:
    """(signature, description) of the ``sgp_fake`` marker, as the plugin registers it."""
    from sgp_fake import plugin

    registered: list[str] = []

    class Config:
        def addinivalue_line(self, name: str, line: str) -> None:
            if name == "markers":
                registered.append(line)

    plugin.pytest_configure(Config())  # type: ignore[arg-type]
    line = next(line for line in registered if line.startswith(plugin.MARKER + "("))
    signature, _, description = line.partition("): ")
    return signature + ")", description


def marker_arguments() -> list[tuple[str, str]]:
    """(name, default) of every argument the marker accepts, in its registered order."""
    signature, _ = marker_line()
    call = ast.parse(signature, mode="eval").body
    assert isinstance(call, ast.Call)
    return [(kw.arg or "", ast.unparse(kw.value)) for kw in call.keywords]


def fixtures() -> list[tuple[str, str, str]]:
    """(name, scope, docstring) of every fixture the plugin defines."""
    from sgp_fake import plugin

    found = []
    for name, value in vars(plugin).items():
        definition = getattr(value, "_fixture_function_marker", None)
        if definition is None:
            definition = getattr(value, "_pytestfixturefunction", None)
        if definition is None:
            continue
        unwrap = getattr(value, "_get_wrapped_function", None)
        function = unwrap() if unwrap is not None else value
        scope = definition.scope if isinstance(definition.scope, str) else "function"
        found.append((definition.name or name, scope, inspect.getdoc(function) or ""))
    return found


def pytest_markdown() -> str:
    """The plugin's fixtures, its marker's arguments and its command-line and ini options."""
    from sgp_fake import plugin

    signature, description = marker_line()
    lines = ["## Fixtures", "", "| fixture | scope |", "| --- | --- |"]
    found = fixtures()
    lines += [f"| [`{name}`](#{name.replace('_', '-')}) | {scope} |" for name, scope, _ in found]
    lines.append("")
    for name, scope, doc in found:
        lines += [f"### `{name}` {{ #{name.replace('_', '-')} }}", "", f"Scope: {scope}.", ""]
        lines += [doc or "(undocumented)", ""]
    lines += ["## The `sgp_fake` marker", "", "```text", f"@pytest.mark.{signature}", "```", ""]
    lines += [description, "", "| argument | default |", "| --- | --- |"]
    lines += [f"| `{name}` | `{default}` |" for name, default in marker_arguments()]
    lines.append("")
    lines += ["## Options", "", "| option | ini | what it does |", "| --- | --- | --- |"]

    class Group:
        def addoption(self, *names: str, **kwargs: Any) -> None:
            options.append((names, kwargs))

    class Parser:
        def getgroup(self, name: str) -> Group:
            return Group()

        def addini(self, name: str, help: str, **kwargs: Any) -> None:
            inis[name] = help

    options: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    inis: dict[str, str] = {}
    plugin.pytest_addoption(Parser())  # type: ignore[arg-type]
    for names, kwargs in options:
        dest = kwargs.get("dest", "")
        ini = f"`{dest}`" if dest in inis else ""
        metavar = f" `{kwargs['metavar']}`" if kwargs.get("metavar") else ""
        flag = ", ".join(f"`{n}`" for n in names) + metavar
        lines.append(f"| {flag} | {ini} | {_cell(kwargs.get('help', ''))} |")
    lines.append("")
    return "\n".join(lines)


# -- error messages ---------------------------------------------------------------------------


def _error_classes(trees: dict[Path, ast.Module]) -> dict[str, int]:
    """FakeHTTPError and every class of the package derived from it, with its status code."""
    classes = {"FakeHTTPError": 500}
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or node.name in classes:
                    continue
                bases = [
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                ]
                inherited = [classes[b] for b in bases if b in classes]
                if not inherited:
                    continue
                status = inherited[0]
                for item in node.body:
                    target = item.target if isinstance(item, ast.AnnAssign) else None
                    if isinstance(item, ast.Assign) and len(item.targets) == 1:
                        target = item.targets[0]
                    if (
                        isinstance(target, ast.Name)
                        and target.id == "status_code"
                        and isinstance(item.value, ast.Constant)  # type: ignore[union-attr]
                    ):
                        status = int(item.value.value)  # type: ignore[union-attr]
                classes[node.name] = status
                changed = True
    return classes


def _template(node: ast.expr) -> str | None:
    """A message as a template: f-string fields become ``{name}``; None if not a string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                expr = value.value
                if isinstance(expr, ast.Attribute):
                    parts.append("{" + expr.attr + "}")
                elif isinstance(expr, ast.Name):
                    parts.append("{" + expr.id + "}")
                elif isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
                    parts.append("{" + str(expr.slice.value) + "}")  # fields['id']: {id}
                elif isinstance(expr, ast.Call) and expr.args:
                    # a value shown through a helper, _shown(host): the placeholder is its input
                    inner = _template(ast.JoinedStr([ast.FormattedValue(expr.args[0], -1, None)]))
                    parts.append(inner or "{" + ast.unparse(expr) + "}")
                else:
                    parts.append("{" + ast.unparse(expr) + "}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _alternatives(expr: ast.expr) -> Iterator[ast.expr]:
    """The messages an expression may give: each branch of ``a if c else b``."""
    if isinstance(expr, ast.IfExp):
        yield from _alternatives(expr.body)
        yield from _alternatives(expr.orelse)
    else:
        yield expr


def _messages(
    node: ast.AST, classes: dict[str, int]
) -> Iterator[tuple[str, ast.expr, int, int | None]]:
    """(error type or ``detail``, message expression, line, status when the code names it) of
    the messages one node gives: an error class's ``default_detail``, an error raised with a
    message, a ``{"detail": ...}``, a ``detail_response(status, message)`` (or
    ``refusal_response``)."""
    found: list[tuple[str, ast.expr, int, int | None]] = []
    if isinstance(node, ast.ClassDef) and node.name in classes:
        for item in node.body:
            named = "default_detail" in ast.unparse(item)
            if isinstance(item, ast.AnnAssign | ast.Assign) and item.value is not None and named:
                found.append((f"{node.name} (default)", item.value, item.lineno, None))
    elif isinstance(node, ast.Call) and _called(node) in classes:
        for arg in [*node.args[:1], *(kw.value for kw in node.keywords if kw.arg == "detail")]:
            found.append((_called(node), arg, node.lineno, None))
    elif (
        isinstance(node, ast.Call)
        and _called(node) in ("detail_response", "refusal_response")
        and len(node.args) > 1
    ):
        status, message = node.args[0], node.args[1]
        code = status.value if isinstance(status, ast.Constant) else None
        found.append(("detail", message, node.lineno, code if isinstance(code, int) else None))
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "detail":
                found.append(("detail", value, node.lineno, None))
    for kind, expr, line, status in found:
        for message in _alternatives(expr):
            yield kind, message, line, status


def error_messages() -> dict[str, list[tuple[str, int | None, str]]]:
    """Module -> (error type or ``detail``, status, template) of every message in the package,
    in the order of the source, each once."""
    package = ROOT / "sgp_fake"
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(package.rglob("*.py"))
    }
    classes = _error_classes(trees)
    found: dict[str, list[tuple[str, int | None, str]]] = {}
    for path, tree in trees.items():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        entries = sorted(
            (line, kind, text, status)
            for node in ast.walk(tree)
            for kind, expr, line, status in _messages(node, classes)
            if (text := _template(expr)) is not None
        )
        unique: dict[tuple[str, str], int | None] = {}
        for _, kind, text, status in entries:
            unique.setdefault((kind, text), status)
        if unique:
            found[module] = [
                (kind, status or classes.get(kind.removesuffix(" (default)")), text)
                for (kind, text), status in unique.items()
            ]
    return found


def errors_markdown() -> str:
    """Every message, grouped by module, as a template with its placeholders."""
    lines = [
        "A `detail` row is an answer built in place; its status is the one its code answers with.",
        "",
    ]
    for module, entries in error_messages().items():
        lines += [f"## `{module}`", "", "| answered as | status | message |", "| --- | --- | --- |"]
        for kind, status, text in entries:
            lines.append(f"| `{kind}` | {status or ''} | `{_cell(text)}` |")
        lines.append("")
    return "\n".join(lines)


GENERATORS: dict[str, Callable[[], str]] = {
    "cli": cli_markdown,
    "admin-api": admin_markdown,
    "pytest": pytest_markdown,
    "errors": errors_markdown,
}


def _block(name: str) -> str:
    return f"<!-- generated: {name} -->\n{GENERATORS[name]()}\n<!-- end generated: {name} -->"


def regenerated(markdown: str) -> str:
    """``markdown`` with each generated block's text made again from the code."""
    return BLOCK.sub(lambda match: _block(match.group(1)), markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Fill each generated block with what its generator makes of the code now."""
    return regenerated(markdown)


def main() -> None:
    """Rewrite the reference pages' generated blocks (``python docs/hooks.py``)."""
    for page in sorted((ROOT / "docs" / "reference").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        fresh = regenerated(text)
        if fresh != text:
            page.write_text(fresh, encoding="utf-8")
            print(f"rewrote {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
