"""The SQLite state file: acknowledged changes survive restarts and SIGKILL; bad files refused."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.cli.process import READY_PREFIX, ServerProcess
from sgp_fake.clock import FakeClock
from sgp_fake.deterministic import deterministic
from sgp_fake.extras.persistence import APPLICATION_ID, SCHEMA_VERSION, StateFileError
from sgp_fake.resources.model_templates.schemas import ModelTemplateRequest
from sgp_fake.resources.model_templates.store import ModelTemplateStore
from sgp_fake.settings import DEFAULT_IDENTITY
from tests.support.bodies import minimal_body

TIMEOUT = 30.0
LIST = "/v4/model-templates"


def request(**overrides: Any) -> ModelTemplateRequest:
    return ModelTemplateRequest.model_validate(minimal_body(**overrides))


def snapshot(store: ModelTemplateStore) -> list[tuple[str, str, bytes]]:
    return [(t.id, t.account_id, t.body) for t in store.all()]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


class DurableStore:
    """The template table of a fake with a state file, and what a test needs of that file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fake = SGPFake(state_file=path)
        assert self.fake.persistence is not None
        self.created = self.fake.persistence.created

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fake.store, name)

    def __len__(self) -> int:
        return len(self.fake.store)

    def close(self) -> None:
        self.fake.close()


@pytest.fixture
def opened() -> Iterator[list[DurableStore]]:
    """Stores opened by a test, closed at teardown whatever happened."""
    stores: list[DurableStore] = []
    yield stores
    for store in stores:
        store.close()


def open_store(path: Path, opened: list[DurableStore]) -> DurableStore:
    store = DurableStore(path)
    opened.append(store)
    return store


def reopen(store: DurableStore, opened: list[Any]) -> DurableStore:
    store.close()
    opened.remove(store)
    return open_store(Path(store.path), opened)


# -- the store, in process -------------------------------------------------------------------------


def test_state_survives_a_restart_exactly(path: Path, opened: list[Any]) -> None:
    store = open_store(path, opened)
    assert store.created
    made = [
        store.create(request(name=f"t{i}", account_id=f"acct_{i % 2}"), DEFAULT_IDENTITY)
        for i in range(6)
    ]
    store.delete(made[1].id)
    store.delete(made[4].id)
    before = snapshot(store)
    store = reopen(store, opened)
    assert not store.created
    assert snapshot(store) == before
    assert [t.id for t in store.all("acct_0")] == [made[0].id, made[2].id]
    later = store.create(request(name="later"), DEFAULT_IDENTITY)
    store = reopen(store, opened)
    assert [t.id for t in store.all()] == [*[t[0] for t in before], later.id]


def test_clear_put_and_replace_all_are_durable(path: Path, opened: list[Any]) -> None:
    store = open_store(path, opened)
    for account in ["a", "a", "b"]:
        store.create(request(account_id=account), DEFAULT_IDENTITY)
    assert store.clear("a") == 2
    store = reopen(store, opened)
    assert [t.account_id for t in store.all()] == ["b"]

    document = [
        {**t.as_dict(), "id": f"id-{i}", "name": f"n{i}"} for i, t in enumerate(store.all() * 3)
    ]
    store.replace_all(document)
    store.put({**document[0], "name": "renamed"})  # replacing moves it to the end
    expected = snapshot(store)
    assert [t[0] for t in expected] == ["id-1", "id-2", "id-0"]
    store = reopen(store, opened)
    assert snapshot(store) == expected
    assert store.get("id-0") is not None
    assert store.get("id-0").as_dict()["name"] == "renamed"  # type: ignore[union-attr]

    store.clear()
    store = reopen(store, opened)
    assert len(store) == 0


def test_invalid_replacement_changes_nothing_on_disk(path: Path, opened: list[Any]) -> None:
    store = open_store(path, opened)
    store.create(request(), DEFAULT_IDENTITY)
    before = snapshot(store)
    with pytest.raises(ValueError, match="validation error"):
        store.replace_all([{"id": "x"}])
    store = reopen(store, opened)
    assert snapshot(store) == before


