"""Calling deployed models through the official SDK: sync and async, in process and over a
socket, strict and loose response validation (see ``tests/support/sdk_api.py``). Completions, chat,
embeddings, rerankings, execute, usage statistics, scripted answers and the fault rules that
match them."""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime, timedelta
from typing import Any, Iterator

import pytest
import scale_gp

from sgp_fake import SGPFake
from sgp_fake.deterministic import StepClock
from sgp_fake.inference import (
    completion_text,
    count_tokens,
    embedding,
    rerank_score,
    tokens,
)
from tests.support.sdk_api import IDS, KINDS, Api, api_for


@pytest.fixture(params=KINDS, ids=IDS)
def api(request: pytest.FixtureRequest, sgp_fake: SGPFake) -> Iterator[Api]:
    """The SDK: sync and async, in process and live, strict and loose."""
    yield from api_for(request, sgp_fake)


REQUEST_PARAMETERS = {
    "parameters": [
        {"name": "temperature", "type": "float", "description": "Sampling", "required": True},
        {"name": "top_k", "type": "int", "description": "Top k", "required": False},
    ]
}
BINDINGS = {"bindings": {"temperature": 0.2}}
VENDOR = {"bundle_config": {"registry": "r", "image": "vllm", "tag": "0.6"}}
PROMPT = "What is the capital of France?"


def deploy(
    api: Api,
    model_type: str = "CHAT_COMPLETION",
    name: str = "llama",
    *,
    account_id: str = "acct_1",
    request_schema: bool = True,
    built_in: bool = False,
    **deployment: Any,
) -> tuple[Any, Any]:
    """A model of ``model_type`` and a deployment of it, through the API."""
    body: dict[str, Any] = {"account_id": account_id, "model_type": model_type, "name": name}
    if not built_in:
        extra = {"model_request_parameters_schema": REQUEST_PARAMETERS} if request_schema else {}
        template = api(
            "model_templates.create",
            account_id=account_id,
            endpoint_type="SYNC",
            model_type=model_type,
            name=f"{name}-template",
            vendor_configuration=copy.deepcopy(VENDOR),
            **extra,
        )
        body["model_template_id"] = template.id
    model = api("models.create", **body)
    if built_in:
        (made,) = api("models.deployments.list", model.id).items
        return model, made
    return model, api("models.deployments.create", model.id, name="prod", **deployment)


def status_of(exc: pytest.ExceptionInfo[scale_gp.APIStatusError]) -> tuple[int, Any]:
    return exc.value.status_code, exc.value.body


# -- completions and chat ---------------------------------------------------------------------


def test_a_completion_is_a_deterministic_text_of_the_model_and_prompt(
    api: Api, sgp_fake: SGPFake
) -> None:
    _model, deployment = deploy(api, "COMPLETION")
    answer = api("models.completions.create", deployment.id, prompt=PROMPT,
                 model_request_parameters=BINDINGS)  # fmt: skip
    text = completion_text("llama", PROMPT)
    assert answer.completions == [[PROMPT, [text]]]
    assert (answer.finish_reason, answer.prompt_tokens, answer.response_tokens) == (
        "stop",
        count_tokens(PROMPT),
        count_tokens(text),
    )
    assert count_tokens(PROMPT) == len(tokens(PROMPT)) == 7  # What is the capital of France ?
    # a model of another name says something else; the same name, the same (any fake, seed)
    _, other = deploy(api, "COMPLETION", "mistral")
    again = api("models.completions.create", other.id, prompt=PROMPT,
                model_request_parameters=BINDINGS)  # fmt: skip
    assert again.completions[0][1][0] == completion_text("mistral", PROMPT) != text
    assert sgp_fake.journal.last().operation == "create_completion"


