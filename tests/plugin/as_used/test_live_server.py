"""The live server fixture serves each test's own fake."""

from __future__ import annotations

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
