"""Everything works under xdist."""

from __future__ import annotations

import pytest

from tests.plugin.as_used.runs import BODY, UNRELATED


def test_everything_works_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import os
        import httpx
        import pytest
        BODY = {BODY}

        @pytest.mark.parametrize("i", range(6))
        def test_isolated(sgp_fake, sgp_fake_client, sgp_factory, i):
            assert len(sgp_fake.store) == 0
            body = sgp_factory.request()
            assert sgp_fake_client.post("/v4/model-templates", json=body).status_code == 200
            assert len(sgp_fake.store) == 1

        @pytest.mark.parametrize("i", range(4))
        def test_server(sgp_fake_server, i):
            with sgp_fake_server.client() as client:
                assert client.post("/v4/model-templates", json=BODY).status_code == 200
                assert client.get("/v4/model-templates").json()["total_item_count"] == 1

        @pytest.mark.usefixtures("sgp_fake_intercept")
        @pytest.mark.sgp_fake(seed=3)
        def test_intercept_and_seed(sgp_fake):
            answer = httpx.get(
                "https://api.egp.scale.com/v4/model-templates", headers={{"x-api-key": "k"}}
            )
            assert answer.status_code == 200
            assert os.environ["PYTEST_XDIST_WORKER"].startswith("gw")
        """
    )
    result = pytester.runpytest_subprocess(
        "--strict-markers", *UNRELATED, "-n", "2", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=11)
    result.stdout.fnmatch_lines(["*2 workers*"])