def test_fake_with_a_state_file(path: Path) -> None:
    fake = SGPFake(state_file=path)
    try:
        with fake.client() as client:
            created = client.post(LIST, json=minimal_body()).json()
    finally:
        fake.close()
    again = SGPFake(state_file=path)
    try:
        with again.client() as client:
            assert client.get(f"{LIST}/{created['id']}").json() == created
    finally:
        again.close()
    assert type(SGPFake().store) is ModelTemplateStore  # the default stays in memory


def test_an_empty_file_is_a_new_state_file(path: Path, opened: list[Any]) -> None:
    path.write_bytes(b"")
    assert open_store(path, opened).created


def _v1_file(path: Path, templates: list[tuple[str, str, bytes]]) -> None:
    """A state file as the first layout wrote it: one ``model_templates`` table, WAL mode."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE model_templates "
        "(id TEXT PRIMARY KEY NOT NULL, account_id TEXT NOT NULL, body BLOB NOT NULL)"
    )
    db.executemany("INSERT INTO model_templates VALUES (?, ?, ?)", templates)
    db.execute(f"PRAGMA application_id={APPLICATION_ID}")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()


def test_a_first_layout_file_is_migrated_in_place(path: Path, opened: list[Any]) -> None:
    memory = SGPFake().store
    made = [
        memory.create(request(name=f"t{i}", account_id=f"acct_{i % 2}"), DEFAULT_IDENTITY)
        for i in range(5)
    ]
    # Rows out of id order: creation order is the rows' order, as the first layout kept it.
    rows = [(t.id, t.account_id, t.body) for t in reversed(made)]
    _v1_file(path, rows)
    store = open_store(path, opened)
    assert not store.created  # an existing state: a seed file is not loaded into it
    assert snapshot(store) == rows
    store.delete(made[0].id)
    store = reopen(store, opened)
    assert snapshot(store) == rows[:-1]
    store.close()
    opened.remove(store)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"records", "meta"}
    finally:
        db.close()


def _v2_file(path: Path, templates: list[tuple[str, str, bytes]]) -> None:
    """A state file as the second layout wrote it: ``records`` alone, no clock."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, account_id TEXT NOT NULL, "
        "body BLOB NOT NULL, PRIMARY KEY (kind, id))"
    )
    db.executemany("INSERT INTO records VALUES ('model_templates', ?, ?, ?)", templates)
    db.execute(f"PRAGMA application_id={APPLICATION_ID}")
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()


def test_a_second_layout_file_is_migrated_and_its_clock_kept_from_then_on(
    path: Path, opened: list[Any]
) -> None:
    memory = SGPFake().store
    made = [memory.create(request(name=f"t{i}"), DEFAULT_IDENTITY) for i in range(3)]
    rows = [(t.id, t.account_id, t.body) for t in made]
    _v2_file(path, rows)
    store = open_store(path, opened)
    assert not store.created
    assert snapshot(store) == rows
    assert store.fake.clock.offset == 0  # no clock saved: an unmoved one
    store.fake.clock.advance(90)
    store = reopen(store, opened)
    assert snapshot(store) == rows
    assert store.fake.clock.offset == 90
    store.close()
    opened.remove(store)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        db.close()


# -- the clock -------------------------------------------------------------------------------------


def test_the_clock_survives_a_restart_and_resets_leave_it(path: Path, opened: list[Any]) -> None:
    store = open_store(path, opened)
    clock = store.fake.clock
    clock.advance(601)
    store = reopen(store, opened)
    assert store.fake.clock.offset == 601
    store.fake.clock.set(datetime(2030, 5, 1, tzinfo=UTC))
    store.create(request(name="before"), DEFAULT_IDENTITY)
    # As in memory: neither a whole reset nor an account's touches the clock.
    store.fake.state.reset("acct_1")
    store.fake.state.reset()
    store = reopen(store, opened)
    assert abs(store.fake.clock.now() - datetime(2030, 5, 1, tzinfo=UTC).timestamp()) < 60


