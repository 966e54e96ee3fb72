"""Two generic parts of the core, on test-only operations: parameters matched on the raw path
(``Operation.raw_path``), and fault rules that match what a request is about
(``Operation.about``: its deployment, model and prompt)."""

from __future__ import annotations

import json
from typing import Any, Iterator
from urllib.parse import unquote

import httpx
import pytest
from pydantic import BaseModel

from sgp_fake import LiveServer, SGPFake
from sgp_fake.core import answers
from sgp_fake.core.call import Call
from sgp_fake.core.facts import Facts, LazyFacts, facts_match
from sgp_fake.core.faults import FaultRule, FaultRules
from sgp_fake.core.operations import Operation, Resource
from sgp_fake.core.routing import Router
from sgp_fake.intercept import Interceptor
from sgp_fake.resources import REGISTRY
from tests.core.test_fuzz_dispatch import _call, _scope

# -- a test-only resource: a raw-path route, a route it could be mistaken for, and one that is
# -- about something ------------------------------------------------------------------------


class Thing(BaseModel):
    id: str
    account_id: str


def _echo(call: Call) -> answers.Answer:
    return answers.ok(json.dumps({"op": call.op.name, "params": dict(call.params)}).encode())


def _about(call: Call) -> Facts:
    body = json.loads(call.raw_body or b"{}")
    call.backend.settings  # noqa: B018 - the call reaches its fake, as a real ``about`` does
    return {
        "deployment": (call.params["thing"], f"{call.params['thing']}-name"),
        "prompt": (str(body.get("prompt", "")),),
    }


def _streamed(call: Call) -> answers.StreamedAnswer:
    return answers.stream(answers.sse({"n": i} for i in range(4)))


ABOUT_CALLS: list[str] = []


def _counted_about(call: Call) -> Facts:
    ABOUT_CALLS.append(call.op.name)
    return _about(call)


THINGS = Resource(
    kind="things",
    stored=Thing,
    noun="Thing",
    tag="Things",
    operations=(
        Operation("thing_stats", "GET", "/v4/things/{name}/stats", _echo, raw_path=True),
        Operation("thing_part", "GET", "/v4/things/{thing}/parts/{part}", _echo),
        Operation("other_stats", "GET", "/v4/others/{name}/stats", _echo),
        Operation("thing_ask", "POST", "/v4/things/{thing}/ask", _echo, about=_counted_about),
        Operation("thing_stream", "POST", "/v4/things/{thing}/stream", _streamed, about=_about),
    ),
)
RESOURCES = (*REGISTRY, THINGS)


@pytest.fixture
def things() -> SGPFake:
    return SGPFake(resources=RESOURCES)


@pytest.fixture
def client(things: SGPFake) -> Iterator[httpx.Client]:
    with things.client() as client:
        yield client


# -- raw paths -------------------------------------------------------------------------------


def test_a_raw_path_parameter_keeps_an_encoded_slash(client: httpx.Client) -> None:
    answer = client.get("/v4/things/meta-llama%2FLlama-3/stats")
    assert answer.json() == {"op": "thing_stats", "params": {"name": "meta-llama/Llama-3"}}
    # each segment is decoded on its own: other escapes, and a '%' sent as %25, come out whole
    answer = client.get("/v4/things/a%20b%2Fc%252F/stats")
    assert answer.json()["params"] == {"name": "a b/c%2F"}
    # without an encoded '/', the path matches as any other
    assert client.get("/v4/things/plain/stats").json()["params"] == {"name": "plain"}


def test_only_raw_path_operations_read_the_raw_path(client: httpx.Client) -> None:
    # an operation that does not ask for it matches the decoded path, as Starlette does
    assert client.get("/v4/others/a%2Fb/stats").status_code == 404


def test_a_raw_path_operation_wins_over_a_route_its_decoded_path_matches(
    client: httpx.Client,
) -> None:
    # decoded, /v4/things/x/parts/stats is part 'stats' of thing 'x'; sent, it names 'x/parts'
    answer = client.get("/v4/things/x%2Fparts/stats")
    assert answer.json() == {"op": "thing_stats", "params": {"name": "x/parts"}}
    assert client.get("/v4/things/x/parts/stats").json()["op"] == "thing_part"