def test_chat_continues_the_history_and_a_completion_model_completes_the_prompt(
    api: Api,
) -> None:
    history = [
        {"role": "system", "content": "Be brief."},
        {"content": "Hello"},  # a user message, its role left out
        {"role": "assistant", "content": "Hi! How can I help?"},
    ]
    _, chat = deploy(api, "CHAT_COMPLETION", "llama-chat")
    answer = api("models.chat_completions.create", chat.id, prompt=PROMPT,
                 chat_history=history, model_request_parameters=BINDINGS)  # fmt: skip
    as_read = [history[0], {"role": "user", "content": "Hello"}, history[2]]
    text = completion_text("llama-chat", PROMPT, as_read)
    assert answer.completions == [[PROMPT, [text]]]
    assert text != completion_text("llama-chat", PROMPT)
    history_tokens = sum(count_tokens(m["content"]) for m in history)
    assert answer.prompt_tokens == count_tokens(PROMPT) + history_tokens
    # A COMPLETION model completes the prompt alone, as the SDK documents.
    _, plain = deploy(api, "COMPLETION", "llama-base")
    answer = api("models.chat_completions.create", plain.id, prompt=PROMPT,
                 chat_history=history, model_request_parameters=BINDINGS)  # fmt: skip
    assert answer.completions == [[PROMPT, [completion_text("llama-base", PROMPT)]]]
    assert answer.prompt_tokens == count_tokens(PROMPT)
    # and a chat model serves plain completions too
    answer = api("models.completions.create", chat.id, prompt=PROMPT,
                 model_request_parameters=BINDINGS)  # fmt: skip
    assert answer.completions == [[PROMPT, [completion_text("llama-chat", PROMPT)]]]


def test_max_tokens_caps_the_text(api: Api) -> None:
    _, deployment = deploy(api, "COMPLETION", built_in=True)
    full = completion_text("llama", PROMPT)

    def complete(max_tokens: int) -> Any:
        return api("models.completions.create", deployment.id, prompt=PROMPT,
                   max_tokens=max_tokens)  # fmt: skip

    empty = complete(0)
    assert (empty.completions[0][1], empty.finish_reason, empty.response_tokens) == (
        [""],
        "length",
        0,
    )
    three = complete(3)
    assert three.completions[0][1][0] == " ".join(tokens(full)[:3])
    assert (three.finish_reason, three.response_tokens) == ("length", 3)
    whole = complete(10_000)
    assert (whole.completions[0][1][0], whole.finish_reason) == (full, "stop")
    assert complete(-5).completions[0][1] == [""]  # no range check beyond the SDK's types


def test_a_streamed_answer_is_the_whole_answer_a_token_at_a_time(api: Api) -> None:
    _, deployment = deploy(api, "CHAT_COMPLETION")
    body: dict[str, Any] = {
        "prompt": PROMPT,
        "chat_history": [{"role": "user", "content": "Hi"}],
        "model_request_parameters": BINDINGS,
    }
    whole = api("models.chat_completions.create", deployment.id, **body)
    chunks = api.chunks("models.chat_completions.create", deployment.id, **body)
    text = whole.completions[0][1][0]
    assert len(chunks) == count_tokens(text) > 1
    assert "".join(chunk.completions[0][1][0] for chunk in chunks) == text
    assert all(chunk.completions[0][0] == PROMPT for chunk in chunks)
    *first, last = chunks
    assert all(chunk.finish_reason is None and chunk.response_tokens is None for chunk in first)
    assert (last.finish_reason, last.prompt_tokens, last.response_tokens) == (
        "stop",
        whole.prompt_tokens,
        whole.response_tokens,
    )
    # completions stream the same way; a text capped to nothing is one empty chunk
    streamed = api.chunks("models.completions.create", deployment.id, prompt=PROMPT,
                          model_request_parameters=BINDINGS, max_tokens=0)  # fmt: skip
    assert [(c.completions, c.finish_reason) for c in streamed] == [([[PROMPT, [""]]], "length")]


# -- embeddings and rerankings ----------------------------------------------------------------


def test_embeddings_are_unit_vectors_the_same_for_the_same_text(api: Api) -> None:
    _, deployment = deploy(api, "EMBEDDING", "bge", request_schema=False)
    texts = ["the cat sat", "the cat sat", "a dog ran"]
    answer = api("models.embeddings.create", deployment.id, texts=texts)
    first, same, other = answer.embeddings
    assert len(first) == 16
    assert math.isclose(math.fsum(v * v for v in first), 1.0)
    assert first == same == embedding("the cat sat")
    assert other != first
    assert answer.tokens_used == sum(map(count_tokens, texts)) == 9


