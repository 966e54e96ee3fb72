"""The dashboard's serving side: its files at /_fake/ui, what it reads, and fake.dashboard().

What the page does in a browser is tested in ``dashboard_browser/``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from sgp_fake import SGPFake
from sgp_fake.core.routing import DASHBOARD_PREFIX
from sgp_fake.extras.dashboard import ASSETS, CONTENT_SECURITY_POLICY
from tests.support.bodies import minimal_body
from tests.support.dashboard_resources import LINKED

ROOT = Path(__file__).resolve().parents[2]
STATIC = resources.files("sgp_fake.extras.dashboard").joinpath("static")
_SCRIPTS = [name for name in ASSETS if name.endswith(".js")]
"""The page's ES modules, app.js first."""


@pytest.fixture
def admin() -> httpx.Client:
    return SGPFake(admin=True).client(api_key=None)


def test_the_page_and_its_files_are_served_as_shipped(admin: httpx.Client) -> None:
    for path in (DASHBOARD_PREFIX, f"{DASHBOARD_PREFIX}/", f"{DASHBOARD_PREFIX}/index.html"):
        page = admin.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert page.content == STATIC.joinpath("index.html").read_bytes()
    for name, media_type in ASSETS.items():
        answer = admin.get(f"{DASHBOARD_PREFIX}/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"] == media_type
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.content == STATIC.joinpath(name).read_bytes()
        head = admin.head(f"{DASHBOARD_PREFIX}/{name}")
        assert head.status_code == 200
        assert head.headers["content-length"] == str(len(answer.content))


def test_the_page_reads_the_openapi_document_without_a_trace() -> None:
    fake = SGPFake(admin=True)
    fake.faults.add(path="*", status=503, times=None)  # would answer /openapi.json
    with fake.client(api_key=None) as admin:
        copy = admin.get(f"{DASHBOARD_PREFIX}/openapi.json")
        assert copy.status_code == 200
        assert copy.headers["content-type"] == "application/json"
        assert len(fake.journal) == 0
        fake.faults.clear()
        assert copy.content == admin.get("/openapi.json").content
    assert len(fake.journal) == 1  # /openapi.json itself is an SGP route, journaled


def test_the_page_loads_nothing_from_elsewhere() -> None:
    # Works offline: every URL the page names is its own, no CDN. (The SVG namespace is a
    # name, not a download.)
    remote = re.compile(r"""https?://(?!www\.w3\.org/2000/svg)|["'(]//|@import""")
    for name in ASSETS:
        text = STATIC.joinpath(name).read_text()
        assert not remote.findall(text), name
    page = STATIC.joinpath("index.html").read_text()
    assert re.findall(r'(?:src|href)="([^"#]+)"', page) == [
        f"{DASHBOARD_PREFIX}/icon.svg",
        f"{DASHBOARD_PREFIX}/style.css",
        f"{DASHBOARD_PREFIX}/app.js",
        # The modules app.js imports, fetched with it rather than one import level at a time.
        *(f"{DASHBOARD_PREFIX}/{name}" for name in _SCRIPTS if name != "app.js"),
        f"{DASHBOARD_PREFIX}/icon.svg",
    ]


def test_the_page_never_turns_values_into_markup() -> None:
    # Bodies are attacker-controlled: the page builds its DOM from text nodes and attributes.
    for name in _SCRIPTS:
        script = STATIC.joinpath(name).read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in script, (name, sink)


# A static import of a sibling module, the only form the page uses: `import { a, b } from
# "./x.js";` at the start of a line (a list may span lines).
_IMPORT = re.compile(r"""^import\s*\{[^}]*\}\s*from\s*"\./([a-z]+\.js)";$""", re.M)


def _imports(name: str) -> list[str]:
    """The modules ``name`` imports; fails on any import this test could not follow."""
    script = STATIC.joinpath(name).read_text()
    found = _IMPORT.findall(script)
    # Every other mention of `import` would be a module the graph below does not see: a
    # dynamic import(), a bare specifier, an import of another form.
    assert len(re.findall(r"\bimport\b", script)) == len(found), name
    return found


