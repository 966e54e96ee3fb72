"""Who may reach a served fake: Host, Origin and the admin token (sgp_fake.core.access).

What a browser page and a CI script meet, over the real command and LiveServer; the policy's
rules in detail through a fake's own front door, in process; and in-process clients of a served
fake, which the policy never applies to.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from sgp_fake.app import openapi_bytes
from sgp_fake.cli.process import (
    ADMIN_TOKEN_PREFIX,
    DASHBOARD_LINE_PREFIX,
    READY_PREFIX,
    ServerProcess,
)
from sgp_fake.core.access import (
    ADMIN_TOKEN_ENV,
    LOOPBACK_HOSTS,
    AccessPolicy,
    check_token,
    is_loopback,
    serve_with,
)
from sgp_fake.core.faults import FaultRule
from sgp_fake.core.routing import ADMIN_PREFIX, DASHBOARD_PREFIX
from sgp_fake.transport import FakeTransport
from tests.support.bodies import minimal_body

TIMEOUT = 30.0
SGP = {"x-api-key": "k"}
EVIL = "http://evil.example"


def port(server: ServerProcess | LiveServer) -> int:
    found = httpx.URL(server.url).port
    assert found is not None
    return found


def over_loopback(server: ServerProcess) -> str:
    """The URL of a server bound to every interface, reached as 127.0.0.1: loopback traffic."""
    return f"http://127.0.0.1:{port(server)}"


def bearer(token: str | None) -> dict[str, str]:
    assert token is not None
    return {"authorization": f"Bearer {token}"}


def snapshot(http: httpx.Client, **headers: str) -> Any:
    """Everything an admin write can change, read as a script on the machine reads it."""
    return [
        http.get(f"/_fake/{what}", headers=headers).json()
        for what in ("state", "requests", "faults", "rate-limit")
    ]


def furnish(http: httpx.Client, **headers: str) -> dict[str, Any]:
    """A template, a journal entry and a fault rule: something for a refused write to destroy."""
    created = http.post("/v4/model-templates", json=minimal_body(), headers=SGP)
    assert created.status_code == 200
    fault = http.post("/_fake/faults", json={"path": "/nowhere", "status": 500}, headers=headers)
    assert fault.status_code == 201
    result: dict[str, Any] = created.json()
    return result


# -- the real command, bound to loopback (the default) -----------------------------------------

ADMIN_WRITES = [
    ("POST", "/_fake/reset", None),
    ("PUT", "/_fake/state", {"model_templates": []}),
    ("DELETE", "/_fake/requests", None),
    ("DELETE", "/_fake/faults", None),
    ("PUT", "/_fake/rate-limit", {"rate": 1, "burst": 1}),
]


@pytest.mark.parametrize("origin", [EVIL, "https://evil.example", "null", "http://127.0.0.1:1"])
def test_a_cross_origin_admin_write_is_refused_and_changes_nothing(
    server: ServerProcess, http: httpx.Client, origin: str
) -> None:
    # A page elsewhere (or on another local port, or sandboxed: "null") posting a form or
    # calling fetch: a simple request, which the browser sends without asking first.
    furnish(http)
    before = snapshot(http)
    form = {"origin": origin, "content-type": "application/x-www-form-urlencoded"}
    for method, path, body in ADMIN_WRITES:
        answer = http.request(
            method, path, content=b"" if body is None else json.dumps(body), headers=form
        )
        assert answer.status_code == 403, (method, path)
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["detail"].startswith("Cross-origin admin request refused")
    assert snapshot(http) == before


def test_same_origin_and_curl_like_admin_writes_work(
    server: ServerProcess, http: httpx.Client
) -> None:
    own = f"http://127.0.0.1:{port(server)}"
    furnish(http, origin=own)
    assert http.post("/_fake/reset", headers={"origin": own}).json() == {"deleted": 1}
    furnish(http)
    assert http.post("/_fake/reset").json() == {"deleted": 1}  # no Origin: curl, scripts
    # A page opened by another loopback name sends that name as Host and as its origin.
    for name in ("localhost", "[::1]"):
        page = {"host": f"{name}:{port(server)}", "origin": f"http://{name}:{port(server)}"}
        assert http.put("/_fake/rate-limit", json={"rate": 5, "burst": 5}, headers=page).is_success
    # Reads are not writes: a page elsewhere cannot read the answer (no CORS), nor change a thing.
    assert http.get("/_fake/rate-limit", headers={"origin": EVIL}).json() == {
        "rate_limit": {"rate": 5.0, "burst": 5}
    }


REBINDING_HOSTS = [
    "evil.example",
    "evil.example:{port}",
    "127.0.0.1.evil.example:{port}",
    "localhost.evil.example",
    "0.0.0.0:{port}",
    "::1",
    "localhost:{port}:1",
    "127.0.0.1:http",
]


@pytest.mark.parametrize("host", REBINDING_HOSTS)
def test_a_rebinding_host_is_refused_on_every_route_and_sees_nothing(
    server: ServerProcess, http: httpx.Client, host: str
) -> None:
    # A DNS-rebinding page is same-origin with the server under the attacker's own name: the
    # browser sends that name as Host, with any header the page likes.
    created = furnish(http)
    before = snapshot(http)
    rebound = {"host": host.format(port=port(server)), **SGP}
    for method, path in [
        ("GET", "/v4/model-templates"),
        ("GET", f"/v4/model-templates/{created['id']}"),
        ("POST", "/v4/model-templates"),
        ("DELETE", f"/v4/model-templates/{created['id']}"),
        ("GET", "/_fake/requests"),
        ("GET", "/_fake/state"),
        ("POST", "/_fake/reset"),
        ("GET", "/openapi.json"),
        ("GET", "/nowhere"),
    ]:
        body = minimal_body() if method == "POST" else None
        answer = http.request(method, path, json=body, headers=rebound)
        assert answer.status_code == 400, (method, path)
        assert answer.json()["detail"].startswith("Invalid host header")
        assert created["id"] not in answer.text
        assert "x-api-key" not in answer.text
    assert snapshot(http) == before  # the refused requests are not even journaled


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LocalHost:1", "127.0.0.1"]
)
def test_loopback_names_with_any_port_are_served(
    server: ServerProcess, http: httpx.Client, host: str
) -> None:
    named = {"host": host.format(port=port(server)), **SGP}
    assert http.get("/v4/model-templates", headers=named).status_code == 200
    assert http.get("/_fake/state", headers=named).status_code == 200


def test_the_official_sdk_and_curl_work_over_the_socket(
    server: ServerProcess, http: httpx.Client
) -> None:
    scale_gp = pytest.importorskip("scale_gp")
    with scale_gp.SGPClient(api_key="k", base_url=server.url, max_retries=0) as sdk:
        created = sdk.model_templates.create(**minimal_body())
        assert sdk.model_templates.retrieve(created.id).id == created.id
        assert [t.id for t in sdk.model_templates.list()] == [created.id]
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    reset = subprocess.run(
        [curl, "-sS", "-X", "POST", f"{server.url}/_fake/reset"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    assert json.loads(reset.stdout) == {"deleted": 1}


# -- the real command, bound beyond loopback ------------------------------------------------------


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``sgp-fake serve --host 0.0.0.0``, as in a CI service container, with no token given."""
    log = tmp_path_factory.mktemp("exposed") / "stderr.log"
    with ServerProcess("--host", "0.0.0.0", timeout=TIMEOUT, stderr=log) as server:
        yield server


