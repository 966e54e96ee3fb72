"""The graph of templates, models and deployments stays whole: under concurrency (deployments
created and deleted while their models are deleted), and across a SIGKILL of a server with a
state file."""

from __future__ import annotations

import random
import signal
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from sgp_fake.serve import ServerProcess

from .conftest import minimal_body

TIMEOUT = 120  # far above what any of this takes: only to turn a deadlock into a failure


def _template(client: httpx.Client) -> str:
    return str(client.post("/v4/model-templates", json=minimal_body()).json()["id"])


def _model(client: httpx.Client, template_id: str, name: str) -> str:
    body = {"name": name, "model_type": "COMPLETION", "account_id": "acct_1",
            "model_template_id": template_id}  # fmt: skip
    answer = client.post("/v4/models", json=body)
    answer.raise_for_status()
    return str(answer.json()["id"])


def check_whole(state: dict[str, Any]) -> None:
    """No orphan, and every model's count is its deployments'."""
    templates = {t["id"] for t in state["model_templates"]}
    models = {m["id"] for m in state["models"]}
    assert all(m.get("model_template_id", next(iter(templates), None)) in templates
               for m in state["models"]), "a model of no template"  # fmt: skip
    orphans = [d["id"] for d in state["deployments"] if d["model_instance_id"] not in models]
    assert orphans == [], "a deployment of no model"


def _hammer(base_url: str, transport: httpx.BaseTransport | None, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base_url, transport=transport, timeout=TIMEOUT,
                      headers={"x-api-key": "k"}) as client:  # fmt: skip
        template_id = _template(client)
        for round_ in range(6):
            models = [_model(client, template_id, f"w{seed}-{round_}-{i}") for i in range(3)]
            deployments: list[tuple[str, str]] = []

            def deploy(model_id: str, deployments: list[tuple[str, str]] = deployments) -> None:
                for n in range(8):
                    body = {"name": f"d{n}", "wait_for_ready": n % 2 == 0}
                    answer = client.post(f"/v4/models/{model_id}/deployments", json=body)
                    assert answer.status_code in (200, 404), answer.text
                    if answer.status_code == 200:
                        deployments.append((model_id, answer.json()["id"]))
                    if deployments and rng.random() < 0.4:
                        owner, victim = deployments.pop(rng.randrange(len(deployments)))
                        gone = client.delete(f"/v4/models/{owner}/deployments/{victim}")
                        assert gone.status_code in (200, 404), gone.text

            def delete_models(models: list[str] = models) -> None:
                for model_id in models:
                    answer = client.delete(f"/v4/models/{model_id}")
                    assert answer.status_code == 200, answer.text

            with ThreadPoolExecutor(4) as pool:
                futures = [pool.submit(deploy, m) for m in models]
                futures.append(pool.submit(delete_models))
                for future in futures:
                    future.result(TIMEOUT)
            for model_id in models:
                assert client.get(f"/v4/models/{model_id}").status_code == 404
                assert client.get(f"/v4/models/{model_id}/deployments").status_code == 404


@pytest.mark.parametrize("where", ["in-process", "live"])
def test_deployments_racing_model_deletes_leave_no_orphan(where: str) -> None:
    fake = SGPFake(admin=True)
    server = LiveServer(fake.app) if where == "live" else None
    try:
        base_url = server.start().url if server is not None else "http://sgp"
        transport = None if server is not None else fake.transport()
        with ThreadPoolExecutor(3) as pool:
            for future in [pool.submit(_hammer, base_url, transport, s) for s in range(3)]:
                future.result(TIMEOUT)
    finally:
        if server is not None:
            server.stop()
    with fake.client(api_key=None) as admin:
        state = admin.get("/_fake/state").json()
    check_whole(state)
    assert state["models"] == []
    assert state["deployments"] == []
    with fake.client() as client:
        # what remains is consistent: counts, lists and the admin state agree
        template_id = _template(client)
        models = [_model(client, template_id, f"m{i}") for i in range(4)]

        def churn(model_id: str) -> None:
            url = f"/v4/models/{model_id}/deployments"
            ids = [client.post(url, json={"name": "d"}).json()["id"] for _ in range(10)]
            for victim in ids[::2]:
                client.delete(f"/v4/models/{model_id}/deployments/{victim}")

        with ThreadPoolExecutor(4) as pool:
            for future in [pool.submit(churn, m) for m in models]:
                future.result(TIMEOUT)
        listed = client.get("/v4/models").json()["items"]
        assert [m["deployment_count"] for m in listed] == [5, 5, 5, 5]
        assert client.get("/v4/model-deployments").json()["total_item_count"] == 20