def test_rerank_scores_are_the_share_of_the_query_words_a_chunk_holds(api: Api) -> None:
    _, deployment = deploy(api, "RERANKING", "reranker", request_schema=False)
    chunks = ["Paris is the capital of France.", "Berlin is in Germany.", "Capital gains tax"]
    answer = api("models.rerankings.create", deployment.id, query="capital of France",
                 chunks=chunks, instruction="Rank by relevance")  # fmt: skip
    assert answer.chunk_scores == [1.0, 0.0, pytest.approx(1 / 3)]
    assert answer.chunk_scores == [rerank_score("capital of France", c) for c in chunks]
    assert answer.tokens_used == count_tokens("capital of France") + sum(map(count_tokens, chunks))


# -- execute ------------------------------------------------------------------------------------


def test_execute_answers_each_prompt_as_json_even_when_asked_to_stream(api: Api) -> None:
    model, deployment = deploy(api, "AGENT", "planner", request_schema=False)
    prompts = ["Plan a trip", "Book a table"]
    answer = api("models.deployments.execute", deployment.id, model_instance_id=model.id,
                 extra_body={"prompts": prompts, "session": {"id": 7}})  # fmt: skip
    assert answer == {"completions": [[p, [completion_text("planner", p)]] for p in prompts]}
    streamed = api("models.deployments.execute", deployment.id, model_instance_id=model.id,
                   stream=True, extra_body={"prompts": prompts})  # fmt: skip
    assert streamed == answer  # one JSON body: a strict client refuses SSE here
    assert api("models.deployments.execute", deployment.id, model_instance_id=model.id) == {
        "completions": []
    }
    other, _ = deploy(api, "AGENT", "other", request_schema=False)
    with pytest.raises(scale_gp.NotFoundError):  # the deployment is not the other model's
        api("models.deployments.execute", deployment.id, model_instance_id=other.id)


@pytest.mark.sgp_fake(strict=True)
def test_execute_is_never_refused_for_its_free_form_fields_in_strict_mode(api: Api) -> None:
    model, deployment = deploy(api, "GENERIC", "tool", request_schema=False)
    answer = api("models.deployments.execute", deployment.id, model_instance_id=model.id,
                 extra_body={"prompts": ["x"], "anything": [1, 2]})  # fmt: skip
    assert answer["completions"][0][0] == "x"
    with pytest.raises(scale_gp.UnprocessableEntityError) as refused:  # other routes: refused
        api("models.completions.create", deployment.id, prompt="x", extra_body={"colour": 1})
    assert refused.value.body["detail"][0]["type"] == "extra_forbidden"


# -- what cannot be served ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_type", "method", "arguments"),
    [
        ("CHAT_COMPLETION", "models.embeddings.create", {"texts": ["a"]}),
        ("EMBEDDING", "models.completions.create", {"prompt": "a"}),
        ("EMBEDDING", "models.rerankings.create", {"query": "a", "chunks": ["b"]}),
        ("AGENT", "models.chat_completions.create", {"prompt": "a", "chat_history": []}),
    ],
)
def test_a_route_serves_the_model_types_it_fits(
    api: Api, model_type: str, method: str, arguments: dict[str, Any]
) -> None:
    _, deployment = deploy(api, model_type, request_schema=False)
    with pytest.raises(scale_gp.BadRequestError) as refused:
        api(method, deployment.id, **arguments)
    article = "an" if model_type[0] in "AEIOU" else "a"
    assert f"serves {article} {model_type} model" in refused.value.body["detail"]


