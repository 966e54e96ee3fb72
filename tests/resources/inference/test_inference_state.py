"""Scripted responses and usage records are state like any other: set in process, by the pytest
marker or fixture, over the admin API; emptied by resets (whole and per account); listed in the
state document; kept in state files; and a deployment's usage goes with it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from pydantic import ValidationError

from sgp_fake import FakeSettings, Identity, SGPFake
from sgp_fake.cli.process import ServerProcess
from sgp_fake.factories import OMIT, seed_deployment
from sgp_fake.inference import completion_text
from sgp_fake.resources.usage.schemas import UsageRecord

TIMEOUT = 30.0


def chat_deployment(fake: SGPFake, account_id: str = "acct_1", seed: int = 1) -> dict[str, Any]:
    """A READY deployment of a chat model with no request parameters to bind."""
    seeded = seed_deployment(
        fake,
        account_id=account_id,
        seed=seed,
        template={"model_type": "CHAT_COMPLETION", "model_request_parameters_schema": OMIT},
    )
    return {"model": seeded.model, "deployment": seeded.deployment}


def say(client: httpx.Client, deployment_id: str, prompt: str = "hi") -> str:
    answer = client.post(f"/v4/models/{deployment_id}/completions", json={"prompt": prompt})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["completions"][0][1][0])


@pytest.fixture
def admin_fake() -> SGPFake:
    return SGPFake(admin=True)


@pytest.fixture
def client(admin_fake: SGPFake) -> Iterator[httpx.Client]:
    with admin_fake.client() as client:
        yield client


# -- in process ---------------------------------------------------------------------------------


def test_rules_are_added_listed_and_removed_in_process(admin_fake: SGPFake) -> None:
    first = admin_fake.respond(text="one")
    second = admin_fake.respond(deployment="prod", texts=["a", "b"], account_id="acct_1")
    assert (first["id"], second["id"]) == ("response_1", "response_2")
    assert (first["account_id"], first["hits"]) == ("*", 0)
    assert admin_fake.responses.rules() == [first, second]
    assert admin_fake.responses.remove("response_1")
    assert not admin_fake.responses.remove("response_1")
    assert admin_fake.respond(text="three")["id"] == "response_3"  # ids are never reused
    for bad in ({}, {"text": "a", "texts": ["b"]}, {"text": "a", "colour": 1},
                {"prompt_regex": "(", "text": "a"}, {"texts": []}, {"dimensions": 0}):  # fmt: skip
        with pytest.raises(ValidationError):
            admin_fake.respond(**bad)


def test_resets_empty_the_rules_whole_or_by_account(admin_fake: SGPFake) -> None:
    admin_fake.respond(text="any account")
    admin_fake.respond(text="mine", account_id="acct_1")
    admin_fake.respond(text="theirs", account_id="acct_2")
    admin_fake.reset("acct_1")
    assert [r["text"] for r in admin_fake.responses.rules()] == ["any account", "theirs"]
    admin_fake.reset()
    assert admin_fake.responses.rules() == []


# -- over the admin API -------------------------------------------------------------------------


def test_the_admin_api_scripts_answers(admin_fake: SGPFake, client: httpx.Client) -> None:
    deployment = chat_deployment(admin_fake)["deployment"]
    added = client.post("/_fake/responses", json={"deployment": deployment["name"],
                                                  "texts": ["first", "second"]})  # fmt: skip
    assert added.status_code == 201
    rule = added.json()
    assert rule == {"account_id": "*", "deployment": deployment["name"],
                    "texts": ["first", "second"], "id": "response_1", "hits": 0}  # fmt: skip
    assert [say(client, deployment["id"]) for _ in range(3)] == ["first", "second", "second"]
    listed = client.get("/_fake/responses").json()["responses"]
    assert listed == [{**rule, "hits": 3}]
    journal = client.get("/_fake/requests", params={"limit": 1}).json()["requests"][0]
    assert (journal["response"], journal["rule"], journal["fault"]) == ("response_1", "response_1",
                                                                        None)  # fmt: skip
    refused = client.post("/_fake/responses", json={"text": "a", "colour": "red"})
    assert (refused.status_code, refused.json()["detail"][0]["type"]) == (422, "extra_forbidden")
    assert client.delete("/_fake/responses/response_9").status_code == 404
    assert client.delete("/_fake/responses/response_1").json() == {"responses": []}
    client.post("/_fake/responses", json={"text": "x"})
    assert client.delete("/_fake/responses").json() == {"responses": []}
    assert say(client, deployment["id"]) == completion_text(
        admin_fake.models.get(deployment["model_instance_id"]).as_dict()["name"], "hi"
    )


def test_the_state_document_carries_rules_and_usage(
    admin_fake: SGPFake, client: httpx.Client
) -> None:
    deployment = chat_deployment(admin_fake)["deployment"]
    admin_fake.respond(model="x", text="scripted")
    say(client, deployment["id"], "one two three")
    state = client.get("/_fake/state").json()
    (usage,) = state["usage"]
    assert (usage["model_deployment_id"], usage["prompt_tokens"]) == (deployment["id"], 3)
    assert usage["operation"] == "create_completion"
    assert state["responses"][0]["text"] == "scripted"
    # a document round-trips, and one whose usage names no deployment of it is refused
    assert client.put("/_fake/state", json=state).json() == state
    dangling = {**state, "deployments": []}
    refused = client.put("/_fake/state", json=dangling)
    assert refused.status_code == 422
    where = [error["loc"] for error in refused.json()["detail"]]
    assert ["body", "usage", 0, "model_deployment_id"] in where


def test_a_usage_record_is_written_as_its_model_writes_it(admin_fake: SGPFake) -> None:
    deployment = chat_deployment(admin_fake)["deployment"]
    with admin_fake.client() as client:
        say(client, deployment["id"], "naïve café")
    (record,) = admin_fake.usage.all()
    model = UsageRecord.model_validate_json(record.body)
    assert record.body == model.model_dump_json(exclude_none=True).encode()
    assert (model.prompt_tokens, model.model_deployment_id) == (2, deployment["id"])


def test_usage_goes_with_its_deployment_and_its_account(admin_fake: SGPFake) -> None:
    mine = chat_deployment(admin_fake, "acct_1", seed=1)
    theirs = chat_deployment(admin_fake, "acct_2", seed=2)
    with admin_fake.client() as client:
        say(client, mine["deployment"]["id"])
        say(client, theirs["deployment"]["id"])
        assert len(admin_fake.usage) == 2
        gone = client.delete(
            f"/v4/models/{mine['model']['id']}/deployments/{mine['deployment']['id']}"
        )
        assert gone.status_code == 200
    assert [r.account_id for r in admin_fake.usage.all()] == ["acct_2"]
    admin_fake.reset("acct_2")
    assert len(admin_fake.usage) == 0


def test_rules_and_usage_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    fake = SGPFake(state_file=path)
    deployment = chat_deployment(fake)["deployment"]
    first = fake.respond(text="removed before the restart")
    fake.respond(texts=["before", "after"])
    assert fake.responses.remove(first["id"])
    with fake.client() as client:
        assert say(client, deployment["id"]) == "before"
    fake.close()
    again = SGPFake(state_file=path)
    try:
        assert again.responses.rules()[0]["hits"] == 1
        assert len(again.usage) == 1
        with again.client() as client:
            assert say(client, deployment["id"]) == "after"  # the conversation goes on
        # Numbered on after the highest rule held: response_1 was someone else's.
        assert again.respond(text="new")["id"] == "response_3"
    finally:
        again.close()


def test_the_server_scripts_over_http(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    fake = SGPFake()
    graph = chat_deployment(fake)
    document = {kind: [r.as_dict() for r in table.all()] for kind, table in fake.tables.items()}
    seed.write_text(json.dumps(document))
    with (
        ServerProcess(
            "--seed-file", str(seed), timeout=TIMEOUT, stderr=tmp_path / "stderr.log"
        ) as server,  # fmt: skip
        httpx.Client(base_url=server.url, timeout=TIMEOUT, headers={"x-api-key": "k"}) as http,
    ):
        http.post("/_fake/responses", json={"prompt": "weather", "text": "Sunny."})
        assert say(http, graph["deployment"]["id"], "the weather?") == "Sunny."
        assert http.post("/_fake/reset").status_code == 200
        assert http.get("/_fake/responses").json() == {"responses": []}


# -- from pytest --------------------------------------------------------------------------------

PLUGIN_TEST = """
import pytest