# -- SIGKILL -------------------------------------------------------------------------------------


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


def _start(servers: list[ServerProcess], tmp_path: Path, *args: str) -> ServerProcess:
    server = ServerProcess(*args, timeout=30.0, stderr=tmp_path / f"stderr-{len(servers)}.log")
    servers.append(server)
    return server.start()


def test_sigkill_mid_burst_keeps_the_whole_graph(  # noqa: PLR0915 - one scenario
    servers: list[ServerProcess], tmp_path: Path
) -> None:
    path = tmp_path / "state.db"
    server = _start(servers, tmp_path, "--state-file", str(path))
    lock = threading.Lock()
    models: set[str] = set()  # acknowledged creates
    owner: dict[str, str] = {}  # acknowledged deployment -> its model
    delete_sent: set[str] = set()
    deleted: set[str] = set()  # acknowledged deletes (each with its deployments)
    enough = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=30.0) as client:
            try:
                template_id = _template(client)
                for i in range(10_000):
                    model_id = _model(client, template_id, f"w{worker}-{i}")
                    with lock:
                        models.add(model_id)
                    for n in range(3):
                        answer = client.post(f"/v4/models/{model_id}/deployments",
                                             json={"name": f"d{n}"})  # fmt: skip
                        answer.raise_for_status()
                        with lock:
                            owner[answer.json()["id"]] = model_id
                    if i % 2:
                        with lock:
                            delete_sent.add(model_id)
                        client.delete(f"/v4/models/{model_id}").raise_for_status()
                        with lock:
                            deleted.add(model_id)
                    with lock:
                        if len(models) >= 60:
                            enough.set()
            except httpx.HTTPError:
                return  # the server is gone

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    assert enough.wait(60), "the burst did not get going"
    assert server.kill() == -signal.SIGKILL  # while the writers are still writing
    for thread in threads:
        thread.join(30.0)
        assert not thread.is_alive()

    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()
    restarted = _start(servers, tmp_path, "--state-file", str(path))
    state = httpx.get(restarted.url + "/_fake/state", timeout=30.0).json()
    check_whole(state)  # no orphan: a model went with its deployments, in one write
    survived = {m["id"] for m in state["models"]}
    kept_deployments = {d["id"] for d in state["deployments"]}
    with lock:
        assert models - delete_sent <= survived, "an acknowledged model was lost"
        assert not survived & deleted, "an acknowledged delete came back"
        assert len(survived - models) <= len(threads)  # at most the creates in flight
        lost = {d for d, m in owner.items() if m in survived} - kept_deployments
        assert not lost, "an acknowledged deployment was lost"
        assert len(models) >= 60
    with httpx.Client(base_url=restarted.url, headers={"x-api-key": "k"}, timeout=30.0) as client:
        listed = client.get("/v4/models", params={"limit": 10_000}).json()["items"]
        counts = {m["id"]: m["deployment_count"] for m in listed}
    expected = dict.fromkeys(survived, 0)
    for deployment in state["deployments"]:
        expected[deployment["model_instance_id"]] += 1
    assert counts == expected


def test_a_built_in_model_and_its_deployment_are_one_durable_write(tmp_path: Path) -> None:
    fake = SGPFake(state_file=tmp_path / "state.db")
    assert fake.persistence is not None
    commits: list[str] = []
    fake.persistence._db.set_trace_callback(  # type: ignore[attr-defined]
        lambda statement: commits.append(statement) if statement == "COMMIT" else None
    )
    try:
        with fake.client() as client:
            built_in = {"name": "gpt", "model_type": "CHAT_COMPLETION", "account_id": "acct_1"}
            made = client.post("/v4/models", json=built_in).json()
            assert commits == ["COMMIT"]
            assert made["deployment_count"] == 1
            commits.clear()
            assert client.delete(f"/v4/models/{made['id']}").status_code == 200
            assert commits == ["COMMIT"]  # the model with its deployment
    finally:
        fake.close()
