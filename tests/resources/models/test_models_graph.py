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
from sgp_fake.cli.process import ServerProcess
from tests.support.bodies import minimal_body

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


# -- answers that stay whole while other requests change the graph --------------------------------


@pytest.fixture
def switching() -> Iterator[None]:
    """Threads switch as often as they can: races, if there are any, show."""
    import sys

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


@pytest.mark.usefixtures("switching")
def test_only_one_of_concurrent_deletes_of_a_model_succeeds() -> None:
    fake = SGPFake()
    with fake.client() as client:
        template_id = _template(client)
        for round_ in range(30):
            model_id = _model(client, template_id, f"m{round_}")
            url = f"/v4/models/{model_id}"
            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(client.delete, [url] * 4))
            statuses = [answer.status_code for answer in answers]
            assert sorted(statuses) == [200, 404, 404, 404], statuses


@pytest.mark.usefixtures("switching")
def test_a_model_viewed_with_its_deployments_counts_what_it_lists() -> None:
    fake = SGPFake()
    with fake.client() as client:
        model_id = _model(client, _template(client), "m")
        stop = threading.Event()

        def churn() -> None:
            while not stop.is_set():
                created = client.post(f"/v4/models/{model_id}/deployments", json={"name": "d"})
                client.delete(f"/v4/models/{model_id}/deployments/{created.json()['id']}")

        threads = [threading.Thread(target=churn) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            for _ in range(300):
                model = client.get(f"/v4/models/{model_id}", params={"view": "Deployments"})
                body = model.json()
                assert body["deployment_count"] == len(body["deployments"])
        finally:
            stop.set()
            for thread in threads:
                thread.join(TIMEOUT)


@pytest.mark.usefixtures("switching")
def test_the_state_document_is_one_snapshot_that_loads_back() -> None:
    fake = SGPFake(admin=True)
    stop = threading.Event()

    def churn() -> None:
        with fake.client() as own:
            n = 0
            while not stop.is_set():
                template_id = _template(own)
                model_id = _model(own, template_id, f"m{threading.get_ident()}-{n}")
                own.post(f"/v4/models/{model_id}/deployments", json={"name": "d"})
                own.delete(f"/v4/models/{model_id}")
                own.delete(f"/v4/model-templates/{template_id}")
                n += 1

    threads = [threading.Thread(target=churn) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        with fake.client() as client:
            for _ in range(1500):
                state = client.get("/_fake/state").json()
                check_whole(state)
    finally:
        stop.set()
        for thread in threads:
            thread.join(TIMEOUT)
    with fake.client() as client:  # the last snapshot, taken mid-churn, loads back whole
        assert client.put("/_fake/state", json=state).status_code == 200


def test_a_page_of_any_size_is_answered() -> None:
    fake = SGPFake()
    with fake.client() as client:
        model_id = _model(client, _template(client), "m")
        client.post(f"/v4/models/{model_id}/deployments", json={"name": "d"})
        for path in ("/v4/models", f"/v4/models/{model_id}/deployments", "/v4/model-deployments"):
            answer = client.get(path, params={"limit": 2**63})
            assert answer.status_code == 200, (path, answer.text)
            assert len(answer.json()["items"]) == 1


def test_large_records_are_not_kept_alive_by_caches() -> None:
    import gc
    import tracemalloc

    big = "x" * 500_000
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        fake = SGPFake()
        with fake.client() as client:
            template_id = _template(client)
            body = {"name": "m", "model_type": "COMPLETION", "account_id": "acct_1",
                    "model_template_id": template_id, "model_card": big}  # fmt: skip
            model_id = client.post("/v4/models", json=body).json()["id"]
            assert client.get(f"/v4/models/{model_id}").json()["model_card"] == big
            client.post(f"/v4/models/{model_id}/deployments", json={"name": "d"})
        del fake, client
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # The fake is gone, and with it every copy of the half-megabyte card: no cache keeps one.
    assert after - before < 250_000


def test_a_reconfigured_deployment_waits_its_whole_delay_again() -> None:
    from sgp_fake import FakeSettings

    fake = SGPFake(FakeSettings(deployment_ready_after=600))
    with fake.client() as client:
        model_id = _model(client, _template(client), "m")
        deployments = f"/v4/models/{model_id}/deployments"
        created = client.post(deployments, json={"name": "d", "wait_for_ready": False}).json()
        url = f"{deployments}/{created['id']}"
        assert created["status"] == "PENDING"
        fake.clock.advance(500)
        client.patch(url, json={"name": "renamed", "wait_for_ready": False})
        assert client.get(url).json()["status"] == "PENDING"  # a rename keeps the due time
        reconfigured = {"vendor_configuration": {"vendor": "LAUNCH", "min_workers": 2},
                        "wait_for_ready": False}  # fmt: skip
        assert client.patch(url, json=reconfigured).json()["status"] == "PENDING"
        fake.clock.advance(150)  # past the first due time, not 600 s after the change
        assert client.get(url).json()["status"] == "PENDING"
        fake.clock.advance(450)
        assert client.get(url).json()["status"] == "READY"