@pytest.mark.parametrize(
    ("method", "raw"),
    [
        ("GET", "/v4/things/meta-llama%2FLlama-3/stats"),
        ("GET", "/v4/things/x%2Fparts/stats"),
        ("GET", "/v4/things/x/parts/stats"),
        ("GET", "/v4/others/a%2Fb/stats"),
        ("HEAD", "/v4/things/a%2Fb/stats"),
        ("POST", "/v4/things/a%2Fb/stats"),
        ("GET", "/v4/things/%2F/stats"),
        ("GET", "/v4/things//stats"),
    ],
)
def test_the_starlette_routes_match_what_the_direct_dispatch_matches(method: str, raw: str) -> None:
    direct, routed = SGPFake(resources=RESOURCES), SGPFake(resources=RESOURCES)
    headers = [(b"x-api-key", b"k")]

    def scope() -> dict[str, Any]:
        built = _scope(method, unquote(raw), b"", headers)
        built["raw_path"] = raw.encode()
        return built

    via_app = _call(direct.app, scope(), b"")
    routed_scope = scope()
    routed_scope["sgp_fake.body"] = b""
    via_router = _call(routed.app.router, routed_scope, b"")
    assert via_app == via_router
    if method == "POST":
        assert via_app[0] == 405
        assert dict(via_app[1])[b"allow"] == b"GET, HEAD"
    if method == "HEAD":
        assert via_app[0] == 200  # Starlette answers it (a server sends no body)


def test_the_router_matches_raw_paths_only_where_declared() -> None:
    router = Router(THINGS.operations)
    found = router.match("GET", "/v4/things/a/b/stats", b"/v4/things/a%2fb/stats")
    assert found is not None
    assert (found[0].name, found[1]) == ("thing_stats", {"name": "a/b"})
    assert router.match("GET", "/v4/things/a/b/stats") is None  # no raw path given
    assert router.serves("GET", "/v4/things/a/b/stats", b"/v4/things/a%2Fb/stats")
    assert router.serves("HEAD", "/v4/things/a/b/stats", b"/v4/things/a%2Fb/stats")
    assert not router.serves("GET", "/v4/others/a/b/stats", b"/v4/others/a%2Fb/stats")


def test_interception_serves_a_raw_path_below_a_base_path(things: SGPFake) -> None:
    with Interceptor(things, ["https://sgp.example/api"], include_env=False):
        answer = httpx.get(
            "https://sgp.example/api/v4/things/meta-llama%2FLlama-3/stats",
            headers={"x-api-key": "k"},
        )
        assert answer.json()["params"] == {"name": "meta-llama/Llama-3"}
        answer = httpx.get(
            "https://api.egp.scale.com/v4/things/a%2Fb/stats", headers={"x-api-key": "k"}
        )
        assert answer.json()["params"] == {"name": "a/b"}


def test_a_raw_path_over_a_socket(things: SGPFake) -> None:
    with LiveServer(things.app) as server:
        answer = httpx.get(
            f"{server.url}/v4/things/meta-llama%2FLlama-3/stats",
            headers={"x-api-key": "k"},
            timeout=30,
        )
    assert answer.json()["params"] == {"name": "meta-llama/Llama-3"}


# -- faults that match what a request is about ----------------------------------------------


def test_facts_match_by_id_or_name_substring_and_regex() -> None:
    facts: Facts = {"deployment": ("d1", "prod"), "model": ("m1", "llama"), "prompt": ("Hi there",)}
    assert facts_match(facts, deployment="d1")
    assert facts_match(facts, deployment="prod")
    assert not facts_match(facts, deployment="canary")
    assert facts_match(facts, model="llama", prompt="there", prompt_regex=r"^Hi\b")
    assert not facts_match(facts, prompt="bye")
    assert not facts_match(facts, prompt_regex=r"^there")
    assert not facts_match({}, model="llama")  # a request about no model matches no model
    assert facts_match({}, deployment=None)