@pytest.mark.sgp_fake(deployment_ready_after=600)
def test_a_deployment_serves_once_it_is_ready(api: Api, sgp_fake: SGPFake) -> None:
    _, deployment = deploy(api, "COMPLETION", request_schema=False, wait_for_ready=False)
    with pytest.raises(scale_gp.BadRequestError) as pending:
        api("models.completions.create", deployment.id, prompt="a")
    assert status_of(pending) == (
        400,
        {"detail": f"Model deployment {deployment.id} is PENDING, not READY: it serves no "
                   "requests"},
    )  # fmt: skip
    sgp_fake.clock.advance(600)
    assert api("models.completions.create", deployment.id, prompt="a").finish_reason == "stop"
    sgp_fake.force_status("deployments", deployment.id, "FAILED")
    with pytest.raises(scale_gp.BadRequestError, match="is FAILED"):
        api("models.completions.create", deployment.id, prompt="a")


def test_a_model_id_where_a_deployment_id_belongs_is_named(api: Api) -> None:
    model, deployment = deploy(api, "COMPLETION", request_schema=False)
    second = api("models.deployments.create", model.id, name="canary")
    with pytest.raises(scale_gp.NotFoundError) as wrong:
        api("models.completions.create", model.id, prompt="a")
    assert status_of(wrong) == (
        404,
        {"detail": f"Model deployment {model.id} not found: {model.id} is a model id, and its "
                   f"deployments are {deployment.id}, {second.id}"},
    )  # fmt: skip
    with pytest.raises(scale_gp.NotFoundError) as unknown:
        api("models.completions.create", "no-such-deployment", prompt="a")
    assert status_of(unknown) == (404, {"detail": "Model deployment no-such-deployment not found"})


def test_bindings_fit_the_templates_request_schema(api: Api) -> None:
    _, deployment = deploy(api, "COMPLETION")

    def refused(bindings: dict[str, Any] | None) -> list[dict[str, Any]]:
        extra = {} if bindings is None else {"model_request_parameters": {"bindings": bindings}}
        with pytest.raises(scale_gp.UnprocessableEntityError) as error:
            api("models.completions.create", deployment.id, prompt="a", **extra)
        detail: list[dict[str, Any]] = error.value.body["detail"]
        return detail

    where = ["body", "model_request_parameters", "bindings"]
    assert refused(None) == [
        {"type": "missing", "loc": [*where, "temperature"], "msg": "Field required", "input": {}}
    ]
    assert refused({"temperature": 0.2, "temprature": 0.3}) == [
        {
            "type": "extra_forbidden",
            "loc": [*where, "temprature"],
            "msg": "Extra inputs are not permitted",
            "input": 0.3,
        }
    ]
    assert refused({"temperature": "hot", "top_k": 2.5}) == [
        {
            "type": "float_parsing",
            "loc": [*where, "temperature"],
            "msg": "Input should be a valid number, unable to parse string as a number",
            "input": "hot",
        },
        {
            "type": "int_from_float",
            "loc": [*where, "top_k"],
            "msg": "Input should be a valid integer, got a number with a fractional part",
            "input": 2.5,
        },
    ]
    fine = {"bindings": {"temperature": "0.5", "top_k": 4}}  # coerced, as creation parameters
    assert api("models.completions.create", deployment.id, prompt="a",
               model_request_parameters=fine).finish_reason == "stop"  # fmt: skip
    big = {"bindings": {"temperature": 0.5, "top_k": 10**20}}  # an int, however large
    assert api("models.completions.create", deployment.id, prompt="a",
               model_request_parameters=big).finish_reason == "stop"  # fmt: skip
    # a built-in model has no template: any binding goes
    _, built_in = deploy(api, "COMPLETION", "gpt", built_in=True)
    assert api("models.completions.create", built_in.id, prompt="a",
               model_request_parameters={"bindings": {"x": True}}).completions  # fmt: skip


