"""``sgp_traces``: the tracing library sends to the test's fake as the test's clients would, and
is left, after the test, as it was found."""

from __future__ import annotations

import pytest

from tests.plugin.as_used.runs import run


def test_traces_are_sent_for_the_account_the_clients_select(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from scale_gp_beta.lib import tracing
        from sgp_fake import Identity

        ALICE = Identity("alice", accounts=frozenset({"acct_b", "acct_a"}))

        @pytest.mark.sgp_fake(api_keys={"key-a": ALICE})
        def test_the_keys_first_account(sgp_fake, sgp_traces, sgp_beta_client):
            with tracing.create_trace("agent"):
                pass
            trace = sgp_traces.last()
            trace.assert_shape("agent")
            assert trace.account_id == sgp_beta_client.account_id == "acct_a"
            assert {entry.status for entry in sgp_fake.journal} == {200}

        @pytest.mark.sgp_fake(api_keys={"k1": "u1", "k2": ALICE}, api_key="k2")
        def test_the_chosen_keys_account(sgp_traces):
            with tracing.create_trace("agent"):
                pass
            assert sgp_traces.last().account_id == "acct_a"

        def test_the_default_account_without_keys(sgp_traces):
            with tracing.create_trace("agent"):
                pass
            assert sgp_traces.last().account_id == "acct_1"
        """
    )
    run(pytester).assert_outcomes(passed=3)
