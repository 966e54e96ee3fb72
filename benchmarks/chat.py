"""The chat completion the inference benchmarks send: a deployment to call, its bodies, and the
fake's answers, which the chat reference (``references.chat_app``) answers byte for byte.

A chat model of a template with a request parameter to bind (so the fake checks bindings as it
does for users), a short history and a prompt: about 30 tokens of answer, so a streamed answer
is about 30 events.
"""

from __future__ import annotations

import json
from typing import Any

from sgp_fake import SGPFake
from sgp_fake.factories import OMIT, seed_deployment

CHAT_BODY: dict[str, Any] = {
    "prompt": "Which of our regions had the highest latency yesterday, and why?",
    "chat_history": [
        {"role": "system", "content": "You are a concise assistant for an ML platform team."},
        {"role": "user", "content": "Summarize yesterday's incidents."},
        {"role": "assistant", "content": "Two incidents: a GPU quota alert and a slow deploy."},
    ],
    "max_tokens": 256,
    "temperature": 0.2,
    "model_request_parameters": {"bindings": {"temperature": 0.2}},
}
STREAM_BODY: dict[str, Any] = {**CHAT_BODY, "stream": True}
CHAT_BODY_BYTES = json.dumps(CHAT_BODY).encode()
STREAM_BODY_BYTES = json.dumps(STREAM_BODY).encode()

_TEMPLATE = {
    "model_type": "CHAT_COMPLETION",
    "model_creation_parameters_schema": OMIT,
    "model_request_parameters_schema": {
        "parameters": [
            {"name": "temperature", "type": "float", "description": "Sampling", "required": True}
        ]
    },
}


def chat_deployment(fake: SGPFake) -> str:
    """Store a chat model's READY deployment in ``fake``; return its chat-completions path."""
    seeded = seed_deployment(fake, account_id="acct_00", seed="bench", template=_TEMPLATE)
    return f"/v4/models/{seeded.deployment['id']}/chat-completions"


def answers(fake: SGPFake, path: str, api_key: str) -> tuple[bytes, list[bytes]]:
    """The fake's answer to the chat, and its streamed answer split into events."""
    headers = {"content-type": "application/json"}
    with fake.client(api_key=api_key, headers=headers) as client:
        whole = client.post(path, content=CHAT_BODY_BYTES)
        streamed = client.post(path, content=STREAM_BODY_BYTES)
    assert whole.status_code == streamed.status_code == 200, (whole.text, streamed.text)
    events = [event + b"\n\n" for event in streamed.content.split(b"\n\n") if event]
    assert b"".join(events) == streamed.content
    return whole.content, events


def seed_document(fake: SGPFake) -> dict[str, Any]:
    """The fake's state as a seed file (``--seed-file``) holds it: the graph, no usage."""
    return {
        kind: [record.as_dict() for record in table.all()]
        for kind, table in fake.tables.items()
        if kind != "usage"
    }
