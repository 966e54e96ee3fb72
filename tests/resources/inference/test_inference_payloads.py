"""Factories of inference bodies, and named invalid ones with their exact 422: the body's
own (checked against a FastAPI service on the same models) and bindings against a template's
request schema."""

from __future__ import annotations

from typing import Annotated, Any, List, Literal, Union

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from sgp_fake import SGPFake
from sgp_fake.factories import InferenceFactory, TemplateFactory, seed_deployment
from sgp_fake.payloads import (
    INFERENCE_PATHS,
    INFERENCE_ROUTES,
    INVALID_INFERENCE_PAYLOAD_NAMES,
    binding_payloads,
    invalid_inference_payloads,
    missing_binding,
    unknown_binding,
    wrong_binding_type,
)
from sgp_fake.resources.models.call_bodies import (
    ChatCompletionRequest,
    CompletionRequest,
    EmbeddingRequest,
    RerankingRequest,
)
from tests.support.reference_app import call_reference

TYPES = {
    "completions": "COMPLETION",
    "chat-completions": "CHAT_COMPLETION",
    "embeddings": "EMBEDDING",
    "rerankings": "RERANKING",
}
MODELS = {
    "completions": CompletionRequest,
    "chat-completions": ChatCompletionRequest,
    "embeddings": EmbeddingRequest,
    "rerankings": RerankingRequest,
}
PAYLOADS = {route: invalid_inference_payloads(route) for route in INFERENCE_ROUTES}
CASES = [(route, name) for route in INFERENCE_ROUTES for name in PAYLOADS[route]]


def test_the_named_sets_are_complete() -> None:
    for route in INFERENCE_ROUTES:
        assert tuple(PAYLOADS[route]) == INVALID_INFERENCE_PAYLOAD_NAMES[route]
        assert {p.path for p in PAYLOADS[route].values()} == {INFERENCE_PATHS[route]}
    with pytest.raises(ValueError, match="route must be"):
        invalid_inference_payloads("completion")


@pytest.mark.parametrize(("route", "name"), CASES)
def test_invalid_inference_bodies_earn_their_exact_422(
    fake: SGPFake, route: str, name: str
) -> None:
    payload = PAYLOADS[route][name]
    with fake.client() as client:
        answer = payload.post(client, model_deployment_id="no-such-deployment")  # body first
    assert (answer.status_code, answer.content) == (422, payload.expected_content)
    # as a FastAPI service on the same models answers
    url = payload.url(model_deployment_id="d")
    reference = call_reference("POST", url, **payload.request_kwargs())
    assert (reference.status_code, reference.content) == (422, payload.expected_content)


def _template(seed: int, model_type: str) -> dict[str, Any]:
    templates = TemplateFactory(seed, account_id="acct_1")
    return templates.response(
        model_type=model_type,
        model_request_parameters_schema=templates.parameter_schema("request"),
    )


def _body(factory: InferenceFactory, route: str, template: dict[str, Any]) -> dict[str, Any]:
    make = {
        "completions": factory.completion,
        "chat-completions": factory.chat,
        "embeddings": factory.embedding,
        "rerankings": factory.reranking,
    }[route]
    return make(template=template, optional="all")


@pytest.mark.parametrize("route", INFERENCE_ROUTES)
@pytest.mark.parametrize("seed", range(4))
def test_factory_bodies_fit_and_binding_payloads_earn_what_they_say(
    fake: SGPFake, route: str, seed: int
) -> None:
    seeded = seed_deployment(fake, account_id="acct_1", seed=seed,
                             template=_template(seed, TYPES[route]))  # fmt: skip
    template, deployment_id = seeded.template, seeded.deployment["id"]
    body = _body(InferenceFactory(seed), route, template)
    payloads = binding_payloads(body, template, model=MODELS[route])
    assert {"unknown_binding", "wrong_binding_type"} <= set(payloads)
    with fake.client() as client:
        url = INFERENCE_PATHS[route].format(model_deployment_id=deployment_id)
        assert client.post(url, json=body).status_code == 200  # the body fits
        for payload in payloads.values():
            assert payload.path == INFERENCE_PATHS[route]
            answer = payload.post(client, model_deployment_id=deployment_id)
            assert (answer.status_code, answer.content) == (422, payload.expected_content), (
                payload.name
            )