def test_a_generated_token_is_printed_after_the_unchanged_ready_line(
    exposed: ServerProcess,
) -> None:
    assert re.fullmatch(r"http://0\.0\.0\.0:\d+", exposed.url)
    token = exposed.admin_token
    assert token is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # secrets.token_urlsafe(32)
    assert list(exposed.output) == [
        READY_PREFIX + exposed.url,
        ADMIN_TOKEN_PREFIX + token,
        f"{DASHBOARD_LINE_PREFIX}{over_loopback(exposed)}/_fake/ui#token={token}",
    ]
    # The page's link names loopback: a browser opens no page at 0.0.0.0.
    assert exposed.dashboard_url == f"{over_loopback(exposed)}/_fake/ui#token={token}"


def test_beyond_loopback_the_admin_api_needs_the_token(exposed: ServerProcess) -> None:
    with httpx.Client(base_url=over_loopback(exposed), timeout=TIMEOUT) as http:
        token = bearer(exposed.admin_token)
        assert http.post("/_fake/reset", headers=token).status_code == 200
        furnish(http, **token)
        before = snapshot(http, **token)
        for headers, detail in [
            ({}, "The admin API needs a token"),
            ({"authorization": "Bearer wrong"}, "Invalid admin token"),
            ({"authorization": f"Bearer {exposed.admin_token}x"}, "Invalid admin token"),
            ({"authorization": f"Basic {exposed.admin_token}"}, "Invalid admin token"),
            ({"authorization": f"{exposed.admin_token}"}, "Invalid admin token"),
        ]:
            for method, path, body in [*ADMIN_WRITES, ("GET", "/_fake/requests", None)]:
                answer = http.request(method, path, json=body, headers=headers)
                assert answer.status_code == 401, (headers, method, path)
                assert answer.headers["www-authenticate"] == "Bearer"
                assert answer.json()["detail"].startswith(detail)
                assert "x-api-key" not in answer.text
        assert snapshot(http, **token) == before
        lower = {"authorization": f"bearer {exposed.admin_token}"}
        assert http.post("/_fake/reset", headers=lower).json() == {"deleted": 1}
        # The SGP routes and the document need no token, and any Host names the server.
        named = {"host": "sgp-fake:8000", **SGP}
        assert http.get("/v4/model-templates", headers=named).status_code == 200
        assert http.get("/openapi.json").status_code == 200


