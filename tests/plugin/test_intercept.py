"""Interception: clients built for the real base URL reach the fake; nothing else changes.

A second fake behind a loopback server stands in for "the network": requests that must not be
intercepted reach it, and requests that are intercepted (served or refused) never do. Where a
leak to the real network is the risk, :mod:`tests.network_guard` makes the network unreachable
and records whatever tried to reach it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import AsyncIterator, Iterator

import httpx
import pytest

from sgp_fake import DEFAULT_BASE_URL, LiveServer, SGPFake
from sgp_fake.intercept import BASE_URL_ENV, Interceptor, UnhandledRequest
from tests.support.bodies import minimal_body
from tests.support.ipv6 import needs_ipv6
from tests.support.network_guard import Leak, NetworkGuard

HEADERS = {"x-api-key": "k"}
LIST = "/v4/model-templates"


@pytest.fixture
def elsewhere() -> Iterator[tuple[SGPFake, str]]:
    """Another fake on a real loopback socket: (fake, base URL)."""
    other = SGPFake()
    with LiveServer(other.app) as server:
        yield other, server.url


@pytest.fixture(autouse=True)
def _no_base_url_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)


def test_a_sync_client_for_the_real_url_reaches_the_fake() -> None:
    fake = SGPFake()
    with Interceptor(fake), httpx.Client(base_url=DEFAULT_BASE_URL, headers=HEADERS) as client:
        created = client.post(LIST, json=minimal_body())
        assert created.status_code == 200
        assert client.get(f"{LIST}/{created.json()['id']}").json() == created.json()
    assert len(fake.store) == 1
    assert [e.method for e in fake.journal] == ["POST", "GET"]


def test_an_async_client_for_the_real_url_reaches_the_fake() -> None:
    fake = SGPFake()

    async def go() -> int:
        async with httpx.AsyncClient(base_url=DEFAULT_BASE_URL, headers=HEADERS) as client:
            return (await client.post(LIST, json=minimal_body())).status_code

    with Interceptor(fake):
        assert asyncio.run(go()) == 200
    assert len(fake.store) == 1


def test_the_official_sdk_built_by_the_code_under_test_reaches_the_fake() -> None:
    scale_gp = pytest.importorskip("scale_gp")
    fake = SGPFake()
    with Interceptor(fake), scale_gp.SGPClient(api_key="k", max_retries=0) as client:
        created = client.model_templates.create(**minimal_body())
        assert [t.id for t in client.model_templates.list()] == [created.id]


def test_the_base_url_env_is_read_at_each_request_and_its_path_prefix_is_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = SGPFake()
    with Interceptor(fake) as interceptor:
        monkeypatch.setenv(BASE_URL_ENV, "http://sgp.internal:8080/api/")
        answer = httpx.get("http://sgp.internal:8080/api/v4/model-templates", headers=HEADERS)
        assert answer.status_code == 200
        assert "http://sgp.internal:8080/api/" in interceptor.base_urls
    assert fake.journal.last().path == LIST


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_streamed_body_below_a_path_prefix_reaches_the_fake(kind: str) -> None:
    fake = SGPFake()
    url = f"http://sgp.internal:8080/api{LIST}"
    body = json.dumps(minimal_body()).encode()
    headers = {**HEADERS, "content-type": "application/json"}

    def chunks() -> Iterator[bytes]:
        yield body[:10]
        yield body[10:]

    async def achunks() -> AsyncIterator[bytes]:
        yield body[:10]
        yield body[10:]

    async def post_async() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(url, content=achunks(), headers=headers)

    with Interceptor(fake, ["http://sgp.internal:8080/api"]):
        if kind == "sync":
            answer = httpx.post(url, content=chunks(), headers=headers)
        else:
            answer = asyncio.run(post_async())
    assert answer.status_code == 200, answer.text
    assert fake.journal.last().path == LIST
    assert len(fake.store) == 1


def test_other_hosts_and_custom_transports_are_untouched(elsewhere: tuple[SGPFake, str]) -> None:
    other, url = elsewhere
    fake = SGPFake()
    mocked = httpx.MockTransport(lambda request: httpx.Response(204))
    with Interceptor(fake):
        assert httpx.get(f"{url}{LIST}", headers=HEADERS).status_code == 200
        with httpx.Client(transport=mocked, base_url=DEFAULT_BASE_URL) as client:
            assert client.get(LIST).status_code == 204
    assert len(other.journal) == 1
    assert len(fake.journal) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v4/applications"),
        ("GET", "/v4/applications/"),
        ("PATCH", "/v4/model-templates/abc/versions"),
        ("POST", "/v4/model-templates/"),  # only a GET or HEAD is redirected
        ("GET", "/_fake/requests"),
        ("POST", "/v5/model-templates"),
    ],
)
def test_requests_the_fake_cannot_serve_fail_loudly_and_never_leave(
    elsewhere: tuple[SGPFake, str], method: str, path: str
) -> None:
    other, url = elsewhere
    fake = SGPFake()
    interceptor = Interceptor(fake, [url])
    with interceptor, pytest.raises(UnhandledRequest, match="no route"):
        httpx.request(method, f"{url}{path}", headers=HEADERS)
    assert [r.url.path for r in interceptor.unhandled] == [path]
    with pytest.raises(UnhandledRequest):
        interceptor.assert_all_handled()
    # The host is a real server: had the request gone out, it would be in its journal.
    assert len(other.journal) == 0
    assert len(fake.journal) == 0


def test_served_requests_never_leave_either(elsewhere: tuple[SGPFake, str]) -> None:
    other, url = elsewhere
    fake = SGPFake()
    with Interceptor(fake, [url]):
        assert httpx.get(f"{url}{LIST}", headers=HEADERS).status_code == 200
    assert len(other.journal) == 0
    assert len(fake.journal) == 1


def test_an_unhandled_callback_replaces_the_exception() -> None:
    class Refused(Exception):
        pass

    def refuse(request: httpx.Request) -> None:
        raise Refused(str(request.url))

    with Interceptor(SGPFake(), on_unhandled=refuse), pytest.raises(Refused):  # type: ignore[arg-type]
        httpx.get(f"{DEFAULT_BASE_URL}/nope")


def test_stopping_restores_httpx_and_interceptors_nest() -> None:
    original_sync = httpx.HTTPTransport.__dict__["handle_request"]
    original_async = httpx.AsyncHTTPTransport.__dict__["handle_async_request"]
    outer_fake, inner_fake = SGPFake(), SGPFake()
    with Interceptor(outer_fake, [DEFAULT_BASE_URL, "http://outer.test"]):
        with Interceptor(inner_fake):
            httpx.get(f"{DEFAULT_BASE_URL}{LIST}", headers=HEADERS)
            httpx.get(f"http://outer.test{LIST}", headers=HEADERS)
        httpx.get(f"{DEFAULT_BASE_URL}{LIST}", headers=HEADERS)
    assert len(inner_fake.journal) == 1  # the innermost interceptor wins its base URL
    assert len(outer_fake.journal) == 2
    assert httpx.HTTPTransport.__dict__["handle_request"] is original_sync
    assert httpx.AsyncHTTPTransport.__dict__["handle_async_request"] is original_async


def test_an_interceptor_stopped_out_of_order_leaves_the_other_one_intercepting(
    no_network: NetworkGuard,
) -> None:
    original_sync = httpx.HTTPTransport.__dict__["handle_request"]
    original_async = httpx.AsyncHTTPTransport.__dict__["handle_async_request"]
    first, second = SGPFake(), SGPFake()
    first_interceptor = Interceptor(first).start()
    second_interceptor = Interceptor(second, ["http://second.test"]).start()
    first_interceptor.stop()
    try:
        # The second one is still started: its requests reach its fake, not the network.
        assert httpx.get(f"http://second.test{LIST}", headers=HEADERS).status_code == 200
    finally:
        second_interceptor.stop()
    assert len(second.journal) == 1
    assert httpx.HTTPTransport.__dict__["handle_request"] is original_sync
    assert httpx.AsyncHTTPTransport.__dict__["handle_async_request"] is original_async


def test_a_relative_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="absolute"):
        Interceptor(SGPFake(), ["/v4"])


# -- added base URLs add to the defaults; nothing leaks ----------------------------------------

ADDED = "https://sgp.corp.example"
ENV_URL = "http://sgp-env.example:8080/api"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Nothing may leave: requests reaching httpx's real transports and non-loopback sockets
    are recorded and refused, and the test fails if any was attempted."""
    guard = NetworkGuard().install(monkeypatch)
    yield guard
    guard.assert_nothing_left()


