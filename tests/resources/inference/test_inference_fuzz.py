"""Hostile inference bodies, usage queries, names and scripted rules: never a 5xx, every 4xx in
FastAPI's envelope, every 200 what the SDK's strict types accept; and inference racing deletes
of deployments answers or 404s, never fails, leaving no usage of a deployment gone (bounded;
``SGP_FAKE_FUZZ=long`` for more)."""

from __future__ import annotations

import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import TypeAdapter
from scale_gp.types import EmbeddingResponse, RerankingResponse
from scale_gp.types.shared import CompletionResponse, ModelUsage

from sgp_fake import FakeSettings, LiveServer, SGPFake
from sgp_fake.factories import OMIT, seed_deployment
from tests.properties.test_fuzz import check, fuzz_settings, json_values
from tests.resources.models.test_models_fuzz import mutated

TIMEOUT = 30.0
PARAMETERS = {
    "parameters": [
        {"name": "temperature", "type": "float", "description": "", "required": True},
        {"name": "n", "type": "int", "description": "", "required": False},
        {"name": "s", "type": "str", "description": "", "required": False},
        {"name": "b", "type": "bool", "description": "", "required": False},
    ]
}
BINDINGS = {"bindings": {"temperature": 0.5, "n": 2, "s": "x", "b": True}}
BODIES: dict[str, dict[str, Any]] = {
    "completions": {"prompt": "Hello there", "max_tokens": 5, "model_request_parameters": BINDINGS},
    "chat-completions": {
        "prompt": "And then?",
        "chat_history": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Hi"},
                    {"image_url": {"url": "https://x/y.png"}},
                ],
            },
            {"role": "assistant", "content": "Hello!"},
        ],
        "stream": True,
        "model_request_parameters": BINDINGS,
    },
    "embeddings": {"texts": ["a", "b c"], "model_request_parameters": BINDINGS},
    "rerankings": {
        "query": "q",
        "chunks": ["q a", "b"],
        "instruction": "rank",
        "model_request_parameters": BINDINGS,
    },
    "execute": {"prompts": ["x", {"y": 1}], "stream": True},
}
TYPES = {
    "completions": "COMPLETION",
    "chat-completions": "CHAT_COMPLETION",
    "embeddings": "EMBEDDING",
    "rerankings": "RERANKING",
    "execute": "AGENT",
}
ANSWERS: dict[str, Any] = {
    "completions": CompletionResponse,
    "chat-completions": CompletionResponse,
    "embeddings": EmbeddingResponse,
    "rerankings": RerankingResponse,
}


def _graph(
    strict: bool, contract: bool, *, admin: bool = False
) -> tuple[SGPFake, dict[str, tuple[str, str]]]:
    """A fake with a READY deployment of each route's model type: route -> (model, deployment)."""
    fake = SGPFake(FakeSettings(strict=strict, contract=contract), journal_limit=20, admin=admin)
    found = {}
    for seed, (route, model_type) in enumerate(TYPES.items()):
        seeded = seed_deployment(
            fake,
            account_id="acct_1",
            seed=seed,
            template={
                "model_type": model_type,
                "model_request_parameters_schema": PARAMETERS,
                "model_creation_parameters_schema": OMIT,
            },
        )
        found[route] = (seeded.model["id"], seeded.deployment["id"])
    return fake, found


def _url(route: str, model_id: str, deployment_id: str) -> str:
    if route == "execute":
        return f"/v4/models/{model_id}/deployments/{deployment_id}/execute"
    return f"/v4/models/{deployment_id}/{route}"


def _check_answer(route: str, answer: httpx.Response) -> None:
    if answer.status_code == 200 and answer.headers["content-type"].startswith("text/event"):
        events = answer.text.split("\n\n")
        assert events[-1] == ""  # every event ends with a blank line
        for event in events[:-1]:
            assert event.startswith("data: ")
            CompletionResponse.model_validate_json(event[len("data: ") :])
        return
    data = check(answer)
    if answer.status_code == 200 and route in ANSWERS:
        ANSWERS[route].model_validate(data)
    elif answer.status_code == 200:
        assert isinstance(data, dict)


routes = st.sampled_from(list(BODIES))
targets = st.sampled_from(["deployment", "model", "unknown", "other-route"])
content_types = st.sampled_from(["application/json", "text/plain", None])