def test_each_binding_error_names_the_parameter(fake: SGPFake) -> None:
    schema = {"parameters": [
        {"name": "temperature", "type": "float", "description": "", "required": True},
        {"name": "top_k", "type": "int", "description": "", "required": False},
        {"name": "style", "type": "str", "description": "", "required": False},
        {"name": "safe", "type": "bool", "description": "", "required": False},
    ]}  # fmt: skip
    seeded = seed_deployment(fake, account_id="acct_1", seed=5, template={
        "model_type": "COMPLETION", "model_request_parameters_schema": schema})  # fmt: skip
    body = {"prompt": "p", "model_request_parameters": {"bindings": {"temperature": 0.3}}}
    where = ["body", "model_request_parameters", "bindings"]
    cases = [
        (unknown_binding(body, seeded.template), "extra_forbidden", "temprature"),
        (missing_binding(body, seeded.template), "missing", "temperature"),
        (wrong_binding_type(body, seeded.template, "top_k", 1.5), "int_from_float", "top_k"),
        (wrong_binding_type(body, seeded.template, "style", 42), "string_type", "style"),
        (wrong_binding_type(body, seeded.template, "safe", "maybe"), "bool_parsing", "safe"),
        (wrong_binding_type(body, seeded.template, "temperature", "hot"), "float_parsing",
         "temperature"),
    ]  # fmt: skip
    with fake.client() as client:
        for payload, kind, name in cases:
            (error,) = payload.errors
            assert (error["type"], error["loc"]) == (kind, [*where, name])
            answer = payload.post(client, model_deployment_id=seeded.deployment["id"])
            assert answer.content == payload.expected_content, payload.name
    with pytest.raises(ValueError, match="is a valid integer"):
        wrong_binding_type(body, seeded.template, "top_k", "4")  # pydantic's lax mode takes it
    with pytest.raises(ValueError, match="is a request parameter"):
        unknown_binding(body, seeded.template, "top_k")
    with pytest.raises(ValueError, match="a string, a number or a boolean"):
        wrong_binding_type(body, seeded.template, "style", [1])


def test_the_same_seed_gives_the_same_bodies() -> None:
    template = _template(3, "CHAT_COMPLETION")
    assert InferenceFactory(7).chat(template=template) == InferenceFactory(7).chat(
        template=template
    )
    assert len(InferenceFactory(7).execute(count=3)["prompts"]) == 3
    body = InferenceFactory(1).completion(max_tokens=9, model_request_parameters={"x": 1})
    assert body["max_tokens"] == 9
    assert body["model_request_parameters"] == {"x": 1}


# The messages of a chat history as the SDK's types declare them (``FlexibleMessage``): told
# apart by ``role``, a user message's content parts by ``type``, each part named as the SDK
# names it. Written here, not imported, so the fake's own models are checked against them.
class _ImageURL(BaseModel):
    url: str
    detail: Literal["low", "high", "auto"] = None  # type: ignore[assignment]


class _ImageData(BaseModel):
    data: str
    media_type: str
    detail: Literal["low", "high", "auto"] = None  # type: ignore[assignment]
    type: Literal["base64"] = "base64"


class TextUserMessageContentParts(BaseModel):
    type: Literal["text"] = "text"
    text: str


class ImageURLUserMessageContentParts(BaseModel):
    type: Literal["image_url"] = "image_url"
    image_url: _ImageURL


class ImageDataUserMessageContentParts(BaseModel):
    type: Literal["image_data"] = "image_data"
    image_data: _ImageData


class _UserMessage(BaseModel):
    role: Literal["user"] = "user"
    content: Union[
        str,
        List[
            Annotated[
                Union[
                    TextUserMessageContentParts,
                    ImageURLUserMessageContentParts,
                    ImageDataUserMessageContentParts,
                ],
                Field(discriminator="type"),
            ]
        ],
    ]


class _AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class _SystemMessage(BaseModel):
    role: Literal["system"] = "system"
    content: str


class _SDKsChatBody(CompletionRequest):
    chat_history: List[
        Annotated[
            Union[_UserMessage, _AssistantMessage, _SystemMessage], Field(discriminator="role")
        ]
    ]


_sdks_messages = FastAPI()


@_sdks_messages.post("/v4/models/{model_deployment_id}/chat-completions")
def _chat(model_deployment_id: str, body: _SDKsChatBody) -> None: ...


@pytest.mark.parametrize(
    "message",
    [
        {"role": "bot", "content": "x"},
        {"role": "USER", "content": "x"},
        {"role": None, "content": "x"},
        {"role": "user"},
        {"role": "assistant", "content": 1},
        {"role": "system", "content": ["a"]},
        {"role": "user", "content": 5},
        {"role": "user", "content": [{"type": "video"}]},
        {"role": "user", "content": [{"type": None, "text": "x"}]},
        {"role": "user", "content": [{"type": "text"}]},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": 1}}]},
        {"role": "user", "content": [None]},
        "hello",
        None,
    ],
)
def test_a_refused_chat_message_gets_the_422_of_the_sdks_tagged_unions(
    fake: SGPFake, message: Any
) -> None:
    # One error at the message or part a wrong tag names (not one per variant it is not),
    # located by the tag.
    sent = {"prompt": "p", "chat_history": [message]}
    expected = TestClient(_sdks_messages).post("/v4/models/d/chat-completions", json=sent)
    with fake.client() as client:
        answer = client.post("/v4/models/no-such-deployment/chat-completions", json=sent)
    assert (answer.status_code, answer.content) == (422, expected.content)


def test_a_chat_message_or_part_without_its_tag_is_read_as_before(fake: SGPFake) -> None:
    seeded = seed_deployment(
        fake, account_id="acct_1", seed="tags", template={"model_type": "CHAT_COMPLETION"}
    )
    history = [
        {"content": "hi"},
        {"content": [{"text": "look"}, {"image_url": {"url": "https://x/y.png"}}]},
        {"role": "assistant", "content": "ok"},
    ]
    url = f"/v4/models/{seeded.deployment['id']}/chat-completions"
    with fake.client() as client:
        answer = client.post(url, json={"prompt": "p", "chat_history": history})
    assert answer.status_code == 200, answer.text
