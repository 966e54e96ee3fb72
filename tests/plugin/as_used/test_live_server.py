"""The live server fixture serves each test's own fake."""

from __future__ import annotations

import time

import pytest

from tests.plugin.as_used.runs import BODY, run


def test_live_server_serves_each_tests_own_fake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import os, subprocess, sys
        import httpx
        import pytest
        BODY = {BODY}
        URLS = []

        def test_one(sgp_fake, sgp_fake_server):
            assert sgp_fake_server.fake is sgp_fake
            assert sgp_fake_server.url.startswith("http://127.0.0.1:")
            with sgp_fake_server.client() as client:
                made = client.post("/v4/model-templates", json=BODY)
            assert made.status_code == 200
            assert sgp_fake.store.get(made.json()["id"]) is not None
            URLS.append(sgp_fake_server.url)

        def test_two_sees_a_fresh_fake_on_the_same_server(sgp_fake_server):
            with httpx.Client(base_url=sgp_fake_server.url, headers={{"x-api-key": "k"}}) as c:
                assert c.get("/v4/model-templates").json()["total_item_count"] == 0
            URLS.append(sgp_fake_server.url)
            assert len(set(URLS)) == 1

        def test_between_tests_the_server_says_so():
            answer = httpx.get(URLS[0] + "/v4/model-templates", headers={{"x-api-key": "k"}})
            assert answer.status_code == 503

        def test_a_subprocess_reaches_it(sgp_fake_server):
            code = (
                "import os, httpx; print(httpx.get(os.environ['SGP_CLIENT_BASE_URL'] + "
                "'/v4/model-templates', headers={{'x-api-key': os.environ['SGP_API_KEY']}})"
                ".status_code)"
            )
            env = {{**os.environ, **sgp_fake_server.env()}}
            out = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            assert out.stdout.strip() == "200"
            assert sgp_fake_server.journal.last().path == "/v4/model-templates"

        @pytest.mark.sgp_fake(api_keys={{"only-key": "u"}})
        def test_the_marker_applies(sgp_fake_server):
            with sgp_fake_server.client() as client:
                assert client.get("/v4/model-templates").status_code == 200
            with sgp_fake_server.client(headers={{"x-api-key": "other"}}) as client:
                assert client.get("/v4/model-templates").status_code == 401
        """
    )
    run(pytester).assert_outcomes(passed=5)


def test_env_is_enough_for_both_sdks_in_a_subprocess(pytester: pytest.Pytester) -> None:
    pytest.importorskip("scale_gp_beta")
    pytest.importorskip("scale_gp")
    pytester.makepyfile(
        """
        import os, subprocess, sys
        import pytest
        from sgp_fake import Identity

        V5 = (
            "import scale_gp_beta; c = scale_gp_beta.SGPClient(); "
            "print(c.models.list().items == [], c.chat.completions.create("
            "model='openai/gpt-4o-mini', messages=[{'role': 'user', 'content': 'hi'}]"
            ").choices[0].finish_reason)"
        )
        V4 = "import scale_gp; print(scale_gp.SGPClient().models.list().total_item_count)"

        def sdk(script, sgp_fake_server):
            env = {**os.environ, **sgp_fake_server.env()}
            return subprocess.run(
                [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
            ).stdout.split()

        def test_default_account(sgp_fake_server):
            assert sgp_fake_server.env()["SGP_ACCOUNT_ID"] == "acct_1"
            assert sdk(V5, sgp_fake_server) == ["True", "stop"]
            assert sdk(V4, sgp_fake_server) == ["0"]
            assert sgp_fake_server.journal.last().path == "/v4/models"

        @pytest.mark.sgp_fake(
            api_keys={"key-a": Identity("alice", accounts=frozenset({"acct_b", "acct_a"}))}
        )
        def test_the_keys_account(sgp_fake_server):
            assert sgp_fake_server.account_id == "acct_a"
            assert sdk(V5, sgp_fake_server) == ["True", "stop"]
        """
    )
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize(
    "fault",
    [
        '{"method": "GET", "path": "/v4/model-templates", "latency": 3600}',
        '{"method": "POST", "path": "/v5/chat/completions", "stall_ms": 3600000, "after": 1}',
    ],
)
def test_a_test_run_ends_without_waiting_for_a_latency_left_in_flight(
    pytester: pytest.Pytester, fault: str
) -> None:
    # A test whose client gave up during an injected wait of an hour leaves that request in
    # the shared server; stopping the server at the end of the run ends the wait at once, as
    # `sgp-fake serve` does, rather than waiting for it or leaving the server's thread behind.
    pytester.makepyfile(
        f"""
        import threading, time
        import httpx
        import pytest

        CHAT = {{"model": "openai/gpt-4o-mini", "stream": True,
                 "messages": [{{"role": "user", "content": "hi"}}]}}

        @pytest.mark.sgp_fake(faults={fault})
        def test_client_gives_up(sgp_fake_server):
            with sgp_fake_server.client(timeout=0.3) as client:
                with pytest.raises(httpx.ReadTimeout):
                    if "chat" in {fault!r}:
                        with client.stream("POST", "/v5/chat/completions", json=CHAT,
                                           headers={{"x-selected-account-id": "acct_1"}}) as r:
                            r.read()
                    else:
                        client.get("/v4/model-templates")

        @pytest.fixture(scope="session", autouse=True)
        def check_server_thread_ends():
            before = set(threading.enumerate())
            yield
            # after sgp_fake_live_server's teardown (set up before it): its thread has ended
            assert not [t for t in set(threading.enumerate()) - before if t.is_alive()]

        def test_next(sgp_fake_server):
            pass
        """
    )
    started = time.monotonic()
    result = run(pytester, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert time.monotonic() - started < 5