def test_every_module_the_page_imports_is_served_and_listed(admin: httpx.Client) -> None:
    page = STATIC.joinpath("index.html").read_text()
    entries = re.findall(r'<script type="module" src="/_fake/ui/([^"]+)"></script>', page)
    assert entries == ["app.js"]
    preloaded = re.findall(r'<link rel="modulepreload" href="/_fake/ui/([^"]+)">', page)
    assert "<script" not in re.sub(r'<script type="module" src="[^"]+"></script>', "", page)
    graph: dict[str, list[str]] = {}
    waiting = list(entries)
    while waiting:
        name = waiting.pop()
        if name in graph:
            continue
        answer = admin.get(f"{DASHBOARD_PREFIX}/{name}")
        assert answer.status_code == 200, name
        # Browsers refuse a module served as anything but JavaScript (nosniff).
        assert answer.headers["content-type"] == "text/javascript; charset=utf-8", name
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-cache"
        graph[name] = _imports(name)
        waiting.extend(graph[name])
    # Every module listed is one the page loads, and no other file of the folder is served.
    assert sorted(graph) == sorted(_SCRIPTS)
    assert sorted(preloaded) == sorted(set(graph) - {"app.js"})
    assert admin.get(f"{DASHBOARD_PREFIX}/unlisted.js").status_code == 404
    # No cycle: each module imports only modules below it (app.js, at the top, is imported by
    # none; what needs its start() is handed it).
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name in done:
            return
        for imported in graph[name]:
            visit(imported, (*path, name))
        done.add(name)

    visit("app.js", ())
    assert not any("app.js" in imported for imported in graph.values())


