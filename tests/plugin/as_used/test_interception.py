"""Interception of the clients the code under test builds, with the network guarded."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.plugin.as_used.runs import BODY, run


def test_interception_of_clients_built_by_the_code_under_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def sgp_fake_base_urls():
            return ["https://api.egp.scale.com", "http://sgp.internal.example"]
        """
    )
    pytester.makepyfile(
        f"""
        import httpx
        import pytest
        from scale_gp import SGPClient
        pytestmark = pytest.mark.usefixtures("sgp_fake_intercept")
        BODY = {BODY}

        def code_under_test():
            with httpx.Client(base_url="https://api.egp.scale.com") as client:
                answer = client.post(
                    "/v4/model-templates", json=BODY, headers={{"x-api-key": "k"}}
                )
                return answer.json()

        def test_sync(sgp_fake):
            made = code_under_test()
            assert sgp_fake.store.get(made["id"]) is not None

        async def test_async(sgp_fake):
            async with httpx.AsyncClient() as client:
                answer = await client.get(
                    "https://api.egp.scale.com/v4/model-templates", headers={{"x-api-key": "k"}}
                )
            assert answer.status_code == 200
            assert len(sgp_fake.journal) == 1

        def test_sdk_with_its_defaults(sgp_fake):
            made = SGPClient(api_key="k").model_templates.create(**BODY)
            assert sgp_fake.store.get(made.id) is not None

        def test_env_base_url(sgp_fake, monkeypatch):
            monkeypatch.setenv("SGP_CLIENT_BASE_URL", "http://127.0.0.1:9/sgp")
            assert SGPClient(api_key="k").model_templates.list().items == []
            assert sgp_fake.journal.last().path == "/v4/model-templates"

        def test_extra_base_url(sgp_fake):
            answer = httpx.get(
                "http://sgp.internal.example/v4/model-templates", headers={{"x-api-key": "k"}}
            )
            assert answer.status_code == 200

        def test_unserved_route_fails():
            httpx.get("https://api.egp.scale.com/v4/unknown-route")

        def test_swallowed_failure_is_still_reported():
            try:
                httpx.get("https://api.egp.scale.com/v4/other-unknown")
            except BaseException:
                pass
        """
    )
    result = run(pytester, "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=6, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*1 request(s) the fake cannot serve, first GET *v4/other-unknown*",
            "*sgp-fake: GET https://api.egp.scale.com/v4/unknown-route is on an intercepted*",
        ]
    )


NETWORK_GUARD = (Path(__file__).resolve().parents[2] / "support" / "network_guard.py").read_text(
    encoding="utf-8"
)
"""Copied next to generated tests that must prove nothing reaches the network."""

GUARDED_CONFTEST = """
import pytest
from network_guard import NetworkGuard

@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    guard = NetworkGuard().install(monkeypatch)
    yield guard
    guard.assert_nothing_left()
"""
"""An autouse guard: a request that reaches httpx's real transport, or a socket that tries to
leave the machine, is recorded, refused, and fails the test even if the exception is swallowed."""


def _guarded(pytester: pytest.Pytester, conftest: str = "") -> None:
    pytester.syspathinsert()
    pytester.makepyfile(network_guard=NETWORK_GUARD)
    pytester.makeconftest(GUARDED_CONFTEST + conftest)