def _get_three(kind: str) -> list[int]:
    """GET the list at the default host, ``$SGP_CLIENT_BASE_URL`` and ``ADDED`` with one kind of
    client, as code under test would build it."""
    urls = [DEFAULT_BASE_URL, ENV_URL, ADDED]
    if kind == "httpx":
        with httpx.Client(headers=HEADERS) as client:
            return [client.get(f"{url}{LIST}").status_code for url in urls]
    if kind == "httpx-async":

        async def go() -> list[int]:
            async with httpx.AsyncClient(headers=HEADERS) as client:
                return [(await client.get(f"{url}{LIST}")).status_code for url in urls]

        return asyncio.run(go())
    scale_gp = pytest.importorskip("scale_gp")
    # The SDK's own defaults: no base URL gives $SGP_CLIENT_BASE_URL, else the real service.
    base_urls = [DEFAULT_BASE_URL, None, ADDED]
    if kind == "sdk":
        counts = []
        for base_url in base_urls:
            with scale_gp.SGPClient(api_key="k", base_url=base_url, max_retries=0) as sdk:
                counts.append(sdk.model_templates.list().total_item_count)
        return counts

    async def go_sdk() -> list[int]:
        counts = []
        for base_url in base_urls:
            async with scale_gp.AsyncSGPClient(
                api_key="k", base_url=base_url, max_retries=0
            ) as sdk:
                counts.append((await sdk.model_templates.list()).total_item_count)
        return counts

    return asyncio.run(go_sdk())


