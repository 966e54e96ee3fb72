"""What a newcomer reaches for next: one meaning of account_id, a cut call that keeps its script
step, fault rules on the request body, unused rules failing a test, the admin API on the live
server, a journal that keeps large streams compactly, and rule matching that scales."""

from __future__ import annotations

import gc
import json
import tracemalloc
from typing import Any

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.core.faults import FaultRule

UNRELATED = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:randomly")


def deploy(client: httpx.Client, account: str = "acct_1", name: str = "llama") -> dict[str, Any]:
    """A built-in COMPLETION model's READY deployment in ``account``."""
    model = client.post(
        "/v4/models", json={"account_id": account, "model_type": "COMPLETION", "name": name}
    ).json()
    deployments = client.get(f"/v4/models/{model['id']}/deployments").json()
    deployment: dict[str, Any] = deployments["items"][0]
    return deployment


def complete(client: httpx.Client, deployment: dict[str, Any], **body: Any) -> httpx.Response:
    return client.post(f"/v4/models/{deployment['id']}/completions", json={"prompt": "Hi", **body})


def streamed_text(response: httpx.Response) -> str:
    parts = []
    for line in response.text.splitlines():
        if line.startswith("data: "):
            parts.append(json.loads(line[6:])["completions"][0][1][0])
    return "".join(parts)


# -- 1. account_id: the account the call acts for ----------------------------------------------


def test_account_id_is_the_account_a_call_acts_for_everywhere() -> None:
    fake = SGPFake()
    client = fake.client()
    mine, theirs = deploy(client, "acct_1", "mine"), deploy(client, "acct_2", "theirs")
    fake.faults.add(account_id="acct_2", status=503, times=None)
    fake.respond(account_id="acct_1", text="for tenant one")

    # No account named: the deployment's account is the one the call acts for.
    assert complete(client, theirs).status_code == 503
    answered = complete(client, mine)
    assert answered.status_code == 200
    assert answered.json()["completions"][0][1] == ["for tenant one"]
    assert [e.account for e in fake.journal.calls("create_completion")] == ["acct_2", "acct_1"]

    # An account the request names wins over the deployment's.
    named = complete(client, mine, stream=False)
    assert named.status_code == 200
    fake.faults.clear()
    fake.faults.add(account_id="acct_9", status=418)
    asked = client.post(
        f"/v4/models/{mine['id']}/completions",
        json={"prompt": "Hi"},
        headers={"x-selected-account-id": "acct_9"},
    )
    assert asked.status_code == 418
    assert fake.journal.last().account == "acct_9"


# -- 2. a cut call keeps its step of a script ----------------------------------------------------


def test_a_cut_stream_does_not_advance_a_scripted_sequence() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    rule = fake.respond(texts=["first answer here", "second answer"])
    fake.faults.add(after=1, cut="truncate")
    cut = complete(client, deployment, stream=True)
    assert streamed_text(cut) == "first"  # one chunk, then the end
    assert fake.responses.rules()[0]["hits"] == 0
    retried = complete(client, deployment, stream=True)
    assert streamed_text(retried) == "first answer here"
    assert complete(client, deployment).json()["completions"][0][1] == ["second answer"]
    assert fake.responses.rules()[0]["hits"] == 2
    assert fake.journal.calls("create_completion")[0].response == rule["id"]


def test_a_reset_stream_gives_its_step_back_too() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    fake.respond(texts=["one two three", "four"])
    fake.faults.add(after=1, cut="reset")
    with pytest.raises(httpx.ReadError):
        complete(client, deployment, stream=True)
    assert streamed_text(complete(client, deployment, stream=True)) == "one two three"