@fuzz_settings(60)
@given(data=st.data(), strict=st.booleans(), contract=st.booleans())
def test_mutated_inference_bodies_never_get_a_5xx(
    data: st.DataObject, strict: bool, contract: bool
) -> None:
    fake, graph = _graph(strict, contract)
    with fake.client() as client:
        for _ in range(data.draw(st.integers(1, 5))):
            route = data.draw(routes)
            model_id, deployment_id = graph[route]
            target = data.draw(targets)
            if target == "model":
                deployment_id = model_id
            elif target == "unknown":
                deployment_id = quote(data.draw(st.text(min_size=1, max_size=8)), safe="")
            elif target == "other-route":
                model_id, deployment_id = graph[data.draw(routes)]
            body = data.draw(st.one_of(mutated(copy.deepcopy(BODIES[route])), json_values))
            content = json.dumps(body, allow_nan=True).encode()
            headers = {}
            content_type = data.draw(content_types)
            if content_type:
                headers["content-type"] = content_type
            answer = client.post(
                _url(route, model_id, deployment_id), content=content, headers=headers
            )
            _check_answer(route, answer)
    usage = fake.tables["usage"].all()
    deployments = {record.id for record in fake.tables["deployments"].all()}
    assert all(record.parent in deployments for record in usage)


# "." and ".." are dot segments: the client removes them, so the URL no longer names the route.
names = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=10
).filter(lambda name: name not in {".", ".."})
dates = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2024-01-02"]),
    st.text(max_size=12),
)
usage_queries = st.fixed_dictionaries(
    {},
    optional={
        "chunks": st.one_of(st.integers(-5, 12_000).map(str), st.text(max_size=5)),
        "start_date": dates,
        "end_date": dates,
        "x": st.text(max_size=3),
    },
)


# Random windows mostly miss the fake's clock, which a ClockWarning says; this test is about the
# status of the answer.
@pytest.mark.filterwarnings("ignore::sgp_fake.clock.ClockWarning")
@fuzz_settings(80)
@given(name=names, query=usage_queries, strict=st.booleans(), contract=st.booleans())
@example(name="x", query={"chunks": "0.0"}, strict=False, contract=False)
@example(name="x", query={"chunks": " 3"}, strict=True, contract=False)
def test_usage_queries_and_names_never_get_a_5xx(
    name: str, query: dict[str, str], strict: bool, contract: bool
) -> None:
    fake, graph = _graph(strict, contract)
    _, deployment_id = graph["completions"]
    model_name = fake.tables["models"].get(graph["completions"][0]).as_dict()["name"]
    with fake.client() as client:
        client.post(f"/v4/models/{deployment_id}/completions", json=BODIES["completions"])
        for url in (
            f"/v4/models/{quote(name, safe='')}/usage-statistics",
            f"/v4/models/{quote(model_name, safe='')}/usage-statistics",
            f"/v4/model-deployments/{deployment_id}/usage-statistics",
            f"/v4/model-deployments/{quote(name, safe='')}/usage-statistics",
        ):
            answer = client.get(url, params=query)
            data = check(answer)
            if answer.status_code == 200:
                usage = ModelUsage.model_validate(data)
                # As the route read it: pydantic takes "0.0" or " 3" for an integer too.
                chunks = TypeAdapter(int).validate_python(query.get("chunks", "0"))
                assert len(usage.data) <= max(chunks, 0)


rule_fields = st.sampled_from(
    ["deployment", "model", "prompt", "prompt_regex", "account_id", "text", "texts",
     "embedding", "dimensions", "scores", "execute", "x"]
)  # fmt: skip


@fuzz_settings(60)
@given(
    rule=st.one_of(json_values, st.dictionaries(rule_fields, json_values, max_size=4)),
    route=routes,
)
def test_any_scripted_rule_is_taken_or_refused_and_answers_stay_valid(
    rule: Any, route: str
) -> None:
    fake, graph = _graph(False, False, admin=True)
    model_id, deployment_id = graph[route]
    with fake.client() as client:
        added = client.post("/_fake/responses", content=json.dumps(rule, allow_nan=True))
        assert added.status_code in (201, 422), added.text
        check(added)
        answer = client.post(_url(route, model_id, deployment_id), json=BODIES[route])
        _check_answer(route, answer)
        assert answer.status_code == 200, answer.text


# -- concurrency --------------------------------------------------------------------------------