# -- usage statistics -------------------------------------------------------------------------

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_usage_counts_the_tokens_served_in_equal_buckets(api: Api, sgp_fake: SGPFake) -> None:
    _model, deployment = deploy(api, "COMPLETION", "meta-llama/Llama-3", request_schema=False)
    sgp_fake.tables["usage"].set_clock(StepClock(T0, timedelta(minutes=10)))
    answers = [
        api("models.completions.create", deployment.id, prompt=p) for p in ("a", "b c", "d e f")
    ]  # answered at T0, T0 + 10 min, T0 + 20 min
    usage = api("models.deployments.usage_statistics.retrieve", deployment.id, chunks=3,
                start_date=T0, end_date=T0 + timedelta(minutes=30))  # fmt: skip
    assert [point.date for point in usage.data] == [T0 + timedelta(minutes=m) for m in (0, 10, 20)]
    assert [(p.prompt_tokens, p.response_tokens) for p in usage.data] == [
        (a.prompt_tokens, a.response_tokens) for a in answers
    ]
    assert all(p.summary_tokens == p.prompt_tokens + p.response_tokens for p in usage.data)
    assert (usage.start_date, usage.end_date) == (T0, T0 + timedelta(minutes=20))
    # two buckets of 15 minutes: the first holds two calls
    two = api("models.deployments.usage_statistics.retrieve", deployment.id, chunks=2,
              start_date=T0, end_date=T0 + timedelta(minutes=30))  # fmt: skip
    assert [p.prompt_tokens for p in two.data] == [1 + 2, 3]
    # a bucket starts where the one before ends; the end of the range is in the last
    edges = api("models.deployments.usage_statistics.retrieve", deployment.id, chunks=2,
                start_date=T0, end_date=T0 + timedelta(minutes=20))  # fmt: skip
    assert [p.prompt_tokens for p in edges.data] == [1, 2 + 3]
    # by model name, the '/' sent as %2F: the same tokens
    by_name = api("models.usage_statistics.retrieve", "meta-llama/Llama-3", chunks=3,
                  start_date=T0, end_date=T0 + timedelta(minutes=30))  # fmt: skip
    assert by_name.data == usage.data
    # no chunk, or an empty range: no point, the requested dates
    for chunks, end in ((0, T0 + timedelta(hours=1)), (4, T0)):
        empty = api("models.deployments.usage_statistics.retrieve", deployment.id,
                    chunks=chunks, start_date=T0, end_date=end)  # fmt: skip
        assert (empty.data, empty.start_date, empty.end_date) == ([], T0, end)


def test_usage_by_name_sums_every_visible_model_of_that_name(api: Api) -> None:
    _, first = deploy(api, "COMPLETION", "shared", request_schema=False)
    _, second = deploy(api, "COMPLETION", "shared", request_schema=False)
    _, elsewhere = deploy(api, "COMPLETION", "shared", request_schema=False, account_id="acct_2")
    for deployment in (first, second, elsewhere):
        api("models.completions.create", deployment.id, prompt="one two")
    now = datetime.now(UTC)
    window = {"chunks": 1, "start_date": now - timedelta(days=1), "end_date": now + timedelta(1)}
    total = api("models.usage_statistics.retrieve", "shared", **window)
    assert total.data[0].prompt_tokens == 3 * 2
    only = api("models.usage_statistics.retrieve", "shared", **window,
               extra_headers={"x-selected-account-id": "acct_2"})  # fmt: skip
    assert only.data[0].prompt_tokens == 2
    with pytest.raises(scale_gp.NotFoundError):
        api("models.usage_statistics.retrieve", "nobody", **window)
    with pytest.raises(scale_gp.NotFoundError):
        api("models.deployments.usage_statistics.retrieve", "no-such-deployment", **window)


# -- scripted answers ---------------------------------------------------------------------------


def test_a_scripted_conversation_answers_turn_after_turn(api: Api, sgp_fake: SGPFake) -> None:
    _model, deployment = deploy(api, "CHAT_COMPLETION", "agent", request_schema=False)
    rule = sgp_fake.respond(model="agent", texts=["I will search.", "Found 3 flights.", "Done."])
    history: list[dict[str, str]] = []
    said = []
    for prompt in ("Find a flight", "Any cheaper?", "Book it", "Thanks"):
        answer = api("models.chat_completions.create", deployment.id, prompt=prompt,
                     chat_history=history)  # fmt: skip
        said.append(answer.completions[0][1][0])
        history += [{"role": "user", "content": prompt}, {"role": "assistant", "content": said[-1]}]
    assert said == ["I will search.", "Found 3 flights.", "Done.", "Done."]  # the last repeats
    assert [e.response for e in sgp_fake.journal][-4:] == [rule["id"]] * 4
    assert sgp_fake.journal.last().rule == rule["id"]
    assert sgp_fake.responses.rules()[0]["hits"] == 4
    # streamed like any answer
    chunks = api.chunks("models.chat_completions.create", deployment.id, prompt="Again",
                        chat_history=[])  # fmt: skip
    assert "".join(c.completions[0][1][0] for c in chunks) == "Done."
    assert chunks[-1].response_tokens == count_tokens("Done.")


