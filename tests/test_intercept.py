"""Interception: clients built for the real base URL reach the fake; nothing else changes.

A second fake behind a loopback server stands in for "the network": requests that must not be
intercepted reach it, and requests that are intercepted (served or refused) never do.
"""

from __future__ import annotations

import asyncio
from typing import Iterator

import httpx
import pytest

from sgp_fake import DEFAULT_BASE_URL, LiveServer, SGPFake
from sgp_fake.intercept import BASE_URL_ENV, Interceptor, UnhandledRequest

from .conftest import minimal_body

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
        ("GET", "/v4/models"),
        ("PATCH", "/v4/model-templates/abc"),
        ("GET", "/v4/model-templates/"),
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


def test_a_relative_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="absolute"):
        Interceptor(SGPFake(), ["/v4"])