@pytest.mark.parametrize("kind", ["httpx", "httpx-async", "sdk", "sdk-async"])
def test_added_base_urls_add_to_the_default_host_and_the_env(
    no_network: NetworkGuard, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv(BASE_URL_ENV, ENV_URL)
    fake = SGPFake()
    with Interceptor(fake, [ADDED]):
        answers = _get_three(kind)
    assert answers == ([200, 200, 200] if kind.startswith("httpx") else [0, 0, 0])
    assert [(e.method, e.path) for e in fake.journal] == [("GET", LIST)] * 3
    assert no_network.requests == []


def test_a_list_that_repeats_the_default_host_keeps_it_once() -> None:
    interceptor = Interceptor(SGPFake(), [ADDED, DEFAULT_BASE_URL, f"{DEFAULT_BASE_URL}/"])
    assert interceptor.base_urls == [
        "https://api.egp.scale.com",
        "https://api.sgp.scale.com",
        "https://api.staging-sgp.scale.com",
        "https://api.dev-sgp.scale.com",
        "https://sgp.corp.example",
    ]


def test_the_longest_base_url_on_a_host_wins_whatever_the_order(no_network: NetworkGuard) -> None:
    fake = SGPFake()
    with Interceptor(fake, [f"{DEFAULT_BASE_URL}/sgp"]):
        assert httpx.get(f"{DEFAULT_BASE_URL}/sgp{LIST}", headers=HEADERS).status_code == 200
        assert httpx.get(f"{DEFAULT_BASE_URL}{LIST}", headers=HEADERS).status_code == 200
    assert [e.path for e in fake.journal] == [LIST, LIST]


def test_opting_out_of_the_defaults_is_explicit(
    no_network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BASE_URL_ENV, ENV_URL)
    fake = SGPFake()
    with Interceptor(fake, [ADDED], include_default=False, include_env=False):
        assert httpx.get(f"{ADDED}{LIST}", headers=HEADERS).status_code == 200
        for url in (DEFAULT_BASE_URL, ENV_URL):
            with pytest.raises(Leak):
                httpx.get(f"{url}{LIST}", headers=HEADERS)
    assert len(fake.journal) == 1
    # Not intercepted means sent: the guard underneath got them (and proves it catches leaks).
    assert no_network.requests == [f"GET {DEFAULT_BASE_URL}{LIST}", f"GET {ENV_URL}{LIST}"]
    no_network.requests.clear()


def test_the_guard_makes_the_network_unreachable(no_network: NetworkGuard) -> None:
    with pytest.raises(socket.gaierror, match="unreachable"):
        socket.create_connection(("sgp.corp.example", 443), timeout=5)
    with socket.socket() as raw:
        raw.settimeout(5)
        with pytest.raises(OSError, match="unreachable"):
            raw.connect(("192.0.2.1", 443))  # an address, so no name to resolve
    assert no_network.connections == ["resolve 'sgp.corp.example'", "connect ('192.0.2.1', 443)"]
    no_network.connections.clear()


def test_an_interceptor_with_nothing_to_intercept_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to intercept"):
        Interceptor(SGPFake(), include_default=False, include_env=False)
    # The environment alone is something (it may be set later, inside the test).
    assert Interceptor(SGPFake(), include_default=False).base_urls == []


# -- the same host, written another way -------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.egp.scale.com",  # the host over plain http: still the real service
        "https://api.egp.scale.com.",  # the fully qualified name, trailing dot
        "https://API.Egp.Scale.com",
        "https://api.egp.scale.com:8443",  # another port of the same host
        "HTTP://api.sgp.scale.com",
    ],
)
def test_an_sgp_host_written_another_way_is_intercepted_too(
    no_network: NetworkGuard, base_url: str
) -> None:
    fake = SGPFake()
    with Interceptor(fake):
        answer = httpx.get(f"{base_url}{LIST}", headers=HEADERS)
    assert answer.status_code == 200
    assert no_network.requests == []
    assert no_network.connections == []
    assert [e.path for e in fake.journal] == [LIST]