def test_a_stepping_clock_goes_on_where_it_was(path: Path, opened: list[Any]) -> None:
    def open_deterministic() -> SGPFake:
        fake = SGPFake(**deterministic(7), state_file=path)
        opened.append(fake)
        return fake

    fake = open_deterministic()
    first = [fake.store.create(request(name=f"t{i}"), DEFAULT_IDENTITY) for i in range(3)]
    fake.close()
    opened.remove(fake)
    fake = open_deterministic()
    later = fake.store.create(request(name="later"), DEFAULT_IDENTITY)
    dates = [json.loads(t.body)["created_at"] for t in [*first, later]]
    assert dates == sorted(dates)
    assert len(set(dates)) == 4


def test_a_clock_given_later_is_the_one_kept(path: Path, opened: list[Any]) -> None:
    store = open_store(path, opened)
    replacement = FakeClock()
    replacement.advance(50)
    store.fake.state.set_clock(replacement)
    replacement.advance(7)
    store.close()  # closing twice is allowed, as before the clock was kept
    store = reopen(store, opened)
    assert store.fake.clock.offset == 57


@pytest.mark.parametrize("value", ['{"offset": "soon"}', '{"offset": 1e300}', "not json"])
def test_an_invalid_clock_is_refused(path: Path, value: str) -> None:
    _valid_file(path, 1)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE name = 'clock'", (value,))
    db.execute("INSERT OR IGNORE INTO meta VALUES ('clock', ?)", (value,))
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StateFileError, match="holds an invalid clock"):
        DurableStore(path)
    assert path.read_bytes() == before


def test_a_first_layout_file_that_is_refused_is_left_untouched(path: Path) -> None:
    _v1_file(path, [("t-1", "a", b'{"id": "t-1"}')])  # not a template: refused on load
    before = path.read_bytes()
    with pytest.raises(StateFileError, match="invalid model_templates record 't-1'"):
        DurableStore(path)
    assert path.read_bytes() == before  # not migrated: an older sgp-fake still reads it


# -- files that are refused ----------------------------------------------------------------------


def _valid_file(path: Path, count: int = 200) -> bytes:
    store = DurableStore(path)
    for i in range(count):
        store.create(request(name=f"t{i}"), DEFAULT_IDENTITY)
    store.close()
    return path.read_bytes()


def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.commit()
    db.close()


def _future(path: Path) -> None:
    _valid_file(path, 1)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()


def _bad_row(path: Path) -> None:
    _valid_file(path, 1)
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO records VALUES ('model_templates', 'broken', 'a', '{\"id\": \"broken\"}')"
    )
    db.commit()
    db.close()


def _misfiled(path: Path) -> None:
    # A row whose id column is not its record's id (a hand edit): writes find rows by that
    # column, so the record could never be deleted for good.
    _valid_file(path, 1)
    db = sqlite3.connect(path)
    db.execute("UPDATE records SET id = 'elsewhere'")
    db.commit()
    db.close()


def _model_file(path: Path) -> None:
    fake = SGPFake(state_file=path)
    try:
        with fake.client() as client:
            template = client.post(LIST, json=minimal_body()).json()
            model = {"account_id": template["account_id"], "model_type": template["model_type"],
                     "name": "llama", "model_template_id": template["id"]}  # fmt: skip
            client.post("/v4/models", json=model).raise_for_status()
    finally:
        fake.close()


def _dangling(path: Path) -> None:
    # A model whose template a hand edit removed: served, it would be listed and then be a 404
    # to deploy, and GET /_fake/state would write a document PUT refuses.
    _model_file(path)
    db = sqlite3.connect(path)
    db.execute("DELETE FROM records WHERE kind = 'model_templates'")
    db.commit()
    db.close()


def _cross_account(path: Path) -> None:
    _model_file(path)
    db = sqlite3.connect(path)
    db.execute(
        "UPDATE records SET body = json_set(body, '$.account_id', 'acct_other') "
        "WHERE kind = 'models'"
    )
    db.commit()
    db.close()