def test_added_base_urls_leave_the_defaults_intercepted(pytester: pytest.Pytester) -> None:
    _guarded(
        pytester,
        """
@pytest.fixture
def sgp_fake_base_urls():
    return ["https://sgp.corp.example"]
""",
    )
    pytester.makepyfile(
        """
        import httpx
        import pytest
        from network_guard import Leak
        from scale_gp import AsyncSGPClient, SGPClient

        pytestmark = pytest.mark.usefixtures("sgp_fake_intercept")
        LIST = "/v4/model-templates"
        DEFAULT = "https://api.egp.scale.com"
        ENV = "http://sgp-env.example:8080/api"
        ADDED = "https://sgp.corp.example"
        HEADERS = {"x-api-key": "k"}

        @pytest.fixture(autouse=True)
        def env(monkeypatch):
            monkeypatch.setenv("SGP_CLIENT_BASE_URL", ENV)

        def test_httpx(sgp_fake):
            with httpx.Client(headers=HEADERS) as client:
                for url in (DEFAULT, ENV, ADDED):
                    assert client.get(url + LIST).status_code == 200
            assert [e.path for e in sgp_fake.journal] == [LIST] * 3

        async def test_httpx_async(sgp_fake):
            async with httpx.AsyncClient(headers=HEADERS) as client:
                for url in (DEFAULT, ENV, ADDED):
                    assert (await client.get(url + LIST)).status_code == 200
            assert [e.path for e in sgp_fake.journal] == [LIST] * 3

        # The SDK's own defaults: no base URL means $SGP_CLIENT_BASE_URL, else the real service.
        def test_sdk(sgp_fake, monkeypatch):
            for base_url in (None, DEFAULT, ADDED):
                with SGPClient(api_key="k", base_url=base_url, max_retries=0) as client:
                    assert client.model_templates.list().items == []
            monkeypatch.delenv("SGP_CLIENT_BASE_URL")
            with SGPClient(api_key="k", max_retries=0) as client:
                assert client.model_templates.list().items == []
            assert [e.path for e in sgp_fake.journal] == [LIST] * 4

        async def test_sdk_async(sgp_fake, monkeypatch):
            for base_url in (None, DEFAULT, ADDED):
                async with AsyncSGPClient(api_key="k", base_url=base_url, max_retries=0) as client:
                    assert (await client.model_templates.list()).items == []
            monkeypatch.delenv("SGP_CLIENT_BASE_URL")
            async with AsyncSGPClient(api_key="k", max_retries=0) as client:
                assert (await client.model_templates.list()).items == []
            assert [e.path for e in sgp_fake.journal] == [LIST] * 4

        @pytest.mark.sgp_fake(intercept_defaults=False)
        async def test_opting_out_is_explicit(sgp_fake, no_network):
            assert httpx.get(ADDED + LIST, headers=HEADERS).status_code == 200
            async with httpx.AsyncClient(headers=HEADERS) as client:
                assert (await client.get(ADDED + LIST)).status_code == 200
                for url in (DEFAULT, ENV):
                    with pytest.raises(Leak):
                        await client.get(url + LIST)
            with pytest.raises(Leak):
                httpx.get(DEFAULT + LIST)
            assert len(sgp_fake.journal) == 2
            # Not intercepted, so sent: the guard refused them (it catches what would leak).
            assert no_network.requests == [
                f"GET {DEFAULT}{LIST}", f"GET {ENV}{LIST}", f"GET {DEFAULT}{LIST}"
            ]
            no_network.requests.clear()

        class TestNothingLeftToIntercept:
            @pytest.fixture
            def sgp_fake_base_urls(self):
                return []

            @pytest.mark.sgp_fake(intercept_defaults=False)
            def test_is_refused(self):
                pass
        """
    )
    result = run(pytester, "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(
        ["*intercept_defaults=False) leaves sgp_fake_intercept nothing to intercept*"]
    )


