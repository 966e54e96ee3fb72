"""In-process transports and fake instances."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from sgp_fake import FaultRule, SGPFake
from tests.support.bodies import minimal_body


def test_sync_transport_runs_in_the_callers_thread_and_leaks_nothing(fake: SGPFake) -> None:
    seen: list[int] = []
    original = fake.store.create_spliced

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(threading.get_ident())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    fake.store.create_spliced = spy  # type: ignore[method-assign]
    threads_before = set(threading.enumerate())
    with fake.client() as client:
        for _ in range(200):
            assert client.post("/v4/model-templates", json=minimal_body()).status_code == 200
    assert set(seen) == {threading.get_ident()}
    # No thread of its own: one another test left finishing may end meanwhile, none may start.
    assert set(threading.enumerate()) - threads_before == set()
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()  # and no loop was left running here


@pytest.mark.asyncio
async def test_sync_client_works_inside_a_running_event_loop(fake: SGPFake) -> None:
    # Sync code under test called from an async test: the thread already runs a loop.
    with fake.client() as client:
        created = client.post("/v4/model-templates", json=minimal_body()).json()
        assert client.get(f"/v4/model-templates/{created['id']}").status_code == 200
    async with fake.async_client() as client:
        assert (await client.get("/v4/model-templates")).json()["total_item_count"] == 1


@pytest.mark.asyncio
async def test_async_transport_handles_concurrent_tasks(fake: SGPFake) -> None:
    async with fake.async_client() as client:
        responses = await asyncio.gather(
            *(
                client.post("/v4/model-templates", json=minimal_body(name=f"t{i}"))
                for i in range(50)
            )
        )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 50 == len(fake.store)


def test_instances_are_independent() -> None:
    one, two = SGPFake(), SGPFake()
    with one.client() as client:
        client.post("/v4/model-templates", json=minimal_body())
    one.settings.strict = True
    assert len(one.store) == 1
    assert len(two.store) == 0
    assert not two.settings.strict
    assert len(two.journal) == 0


def test_reset_empties_store_journal_and_faults(fake: SGPFake) -> None:
    with fake.client() as client:
        client.post("/v4/model-templates", json=minimal_body())
    fake.faults.add(FaultRule(status=503, times=None))
    fake.reset()
    assert len(fake.store) == 0
    assert len(fake.journal) == 0
    assert not fake.faults
    with fake.client() as client:
        assert client.get("/v4/model-templates").status_code == 200


@pytest.mark.parametrize(
    ("kind", "error"), [("reset", httpx.ReadError), ("empty", httpx.RemoteProtocolError)]
)
def test_connection_faults_surface_as_transport_errors(
    fake: SGPFake, kind: str, error: type[Exception]
) -> None:
    fake.faults.add(FaultRule(method="POST", path="/v4/model-templates", connection=kind))  # type: ignore[arg-type]
    with fake.client() as client:
        with pytest.raises(error):
            client.post("/v4/model-templates", json=minimal_body())
        assert client.post("/v4/model-templates", json=minimal_body()).status_code == 200


def test_request_journal_records_request_and_answer(fake: SGPFake) -> None:
    with fake.client() as client:
        client.post("/v4/model-templates", json=minimal_body(name="journaled"))
        client.get("/v4/model-templates", params={"limit": 5})
    first, second = fake.journal.entries()
    assert (first.method, first.path, first.status) == ("POST", "/v4/model-templates", 200)
    assert first.json["name"] == "journaled"
    assert first.response_json["name"] == "journaled"
    assert first.headers["x-api-key"] == "sgp-fake-key"
    assert (second.method, second.query) == ("GET", "limit=5")
    assert fake.journal.last("POST") == first


def test_a_fake_and_its_client_are_freed_without_a_garbage_collection() -> None:
    # A suite creates one per test: a reference cycle would keep each alive until the next
    # collection and make the collector run more often over the suite's whole heap.
    import gc
    import weakref

    enabled = gc.isenabled()
    gc.disable()
    try:
        fake = SGPFake()
        with fake.client() as client:
            assert client.get("/v4/model-templates").status_code == 200
        refs = [weakref.ref(fake), weakref.ref(fake.app), weakref.ref(fake.store)]
        del fake, client
        assert [ref() for ref in refs] == [None, None, None]
    finally:
        if enabled:
            gc.enable()


@pytest.mark.asyncio
async def test_the_path_is_percent_decoded_once_as_a_server_does(fake: SGPFake) -> None:
    # "%2541" is an encoded "%41": the app must see "a%41", not "aA" (nor "a/b" for "%252F").
    fake.store.put(
        {
            **minimal_body(),
            "id": "a%41",
            "created_at": "2024-01-01T00:00:00Z",
            "created_by_user_id": "u",
            "created_by_identity_type": "user",
        }
    )
    with fake.client() as client:
        assert client.get("/v4/model-templates/a%2541").json()["id"] == "a%41"
        missing = client.get("/v4/model-templates/b%252Fc")
        assert missing.json() == {"detail": "Model template b%2Fc not found"}
    async with fake.async_client() as client:
        assert (await client.get("/v4/model-templates/a%2541")).json()["id"] == "a%41"


@pytest.mark.asyncio
async def test_a_head_answer_has_the_gets_headers_and_no_body(fake: SGPFake) -> None:
    # As over a socket, where the server's HTTP layer drops a HEAD answer's body.
    with fake.client() as client:
        assert client.post("/v4/model-templates", json=minimal_body()).status_code == 200
        got = client.get("/v4/model-templates")
        head = client.head("/v4/model-templates")
    async with fake.async_client() as client:
        async_head = await client.head("/v4/model-templates")
    assert got.content
    for answer in (head, async_head):
        assert (answer.status_code, answer.content) == (200, b"")
        assert answer.headers["content-length"] == str(len(got.content))
        assert answer.headers["content-type"] == got.headers["content-type"]
    assert [e.method for e in fake.journal] == ["POST", "GET", "HEAD", "HEAD"]