def test_a_base_url_with_a_port_intercepts_that_port_only() -> None:
    interceptor = Interceptor(SGPFake(), ["http://127.0.0.1:5003/public"], include_default=False)
    same = httpx.Request("GET", f"https://127.0.0.1:5003/public{LIST}")
    other = httpx.Request("GET", f"http://127.0.0.1:5004/public{LIST}")
    assert interceptor.path_for(same) == LIST
    assert interceptor.path_for(other) is None
    assert interceptor.base_urls == ["http://127.0.0.1:5003/public"]


# -- what the fake answers itself: redirects and wrong methods ---------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_trailing_slash_is_redirected_by_the_fake_not_refused(
    no_network: NetworkGuard, kind: str
) -> None:
    fake = SGPFake()
    url = f"{DEFAULT_BASE_URL}{LIST}/"

    async def async_get() -> httpx.Response:
        async with httpx.AsyncClient(headers=HEADERS, follow_redirects=True) as client:
            return await client.get(url)

    with Interceptor(fake) as interceptor:
        if kind == "sync":
            with httpx.Client(headers=HEADERS, follow_redirects=True) as client:
                answer = client.get(url)
        else:
            answer = asyncio.run(async_get())
        assert interceptor.unhandled == []
    assert answer.status_code == 200
    assert [(e.path, e.status) for e in fake.journal] == [(f"{LIST}/", 307), (LIST, 200)]
    assert no_network.requests == []


@pytest.mark.parametrize("kind", ["sync", "async", "openai", "openai-async"])
def test_a_redirect_below_a_path_prefix_keeps_the_prefix(
    no_network: NetworkGuard, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # The fake serves the routes below the prefix: its trailing-slash redirect must lead back
    # under the base URL, not to the same host without the prefix (the network).
    base_url = "http://sgp.internal:8080/api"
    monkeypatch.setenv(BASE_URL_ENV, base_url)
    fake = SGPFake()
    url = f"{base_url}{LIST}/?limit=5"

    async def async_get() -> int:
        async with httpx.AsyncClient(headers=HEADERS, follow_redirects=True) as client:
            return (await client.get(url)).status_code

    with Interceptor(fake) as interceptor:
        if kind == "sync":
            redirect = httpx.get(url, headers=HEADERS)
            assert redirect.headers["location"] == f"{base_url}{LIST}?limit=5"
            with httpx.Client(headers=HEADERS, follow_redirects=True) as client:
                status = client.get(url).status_code
        elif kind == "async":
            status = asyncio.run(async_get())
        else:
            openai = pytest.importorskip("openai")
            if kind == "openai":
                status = (
                    openai.OpenAI(api_key="k", base_url=base_url)
                    .get(f"{LIST}/?limit=5", cast_to=httpx.Response)
                    .status_code
                )
            else:
                client = openai.AsyncOpenAI(api_key="k", base_url=base_url)
                coroutine = client.get(f"{LIST}/?limit=5", cast_to=httpx.Response)
                status = asyncio.run(coroutine).status_code
        assert interceptor.unhandled == []
    assert status == 200
    assert [e.path for e in fake.journal][-2:] == [f"{LIST}/", LIST]
    assert fake.journal.last().query == "limit=5"
    assert no_network.requests == []


def test_another_method_of_a_route_gets_the_fakes_405() -> None:
    fake = SGPFake()
    with Interceptor(fake) as interceptor:
        answer = httpx.put(f"{DEFAULT_BASE_URL}{LIST}", headers=HEADERS)
        assert interceptor.unhandled == []
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize("path", [f"{LIST}%2F", "/v4/no-such-route/", "/v4/no-such-route"])
def test_what_the_fake_has_no_answer_for_still_fails_loudly(
    no_network: NetworkGuard, path: str
) -> None:
    with Interceptor(SGPFake()) as interceptor, pytest.raises(UnhandledRequest):
        httpx.get(f"{DEFAULT_BASE_URL}{path}", headers=HEADERS)
    assert len(interceptor.unhandled) == 1
    assert no_network.requests == []


def test_one_base_url_given_as_a_string_is_one_url() -> None:
    interceptor = Interceptor(SGPFake(), "https://sgp.corp.example/api", include_default=False)
    assert interceptor.base_urls == ["https://sgp.corp.example/api"]


# -- a library that puts the transports' original methods back -------------------------------


STREAMED_CHAT = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
}