def test_a_given_token_is_required_and_opens_the_dashboard(tmp_path: Path) -> None:
    flag = ServerProcess(
        "--host", "0.0.0.0", "--admin-token", "from-the-flag",
        env={**os.environ, ADMIN_TOKEN_ENV: "from-the-env"},  # the flag wins
        timeout=TIMEOUT, stderr=tmp_path / "flag.log",
    )  # fmt: skip
    # On loopback too: a token someone gave is one they mean to be required.
    env = ServerProcess(admin_token="from-the-env", timeout=TIMEOUT, stderr=tmp_path / "env.log")
    with flag, env:
        assert env.admin_token == "from-the-env"
        cases = [(flag, "from-the-flag", "from-the-env"), (env, "from-the-env", "x")]
        for server, token, other in cases:
            # No token line (the token was given), but the dashboard opens with it.
            page = f"{server.url.replace('0.0.0.0', '127.0.0.1')}/_fake/ui#token={token}"
            assert list(server.output) == [READY_PREFIX + server.url, DASHBOARD_LINE_PREFIX + page]
            assert other not in "".join(server.output)
            with httpx.Client(base_url=over_loopback(server), timeout=TIMEOUT) as http:
                assert http.get("/_fake/state").status_code == 401
                assert http.get("/_fake/state", headers=bearer(other)).status_code == 401
                assert http.get("/_fake/state", headers=bearer(token)).status_code == 200
        with httpx.Client(base_url=env.url, timeout=TIMEOUT) as http:
            # A token does not lift the loopback rules.
            cross = {**bearer("from-the-env"), "origin": EVIL}
            assert http.post("/_fake/reset", headers=cross).status_code == 403
            rebound = {**bearer("from-the-env"), "host": "evil.example"}
            assert http.get("/_fake/state", headers=rebound).status_code == 400


def test_no_admin_beyond_loopback_prints_no_token(tmp_path: Path) -> None:
    with ServerProcess(
        "--host", "0.0.0.0", "--no-admin", timeout=TIMEOUT, stderr=tmp_path / "stderr.log"
    ) as server:  # fmt: skip
        assert list(server.output) == [READY_PREFIX + server.url]
        assert server.admin_token is None
        with httpx.Client(base_url=over_loopback(server), timeout=TIMEOUT) as http:
            assert http.post("/_fake/reset").status_code == 404
            assert http.get("/v4/model-templates", headers=SGP).status_code == 200


def test_unusable_tokens_are_refused_before_starting() -> None:
    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sgp_fake.cli", "serve", "--port", "0", *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env},
            check=False,
        )

    flag = run("--admin-token", "two words")
    assert flag.returncode == 2
    assert "--admin-token" in flag.stderr
    from_env = run(**{ADMIN_TOKEN_ENV: "caf\u00e9"})
    assert from_env.returncode == 1
    assert from_env.stderr.startswith(f"sgp-fake: error: {ADMIN_TOKEN_ENV}: ")
    assert from_env.stderr.strip().count("\n") == 0
    for result in (flag, from_env):
        assert READY_PREFIX not in result.stdout


