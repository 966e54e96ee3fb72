"""``sgp-fake`` as users run it: the real command in a child process, on a free loopback port."""

from __future__ import annotations

import errno
import importlib.metadata
import importlib.util
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from packaging.requirements import Requirement

from sgp_fake.cli import build_parser
from sgp_fake.cli.process import (
    ADMIN_TOKEN_PREFIX,
    DASHBOARD_LINE_PREFIX,
    READY_PREFIX,
    ServerProcess,
)
from sgp_fake.settings import DEFAULT_IDENTITY, Identity, load_api_keys, parse_api_key
from tests.support.bodies import minimal_body
from tests.support.ipv6 import needs_ipv6

TIMEOUT = 30.0
SGP_FAKE = shutil.which("sgp-fake", path=str(Path(sys.executable).parent))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The command to completion (for runs that must exit by themselves)."""
    return subprocess.run(
        [sys.executable, "-m", "sgp_fake.cli", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    """Start servers with given flags; every one is stopped (or killed) at teardown."""
    servers: list[ServerProcess] = []

    def start(*args: str, **kwargs: Any) -> ServerProcess:
        kwargs.setdefault("stderr", tmp_path / f"stderr-{len(servers)}.log")
        server = ServerProcess(*args, timeout=TIMEOUT, **kwargs)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def api(server: ServerProcess, key: str = "k", **headers: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"x-api-key": key, **headers}, timeout=TIMEOUT)


# -- help ----------------------------------------------------------------------------------------


def _serve_parser() -> Any:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    return subparsers.choices["serve"]  # type: ignore[attr-defined]


def test_help_explains_every_flag() -> None:
    assert SGP_FAKE is not None, "the sgp-fake console script is not installed"
    top = subprocess.run(
        [SGP_FAKE, "--help"], capture_output=True, text=True, timeout=TIMEOUT, check=True
    )
    assert top.returncode == 0
    assert "serve" in top.stdout

    serve_help = subprocess.run(
        [SGP_FAKE, "serve", "--help"], capture_output=True, text=True, timeout=TIMEOUT, check=True
    )
    assert serve_help.returncode == 0
    text = serve_help.stdout
    flags = [
        (option, action.help)
        for action in _serve_parser()._actions
        for option in action.option_strings
        if option.startswith("--")
    ]
    expected = {
        "--host", "--port", "--api-key", "--api-keys-file", "--state-file", "--seed-file",
        "--strict", "--contract", "--latency", "--log-level", "--no-admin", "--admin-token",
        "--deployment-ready-after", "--gateway-model", "--no-builtin-models", "--help",
    }  # fmt: skip
    assert {option for option, _ in flags} == expected
    for option, help_text in flags:
        assert option in text
        assert help_text, f"{option} has no help text"
    assert READY_PREFIX.strip() in text  # the ready line is documented


def test_help_names_every_line_the_server_prints() -> None:
    # The ready line first, then a generated token's line and the dashboard's: a script that
    # reads standard output learns from --help what else comes after the line it waits for.
    description = " ".join(_serve_parser().description.split())
    assert "prints one line" not in description
    for prefix in (READY_PREFIX, ADMIN_TOKEN_PREFIX, DASHBOARD_LINE_PREFIX):
        assert prefix.strip() in description, prefix


def test_version() -> None:
    assert SGP_FAKE is not None
    result = subprocess.run(
        [SGP_FAKE, "--version"], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"sgp-fake {importlib.metadata.version('sgp-fake')}\n"


def test_python_dash_m_sgp_fake_is_the_command() -> None:
    # For an environment whose scripts directory is not on PATH.
    result = subprocess.run(
        [sys.executable, "-m", "sgp_fake", "--version"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"sgp-fake {importlib.metadata.version('sgp-fake')}\n"


def test_no_command_prints_help_and_fails() -> None:
    result = run()
    assert result.returncode == 2
    assert "serve" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "http"], "--port: 'http' is not a port number (0 to 65535)"),
        (["--latency", "-1"], "--latency"),
        (["--latency", "abc"], "--latency: 'abc' is not a number of seconds"),
        (["--deployment-ready-after", "1m"], "--deployment-ready-after: '1m' is not a number"),
        (["--api-key", "=user"], "--api-key"),
        (["--api-key", "k=u:robot"], "--api-key"),
        (["--log-level", "loud"], "--log-level"),
    ],
)
def test_bad_flags_are_refused_before_starting(args: list[str], message: str) -> None:
    result = run("serve", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert READY_PREFIX not in result.stdout


# -- API keys, unit --------------------------------------------------------------------------------


def test_api_key_specs() -> None:
    assert parse_api_key("abc") == ("abc", DEFAULT_IDENTITY)
    assert parse_api_key("abc=alice") == ("abc", Identity("alice"))
    assert parse_api_key("k=u=v") == ("k", Identity("u=v"))
    assert parse_api_key("abc=bot:service_account") == ("abc", Identity("bot", "service_account"))
    assert parse_api_key("abc=alice:user:a1, a2") == (
        "abc",
        Identity("alice", "user", frozenset({"a1", "a2"})),
    )
    assert parse_api_key("abc=alice::a1") == ("abc", Identity("alice", "user", frozenset({"a1"})))
    for bad in ["", "=alice", "abc=", "abc=alice:admin", "abc=alice:user:", "abc=alice:user:,"]:
        with pytest.raises(ValueError, match=r"abc|key"):
            parse_api_key(bad)


def test_keys_files(tmp_path: Path) -> None:
    lines = tmp_path / "keys.txt"
    lines.write_text("# CI keys\n\nk1=alice:user:a1\n  k2  \n")
    assert load_api_keys(lines) == {
        "k1": Identity("alice", "user", frozenset({"a1"})),
        "k2": DEFAULT_IDENTITY,
    }
    as_json = tmp_path / "keys.json"
    as_json.write_text(
        json.dumps(
            {
                "k1": {"user_id": "bot", "identity_type": "service_account", "accounts": ["a"]},
                "k2": {"user_id": "bob", "accounts": None},
            }
        )
    )
    assert load_api_keys(as_json) == {
        "k1": Identity("bot", "service_account", frozenset({"a"})),
        "k2": Identity("bob"),
    }
    as_json.write_text('{"k1": {"user": "bob"}}')
    with pytest.raises(ValueError, match="unknown field"):
        load_api_keys(as_json)
    lines.write_text("k1=alice\nk2=bob:root\n")
    with pytest.raises(ValueError, match="line 2"):
        load_api_keys(lines)
    # JSON that is not the object of keys is refused, not read as a line whose key is '[]'.
    for not_an_object in ("[]", '[{"user_id": "bob"}]', '  [\n"k1"\n]'):
        as_json.write_text(not_an_object)
        with pytest.raises(ValueError, match="object of key to identity"):
            load_api_keys(as_json)
    as_json.write_text('{"k1": {"user_id": "bob", "identity_type": "admin"}}')
    with pytest.raises(ValueError, match="identity_type must be"):
        load_api_keys(as_json)
    # A key given twice would silently take the later identity: refused, saying where.
    lines.write_text("k1=alice:user:a1\n# later\nk1=alice:user:a2\n")
    with pytest.raises(ValueError, match="line 3: key 'k1' is already listed on line 1"):
        load_api_keys(lines)
    as_json.write_text('{"k1": {"user_id": "a"}, "k1": {"user_id": "b"}}')
    # Valid JSON, a wrong keys file: the message says what is wrong, not "not valid JSON".
    with pytest.raises(ValueError, match=r"^'k1' is given twice$"):
        load_api_keys(as_json)
    # Spaces around '=' and ':' are layout: the key is what a client sends.
    lines.write_text("k1 = alice : service_account : a1, a2\n")
    assert load_api_keys(lines) == {
        "k1": Identity("alice", "service_account", frozenset({"a1", "a2"}))
    }


# -- the server ------------------------------------------------------------------------------------


def test_console_script_ready_line_requests_and_sigterm(tmp_path: Path) -> None:
    assert SGP_FAKE is not None
    server = ServerProcess(command=[SGP_FAKE], stderr=tmp_path / "stderr.log", timeout=TIMEOUT)
    try:
        server.start()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        # Nothing else on stdout: the ready line, then the dashboard's URL on a line of its own.
        dashboard = f"{server.url}/_fake/ui"
        assert list(server.output) == [READY_PREFIX + server.url, DASHBOARD_LINE_PREFIX + dashboard]
        assert server.dashboard_url == dashboard
        with api(server) as client:
            created = client.post("/v4/model-templates", json=minimal_body())
            assert created.status_code == 200
            template_id = created.json()["id"]
            assert client.get(f"/v4/model-templates/{template_id}").json() == created.json()
            assert client.get("/v4/model-templates", params={"limit": 1}).status_code == 200
            assert client.delete(f"/v4/model-templates/{template_id}").status_code == 200
            assert client.get(f"/v4/model-templates/{template_id}").status_code == 404
    finally:
        code = server.stop(signal.SIGTERM)
    assert code == 0
    log = (tmp_path / "stderr.log").read_text()
    request_lines = [line for line in log.splitlines() if "/v4/model-templates" in line]
    assert len(request_lines) == 5, log  # one line per request
    assert re.search(r'"POST /v4/model-templates" 200 ', request_lines[0])
    assert re.search(r'"GET /v4/model-templates\?limit=1" 200 ', request_lines[2])
    assert re.search(r'"GET /v4/model-templates/\S+" 404 ', request_lines[4])
    # Where they are installed (the default install, where they build), the fast ones.
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    assert [line for line in log.splitlines() if line.startswith("sgp-fake: ")] == [
        f"sgp-fake: serving with {loop} and {parser}"
    ]


def test_serves_without_uvloop_and_httptools(tmp_path: Path) -> None:
    # As on a platform where they cannot be installed: importing either fails.
    without = (
        "import sys; sys.modules['uvloop'] = sys.modules['httptools'] = None;"
        "from sgp_fake.cli import main; sys.exit(main())"
    )
    log = tmp_path / "stderr.log"
    server = ServerProcess(command=[sys.executable, "-c", without], stderr=log, timeout=TIMEOUT)
    try:
        server.start()
        with api(server) as client:
            created = client.post("/v4/model-templates", json=minimal_body())
            assert created.status_code == 200
            got = client.get(f"/v4/model-templates/{created.json()['id']}")
            assert got.json() == created.json()
    finally:
        code = server.stop()
    assert code == 0
    dashboard = f"{DASHBOARD_LINE_PREFIX}{server.url}/_fake/ui"
    assert list(server.output) == [READY_PREFIX + server.url, dashboard]
    assert "sgp-fake: serving with asyncio and h11\n" in log.read_text()


def test_the_default_install_brings_uvloop_and_httptools() -> None:
    requirements = [
        Requirement(spec)
        for spec in importlib.metadata.requires("sgp-fake") or []
        if "extra ==" not in spec
    ]
    by_name = {requirement.name: requirement for requirement in requirements}
    assert by_name["httptools"].marker is None  # uvicorn's "standard" extra: everywhere
    uvloop = by_name["uvloop"].marker
    assert uvloop is not None
    linux = {"sys_platform": "linux", "platform_python_implementation": "CPython"}
    assert uvloop.evaluate(linux)
    for elsewhere in [{"sys_platform": "win32"}, {"sys_platform": "cygwin"}]:
        assert not uvloop.evaluate({**linux, **elsewhere})
    assert not uvloop.evaluate({**linux, "platform_python_implementation": "PyPy"})


def test_sigint_exits_cleanly(start: Any) -> None:
    server = start()
    with api(server) as client:
        assert client.get("/v4/model-templates").status_code == 200
    assert server.stop(signal.SIGINT) == 0


def _in_flight(server: ServerProcess, errors: list[BaseException]) -> threading.Thread:
    """A list request sent from a thread, its error (the connection closed) kept in ``errors``."""

    def send() -> None:
        try:
            with api(server) as client:
                client.get("/v4/model-templates")
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("flags", "rule"),
    [
        ((), {"method": "GET", "path": "/v4/model-templates", "latency": 86_400}),
        (("--no-admin", "--latency", "86400"), None),
    ],
    ids=["fault-latency", "latency-flag"],
)
def test_sigterm_ends_requests_waiting_on_an_injected_latency(
    start: Any, tmp_path: Path, flags: tuple[str, ...], rule: dict[str, Any] | None
) -> None:
    log = tmp_path / "stderr.log"
    server = start(*flags, stderr=log)
    upload = None
    body = json.dumps(minimal_body()).encode()
    if rule is not None:
        with api(server) as client:
            assert client.post("/_fake/faults", json=rule).status_code == 201
        # A create uploading its body in chunks, slowly: an ordinary request in flight, which
        # the graceful shutdown still answers. (With the flag, it would wait a day too.)
        upload = socket.create_connection(("127.0.0.1", int(server.url.rpartition(":")[2])), 10)
        upload.sendall(
            b"POST /v4/model-templates HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: k\r\n"
            b"content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            b"%x\r\n%s\r\n" % (10, body[:10])
        )
    errors: list[BaseException] = []
    waiting = _in_flight(server, errors)
    time.sleep(0.5)  # both reached the server
    assert server.process is not None
    stopping = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    waiting.join(10)
    assert not waiting.is_alive(), "the request waiting on the latency was not ended"
    assert isinstance(errors[0], httpx.RemoteProtocolError)  # the connection closed
    if upload is not None:
        rest = body[10:]
        upload.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))
        answer = upload.recv(65536)
        upload.close()
        assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert server.stop(timeout=10) == 0
    assert time.monotonic() - stopping < 10
    text = log.read_text()
    assert "Traceback" not in text
    assert "Error" not in text
    assert '"GET /v4/model-templates" connection closed (server stopping)' in text


def test_log_level_warning_logs_no_request(start: Any, tmp_path: Path) -> None:
    log = tmp_path / "quiet.log"
    server = start("--log-level", "warning", stderr=log)
    with api(server) as client:
        for _ in range(3):
            assert client.get("/v4/model-templates").status_code == 200
    assert server.stop() == 0
    assert "/v4/model-templates" not in log.read_text()


def test_host_flag(start: Any) -> None:
    server = start("--host", "127.0.0.1")
    assert server.url.startswith("http://127.0.0.1:")
    named = start("--host", "localhost")  # one socket per address the name resolves to
    with api(named) as client:
        assert client.get("/v4/model-templates").status_code == 200


def _start_on_a_free_port(start: Any, tmp_path: Path) -> tuple[ServerProcess, int]:
    """A server started with ``--port`` set to a port that was free a moment before."""
    # The port is free once the probe closes, but anything on the machine may take it before
    # the server binds it (an outgoing connection picks its local port at random): on a busy
    # machine, try another port then. The one-line error says which failure that was.
    for attempt in range(5):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        log = tmp_path / f"explicit-port-{attempt}.log"
        try:
            return start("--port", str(port), stderr=log), port
        except RuntimeError:
            if "address already in use" not in log.read_text():
                raise
    raise AssertionError("no free port in five tries")


def test_explicit_port_and_port_in_use(start: Any, tmp_path: Path) -> None:
    server, port = _start_on_a_free_port(start, tmp_path)
    assert server.url == f"http://127.0.0.1:{port}"
    state_file = tmp_path / "state.db"
    # Taken by the first server: one line, no traceback nor uvicorn's log lines.
    result = run("serve", "--port", str(port), "--state-file", str(state_file))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"sgp-fake: error: cannot listen on 127.0.0.1:{port}: address already in use\n"
    )
    assert not state_file.exists()  # refused before anything was opened
    with api(server) as client:  # the first server is unharmed
        assert client.get("/v4/model-templates").status_code == 200


def test_api_keys_and_identities(start: Any, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("filekey=carol:user:acct_3\n")
    server = start(
        "--api-key", "alice-key=alice:user:acct_1",
        "--api-key", "bot-key=ci-bot:service_account",
        "--api-keys-file", str(keys_file),
    )  # fmt: skip
    with api(server, "alice-key") as alice:
        created = alice.post("/v4/model-templates", json=minimal_body(account_id="acct_1"))
        assert created.status_code == 200
        assert created.json()["created_by_user_id"] == "alice"
        assert created.json()["created_by_identity_type"] == "user"
        denied = alice.post("/v4/model-templates", json=minimal_body(account_id="acct_2"))
        assert denied.status_code == 403
    with api(server, "bot-key") as bot:
        made = bot.post("/v4/model-templates", json=minimal_body(account_id="acct_2")).json()
        assert (made["created_by_user_id"], made["created_by_identity_type"]) == (
            "ci-bot",
            "service_account",
        )
        assert bot.get("/v4/model-templates").json()["total_item_count"] == 2
    with api(server, "filekey") as carol:
        assert carol.get("/v4/model-templates").json()["total_item_count"] == 0
        assert (
            carol.post("/v4/model-templates", json=minimal_body(account_id="acct_3")).json()[
                "created_by_user_id"
            ]
            == "carol"
        )
    with api(server, "unknown") as stranger:
        assert stranger.get("/v4/model-templates").status_code == 401
    assert httpx.get(server.url + "/v4/model-templates", timeout=TIMEOUT).status_code == 401


def test_bad_keys_file_is_a_one_line_error(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("k1=alice:root\n")
    result = run("serve", "--port", "0", "--api-keys-file", str(keys_file))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "line 1" in result.stderr
    result = run("serve", "--port", "0", "--api-keys-file", str(tmp_path / "missing.txt"))
    assert result.returncode == 1
    assert "missing.txt" in result.stderr
    keys_file.write_text("[]\n")
    result = run("serve", "--port", "0", "--api-keys-file", str(keys_file))
    assert result.returncode == 1
    assert "not a list" in result.stderr


def test_strict_rejects_unknown_fields_and_default_ignores_them(start: Any) -> None:
    body = minimal_body(colour="red")
    body["vendor_configuration"]["bundle_config"]["extra"] = 1
    lenient, strict = start(), start("--strict")
    with api(lenient) as client:
        assert client.post("/v4/model-templates", json=body).status_code == 200
        assert client.get("/v4/model-templates", params={"sort": "name"}).status_code == 200
    with api(strict) as client:
        refused = client.post("/v4/model-templates", json=body)
        assert refused.status_code == 422
        assert refused.json() == {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "vendor_configuration", "bundle_config", "extra"],
                    "msg": "Extra inputs are not permitted",
                    "input": 1,
                },
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "colour"],
                    "msg": "Extra inputs are not permitted",
                    "input": "red",
                },
            ]
        }
        listed = client.get("/v4/model-templates", params={"sort": "name"})
        assert listed.status_code == 422
        assert listed.json()["detail"][0]["loc"] == ["query", "sort"]
        assert client.post("/v4/model-templates", json=minimal_body()).status_code == 200


def test_latency_delays_sgp_requests_only(start: Any) -> None:
    # A lower bound only: the machine may be slow, never fast beyond the sleep.
    server = start("--latency", "0.3")
    with api(server) as client:
        started = time.monotonic()
        assert client.get("/v4/model-templates").status_code == 200
        assert time.monotonic() - started >= 0.3


def test_no_admin_turns_the_admin_api_off(start: Any) -> None:
    server = start("--no-admin")
    with api(server) as client:
        for method, path in [
            ("POST", "/_fake/reset"),
            ("GET", "/_fake/state"),
            ("GET", "/_fake/requests"),
            ("POST", "/_fake/faults"),
            ("PUT", "/_fake/rate-limit"),
            ("GET", "/_fake/coverage"),
            ("GET", "/_fake/resources"),
            ("GET", "/_fake/ui"),
            ("GET", "/_fake/ui/app.js"),
        ]:
            answer = client.request(method, path, json={})
            assert answer.status_code == 404, path
            assert answer.json() == {"detail": "Not Found"}
        assert client.get("/v4/model-templates").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert "/v4/model-templates" in paths
        assert not [p for p in paths if p.startswith("/_fake")]
    assert server.dashboard_url == ""  # and no line announces a dashboard
    assert not [line for line in server.output if "dashboard" in line]


def test_seed_file(start: Any, tmp_path: Path) -> None:
    template = {
        **minimal_body(),
        "id": "seeded-1",
        "created_at": "2024-05-01T12:00:00Z",
        "created_by_user_id": "seeder",
        "created_by_identity_type": "service_account",
    }
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"model_templates": [template]}))
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([{**template, "id": "seeded-2"}]))
    for path, template_id in [(seed, "seeded-1"), (bare, "seeded-2")]:
        server = start("--seed-file", str(path))
        with api(server) as client:
            got = client.get(f"/v4/model-templates/{template_id}")
            assert got.status_code == 200
            assert got.json()["created_at"] == "2024-05-01T12:00:00+00:00"
            assert got.json()["created_by_user_id"] == "seeder"
            assert client.get("/v4/model-templates").json()["total_item_count"] == 1


# A seed file like the one test_seed_file loads, to break in one way.
SEEDED = json.dumps(
    [
        {
            **minimal_body(name="n"),
            "id": "seeded",
            "created_at": "2024-05-01T12:00:00Z",
            "created_by_user_id": "seeder",
            "created_by_identity_type": "user",
        }
    ]
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "seed file"),
        ('{"model_templates": [{"id": "x"}]}', "model_templates.0.name: Field required"),
        ('{"templates": []}', "templates: Extra inputs are not permitted"),
        (SEEDED.replace('"seeded"', '""'), "model_templates.0.id: Value error, a model template"),
        (SEEDED.replace('"seeded"', '"a/b"'), "cannot contain '/': it must be one path segment"),
        (SEEDED.replace('"name": "n"', '"name": "\\ud800"'), "lone surrogate"),
    ],
)
def test_bad_seed_file_is_a_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(content)
    result = run("serve", "--port", "0", "--seed-file", str(seed))
    assert result.returncode == 1
    assert READY_PREFIX not in result.stdout
    assert result.stderr.startswith("sgp-fake: error: seed file ")
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.parametrize("existed", [False, True])
def test_a_bad_seed_leaves_a_new_state_file_new(tmp_path: Path, existed: bool) -> None:
    from sgp_fake.cli.serve import SetupError, build_fake

    seed, state = tmp_path / "seed.json", tmp_path / "fake.db"
    if existed:
        state.touch()  # an empty file is a new state file too
    seed.write_text('{"model_templates": [{"id": "x"}]}')
    flags = ["serve", "--seed-file", str(seed), "--state-file", str(state)]
    with pytest.raises(SetupError, match="seed file"):
        build_fake(build_parser().parse_args(flags))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake.db"] * existed + ["seed.json"]
    # The seed fixed, the next start seeds the file it finds as new.
    seed.write_text(SEEDED)
    fake = build_fake(build_parser().parse_args(flags))
    try:
        with fake.client() as client:
            assert client.get("/v4/model-templates/seeded").status_code == 200
    finally:
        fake.close()


@pytest.mark.parametrize(("flags", "keeps"), [([], True), (["--no-admin"], False)])
def test_only_a_server_with_the_admin_api_keeps_a_journal(flags: list[str], keeps: bool) -> None:
    from sgp_fake.cli.serve import build_fake

    fake = build_fake(build_parser().parse_args(["serve", *flags]))
    try:
        with fake.client() as client:
            assert client.get("/v4/model-templates").status_code == 200
        assert len(fake.journal) == (1 if keeps else 0)
        assert (fake.coverage is not None) is keeps
    finally:
        fake.close()


def _both_loopbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """``localhost`` as many machines resolve it: ``::1`` and ``127.0.0.1``."""
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost":
            return real(host, port, *args, **kwargs)
        stream, tcp = socket.SOCK_STREAM, socket.IPPROTO_TCP
        return [
            (socket.AF_INET6, stream, tcp, "", ("::1", port, 0, 0)),
            (socket.AF_INET, stream, tcp, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


@needs_ipv6
def test_port_0_on_a_name_of_two_addresses_binds_one_port_on_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The one URL printed names the first socket's port: every address must have it.
    from sgp_fake.cli.serve import _listen

    _both_loopbacks(monkeypatch)
    for _ in range(5):
        sockets = _listen("localhost", 0)
        try:
            assert [s.getsockname()[0] for s in sockets] == ["::1", "127.0.0.1"]
            assert len({s.getsockname()[1] for s in sockets}) == 1
        finally:
            for sock in sockets:
                sock.close()


@needs_ipv6
def test_a_drawn_port_taken_on_the_second_address_is_drawn_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sgp_fake.cli import serve

    _both_loopbacks(monkeypatch)
    # Every port the first draws is then taken on 127.0.0.1 by another program, twice.
    taken: list[socket.socket] = []
    taken_ports: list[int] = []
    real_bind = socket.socket.bind

    class Crowded(socket.socket):
        def bind(self, address: Any) -> None:
            real_bind(self, address)
            if self.family == socket.AF_INET6 and len(taken_ports) < 2:
                drawn = self.getsockname()[1]
                taken_ports.append(drawn)
                other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    real_bind(other, ("127.0.0.1", drawn))
                except OSError as exc:  # taken there already (another test's server): as well
                    other.close()
                    if exc.errno != errno.EADDRINUSE:
                        raise
                else:
                    taken.append(other)

    monkeypatch.setattr(serve.socket, "socket", Crowded)
    try:
        sockets = serve._listen("localhost", 0)
        ports = {s.getsockname()[1] for s in sockets}
        assert len(sockets) == 2
        assert len(ports) == 1
        assert ports.isdisjoint(taken_ports)
        assert len(taken_ports) == 2
        for sock in sockets:
            sock.close()
    finally:
        for sock in taken:
            sock.close()
