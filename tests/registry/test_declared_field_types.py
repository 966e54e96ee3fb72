"""The test data of a declared resource fits whatever its fields declare: the factory's bodies
and records are taken, and each invalid payload earns the exact 422 predicted."""

from __future__ import annotations

import enum
import typing
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Dict, FrozenSet, List, Literal, Set, Tuple

import pytest
from pydantic import BaseModel, Field, create_model

from sgp_fake import SGPFake
from sgp_fake.core.crud import crud
from sgp_fake.core.operations import Resource
from sgp_fake.factories import for_resource
from sgp_fake.payloads import invalid_payloads_for
from sgp_fake.resources import REGISTRY, v5_models
from sgp_fake.resources.common import GenericDeleteResponse, IdentifierTypeEnum

SEEDS = range(40)


def declared(name: str, **fields: Any) -> Resource:
    """A CRUD resource at ``/v4/<name>`` whose create body has ``account_id`` and ``fields``."""
    request: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{name.title()}Request", account_id=(str, ...), **fields
    )
    stored: type[BaseModel] = create_model(  # type: ignore[call-overload]
        name.title(),
        __base__=request,
        id=(str, ...),
        created_at=(datetime, ...),
        created_by_user_id=(str, ...),
        created_by_identity_type=(IdentifierTypeEnum, ...),
    )
    page: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{name.title()}Page",
        items=(List[stored], ...),  # type: ignore[valid-type]
        current_page=(int, ...),
        items_per_page=(int, ...),
        total_item_count=(int, ...),
    )
    return Resource(
        kind=name,
        stored=stored,
        noun=name.title(),
        operations=crud(
            f"/v4/{name}",
            "thing_id",
            noun=name,
            create=request,
            response=stored,
            page=page,
            deleted=GenericDeleteResponse,
        ),
    )


def assert_answered_as_predicted(client: Any, payloads: dict[str, Any]) -> None:
    """Each payload gets exactly the status and body it predicts."""
    for name, payload in payloads.items():
        answer = payload.post(client)
        assert (answer.status_code, answer.content) == (
            payload.expected_status,
            payload.expected_content,
        ), name


def assert_payloads_earn_their_422(resource: Resource) -> None:
    with SGPFake(resources=(*REGISTRY, resource)).client() as client:
        assert_answered_as_predicted(client, invalid_payloads_for(resource))


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


def first_choice(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    return typing.get_args(annotation)[0]


def _accepted_for_every_seed(resource: Any) -> None:
    """Every body ``for_resource`` makes is created (200), and every record it makes is kept."""
    fake = SGPFake(resources=(*REGISTRY, resource))
    with fake.client() as client:
        for seed in SEEDS:
            factory = for_resource(resource, seed, account_id="a")
            body = factory.request()
            assert client.post(f"/v4/{resource.kind}", json=body).status_code == 200, body
            fake.tables[resource.kind].put(factory.record())


@pytest.mark.parametrize(
    "annotation",
    [Literal[1, 2], Literal["it's", "plain"], Literal[True], Level],
    ids=["int-literal", "quoted-literal", "bool-literal", "int-enum"],
)
def test_a_choice_of_any_values_earns_the_predicted_422(annotation: Any) -> None:
    resource = declared("choices", choice=(annotation, first_choice(annotation)))
    assert "bad_choice" in invalid_payloads_for(resource)
    assert_payloads_earn_their_422(resource)


def test_a_field_with_an_alias_is_created_and_read_by_its_alias() -> None:
    resource = declared("aliased", display_name=(str, Field(alias="displayName")))
    fake = SGPFake(resources=(*REGISTRY, resource))
    with fake.client() as client:
        created = client.post("/v4/aliased", json={"account_id": "a", "displayName": "x"})
        assert created.status_code == 200, created.text
        assert created.json()["displayName"] == "x"
        assert client.get(f"/v4/aliased/{created.json()['id']}").json() == created.json()
        factory = for_resource(resource, seed=1, account_id="a")
        for body in (factory.request(), factory.request(displayName="y")):
            assert client.post("/v4/aliased", json=body).status_code == 200
        record = factory.record()
        fake.tables["aliased"].put(record)
        assert client.get(f"/v4/aliased/{record['id']}").json() == record
    assert_payloads_earn_their_422(resource)


@pytest.mark.parametrize(
    ("annotation", "constraints"),
    [
        (int, {"ge": 200}),
        (int, {"le": 0}),
        (int, {"gt": -10, "lt": -5}),
        (int, {"ge": 1, "le": 10000}),
        (float, {"gt": 0, "lt": 1}),
        (float, {"gt": 0.2, "lt": 0.3}),
        (float, {"ge": 1000}),
        (float, {"le": -5}),
    ],
    ids=[
        "int-ge-200",
        "int-le-0",
        "int-gt-lt",
        "int-ge-le",
        "float-gt-lt",
        "float-narrow",
        "float-ge-1000",
        "float-le-minus-5",
    ],
)
def test_numbers_keep_within_their_bounds(annotation: type, constraints: dict[str, float]) -> None:
    resource = declared("numbers", number=(annotation, Field(**constraints)))
    _accepted_for_every_seed(resource)


def test_a_body_that_is_a_union_of_models_is_built_as_one_of_them() -> None:
    # POST /v5/models takes a RootModel of three variants, validated as the one the body is.
    resource = v5_models.RESOURCE
    headers = {"x-selected-account-id": "acct_1"}
    for seed in SEEDS:
        with SGPFake().client(headers=headers) as client:
            body = for_resource(resource, seed).request()
            assert "root" not in body
            created = client.post("/v5/models", json=body)
            assert created.status_code == 200, (body, created.text)
            payloads = invalid_payloads_for(resource, seed=seed)
            assert "missing_name" in payloads
            assert_answered_as_predicted(client, payloads)


@pytest.mark.parametrize(
    ("annotation", "default"),
    [
        (Tuple[int, str], ...),
        (Tuple[int, ...], ...),
        (List[int], Field(min_length=3)),
        (List[int], Field(max_length=0)),
        (Dict[str, int], Field(min_length=2)),
        (Set[int], Field(min_length=5)),
        (FrozenSet[Literal["a", "b", "c"]], Field(min_length=3)),
        (str, Field(min_length=30)),
        (str, Field(max_length=2)),
        (Annotated[str, Field(min_length=12)], ...),
        (List[Annotated[int, Field(ge=500)]], ...),
        (int, Field(multiple_of=7, ge=50)),
        (date, ...),
        (uuid.UUID, ...),
        (bytes, ...),
    ],
    ids=[
        "pair",
        "tuple",
        "min-items",
        "no-items",
        "min-keys",
        "min-set-items",
        "every-choice-in-a-set",
        "long-string",
        "short-string",
        "annotated-string",
        "annotated-items",
        "multiple-of",
        "date",
        "uuid",
        "bytes",
    ],
)
def test_values_fit_their_shape_and_lengths(annotation: Any, default: Any) -> None:
    resource = declared("shapes", shape=(annotation, default))
    _accepted_for_every_seed(resource)
    assert_payloads_earn_their_422(resource)
