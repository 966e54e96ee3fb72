"""``POST /v5/responses`` with ``text.format``: structured output (``json_schema``: a JSON document
valid against the schema; ``json_object``: a JSON object), through ``openai``'s
``responses.parse`` / ``responses.stream`` and the raw field, streamed and not, and scripts."""

from __future__ import annotations

import asyncio
import json
from typing import Any, List, Literal, Optional

import httpx
import pytest
from pydantic import BaseModel

from sgp_fake import SGPFake
from tests.resources.gateway.test_gateway_responses import ACCOUNT, BASE, MODEL, plain

openai = pytest.importorskip("openai")
jsonschema = pytest.importorskip("jsonschema")


class Step(BaseModel):
    explanation: str
    output: str


class Solution(BaseModel):
    steps: List[Step]
    final_answer: str
    confidence: int
    verdict: Literal["right", "wrong", "unsure"]
    note: Optional[str]


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 3, "maxLength": 40},
        "rank": {"type": "integer", "minimum": 1, "maximum": 10},
        "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "kind": {"enum": ["capital", "town"]},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
        "where": {"$ref": "#/$defs/Point"},
        "parent": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/Point"}]},
        "open": {"type": "boolean"},
    },
    "required": ["city", "rank", "score", "kind", "tags", "where", "parent", "open"],
    "additionalProperties": False,
    "$defs": {
        "Point": {
            "type": "object",
            "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
            "required": ["lat", "lon"],
            "additionalProperties": False,
        }
    },
}
FORMAT: dict[str, Any] = {"type": "json_schema", "name": "city", "schema": SCHEMA, "strict": True}


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake()


def _valid(document: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


def test_parse_gives_an_instance_of_the_model(fake: SGPFake) -> None:
    client = plain(fake)
    response = client.responses.parse(model=MODEL, input="Solve 8x + 7 = -23", text_format=Solution)
    assert isinstance(response.output_parsed, Solution)
    assert response.output_parsed.steps  # at least one item
    _valid(json.loads(response.output_text), Solution.model_json_schema())
    # the format asked is echoed, as OpenAI does
    assert response.text.format.type == "json_schema"
    assert response.text.format.name == "Solution"
    assert response.text.format.strict is True
    # the same request, the same document
    again = client.responses.parse(model=MODEL, input="Solve 8x + 7 = -23", text_format=Solution)
    assert again.output_text == response.output_text
    assert again.output_parsed == response.output_parsed


def test_parse_with_the_async_client(fake: SGPFake) -> None:
    async def go() -> Any:
        client = openai.AsyncOpenAI(
            api_key="key",
            base_url=f"{BASE}/v5",
            default_headers={"x-selected-account-id": ACCOUNT},
            http_client=httpx.AsyncClient(transport=fake.async_transport()),
            _strict_response_validation=True,
            max_retries=0,
        )
        try:
            return await client.responses.parse(model=MODEL, input="Solve", text_format=Solution)
        finally:
            await client.close()

    response = asyncio.run(go())
    assert isinstance(response.output_parsed, Solution)
    assert plain(fake).responses.parse(
        model=MODEL, input="Solve", text_format=Solution
    ).output_text == response.output_text  # fmt: skip


def test_the_answer_is_valid_against_the_schema_sent(fake: SGPFake) -> None:
    client = plain(fake)
    texts = set()
    for prompt in ("Paris", "Lyon", "Name a city", "Où ?"):
        response = client.responses.create(model=MODEL, input=prompt, text={"format": FORMAT})
        assert response.status == "completed"
        document = json.loads(response.output_text)
        _valid(document, SCHEMA)
        assert response.usage.output_tokens > 0
        texts.add(response.output_text)
    assert len(texts) > 1  # the conversation seeds the document


def test_the_stream_delivers_the_same_text(fake: SGPFake) -> None:
    client = plain(fake)
    whole = client.responses.create(model=MODEL, input="Paris", text={"format": FORMAT})
    events = list(
        client.responses.create(model=MODEL, input="Paris", text={"format": FORMAT}, stream=True)
    )
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 1
    assert "".join(deltas) == whole.output_text
    (done,) = [e for e in events if e.type == "response.output_text.done"]
    assert done.text == whole.output_text
    assert events[0].response.text.format.name == "city"
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == whole.output_text
    # openai's stream helper parses the streamed text into the model
    parsed = client.responses.parse(model=MODEL, input="Solve", text_format=Solution)
    with client.responses.stream(model=MODEL, input="Solve", text_format=Solution) as stream:
        final = stream.get_final_response()
    assert final.output_parsed == parsed.output_parsed


def test_the_chat_route_answers_the_same_document(fake: SGPFake) -> None:
    client = plain(fake)
    response = client.responses.create(model=MODEL, input="Paris", text={"format": FORMAT})
    chat = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Paris"}],
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": SCHEMA}},
    )
    assert chat.choices[0].message.content == response.output_text


def test_json_object_and_text_formats(fake: SGPFake) -> None:
    client = plain(fake)
    words = client.responses.create(model=MODEL, input="Hello")
    assert words.text.format.type == "text"
    as_text = client.responses.create(model=MODEL, input="Hello", text={"format": {"type": "text"}})
    assert as_text.output_text == words.output_text
    response = client.responses.create(
        model=MODEL, input="Hello", text={"format": {"type": "json_object"}}
    )
    assert response.text.format.type == "json_object"
    document = json.loads(response.output_text)
    assert document == {"answer": words.output_text}
    events = list(
        client.responses.create(
            model=MODEL, input="Hello", text={"format": {"type": "json_object"}}, stream=True
        )
    )
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == response.output_text


def test_the_v5_sdk_reads_the_echoed_format(fake: SGPFake) -> None:
    pytest.importorskip("scale_gp_beta")
    sdk = fake.beta_client(
        api_key="key", account_id=ACCOUNT, _strict_response_validation=True, max_retries=0
    )
    response = sdk.responses.create(model=MODEL, input="Paris", text={"format": FORMAT})
    (message,) = [item for item in response.output if item.type == "message"]
    _valid(json.loads(message.content[0].text), SCHEMA)
    assert response.text.format.type == "json_schema"


def test_a_scripted_answer_wins(fake: SGPFake) -> None:
    scripted = {
        "steps": [{"explanation": "subtract 7", "output": "8x = -30"}],
        "final_answer": "x = -3.75",
        "confidence": 9,
        "verdict": "right",
        "note": None,
    }
    fake.respond(model=MODEL, prompt="Solve", text=json.dumps(scripted))
    fake.respond(model=MODEL, prompt="weather", text="Sunny.")
    client = plain(fake)
    response = client.responses.parse(model=MODEL, input="Solve 8x + 7 = -23", text_format=Solution)
    assert response.output_parsed == Solution.model_validate(scripted)
    words = client.responses.create(model=MODEL, input="the weather", text={"format": FORMAT})
    assert words.output_text == "Sunny."  # the script's text, JSON or not
    assert fake.unused_rules() == []