def _truncated(path: Path) -> None:
    data = _valid_file(path)
    path.write_bytes(data[: len(data) // 2])


def _scribbled(path: Path) -> None:
    data = bytearray(_valid_file(path))
    data[8192:8392] = b"\xff" * 200
    path.write_bytes(bytes(data))


BAD_FILES = {
    "text": (
        lambda p: p.write_text('{"model_templates": []}\n' * 100),
        "is not an sgp-fake state file",
    ),
    "foreign": (_foreign, "database of another application"),
    "future": (_future, f"layout version {SCHEMA_VERSION + 1}"),
    "bad-row": (_bad_row, "invalid model_templates record 'broken'"),
    "dangling": (_dangling, "models record '.+' whose model_template_id names no model_templates"),
    "cross-account": (_cross_account, "whose model_template_id names .+ of account 'acct_1', not"),
    "misfiled": (_misfiled, "model_templates record under id 'elsewhere' whose body is record"),
    "truncated": (_truncated, "is damaged"),
    "scribbled": (_scribbled, "is damaged"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_files_are_refused_and_left_alone(path: Path, kind: str) -> None:
    make, message = BAD_FILES[kind]
    make(path)
    before = path.read_bytes()
    with pytest.raises(StateFileError, match=message) as info:
        DurableStore(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


def test_a_directory_and_a_missing_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="is a directory"):
        DurableStore(tmp_path)
    with pytest.raises(StateFileError, match="cannot use state file"):
        DurableStore(tmp_path / "no" / "such" / "state.db")


def test_one_file_one_fake(path: Path, opened: list[Any]) -> None:
    open_store(path, opened)
    with pytest.raises(StateFileError, match="in use by another process"):
        DurableStore(path)


# -- the standalone server -----------------------------------------------------------------------


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[ServerProcess], tmp_path: Path, *args: str) -> ServerProcess:
    stderr = tmp_path / f"stderr-{len(servers)}.log"
    server = ServerProcess(*args, timeout=TIMEOUT, stderr=stderr)
    servers.append(server)
    return server.start()


def state_ids(server: ServerProcess) -> list[str]:
    state = httpx.get(server.url + "/_fake/state", timeout=TIMEOUT).json()
    return [t["id"] for t in state["model_templates"]]


def test_sigkill_mid_burst_loses_nothing_acknowledged(
    servers: list[ServerProcess], tmp_path: Path, path: Path
) -> None:
    server = start(servers, tmp_path, "--state-file", str(path))
    created: set[str] = set()
    deleted: set[str] = set()
    # A delete the server committed but could not answer before it died is sent, not
    # acknowledged: the template may be gone or not.
    delete_sent: set[str] = set()
    lock = threading.Lock()
    enough = threading.Event()
    target = 150

    def writer(worker: int) -> None:
        mine: list[str] = []
        with httpx.Client(
            base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT
        ) as client:
            for i in range(10_000):
                try:
                    if i % 3 == 2 and mine:
                        victim = mine.pop(0)
                        with lock:
                            delete_sent.add(victim)
                        answer = client.delete(f"{LIST}/{victim}")
                        answer.raise_for_status()
                        with lock:
                            deleted.add(victim)
                    else:
                        answer = client.post(LIST, json=minimal_body(name=f"w{worker}-{i}"))
                        answer.raise_for_status()
                        template_id = answer.json()["id"]
                        mine.append(template_id)
                        with lock:
                            created.add(template_id)
                            if len(created) >= target:
                                enough.set()
                except httpx.HTTPError:
                    return  # the server is gone

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    assert enough.wait(TIMEOUT), "the burst did not get going"
    assert server.kill() == -signal.SIGKILL  # while the writers are still writing
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive()

    restarted = start(servers, tmp_path, "--state-file", str(path))
    survived = set(state_ids(restarted))
    with lock:
        assert created - delete_sent <= survived, "an acknowledged create was lost"
        # beyond what was acknowledged, at most the creates in flight when it died
        assert len(survived - created) <= len(threads)
        assert len(delete_sent - deleted) <= len(threads)
        assert not survived & deleted, "an acknowledged delete came back"
        assert len(created) >= target
    # every survivor is a whole, valid template
    with httpx.Client(
        base_url=restarted.url, headers={"x-api-key": "k"}, timeout=TIMEOUT
    ) as client:
        listed = client.get(LIST, params={"limit": 10_000}).json()
        assert {t["id"] for t in listed["items"]} == survived


def test_restart_keeps_state_and_seed_applies_only_to_a_new_file(
    servers: list[ServerProcess], tmp_path: Path, path: Path
) -> None:
    seed = tmp_path / "seed.json"
    seeded = {
        **minimal_body(),
        "id": "seeded",
        "created_at": "2024-01-01T00:00:00Z",
        "created_by_user_id": "u",
        "created_by_identity_type": "user",
    }
    seed.write_text(json.dumps([seeded]))
    args = ("--state-file", str(path), "--seed-file", str(seed))
    first = start(servers, tmp_path, *args)
    with httpx.Client(base_url=first.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client:
        assert state_ids(first) == ["seeded"]
        assert client.delete(f"{LIST}/seeded").status_code == 200
        kept = client.post(LIST, json=minimal_body()).json()
    assert first.stop() == 0
    second = start(servers, tmp_path, *args)
    assert state_ids(second) == [kept["id"]]  # the deleted seed did not come back
    with httpx.Client(base_url=second.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client:
        assert client.get(f"{LIST}/{kept['id']}").json() == kept
        # admin changes are durable too
        assert client.post("/_fake/reset").status_code == 200
    assert second.stop(signal.SIGKILL) == -signal.SIGKILL
    third = start(servers, tmp_path, *args)
    assert state_ids(third) == []


def test_server_refuses_a_bad_state_file_with_one_line(tmp_path: Path, path: Path) -> None:
    path.write_bytes(b"not a database, just some bytes" * 50)
    before = path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "sgp_fake.cli", "serve", "--port", "0", "--state-file", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 1
    assert READY_PREFIX not in result.stdout
    assert result.stderr.strip() == (
        f"sgp-fake: error: {path} is not an sgp-fake state file (file is not a database)"
    )
    assert path.read_bytes() == before


def test_second_server_on_the_same_file_is_refused(
    servers: list[ServerProcess], tmp_path: Path, path: Path
) -> None:
    start(servers, tmp_path, "--state-file", str(path))
    result = subprocess.run(
        [sys.executable, "-m", "sgp_fake.cli", "serve", "--port", "0", "--state-file", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip() == f"sgp-fake: error: state file {path} is in use by another process"
    )


def test_server_clock_moves_are_durable_across_sigkill(
    servers: list[ServerProcess], tmp_path: Path, path: Path
) -> None:
    args = ("--state-file", str(path))
    first = start(servers, tmp_path, *args)
    with httpx.Client(base_url=first.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client:
        before = client.post(LIST, json=minimal_body(name="before")).json()
        moved = client.post("/_fake/clock", json={"advance": 601})
        assert moved.status_code == 200
        assert moved.json()["offset"] == 601
        # A reset leaves the clock where it is, as without a state file.
        assert client.post("/_fake/reset", params={"account_id": "acct_other"}).is_success
    # Killed as soon as the move was answered: what was answered is on disk.
    assert first.kill() == -signal.SIGKILL
    second = start(servers, tmp_path, *args)
    with httpx.Client(base_url=second.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client:
        assert client.get("/_fake/clock").json()["offset"] == 601
        after = client.post(LIST, json=minimal_body(name="after")).json()
        set_to = client.post("/_fake/clock", json={"set": "2031-01-01T00:00:00Z"})
        assert set_to.status_code == 200
    # Records made after the restart are dated after those made before it.
    elapsed = datetime.fromisoformat(after["created_at"]) - datetime.fromisoformat(
        before["created_at"]
    )
    assert elapsed.total_seconds() >= 601
    assert second.stop() == 0
    third = start(servers, tmp_path, *args)
    now = httpx.get(third.url + "/_fake/clock", timeout=TIMEOUT).json()["now"]
    assert 0 <= now - datetime(2031, 1, 1, tzinfo=UTC).timestamp() < TIMEOUT * 3
