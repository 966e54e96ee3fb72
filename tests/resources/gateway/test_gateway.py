"""The OpenAI-style gateway through the three clients that call it: ``scale_gp_beta`` (v5),
``scale_gp``'s ``beta`` namespace (v4) and the plain ``openai`` client, in process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from sgp_fake import SGPFake
from sgp_fake.core.faults import FaultRule
from sgp_fake.settings import FakeSettings

scale_gp_beta = pytest.importorskip("scale_gp_beta")
scale_gp = pytest.importorskip("scale_gp")
openai = pytest.importorskip("openai")

BASE = "https://api.egp.scale.com"
ACCOUNT = "acct_1"
MODEL = "openai/gpt-4o-mini"
HELLO = [{"role": "user", "content": "Hello"}]


def v5(fake: SGPFake, strict: bool = True) -> Any:
    return scale_gp_beta.SGPClient(
        api_key="key",
        account_id=ACCOUNT,
        base_url=BASE,
        http_client=httpx.Client(transport=fake.transport()),
        _strict_response_validation=strict,
        max_retries=0,
    )


def v4(fake: SGPFake) -> Any:
    return scale_gp.SGPClient(
        api_key="key",
        base_url=BASE,
        http_client=httpx.Client(transport=fake.transport()),
        _strict_response_validation=True,
        max_retries=0,
    )


def plain(fake: SGPFake) -> Any:
    # What a team points at SGP: its key as the OpenAI key (sent as Authorization: Bearer).
    return openai.OpenAI(
        api_key="key",
        base_url=f"{BASE}/v5",
        default_headers={"x-selected-account-id": ACCOUNT},
        http_client=httpx.Client(transport=fake.transport()),
        max_retries=0,
    )


def chat(client: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("messages", HELLO)
    if isinstance(client, scale_gp.SGPClient):
        return client.beta.chat.completions.create(**kwargs)
    return client.chat.completions.create(**kwargs)


CLIENTS = {"v5": v5, "v4-beta": v4, "openai": plain}


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake()


# -- chat, JSON and streamed ----------------------------------------------------------------------


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
def test_chat_answers_the_same_text_streamed_and_whole(fake: SGPFake, make: Any) -> None:
    client = make(fake)
    whole = chat(client)
    assert whole.choices[0].finish_reason == "stop"
    answer = whole.choices[0].message.content
    assert answer
    assert answer == chat(make(SGPFake())).choices[0].message.content
    assert whole.usage.prompt_tokens == 1
    assert whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens
    chunks = list(chat(client, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == answer
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.usage is None for c in chunks)
    assert whole.model == MODEL


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
def test_include_usage_adds_a_last_chunk_without_choices(fake: SGPFake, make: Any) -> None:
    client = make(fake)
    whole = chat(client)
    chunks = list(chat(client, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_the_stream_ends_with_a_named_done_event(fake: SGPFake) -> None:
    with fake.client(headers={"x-selected-account-id": ACCOUNT}) as http:
        raw = http.post(
            "/v5/chat/completions", json={"model": MODEL, "messages": HELLO, "stream": True}
        )
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.text.endswith("\n\nevent: done\ndata: [DONE]\n\n")


def test_n_stop_and_max_tokens(fake: SGPFake) -> None:
    client = v5(fake)
    one = chat(client).choices[0].message.content
    three = chat(client, n=3)
    assert [c.index for c in three.choices] == [0, 1, 2]
    assert three.choices[0].message.content == one
    assert three.choices[1].message.content != one
    capped = chat(client, max_tokens=3).choices[0]
    assert capped.finish_reason == "length"
    assert capped.message.content == " ".join(one.split()[:3]).rstrip(",")
    word = one.split()[2]
    stopped = chat(client, stop=[f" {word}"]).choices[0]
    assert stopped.finish_reason == "stop"
    assert stopped.message.content == one[: one.index(f" {word}")]
    streamed = list(chat(client, n=2, stream=True))
    for index in (0, 1):
        text = "".join(
            c.choices[0].delta.content or ""
            for c in streamed
            if c.choices and c.choices[0].index == index
        )
        assert text == three.choices[index].message.content


def test_json_schema_answers_a_valid_document(fake: SGPFake) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"enum": ["c", "f"]},
            "days": {"type": "array", "items": {"$ref": "#/$defs/Day"}, "minItems": 2},
            "ok": {"type": "boolean"},
            "note": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 4}]},
        },
        "required": ["city", "unit", "days"],
        "additionalProperties": False,
        "$defs": {
            "Day": {
                "type": "object",
                "properties": {"t": {"type": "integer", "minimum": -5, "maximum": 5}},
                "required": ["t"],
            }
        },
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "W", "schema": schema}}
    client = v5(fake)
    content = chat(client, response_format=fmt).choices[0].message.content
    jsonschema.validate(json.loads(content), schema)
    assert content == chat(client, response_format=fmt).choices[0].message.content
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in chat(client, response_format=fmt, stream=True)
        if c.choices
    )
    assert streamed == content


WEATHER_TOOLS = [
    {"type": "function", "function": {"name": "get_time"}},
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city", "days"],
                "additionalProperties": False,
            },
        },
    },
]


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
def test_a_tool_choice_that_obliges_a_call_is_answered_with_one(fake: SGPFake, make: Any) -> None:
    # What langchain's with_structured_output(method="function_calling") and bind_tools(...,
    # tool_choice="any") rely on: a model obliged to call a function calls it.
    jsonschema = pytest.importorskip("jsonschema")
    client = make(fake)
    named = {"type": "function", "function": {"name": "get_weather"}}
    whole = chat(client, tools=WEATHER_TOOLS, tool_choice=named).choices[0]
    assert (whole.message.content, whole.finish_reason) == (None, "stop")  # as OpenAI's
    (call,) = whole.message.tool_calls
    assert call.function.name == "get_weather"
    jsonschema.validate(
        json.loads(call.function.arguments), WEATHER_TOOLS[1]["function"]["parameters"]
    )
    streamed = list(chat(client, tools=WEATHER_TOOLS, tool_choice=named, stream=True))
    deltas = [t for c in streamed if c.choices for t in c.choices[0].delta.tool_calls or ()]
    assert "".join(d.function.arguments for d in deltas) == call.function.arguments
    assert streamed[-1].choices[0].finish_reason == "stop"
    required = chat(client, tools=WEATHER_TOOLS, tool_choice="required").choices[0]
    assert required.finish_reason == "tool_calls"
    assert [(c.function.name, c.function.arguments) for c in required.message.tool_calls] == [
        ("get_time", "{}")
    ]
    # auto and none may answer in words, and a script still wins
    assert (
        chat(client, tools=WEATHER_TOOLS, tool_choice="auto").choices[0].message.tool_calls is None
    )
    fake.respond(model=MODEL, text="No tool today.")
    scripted = chat(client, tools=WEATHER_TOOLS, tool_choice=named).choices[0]
    assert (scripted.message.content, scripted.message.tool_calls) == ("No tool today.", None)


def test_a_responses_tool_choice_that_obliges_a_call_is_answered_with_one(fake: SGPFake) -> None:
    tools = [{"type": "function", **tool["function"]} for tool in WEATHER_TOOLS]
    client = plain(fake)
    for choice, name in (("required", "get_time"), ({"type": "function", "name": "get_weather"},
                                                    "get_weather")):  # fmt: skip
        answer = client.responses.create(model=MODEL, input="Hi", tools=tools, tool_choice=choice)
        (item,) = answer.output
        assert (item.type, item.name) == ("function_call", name)
        assert json.loads(item.arguments).keys() == (
            {"city", "days"} if name == "get_weather" else set()
        )
    words = client.responses.create(model=MODEL, input="Hi", tools=tools, tool_choice="auto")
    assert [item.type for item in words.output] == ["message"]


@pytest.mark.parametrize("spec", [{"name": "W"}, {"name": "W", "schema": True}])
def test_a_json_schema_format_without_a_schema_object_answers_json(
    fake: SGPFake, spec: dict[str, Any]
) -> None:
    # Any JSON document is valid then: the answer is one, as for json_object.
    fmt = {"type": "json_schema", "json_schema": spec}
    content = chat(v5(fake), response_format=fmt).choices[0].message.content
    assert isinstance(json.loads(content)["answer"], str)
    text = {"format": {"type": "json_schema", **spec}}
    # (loose: the echoed format has no schema, which the SDK's strict types require)
    answer = v5(fake, strict=False).responses.create(model=MODEL, input="Hello", text=text)
    assert isinstance(json.loads(answer.output[0].content[0].text)["answer"], str)


def test_the_v4_sdk_sends_a_pydantic_schema(fake: SGPFake) -> None:
    from pydantic import BaseModel

    class Weather(BaseModel):
        city: str
        degrees: int

    answer = chat(v4(fake), response_format=Weather)
    Weather.model_validate_json(answer.choices[0].message.content)


# -- which model ----------------------------------------------------------------------------------


def test_an_unknown_model_is_a_404_that_says_how_to_add_it(fake: SGPFake) -> None:
    with pytest.raises(scale_gp_beta.NotFoundError) as caught:
        chat(v5(fake), model="openai/gpt-9")
    assert "openai/gpt-9" in str(caught.value)
    assert "gateway_models" in str(caught.value)
    with pytest.raises(openai.NotFoundError):
        chat(plain(fake), model="openai/gpt-9")
    with pytest.raises(scale_gp_beta.BadRequestError):
        chat(v5(fake), model="gpt-4o")


@pytest.mark.parametrize(
    ("model", "example"),
    [
        ("gpt-4o", "openai/gpt-4o"),
        ("/", "openai/gpt-4o-mini"),
        ("/gpt-4o", "openai/gpt-4o-mini"),
        ("openai/", "openai/gpt-4o-mini"),
        ("", "openai/gpt-4o-mini"),
    ],
)
def test_a_name_without_a_vendor_is_a_400_with_a_callable_example(
    fake: SGPFake, model: str, example: str
) -> None:
    with fake.client(headers={"x-selected-account-id": "acct_1"}) as client:
        answer = client.post("/v5/chat/completions", json={"model": model, "messages": HELLO})
        assert answer.status_code == 400
        assert answer.json()["detail"].endswith(f"for example {example}")
        # The example is a model the fake serves.
        called = client.post("/v5/chat/completions", json={"model": example, "messages": HELLO})
        assert called.status_code == 200


def test_an_unknown_vendor_is_named_not_offered_to_the_settings(fake: SGPFake) -> None:
    # The settings refuse "acme/my-model", so the 404 must not advise adding it there.
    with pytest.raises(ValueError, match="unknown vendor"):
        FakeSettings(gateway_models=("acme/my-model",))
    with pytest.raises(scale_gp_beta.NotFoundError) as refused:
        chat(v5(fake), model="acme/my-model")
    detail = refused.value.body["detail"]
    assert "'acme' is not a vendor the gateway knows" in detail
    assert "openai, cohere" in detail
    assert "gateway_models" not in detail


def test_the_openai_client_reads_the_message_of_a_refusal(fake: SGPFake) -> None:
    with pytest.raises(openai.NotFoundError, match=r"openai/gpt-nope is not available") as e:
        chat(plain(fake), model="openai/gpt-nope")
    assert e.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError, match="not vendor/name"):
        chat(plain(fake), model="gpt-4o-mini")
    # The SGP SDKs read the same body: detail as ever, the error object beside it.
    with pytest.raises(scale_gp_beta.NotFoundError) as refused:
        chat(v5(fake), model="openai/gpt-nope")
    body = refused.value.body
    assert body["detail"] == body["error"]["message"]
    assert "gateway_models" in body["detail"]
    # The top-level v4 routes keep SGP's own shape.
    with fake.client() as client:
        v4_body = {"model": "gpt-nope", "messages": HELLO}
        assert list(client.post("/v4/chat-completions", json=v4_body).json()) == ["detail"]


def test_settings_add_and_replace_models() -> None:
    fake = SGPFake(FakeSettings(gateway_models=("openai/my-tuned",)))
    assert chat(v5(fake), model="openai/my-tuned").choices
    names = [(m.api_model_vendor, m.name) for m in v5(fake).chat.completions.models().items]
    assert ("openai", "my-tuned") in names
    assert ("openai", "gpt-4o") in names
    only = SGPFake(FakeSettings(gateway_models=("xai/grok-x",), gateway_builtin_models=False))
    listed = v5(only).chat.completions.models(model_vendor="xai").items
    assert [(m.api_model_vendor, m.name) for m in listed] == [("xai", "grok-x")]
    with pytest.raises(scale_gp_beta.NotFoundError):
        chat(v5(only))
    with pytest.raises(ValueError, match="vendor/name"):
        FakeSettings(gateway_models=("gpt-4o",))


@pytest.mark.parametrize(("limit", "count"), [(2, 2), (0, 0), (-1, 0)])
def test_the_catalog_limit_cuts_as_v5_models_lists_do(limit: int, count: int) -> None:
    # A limit below 1 is an empty page on /v5/models; the catalog reads it the same way.
    listed = v5(SGPFake()).chat.completions.models(limit=limit).items
    assert len(listed) == count


def test_settings_refuse_a_vendor_sgp_does_not_have() -> None:
    # As the marker and the command line refuse it, so no listing later says model_vendor
    # "acme", which the v5 SDK's strict client cannot read.
    with pytest.raises(ValueError, match="unknown vendor 'acme'"):
        FakeSettings(gateway_models=("acme/x",))
    with pytest.raises(ValueError, match="unknown vendor 'acme'"):
        FakeSettings(gateway_models=("openai/fine", "acme/x"))
    assert FakeSettings(gateway_models=("xai/fine",)).gateway_models == ("xai/fine",)


@pytest.mark.sgp_fake(gateway_models=["anthropic/claude-next"], gateway_builtin_models=False)
def test_the_marker_sets_the_catalog(sgp_fake: SGPFake) -> None:
    assert chat(v5(sgp_fake), model="anthropic/claude-next").choices
    with pytest.raises(scale_gp_beta.NotFoundError):
        chat(v5(sgp_fake))


def test_the_cli_flags_set_the_catalog() -> None:
    from sgp_fake.cli import build_parser
    from sgp_fake.cli.serve import build_fake

    args = build_parser().parse_args(
        ["serve", "--gateway-model", "openai/x-1", "--no-builtin-models"]
    )
    fake = build_fake(args)
    try:
        assert tuple(fake.settings.gateway_models) == ("openai/x-1",)
        assert fake.settings.gateway_builtin_models is False
    finally:
        fake.close()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--gateway-model", "nobody/x"])


def test_v5_needs_the_account_header_and_keys_are_checked(fake: SGPFake) -> None:
    with fake.client() as http:
        missing = http.post("/v5/chat/completions", json={"model": MODEL, "messages": HELLO})
        beta = http.post("/v4/beta/chat/completions", json={"model": MODEL, "messages": HELLO})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["header", "x-selected-account-id"]
    assert beta.status_code == 200
    with fake.client(api_key=None, headers={"x-selected-account-id": ACCOUNT}) as http:
        anonymous = http.post("/v5/chat/completions", json={"model": MODEL, "messages": HELLO})
    assert anonymous.status_code == 401


def test_a_foreign_account_is_refused() -> None:
    from sgp_fake.settings import Identity

    fake = SGPFake(FakeSettings(api_keys={"key": Identity("u", accounts=frozenset({"mine"}))}))
    with pytest.raises(scale_gp_beta.PermissionDeniedError):
        chat(v5(fake))


# -- completions ----------------------------------------------------------------------------------


def test_completions_through_every_client(fake: SGPFake) -> None:
    answer = v5(fake).completions.create(model=MODEL, prompt="Once upon")
    text = answer.choices[0].text
    assert answer.choices[0].finish_reason == "stop"
    assert text
    assert v4(fake).beta.completions.create(model=MODEL, prompt="Once upon").choices[0].text == text
    assert plain(fake).completions.create(model=MODEL, prompt="Once upon").choices[0].text == text
    for client in (v5(fake, strict=False), plain(fake)):
        chunks = list(client.completions.create(model=MODEL, prompt="Once upon", stream=True))
        assert "".join(c.choices[0].text for c in chunks) == text
        assert chunks[-1].choices[0].finish_reason == "stop"
    capped = plain(fake).completions.create(model=MODEL, prompt="Once upon", max_tokens=2)
    assert capped.choices[0].finish_reason == "length"


# -- scripted answers: an agent's tool-call loop --------------------------------------------------


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.mark.parametrize("make", CLIENTS.values(), ids=CLIENTS.keys())
def test_a_tool_call_loop_scripted_end_to_end(fake: SGPFake, make: Any) -> None:
    fake.respond(
        model=MODEL, turn=0, tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}]
    )
    fake.respond(model=MODEL, tool_result=True, text="It is sunny in Paris.")
    client = make(fake)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris?"}]
    first = chat(client, messages=messages, tools=TOOLS)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_")
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    second = chat(client, messages=messages, tools=TOOLS)
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "It is sunny in Paris."
    # The same loop streamed: tool-call deltas with their index, then the answer.
    chunks = list(chat(client, messages=messages[:1], tools=TOOLS, stream=True))
    calls = [d for c in chunks if c.choices for d in (c.choices[0].delta.tool_calls or ())]
    assert all(d.index == 0 for d in calls)
    assert calls[0].id == call.id
    assert calls[0].function.name == "get_weather"
    assert "".join(d.function.arguments or "" for d in calls) == call.function.arguments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("stream", [False, True])
def test_a_forced_call_that_would_echo_a_lone_surrogate_is_a_400_streamed_or_not(
    fake: SGPFake, stream: bool
) -> None:
    # The tool's parameters allow one value only, a lone surrogate UTF-8 cannot carry: the
    # arguments would hold it. Streamed, the answer is refused too, not cut mid-stream.
    body = (
        b'{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], '
        b'"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": '
        b'"object", "properties": {"k": {"enum": ["\\ud800"]}}, "required": ["k"]}}}], '
        b'"tool_choice": "required", "stream": %s}' % (b"true" if stream else b"false")
    )
    headers = {"content-type": "application/json", "x-selected-account-id": ACCOUNT}
    with fake.client(headers=headers) as client:
        refused = client.post("/v5/chat/completions", content=body)
        assert (refused.status_code, refused.json()["detail"]) == (
            400,
            "There was an error parsing the body",
        )
        answered = client.post("/v5/chat/completions", content=body.replace(b"\\ud800", b"a"))
        assert answered.status_code == 200
    assert len(fake.tables["gateway_usage"]) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_in_contract_mode_a_model_a_chat_answer_would_echo_is_a_400_streamed_or_not(
    stream: bool,
) -> None:
    fake = SGPFake(settings=FakeSettings(contract=True))  # any model name is served
    body = b'{"model": "m\\ud800", "messages": [{"role": "user", "content": "Hi"}], '
    body += b'"stream": %s}' % (b"true" if stream else b"false")
    headers = {"content-type": "application/json", "x-selected-account-id": ACCOUNT}
    with fake.client(headers=headers) as client:
        assert client.post("/v5/chat/completions", content=body).status_code == 400
    assert len(fake.tables["gateway_usage"]) == 0


REFUSED_FOR_AN_ECHO = {
    # route: (a body whose answer would echo a lone surrogate, a body it answers, the text)
    "/v5/chat/completions": (
        b'{"model": "m\\ud800", "messages": [{"role": "user", "content": "Hi"}]',
        {"model": "m", "messages": [{"role": "user", "content": "Hi"}]},
        lambda answer: answer["choices"][0]["message"]["content"],
    ),
    "/v5/completions": (
        b'{"model": "m\\ud800", "prompt": "Hi"',
        {"model": "m", "prompt": "Hi"},
        lambda answer: answer["choices"][0]["text"],
    ),
    "/v5/inference": (
        b'{"model": "m\\ud800", "args": {"prompt": "Hi"}',
        {"model": "m", "args": {"prompt": "Hi"}},
        lambda answer: answer["response"]["text"],
    ),
}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("route", sorted(REFUSED_FOR_AN_ECHO))
def test_a_call_refused_for_what_it_would_echo_gives_its_scripted_step_back(
    route: str, stream: bool
) -> None:
    # The 400 answers nothing the script said: the next call gets the script's first text.
    if stream and route == "/v5/inference":
        pytest.skip("/v5/inference does not stream")
    refused, answered, text_of = REFUSED_FOR_AN_ECHO[route]
    fake = SGPFake(settings=FakeSettings(contract=True))  # any model name is served
    fake.respond(texts=["first", "second"])
    body = refused + (b', "stream": true}' if stream else b"}")
    headers = {"content-type": "application/json", "x-selected-account-id": ACCOUNT}
    with fake.client(headers=headers) as client:
        assert client.post(route, content=body).status_code == 400
        answer = client.post(route, json=answered)
    assert answer.status_code == 200
    assert text_of(answer.json()) == "first"


def test_a_streamed_tool_call_has_no_text_as_the_whole_answer_has_none(fake: SGPFake) -> None:
    # openai's stream helper joins the deltas: content null, not "", as in the whole answer
    # (and as OpenAI streams a tool call).
    fake.respond(model=MODEL, tool_calls=[{"name": "get_weather", "arguments": {"city": "Oslo"}}])
    client = plain(fake)
    whole = chat(client, tools=TOOLS).choices[0].message
    with client.chat.completions.stream(model=MODEL, messages=HELLO, tools=TOOLS) as events:
        streamed = events.get_final_completion().choices[0].message
    assert (whole.content, streamed.content) == (None, None)
    assert streamed.tool_calls[0].function.arguments == whole.tool_calls[0].function.arguments
    first = next(iter(chat(v5(fake), tools=TOOLS, stream=True))).choices[0].delta
    assert (first.role, first.content) == ("assistant", None)


def test_scripted_texts_and_prompt_matchers(fake: SGPFake) -> None:
    fake.respond(model=MODEL, prompt="joke", texts=["One.", "Two."])
    client = v5(fake)
    ask = [{"role": "user", "content": "Tell a joke"}]
    assert chat(client, messages=ask).choices[0].message.content == "One."
    assert chat(client, messages=ask).choices[0].message.content == "Two."
    assert chat(client).choices[0].message.content not in ("One.", "Two.")
    assert chat(client, messages=ask, model="openai/gpt-4o").choices[0].message.content != "Two."
    assert fake.journal.calls("create_gateway_chat_completion")


@pytest.mark.parametrize("sdk", [False, True], ids=["openai", "scale_gp_beta"])
def test_scripted_texts_advance_on_whole_streams(fake: SGPFake, sdk: bool) -> None:
    # openai stops reading at [DONE] and closes the stream: the answer was whole all the
    # same, so the rule's step is spent (a stream cut before its end gives it back).
    fake.respond(model=MODEL, prompt="joke", texts=["One.", "Two.", "Three."])
    # (loose: the SDK's strict types refuse a text chunk's null finish_reason)
    client = v5(fake, strict=False) if sdk else plain(fake)
    ask = [{"role": "user", "content": "Tell a joke"}]
    texts = []
    for _ in range(2):
        chunks = chat(client, messages=ask, stream=True)
        texts.append("".join(c.choices[0].delta.content or "" for c in chunks if c.choices))
    chunks = client.completions.create(model=MODEL, prompt="Tell a joke", stream=True)
    texts.append("".join(c.choices[0].text for c in chunks if c.choices))
    assert texts == ["One.", "Two.", "Three."]
    assert [rule["hits"] for rule in fake.responses.rules()] == [3]


def test_scripted_texts_advance_on_responses_streams_read_to_their_last_event(
    fake: SGPFake,
) -> None:
    # A Responses stream ends with response.completed (no [DONE]): a client that stops there
    # and closes the stream has the whole answer, so the rule's step is spent.
    fake.respond(model=MODEL, texts=["One.", "Two.", "Three."])
    client = plain(fake)
    texts = []
    for _ in range(3):
        with client.responses.create(model=MODEL, input="Tell a joke", stream=True) as events:
            for event in events:
                if event.type == "response.completed":
                    texts.append(event.response.output_text)
                    break
    assert texts == ["One.", "Two.", "Three."]
    assert [rule["hits"] for rule in fake.responses.rules()] == [3]


# Every streamed route a scripted response answers: its path and a body asking "Hello".
STREAMED_ROUTES = [
    ("/v5/chat/completions", {"model": MODEL, "messages": HELLO}),
    ("/v5/completions", {"model": MODEL, "prompt": "Hello"}),
    ("/v5/responses", {"model": MODEL, "input": "Hello"}),
    ("/v4/chat-completions", {"model": "gpt-4o-mini", "messages": HELLO}),
    ("/v4/completions", {"model": "gpt-4o-mini", "prompt": "Hello"}),
]


@pytest.mark.parametrize(("path", "body"), STREAMED_ROUTES)
def test_a_stream_cut_gives_the_scripted_step_back_on_every_route(
    fake: SGPFake, path: str, body: dict[str, Any]
) -> None:
    fake.respond(prompt="Hello", texts=["First answer here.", "Second answer here."])
    fake.faults.add(path=path, after=1, cut="reset")
    with fake.client(headers={"x-selected-account-id": ACCOUNT}) as client:
        streamed = client.stream("POST", path, json={**body, "stream": True})
        with streamed as answer, pytest.raises(httpx.ReadError):  # the cut, while reading
            list(answer.iter_lines())
        assert [rule["hits"] for rule in fake.responses.rules()] == [0]  # given back
        whole = client.post(path, json=body).text
    assert "First answer here." in whole  # the retry gets the same step
    assert [rule["hits"] for rule in fake.responses.rules()] == [1]


@pytest.mark.parametrize(("path", "body"), STREAMED_ROUTES)
def test_a_stream_closed_unread_gives_the_scripted_step_back(
    fake: SGPFake, path: str, body: dict[str, Any]
) -> None:
    # A client that closes the stream before reading any of it (no fault rule at all).
    fake.respond(prompt="Hello", texts=["First answer here.", "Second answer here."])
    with fake.client(headers={"x-selected-account-id": ACCOUNT}) as client:
        with client.stream("POST", path, json={**body, "stream": True}) as answer:
            assert answer.status_code == 200
        assert [rule["hits"] for rule in fake.responses.rules()] == [0]  # given back
        assert len(fake.journal) == 1
        assert "First answer here." in client.post(path, json=body).text
    assert [rule["hits"] for rule in fake.responses.rules()] == [1]


@pytest.mark.asyncio
async def test_an_openai_stream_closed_unread_gives_the_scripted_step_back(fake: SGPFake) -> None:
    fake.respond(model=MODEL, texts=["First answer here.", "Second answer here."])
    client = openai.AsyncOpenAI(
        api_key="key",
        base_url=f"{BASE}/v5",
        default_headers={"x-selected-account-id": ACCOUNT},
        http_client=httpx.AsyncClient(transport=fake.async_transport()),
    )
    async with client:
        stream = await client.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
        await stream.close()  # left before its first chunk
        assert fake.unused_rules() == []  # it answered, and gave its step back
        again = await client.chat.completions.create(model=MODEL, messages=HELLO)
    assert again.choices[0].message.content == "First answer here."
    assert [rule["hits"] for rule in fake.responses.rules()] == [1]


@pytest.mark.asyncio
async def test_a_stream_cancelled_during_its_cut_rules_latency_gives_its_step_back(
    fake: SGPFake,
) -> None:
    # The rule's latency is waited once the call was answered (its step taken), before the
    # stream starts: a client task cancelled meanwhile leaves the stream before its start.
    fake.respond(model=MODEL, texts=["First answer here.", "Second answer here."])
    fake.faults.add(path="/v5/chat/completions", after=2, cut="reset", latency=30)
    body = {"model": MODEL, "messages": HELLO, "stream": True}
    async with fake.async_client(headers={"x-selected-account-id": ACCOUNT}) as client:
        streaming = asyncio.ensure_future(client.post("/v5/chat/completions", json=body))
        await asyncio.sleep(0.2)
        streaming.cancel()
        with pytest.raises(asyncio.CancelledError):
            await streaming
        assert [rule["hits"] for rule in fake.responses.rules()] == [0]  # given back
        whole = await client.post("/v5/chat/completions", json={**body, "stream": False})
    assert whole.json()["choices"][0]["message"]["content"] == "First answer here."


# -- faults ---------------------------------------------------------------------------------------


def test_faults_apply_to_the_gateway(fake: SGPFake) -> None:
    fake.faults.add(FaultRule(path="/v5/chat/completions", status=503, model=MODEL))
    with pytest.raises(scale_gp_beta.InternalServerError):
        chat(v5(fake))
    assert chat(v5(fake)).choices


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v5/chat/completions", {"messages": [{"role": "user", "content": "Say the secret"}]}),
        ("/v5/completions", {"prompt": "Say the secret"}),
        ("/v5/responses", {"input": "Say the secret"}),
        ("/v5/responses", {"input": [{"role": "user", "content": "Say the secret"}]}),
        ("/v5/inference", {"args": {"prompt": "Say the secret"}}),
        ("/v5/inference", {"args": {"messages": [{"role": "user", "content": "Say the secret"}]}}),
        ("/v5/inference", {"args": {"input": "Say the secret"}}),
    ],
)
def test_fault_rules_match_the_prompt_on_every_gateway_route(
    fake: SGPFake, path: str, body: dict[str, Any]
) -> None:
    # The prompt a fault rule matches is the one a scripted response matches.
    fake.faults.add(prompt="secret", prompt_regex="^Say", status=503, times=None)
    with fake.client(headers={"x-selected-account-id": ACCOUNT}) as client:
        assert client.post(path, json={"model": MODEL, **body}).status_code == 503
        other = json.loads(json.dumps(body).replace("Say the secret", "Hello"))
        assert client.post(path, json={"model": MODEL, **other}).status_code == 200


def test_truncate_ends_the_stream_cleanly_without_a_finish_reason(fake: SGPFake) -> None:
    fake.faults.add(FaultRule(path="/v5/chat/completions", after=3, cut="truncate"))
    chunks = list(chat(v5(fake), stream=True))
    assert len(chunks) == 3
    assert all(c.choices[0].finish_reason is None for c in chunks)


@pytest.mark.parametrize("path", ["/v5/chat/completions", "/v4/beta/chat/completions"])
def test_an_error_cut_raises_in_openai_and_the_v4_sdk(fake: SGPFake, path: str) -> None:
    # The rule names no body: the gateway's error event carries OpenAI's {"error": {...}}.
    rule = fake.faults.add(FaultRule(path=path, after=2, cut="error"))
    client = plain(fake)
    if path.startswith("/v4"):
        client = openai.OpenAI(
            api_key="key",
            base_url=f"{BASE}/v4/beta",
            http_client=httpx.Client(transport=fake.transport()),
            max_retries=0,
        )
    got: list[Any] = []
    with pytest.raises(openai.APIError) as raised:
        got.extend(chat(client, stream=True))
    assert len(got) == 2
    assert raised.value.message == f"Fault injected by sgp-fake ({rule.id})"
    assert raised.value.body["type"] == "server_error"

    if path.startswith("/v4"):  # the route scale-gp's beta namespace calls
        fake.faults.add(FaultRule(path=path, after=2, cut="error"))
        with pytest.raises(scale_gp.APIStatusError) as status:
            list(chat(v4(fake), stream=True))
        assert status.value.body["error"]["message"].startswith("Fault injected by sgp-fake")


def test_a_fault_status_and_the_rate_limit_carry_openais_error_object(fake: SGPFake) -> None:
    # The openai clients take an exception's text from "error": without it the Node client
    # says "503 status code (no body)". Every refusal of an OpenAI-style route carries it.
    from sgp_fake import RateLimit

    rule = fake.faults.add(FaultRule(path="/v5/chat/completions", status=503))
    with pytest.raises(openai.InternalServerError) as failed:
        chat(plain(fake))
    message = f"Fault injected by sgp-fake ({rule.id})"
    assert failed.value.body == {"message": message, "type": "server_error", "param": None,
                                 "code": None}  # fmt: skip
    assert failed.value.response.json()["detail"] == message  # FastAPI's detail, as before
    fake.rate_limiter.configure(RateLimit(rate=0.001, burst=1))
    chat(plain(fake))
    with pytest.raises(openai.RateLimitError) as limited:
        chat(plain(fake))
    assert limited.value.type == "rate_limit_error"
    assert limited.value.body["message"] == "Rate limit exceeded"
    fake.rate_limiter.configure(None)
    # The SGP routes keep FastAPI's shape alone.
    fake.faults.add(FaultRule(path="/v4/model-templates", status=503))
    with fake.client() as client:
        assert client.get("/v4/model-templates").json() == {
            "detail": "Fault injected by sgp-fake (fault_2)"
        }


def test_an_error_cut_on_a_top_level_v4_route_keeps_fastapis_detail(fake: SGPFake) -> None:
    rule = fake.faults.add(FaultRule(path="/v4/completions", after=1, cut="error"))
    with httpx.Client(transport=fake.transport(), base_url=BASE) as http:
        body = {"model": "gpt-4o-mini", "prompt": "Hello", "stream": True}
        events = http.post("/v4/completions", json=body, headers={"x-api-key": "k"}).text
    assert "event: error" in events
    detail = {"detail": f"Fault injected by sgp-fake ({rule.id})"}
    assert json.dumps(detail, separators=(",", ":")) in events


def test_malformed_breaks_every_decoder(fake: SGPFake) -> None:
    for client in (v5(fake), plain(fake)):
        fake.faults.add(FaultRule(path="/v5/chat/completions", after=2, cut="malformed"))
        with pytest.raises(json.JSONDecodeError):
            list(chat(client, stream=True))


# What docs/guides/faults.md's table says each client raises, once it has read the two chunks
# before the cut (None: the stream ends quietly).
RAISED_MID_STREAM: dict[str, dict[str, Any]] = {
    "reset": {"v5": httpx.ReadError, "v4": httpx.ReadError, "openai": openai.APIConnectionError},
    "close": {
        "v5": httpx.RemoteProtocolError,
        "v4": httpx.RemoteProtocolError,
        "openai": openai.APIConnectionError,
    },
    "error": {"v5": None, "v4": scale_gp.APIStatusError, "openai": openai.APIError},
    "truncate": {"v5": None, "v4": None, "openai": None},
    "malformed": {
        "v5": json.JSONDecodeError,
        "v4": json.JSONDecodeError,
        "openai": json.JSONDecodeError,
    },
    "stall": {"v5": httpx.ReadTimeout, "v4": httpx.ReadTimeout, "openai": openai.APITimeoutError},
}


@pytest.mark.parametrize("cut", list(RAISED_MID_STREAM))
@pytest.mark.parametrize("name", ["v5", "v4", "openai"])
def test_what_each_client_raises_mid_stream(fake: SGPFake, cut: str, name: str) -> None:
    path = "/v4/beta/chat/completions" if name == "v4" else "/v5/chat/completions"
    if cut == "stall":
        fake.faults.add(path=path, after=2, stall_ms=5_000)
    else:
        fake.faults.add(path=path, after=2, cut=cut)
    client = {"v5": v5, "v4": v4, "openai": plain}[name](fake).with_options(timeout=0.2)
    expected = RAISED_MID_STREAM[cut][name]
    got: list[Any] = []
    if expected is None:
        got.extend(chat(client, stream=True))
    else:
        with pytest.raises(expected):
            got.extend(chat(client, stream=True))
    assert len(got) == 2


# -- async ----------------------------------------------------------------------------------------


def test_async_clients() -> None:
    fake = SGPFake()

    async def run() -> tuple[str, str, str, str]:
        v5a = scale_gp_beta.AsyncSGPClient(
            api_key="key",
            account_id=ACCOUNT,
            base_url=BASE,
            http_client=httpx.AsyncClient(transport=fake.async_transport()),
        )
        oa = openai.AsyncOpenAI(
            api_key="key",
            base_url=f"{BASE}/v5",
            default_headers={"x-selected-account-id": ACCOUNT},
            http_client=httpx.AsyncClient(transport=fake.async_transport()),
        )
        whole = await v5a.chat.completions.create(model=MODEL, messages=HELLO)
        stream = await v5a.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
        streamed = "".join([c.choices[0].delta.content or "" async for c in stream])
        plain_whole = await oa.chat.completions.create(model=MODEL, messages=HELLO)
        plain_stream = await oa.chat.completions.create(model=MODEL, messages=HELLO, stream=True)
        plain_streamed = "".join([c.choices[0].delta.content or "" async for c in plain_stream])
        return (
            whole.choices[0].message.content,
            streamed,
            plain_whole.choices[0].message.content,
            plain_streamed,
        )

    results = asyncio.run(run())
    assert len(set(results)) == 1


# -- contract mode --------------------------------------------------------------------------------


def test_contract_mode_takes_the_generated_tests_values() -> None:
    fake = SGPFake(FakeSettings(contract=True))
    answer = chat(v5(fake), model="model", messages=[{"foo": "bar"}], n=0, max_tokens=0)
    assert answer.choices[0].finish_reason == "length"
    with pytest.raises(scale_gp_beta.UnprocessableEntityError):
        chat(v5(SGPFake()), messages=[{"foo": "bar"}])


@pytest.mark.parametrize("contract", [False, True])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v5/inference", {"args": {"messages": [{"role": ["x"], "content": "a"}, *HELLO]}}),
        ("/v5/inference", {"args": {"messages": [{"role": {"r": 1}, "content": "a"}, *HELLO]}}),
        ("/v5/responses", {"input": [{"role": ["x"], "content": "a"}, *HELLO]}),
        ("/v5/chat/completions", {"messages": [{"role": ["x"], "content": "a"}, *HELLO]}),
        ("/v4/chat-completions", {"messages": [{"role": {"r": 1}, "content": "a"}, *HELLO]}),
    ],
)
def test_a_role_that_is_a_list_or_an_object_is_no_500(
    path: str, body: dict[str, Any], contract: bool
) -> None:
    # Any JSON may come as a role where nothing checks it (generic inference and the
    # Responses API always, every chat route in contract mode): refused (422) or answered.
    fake = SGPFake(FakeSettings(contract=contract))
    model = "gpt-4o-mini" if path.startswith("/v4/") else MODEL
    with fake.client(headers={"x-selected-account-id": ACCOUNT}) as client:
        answer = client.post(path, json={"model": model, **body})
    assert answer.status_code in (200, 422)
    if contract:
        assert answer.status_code == 200


def test_one_list_of_vendors() -> None:
    # The vendors are written out three times (settings' tuple, and the two Literal types
    # pydantic and mypy need spelled out): they must stay the same list.
    from typing import get_args

    from sgp_fake.resources.gateway.schemas import Vendor as GatewayVendor
    from sgp_fake.resources.v5_models.schemas import Vendor as V5Vendor
    from sgp_fake.settings import GATEWAY_VENDORS

    assert get_args(GatewayVendor) == GATEWAY_VENDORS
    assert get_args(V5Vendor) == GATEWAY_VENDORS


def _pydantic_errors(model: type[Any], message: dict[str, Any], index: int) -> list[Any]:
    """What FastAPI answers for ``message`` at ``messages[index]`` of a body with ``model``
    as the type of each message."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as raised:
        model.model_validate(message)
    return [
        {**error, "loc": ["body", "messages", index, *error["loc"]]}
        for error in raised.value.errors(include_url=False)
    ]


