"""Fault rules: the same rules, from Python or over HTTP, in process or on a real socket."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from sgp_fake import FaultRule, LiveServer, SGPFake
from sgp_fake.cli.process import ServerProcess
from sgp_fake.core.faults import FIRED_AT_KEPT, MAX_LATENCY
from tests.support.bodies import minimal_body

scale_gp = pytest.importorskip("scale_gp")

TIMEOUT = 30.0
LIST = "/v4/model-templates"


# -- in process, from Python -------------------------------------------------------------------


def test_status_fault_answers_its_status_headers_and_body(fake: SGPFake) -> None:
    rule = fake.faults.add(
        method="POST",
        path=LIST,
        status=429,
        headers={"retry-after": "3"},
        body={"detail": "busy"},
    )
    with fake.client() as client:
        answer = client.post(LIST, json=minimal_body())
        assert answer.status_code == 429
        assert answer.headers["retry-after"] == "3"
        assert answer.json() == {"detail": "busy"}
        assert len(fake.store) == 0  # the request was not handled
        assert client.post(LIST, json=minimal_body()).status_code == 200  # times=1: spent
    assert [e.fault for e in fake.journal] == [rule.id, None]
    assert fake.faults.list() == [rule]  # spent, still listed
    assert (rule.hits, rule.spent) == (1, True)


def test_default_fault_body_is_a_fastapi_error(fake: SGPFake) -> None:
    rule = fake.faults.add(path=LIST, status=503)
    with fake.client() as client:
        answer = client.get(LIST)
    assert answer.status_code == 503
    assert answer.json() == {"detail": f"Fault injected by sgp-fake ({rule.id})"}


@pytest.mark.parametrize("over", ["python", "the admin API"])
def test_a_string_body_is_sent_as_it_is_and_any_other_value_as_json(over: str) -> None:
    # A proxy's HTML page is a fault a client meets; a JSON string needs no special case.
    fake = SGPFake(admin=True)
    rules: list[dict[str, Any]] = [
        {
            "status": 502,
            "body": "<html>Bad gateway</html>",
            "headers": {"content-type": "text/html"},
        },
        {"status": 502, "body": "not json"},
        {"status": 502, "body": ["a", 1]},
    ]
    with fake.client() as client, fake.client(api_key=None) as admin:
        for rule in rules:
            if over == "python":
                fake.faults.add(path=LIST, **rule)
            else:
                assert admin.post("/_fake/faults", json={"path": LIST, **rule}).status_code == 201
        html, text, listed = (client.get(LIST) for _ in rules)
    assert (html.headers["content-type"], html.text) == ("text/html", "<html>Bad gateway</html>")
    assert (text.headers["content-type"], text.content) == ("application/json", b"not json")
    assert (listed.headers["content-type"], listed.json()) == ("application/json", ["a", 1])


def test_times_and_always(fake: SGPFake) -> None:
    fake.faults.add(path=LIST, status=500, times=2)
    with fake.client() as client:
        assert [client.get(LIST).status_code for _ in range(3)] == [500, 500, 200]
        always = fake.faults.add(path=LIST, status=502, times=None)
        assert [client.get(LIST).status_code for _ in range(4)] == [502] * 4
        assert always.hits == 4
        assert fake.faults.remove(always.id)
        assert client.get(LIST).status_code == 200


def test_matching_by_method_glob_and_account(fake: SGPFake) -> None:
    fake.faults.add(method="DELETE", path="/v4/model-templates/*", status=500, times=None)
    fake.faults.add(method="*", path=LIST, account_id="acct_2", status=503, times=None)
    with fake.client() as client:
        created = client.post(LIST, json=minimal_body()).json()
        assert client.get(f"{LIST}/{created['id']}").status_code == 200
        assert client.delete(f"{LIST}/{created['id']}").status_code == 500
        assert client.delete(f"{LIST}/other").status_code == 500
        # the account comes from the body, the query or the selected-account header
        assert client.post(LIST, json=minimal_body(account_id="acct_2")).status_code == 503
        assert client.get(LIST, params={"account_id": "acct_2"}).status_code == 503
        assert client.get(LIST, headers={"x-selected-account-id": "acct_2"}).status_code == 503
        assert client.get(LIST, params={"account_id": "acct_1"}).status_code == 200
        assert client.get(LIST).status_code == 200


def test_first_matching_rule_wins(fake: SGPFake) -> None:
    first = fake.faults.add(path=LIST, status=500)
    second = fake.faults.add(path="*", status=502)
    with fake.client() as client:
        assert [client.get(LIST).status_code for _ in range(3)] == [500, 502, 200]
    assert [e.fault for e in fake.journal] == [first.id, second.id, None]


@pytest.mark.parametrize("path", [123, None, ["/v4/models"]])
def test_a_rule_refused_for_its_path_s_type_is_not_kept(path: Any) -> None:
    fake = SGPFake()
    with pytest.raises(TypeError):
        fake.faults.add(path=path, status=500)
    assert fake.faults.list() == []
    assert fake.unused_rules() == []
    assert fake.faults.add(path=LIST, status=500).id == "fault_1"
    with fake.client() as client:
        assert client.get(LIST).status_code == 500


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", 503.5),
        ("status", "503"),
        ("times", 1.5),
        ("times", True),
        ("retry_after_ms", 1.5),
        ("latency", "1"),
        ("latency", True),
        ("account_id", 5),
        ("model", ["llama"]),
        ("method", None),
        ("headers", [("retry-after", "1")]),
        ("headers", {"retry-after": 1}),
    ],
)
def test_a_rule_of_the_wrong_type_is_refused_naming_its_field(field: str, value: Any) -> None:
    # POST /_fake/faults answers 422 for these; from Python they were kept (503.5 answered as
    # a status, 1.5 times fired twice, account 5 matched nothing) or failed inside a comparison.
    fake = SGPFake()
    spec: dict[str, Any] = {"path": LIST, "status": 503, field: value}
    with pytest.raises(TypeError, match=f"^{field} must be"):
        fake.faults.add(**spec)
    assert fake.faults.list() == []
    with fake.client() as client:
        assert client.get(LIST).status_code == 200


def test_rule_ids_count_from_one_in_each_fake() -> None:
    # A test's ids (in the journal, in an error event's message) must not depend on the tests
    # run before it in the process, as pytest-randomly and xdist order them.
    for _ in range(2):
        fake = SGPFake()
        given = fake.faults.add(FaultRule(path=LIST, status=500, id="fault_2"))
        first = fake.faults.add(path=LIST, status=502)
        third = fake.faults.add(FaultRule(path=LIST, status=503))
        assert (given.id, first.id, third.id) == ("fault_2", "fault_1", "fault_3")
        fake.reset()
        assert fake.faults.add(path=LIST, status=500).id == "fault_4"  # never an old rule's


def test_a_rule_given_an_id_another_rule_has_is_refused() -> None:
    fake = SGPFake()
    first = fake.faults.add(path=LIST, status=500)
    with pytest.raises(ValueError, match=r"fault_1.*exists already"):
        fake.faults.add(FaultRule(path=LIST, status=502, id=first.id))
    assert [r.id for r in fake.faults.list()] == ["fault_1"]
    fake.faults.remove("fault_1")  # once it is gone, the id is free for a rule given it
    assert fake.faults.add(FaultRule(path=LIST, status=502, id="fault_1")).status == 502


def test_latency_fault_delays_then_lets_through(fake: SGPFake) -> None:
    # A lower bound only: the machine may be slow, never fast beyond the sleep.
    fake.faults.add(path=LIST, latency=0.2)
    with fake.client() as client:
        started = time.monotonic()
        assert client.get(LIST).status_code == 200
        assert time.monotonic() - started >= 0.2
    assert fake.journal.last().timed_out is False


@pytest.mark.parametrize(
    ("kind", "error"), [("reset", httpx.ReadError), ("empty", httpx.RemoteProtocolError)]
)
def test_connection_faults_in_process_raise_what_a_socket_would(
    fake: SGPFake, kind: str, error: type[Exception]
) -> None:
    rule = fake.faults.add(path=LIST, connection=kind, times=2)
    with fake.client() as client, pytest.raises(error):
        client.get(LIST)

    async def via_async() -> None:
        async with fake.async_client() as client:
            await client.get(LIST)

    with pytest.raises(error):
        asyncio.run(via_async())
    entries = fake.journal.entries()
    assert [(e.status, e.fault) for e in entries] == [(None, rule.id), (None, rule.id)]
    with fake.client() as client:
        assert client.get(LIST).status_code == 200


@pytest.mark.parametrize(
    ("kind", "error"), [("reset", httpx.ReadError), ("empty", httpx.RemoteProtocolError)]
)
def test_connection_faults_on_a_real_socket(
    fake: SGPFake, kind: str, error: type[Exception]
) -> None:
    fake.faults.add(path=LIST, connection=kind)
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client,
    ):
        with pytest.raises(error):
            client.get(LIST)
        # the server lives on, and a new connection is served normally
        assert client.get(LIST).status_code == 200
    assert [e.status for e in fake.journal] == [None, 200]


# -- the official SDK against the standalone server -----------------------------------------------


def sdk(server: ServerProcess, max_retries: int) -> Any:
    return scale_gp.SGPClient(api_key="k", base_url=server.url, max_retries=max_retries)


def attempts(http: httpx.Client) -> list[tuple[int | None, str]]:
    journal = http.get("/_fake/requests").json()["requests"]
    return [(r["status"], r["headers"].get("x-stainless-retry-count", "")) for r in journal]


def test_sdk_retries_two_503s_and_succeeds(server: ServerProcess, http: httpx.Client) -> None:
    fault = {"method": "GET", "path": LIST, "status": 503, "times": 2}
    # retry-after-ms keeps the SDK's back-off short
    fault["headers"] = {"retry-after-ms": "10"}
    assert http.post("/_fake/faults", json=fault).status_code == 201
    with sdk(server, max_retries=2) as client:
        page = client.model_templates.list()
    assert page.items == []
    assert attempts(http) == [(503, "0"), (503, "1"), (200, "2")]
    (listed,) = http.get("/_fake/faults").json()["faults"]
    assert (listed["hits"], listed["spent"], len(listed["fired_at"])) == (2, True, 2)


def test_sdk_gives_up_when_the_faults_outlast_its_retries(
    server: ServerProcess, http: httpx.Client
) -> None:
    fault = {"path": LIST, "status": 503, "times": None, "headers": {"retry-after-ms": "10"}}
    http.post("/_fake/faults", json=fault)
    with sdk(server, max_retries=1) as client, pytest.raises(scale_gp.InternalServerError) as info:
        client.model_templates.create(**minimal_body())
    assert info.value.status_code == 503
    assert attempts(http) == [(503, "0"), (503, "1")]
    assert http.get("/_fake/state").json()["model_templates"] == []


def test_sdk_retries_a_reset_connection(server: ServerProcess, http: httpx.Client) -> None:
    http.post("/_fake/faults", json={"method": "POST", "path": LIST, "connection": "reset"})
    with sdk(server, max_retries=1) as client:
        created = client.model_templates.create(**minimal_body())
    assert attempts(http) == [(None, "0"), (200, "1")]
    journal = http.get("/_fake/requests").json()["requests"]
    assert journal[0]["fault"] is not None
    state = http.get("/_fake/state").json()["model_templates"]
    assert [t["id"] for t in state] == [created.id]  # the broken attempt created nothing


def test_sdk_reports_connection_errors_it_cannot_retry(
    server: ServerProcess, http: httpx.Client
) -> None:
    http.post("/_fake/faults", json={"path": LIST, "connection": "empty"})
    with sdk(server, max_retries=0) as client, pytest.raises(scale_gp.APIConnectionError):
        client.model_templates.list()
    assert attempts(http) == [(None, "0")]


def test_sdk_honours_429_fault_headers(server: ServerProcess, http: httpx.Client) -> None:
    fault = {
        "path": f"{LIST}/*",
        "status": 429,
        "headers": {"retry-after": "1", "retry-after-ms": "20"},
    }
    http.post("/_fake/faults", json=fault)
    with sdk(server, max_retries=1) as client, pytest.raises(scale_gp.NotFoundError):
        client.model_templates.retrieve("missing")
    assert attempts(http) == [(429, "0"), (404, "1")]


def test_journal_names_the_fault_over_http(http: httpx.Client) -> None:
    rule = http.post("/_fake/faults", json={"path": LIST, "status": 500}).json()
    assert http.get(LIST, headers={"x-api-key": "k"}).status_code == 500
    (entry,) = http.get("/_fake/requests").json()["requests"]
    assert entry["fault"] == rule["id"]
    assert entry["response_body"] == {"detail": f"Fault injected by sgp-fake ({rule['id']})"}


# -- which account a request is for ---------------------------------------------------------------


def test_a_list_fault_follows_the_query_account_over_the_selected_one(fake: SGPFake) -> None:
    for_header = fake.faults.add(path=LIST, account_id="acct_2", status=503, times=None)
    for_query = fake.faults.add(path=LIST, account_id="acct_1", status=502, times=None)
    with fake.client(headers={"x-selected-account-id": "acct_2"}) as client:
        assert client.get(LIST, params={"account_id": "acct_1"}).status_code == 502
        assert client.get(LIST).status_code == 503  # no query: the header names the account
    assert (for_query.hits, for_header.hits) == (1, 1)


def test_a_create_fault_follows_the_body_account_over_the_selected_one(fake: SGPFake) -> None:
    fake.faults.add(method="POST", path=LIST, account_id="acct_2", status=503, times=None)
    for_body = fake.faults.add(method="POST", path=LIST, account_id="acct_1", status=502)
    with fake.client(headers={"x-selected-account-id": "acct_2"}) as client:
        assert client.post(LIST, json=minimal_body(account_id="acct_1")).status_code == 502
    assert for_body.hits == 1


@pytest.mark.parametrize(
    ("query", "account"),
    [
        ("account_id=acct_1", "acct_1"),
        ("account_id=acct_1&account_id=acct_2", "acct_2"),  # a scalar: the last value
        ("account_id=acct_2&limit=5&account_id=acct_1", "acct_1"),
        ("account%5Fid=acct_1", "acct_1"),  # the name percent-encoded
        ("account_id=", "acct_h"),  # empty: as if absent, the header decides
        ("limit=5", "acct_h"),
    ],
)
def test_the_endpoint_and_the_fault_matcher_agree_on_the_account(
    fake: SGPFake, query: str, account: str
) -> None:
    with fake.client(headers={"x-selected-account-id": "acct_h"}) as client:
        for owner in ("acct_1", "acct_2", "acct_h"):
            assert client.post(LIST, json=minimal_body(account_id=owner)).status_code == 200
        listed = client.get(f"{LIST}?{query}").json()["items"]
        assert [t["account_id"] for t in listed] == [account]
        rules = {
            owner: fake.faults.add(path=LIST, account_id=owner, status=503)
            for owner in ("acct_1", "acct_2", "acct_h")
        }
        assert client.get(f"{LIST}?{query}").status_code == 503
    assert {owner for owner, rule in rules.items() if rule.hits} == {account}


# -- timeouts, as over a socket -------------------------------------------------------------------

SLOW = 30.0
"""A fault's latency, far beyond the clients' read timeout."""
QUICK = 0.2
"""The clients' read timeout."""
BOUND = 10.0
"""Generous: the timeout error must come at the deadline, long before SLOW has passed."""