def _race(
    base_url: str, transport: httpx.BaseTransport | None, graph: dict[str, tuple[str, str]]
) -> list[int]:
    """Threads calling every route while another deletes the deployments one by one (and one
    model, whose deployment goes with it): the deletes start once every route has answered,
    and the calls go on until some come after the last delete. Every answer is checked; their
    statuses returned."""
    seen: list[int] = []
    answered = threading.Barrier(len(graph) + 1)
    deleted = threading.Event()
    with httpx.Client(base_url=base_url, transport=transport, timeout=TIMEOUT,
                      headers={"x-api-key": "k"}) as client:  # fmt: skip

        def call(route: str) -> None:
            model_id, deployment_id = graph[route]
            after = 0
            for number in range(10_000):
                answer = client.post(_url(route, model_id, deployment_id), json=BODIES[route])
                _check_answer(route, answer)
                seen.append(answer.status_code)
                if number == 0:
                    answered.wait(TIMEOUT)
                if deleted.is_set():
                    after += 1
                    if after == 3:
                        return

        def delete() -> None:
            answered.wait(TIMEOUT)
            for route, (model_id, deployment_id) in graph.items():
                if route == "embeddings":
                    assert client.delete(f"/v4/models/{model_id}").status_code == 200
                    continue
                url = f"/v4/models/{model_id}/deployments/{deployment_id}"
                assert client.delete(url).status_code == 200
            deleted.set()

        with ThreadPoolExecutor(len(graph) + 1) as pool:
            futures = [pool.submit(call, route) for route in graph]
            futures.append(pool.submit(delete))
            for future in futures:
                future.result(TIMEOUT)
    return seen


@pytest.mark.parametrize("where", ["in-process", "live"])
def test_inference_racing_deployment_deletes_answers_or_404s(where: str) -> None:
    fake, graph = _graph(False, False)
    server = LiveServer(fake.app) if where == "live" else None
    try:
        base_url = server.start().url if server is not None else "http://sgp"
        transport = None if server is not None else fake.transport()
        seen = _race(base_url, transport, graph)
    finally:
        if server is not None:
            server.stop()
    assert set(seen) == {200, 404}  # answered before the deletes, 404 after
    assert len(fake.tables["deployments"]) == 0
    assert len(fake.tables["usage"]) == 0  # gone with their deployments, none written after


@pytest.mark.parametrize("route", ["completions", "chat-completions", "execute"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_utf8_cannot_carry_is_a_400_and_counts_nothing(route: str, stream: bool) -> None:
    # JSON can carry a lone surrogate ("\ud800"), UTF-8 cannot: the answer would echo it.
    fake, graph = _graph(False, False)
    model_id, deployment_id = graph[route]
    body = copy.deepcopy(BODIES[route])
    if route == "execute":
        body["prompts"] = ["\ud800"]
    else:
        body["prompt"] = "a \ud800"
    body["stream"] = stream
    with fake.client() as client:
        answer = client.post(
            _url(route, model_id, deployment_id),
            content=json.dumps(body).encode(),  # ensure_ascii: "\ud800" escaped
            headers={"content-type": "application/json"},
        )
    assert (answer.status_code, answer.json()) == (
        400,
        {"detail": "There was an error parsing the body"},
    )
    assert len(fake.tables["usage"]) == 0


@pytest.mark.parametrize("route", ["embeddings", "rerankings"])
@pytest.mark.parametrize("rule", ["scripted", "fault"])
def test_a_prompt_regex_rule_searches_a_text_utf8_cannot_carry(route: str, rule: str) -> None:
    # Embeddings and rerankings echo no text, so a lone surrogate ("\ud800", valid JSON) in a
    # text or a query is answered; a rule's regular expression (RE2 reads UTF-8) searches it
    # with the surrogate read as U+FFFD, and the rest as it is.
    fake, graph = _graph(False, False)
    model_id, deployment_id = graph[route]
    if rule == "scripted":
        fake.respond(prompt_regex=r"^cat.$", embedding=[1.0, 0.0], scores=[0.5, 0.25])
    else:
        fake.faults.add(prompt_regex=r"^cat.$", status=503)
    body = copy.deepcopy(BODIES[route])
    if route == "embeddings":
        body["texts"] = ["cat\ud800", "dog"]
    else:
        body["query"] = "cat\ud800"
    with fake.client() as client:
        answer = client.post(
            _url(route, model_id, deployment_id),
            content=json.dumps(body).encode(),  # ensure_ascii: "\ud800" escaped
            headers={"content-type": "application/json"},
        )
    if rule == "fault":
        assert answer.status_code == 503
    elif route == "embeddings":
        assert answer.status_code == 200
        assert answer.json()["embeddings"][0] == [1.0, 0.0]
    else:
        assert (answer.status_code, answer.json()["chunk_scores"]) == (200, [0.5, 0.25])