from sgp_fake.factories import OMIT, seed_deployment


@pytest.fixture
def sgp_fake_responses():
    return [{"prompt": "hello", "text": "from the fixture"}, {"text": "fallback"}]


def say(client, fake, prompt):
    deployment = seed_deployment(
        fake, seed=1, template={"model_type": "COMPLETION", "model_request_parameters_schema": OMIT}
    ).deployment
    answer = client.post(f"/v4/models/{deployment['id']}/completions", json={"prompt": prompt})
    return answer.json()["completions"][0][1][0]


def test_the_fixture_scripts_every_test(sgp_fake, sgp_fake_client):
    assert say(sgp_fake_client, sgp_fake, "hello there") == "from the fixture"
    assert say(sgp_fake_client, sgp_fake, "bye") == "fallback"


@pytest.mark.sgp_fake(responses=[{"prompt": "hello", "text": "from the marker"}])
def test_the_marker_comes_first(sgp_fake, sgp_fake_client):
    assert say(sgp_fake_client, sgp_fake, "hello there") == "from the marker"
    assert [r["text"] for r in sgp_fake.responses.rules()] == [
        "from the marker", "from the fixture", "fallback"
    ]


@pytest.mark.sgp_fake(responses=[{"colour": "red"}])
def test_a_bad_rule_is_a_usage_error(sgp_fake):
    pass
