"""``response_format`` JSON Schemas: the document written is valid against its schema.

Checked with the jsonschema library (formats asserted) over schemas pydantic writes for the
models teams pass to ``chat.completions.parse``, and hand-written ones for the keywords pydantic
does not emit, each under several seeds.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import uuid
from typing import Annotated, Any, Literal, Optional, Union

import jsonschema
import pytest
from pydantic import (
    UUID1,
    UUID4,
    UUID7,
    Base64Str,
    Base64UrlBytes,
    BaseModel,
    Field,
    IPvAnyAddress,
    IPvAnyInterface,
    IPvAnyNetwork,
    NameEmail,
)

from sgp_fake.resources.gateway.structured import instance

SEEDS = [f"seed-{i}" for i in range(12)]


class Pair(BaseModel):
    pair: tuple[int, str]


class Cold(BaseModel):
    temp: float = Field(le=-10)
    depth: int = Field(lt=-3)
    above: int = Field(gt=1000)
    ratio: float = Field(gt=0, lt=1)
    # Below zero, the only bound: an exclusive maximum of 0 leaves 0 out.
    owed: float = Field(lt=0)
    overdrawn: int = Field(lt=0)


class Node(BaseModel):
    name: str
    children: list[Node]


class Chain(BaseModel):
    value: int
    next: Optional[Chain] = None


class Code(BaseModel):
    zip: str = Field(pattern=r"^\d{5}(-\d{4})?$")
    sku: str = Field(pattern=r"^[A-Z]{3}-[0-9a-f]{6}$")
    phone: str = Field(pattern=r"^\+\d{1,3} \(\d{3}\) \d{3}-\d{4}$")
    slug: str = Field(pattern=r"^[a-z]+(?:-[a-z]+)*$", min_length=12, max_length=40)
    not_vowel: str = Field(pattern=r"^[^aeiou]{4}$")
    choice: str = Field(pattern=r"^(red|green|blue)$")
    anywhere: str = Field(pattern=r"ok")


class Steps(BaseModel):
    sevens: int = Field(multiple_of=7, ge=50, le=100)
    tenths: float = Field(multiple_of=0.1, ge=0.25, le=0.95)
    halves: float = Field(multiple_of=0.5, gt=2, lt=4)


class Tags(BaseModel):
    colors: set[Literal["red", "green", "blue"]] = Field(min_length=3)
    numbers: set[int] = Field(min_length=5)
    labels: dict[str, int] = Field(min_length=3, max_length=4)


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int = Field(ge=1, le=9)


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Pets(BaseModel):
    pet: Annotated[Union[Cat, Dog], Field(discriminator="kind")]
    either: Union[int, str]
    maybe: Optional[int]


class Formats(BaseModel):
    when: datetime.datetime
    day: datetime.date
    at: datetime.time
    took: datetime.timedelta
    id: uuid.UUID
    ip4: ipaddress.IPv4Address
    ip6: ipaddress.IPv6Address
    mail: str = Field(json_schema_extra={"format": "email"})
    host: str = Field(json_schema_extra={"format": "hostname"})
    link: str = Field(json_schema_extra={"format": "uri"})


class PydanticFormats(BaseModel):
    # Types whose schema carries a format of pydantic's own, which parse() then checks.
    v1: UUID1
    v4: UUID4
    v7: UUID7
    address: IPvAnyAddress
    network: IPvAnyNetwork
    interface: IPvAnyInterface
    net4: ipaddress.IPv4Network
    net6: ipaddress.IPv6Network
    iface6: ipaddress.IPv6Interface
    text: Base64Str
    raw: Base64UrlBytes
    contact: NameEmail


HAND_WRITTEN: list[dict[str, Any]] = [
    # oneOf branches that overlap: every integer is a number too.
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    {"oneOf": [{"type": "number"}, {"type": "integer"}]},
    # oneOf branches told apart by what they require: exactly one of the two properties.
    {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "email": {"type": "string"}, "phone": {}},
        "required": ["id"],
        "oneOf": [{"required": ["email"]}, {"required": ["phone"]}],
    },
    # A tuple closed by items: false, and the older list form.
    {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}], "items": False},
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "array",
        "items": [{"type": "string"}, {"type": "null"}],
        "additionalItems": False,
    },
    # contains, with other items that do not match it.
    {"type": "array", "items": {"type": "integer"}, "contains": {"const": 42}, "maxItems": 3},
    # minContains: that many matches, within maxItems too; none needed with 0.
    {"type": "array", "items": {"type": "integer"}, "contains": {"const": 5}, "minContains": 2},
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 9},
        "contains": {"type": "integer", "minimum": 7},
        "minContains": 3,
        "maxItems": 3,
    },
    {"type": "array", "items": {"type": "string"}, "contains": {"const": 1}, "minContains": 0},
    # minContains with uniqueItems: the matches differ from each other and from the items.
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 20},
        "contains": {"minimum": 10},
        "minContains": 4,
        "uniqueItems": True,
    },
    {
        "type": "array",
        "items": {"type": "string"},
        "contains": {"enum": ["a", "b", "c"]},
        "minContains": 3,
        "uniqueItems": True,
    },
    # Bounds of draft 4 (boolean exclusives), and allOf tightening them.
    {"type": "integer", "minimum": 5, "exclusiveMinimum": True, "maximum": 6},
    {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "number",
        "maximum": 0,
        "exclusiveMaximum": True,
    },
    {"allOf": [{"type": "number", "minimum": 10}, {"maximum": 10.5, "minimum": 10.25}]},
    # Objects: minProperties from additionalProperties, maxProperties, dependentRequired.
    {
        "type": "object",
        "additionalProperties": {"type": "boolean"},
        "minProperties": 4,
    },
    {
        "type": "object",
        "properties": {f"p{i}": {"type": "integer"} for i in range(6)},
        "required": ["p5"],
        "maxProperties": 2,
    },
    {
        "type": "object",
        "properties": {"note": {"type": "string"}, "card": {"type": "string"}, "billing": {}},
        "required": ["card"],
        "dependentRequired": {"card": ["billing"]},
        "maxProperties": 2,
    },
    # A JSON pointer into the document other than $defs, and an escaped name.
    {
        "type": "object",
        "properties": {
            "a/b": {"type": "integer", "minimum": 3},
            "c": {"$ref": "#/properties/a~1b"},
        },
        "required": ["a/b", "c"],
        "additionalProperties": False,
    },
    # uniqueItems with an enum smaller than the items asked: as many as there are.
    {"type": "array", "items": {"enum": ["x", "y"]}, "uniqueItems": True, "maxItems": 2},
]


def _schemas() -> list[Any]:
    models: list[type[BaseModel]] = [Pair, Cold, Node, Chain, Code, Steps, Tags, Pets, Formats]
    models.append(PydanticFormats)
    cases = [pytest.param(m.model_json_schema(), id=m.__name__) for m in models]
    cases += [pytest.param(s, id=f"hand-{i}") for i, s in enumerate(HAND_WRITTEN)]
    return cases


@pytest.mark.parametrize("schema", _schemas())
def test_the_document_is_valid_against_its_schema(schema: dict[str, Any]) -> None:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    for seed in SEEDS:
        document = instance(schema, seed)
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], (seed, document)


def test_pydantic_reads_the_documents_back() -> None:
    # What chat.completions.parse(response_format=Model) does with the answer.
    for model in (Pair, Cold, Node, Chain, Code, Steps, Tags, Pets, Formats, PydanticFormats):
        for seed in SEEDS[:4]:
            model.model_validate(instance(model.model_json_schema(), seed))


def test_the_same_schema_and_seed_give_the_same_document() -> None:
    schema = Code.model_json_schema()
    assert instance(schema, "a") == instance(schema, "a")
    documents = {str(instance(schema, seed)) for seed in SEEDS}
    assert len(documents) > 1  # the seed chooses


def test_a_recursion_ends_where_the_schema_lets_it() -> None:
    document = instance(Node.model_json_schema(), "x")
    depth = 0
    while document["children"]:
        document = document["children"][0]
        depth += 1
    assert 0 < depth < 12  # trees are written, and they end


def test_a_pattern_no_string_can_match_gives_a_document_still() -> None:
    # Lengths that contradict the pattern: nothing is valid; the walk answers and ends.
    schema = {"type": "string", "pattern": "^a{5}$", "maxLength": 2}
    assert isinstance(instance(schema, "s"), str)


HOSTILE: dict[str, dict[str, Any]] = {
    # Every level multiplies: ten required properties, each the whole schema again.
    "wide": {
        "type": "object",
        "properties": {f"p{i}": {"$ref": "#"} for i in range(10)},
        "required": [f"p{i}" for i in range(10)],
    },
    "items": {"type": "array", "items": {"$ref": "#"}, "minItems": 3},
    "min-items": {"type": "array", "minItems": 10**9},
    "min-length": {"type": "string", "minLength": 10**9},
    "min-properties": {"type": "object", "minProperties": 10**9},
    "nested-repeats": {"type": "string", "pattern": "^((a{1000}){1000}){1000}$"},
    "backtracking": {"type": "string", "pattern": "^(a+)+$"},
    "huge-bounds": {"type": "number", "minimum": 1e308, "multipleOf": 1e-300},
    "ref-cycle": {
        "$ref": "#/$defs/a",
        "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
    },
    "all-of-itself": {"allOf": [{"$ref": "#"}]},
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_schema_gets_a_bounded_answer(name: str) -> None:
    # What a test (or a fuzzer) may send as response_format: the answer comes, and it is a
    # few megabytes at most, whatever the schema asks for.
    document = instance(HOSTILE[name], "s")
    assert len(json.dumps(document)) < 2_000_000