def _raw_get(fake: SGPFake, path: str, raw_path: bytes) -> tuple[int, bytes]:
    """GET with exactly this path in the ASGI scope: clients would normalise ``..`` away."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(fake.app(scope, receive, send))
    status = messages[0]["status"]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return status, body


@pytest.mark.parametrize(
    ("path", "raw_path"),
    [
        ("/_fake/ui/../__init__.py", b"/_fake/ui/../__init__.py"),
        ("/_fake/ui/../__init__.py", b"/_fake/ui/..%2f__init__.py"),
        ("/_fake/ui/../../../pyproject.toml", b"/_fake/ui/%2e%2e/%2e%2e/%2e%2e/pyproject.toml"),
        ("/_fake/ui/static/app.js", b"/_fake/ui/static/app.js"),
        ("/_fake/ui/./app.js", b"/_fake/ui/./app.js"),
        ("/_fake/ui//etc/passwd", b"/_fake/ui//etc/passwd"),
        ("/_fake/ui/app.js/", b"/_fake/ui/app.js/"),
        ("/_fake/ui/APP.JS", b"/_fake/ui/APP.JS"),
        ("/_fake/ui/__init__.py", b"/_fake/ui/__init__.py"),
        ("/_fake/ui/app.js\x00.html", b"/_fake/ui/app.js%00.html"),
    ],
)
def test_only_the_dashboard_files_are_served(path: str, raw_path: bytes) -> None:
    status, body = _raw_get(SGPFake(admin=True), path, raw_path)
    assert status == 404
    assert body == b'{"detail":"No such file in the dashboard"}'


def test_the_dashboard_is_off_without_the_admin_api() -> None:
    with SGPFake().client(api_key=None) as client:
        for path in (DASHBOARD_PREFIX, f"{DASHBOARD_PREFIX}/app.js", "/_fake/resources"):
            assert client.get(path).status_code == 404, path


def test_every_dashboard_file_is_package_data() -> None:
    # `pip install .` (not only an editable install) must carry the files: setuptools copies
    # the package data its globs name, and nothing else that is not Python.
    shipped = sorted(p.name for p in STATIC.iterdir() if p.is_file())  # type: ignore[attr-defined]
    assert shipped == sorted(ASSETS)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["sgp_fake"]
    for name in shipped:
        relative = f"extras/dashboard/static/{name}"
        assert any(fnmatch.fnmatch(relative, glob) for glob in globs), relative


# -- what the page reads -------------------------------------------------------------------------


def test_request_summaries_leave_out_headers_and_bodies() -> None:
    fake = SGPFake(admin=True)
    with fake.client() as client, fake.client(api_key=None) as admin:
        client.post("/v4/model-templates", json=minimal_body(account_id="acct_9"))
        client.get("/v4/model-templates", params={"limit": 0})
        full = admin.get("/_fake/requests").json()["requests"]
        summary = admin.get("/_fake/requests", params={"summary": "true"}).json()["requests"]
        bulky = {"headers", "body", "response_headers", "response_body"}
        assert [{k: v for k, v in e.items() if k not in bulky} for e in full] == summary
        assert summary[0]["account"] == "acct_9"
        assert summary[1]["status"] == 422
        paged = admin.get("/_fake/requests", params={"summary": 1, "after": 1, "limit": 1})
        assert paged.json() == {"requests": summary[1:]}
        assert admin.get("/_fake/requests", params={"summary": "no"}).json()["requests"] == full
        refused = admin.get("/_fake/requests", params={"summary": "maybe"})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["query", "summary"]


def test_resources_name_each_kind_its_collection_and_references() -> None:
    with SGPFake(admin=True, resources=LINKED).client(api_key=None) as admin:
        listed = admin.get("/_fake/resources").json()["resources"]
        state = admin.get("/_fake/state").json()
    # Every kind, in the state document's order.
    assert [r["kind"] for r in listed] == list(state) == [r.kind for r in LINKED]
    by_kind = {r["kind"]: r for r in listed}
    assert by_kind["model_templates"] == {
        "kind": "model_templates",
        "noun": "Model template",
        "collection": "/v4/model-templates",
        "references": {},
    }
    assert by_kind["gadgets"] == {
        "kind": "gadgets",
        "noun": "Gadget",
        "collection": "/v4/gadgets",
        "references": {"model_template_id": "model_templates"},
    }
    assert by_kind["gizmos"]["references"] == {"gadget_id": "gadgets"}


def test_the_resources_route_is_documented_like_the_other_admin_routes() -> None:
    with SGPFake(admin=True).client(api_key=None) as admin:
        document = admin.get("/openapi.json").json()
        answer = admin.get("/_fake/resources")
    operation = document["paths"]["/_fake/resources"]["get"]
    assert operation["tags"] == ["sgp-fake admin"]
    assert operation["security"] == [{"AdminToken": []}, {}]
    assert sorted(operation["responses"]) == ["200", "400", "401", "422"]
    schema = document["components"]["schemas"]["ResourceList"]
    jsonschema.validate(answer.json(), {**schema, "components": document["components"]})
    params = document["paths"]["/_fake/requests"]["get"]["parameters"]
    assert [p["name"] for p in params] == [
        "limit", "after", "summary", "method", "path", "status", "operation"
    ]  # fmt: skip


def test_a_limit_past_the_journal_gives_all_of_it() -> None:
    # The page asks for the newest page first (limit=100) and takes a shorter answer for the
    # whole journal: it must be the whole journal.
    fake = SGPFake(admin=True, journal_limit=4)
    with fake.client() as client, fake.client(api_key=None) as admin:
        for _ in range(2):
            client.get("/v4/model-templates")

        def newest(limit: int) -> list[int]:
            answer = admin.get("/_fake/requests", params={"limit": limit, "summary": True})
            return [entry["sequence"] for entry in answer.json()["requests"]]

        assert [newest(n) for n in (0, 1, 2, 3, 100)] == [[], [2], [1, 2], [1, 2], [1, 2]]
        for _ in range(4):
            client.get("/v4/model-templates")  # the journal keeps the newest 4: 3 to 6
        assert [newest(n) for n in (2, 4, 5)] == [[5, 6], [3, 4, 5, 6], [3, 4, 5, 6]]
        fake.journal.clear()
        client.get("/v4/model-templates")
        assert newest(3) == [7]


# -- fake.dashboard() ----------------------------------------------------------------------------


def test_fake_dashboard_serves_the_page_and_the_admin_api_over_the_same_state() -> None:
    fake = SGPFake()  # no admin API in process: the dashboard's server has it all the same
    try:
        url = fake.dashboard()
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith(DASHBOARD_PREFIX)
        assert fake.dashboard() == url  # one server per fake
        base = url.removesuffix(DASHBOARD_PREFIX)
        with fake.client() as client:
            created = client.post("/v4/model-templates", json=minimal_body()).json()
        with httpx.Client(base_url=base, timeout=30.0) as http:
            assert http.get(DASHBOARD_PREFIX).headers["content-type"].startswith("text/html")
            state = http.get("/_fake/state").json()
            assert [t["id"] for t in state["model_templates"]] == [created["id"]]
            # Coverage was not recorded: the page shows it as off.
            assert http.get("/_fake/coverage").status_code == 404
        with fake.client(api_key=None) as client:
            assert client.get("/_fake/state").status_code == 404  # in process: still off
    finally:
        fake.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5.0)


def test_fake_dashboard_beyond_loopback_carries_the_token() -> None:
    fake = SGPFake(coverage=True)
    try:
        url = fake.dashboard(host="0.0.0.0")
        page, _, fragment = url.partition("#token=")
        assert fragment
        base = page.removesuffix(DASHBOARD_PREFIX).replace("0.0.0.0", "127.0.0.1")
        with httpx.Client(base_url=base, timeout=30.0) as http:
            assert http.get(DASHBOARD_PREFIX).status_code == 200  # the page needs no token
            assert http.get("/_fake/coverage").status_code == 401
            token = {"authorization": f"Bearer {fragment}"}
            assert http.get("/_fake/coverage", headers=token).status_code == 200
    finally:
        fake.close()


def test_a_fake_loads_no_server_until_its_dashboard_is_asked_for() -> None:
    code = (
        "import sys; from sgp_fake import SGPFake;"
        "fake = SGPFake(); fake.client().get('/v4/model-templates');"
        "print('uvicorn' in sys.modules, 'sgp_fake.live_server' in sys.modules);"
        "url = fake.dashboard(); print('uvicorn' in sys.modules); fake.close()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["False", "False", "True"]