def test_a_rule_whose_only_answer_was_cut_still_counts_as_used() -> None:
    # An agent test cuts the stream of a scripted tool call and checks the agent fails: the
    # rule answered (the journal names it), so assert_all_used must not say it matched nothing.
    fake = SGPFake()
    client = fake.client()
    rule = fake.respond(
        model="openai/gpt-4o-mini", tool_calls=[{"name": "get_weather", "arguments": {}}]
    )
    fake.faults.add(path="/v5/chat/completions", after=2, cut="reset")
    with pytest.raises(httpx.ReadError):
        client.post(
            "/v5/chat/completions",
            headers={"x-selected-account-id": "acct_1"},
            json={
                "model": "openai/gpt-4o-mini",
                "stream": True,
                "messages": [{"role": "user", "content": "Weather?"}],
            },
        )
    assert fake.journal.last().response == rule["id"]
    assert fake.responses.rules()[0]["hits"] == 0  # its step given back, for the retry
    assert fake.unused_rules() == []
    fake.assert_all_used()


# -- 5. fault rules on the request body --------------------------------------------------------


def test_a_fault_rule_matches_a_subset_of_the_json_body() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    rule = fake.faults.add(request_body={"stream": True}, status=503, times=None)
    assert complete(client, deployment).status_code == 200
    assert complete(client, deployment, stream=False).status_code == 200
    assert complete(client, deployment, stream=True).status_code == 503
    assert rule.hits == 1
    fake.faults.clear()
    fake.faults.add(request_body={"max_tokens": 5, "model_request_parameters": {}}, status=429)
    assert complete(client, deployment, max_tokens=5).status_code == 200  # no parameters
    assert (
        complete(
            client, deployment, max_tokens=5, model_request_parameters={"bindings": {"t": 1}}
        ).status_code
        == 429
    )


def test_body_matching_is_typed_json() -> None:
    rule = FaultRule(request_body={"stream": 1, "n": [1, {"a": True}]}, status=500)
    assert rule.matches("POST", "/x", None, body=b'{"stream": 1, "n": [1, {"a": true, "b": 2}]}')
    assert not rule.matches("POST", "/x", None, body=b'{"stream": true, "n": [1, {"a": true}]}')
    assert not rule.matches("POST", "/x", None, body=b'{"stream": 1, "n": [1]}')
    assert not rule.matches("POST", "/x", None, body=b"not json")
    with pytest.raises(ValueError, match="request_body"):
        FaultRule(request_body={"x": float("nan")}, status=500)


def test_body_rules_over_the_admin_api() -> None:
    fake = SGPFake(admin=True)
    client = fake.client()
    deployment = deploy(client)
    added = client.post("/_fake/faults", json={"request_body": {"stream": True}, "status": 503})
    assert added.status_code == 201
    assert added.json()["request_body"] == {"stream": True}
    assert complete(client, deployment).status_code == 200
    assert complete(client, deployment, stream=True).status_code == 503
    refused = client.post("/_fake/faults", json={"request_body": {"x": 1}})
    assert refused.status_code == 422  # matches, but does nothing


# -- 4. unused rules -----------------------------------------------------------------------------


def test_assert_all_used_names_each_unused_rule() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    used = fake.faults.add(path=f"/v4/models/{deployment['id']}/completions", latency=0.001)
    wrong = fake.faults.add(path="/v4/models/nope/completions", status=500)
    scripted = fake.respond(deployment="no-such-deployment", text="never")
    complete(client, deployment)
    assert used.hits == 1
    with pytest.raises(AssertionError) as raised:
        fake.assert_all_used()
    message = str(raised.value)
    assert "2 rule(s) never used" in message
    assert wrong.id in message
    assert "/v4/models/nope/completions" in message
    assert scripted["id"] in message
    assert "no-such-deployment" in message
    assert used.id not in message
    fake.faults.remove(wrong.id)
    fake.responses.remove(scripted["id"])
    fake.assert_all_used()


