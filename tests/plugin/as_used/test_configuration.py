"""Configuration: the ``sgp_fake`` marker and the override fixtures, in a conftest, a module, a
class or by parametrizing."""

from __future__ import annotations

import pytest

from tests.plugin.as_used.runs import BODY, run


def test_marker_configures_keys_identities_strictness_and_limits(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        from sgp_fake import Identity
        BODY = {BODY}
        KEYS = {{
            "key-a": Identity("alice", accounts=frozenset({{"acct_1"}})),
            "key-b": "bob",
            "key-c": {{"user_id": "ci", "identity_type": "service_account"}},
        }}

        @pytest.mark.sgp_fake(api_keys=KEYS)
        def test_keys(sgp_fake, sgp_fake_client):
            assert sgp_fake_client.headers["x-api-key"] == "key-a"
            created = sgp_fake_client.post("/v4/model-templates", json=BODY).json()
            assert created["created_by_user_id"] == "alice"
            other = {{**BODY, "account_id": "acct_2"}}
            assert sgp_fake_client.post("/v4/model-templates", json=other).status_code == 403
            with sgp_fake.client(api_key="nope") as client:
                assert client.get("/v4/model-templates").status_code == 401
            with sgp_fake.client(api_key="key-c") as client:
                made = client.post("/v4/model-templates", json=BODY).json()
                assert made["created_by_identity_type"] == "service_account"

        @pytest.mark.sgp_fake(api_keys={{"k1": "u1", "k2": "u2"}}, api_key="k2")
        def test_chosen_key(sgp_fake_client):
            made = sgp_fake_client.post("/v4/model-templates", json=BODY).json()
            assert made["created_by_user_id"] == "u2"

        @pytest.mark.sgp_fake(strict=True)
        def test_strict(sgp_fake_client):
            answer = sgp_fake_client.post("/v4/model-templates", json={{**BODY, "extra": 1}})
            assert answer.status_code == 422
            assert answer.json()["detail"][0]["type"] == "extra_forbidden"

        def test_lenient_by_default(sgp_fake_client):
            answer = sgp_fake_client.post("/v4/model-templates", json={{**BODY, "extra": 1}})
            assert answer.status_code == 200

        @pytest.mark.sgp_fake(max_body_size=64)
        def test_body_limit(sgp_fake_client):
            assert sgp_fake_client.post("/v4/model-templates", json=BODY).status_code == 413

        @pytest.mark.sgp_fake(journal_limit=2)
        def test_journal_limit(sgp_fake, sgp_fake_client):
            for _ in range(3):
                sgp_fake_client.get("/v4/model-templates")
            assert len(sgp_fake.journal) == 2

        @pytest.mark.sgp_fake(strict=True, api_keys={{"class-key": "classy"}})
        class TestNearestMarkerWins:
            @pytest.mark.sgp_fake(strict=False)
            def test_merge(self, sgp_fake, sgp_fake_client):
                assert sgp_fake.settings.strict is False
                assert sgp_fake_client.headers["x-api-key"] == "class-key"
        """
    )
    run(pytester).assert_outcomes(passed=7)


def test_marker_misuse_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sgp_fake(colour="blue")
        def test_unknown(sgp_fake):
            pass

        @pytest.mark.sgp_fake(True)
        def test_positional(sgp_fake):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*unknown argument(s) colour; known: api_key, api_keys, *", "*keyword arguments only*"]
    )


def test_marker_values_of_the_wrong_kind_are_usage_errors(pytester: pytest.Pytester) -> None:
    # Each names the argument and what it takes, rather than failing inside the plugin
    # ('list' object has no attribute 'items', maxlen must be non-negative, ...).
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sgp_fake(api_keys=["k1", "k2"])
        def test_keys_as_a_list(sgp_fake):
            pass

        @pytest.mark.sgp_fake(api_keys={"k": {"user": "alice"}})
        def test_an_unknown_identity_field(sgp_fake):
            pass

        @pytest.mark.sgp_fake(journal_limit=-1)
        def test_a_negative_journal_limit(sgp_fake):
            pass

        @pytest.mark.sgp_fake(max_body_size="1MB")
        def test_a_body_size_in_words(sgp_fake):
            pass

        @pytest.mark.sgp_fake(deployment_ready_after=-5)
        def test_negative_seconds(sgp_fake):
            pass

        @pytest.mark.sgp_fake(journal_limit=0, max_body_size=0, deployment_ready_after=1.5)
        def test_the_bounds_themselves(sgp_fake, sgp_fake_client):
            sgp_fake_client.get("/v4/model-templates")
            assert len(sgp_fake.journal) == 0
            assert (sgp_fake.settings.max_body_size, sgp_fake.settings.deployment_ready_after) == (
                0, 1.5
            )
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=5)
    result.stdout.fnmatch_lines(
        [
            "*UsageError: sgp-fake: api_keys: a mapping of API key to an Identity*not list",
            "*UsageError: sgp-fake: api_keys: key 'k': *unexpected keyword argument 'user'",
            "*UsageError: sgp-fake: journal_limit: a whole number, 0 or more, not -1",
            "*UsageError: sgp-fake: max_body_size: a whole number, 0 or more, not '1MB'",
            "*UsageError: sgp-fake: deployment_ready_after: a number of seconds, 0 or more, not -5",
        ],
        consecutive=False,
    )


def test_marker_switches_seeds_lists_and_keys_of_the_wrong_kind_are_usage_errors(
    pytester: pytest.Pytester,
) -> None:
    # Each names the argument and what it takes: read as they come, strict="false" would make
    # a strict fake, and a list seed, a number for a list or as a key would fail deep inside
    # the random module, the plugin or httpx.
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sgp_fake(strict="false")
        def test_a_switch_in_words(sgp_fake):
            pass

        @pytest.mark.sgp_fake(serve_admin=1)
        def test_a_switch_as_a_number(sgp_fake_server):
            pass

        @pytest.mark.sgp_fake(seed=[1, 2])
        def test_a_list_as_a_seed(sgp_fake):
            pass

        @pytest.mark.sgp_fake(gateway_models=5)
        def test_a_number_for_the_models(sgp_fake):
            pass

        @pytest.mark.sgp_fake(faults=5)
        def test_a_number_for_the_faults(sgp_fake):
            pass

        @pytest.mark.sgp_fake(responses="hello")
        def test_a_string_for_the_responses(sgp_fake):
            pass

        @pytest.mark.sgp_fake(api_keys={5: "alice"})
        def test_a_number_as_a_key(sgp_fake_client):
            pass

        @pytest.mark.sgp_fake(strict=False, seed="abc", intercept_defaults=True,
                              gateway_models=("openai/mine",), faults=[], responses=())
        def test_the_right_kinds(sgp_fake):
            assert sgp_fake.settings.strict is False
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=7)
    result.stdout.fnmatch_lines(
        [
            "*UsageError: sgp-fake: strict: True or False, not 'false'",
            "*UsageError: sgp-fake: serve_admin: True or False, not 1",
            "*UsageError: sgp-fake: seed: a whole number or a string, not [[]1, 2[]]",
            "*UsageError: sgp-fake: gateway_models: a string or a list of them, not 5",
            "*UsageError: sgp-fake: faults: a dict or a list of them, not 5",
            "*UsageError: sgp-fake: responses: a dict or a list of them, not 'hello'",
            "*UsageError: sgp-fake: api_keys: a key is a non-empty string, not 5",
        ],
        consecutive=False,
    )


def test_override_fixtures_in_a_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from sgp_fake import FakeSettings, Identity

        @pytest.fixture
        def sgp_fake_settings():
            return FakeSettings(api_keys={"team-key": Identity("team")}, strict=True)

        @pytest.fixture
        def sgp_fake_seed():
            return 7
        """
    )
    pytester.makepyfile(
        f"""
        import pytest
        from sgp_fake import seeded_ids
        from sgp_fake.deterministic import StepClock
        BODY = {BODY}

        @pytest.mark.parametrize("round", [1, 2])
        def test_overrides(sgp_fake, sgp_fake_client, round):
            made = sgp_fake_client.post("/v4/model-templates", json=BODY).json()
            assert sgp_fake_client.headers["x-api-key"] == "team-key"
            assert made["created_by_user_id"] == "team"
            assert made["id"] == seeded_ids(7)()
            assert made["created_at"] == StepClock.seeded(7)().isoformat()
            assert sgp_fake.settings.strict
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_overrides_in_a_module_a_class_or_by_parametrizing(pytester: pytest.Pytester) -> None:
    # sgp_fake does not depend on the configuration fixtures (fewer fixtures per test), yet every
    # way of replacing them still reaches the fake, and a test asking for them gets its fake's.
    pytester.makepyfile(
        """
        import pytest
        from sgp_fake import seeded_ids

        def test_the_fake_uses_the_settings_the_test_sees(sgp_fake_settings, sgp_fake):
            assert sgp_fake.settings is sgp_fake_settings

        def test_in_either_order(sgp_fake, sgp_fake_settings, sgp_fake_seed):
            assert sgp_fake.settings is sgp_fake_settings
            assert sgp_fake_seed is None

        @pytest.mark.sgp_fake(strict=True)
        def test_asked_for_later(request, sgp_fake):
            assert request.getfixturevalue("sgp_fake_settings") is sgp_fake.settings
            assert sgp_fake.settings.strict

        @pytest.mark.parametrize("sgp_fake_seed", [3])
        def test_parametrized_seed(sgp_fake, sgp_fake_client):
            made = sgp_fake_client.post("/v4/model-templates", json=BODY).json()
            assert made["id"] == seeded_ids(3)()

        class TestOverriddenInAClass:
            @pytest.fixture
            def sgp_fake_settings(self, sgp_fake_settings):
                sgp_fake_settings.max_body_size = 123
                return sgp_fake_settings

            def test_class_override_extends_the_default(self, sgp_fake):
                assert sgp_fake.settings.max_body_size == 123

            def test_with_the_factory_beside_it(self, sgp_fake, sgp_factory):
                assert sgp_fake.settings.max_body_size == 123
                assert sgp_factory.seed is not None
        """.replace("BODY", BODY),
        test_module_override=f"""
        import pytest
        from sgp_fake import seeded_ids

        @pytest.fixture
        def sgp_fake_seed():
            return 11

        def test_module_override(sgp_fake_client, sgp_factory):
            made = sgp_fake_client.post("/v4/model-templates", json={BODY}).json()
            assert made["id"] == seeded_ids(11)()
            assert sgp_factory.seed == 11
        """,
    )
    run(pytester).assert_outcomes(passed=7)


def test_clients_send_the_marker_key_of_each_tests_own_fake(pytester: pytest.Pytester) -> None:
    # The clients read the marker's key from the fake sgp_fake made for the test: each test
    # its own, every client fixture alike, whatever order they are asked for in.
    pytester.makepyfile(
        """
        import pytest

        KEYS = {"k1": "u1", "k2": "u2"}

        @pytest.mark.sgp_fake(api_keys=KEYS, api_key="k2")
        def test_chosen(sgp_fake_async_client, sgp_fake_client, sgp_fake_server):
            assert sgp_fake_client.headers["x-api-key"] == "k2"
            assert sgp_fake_async_client.headers["x-api-key"] == "k2"
            assert sgp_fake_server.api_key == "k2"

        @pytest.mark.sgp_fake(api_keys=KEYS)
        def test_first_key_next(sgp_fake_client):
            assert sgp_fake_client.headers["x-api-key"] == "k1"

        def test_default_after(sgp_fake_client):
            assert sgp_fake_client.headers["x-api-key"] == "sgp-fake-key"
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_a_conftests_own_fake_gets_clients_sending_its_first_key(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import pytest
        from sgp_fake import FakeSettings, Identity, SGPFake

        @pytest.fixture
        def sgp_fake():
            return SGPFake(FakeSettings(api_keys={"own-key": Identity("own")}))
        """
    )
    pytester.makepyfile(
        """
        def test_own(sgp_fake_client):
            assert sgp_fake_client.headers["x-api-key"] == "own-key"
            made = sgp_fake_client.get("/v4/model-templates")
            assert made.status_code == 200
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_the_marker_applies_on_top_of_overridden_fixtures(pytester: pytest.Pytester) -> None:
    # A conftest's fixtures are a directory's defaults; a test's marker is more specific.
    pytester.makeconftest(
        """
        import pytest
        from sgp_fake import FakeSettings

        SHARED = FakeSettings(strict=False, max_body_size=1000)

        @pytest.fixture
        def sgp_fake_settings():
            return SHARED  # one object for every test: the marker must not change it

        @pytest.fixture
        def sgp_fake_seed():
            return 7
        """
    )
    pytester.makepyfile(
        f"""
        import pytest
        from conftest import SHARED
        from sgp_fake import seeded_ids
        BODY = {BODY}

        @pytest.mark.sgp_fake(api_keys={{"key-alice": "alice"}}, strict=True, seed=42)
        def test_the_marker_wins(sgp_fake, sgp_fake_client, sgp_factory):
            assert sgp_fake_client.headers["x-api-key"] == "key-alice"
            made = sgp_fake_client.post("/v4/model-templates", json=BODY).json()
            assert made["created_by_user_id"] == "alice"
            assert made["id"] == seeded_ids(42)()
            assert sgp_factory.seed == 42
            assert sgp_fake.settings.strict
            assert sgp_fake.settings.max_body_size == 1000  # the fixture's, where no argument
            assert SHARED.strict is False and SHARED.api_keys is None

        @pytest.mark.sgp_fake(deployment_ready_after=5, gateway_models=["openai/mine"],
                              gateway_builtin_models=False, max_body_size=64)
        def test_every_setting_of_the_marker(sgp_fake):
            settings = sgp_fake.settings
            assert settings.deployment_ready_after == 5
            assert tuple(settings.gateway_models) == ("openai/mine",)
            assert settings.gateway_builtin_models is False
            assert settings.max_body_size == 64

        def test_without_a_marker_the_fixtures_hold(sgp_fake, sgp_fake_settings, sgp_factory):
            assert sgp_fake.settings is sgp_fake_settings is SHARED
            assert sgp_factory.seed == 7
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_one_model_or_one_response_may_be_given_alone(pytester: pytest.Pytester) -> None:
    # A list-valued argument or fixture given a single value takes it as a list of one.
    pytester.makepyfile(
        """
        import pytest

        def ask(client):
            body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
            headers = {"x-selected-account-id": "acct_1"}
            answer = client.post("/v5/chat/completions", json=body, headers=headers).json()
            return answer["choices"][0]["message"]["content"]

        @pytest.mark.sgp_fake(gateway_models="openai/mine", gateway_builtin_models=False)
        def test_one_gateway_model(sgp_fake):
            assert tuple(sgp_fake.settings.gateway_models) == ("openai/mine",)

        @pytest.mark.sgp_fake(responses={"model": "openai/gpt-4o-mini", "text": "marked"})
        def test_one_marker_response(sgp_fake_client):
            assert ask(sgp_fake_client) == "marked"

        class TestOneFixtureResponse:
            @pytest.fixture
            def sgp_fake_responses(self):
                return {"model": "openai/gpt-4o-mini", "text": "configured"}

            def test_it(self, sgp_fake_client):
                assert ask(sgp_fake_client) == "configured"
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_the_marker_s_fault_rules_apply_to_that_test_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sgp_fake(faults=[
            {"method": "GET", "path": "/v4/model-templates", "status": 503, "times": 2},
            {"path": "/v5/chat/completions", "status": 429},
        ])
        def test_marked(sgp_fake, sgp_fake_client):
            assert [r.status for r in sgp_fake.faults.list()] == [503, 429]
            statuses = [sgp_fake_client.get("/v4/model-templates").status_code for _ in range(3)]
            assert statuses == [503, 503, 200]

        @pytest.mark.sgp_fake(faults={"path": "/v4/model-templates", "latency": 0.01})
        def test_one_rule_alone(sgp_fake):
            assert [r.latency for r in sgp_fake.faults.list()] == [0.01]

        def test_unmarked(sgp_fake, sgp_fake_client):
            assert sgp_fake.faults.list() == []
            assert sgp_fake_client.get("/v4/model-templates").status_code == 200
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_a_marker_fault_rule_the_fake_refuses_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sgp_fake(faults={"path": "/v4/model-templates", "cut": "sideways"})
        def test_it(sgp_fake):
            pass

        @pytest.mark.sgp_fake(faults={"method": None, "status": 500})
        def test_a_field_of_the_wrong_type(sgp_fake):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*sgp-fake: not a fault rule: *cut must be*"])
    result.stdout.fnmatch_lines(["*sgp-fake: not a fault rule: {'method': None, 'status': 500}*"])


def test_assert_all_used_leaves_skipped_and_xfailed_tests_alone(pytester: pytest.Pytester) -> None:
    # The check is for a test that passed: one that skipped or xfailed stopped before the code
    # that would have used its rules, and is reported as skipped or xfailed, not as an error.
    pytester.makepyfile(
        """
        import pytest

        RULE = {"model": "openai/nothing", "text": "x"}

        @pytest.fixture
        def unavailable():
            pytest.skip("skipped in setup")

        @pytest.mark.sgp_fake(assert_all_used=True, responses=RULE)
        def test_skipped_in_its_call(sgp_fake):
            pytest.skip("skipped in its call")

        @pytest.mark.sgp_fake(assert_all_used=True, responses=RULE)
        def test_skipped_in_setup(sgp_fake, unavailable):
            pass

        @pytest.mark.sgp_fake(assert_all_used=True, responses=RULE)
        def test_xfailed_imperatively(sgp_fake):
            pytest.xfail("known")

        @pytest.mark.xfail(strict=True)
        @pytest.mark.sgp_fake(assert_all_used=True, responses=RULE)
        def test_xfailed_by_its_marker(sgp_fake):
            assert False

        @pytest.mark.sgp_fake(assert_all_used=True, responses=RULE)
        def test_passed(sgp_fake):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, skipped=2, xfailed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_passed*", "sgp-fake: 1 rule(s) never used*"]
    )


def test_a_parametrized_override_parametrizes_the_tests_of_its_directory(
    pytester: pytest.Pytester,
) -> None:
    # @pytest.fixture(params=...) overriding a configuration fixture runs each test that uses
    # the fake once per parameter, though the test names only the fake or a client; so does an
    # override that depends on a parametrized fixture, and one that extends its parent's.
    pytester.makeconftest(
        """
        import pytest
        from sgp_fake import FakeSettings

        @pytest.fixture(params=[True, False], ids=["strict", "lenient"])
        def sgp_fake_settings(request):
            return FakeSettings(strict=request.param)

        @pytest.fixture(params=[1, 2])
        def seed_of_the_run(request):
            return request.param

        @pytest.fixture
        def sgp_fake_seed(seed_of_the_run):
            return seed_of_the_run
        """
    )
    pytester.makepyfile(
        f"""
        import pytest
        from sgp_fake import seeded_ids
        BODY = {BODY}

        def test_each_mode(sgp_fake, sgp_fake_client, request):
            answer = sgp_fake_client.post("/v4/model-templates", json={{**BODY, "colour": 1}})
            strict = "strict" in request.node.callspec.id
            assert (sgp_fake.settings.strict, answer.status_code) == (
                (True, 422) if strict else (False, 200)
            )

        def test_each_seed(sgp_fake_client, sgp_factory, request):
            seed = request.node.callspec.params["seed_of_the_run"]
            made = sgp_fake_client.post("/v4/model-templates", json=BODY).json()
            assert made["id"] == seeded_ids(seed)()
            assert sgp_factory.seed == seed

        class TestExtended:
            @pytest.fixture(params=[10, 20])
            def sgp_fake_responses(self, request, sgp_fake_responses):
                rule = {{"model": "openai/gpt-4o-mini", "text": str(request.param)}}
                return [*sgp_fake_responses, rule]

            def test_each_response(self, sgp_beta_client, request):
                answer = sgp_beta_client.chat.completions.create(
                    model="openai/gpt-4o-mini", messages=[{{"role": "user", "content": "hi"}}]
                )
                expected = str(request.node.callspec.params["sgp_fake_responses"])
                assert answer.choices[0].message.content == expected

        def test_without_the_fake():
            pass
        """
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=4 + 4 + 8 + 1)
    result.stdout.fnmatch_lines(["*test_each_mode[[]strict-1[]] PASSED*"], consecutive=False)
