"""The document says what the fake answers: 429 once a rate limit is set, streams as events.

schemathesis checks each answer against ``/openapi.json``: a 429 the SGP routes did not
document, and Server-Sent Events described as one string (each event is an object of its
fields, its ``data`` JSON of the route's chunk model), were failures of every run with a rate
limit or a streamed call.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from sgp_fake import SGPFake
from sgp_fake.core.ratelimit import RateLimit
from sgp_fake.factories import OMIT, seed_deployment

HEADERS = {"x-api-key": "k"}
CHECKS = [response_schema_conformance, status_code_conformance]


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake()


def _document(fake: SGPFake) -> dict[str, Any]:
    with fake.client() as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def test_every_sgp_operation_documents_429_and_the_document_itself_does_not(
    fake: SGPFake,
) -> None:
    operations = [
        (path, method, doc)
        for path, methods in _document(fake)["paths"].items()
        for method, doc in methods.items()
    ]
    assert len(operations) > 20
    for path, method, doc in operations:
        limited = "429" in doc["responses"]
        assert limited is (path != "/openapi.json"), (method, path)


def test_a_rate_limited_answer_conforms_to_the_document(fake: SGPFake) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fake.app)
    fake.rate_limiter.configure(RateLimit(rate=0.001, burst=1))
    case = schema["/v4/model-templates"]["GET"].Case()
    assert case.call(headers=HEADERS).status_code == 200
    limited = case.call(headers=HEADERS)
    assert limited.status_code == 429
    case.validate_response(limited, checks=CHECKS)


@pytest.mark.parametrize(
    ("model_type", "route", "body"),
    [
        ("COMPLETION", "completions", {"prompt": "hi there", "stream": True}),
        (
            "CHAT_COMPLETION",
            "chat-completions",
            {"chat_history": [], "prompt": "hi there", "stream": True},
        ),
    ],
)
def test_a_streamed_answer_conforms_to_the_document_event_by_event(
    fake: SGPFake, model_type: str, route: str, body: dict[str, Any]
) -> None:
    seeded = seed_deployment(
        fake, template={"model_type": model_type, "model_request_parameters_schema": OMIT}
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", fake.app)
    path = f"/v4/models/{{model_deployment_id}}/{route}"
    case = schema[path]["POST"].Case(
        path_parameters={"model_deployment_id": seeded.deployment["id"]},
        body=body,
        media_type="application/json",
    )
    answer = case.call(headers=HEADERS)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"][0].startswith("text/event-stream")
    case.validate_response(answer, checks=CHECKS)


def test_an_event_is_described_as_an_object_with_json_data(fake: SGPFake) -> None:
    document = _document(fake)
    streamed = [
        doc["responses"]["200"]["content"]["text/event-stream"]["schema"]
        for methods in document["paths"].values()
        for doc in methods.values()
        if "text/event-stream" in doc["responses"].get("200", {}).get("content", {})
    ]
    assert streamed
    for event in streamed:
        assert event["type"] == "object"
        assert event["required"] == ["data"]
        message = event["anyOf"][0]["properties"]
        assert message["event"] == {"const": "message"}
        assert message["data"]["contentMediaType"] == "application/json"
        assert message["data"]["contentSchema"]["$ref"].startswith("#/components/schemas/")


def test_a_stream_ended_by_a_done_event_conforms_to_the_document(fake: SGPFake) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fake.app)
    body = {
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello"}],
        "stream": True,
    }
    case = schema["/v5/chat/completions"]["POST"].Case(body=body, media_type="application/json")
    headers = {**HEADERS, "x-selected-account-id": "acct_1"}
    # The whole stream, read by an httpx client (schemathesis's own call may stop early).
    with fake.client(headers=headers) as client:
        answer = client.post("/v5/chat/completions", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.content.endswith(b"event: done\ndata: [DONE]\n\n")
    case.validate_response(Response.from_any(answer), checks=CHECKS)


def test_a_text_completion_stream_conforms_to_the_document(fake: SGPFake) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fake.app)
    body = {"model": "openai/gpt-4o-mini", "prompt": "Hello", "stream": True}
    case = schema["/v5/completions"]["POST"].Case(body=body, media_type="application/json")
    with fake.client(headers={**HEADERS, "x-selected-account-id": "acct_1"}) as client:
        answer = client.post("/v5/completions", json=body)
    assert answer.status_code == 200, answer.text
    case.validate_response(Response.from_any(answer), checks=CHECKS)