def test_a_fault_matches_the_deployment_and_prompt_a_request_is_about(
    things: SGPFake, client: httpx.Client
) -> None:
    things.faults.add(deployment="t1-name", prompt="boom", status=503, times=None)
    assert client.post("/v4/things/t1/ask", json={"prompt": "no"}).status_code == 200
    assert client.post("/v4/things/t2/ask", json={"prompt": "boom"}).status_code == 200
    assert client.post("/v4/things/t1/ask", json={"prompt": "a boom!"}).status_code == 503
    assert things.journal.last().rule == things.faults.list()[0].id
    # an operation that declares nothing is about nothing: the rule never fires for it
    assert client.get("/v4/things/t1/stats").status_code == 200


def test_a_fault_on_a_regex_and_a_cut_on_facts(things: SGPFake, client: httpx.Client) -> None:
    things.faults.add(prompt_regex=r"^cut", after=1, cut="error", times=None)
    whole = client.post("/v4/things/t/stream", json={"prompt": "keep"}).text
    cut = client.post("/v4/things/t/stream", json={"prompt": "cut me"}).text
    assert whole.count("data:") == 4
    assert cut.count("data:") == 2
    assert "event: error" in cut


def test_facts_are_computed_only_when_a_rule_needs_them(
    things: SGPFake, client: httpx.Client
) -> None:
    ABOUT_CALLS.clear()
    things.faults.add(path="/v4/other", status=500, deployment="t")  # never this path
    things.faults.add(method="GET", status=418, times=None)  # needs no facts, never a POST
    assert client.post("/v4/things/t/ask", json={}).status_code == 200
    assert ABOUT_CALLS == []  # no rule needed them, none answered: never computed
    things.faults.add(method="POST", status=418)  # needs no facts, fires first
    assert client.post("/v4/things/t/ask", json={}).status_code == 418
    # A fault answered: the facts name, for the journal, the account of the record the path
    # names (the handler, which would name it, never ran).
    assert ABOUT_CALLS == ["thing_ask"]
    ABOUT_CALLS.clear()
    things.faults.add(path="/v4/things/*", deployment="t", status=503)
    assert client.post("/v4/things/t/ask", json={}).status_code == 503
    assert client.post("/v4/things/t/ask", json={}).status_code == 200  # spent
    assert ABOUT_CALLS == ["thing_ask"]  # once, for the request that needed them


def test_an_unreadable_request_is_about_nothing(things: SGPFake, client: httpx.Client) -> None:
    things.faults.add(prompt="x", status=503)
    answer = client.post("/v4/things/t/ask", content=b"{not json", headers={"content-type": "x"})
    assert answer.status_code == 200
    assert LazyFacts(lambda: {"a": ("b",)}).get() == {"a": ("b",)}
    assert LazyFacts(None).get() == {}


def test_fact_matchers_are_kept_and_listed() -> None:
    rules = FaultRules()
    rule = rules.add(model="llama", prompt_regex="a+", status=500)
    assert rule.needs_facts
    assert not FaultRule(status=500).needs_facts
    listed = rule.to_dict()
    assert (listed["model"], listed["prompt_regex"], listed["deployment"]) == ("llama", "a+", None)
    assert rules.take("GET", "/x", None) is None  # no facts: no match
    lazy = LazyFacts(lambda: {"model": ("llama",), "prompt": ("caa",)})
    assert rules.take("GET", "/x", None, lazy) is rule
    with pytest.raises(ValueError, match="regular expression"):
        FaultRule(prompt_regex="(", status=500)


def test_the_admin_api_takes_the_matchers_and_refuses_a_bad_regex() -> None:
    fake = SGPFake(admin=True, resources=RESOURCES)
    with fake.client() as client:
        added = client.post("/_fake/faults", json={"deployment": "t", "status": 503})
        assert added.status_code == 201
        assert added.json()["deployment"] == "t"
        bad = client.post("/_fake/faults", json={"prompt_regex": "(", "status": 503})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "prompt_regex"]
        assert client.post("/v4/things/t/ask", json={}).status_code == 503