def test_a_latency_past_the_read_timeout_raises_read_timeout_and_still_creates(
    fake: SGPFake,
) -> None:
    rule = fake.faults.add(method="POST", path=LIST, latency=SLOW)
    with fake.client(timeout=QUICK) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.post(LIST, json=minimal_body())
        assert QUICK * 0.9 <= time.monotonic() - started < BOUND
    assert len(fake.store) == 1  # the server got the request and handled it
    (entry,) = fake.journal
    assert (entry.status, entry.fault, entry.timed_out) == (200, rule.id, True)


def test_an_async_client_times_out_the_same_way(fake: SGPFake) -> None:
    fake.faults.add(method="POST", path=LIST, latency=SLOW)

    async def create() -> None:
        async with fake.async_client(timeout=QUICK) as client:
            await client.post(LIST, json=minimal_body())

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(create())
    assert time.monotonic() - started < BOUND
    assert len(fake.store) == 1
    assert fake.journal.last().timed_out


def test_the_settings_latency_also_stops_at_the_deadline(fake: SGPFake) -> None:
    fake.settings.latency = SLOW
    with fake.client(timeout=QUICK) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.get(LIST)
        assert time.monotonic() - started < BOUND
    assert fake.journal.last().timed_out


def test_the_deadline_counts_every_latency_of_the_exchange(fake: SGPFake) -> None:
    # Each latency alone is within the timeout, not both.
    fake.settings.latency = 0.3
    fake.faults.add(path=LIST, latency=0.3)
    with fake.client(timeout=0.5) as client, pytest.raises(httpx.ReadTimeout):
        client.get(LIST)
    assert fake.journal.last().timed_out