def test_scripted_answers_match_deployment_model_account_and_prompt(
    api: Api, sgp_fake: SGPFake
) -> None:
    model, deployment = deploy(api, "COMPLETION", "llama", request_schema=False)
    sgp_fake.respond(account_id="acct_2", text="other account")
    sgp_fake.respond(deployment="prod", prompt_regex=r"^refund\b", text="Refunds take 5 days.")
    sgp_fake.respond(model=model.id, prompt="weather", text="Sunny.")

    def say(prompt: str) -> str:
        answer = api("models.completions.create", deployment.id, prompt=prompt)
        return str(answer.completions[0][1][0])

    assert say("refund policy?") == "Refunds take 5 days."
    assert say("the weather today") == "Sunny."
    # the regular expression is anchored; the account rule is another account's
    assert say("is a refund possible?") == completion_text("llama", "is a refund possible?")


def test_scripted_embeddings_scores_and_execute_answers(api: Api, sgp_fake: SGPFake) -> None:
    _, embedder = deploy(api, "EMBEDDING", "bge", request_schema=False)
    sgp_fake.respond(model="bge", prompt="cat", embedding=[1.0, 0.0])
    sgp_fake.respond(model="bge", dimensions=4)
    vectors = api("models.embeddings.create", embedder.id, texts=["a cat", "a dog"]).embeddings
    assert vectors == [[1.0, 0.0], embedding("a dog", 4)]
    _, reranker = deploy(api, "RERANKING", "rr", request_schema=False)
    sgp_fake.respond(deployment=reranker.id, scores=[0.9])
    scores = api("models.rerankings.create", reranker.id, query="q", chunks=["a q", "b"])
    assert scores.chunk_scores == [0.9, 0.0]  # past the script, the default score
    model, agent = deploy(api, "AGENT", "planner", request_schema=False)
    sgp_fake.respond(model="planner", prompt="tool", execute={"tool_calls": [{"name": "search"}]})
    called = api("models.deployments.execute", agent.id, model_instance_id=model.id,
                 extra_body={"prompts": ["use a tool"]})  # fmt: skip
    assert called == {"tool_calls": [{"name": "search"}]}


# -- faults that match what a call is about -----------------------------------------------------


def test_fault_rules_match_the_deployment_model_and_prompt(api: Api, sgp_fake: SGPFake) -> None:
    _, deployment = deploy(api, "COMPLETION", "llama", request_schema=False)
    rule = sgp_fake.faults.add(deployment="prod", prompt="overload", status=503, times=None)
    assert api("models.completions.create", deployment.id, prompt="fine").finish_reason == "stop"
    with pytest.raises(scale_gp.InternalServerError):
        api("models.completions.create", deployment.id, prompt="please overload")
    with pytest.raises(scale_gp.InternalServerError):  # before the first byte of a stream
        api.chunks("models.completions.create", deployment.id, prompt="overload")
    assert sgp_fake.journal.last().rule == rule.id
    sgp_fake.faults.clear()
    sgp_fake.faults.add(model="llama", after=2, cut="error", body={"detail": "overloaded"})
    with pytest.raises(scale_gp.APIStatusError) as cut:
        api.chunks("models.completions.create", deployment.id, prompt="a long answer")
    assert (cut.value.status_code, cut.value.body) == (200, {"detail": "overloaded"})
    # the call was answered (and counted) in full; the client got two chunks and the error
    entry = sgp_fake.journal.last()
    assert entry.status == 200
    assert entry.response_body.count(b"data:") == 3
