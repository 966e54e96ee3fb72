"""The pytest plugin as users meet it: pytester runs small test files that use each fixture,
marker and option, sync and async, with and without ``scale-gp``, and under xdist."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from sgp_fake import seeded_ids
from sgp_fake.deterministic import StepClock
from sgp_fake.plugin import SDK_MISSING

BODY = repr(
    {
        "name": "llama",
        "endpoint_type": "SYNC",
        "model_type": "COMPLETION",
        "account_id": "acct_1",
        "vendor_configuration": {
            "bundle_config": {"registry": "ghcr.io/acme", "image": "llm", "tag": "1.0"}
        },
    }
)
"""A minimal create body, as Python source for the generated test files."""


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        """
    )


# Plugins of this environment that the generated tests do not need and that are slow to load.
UNRELATED = ("-p", "no:schemathesis", "-p", "no:hypothesispytest")


def run(pytester: pytest.Pytester, *args: str, randomly: bool = False) -> pytest.RunResult:
    """Run pytest in process, as a user with ``--strict-markers`` does."""
    extra = [] if randomly else ["-p", "no:randomly"]
    return pytester.runpytest("--strict-markers", *UNRELATED, *extra, *args)


# -- registration ------------------------------------------------------------------------------


def test_fixtures_and_marker_are_registered_and_documented(pytester: pytest.Pytester) -> None:
    fixtures = run(pytester, "--fixtures").stdout.str()
    for name in (
        "sgp_fake",
        "sgp_fake_client",
        "sgp_fake_async_client",
        "sgp_client",
        "sgp_async_client",
        "sgp_beta_client",
        "sgp_async_beta_client",
        "sgp_fake_server",
        "sgp_fake_intercept",
        "sgp_factory",
        "sgp_fake_settings",
        "sgp_fake_seed",
        "sgp_fake_base_urls",
    ):
        assert f"{name} -- " in fixtures or f"{name} [" in fixtures, name
    assert "faker" not in {line.split()[0] for line in fixtures.splitlines() if line[:4] == "sgp_"}
    markers = run(pytester, "--markers").stdout.str()
    assert "@pytest.mark.sgp_fake(api_keys=None" in markers
    help_text = run(pytester, "--help").stdout.str()
    assert "--sgp-fake-seed=SEED" in help_text


# -- the fake and the httpx clients ------------------------------------------------------------


def test_each_test_gets_a_fresh_fake_shared_by_its_clients(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        BODY = {BODY}

        def test_create(sgp_fake, sgp_fake_client):
            created = sgp_fake_client.post("/v4/model-templates", json=BODY)
            assert created.status_code == 200
            assert sgp_fake.store.get(created.json()["id"]).as_dict() == created.json()
            assert sgp_fake_client.headers["x-api-key"] == "sgp-fake-key"
            assert str(sgp_fake_client.base_url) == "https://api.egp.scale.com"

        def test_empty_again(sgp_fake, sgp_fake_client):
            assert len(sgp_fake.store) == 0
            assert sgp_fake_client.get("/v4/model-templates").json()["total_item_count"] == 0
            assert len(sgp_fake.journal) == 1

        def test_reset(sgp_fake, sgp_fake_client):
            sgp_fake_client.post("/v4/model-templates", json=BODY)
            sgp_fake.reset()
            assert len(sgp_fake.store) == 0 and len(sgp_fake.journal) == 0
        """
    )
    for order in (("-p", "no:randomly"), ("--randomly-seed=1",), ("--randomly-seed=2",)):
        pytester.runpytest("--strict-markers", *UNRELATED, *order).assert_outcomes(passed=3)


def test_the_journal_shows_what_the_code_under_test_sent(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        BODY = {BODY}

        def code_under_test(client):
            client.post("/v4/model-templates", json=BODY)
            client.post("/v4/model-templates", json={{**BODY, "name": "second"}})
            client.get("/v4/model-templates", params={{"limit": 5}})

        def test_journal(sgp_fake, sgp_fake_client):
            code_under_test(sgp_fake_client)
            journal = sgp_fake.journal
            assert len(journal.creates) == 2
            assert journal.creates[-1].json["name"] == "second"
            assert journal.last("GET").query == "limit=5"
            assert journal.last().response_json["total_item_count"] == 2
            assert journal.count("POST", "/v4/model-templates") == 2
            assert [e.status for e in journal] == [200, 200, 200]
        """
    )
    run(pytester).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("mode", "header"), [("strict", "pytestmark = pytest.mark.asyncio"), ("auto", "")]
)
def test_async_clients_under_pytest_asyncio(
    pytester: pytest.Pytester, mode: str, header: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        {header}
        BODY = {BODY}

        async def test_httpx(sgp_fake, sgp_fake_async_client):
            created = await sgp_fake_async_client.post("/v4/model-templates", json=BODY)
            assert created.status_code == 200
            assert len(sgp_fake.store) == 1

        async def test_sdk(sgp_fake, sgp_async_client):
            created = await sgp_async_client.model_templates.create(**BODY)
            page = await sgp_async_client.model_templates.list()
            assert [t.id for t in page.items] == [created.id]
            assert sgp_fake.journal.creates[0].json["name"] == "llama"

        def test_sync_code_inside_async_tests_is_fine(sgp_fake, sgp_fake_client):
            assert sgp_fake_client.get("/v4/model-templates").status_code == 200
        """
    )
    run(pytester, "-o", f"asyncio_mode={mode}").assert_outcomes(passed=3)


# -- the official SDK --------------------------------------------------------------------------


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


# -- configuration: marker and override fixtures -----------------------------------------------


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


# -- deterministic mode ------------------------------------------------------------------------

RECORDER = f"""
import os
from pathlib import Path
BODY = {BODY}

def test_record(sgp_fake_client, sgp_factory):
    answers = [sgp_fake_client.post("/v4/model-templates", json=BODY).content]
    for body in sgp_factory.requests(3):
        answers.append(sgp_fake_client.post("/v4/model-templates", json=body).content)
    answers.append(sgp_fake_client.get("/v4/model-templates").content)
    Path(os.environ["RECORD_TO"]).write_bytes(b"\\n".join(answers))
"""


def record(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    *args: str,
    subprocess: bool = False,
    randomly: bool = False,
) -> bytes:
    target = pytester.path / f"{name}.out"
    monkeypatch.setenv("RECORD_TO", str(target))
    extra = [*UNRELATED] if randomly else [*UNRELATED, "-p", "no:randomly"]
    if subprocess:
        result = pytester.runpytest_subprocess("--strict-markers", *extra, *args)
    else:
        result = pytester.runpytest("--strict-markers", *extra, *args)
    result.assert_outcomes(passed=1)
    return target.read_bytes()


def test_deterministic_mode_gives_byte_identical_responses_on_every_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_record=RECORDER)
    first = record(pytester, monkeypatch, "a", "--sgp-fake-seed=1234")
    # Another interpreter (another hash seed), and pytest-randomly shuffling its own seed.
    again = record(
        pytester,
        monkeypatch,
        "b",
        "--sgp-fake-seed=1234",
        "--randomly-seed=3",
        subprocess=True,
        randomly=True,
    )
    other_seed = record(pytester, monkeypatch, "c", "--sgp-fake-seed=99")
    assert first == again
    assert first != other_seed
    answers = [json.loads(line) for line in first.split(b"\n")]
    ids = seeded_ids(1234)
    clock = StepClock.seeded(1234)
    for answer in answers[:4]:
        assert answer["id"] == ids()
        assert answer["created_at"] == clock().isoformat()
    assert answers[4]["total_item_count"] == 4


def test_the_seed_comes_from_the_ini_file_or_the_marker_alike(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_record=RECORDER)
    by_option = record(pytester, monkeypatch, "option", "--sgp-fake-seed=1234")
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        sgp_fake_seed = 1234
        """
    )
    by_ini = record(pytester, monkeypatch, "ini")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    marked = RECORDER.replace(
        "def test_record", "import pytest\n@pytest.mark.sgp_fake(seed=1234)\ndef test_record"
    )
    pytester.makepyfile(test_record=marked)
    by_marker = record(pytester, monkeypatch, "marker")
    assert by_option == by_ini == by_marker
    report = run(pytester, "--sgp-fake-seed=1234", "--co").stdout.str()
    assert "sgp-fake: deterministic mode, seed 1234" in report


