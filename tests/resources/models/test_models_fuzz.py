"""Hostile model and deployment bodies, queries and ids: never a 5xx, every 4xx in FastAPI's
envelope, and the graph whole afterwards (bounded; ``SGP_FAKE_FUZZ=long`` for more)."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from sgp_fake import FakeSettings, SGPFake
from sgp_fake.factories import seed_deployment
from tests.properties.test_fuzz import _get, _paths, check, fuzz_settings, json_values

MODEL_BODY: dict[str, Any] = {
    "name": "m",
    "model_type": "COMPLETION",
    "account_id": "acct_1",
    "model_template_id": "TEMPLATE",
    "model_creation_parameters": {"w": "s3://w", "n": 4, "f": 0.5, "b": True},
    "base_model_metadata": {"modelDetails": {"token_context_window": 8}, "delivery_date": "d"},
    "model_vendor": "LAUNCH",
    "display_name": "M",
}
DEPLOYMENT_BODY: dict[str, Any] = {
    "name": "d",
    "account_id": "acct_1",
    "deployment_metadata": {"team": "ml"},
    "model_creation_parameters": {"n": 8},
    "vendor_configuration": {"vendor": "LLMENGINE", "gpus": 1, "gpu_type": "nvidia-tesla-t4"},
    "wait_for_ready": False,
}
PARAMETERS = {
    "parameters": [
        {"name": "w", "type": "str", "description": "", "required": True},
        {"name": "n", "type": "int", "description": "", "required": False},
        {"name": "f", "type": "float", "description": "", "required": False},
        {"name": "b", "type": "bool", "description": "", "required": False},
    ]
}


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """A valid body with a few structure-aware mutations."""
    body: Any = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(body)))
        operation = draw(st.sampled_from(["replace", "delete", "add", "wrap"]))
        if not path:
            body = draw(json_values) if operation == "replace" else [body]
            continue
        parent = _get(body, path[:-1])
        key = path[-1]
        if operation == "replace":
            parent[key] = draw(json_values)
        elif operation == "delete":
            del parent[key]
        elif operation == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
        else:
            parent[key] = [parent[key]]
    return body


def _graph(strict: bool) -> tuple[SGPFake, str, str, str]:
    fake = SGPFake(FakeSettings(strict=strict, contract=not strict), journal_limit=50)
    seeded = seed_deployment(
        fake,
        account_id="acct_1",
        seed=1,
        template={"model_creation_parameters_schema": PARAMETERS},
        model={"model_creation_parameters": {"w": "s3://w"}},
    )
    return fake, seeded.template["id"], seeded.model["id"], seeded.deployment["id"]


def _whole(fake: SGPFake) -> None:
    models = {r.id for r in fake.tables["models"].all()}
    templates = {r.id for r in fake.tables["model_templates"].all()}
    assert all(r.parent in models for r in fake.tables["deployments"].all())
    for record in fake.tables["models"].all():
        template_id = record.as_dict().get("model_template_id")
        assert template_id is None or template_id in templates


def _encode(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


requests = st.tuples(
    st.sampled_from(["model", "model-patch", "deployment", "deployment-patch"]),
    st.one_of(
        st.just(None),  # the valid body of the route, mutated below
        st.binary(max_size=40),
    ),
    st.booleans(),
)


@fuzz_settings(60)
@given(data=st.data(), strict=st.booleans())
def test_mutated_bodies_never_get_a_5xx(data: st.DataObject, strict: bool) -> None:
    fake, template_id, model_id, deployment_id = _graph(strict)
    with fake.client() as client:
        for _ in range(data.draw(st.integers(1, 6))):
            route, raw, valid_first = data.draw(requests)
            valid = MODEL_BODY if route.startswith("model") else DEPLOYMENT_BODY
            valid = json.loads(json.dumps(valid).replace("TEMPLATE", template_id))
            body = raw if raw is not None else _encode(data.draw(mutated(valid)))
            if valid_first:
                body = _encode(valid)
            url = {
                "model": "/v4/models",
                "model-patch": f"/v4/models/{model_id}",
                "deployment": f"/v4/models/{model_id}/deployments",
                "deployment-patch": f"/v4/models/{model_id}/deployments/{deployment_id}",
            }[route]
            method = "PATCH" if route.endswith("patch") else "POST"
            answer = client.request(
                method, url, content=body, headers={"content-type": "application/json"}
            )
            check(answer)
        _whole(fake)
        assert client.get(f"/v4/models/{model_id}").status_code == 200


ids = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)
_NAMES = ["limit", "page", "sort_by", "view", "model_type", "model_group_id", "account_id", "x"]
_VALUES = ["name:asc,deployment_count:desc", "Deployments,ModelGroup", "0"]
queries = st.dictionaries(
    st.sampled_from(_NAMES),
    st.one_of(
        st.integers(-(10**20), 10**20).map(str), st.text(max_size=30), st.sampled_from(_VALUES)
    ),
    max_size=4,
)


@fuzz_settings(60)
@given(model=ids, deployment=ids, query=queries, contract=st.booleans())
def test_any_ids_and_queries_never_get_a_5xx(
    model: str, deployment: str, query: dict[str, str], contract: bool
) -> None:
    fake = SGPFake(FakeSettings(contract=contract), journal_limit=10)
    m, d = quote(model, safe=""), quote(deployment, safe="")
    with fake.client() as client:
        for method, url in [
            ("GET", f"/v4/models/{m}"),
            ("GET", "/v4/models"),
            ("GET", f"/v4/models/{m}/deployments"),
            ("GET", f"/v4/models/{m}/deployments/{d}"),
            ("GET", "/v4/model-deployments"),
            ("DELETE", f"/v4/models/{m}/deployments/{d}"),
            ("DELETE", f"/v4/models/{m}"),
        ]:
            check(client.request(method, url, params=query))
        check(client.patch(f"/v4/models/{m}", json={"name": deployment}, params=query))
        check(client.post(f"/v4/models/{m}/deployments", json={"name": model}))