def test_requests_below_a_transport_put_back_still_reach_the_fake(
    no_network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    # vcrpy's cassettes keep the transports' methods as found at import and install over
    # whatever patched them since, calling those originals for what they do not replay.
    originals = (
        httpx.HTTPTransport.__dict__["handle_request"],
        httpx.AsyncHTTPTransport.__dict__["handle_async_request"],
    )
    fake = SGPFake()
    headers = {**HEADERS, "x-selected-account-id": "acct_1"}

    async def stream_async() -> bytes:
        async with httpx.AsyncClient(headers=headers) as client:
            chat = f"{DEFAULT_BASE_URL}/v5/chat/completions"
            answer = await client.post(chat, json=STREAMED_CHAT)
            return answer.content

    with Interceptor(fake):
        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", originals[0])
        monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", originals[1])
        created = httpx.post(f"{DEFAULT_BASE_URL}{LIST}", json=minimal_body(), headers=HEADERS)
        assert created.status_code == 200
        with httpx.stream(
            "POST", f"{DEFAULT_BASE_URL}/v5/chat/completions", json=STREAMED_CHAT, headers=headers
        ) as answer:
            events = [line for line in answer.iter_lines() if line.startswith("data: ")]
        assert events[-1] == "data: [DONE]"
        assert asyncio.run(stream_async()).endswith(b"data: [DONE]\n\n")
        # The fake's faults reach the client as a socket's would.
        fake.faults.add(path=LIST, latency=5)
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{DEFAULT_BASE_URL}{LIST}", headers=HEADERS, timeout=0.1)
    assert [entry.path for entry in fake.journal][:3] == [
        LIST,
        "/v5/chat/completions",
        "/v5/chat/completions",
    ]
    assert len(fake.store) == 1


def test_the_sdks_aiohttp_clients_reach_the_fake(no_network: NetworkGuard) -> None:
    scale_gp = pytest.importorskip("scale_gp")
    scale_gp_beta = pytest.importorskip("scale_gp_beta")
    pytest.importorskip("httpx_aiohttp")
    fake = SGPFake()

    async def go() -> tuple[int, int]:
        async with scale_gp.AsyncSGPClient(
            api_key="k", http_client=scale_gp.DefaultAioHttpClient(), max_retries=0
        ) as v4:
            await v4.model_templates.create(**minimal_body())
            templates = await v4.model_templates.list()
        async with scale_gp_beta.AsyncSGPClient(
            api_key="k",
            account_id="acct_1",
            http_client=scale_gp_beta.DefaultAioHttpClient(),
            max_retries=0,
        ) as v5:
            answer = await v5.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        return len(templates.items), len(answer.choices)

    with Interceptor(fake):
        assert asyncio.run(go()) == (1, 1)
    assert [entry.path for entry in fake.journal] == [LIST, LIST, "/v5/chat/completions"]


@needs_ipv6
def test_a_request_to_an_ipv6_host_goes_through_while_intercepting() -> None:
    # The connection pools are patched too: a request that reaches one (any host the
    # transports leave alone) must keep its host as sent, brackets and all.
    other = SGPFake()
    with LiveServer(other.app, host="::1") as server, Interceptor(SGPFake()):
        assert httpx.get(f"{server.url}{LIST}", headers=HEADERS).status_code == 200

        async def go() -> int:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{server.url}{LIST}", headers=HEADERS)).status_code

        assert asyncio.run(go()) == 200
    assert [entry.path for entry in other.journal] == [LIST, LIST]