def test_the_marker_fails_a_test_whose_rules_went_unused(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sgp_fake(assert_all_used=True)
        def test_unused(sgp_fake):
            sgp_fake.faults.add(path="/v4/model-templates", status=503)
            sgp_fake.respond(model="ghost", text="boo")

        @pytest.mark.sgp_fake(assert_all_used=True)
        def test_used(sgp_fake, sgp_fake_client):
            sgp_fake.faults.add(path="/v4/model-templates", status=503)
            assert sgp_fake_client.get("/v4/model-templates").status_code == 503

        def test_not_asked(sgp_fake):
            sgp_fake.faults.add(path="/v4/model-templates", status=503)
        """
    )
    result = pytester.runpytest("--strict-markers", *UNRELATED)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*2 rule(s) never used (assert_all_used=True)*",
            "*fault fault_* (path='/v4/model-templates')*",
            "*response response_1 (model='ghost')*",
        ]
    )


def test_a_failed_tests_report_names_the_rules_that_went_unused(
    pytester: pytest.Pytester,
) -> None:
    # The script's model is not the one the code asks for: the code gets the default text and
    # the test fails on it; the report says which rules matched nothing.
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        def test_wrong_model(sgp_fake, sgp_beta_client):
            sgp_fake.respond(model="openai/gpt-4o", turn=0, text="Hello!")
            sgp_fake.respond(model="openai/gpt-4o-mini", prompt="Bye", text="Bye!")
            answer = sgp_beta_client.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
            )
            assert answer.choices[0].message.content == "Hello!"

        def test_all_used(sgp_fake, sgp_beta_client):
            sgp_fake.respond(model="openai/gpt-4o-mini", text="Hello!")
            answer = sgp_beta_client.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
            )
            assert answer.choices[0].message.content == "Goodbye!"
        """
    )
    result = pytester.runpytest("--strict-markers", *UNRELATED)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*- sgp-fake: rules never used -*",
            "response response_1 (model='openai/gpt-4o', turn=0)",
            "response response_2 (model='openai/gpt-4o-mini', prompt='Bye')",
        ]
    )
    assert result.stdout.str().count("rules never used") == 1


# -- 3. the admin API on sgp_fake_server ---------------------------------------------------------


