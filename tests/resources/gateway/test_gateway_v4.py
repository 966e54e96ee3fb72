"""The top-level v4 ``POST /v4/chat-completions`` and ``POST /v4/completions`` through the v4
SDK (``scale_gp``): a model by its name alone, the v4 shapes, ``topK`` / ``topP`` on the wire,
``memory_strategy``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sgp_fake import FakeSettings, Identity, SGPFake

scale_gp = pytest.importorskip("scale_gp")

HELLO = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake()


def v4(fake: SGPFake, **kwargs: Any) -> Any:
    return fake.sdk_client(api_key="key", _strict_response_validation=True, max_retries=0, **kwargs)


def test_chat_by_name_says_what_the_beta_route_says(fake: SGPFake) -> None:
    client = v4(fake)
    answer = client.chat_completions.create(model="gpt-4o-mini", messages=HELLO)
    assert answer.chat_completion.message.role == "assistant"
    assert answer.chat_completion.finish_reason == "stop"
    beta = client.beta.chat.completions.create(model="openai/gpt-4o-mini", messages=HELLO)
    assert answer.chat_completion.message.content == beta.choices[0].message.content
    usage = answer.token_usage
    assert usage.total == usage.prompt + usage.completion
    assert usage.completion > 0


def test_model_parameters_travel_as_topk_topp_and_cut_the_text(fake: SGPFake) -> None:
    client = v4(fake)
    answer = client.chat_completions.create(
        model="gpt-4o-mini",
        messages=HELLO,
        model_parameters={"top_k": 2, "top_p": 0.5, "max_tokens": 3, "temperature": 0},
    )
    assert answer.chat_completion.finish_reason == "length"
    assert answer.token_usage.completion == 3
    (entry,) = [e for e in fake.journal if e.path == "/v4/chat-completions"]
    sent = json.loads(entry.body)
    assert sent["model_parameters"] == {"topK": 2, "topP": 0.5, "max_tokens": 3, "temperature": 0}
    whole = client.completions.create(model="gpt-4o", prompt="Hi").completion.text
    stop = whole.split()[2]
    cut = client.completions.create(
        model="gpt-4o", prompt="Hi", model_parameters={"stop_sequences": [stop]}
    )
    assert cut.completion.text == whole[: whole.find(stop)]


def test_memory_strategy_keeps_the_last_k_messages(fake: SGPFake) -> None:
    client = v4(fake)
    long = [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer"},
        {"role": "user", "content": "Hello"},
    ]
    kept = client.chat_completions.create(
        model="gpt-4o", messages=long, memory_strategy={"name": "last_k", "params": {"k": 1}}
    )
    alone = client.chat_completions.create(model="gpt-4o", messages=HELLO)
    whole = client.chat_completions.create(model="gpt-4o", messages=long)
    assert kept.chat_completion.message.content == alone.chat_completion.message.content
    assert whole.chat_completion.message.content != alone.chat_completion.message.content
    with pytest.raises(scale_gp.BadRequestError, match="k >= 1"):
        client.chat_completions.create(
            model="gpt-4o", messages=long, memory_strategy={"params": {"k": 0}}
        )


def test_streams_are_v4_completion_chunks_that_join_to_the_text(fake: SGPFake) -> None:
    client = v4(fake)
    whole = client.completions.create(model="gpt-4o", prompt="Hi").completion.text
    chunks = list(client.completions.create(model="gpt-4o", prompt="Hi", stream=True))
    assert all(c.completions[0][0] == "Hi" for c in chunks)
    assert "".join(c.completions[0][1][0] for c in chunks) == whole
    assert [c.finish_reason for c in chunks][-2:] == [None, "stop"]
    assert chunks[-1].response_tokens > 0
    chat = client.chat_completions.create(model="gpt-4o", messages=HELLO)
    streamed = list(client.chat_completions.create(model="gpt-4o", messages=HELLO, stream=True))
    assert "".join(c.completions[0][1][0] for c in streamed) == (
        chat.chat_completion.message.content
    )


def test_unknown_names_and_scripted_answers(fake: SGPFake) -> None:
    client = v4(fake)
    with pytest.raises(scale_gp.NotFoundError, match="gateway_models=\\['openai/my-model'\\]"):
        client.completions.create(model="my-model", prompt="Hi")
    fake.settings = FakeSettings(gateway_models=["openai/my-model"])
    assert client.completions.create(model="my-model", prompt="Hi").completion.text
    # the model matcher is vendor/name, whichever route named it
    fake.respond(model="openai/gpt-4o", prompt="joke", text="A joke.")
    told = client.chat_completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "a joke"}]
    )
    assert told.chat_completion.message.content == "A joke."


def test_the_body_account_is_checked_and_counted() -> None:
    fake = SGPFake(
        FakeSettings(api_keys={"key": Identity("u", accounts=frozenset({"acct_a", "acct_b"}))})
    )
    client = v4(fake)
    client.completions.create(model="gpt-4o", prompt="Hi", account_id="acct_b")
    with pytest.raises(scale_gp.PermissionDeniedError):
        client.completions.create(model="gpt-4o", prompt="Hi", account_id="acct_z")
    usage = [json.loads(r.body) for r in fake.tables["gateway_usage"].all()]
    assert [(u["account_id"], u["model"]) for u in usage] == [("acct_b", "openai/gpt-4o")]


@pytest.mark.parametrize("written", ["gpt-4o-mini", "openai/gpt-4o-mini"])
@pytest.mark.parametrize("route", ["chat", "completion"])
def test_rules_match_the_model_by_either_name(fake: SGPFake, written: str, route: str) -> None:
    # The route takes the name alone; a scripted answer and a fault rule written with that
    # name or with vendor/name both match, as the gateway's vendor/name always does.
    client = v4(fake)

    def ask() -> str:
        if route == "chat":
            answer = client.chat_completions.create(model="gpt-4o-mini", messages=HELLO)
            return str(answer.chat_completion.message.content)
        return str(client.completions.create(model="gpt-4o-mini", prompt="Hello").completion.text)

    fake.respond(model=written, text="scripted")
    assert ask() == "scripted"
    fake.respond(model="openai/gpt-4o", text="another model's")
    assert ask() != "another model's"
    rule = fake.faults.add(model=written, status=503)
    with pytest.raises(scale_gp.InternalServerError):
        ask()
    assert rule.hits == 1


@pytest.mark.parametrize("route", ["chat", "completion"])
def test_a_scripted_responses_chunks_are_the_streams_deltas(fake: SGPFake, route: str) -> None:
    # chunks split a word across events, as a model's tokenizer does; the stream keeps them
    client = v4(fake)
    fake.respond(model="gpt-4o", chunks=["Hel", "lo w", "orld"])

    def deltas(**parameters: Any) -> list[str]:
        if route == "chat":
            chunks = client.chat_completions.create(
                model="gpt-4o", messages=HELLO, stream=True, **parameters
            )
        else:
            chunks = client.completions.create(
                model="gpt-4o", prompt="Hello", stream=True, **parameters
            )
        return [chunk.completions[0][1][0] for chunk in chunks]

    assert deltas() == ["Hel", "lo w", "orld"]
    # cut short, the answer is no longer the chunks: one delta per token of what is left
    assert deltas(model_parameters={"max_tokens": 1}) == ["Hello"]


@pytest.mark.parametrize("route", ["/v4/chat-completions", "/v4/completions"])
def test_an_empty_model_name_is_a_400_not_a_model_to_add(fake: SGPFake, route: str) -> None:
    # A 404 would tell the caller to add the model 'openai/', which no setting accepts.
    body = {"model": "", "messages": HELLO, "prompt": "Hello"}
    with fake.client() as client:
        answer = client.post(route, json=body)
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "Model '' names no model: give its name, for example gpt-4o-mini"
    }