# -- LiveServer and the pytest plugin --------------------------------------------------------------


def test_live_server_guards_its_socket_and_not_the_fake_in_process() -> None:
    fake = SGPFake(admin=True)
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as http,
        fake.client() as in_process,
    ):
        assert server.admin_token is None
        rebound = {"host": "evil.example", **SGP}
        assert http.get("/v4/model-templates", headers=rebound).status_code == 400
        assert http.post("/_fake/reset", headers={"origin": EVIL}).status_code == 403
        assert http.get("/v4/model-templates", headers=SGP).status_code == 200
        # The same fake, in process, while it is served: its client's own Host, no Origin rule.
        assert in_process.base_url.host == "api.egp.scale.com"
        assert in_process.post("/v4/model-templates", json=minimal_body()).status_code == 200
        assert in_process.post("/_fake/reset", headers={"origin": EVIL}).json() == {"deleted": 1}
    assert fake.app.access is None


def test_live_server_beyond_loopback_needs_the_token_its_clients_are_given() -> None:
    fake = SGPFake(admin=True)
    with LiveServer(fake.app, host="0.0.0.0") as server:
        url = f"http://127.0.0.1:{port(server)}"
        with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
            assert http.get("/_fake/state").status_code == 401
            assert http.get("/_fake/state", headers=bearer(server.admin_token)).status_code == 200
        with fake.client(api_key=None) as in_process:
            assert in_process.get("/_fake/state").status_code == 200
    with LiveServer(fake.app, admin_token="given") as server:
        assert server.admin_token == "given"
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
            assert http.get("/_fake/state").status_code == 401
            assert http.get("/_fake/state", headers=bearer("given")).status_code == 200


def test_the_plugin_server_is_guarded_and_in_process_clients_are_not(
    sgp_fake: SGPFake, sgp_fake_server: Any, sgp_fake_client: httpx.Client
) -> None:
    with sgp_fake_server.client() as http:
        assert http.get("/v4/model-templates").status_code == 200
        rebound = http.post("/v4/model-templates", json=minimal_body(), headers={"host": "x.y"})
        assert rebound.status_code == 400
    assert len(sgp_fake.journal) == 1
    assert sgp_fake_client.post("/v4/model-templates", json=minimal_body()).status_code == 200
    assert len(sgp_fake.store) == 1


# -- the rules, through a fake's front door in process -------------------------------------------


def test_which_binds_are_loopback() -> None:
    for host in ("127.0.0.1", "127.3.2.1", "localhost", "LOCALHOST", "::1", "[::1]"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "sgp-fake", "localhost.", ""):
        assert not is_loopback(host), host


def test_policies_for_binds() -> None:
    assert AccessPolicy.for_bind("127.0.0.1") == AccessPolicy(LOOPBACK_HOSTS, None)
    own = AccessPolicy.for_bind("127.0.0.2", "t")
    assert own == AccessPolicy(LOOPBACK_HOSTS | {"127.0.0.2"}, "t")
    assert AccessPolicy.for_bind("::1").allowed_hosts == LOOPBACK_HOSTS
    exposed = AccessPolicy.for_bind("0.0.0.0")
    assert exposed.allowed_hosts is None
    assert exposed.admin_token is not None
    assert exposed.admin_token != AccessPolicy.for_bind("0.0.0.0").admin_token
    assert AccessPolicy.for_bind("0.0.0.0", "given").admin_token == "given"
    assert AccessPolicy.for_bind("0.0.0.0", "given", admin=False) == AccessPolicy(None, None)
    assert AccessPolicy.for_bind("127.0.0.1", "given", admin=False).admin_token is None
    assert "given" not in repr(AccessPolicy.for_bind("0.0.0.0", "given"))  # logs stay clean


def test_tokens_must_fit_in_a_header() -> None:
    assert check_token("abc-_.~+/=") == "abc-_.~+/="
    for bad in ("", "two words", "tab\t", "caf\u00e9", "line\n"):
        with pytest.raises(ValueError, match="admin token"):
            check_token(bad)
    with pytest.raises(ValueError, match="admin token"):
        AccessPolicy(None, "two words")