def test_a_client_that_timed_out_never_sees_the_broken_connection(fake: SGPFake) -> None:
    fake.faults.add(path=LIST, latency=SLOW, connection="reset")
    with fake.client(timeout=QUICK) as client, pytest.raises(httpx.ReadTimeout):
        client.get(LIST)
    entry = fake.journal.last()
    assert (entry.status, entry.timed_out) == (None, True)


def test_the_sdk_retries_a_timed_out_create_and_stores_it_again(fake: SGPFake) -> None:
    fake.faults.add(method="POST", path=LIST, latency=SLOW)  # the first attempt only
    with fake.sdk_client(timeout=QUICK, max_retries=1) as client:
        started = time.monotonic()
        created = client.model_templates.create(**minimal_body())
        assert time.monotonic() - started < BOUND
    assert len(fake.store) == 2  # the timed-out attempt, and the retry
    assert fake.store.all()[-1].id == created.id
    assert [(e.timed_out, e.headers["x-stainless-retry-count"]) for e in fake.journal] == [
        (True, "0"),
        (False, "1"),
    ]


def test_the_sdk_raises_its_timeout_error_when_every_attempt_times_out(fake: SGPFake) -> None:
    fake.faults.add(method="POST", path=LIST, latency=SLOW, times=None)
    with fake.sdk_client(timeout=QUICK, max_retries=1) as client:
        started = time.monotonic()
        with pytest.raises(scale_gp.APITimeoutError):
            client.model_templates.create(**minimal_body())
        assert time.monotonic() - started < BOUND
    assert len(fake.store) == 2
    assert [e.timed_out for e in fake.journal] == [True, True]