"""


def test_the_marker_and_the_fixture_script_a_tests_fake(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_scripts=textwrap.dedent(PLUGIN_TEST))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*not a scripted response*colour*"])


def test_rules_for_an_account_answer_only_its_deployments() -> None:
    fake = SGPFake(FakeSettings(api_keys={"k": Identity("u")}))
    mine = chat_deployment(fake, "acct_1", seed=1)["deployment"]
    theirs = chat_deployment(fake, "acct_2", seed=2)["deployment"]
    fake.respond(account_id="acct_2", text="for acct_2")
    with fake.client(api_key="k") as client:
        assert say(client, theirs["id"]) == "for acct_2"
        assert say(client, mine["id"]) != "for acct_2"


def test_caches_keep_no_large_record_or_prompt_alive() -> None:
    # Caches outlive every fake: a megabyte model card or prompt must not be held by one.
    from sgp_fake.resources.inference import handlers, text

    big = b'{"model_card": "%s"}' % (b"x" * 100_000)
    small = b'{"model_card": "x"}'
    before = handlers._data.cache_info().currsize  # type: ignore[attr-defined]
    assert handlers._data(big)["model_card"] == "x" * 100_000
    assert handlers._data.cache_info().currsize == before  # type: ignore[attr-defined]
    handlers._data(small)
    assert handlers._data.cache_info().currsize >= 1  # type: ignore[attr-defined]
    long_prompt = "word " * 5000
    before = text._completion.cache_info().currsize
    first = completion_text("m", long_prompt)
    assert text._completion.cache_info().currsize == before
    assert completion_text("m", long_prompt) == first
    completion_text("m", "a short prompt for the cache test")
    assert text._completion.cache_info().currsize >= 1


def test_a_regex_too_large_to_compile_is_refused_as_a_bad_value(admin_fake: SGPFake) -> None:
    huge = "a{99999999999}"  # re raises OverflowError, not re.error
    with pytest.raises(ValidationError):
        admin_fake.respond(prompt_regex=huge, text="x")
    with admin_fake.client(api_key=None) as admin:
        rules = (("/_fake/responses", {"text": "x"}), ("/_fake/faults", {"status": 503}))
        for route, rule in rules:
            answer = admin.post(route, json={**rule, "prompt_regex": huge})
            assert answer.status_code == 422, (route, answer.text)
            assert answer.json()["detail"][0]["loc"] == ["body", "prompt_regex"]


def test_a_call_refused_for_its_prompt_takes_no_step_of_a_script(
    admin_fake: SGPFake, client: httpx.Client
) -> None:
    deployment = chat_deployment(admin_fake)["deployment"]
    rule = admin_fake.respond(texts=["first", "second"])
    json_type = {"content-type": "application/json"}
    # JSON carries a lone surrogate, UTF-8 cannot: the answer could not echo it.
    path = f"/v4/models/{deployment['id']}/completions"
    refused = client.post(path, content=b'{"prompt": "a \\ud800"}', headers=json_type)
    assert refused.status_code == 400
    execute = f"/v4/models/{deployment['model_instance_id']}/deployments/{deployment['id']}/execute"
    refused = client.post(execute, content=b'{"prompts": ["x", "\\udc00"]}', headers=json_type)
    assert refused.status_code == 400
    assert admin_fake.responses.rules()[0]["hits"] == 0
    assert say(client, deployment["id"]) == "first"
    assert admin_fake.responses.rules() == [{**rule, "hits": 1}]


def test_a_stream_is_written_as_the_client_reads_it(
    admin_fake: SGPFake, client: httpx.Client
) -> None:
    # Every event repeats the prompt: 2,000 deltas of a 200 KB prompt are 400 MB in all.
    import tracemalloc

    deployment = chat_deployment(admin_fake)["deployment"]
    admin_fake.respond(text=" ".join(["word"] * 2000))
    body = {"prompt": "p" * 200_000, "stream": True}
    tracemalloc.start()
    try:
        path = f"/v4/models/{deployment['id']}/completions"
        with client.stream("POST", path, json=body) as answer:
            first = next(answer.iter_raw())
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert first.startswith(b'data: {"completions":[["ppp')
    assert peak < 40_000_000, peak  # a few events' worth, not the whole stream


def test_optional_request_parameters_may_be_left_out(admin_fake: SGPFake) -> None:
    optional = {"name": "top_k", "type": "int", "description": "", "required": False}
    seeded = seed_deployment(
        admin_fake,
        account_id="acct_1",
        seed=3,
        template={
            "model_type": "COMPLETION",
            "model_request_parameters_schema": {"parameters": [optional]},
        },
    )
    path = f"/v4/models/{seeded.deployment['id']}/completions"
    with admin_fake.client() as client:
        assert client.post(path, json={"prompt": "a"}).status_code == 200
        bound = {"prompt": "a", "model_request_parameters": {"bindings": {"top_k": 3}}}
        assert client.post(path, json=bound).status_code == 200
        typo = {"prompt": "a", "model_request_parameters": {"bindings": {"topk": 3}}}
        refused = client.post(path, json=typo)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == [
        "body",
        "model_request_parameters",
        "bindings",
        "topk",
    ]