def test_sgp_fake_server_serves_the_admin_api_on_request(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import subprocess, sys
        import httpx
        import pytest

        SCRIPT = '''
        import sys, httpx
        url, key = sys.argv[1], sys.argv[2]
        with httpx.Client(base_url=url, headers={"x-api-key": key}) as client:
            added = client.post("/_fake/responses", json={"text": "scripted over HTTP"})
            assert added.status_code == 201, added.text
            model = client.post("/v4/models", json={"account_id": "a", "model_type":
                "COMPLETION", "name": "m"}).json()
            dep = client.get(f"/v4/models/{model['id']}/deployments").json()["items"][0]
            answer = client.post(f"/v4/models/{dep['id']}/completions", json={"prompt": "x"})
            print(answer.json()["completions"][0][1][0])
        '''

        @pytest.mark.sgp_fake(serve_admin=True)
        def test_a_subprocess_scripts_the_fake(sgp_fake, sgp_fake_server):
            out = subprocess.run(
                [sys.executable, "-c", SCRIPT, sgp_fake_server.url, sgp_fake_server.api_key],
                capture_output=True, text=True, check=True,
            ).stdout
            assert out.strip() == "scripted over HTTP"
            assert sgp_fake.responses.rules()[0]["hits"] == 1

        def test_no_admin_api_by_default(sgp_fake_server):
            with sgp_fake_server.client() as client:
                assert client.get("/_fake/responses").status_code == 404
        """
    )
    pytester.runpytest("--strict-markers", *UNRELATED).assert_outcomes(passed=2)


# -- 8. the journal keeps large streams compactly ---------------------------------------------


def _kept_after(fake: SGPFake, deployment: dict[str, Any], prompt: str) -> tuple[bytes, int]:
    """A streamed completion's bytes, and how much memory stayed allocated once it was read."""
    client = fake.client()
    gc.collect()
    tracemalloc.start()
    try:
        response = complete(client, deployment, stream=True, prompt=prompt)
        sent = response.content
        del response
        gc.collect()
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return sent, kept - len(sent)


def test_the_journal_keeps_a_long_stream_compactly() -> None:
    fake = SGPFake(admin=True)
    client = fake.client()
    deployment = deploy(client)
    fake.respond(text=" ".join(f"word{i % 1000}" for i in range(10_000)))
    sent, kept = _kept_after(fake, deployment, "Tell me a long story")
    assert len(sent) > 600_000
    # What stays (the journal's entry, caches) is a small share of what was sent.
    assert kept < len(sent) // 5
    assert fake.journal.last().response_body == sent
    listed = client.get("/_fake/requests").json()["requests"][-1]["response_body"]
    assert listed == sent.decode()


def test_a_long_prompt_repeated_by_every_event_is_kept_once() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    fake.respond(text=" ".join(f"w{i}" for i in range(300)))
    # Longer than the window of zlib's matches: compression alone would keep every copy.
    prompt = " ".join(str(i * 7919 % 100_003) for i in range(7_000))  # 40 kB, no runs
    sent, kept = _kept_after(fake, deployment, prompt)
    assert len(sent) > 10_000_000
    assert kept < 200_000
    assert fake.journal.last().response_body == sent


def test_small_answers_are_kept_as_they_are() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    response = complete(client, deployment, stream=True)
    assert fake.journal.last().response_body == response.content
    assert isinstance(fake.journal._entries[-1][6], bytes)


# -- 9. matching thousands of rules ---------------------------------------------------------------


def test_thousands_of_fault_rules_are_not_scanned() -> None:
    fake = SGPFake()
    client = fake.client()
    deployments = [deploy(client, name=f"m{i}") for i in range(3)]
    for i in range(5_000):
        fake.faults.add(deployment=f"other-{i}", status=500)
    for i in range(5_000):
        fake.faults.add(path=f"/v4/models/other-{i}/completions", status=500)
    target = fake.faults.add(deployment=deployments[1]["id"], status=503)
    assert complete(client, deployments[0]).status_code == 200
    assert fake.faults.examined == 0
    assert complete(client, deployments[1]).status_code == 503
    assert fake.faults.examined == 1
    assert target.hits == 1
    # Rules for every path are still tried, in the order they were added.
    first = fake.faults.add(status=418)
    fake.faults.add(deployment=deployments[2]["id"], status=503)
    assert complete(client, deployments[2]).status_code == 418
    assert first.hits == 1
    assert fake.faults.examined == 1


def test_thousands_of_scripted_responses_are_not_scanned() -> None:
    fake = SGPFake()
    client = fake.client()
    deployment = deploy(client)
    for i in range(5_000):
        fake.respond(deployment=f"other-{i}", text=f"not this {i}")
    fake.respond(model="llama", text="by model")
    assert complete(client, deployment).json()["completions"][0][1] == ["by model"]
    assert fake.responses.examined == 1
    fake.respond(text="for every call")  # added last: tried after the model's
    assert complete(client, deployment).json()["completions"][0][1] == ["by model"]
    # A reset empties the index with the rules.
    fake.reset()
    deployment = deploy(client)
    fake.respond(deployment="prod", text="gone")
    assert complete(client, deployment).json()["completions"][0][1] != ["gone"]
    assert fake.responses.examined == 0


@pytest.mark.parametrize(
    "rule", [{"text": "x\ud800"}, {"texts": ["ok", "\udfff"]}, {"prompt": "\ud800", "text": "ok"}]
)
def test_a_scripted_response_with_a_lone_surrogate_is_refused_saying_so(
    rule: dict[str, Any],
) -> None:
    # No answer could carry the string (UTF-8 has no encoding for it): a ValueError that says
    # why, as the admin API's 400 does, not pydantic's serialization error.
    fake = SGPFake()
    with pytest.raises(ValueError, match="lone surrogate"):
        fake.respond(**rule)
    assert fake.responses.rules() == []
