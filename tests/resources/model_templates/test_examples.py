"""The example payloads in ``fixtures/examples/``: loaded, checked against the models, the
contract, the fake and the FastAPI reference, so that they never go stale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from sgp_fake import SGPFake
from sgp_fake.examples import (
    FULL_REQUEST,
    MINIMAL_REQUEST,
    example_names,
    load_example,
    rendered_examples,
    same_except_volatile,
    volatile_paths,
)
from sgp_fake.resources import common
from sgp_fake.resources.model_templates import schemas
from sgp_fake.resources.model_templates.schemas import ModelTemplateRequest
from tests.support.reference_app import call_reference
from tests.testdata.test_factories import assert_valid

EXAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "examples"
MANIFEST: dict[str, Any] = json.loads((EXAMPLES / "manifest.json").read_text())
FILES: dict[str, Any] = MANIFEST["files"]
CONTRACT_SCHEMAS = set(
    json.loads((EXAMPLES.parent / "model-templates.openapi.json").read_text())["components"][
        "schemas"
    ]
)
INVALID = sorted(name for name, entry in FILES.items() if entry["kind"] == "invalid")


def load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_the_files_are_what_the_code_generates() -> None:
    # Regenerate with `python -m sgp_fake.examples fixtures/examples` when this fails.
    on_disk = {
        str(path.relative_to(EXAMPLES)): path.read_text(encoding="utf-8")
        for path in EXAMPLES.rglob("*.json")
    }
    assert on_disk == rendered_examples()


def test_the_manifest_lists_every_file() -> None:
    on_disk = {str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*.json")}
    assert set(FILES) == on_disk - {"manifest.json"}
    assert sorted(f"{name}.json" for name in example_names()) == sorted(FILES)
    assert {entry["kind"] for entry in FILES.values()} == {"request", "response", "invalid"}


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_file_follows_its_model_and_the_contract(name: str) -> None:
    entry = FILES[name]
    doc = load(name)
    # The schema a file names is the template resource's or one the resources share.
    model: type[BaseModel] = getattr(schemas, entry["schema"], None) or getattr(
        common, entry["schema"]
    )
    if entry["kind"] == "invalid":
        model.model_validate(doc["response"]["body"])
        assert_valid(entry["schema"], doc["response"]["body"])
    elif entry["schema"] in CONTRACT_SCHEMAS:
        model.model_validate(doc)
        assert_valid(entry["schema"], doc)
    else:
        # The published contract has no list or delete schemas; their items follow it.
        model.model_validate(doc)
        for item in doc.get("items", []):
            assert_valid("ModelTemplateResponse", item)
    assert load_example(name) == doc


def fields(model: type[BaseModel], doc: dict[str, Any]) -> None:
    """Every field of ``model`` (and of the nested models present) is in ``doc``."""
    assert set(doc) == set(model.model_fields), model.__name__
    for name, field in model.model_fields.items():
        nested = field.annotation
        for candidate in getattr(nested, "__args__", (nested,)):
            is_model = isinstance(candidate, type) and issubclass(candidate, BaseModel)
            if is_model and isinstance(doc[name], dict):
                fields(candidate, doc[name])


def test_the_full_request_sets_every_field_and_the_minimal_only_the_required() -> None:
    assert load("create-request.full.json") == FULL_REQUEST
    fields(ModelTemplateRequest, FULL_REQUEST)
    required = {n for n, f in ModelTemplateRequest.model_fields.items() if f.is_required()}
    assert set(MINIMAL_REQUEST) == required
    assert set(MINIMAL_REQUEST["vendor_configuration"]["bundle_config"]) == {
        "registry",
        "image",
        "tag",
    }


@pytest.mark.parametrize("size", ["minimal", "full"])
def test_a_real_create_matches_the_example_except_its_volatile_fields(size: str) -> None:
    fake = SGPFake()  # no seed: ids and times as the real service gives them
    with fake.client() as client:
        answer = client.post("/v4/model-templates", json=load(f"create-request.{size}.json"))
    assert answer.status_code == FILES[f"create-response.{size}.json"]["status"]
    example = load(f"create-response.{size}.json")
    actual = answer.json()
    assert same_except_volatile(actual, f"create-response.{size}")
    # The volatile fields are the ones that really change, and every one is present.
    assert actual["id"] != example["id"]
    assert actual["created_at"] != example["created_at"]
    assert set(volatile_paths(f"create-response.{size}")) <= set(actual)
    # And set aside nothing more: a change elsewhere is noticed.
    actual["vendor_configuration"]["bundle_config"]["tag"] = "other"
    assert not same_except_volatile(actual, f"create-response.{size}")


def test_list_page_and_delete_match_a_real_sequence() -> None:
    fake = SGPFake()
    with fake.client() as client:
        minimal = client.post("/v4/model-templates", json=MINIMAL_REQUEST).json()
        client.post("/v4/model-templates", json=FULL_REQUEST)
        listing = client.get("/v4/model-templates").json()
        page = client.get("/v4/model-templates", params={"limit": 1, "page": 2}).json()
        deleted = client.delete(f"/v4/model-templates/{minimal['id']}").json()
    assert same_except_volatile(listing, "list-response")
    assert same_except_volatile(page, "list-response.page-2")
    assert deleted == load("delete-response.json")
    assert listing["items"][0]["id"] != load("list-response.json")["items"][0]["id"]


def send(doc: dict[str, Any], client: httpx.Client | None = None) -> httpx.Response:
    request = doc["request"]
    content = request["raw"].encode() if "raw" in request else json.dumps(request["body"]).encode()
    kwargs = {"content": content, "headers": request["headers"]}
    if client is None:
        return call_reference(request["method"], request["path"], **kwargs)
    return client.request(request["method"], request["path"], **kwargs)


@pytest.mark.parametrize("name", INVALID)
def test_each_invalid_example_gets_its_exact_answer(name: str) -> None:
    doc = load(name)
    expected = doc["response"]
    with SGPFake().client() as client:
        fake = send(doc, client)
    reference = send(doc)
    for answer in (fake, reference):
        assert answer.status_code == expected["status"]
        assert answer.json() == expected["body"]


def test_unknown_examples_are_named() -> None:
    with pytest.raises(KeyError, match="example_names"):
        load_example("create-request.huge")
    with pytest.raises(KeyError, match="example_names"):
        volatile_paths("nope")