def test_the_async_sdk_raises_its_timeout_error_too(fake: SGPFake) -> None:
    fake.faults.add(method="POST", path=LIST, latency=SLOW, times=None)

    async def create() -> None:
        async with fake.async_sdk_client(timeout=QUICK, max_retries=1) as client:
            await client.model_templates.create(**minimal_body())

    started = time.monotonic()
    with pytest.raises(scale_gp.APITimeoutError):
        asyncio.run(create())
    assert time.monotonic() - started < BOUND
    assert len(fake.store) == 2
    assert [e.timed_out for e in fake.journal] == [True, True]


def test_over_a_socket_timed_out_creates_are_stored_too(fake: SGPFake) -> None:
    # The same outcome on a real socket, where the server waits out the whole latency.
    fake.faults.add(method="POST", path=LIST, latency=1.0, times=None)
    with LiveServer(fake.app) as server:
        client = scale_gp.SGPClient(api_key="k", base_url=server.url, timeout=QUICK, max_retries=1)
        with client, pytest.raises(scale_gp.APITimeoutError):
            client.model_templates.create(**minimal_body())
        deadline = time.monotonic() + BOUND
        while len(fake.journal) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert len(fake.store) == 2
    # The server saw each client close its connection during the wait.
    assert [(e.status, e.timed_out) for e in fake.journal] == [(200, True), (200, True)]