@pytest.mark.parametrize(
    "message", [{"content": "hi"}, {"role": "bot", "content": "hi"}, {"role": [1], "content": ""}]
)
def test_a_messages_role_is_refused_as_pydantic_refuses_it(
    fake: SGPFake, message: dict[str, Any]
) -> None:
    from typing import Literal

    from pydantic import BaseModel, ConfigDict

    class Message(BaseModel):
        model_config = ConfigDict(extra="allow")
        role: Literal["assistant", "developer", "function", "system", "tool", "user"]

    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "a"}, message]}
    with fake.client(headers={"x-selected-account-id": "acct_1"}) as client:
        answer = client.post("/v5/chat/completions", json=body)
    assert answer.status_code == 422
    assert answer.json() == {"detail": _pydantic_errors(Message, message, 1)}


@pytest.mark.parametrize(
    "message", [{"role": "bot"}, {"role": "user"}, {"role": "bot", "content": "x"}]
)
def test_a_top_level_v4_message_is_refused_as_pydantic_refuses_it(
    fake: SGPFake, message: dict[str, Any]
) -> None:
    from typing import Literal

    from pydantic import BaseModel

    class Message(BaseModel):
        role: Literal["user", "assistant", "system"] = "user"
        content: Any

    body = {"model": "gpt-4o-mini", "messages": [message]}
    with fake.client() as client:
        answer = client.post("/v4/chat-completions", json=body)
    assert answer.status_code == 422
    assert answer.json() == {"detail": _pydantic_errors(Message, message, 0)}