def served(
    fake: SGPFake, policy: AccessPolicy, host: str = "127.0.0.1:8000", **headers: str
) -> httpx.Client:
    """A client of ``fake`` as a server under ``policy`` serves it, sending ``host``."""
    return httpx.Client(
        transport=FakeTransport(fake.app.with_access(policy)),
        base_url="http://127.0.0.1:8000",
        headers={"host": host, **headers},
    )


def test_the_dashboard_is_served_without_a_token_and_nothing_else_is() -> None:
    assert DASHBOARD_PREFIX.startswith(ADMIN_PREFIX + "/")
    fake = SGPFake(admin=True)
    with served(fake, AccessPolicy.for_bind("0.0.0.0")) as http:
        for path in (DASHBOARD_PREFIX, f"{DASHBOARD_PREFIX}/", f"{DASHBOARD_PREFIX}/app.js"):
            assert http.get(path).status_code == 200, path
            assert http.head(path).status_code == 200, path
            assert http.post(path).status_code == 401, path
        # Past the token check, a file the dashboard does not have is the router's 404.
        assert http.get(f"{DASHBOARD_PREFIX}/nothing.js").status_code == 404
        for path in (f"{DASHBOARD_PREFIX}x", f"{DASHBOARD_PREFIX}.js", "/_fake/state"):
            assert http.get(path).status_code == 401, path


def test_a_request_without_host_is_not_a_browser_and_is_served() -> None:
    # HTTP/1.0 clients may send no Host; a browser always does, so there is nothing to rebind.
    policy = AccessPolicy.for_bind("127.0.0.1")
    scope = {"type": "http", "method": "GET", "path": "/v4/model-templates", "headers": []}
    assert policy.refusal(scope, admin=False) is None
    write = {**scope, "method": "POST", "path": "/_fake/reset", "headers": [(b"origin", b"x")]}
    refusal = policy.refusal(write, admin=True)
    assert refusal is not None
    assert refusal.status_code == 403


def test_refused_requests_never_reach_the_fake() -> None:
    fake = SGPFake(admin=True, coverage=True)
    fake.faults.add(FaultRule(path="/v4/model-templates", status=503, times=None))
    with served(fake, AccessPolicy.for_bind("127.0.0.1"), "evil.example", **SGP) as http:
        answer = http.post("/v4/model-templates", json=minimal_body())
        assert answer.status_code == 400  # before the fault rule, the journal, the coverage
    assert len(fake.journal) == 0
    assert fake.coverage is not None
    assert fake.coverage.report().requests == 0
    assert fake.faults.list()[0].hits == 0


def test_serve_with_guards_any_app() -> None:
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guarded = serve_with(app, AccessPolicy.for_bind("127.0.0.1", "t"))
    with httpx.Client(transport=FakeTransport(guarded), base_url="http://127.0.0.1:8000") as http:
        assert http.get("/anything").status_code == 204
        assert http.get("/anything", headers={"host": "evil.example"}).status_code == 400
        assert http.get("/_fake/state").status_code == 401
        assert http.get("/_fake/state", headers=bearer("t")).status_code == 204
    assert calls == ["/anything", "/_fake/state"]
    fake = SGPFake()
    assert serve_with(fake.app, AccessPolicy()) is not fake.app


# -- the document ------------------------------------------------------------------------------


def test_openapi_documents_the_admin_security_and_refusals() -> None:
    with SGPFake(admin=True).client() as client:
        document = client.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["AdminToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    operations = [
        (method, operation)
        for path, item in document["paths"].items()
        if path.startswith(ADMIN_PREFIX)
        for method, operation in item.items()
    ]
    assert len(operations) == 24  # 18, the four of /_fake/responses, the two of /_fake/traces
    for method, operation in operations:
        assert operation["security"] == [{"AdminToken": []}, {}]
        responses = operation["responses"]
        assert {"400", "401"} <= set(responses)
        assert responses["401"]["headers"] == {
            "WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}
        }
        assert ("403" in responses) is (method != "get")
    # The SGP operations are documented exactly as before.
    sgp_only = json.loads(openapi_bytes())
    assert {p: i for p, i in document["paths"].items() if not p.startswith(ADMIN_PREFIX)} == (
        sgp_only["paths"]
    )