def test_over_a_socket_a_client_that_waits_out_the_latency_did_not_time_out(
    fake: SGPFake,
) -> None:
    fake.faults.add(method="POST", path=LIST, latency=0.05)
    with LiveServer(fake.app) as server, httpx.Client(base_url=server.url, timeout=BOUND) as client:
        sent = client.post(LIST, json=minimal_body(), headers={"x-api-key": "k"})
        after = client.get(LIST, headers={"x-api-key": "k"})  # the same connection, kept open
    assert (sent.status_code, after.status_code) == (200, 200)
    assert [e.timed_out for e in fake.journal] == [False, False]


# -- retry-after-ms -------------------------------------------------------------------------------


def retry_waits(client: Any) -> list[float]:
    """Record how long the SDK client waits before each retry."""
    waits: list[float] = []
    calculate = client._calculate_retry_timeout

    def recorded(*args: Any, **kwargs: Any) -> float:
        wait: float = calculate(*args, **kwargs)
        waits.append(wait)
        return wait

    client._calculate_retry_timeout = recorded
    return waits


def test_retry_after_ms_adds_its_header_unless_the_rule_has_one(fake: SGPFake) -> None:
    fake.faults.add(path=LIST, status=503, retry_after_ms=250)
    fake.faults.add(path=LIST, status=503, retry_after_ms=250, headers={"Retry-After-Ms": "5"})
    fake.faults.add(path=LIST, status=503)
    with fake.client() as client:
        answers = [client.get(LIST) for _ in range(3)]
    assert [a.headers.get_list("retry-after-ms") for a in answers] == [["250"], ["5"], []]