BROKEN = '{"city": "Paris"'  # a model's malformed JSON: the closing brace never came


def test_a_tool_call_s_arguments_given_as_a_string_are_sent_as_they_are() -> None:
    # An agent must cope with arguments that are not JSON: a script gives them as a string.
    fake = SGPFake(admin=True)
    fake.respond(model=MODEL, tool_calls=[{"name": "get_weather", "arguments": BROKEN}])
    client = plain(fake)
    (call,) = chat(client, tools=TOOLS).choices[0].message.tool_calls
    assert call.function.arguments == BROKEN
    chunks = list(chat(client, tools=TOOLS, stream=True))
    deltas = [d for c in chunks if c.choices for d in (c.choices[0].delta.tool_calls or ())]
    assert "".join(d.function.arguments or "" for d in deltas) == BROKEN
    (item,) = client.responses.create(model=MODEL, input="Weather?").output
    assert item.arguments == BROKEN
    # Over the admin API too, and kept in the state document as given.
    with fake.client(api_key=None) as admin:
        assert admin.delete("/_fake/responses").status_code == 200
        rule = {"model": MODEL, "prompt": "Oslo", "tool_calls": [{"name": "f", "arguments": "{"}]}
        assert admin.post("/_fake/responses", json=rule).status_code == 201
        kept = admin.get("/_fake/state").json()
    ask = [{"role": "user", "content": "Oslo?"}]
    (call,) = chat(client, messages=ask, tools=TOOLS).choices[0].message.tool_calls
    assert call.function.arguments == "{"
    again = SGPFake(admin=True)
    with again.client(api_key=None) as admin:
        assert admin.put("/_fake/state", json=kept).status_code == 200
    (call,) = chat(plain(again), messages=ask, tools=TOOLS).choices[0].message.tool_calls
    assert call.function.arguments == "{"


