"""The official SDK's fixtures: a client in process, retries of injected errors, and a one-line
skip without ``scale-gp``."""

from __future__ import annotations

import pytest

from sgp_fake.plugin import SDK_MISSING
from tests.plugin.as_used.runs import BODY, run


def test_sdk_client_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        import scale_gp
        BODY = {BODY}

        def test_sdk(sgp_fake, sgp_client):
            created = sgp_client.model_templates.create(**BODY)
            assert sgp_client.model_templates.retrieve(created.id).name == "llama"
            assert sgp_client.model_templates.delete(created.id).success
            assert len(sgp_fake.store) == 0
            with pytest.raises(scale_gp.UnprocessableEntityError):
                sgp_client.model_templates.create(**{{**BODY, "model_type": "NOPE"}})
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_injected_errors_tell_the_sdk_to_retry_after_a_millisecond(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        def spy_on_waits(client):
            waits = []
            calculate = client._calculate_retry_timeout

            def recorded(*args, **kwargs):
                waits.append(calculate(*args, **kwargs))
                return waits[-1]

            client._calculate_retry_timeout = recorded
            return waits

        def test_sync(sgp_fake, sgp_client):
            sgp_fake.faults.add(path="/v4/model-templates", status=503, times=2)
            waits = spy_on_waits(sgp_client)
            assert sgp_client.model_templates.list().items == []
            assert waits == [0.001, 0.001]
            assert [e.status for e in sgp_fake.journal] == [503, 503, 200]  # retries still seen

        @pytest.mark.asyncio
        async def test_async(sgp_fake, sgp_async_client):
            sgp_fake.faults.add(path="/v4/model-templates", status=429, times=1)
            waits = spy_on_waits(sgp_async_client)
            assert (await sgp_async_client.model_templates.list()).items == []
            assert waits == [0.001]

        def test_a_rule_that_says_when_keeps_its_word(sgp_fake, sgp_client):
            sgp_fake.faults.add(path="*", status=503, retry_after_ms=5)
            sgp_fake.faults.add(path="*", status=503, headers={"retry-after": "0.01"})
            waits = spy_on_waits(sgp_client)
            sgp_client.model_templates.list()
            assert waits == [0.005, 0.01]
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_sdk_fixtures_skip_with_one_line_reason_without_scale_gp(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys
        sys.modules["scale_gp"] = None  # as if scale-gp were not installed
        """
    )
    pytester.makepyfile(
        """
        def test_sync(sgp_client):
            raise AssertionError("must not run")

        async def test_async(sgp_async_client):
            raise AssertionError("must not run")

        def test_httpx_still_works(sgp_fake_client):
            assert sgp_fake_client.get("/v4/model-templates").status_code == 200
        """
    )
    result = run(pytester, "-rs", "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=1, skipped=2)
    skipped = [line for line in result.stdout.lines if line.startswith("SKIPPED")]
    assert len(skipped) == 2
    assert all(line.endswith(SDK_MISSING) for line in skipped)
    assert SDK_MISSING == "scale-gp is not installed: pip install sgp-fake[sdk]"