def test_the_sdk_waits_what_retry_after_ms_says(fake: SGPFake) -> None:
    fake.faults.add(path=LIST, status=503, times=2, retry_after_ms=7)
    with fake.sdk_client(max_retries=2) as client:
        waits = retry_waits(client)
        assert client.model_templates.list().items == []
    assert waits == [0.007, 0.007]
    assert [e.status for e in fake.journal] == [503, 503, 200]


def test_the_default_retry_after_ms_goes_to_status_rules_that_say_nothing(fake: SGPFake) -> None:
    assert fake.faults.default_retry_after_ms is None
    fake.faults.default_retry_after_ms = 1
    plain = fake.faults.add(path=LIST, status=503)
    own = fake.faults.add(path=LIST, status=503, retry_after_ms=40)
    seconds = fake.faults.add(path=LIST, status=429, headers={"Retry-After": "2"})
    slow = fake.faults.add(path=LIST, latency=0.01)
    assert [r.retry_after_ms for r in (plain, own, seconds, slow)] == [1, 40, None, None]
    with fake.client() as client:
        assert client.get(LIST).headers["retry-after-ms"] == "1"


def test_a_negative_retry_after_ms_is_refused() -> None:
    with pytest.raises(ValueError, match="retry_after_ms"):
        FaultRule(status=503, retry_after_ms=-1)


# -- spent rules ----------------------------------------------------------------------------------


def test_spent_rules_stay_listed_with_their_hits_and_firing_times(fake: SGPFake) -> None:
    rule = fake.faults.add(path=LIST, status=503, times=2)
    with fake.client() as client:
        before = time.time()
        assert [client.get(LIST).status_code for _ in range(3)] == [503, 503, 200]
        after = time.time()
    assert fake.faults.list() == [rule]
    assert (rule.hits, rule.spent) == (2, True)
    assert len(rule.fired_at) == 2
    assert before <= rule.fired_at[0] <= rule.fired_at[1] <= after
    assert rule.to_dict()["spent"] is True
    assert not fake.faults  # nothing can fire: the app is back on its direct path
    with fake.client() as client:
        assert client.get(LIST).status_code == 200
    assert rule.hits == 2
    assert fake.faults.remove(rule.id)
    assert fake.faults.list() == []


def test_spent_rules_go_on_clear_and_reset(fake: SGPFake) -> None:
    for forget in (fake.faults.clear, fake.reset):
        rule = fake.faults.add(path=LIST, status=503)
        with fake.client() as client:
            client.get(LIST)
        assert rule.spent
        forget()
        assert fake.faults.list() == []


def test_a_rule_keeps_its_latest_firing_times_only(fake: SGPFake) -> None:
    rule = fake.faults.add(path=LIST, latency=0.0001, times=None)
    with fake.client() as client:
        for _ in range(FIRED_AT_KEPT + 5):
            client.get(LIST)
    assert rule.hits == FIRED_AT_KEPT + 5
    assert len(rule.fired_at) == FIRED_AT_KEPT
    assert rule.fired_at == sorted(rule.fired_at)


@pytest.mark.parametrize("latency", [-1.0, float("nan"), float("inf"), 1e300, MAX_LATENCY * 2])
def test_a_latency_that_could_never_end_is_refused(latency: float) -> None:
    with pytest.raises(ValueError, match="latency"):
        FaultRule(latency=latency)


def test_the_admin_api_refuses_a_latency_that_could_never_end() -> None:
    fake = SGPFake(admin=True)
    with fake.client(api_key=None) as admin:
        for raw in (b'{"latency": 1e999}', b'{"latency": 1e300}', b'{"latency": -1}'):
            answer = admin.post("/_fake/faults", content=raw)
            assert answer.status_code == 422, answer.text
            assert answer.json()["detail"][0]["loc"] == ["body", "latency"]
        assert admin.get("/_fake/faults").json() == {"faults": []}
    # the longest allowed one is taken
    assert FaultRule(latency=MAX_LATENCY).latency == MAX_LATENCY


def test_a_rule_given_with_fields_beside_it_is_refused() -> None:
    # The fields were dropped without a word: this rule answered 500 once, not 503 every time.
    fake = SGPFake()
    with pytest.raises(TypeError, match=r"not both.*times, status"):
        fake.faults.add(FaultRule(path=LIST, status=500), times=None, status=503)
    assert fake.faults.list() == []