# A lone surrogate ("\ud800") is valid JSON that UTF-8 cannot carry. In a tool call or a
# role of the conversation it is never echoed, so the call is answered like any other.
LONE_SURROGATE_IN_THE_CONVERSATION = {
    "/v5/chat/completions": b'{"model": "openai/gpt-4o-mini", "messages": ['
    b'{"role": "user", "content": "x"}, {"role": "assistant", "content": null, "tool_calls": '
    b'[{"id": "\\ud800", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, '
    b'{"role": "tool", "tool_call_id": "\\ud800", "content": "r"}]}',
    "/v5/responses": b'{"model": "openai/gpt-4o-mini", "input": [{"role": "user", "content": '
    b'"x"}, {"type": "function_call", "call_id": "c", "name": "f", "arguments": "\\ud800"}, '
    b'{"type": "function_call_output", "call_id": "c", "output": "r"}]}',
    "/v5/inference": b'{"model": "openai/gpt-4o-mini", "args": {"messages": [{"role": ["\\ud800"]'
    b', "content": "x"}, {"role": "user", "content": "y"}]}}',
}


@pytest.mark.parametrize("path", LONE_SURROGATE_IN_THE_CONVERSATION)
@pytest.mark.parametrize("stream", [False, True])
def test_a_lone_surrogate_in_a_tool_call_or_role_is_answered(
    fake: SGPFake, path: str, stream: bool
) -> None:
    body = LONE_SURROGATE_IN_THE_CONVERSATION[path]
    if stream:
        body = body[:-1] + b', "stream": true}'
    headers = {"content-type": "application/json", "x-selected-account-id": ACCOUNT}
    with fake.client(headers=headers) as client:
        answer = client.post(path, content=body)
    assert answer.status_code == 200
    assert answer.text
