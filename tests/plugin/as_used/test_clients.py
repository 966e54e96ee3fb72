"""The fake and the httpx clients: one fresh fake per test, shared by its clients, sync and
async."""

from __future__ import annotations

import pytest

from tests.plugin.as_used.runs import BODY, UNRELATED, run


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


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_clients_under_anyio_wait_out_injected_latencies_and_stalls(
    pytester: pytest.Pytester, backend: str
) -> None:
    # The async client fixtures work under anyio's pytest plugin on either of its backends,
    # injected waits included: on trio there is no asyncio loop to sleep on.
    if backend == "trio":
        pytest.importorskip("trio")
    pytester.makepyfile(
        f"""
        import httpx
        import pytest

        pytestmark = pytest.mark.anyio
        CHAT = {{"model": "openai/gpt-4o-mini", "stream": True,
                 "messages": [{{"role": "user", "content": "hi"}}]}}

        @pytest.fixture
        def anyio_backend():
            return {backend!r}

        @pytest.mark.sgp_fake(faults={{"path": "/v4/model-templates", "latency": 0.05}})
        async def test_latency(sgp_fake, sgp_fake_async_client):
            answer = await sgp_fake_async_client.get("/v4/model-templates")
            assert answer.status_code == 200
            assert sgp_fake.journal.last().fault is not None

        @pytest.mark.sgp_fake(
            faults={{"path": "/v5/chat/completions", "stall_ms": 50, "after": 1}}
        )
        async def test_stall(sgp_fake_async_client):
            headers = {{"x-selected-account-id": "acct_1"}}
            async with sgp_fake_async_client.stream(
                "POST", "/v5/chat/completions", json=CHAT, headers=headers
            ) as answer:
                body = await answer.aread()
            assert body.endswith(b"data: [DONE]\\n\\n")

        @pytest.mark.sgp_fake(
            faults={{"path": "/v5/chat/completions", "stall_ms": 5000, "after": 1}}
        )
        async def test_stall_past_the_read_timeout(sgp_fake_async_client):
            headers = {{"x-selected-account-id": "acct_1"}}
            with pytest.raises(httpx.ReadTimeout):
                async with sgp_fake_async_client.stream(
                    "POST", "/v5/chat/completions", json=CHAT, headers=headers, timeout=0.05
                ) as answer:
                    await answer.aread()
        """
    )
    run(pytester).assert_outcomes(passed=3)
