"""Concurrency: many threads and tasks creating, listing and deleting at once lose nothing.

Against the in-process transports and the live server (and both at once, on one fake): no
template lost or duplicated, every page internally consistent, totals that add up, and no
deadlock; every wait is bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from sgp_fake.factories import seed_deployment
from tests.support.bodies import minimal_body

TIMEOUT = 120  # seconds: far above what any of these takes, only to turn a deadlock into a failure
ACCOUNTS = ["acct_0", "acct_1", "acct_2"]


@dataclass
class Outcome:
    created: dict[str, str] = field(default_factory=dict)  # id -> account
    deleted: set[str] = field(default_factory=set)
    pages: int = 0


def check_page(page: dict[str, Any], account: str | None, limit: int, page_number: int) -> None:
    """A page is a consistent snapshot, whatever else is going on."""
    items = page["items"]
    total = page["total_item_count"]
    offset = (page_number - 1) * limit
    assert len(items) == max(0, min(limit, total - offset)), (len(items), total, offset)
    ids = [t["id"] for t in items]
    assert len(set(ids)) == len(ids)
    if account is not None:
        assert all(t["account_id"] == account for t in items)
    stamps = [t["created_at"] for t in items]
    assert stamps == sorted(stamps)  # oldest first


def worker(request: Callable[..., httpx.Response], seed: int, operations: int) -> Outcome:
    """Random creates, lists (with and without an account) and deletes of its own templates."""
    rng = random.Random(seed)
    outcome = Outcome()
    mine: list[str] = []
    for i in range(operations):
        roll = rng.random()
        if roll < 0.5 or not mine:
            account = rng.choice(ACCOUNTS)
            response = request(
                "POST",
                "/v4/model-templates",
                json=minimal_body(account_id=account, name=f"w{seed}-{i}"),
            )
            assert response.status_code == 200, response.text
            template_id = response.json()["id"]
            assert template_id not in outcome.created
            outcome.created[template_id] = account
            mine.append(template_id)
        elif roll < 0.8:
            account = rng.choice([None, *ACCOUNTS])
            limit = rng.choice([1, 7, 50])
            page_number = rng.randint(1, 4)
            params: dict[str, Any] = {"limit": limit, "page": page_number}
            if account:
                params["account_id"] = account
            response = request("GET", "/v4/model-templates", params=params)
            assert response.status_code == 200
            check_page(response.json(), account, limit, page_number)
            outcome.pages += 1
        else:
            template_id = mine.pop(rng.randrange(len(mine)))
            assert request("DELETE", f"/v4/model-templates/{template_id}").status_code == 200
            assert request("GET", f"/v4/model-templates/{template_id}").status_code == 404
            outcome.deleted.add(template_id)
    # What this worker still owns is still there, unchanged.
    for template_id in mine:
        response = request("GET", f"/v4/model-templates/{template_id}")
        assert response.status_code == 200
        assert response.json()["account_id"] == outcome.created[template_id]
    return outcome


def check_final(fake: SGPFake, outcomes: list[Outcome]) -> None:
    created: dict[str, str] = {}
    for outcome in outcomes:
        assert not created.keys() & outcome.created.keys()  # no id handed out twice
        created.update(outcome.created)
    deleted = set().union(*(o.deleted for o in outcomes))
    alive = {i: a for i, a in created.items() if i not in deleted}
    assert {t.id for t in fake.store.all()} == set(alive)
    with fake.client() as client:
        listed: list[str] = []
        page = 1
        while True:
            data = client.get("/v4/model-templates", params={"limit": 37, "page": page}).json()
            listed += [t["id"] for t in data["items"]]
            if not data["items"]:
                break
            page += 1
        assert sorted(listed) == sorted(alive)
        assert len(listed) == len(set(listed)) == data["total_item_count"]
        for account in ACCOUNTS:
            data = client.get(
                "/v4/model-templates", params={"account_id": account, "limit": 1}
            ).json()
            assert data["total_item_count"] == sum(1 for a in alive.values() if a == account)


def run_threads(tasks: list[Callable[[], Outcome]]) -> list[Outcome]:
    with ThreadPoolExecutor(len(tasks)) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [future.result(timeout=TIMEOUT) for future in futures]


def test_threads_on_the_sync_transport() -> None:
    fake = SGPFake()

    def task(seed: int) -> Callable[[], Outcome]:
        def run() -> Outcome:
            with fake.client() as client:
                return worker(client.request, seed, 120)

        return run

    outcomes = run_threads([task(seed) for seed in range(8)])
    assert sum(o.pages for o in outcomes) > 0
    check_final(fake, outcomes)


@pytest.mark.asyncio
async def test_tasks_on_the_async_transport() -> None:
    fake = SGPFake()

    async def task(seed: int) -> Outcome:
        # The same random script as the threads, awaited: each request yields to the others.
        rng = random.Random(seed)
        outcome = Outcome()
        mine: list[str] = []
        async with fake.async_client() as client:
            for i in range(60):
                await asyncio.sleep(0)
                if rng.random() < 0.6 or not mine:
                    account = rng.choice(ACCOUNTS)
                    response = await client.post(
                        "/v4/model-templates", json=minimal_body(account_id=account, name=f"{i}")
                    )
                    outcome.created[response.json()["id"]] = account
                    mine.append(response.json()["id"])
                elif rng.random() < 0.5:
                    limit = rng.choice([1, 10])
                    data = (await client.get("/v4/model-templates", params={"limit": limit})).json()
                    check_page(data, None, limit, 1)
                else:
                    template_id = mine.pop(rng.randrange(len(mine)))
                    response = await client.delete(f"/v4/model-templates/{template_id}")
                    assert response.status_code == 200
                    outcome.deleted.add(template_id)
        return outcome

    outcomes = await asyncio.wait_for(asyncio.gather(*(task(s) for s in range(40))), TIMEOUT)
    check_final(fake, list(outcomes))


def test_threads_on_the_live_server_and_the_transport_at_once() -> None:
    fake = SGPFake()
    with LiveServer(fake.app) as server:

        def over_http(seed: int) -> Callable[[], Outcome]:
            def run() -> Outcome:
                with httpx.Client(
                    base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT
                ) as client:
                    return worker(client.request, seed, 60)

            return run

        def in_process(seed: int) -> Callable[[], Outcome]:
            def run() -> Outcome:
                with fake.client() as client:
                    return worker(client.request, seed, 60)

            return run

        outcomes = run_threads(
            [over_http(s) for s in range(6)] + [in_process(s) for s in range(6, 10)]
        )
        check_final(fake, outcomes)


def test_async_clients_on_the_live_server() -> None:
    fake = SGPFake()

    async def main(url: str) -> list[str]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(
            base_url=url, headers={"x-api-key": "k"}, limits=limits, timeout=TIMEOUT
        ) as client:

            async def create(i: int) -> str:
                response = await client.post(
                    "/v4/model-templates",
                    json=minimal_body(account_id=ACCOUNTS[i % 3], name=str(i)),
                )
                assert response.status_code == 200
                return str(response.json()["id"])

            ids = await asyncio.gather(*(create(i) for i in range(300)))
            # Delete every other one while listing concurrently.
            results = await asyncio.gather(
                *(client.delete(f"/v4/model-templates/{i}") for i in ids[::2]),
                *(client.get("/v4/model-templates", params={"limit": 25}) for _ in range(30)),
            )
            for response in results:
                assert response.status_code == 200
                if "items" in response.json():
                    check_page(response.json(), None, 25, 1)
            return list(ids)

    with LiveServer(fake.app) as server:
        ids = asyncio.run(asyncio.wait_for(main(server.url), TIMEOUT))
    assert len(set(ids)) == 300
    assert {t.id for t in fake.store.all()} == set(ids[1::2])


def test_racing_deletes_of_one_template_succeed_exactly_once() -> None:
    fake = SGPFake()
    with fake.client() as client:
        ids = [
            client.post("/v4/model-templates", json=minimal_body()).json()["id"] for _ in range(20)
        ]
    barrier = threading.Barrier(8, timeout=TIMEOUT)

    def delete_all() -> list[int]:
        with fake.client() as client:
            barrier.wait()
            return [client.delete(f"/v4/model-templates/{i}").status_code for i in ids]

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(delete_all) for _ in range(8)]
        statuses = [f.result(timeout=TIMEOUT) for f in futures]
    for index in range(len(ids)):
        column = sorted(s[index] for s in statuses)
        assert column == [200] + [404] * 7
    assert len(fake.store) == 0


CHAT_TEMPLATE = {
    "model_type": "CHAT_COMPLETION",
    "model_request_parameters_schema": {"parameters": []},
}
TEXTS = [f"Step {n} answer." for n in range(8)]


def _chat(client: httpx.Client, deployment_id: str) -> str:
    response = client.post(
        f"/v4/models/{deployment_id}/chat-completions", json={"prompt": "p", "chat_history": []}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["completions"][0][1][0])


def test_a_stream_left_while_a_later_step_is_out_gives_its_own_step_back() -> None:
    # Two overlapping calls of one sequence: the first, streamed, is left early after the
    # second took the next step; the retry gets the first step, and the sequence goes on.
    fake = SGPFake()
    deployment_id = seed_deployment(fake, account_id="acct_1", template=CHAT_TEMPLATE).deployment[
        "id"
    ]
    fake.respond(deployment=deployment_id, texts=TEXTS[:3])
    body = {"prompt": "p", "chat_history": [], "stream": True}
    with fake.client() as client:
        path = f"/v4/models/{deployment_id}/chat-completions"
        with client.stream("POST", path, json=body) as left:
            next(left.iter_lines())
            assert _chat(client, deployment_id) == TEXTS[1]
        assert [_chat(client, deployment_id) for _ in range(3)] == [TEXTS[0], TEXTS[2], TEXTS[2]]
    assert fake.responses.rules()[0]["hits"] == 4  # the last step answered twice


def test_a_gateway_stream_left_while_a_later_step_is_out_gives_its_own_step_back() -> None:
    fake = SGPFake()
    fake.respond(model="openai/gpt-4o-mini", texts=TEXTS[:3])
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}

    def say(client: httpx.Client) -> str:
        response = client.post("/v5/chat/completions", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["choices"][0]["message"]["content"])

    with fake.client(headers={"x-selected-account-id": "acct_1"}) as client:
        with client.stream("POST", "/v5/chat/completions", json={**body, "stream": True}) as left:
            next(left.iter_lines())
            assert say(client) == TEXTS[1]
        assert [say(client) for _ in range(3)] == [TEXTS[0], TEXTS[2], TEXTS[2]]


def test_concurrent_streams_left_early_lose_and_repeat_no_step_of_a_sequence() -> None:
    # Every thread opens a stream (a step each), then half of them leave theirs early and call
    # again: each step of the sequence is answered in full exactly once.
    fake = SGPFake()
    deployment_id = seed_deployment(fake, account_id="acct_1", template=CHAT_TEMPLATE).deployment[
        "id"
    ]
    fake.respond(deployment=deployment_id, texts=[*TEXTS, "spent"])
    path = f"/v4/models/{deployment_id}/chat-completions"
    body = {"prompt": "p", "chat_history": [], "stream": True}
    opened = threading.Barrier(len(TEXTS), timeout=TIMEOUT)
    left = threading.Barrier(len(TEXTS), timeout=TIMEOUT)

    def call(index: int) -> str:
        with fake.client() as client:
            with client.stream("POST", path, json=body) as response:
                lines = response.iter_lines()
                events = [next(lines)]
                opened.wait()  # every step is out
                if index % 2:
                    events += lines
                    said = [
                        json.loads(line[len("data: ") :])["completions"][0][1][0]
                        for line in events
                        if line.startswith("data: ")
                    ]
            left.wait()  # every early leaver gave its step back
            return "".join(said) if index % 2 else _chat(client, deployment_id)

    with ThreadPoolExecutor(len(TEXTS)) as pool:
        futures = [pool.submit(call, index) for index in range(len(TEXTS))]
        answered = [future.result(timeout=TIMEOUT) for future in futures]
    assert sorted(answered) == sorted(TEXTS)
    assert fake.responses.rules()[0]["hits"] == len(TEXTS)
