"""What every registered resource declares holds: splices, twins, the router's precedence, and the
answers the core gives before a handler."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sgp_fake import FakeSettings, Identity, RateLimit, SGPFake
from sgp_fake.core.call import Call
from sgp_fake.core.operations import Resource
from sgp_fake.resources import REGISTRY

SERVER_FIELDS = (
    "id",
    "created_at",
    "account_id",
    "created_by_user_id",
    "created_by_identity_type",
)


@pytest.mark.parametrize("resource", REGISTRY, ids=lambda r: r.kind)
def test_a_declared_splice_writes_what_the_model_writes(resource: Resource) -> None:
    # Stored records are spliced from the request's JSON and the server's fields: that is the
    # response model's JSON only if the model lists the request's fields, then the server's.
    if resource.splice is None:
        pytest.skip("no splice declared")
    request_fields = tuple(n for n in resource.splice.model_fields if n != "account_id")
    assert tuple(resource.stored.model_fields) == (*request_fields, *SERVER_FIELDS)
    fake = SGPFake()
    with fake.client() as client:
        created = client.post(resource.collection, json=dict(resource.example))
    assert created.status_code == 200
    model = resource.stored.model_validate_json(created.content)
    assert created.content == model.model_dump_json(exclude_none=True).encode()


@pytest.mark.parametrize(
    "twin", [t for r in REGISTRY for t in r.twins], ids=lambda t: t.model.__name__
)
@pytest.mark.parametrize("extra", ["ignore", "forbid"])
def test_a_declared_twin_accepts_and_writes_what_its_model_does(twin: Any, extra: Any) -> None:
    resource = next(r for r in REGISTRY if twin in r.twins)
    bodies = [
        dict(resource.example),
        {**resource.example, "unknown": 1},
        {**resource.example, "name": None},
        {k: v for k, v in resource.example.items() if k != "name"},
    ]
    for body in bodies:
        raw = json.dumps(body).encode()
        try:
            model = twin.model.model_validate_json(raw, extra=extra)
        except ValueError:
            assert twin.validate(raw, extra) is None
            continue
        data = twin.validate(raw, extra)
        assert data is not None
        exclude = set(twin.exclude)
        assert twin.dump(data) == model.model_dump_json(exclude_none=True, exclude=exclude).encode()


def test_the_router_agrees_with_starlette_on_precedence() -> None:
    from sgp_fake.core.operations import Operation
    from sgp_fake.core.routing import Router

    def handler(call: Call) -> Any:
        raise AssertionError

    later = Operation("static", "GET", "/a/b", handler)
    first = Operation("param", "GET", "/a/{x}", handler)
    with pytest.raises(ValueError, match="shadowed"):
        Router([first, later])
    router = Router([later, first])  # the static one first: both agree it wins
    assert router.match("GET", "/a/b") == (later, {})
    assert router.match("GET", "/a/c") == (first, {"x": "c"})


def test_the_core_answers_for_every_resource_what_a_handler_never_sees(widgets: SGPFake) -> None:
    widgets.settings = FakeSettings(api_keys={"k": Identity("alice")})
    with widgets.client(api_key=None) as anonymous:
        # Authentication comes first, whatever the handler reads: 401, not the body's 422.
        assert anonymous.post("/v4/widgets", json={}).status_code == 401
    with widgets.client(api_key="k") as client:
        # A string UTF-8 cannot carry is a 400 from any create, never a 500.
        surrogate = b'{"name": "\\ud800", "account_id": "acct_1"}'
        answer = client.post(
            "/v4/widgets", content=surrogate, headers={"content-type": "application/json"}
        )
        assert (answer.status_code, answer.json()) == (
            400,
            {"detail": "There was an error parsing the body"},
        )
        # HEAD reaches the GET operation: named so in the journal, exempt as it is.
        widgets.rate_limiter.configure(RateLimit(rate=0.001, burst=1))
        assert client.head("/openapi.json").status_code == 200
        assert client.head("/openapi.json").status_code == 200
        assert client.head("/v4/widgets").status_code == 200
        assert client.head("/v4/widgets").status_code == 429
    operations = [(e.method, e.operation, e.rule) for e in widgets.journal][-4:]
    assert operations == [
        ("HEAD", "get_openapi", None),
        ("HEAD", "get_openapi", None),
        ("HEAD", "list_widgets", None),
        ("HEAD", "list_widgets", "rate-limit"),
    ]
