"""The v5 SDK (``scale_gp_beta``) in process as the v4 SDK is: ``SGPFake.beta_client`` /
``async_beta_client``, the ``sgp_beta_client`` / ``sgp_async_beta_client`` fixtures, and
interception of every documented SGP host and ``$SGP_CLIENT_BASE_URL``."""

from __future__ import annotations

import asyncio
from typing import Iterator

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.intercept import BASE_URL_ENV, SGP_HOSTS, Interceptor
from tests.support.network_guard import NetworkGuard

HELLO = [{"role": "user", "content": "Hello"}]
MODEL = "openai/gpt-4o-mini"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard().install(monkeypatch)
    yield guard
    guard.assert_nothing_left()


def test_the_helpers_select_an_account_and_reach_the_fake() -> None:
    pytest.importorskip("scale_gp_beta")
    fake = SGPFake()
    with fake.beta_client() as client:
        answer = client.chat.completions.create(model=MODEL, messages=HELLO)
    assert answer.choices[0].message.content
    (entry,) = fake.journal
    assert entry.headers["x-selected-account-id"] == "acct_1"

    async def go() -> str:
        async with fake.async_beta_client(account_id="acct_2") as client:
            page = await client.chat.completions.models()
        return str(page.items[0].model_vendor)

    assert asyncio.run(go())
    assert fake.journal[-1].headers["x-selected-account-id"] == "acct_2"


def test_the_helpers_select_the_keys_first_account_unless_told() -> None:
    pytest.importorskip("scale_gp_beta")
    from sgp_fake import FakeSettings, Identity
    from sgp_fake.extras.traces import init_tracing, save_tracing

    alice = Identity("alice", accounts=frozenset({"acct_z", "acct_b"}))
    fake = SGPFake(FakeSettings(api_keys={"key-a": alice, "key-u": "u"}))
    assert (fake.account_for("key-a"), fake.account_for("key-u")) == ("acct_b", "acct_1")
    with fake.beta_client(api_key="key-a") as client:
        client.chat.completions.create(model=MODEL, messages=HELLO)  # a 403 for acct_1

    async def go() -> None:
        async with fake.async_beta_client(api_key="key-a") as client:
            await client.chat.completions.models()

    asyncio.run(go())
    assert [e.headers["x-selected-account-id"] for e in fake.journal] == ["acct_b"] * 2
    from scale_gp_beta.lib import tracing

    restore = save_tracing()
    try:
        traced = init_tracing(fake, api_key="key-a")
        with tracing.create_trace("for alice"):
            pass
        assert [trace.name for trace in traced.all("acct_b")] == ["for alice"]
    finally:
        restore()


def test_the_fixtures(pytester: pytest.Pytester) -> None:
    pytest.importorskip("scale_gp_beta")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import asyncio
        import pytest

        def test_sync(sgp_beta_client, sgp_fake):
            answer = sgp_beta_client.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
            )
            assert answer.choices[0].finish_reason == "stop"
            assert sgp_fake.journal[0].headers["x-selected-account-id"] == "acct_1"

        @pytest.mark.sgp_fake(api_keys={"k": {"user_id": "u", "accounts": ["acct_z"]}})
        def test_the_keys_account(sgp_beta_client, sgp_fake):
            sgp_beta_client.responses.create(model="openai/gpt-4o-mini", input="Hi")
            assert sgp_fake.journal[0].headers["x-selected-account-id"] == "acct_z"

        def test_async(sgp_async_beta_client):
            async def go():
                return await sgp_async_beta_client.inference.create(
                    model="openai/gpt-4o-mini", args={"input": "Hi"}
                )
            assert asyncio.run(go()).response["text"]
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:schemathesis")
    result.assert_outcomes(passed=3)


def test_the_fixtures_skip_with_a_reason_without_the_sdk(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(
        """
        import sys
        sys.modules["scale_gp_beta"] = None  # as if it were not installed
        """
    )
    pytester.makepyfile(
        """
        def test_sync(sgp_beta_client):
            pass

        def test_async(sgp_async_beta_client):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:schemathesis", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        ["*scale-gp-beta (the v5 SDK) is not installed: pip install sgp-fake*"]
    )


@pytest.mark.parametrize("base_url", SGP_HOSTS)
def test_every_documented_host_is_intercepted(no_network: NetworkGuard, base_url: str) -> None:
    scale_gp_beta = pytest.importorskip("scale_gp_beta")
    fake = SGPFake()
    with Interceptor(fake):
        client = scale_gp_beta.SGPClient(
            api_key="k", account_id="acct_1", base_url=base_url, max_retries=0
        )
        with client:
            client.chat.completions.create(model=MODEL, messages=HELLO)
    assert [e.path for e in fake.journal] == ["/v5/chat/completions"]


def test_the_environments_and_the_env_variable_are_intercepted(
    no_network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
) -> None:
    scale_gp_beta = pytest.importorskip("scale_gp_beta")
    fake = SGPFake()
    with Interceptor(fake):
        for environment in ("production", "production-multitenant", "staging", "development"):
            with scale_gp_beta.SGPClient(
                api_key="k", account_id="acct_1", environment=environment, base_url=None,
                max_retries=0,
            ) as client:  # fmt: skip
                client.inference.create(model=MODEL, args={"input": "Hi"})
        monkeypatch.setenv(BASE_URL_ENV, "https://sgp.corp.example/public")
        with scale_gp_beta.SGPClient(api_key="k", account_id="acct_1", max_retries=0) as client:
            client.inference.create(model=MODEL, args={"input": "Hi"})
        # the local environment is left alone: a loopback port may be a real server
        assert "http://127.0.0.1:5003/public" not in Interceptor(fake).base_urls
    assert [e.path for e in fake.journal] == ["/v5/inference"] * 5
    hosts = {e.headers["host"] for e in fake.journal}
    assert hosts >= {"api.sgp.scale.com", "sgp.corp.example"}


def test_httpx_to_the_multitenant_host(no_network: NetworkGuard) -> None:
    fake = SGPFake()
    with Interceptor(fake):
        reply = httpx.get(
            "https://api.sgp.scale.com/v4/model-templates", headers={"x-api-key": "k"}
        )
    assert reply.status_code == 200
