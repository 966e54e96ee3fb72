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


def test_the_tracing_library_is_left_as_it_was_found(pytester: pytest.Pytester) -> None:
    # The library is process-wide: each run is a fresh process, so that what it holds before
    # the first test is what a user's run starts with. Tests run in file order.
    traced = """
        import pytest
        from scale_gp_beta.lib import tracing

        def test_traced_with_the_fixture(sgp_traces):
            with tracing.create_trace("first"):
                pass
            assert sgp_traces.last().name == "first"
    """
    pytester.makepyfile(
        test_default_client=traced
        + """
        # Code under test that never calls tracing.init(): the library makes its own client
        # from the environment, which sgp_fake_intercept routes to this test's fake.
        @pytest.mark.usefixtures("sgp_fake_intercept")
        def test_the_default_client_of_the_next_test(sgp_fake, monkeypatch):
            monkeypatch.setenv("SGP_API_KEY", "k")
            monkeypatch.setenv("SGP_ACCOUNT_ID", "acct_1")
            with tracing.create_trace("work"):
                pass
            tracing.flush_queue()
            assert sgp_fake.traces.last().name == "work"
        """,
        # A test that sets the library up itself gets what it asked for.
        test_export_function=traced
        + """
        def test_an_export_function_of_its_own():
            import httpx
            from scale_gp_beta import SGPClient

            unused = httpx.MockTransport(lambda request: httpx.Response(599))
            client = SGPClient(
                api_key="k", account_id="acct_1", http_client=httpx.Client(transport=unused)
            )
            sent = []
            tracing.init(client=client, export_fn=sent.extend)  # the library wants a client
            with tracing.create_trace("mine"):
                pass
            tracing.flush_queue()
            assert {span["name"] for span in sent} == {"mine"}
        """,
    )
    results = [
        run(pytester, module, subprocess=True)
        for module in ("test_default_client.py", "test_export_function.py")
    ]
    for result in results:
        result.assert_outcomes(passed=2)


def test_a_client_the_suite_registered_is_put_back(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import httpx
        from scale_gp_beta import SGPClient
        from scale_gp_beta.lib import tracing
        from sgp_fake import SGPFake

        SUITE_FAKE = SGPFake()  # where the suite's own tracing goes
        tracing.init(client=SGPClient(
            api_key="k", account_id="acct_1", base_url="http://suite.test",
            http_client=httpx.Client(transport=SUITE_FAKE.transport()),
        ))
        """
    )
    pytester.makepyfile(
        """
        from scale_gp_beta.lib import tracing
        from conftest import SUITE_FAKE

        def test_traced_with_the_fixture(sgp_fake, sgp_traces):
            with tracing.create_trace("in the fixture"):
                pass
            assert sgp_traces.last().name == "in the fixture"

        def test_after(sgp_fake):
            with tracing.create_trace("after"):
                pass
            tracing.flush_queue()
            assert [trace.name for trace in SUITE_FAKE.traces] == ["after"]
            assert len(sgp_fake.traces) == 0
        """
    )
    run(pytester, subprocess=True).assert_outcomes(passed=2)


def test_traces_arrive_where_the_environment_disables_tracing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CI sets DISABLE_SCALE_TRACING so that a suite sends nothing to the real service; the
    # fixture's spans go to the test's fake, and the variable holds again after the test.
    monkeypatch.setenv("DISABLE_SCALE_TRACING", "1")
    pytester.makepyfile(
        """
        from scale_gp_beta.lib import tracing

        def test_traced(sgp_traces):
            with tracing.create_trace("agent"):
                with tracing.create_span("llm"):
                    pass
            sgp_traces.last().assert_shape(("agent", ["llm"]))

        def test_the_code_under_test_may_still_turn_it_off(sgp_traces):
            tracing.init(disabled=True)
            with tracing.create_trace("agent"):
                pass
            assert len(sgp_traces) == 0

        def test_after(sgp_fake):
            assert type(tracing.create_trace("after")).__name__ == "NoOpTrace"
        """
    )
    run(pytester, subprocess=True).assert_outcomes(passed=3)