def test_ids_and_factories_follow_pytest_randomly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_record=RECORDER)
    five = record(pytester, monkeypatch, "5a", "--randomly-seed=5", randomly=True)
    five_again = record(pytester, monkeypatch, "5b", "--randomly-seed=5", randomly=True)
    six = record(pytester, monkeypatch, "6", "--randomly-seed=6", randomly=True)

    def ids_and_bodies(recorded: bytes) -> list[object]:
        # created_at is the real time without an explicit seed; ids and payloads are not.
        return [
            {k: v for k, v in json.loads(line).items() if k != "created_at"}
            for line in recorded.split(b"\n")[:4]
        ]

    assert ids_and_bodies(five) == ids_and_bodies(five_again)
    assert ids_and_bodies(five) != ids_and_bodies(six)
    unseeded = [record(pytester, monkeypatch, f"r{i}") for i in range(2)]
    assert ids_and_bodies(unseeded[0]) != ids_and_bodies(unseeded[1])


def test_a_failing_test_reports_its_seeds(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails(sgp_factory, sgp_fake):
            assert sgp_factory.request()["name"] == "never"
        """
    )
    result = run(pytester, "--randomly-seed=8", randomly=True)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*sgp-fake*", "*ids seed '8:test_a_failing_test_reports_its_seeds.py::test_fails'*"]
    )
    assert "factory seed '8:" in result.stdout.str()


def test_the_factory_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from sgp_fake.factories import seed_templates

        def test_factory(sgp_fake, sgp_fake_client, sgp_factory):
            body = sgp_factory.request(vendor_configuration={"bundle_config": {"tag": "v2"}})
            assert body["vendor_configuration"]["bundle_config"]["tag"] == "v2"
            assert sgp_fake_client.post("/v4/model-templates", json=body).status_code == 200
            seeded = seed_templates(sgp_fake, 5, account_id="acct_9", factory=sgp_factory)
            page = sgp_fake_client.get("/v4/model-templates", params={"account_id": "acct_9"})
            assert page.json()["items"] == seeded
        """
    )
    run(pytester).assert_outcomes(passed=1)


# -- the live server ---------------------------------------------------------------------------


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


# -- interception ------------------------------------------------------------------------------


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


NETWORK_GUARD = (
    Path(__file__).resolve().parents[1] / "support" / "network_guard.py"
).read_text(encoding="utf-8")
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
    patched = (httpx.HTTPTransport, "handle_request"), (
        httpx.AsyncHTTPTransport,
        "handle_async_request",
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


# -- xdist ---------------------------------------------------------------------------------------


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
