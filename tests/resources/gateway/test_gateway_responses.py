"""``POST /v5/responses`` and ``POST /v5/inference`` through the clients that call them: the v5
SDK (``scale_gp_beta``, JSON only) and the plain ``openai`` client (Responses events)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.settings import FakeSettings

scale_gp_beta = pytest.importorskip("scale_gp_beta")
openai = pytest.importorskip("openai")

BASE = "https://api.egp.scale.com"
ACCOUNT = "acct_1"
MODEL = "openai/gpt-4o-mini"


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake()


def v5(fake: SGPFake, strict: bool = True) -> Any:
    return fake.beta_client(
        api_key="key", account_id=ACCOUNT, _strict_response_validation=strict, max_retries=0
    )


def plain(fake: SGPFake) -> Any:
    return openai.OpenAI(
        api_key="key",
        base_url=f"{BASE}/v5",
        default_headers={"x-selected-account-id": ACCOUNT},
        http_client=httpx.Client(transport=fake.transport()),
        _strict_response_validation=True,
        max_retries=0,
    )


def _text(response: Any) -> str:
    (message,) = [item for item in response.output if item.type == "message"]
    return str(message.content[0].text)


def test_the_same_text_as_json_to_the_sdk_and_as_events_to_openai(fake: SGPFake) -> None:
    sdk = v5(fake)
    whole = sdk.responses.create(model=MODEL, input="Hello")
    assert (whole.object, whole.status, whole.model) == ("response", "completed", MODEL)
    text = _text(whole)
    assert text
    assert whole.usage.output_tokens > 0
    # stream=True: the v5 SDK reads one JSON body, and gets the completed response
    assert _text(sdk.responses.create(model=MODEL, input="Hello", stream=True)) == text
    # the chat route says the same for the same conversation
    chat = sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hello"}])
    assert chat.choices[0].message.content == text
    client = plain(fake)
    assert client.responses.create(model=MODEL, input="Hello").output_text == text
    events = list(client.responses.create(model=MODEL, input="Hello", stream=True))
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 1
    assert "".join(deltas) == text
    assert events[-1].response.output_text == text


def test_accept_event_stream_asks_any_client_for_events(fake: SGPFake) -> None:
    with fake.client(api_key="key") as client:
        body = {"model": MODEL, "input": "Hi", "stream": True}
        headers = {"x-selected-account-id": ACCOUNT, "user-agent": "SGPClient/Python 0.7.0"}
        json_reply = client.post("/v5/responses", json=body, headers=headers)
        assert json_reply.headers["content-type"] == "application/json"
        events = client.post(
            "/v5/responses", json=body, headers={**headers, "accept": "text/event-stream"}
        )
    assert events.headers["content-type"].startswith("text/event-stream")
    assert events.text.startswith("event: response.created\ndata: ")
    assert "[DONE]" not in events.text  # the stream ends by closing, as OpenAI's does


def test_instructions_items_and_max_output_tokens(fake: SGPFake) -> None:
    sdk = v5(fake)
    items = [
        {"role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
    ]
    by_items = sdk.responses.create(model=MODEL, input=items)
    assert _text(by_items) == _text(sdk.responses.create(model=MODEL, input="Hello"))
    told = sdk.responses.create(model=MODEL, input="Hello", instructions="Be brief")
    assert _text(told) != _text(by_items)  # the system message is part of the conversation
    cut = sdk.responses.create(model=MODEL, input="Hello", max_output_tokens=2)
    assert cut.status == "incomplete"
    assert cut.incomplete_details.reason == "max_output_tokens"
    assert cut.usage.output_tokens == 2


def test_scripted_chunks_are_the_deltas_of_the_events(fake: SGPFake) -> None:
    # As on chat and completions: each chunk one delta, even the pieces of one word.
    fake.respond(prompt="Hi", chunks=["Hel", "lo w", "orld", "!"])
    events = list(plain(fake).responses.create(model=MODEL, input="Hi", stream=True))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert deltas == ["Hel", "lo w", "orld", "!"]
    assert events[-1].response.output_text == "Hello world!"
    # Cut by max_output_tokens, the text is no longer the chunks: its own deltas, joined right.
    events = list(
        plain(fake).responses.create(model=MODEL, input="Hi", stream=True, max_output_tokens=1)
    )
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == events[-1].response.output_text != "Hello world!"


def test_another_vendor_is_refused_and_an_unknown_model_says_how_to_add_it(
    fake: SGPFake,
) -> None:
    sdk = v5(fake)
    with pytest.raises(scale_gp_beta.BadRequestError, match="unsupported vendor 'anthropic'"):
        sdk.responses.create(model="anthropic/claude-3-5-sonnet-20241022", input="Hi")
    with pytest.raises(scale_gp_beta.NotFoundError, match="gateway_models"):
        sdk.responses.create(model="openai/gpt-nope", input="Hi")


def test_a_scripted_tool_call_loop(fake: SGPFake) -> None:
    fake.respond(model=MODEL, turn=0, tool_calls=[{"name": "lookup", "arguments": {"q": "x"}}])
    fake.respond(model=MODEL, tool_result=True, text="Found it.")
    client = plain(fake)
    first = client.responses.create(model=MODEL, input="Find x")
    (call,) = first.output
    assert (call.type, call.name) == ("function_call", "lookup")
    assert json.loads(call.arguments) == {"q": "x"}
    assert call.call_id.startswith("call_")
    second = client.responses.create(
        model=MODEL,
        input=[
            {"role": "user", "content": "Find x"},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": "lookup",
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "x=1"},
        ],
    )
    assert second.output_text == "Found it."
    # streamed (the first rule again): the arguments as deltas that join to the whole
    events = list(client.responses.create(model=MODEL, input="Find y", stream=True))
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert json.loads("".join(deltas)) == {"q": "x"}


def test_the_calls_of_one_answer_are_one_turn(fake: SGPFake) -> None:
    # An answer with text and two calls, sent back as its output items and their results:
    # one assistant turn, as the chat route counts one message with its tool calls.
    fake.respond(
        model=MODEL,
        turn=0,
        text="Looking both up.",
        tool_calls=[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}],
    )
    fake.respond(model=MODEL, turn=1, text="Turn one.")
    fake.respond(model=MODEL, turn=2, text="Turn two.")
    client = plain(fake)
    items: list[Any] = [{"role": "user", "content": "Look up a and b"}]
    first = client.responses.create(model=MODEL, input=items)
    assert [item.type for item in first.output] == ["message", "function_call", "function_call"]
    items += [item.model_dump(exclude_none=True) for item in first.output]
    items += [
        {"type": "function_call_output", "call_id": item.call_id, "output": "1"}
        for item in first.output
        if item.type == "function_call"
    ]
    assert client.responses.create(model=MODEL, input=items).output_text == "Turn one."
    # A call after a tool's result is the next answer: another turn.
    items += [
        {"type": "function_call", "call_id": "call_2", "name": "a", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_2", "output": "2"},
    ]
    assert client.responses.create(model=MODEL, input=items).output_text == "Turn two."


def test_previous_response_id_and_store_are_echoed(fake: SGPFake) -> None:
    with fake.client(headers={"x-selected-account-id": ACCOUNT}) as client:
        body = {"model": MODEL, "input": "Hi"}
        default = client.post("/v5/responses", json=body).json()
        assert (default["previous_response_id"], default["store"]) == (None, True)
        sent = {**body, "previous_response_id": "resp_1", "store": False}
        echoed = client.post("/v5/responses", json=sent).json()
        assert (echoed["previous_response_id"], echoed["store"]) == ("resp_1", False)


@pytest.mark.parametrize(
    "echoed",
    [
        b'"instructions": "\\ud800"',
        b'"tools": [{"type": "function", "name": "\\ud800"}]',
        b'"metadata": {"k": "\\ud800"}',
        b'"previous_response_id": "\\ud800"',
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_a_lone_surrogate_the_answer_would_echo_is_a_400_streamed_or_not(
    fake: SGPFake, echoed: bytes, stream: bool
) -> None:
    # JSON carries a lone surrogate, UTF-8 cannot: the response (and its events) would echo it.
    fake.respond(model=MODEL, texts=["first", "second"])
    body = b'{"model": "openai/gpt-4o-mini", "input": "Hi", %s, "stream": %s}' % (
        echoed,
        b"true" if stream else b"false",
    )
    headers = {"content-type": "application/json", "x-selected-account-id": ACCOUNT}
    with fake.client(headers=headers) as client:
        refused = client.post("/v5/responses", content=body)
    assert (refused.status_code, refused.json()["detail"]) == (
        400,
        "There was an error parsing the body",
    )
    assert len(fake.tables["gateway_usage"]) == 0
    assert plain(fake).responses.create(model=MODEL, input="Hi").output_text == "first"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32-be"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_lone_surrogate_in_a_utf16_or_utf32_body_is_a_400_too(
    fake: SGPFake, encoding: str, stream: bool
) -> None:
    # json reads UTF-16 and UTF-32 bodies too; their escapes have NULs between the characters.
    fake.respond(model=MODEL, texts=["first", "second"])
    body = '{"model": "openai/gpt-4o-mini", "input": "Hi", "instructions": "\\uD800", "stream": %s}'
    content = (body % ("true" if stream else "false")).encode(encoding)
    headers = {"content-type": "application/json", "x-selected-account-id": ACCOUNT}
    with fake.client(headers=headers) as client:
        refused = client.post("/v5/responses", content=content)
        assert refused.status_code == 400
        assert refused.json()["detail"] == "There was an error parsing the body"
        plain_body = content.decode(encoding).replace("\\uD800", "Be brief.").encode(encoding)
        assert client.post("/v5/responses", content=plain_body).status_code == 200
    assert plain(fake).responses.create(model=MODEL, input="Hi").output_text == "second"


@pytest.mark.parametrize("stream", [False, True])
def test_in_contract_mode_a_model_the_answer_would_echo_is_a_400(stream: bool) -> None:
    fake = SGPFake(settings=FakeSettings(contract=True))  # any model name is served
    body = b'{"model": "m\\ud800", "input": "Hi", "stream": %s}' % (b"true" if stream else b"false")
    headers = {"content-type": "application/json", "x-selected-account-id": ACCOUNT}
    with fake.client(headers=headers) as client:
        assert client.post("/v5/responses", content=body).status_code == 400


def test_async_clients(fake: SGPFake) -> None:
    async def go() -> tuple[str, str]:
        sdk = fake.async_beta_client(api_key="key", account_id=ACCOUNT, max_retries=0)
        client = openai.AsyncOpenAI(
            api_key="key",
            base_url=f"{BASE}/v5",
            default_headers={"x-selected-account-id": ACCOUNT},
            http_client=httpx.AsyncClient(transport=fake.async_transport()),
            max_retries=0,
        )
        whole = await sdk.responses.create(model=MODEL, input="Hi", stream=True)  # JSON
        stream = await client.responses.create(model=MODEL, input="Hi", stream=True)
        joined = "".join([e.delta async for e in stream if e.type == "response.output_text.delta"])
        await sdk.close()
        await client.close()
        return _text(whole), joined

    whole, joined = asyncio.run(go())
    assert whole == joined


# -- /v5/inference ---------------------------------------------------------------------------------


def test_inference_answers_json_for_chat_prompt_and_input_args(fake: SGPFake) -> None:
    sdk = v5(fake)
    chat = sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    expected = chat.choices[0].message.content
    for args in (
        {"messages": [{"role": "user", "content": "Hi"}]},
        {"input": "Hi"},
    ):
        answer = sdk.inference.create(model=MODEL, args=args)
        assert answer.object == "generic_inference"
        assert answer.response["text"] == expected
        assert answer.response["usage"]["completion_tokens"] > 0
    cut = sdk.inference.create(
        model=MODEL, args={"prompt": "Hi", "max_tokens": 1, "stream": True}
    )  # args.stream changes nothing: the SDK reads only JSON here
    assert cut.response["finish_reason"] == "length"
    fake.respond(model=MODEL, prompt="weather", text="Sunny.")
    scripted = sdk.inference.create(model=MODEL, args={"prompt": "the weather"})
    assert scripted.response["text"] == "Sunny."
    with pytest.raises(scale_gp_beta.NotFoundError):
        sdk.inference.create(model="openai/unknown-model", args={"prompt": "Hi"})


def test_calls_count_in_the_accounts_usage(fake: SGPFake) -> None:
    sdk = v5(fake)
    sdk.responses.create(model=MODEL, input="Hi")
    sdk.inference.create(model=MODEL, args={"input": "Hi"})
    usage = [json.loads(record.body) for record in fake.tables["gateway_usage"].all()]
    assert [(u["operation"], u["account_id"]) for u in usage] == [
        ("create_gateway_response", ACCOUNT),
        ("create_gateway_inference", ACCOUNT),
    ]


def test_the_admin_schema_says_the_responses_api_takes_tool_calls_and_their_matchers() -> None:
    # A user scripting a Responses agent reads these descriptions in /openapi.json.
    with SGPFake(admin=True).client(api_key=None) as admin:
        schemas = admin.get("/openapi.json").json()["components"]["schemas"]
    fields = schemas["ResponseSpec"]["properties"]
    for name in ("tool_calls", "tool_result", "turn"):
        assert "Responses" in fields[name]["description"], name
        assert "chat only" not in fields[name]["description"], name