def test_httpx_is_restored_after_a_test_that_intercepted(pytester: pytest.Pytester) -> None:
    patched = (
        (httpx.HTTPTransport, "handle_request"),
        (
            httpx.AsyncHTTPTransport,
            "handle_async_request",
        ),
    )
    before = [owner.__dict__[name] for owner, name in patched]
    _guarded(pytester)
    pytester.makepyfile(
        """
        import httpx
        import pytest
        from network_guard import Leak

        # Read when the module is imported, before any test ran.
        PATCHED = [
            (httpx.HTTPTransport, "handle_request"),
            (httpx.AsyncHTTPTransport, "handle_async_request"),
        ]
        ORIGINALS = [owner.__dict__[name] for owner, name in PATCHED]
        URL = "https://api.egp.scale.com/v4/model-templates"

        def test_intercepts(sgp_fake_intercept):
            assert all(
                owner.__dict__[name] is not original
                for (owner, name), original in zip(PATCHED, ORIGINALS)
            )
            assert httpx.get(URL, headers={"x-api-key": "k"}).status_code == 200

        def test_swallows_an_unhandled_request(sgp_fake_intercept):
            try:
                httpx.get(URL + "/unknown/route")
            except BaseException:
                pass

        def test_later_httpx_has_its_own_transports_again(no_network):
            assert [owner.__dict__[name] for owner, name in PATCHED] == ORIGINALS
            assert all(
                owner.__dict__[name] is original
                for (owner, name), original in zip(PATCHED, ORIGINALS)
            )
            with pytest.raises(Leak):
                httpx.get(URL)
            no_network.requests.clear()
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_swallows_an_unhandled_request*"])
    assert [owner.__dict__[name] for owner, name in patched] == before


def test_a_single_base_url_may_be_given_as_a_string(pytester: pytest.Pytester) -> None:
    _guarded(
        pytester,
        """
@pytest.fixture
def sgp_fake_base_urls():
    return "https://sgp.corp.example"  # one URL, not a list of them
""",
    )
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.usefixtures("sgp_fake_intercept")
        def test_the_url_is_intercepted(sgp_fake):
            for base_url in ("https://sgp.corp.example", "https://api.egp.scale.com"):
                answer = httpx.get(f"{base_url}/v4/model-templates", headers={"x-api-key": "k"})
                assert answer.status_code == 200
            assert sgp_fake.journal.count("GET", "/v4/model-templates") == 2

        @pytest.mark.usefixtures("sgp_fake_intercept")
        @pytest.mark.sgp_fake(intercept_defaults=False)
        def test_and_is_then_the_only_one(sgp_fake):
            answer = httpx.get("https://sgp.corp.example/v4/model-templates",
                               headers={"x-api-key": "k"})
            assert answer.status_code == 200
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_interception_beside_a_fixture_that_mocks_every_httpx_transport(
    pytester: pytest.Pytester,
) -> None:
    # Such a fixture, as pytest-httpx's httpx_mock, replaces the transport methods the
    # interceptor patches: named after sgp_fake_intercept it must not take the SGP hosts too.
    pytester.makeconftest(
        """
        import httpx
        import pytest

        @pytest.fixture
        def httpx_mock(monkeypatch):
            def mocked(self, request):
                return httpx.Response(299, request=request)
            monkeypatch.setattr(httpx.HTTPTransport, "handle_request", mocked)
        """
    )
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def statuses():
            sgp = httpx.get("https://api.egp.scale.com/v4/model-templates",
                            headers={"x-api-key": "k"})
            other = httpx.get("https://other.example/")
            return sgp.status_code, other.status_code

        def test_mock_named_after(sgp_fake, sgp_fake_intercept, httpx_mock):
            assert statuses() == (200, 299)
            assert len(sgp_fake.journal) == 1

        def test_mock_named_before(httpx_mock, sgp_fake_intercept, sgp_fake):
            assert statuses() == (200, 299)
            assert len(sgp_fake.journal) == 1
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_interception_teardown_leaves_an_earlier_fixtures_patch_to_it(
    pytester: pytest.Pytester,
) -> None:
    # A fixture set up before sgp_fake_intercept that patches the same transport method on its
    # own (a vcrpy cassette, OpenTelemetry's httpx instrumentation) restores it at its teardown;
    # with monkeypatch also in use (here by an autouse fixture, set up first), the interception
    # must be undone by then, or its undo puts the other fixture's patch back for good.
    pytester.makeconftest(
        """
        import httpx
        import pytest

        PRISTINE = httpx.HTTPTransport.handle_request

        @pytest.fixture(autouse=True)
        def _environment(monkeypatch):
            monkeypatch.setenv("APP_ENV", "test")

        @pytest.fixture
        def cassette():
            def recorded(self, request):
                return httpx.Response(299, request=request)
            httpx.HTTPTransport.handle_request = recorded
            yield
            httpx.HTTPTransport.handle_request = PRISTINE
        """
    )
    pytester.makepyfile(
        """
        import httpx
        from conftest import PRISTINE

        def statuses():
            sgp = httpx.get("https://api.egp.scale.com/v4/model-templates",
                            headers={"x-api-key": "k"})
            other = httpx.get("https://other.example/")
            return sgp.status_code, other.status_code

        def test_with_the_cassette(cassette, sgp_fake_intercept, sgp_fake):
            assert statuses() == (200, 299)

        def test_a_later_test_finds_httpx_as_it_was():
            assert httpx.HTTPTransport.handle_request is PRISTINE
        """
    )
    run(pytester).assert_outcomes(passed=2)
