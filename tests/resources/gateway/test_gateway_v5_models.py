"""The gateway and ``/v5/models``: a ready record of the caller's account is callable by
``vendor/name`` and listed by the catalog; a deploying one is refused with a 4xx that names it;
another account's is unknown. Also the declared ``x-selected-account-id`` header: documented
as FastAPI documents a ``Header()`` parameter, and its 422 when missing."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Header
from fastapi.testclient import TestClient

from sgp_fake import FakeSettings, Identity, SGPFake

ACCOUNT = "acct_1"
HOSTED = {"name": "my-tuned", "model_vendor": "openai", "model_type": "chat_completion"}
LAUNCH = {
    "name": "my-launch",
    "model_vendor": "launch",
    "vendor_configuration": {
        "model_image": {
            "command": ["python", "serve.py"],
            "registry": "123.dkr.ecr.us-west-2.amazonaws.com",
            "repository": "models",
            "tag": "v1",
        },
        "model_infra": {},
    },
}
MESSAGES = [{"role": "user", "content": "Hi"}]


def _request(
    fake: SGPFake, method: str, path: str, account: str | None = ACCOUNT, **kwargs: Any
) -> httpx.Response:
    headers = {} if account is None else {"x-selected-account-id": account}
    with fake.client() as http:
        return http.request(method, path, headers=headers, **kwargs)


def _chat(fake: SGPFake, model: str, account: str | None = ACCOUNT) -> httpx.Response:
    body = {"model": model, "messages": MESSAGES}
    return _request(fake, "POST", "/v5/chat/completions", account, json=body)


def _listed(fake: SGPFake, account: str = ACCOUNT) -> list[str]:
    answer = _request(fake, "GET", "/v5/chat/completions/models", account)
    assert answer.status_code == 200, answer.text
    return [f"{m['model_vendor']}/{m['model_name']}" for m in answer.json()["items"]]


@pytest.fixture
def fake() -> SGPFake:
    return SGPFake(FakeSettings(deployment_ready_after=60))


def test_a_ready_record_is_callable_and_listed(fake: SGPFake) -> None:
    assert _chat(fake, "openai/my-tuned").status_code == 404
    assert "openai/my-tuned" not in _listed(fake)
    created = _request(fake, "POST", "/v5/models", json=HOSTED)
    assert created.json()["status"] == "ready"
    answer = _chat(fake, "openai/my-tuned")
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"] == "openai/my-tuned"
    assert "openai/my-tuned" in _listed(fake)
    # Through /v4/beta too, where the account is optional.
    beta = _request(fake, "POST", "/v4/beta/chat/completions", None,
                    json={"model": "openai/my-tuned", "messages": MESSAGES})  # fmt: skip
    assert beta.status_code == 200, beta.text


def test_a_deploying_record_is_refused_by_name_until_ready(fake: SGPFake) -> None:
    created = _request(fake, "POST", "/v5/models", json=LAUNCH).json()
    assert created["status"] == "deploying"
    answer = _chat(fake, "launch/my-launch")
    assert 400 <= answer.status_code < 500
    detail = answer.json()["detail"]
    assert "launch/my-launch" in detail
    assert created["id"] in detail
    assert "deploying" in detail
    fake.clock.advance(60)
    assert _chat(fake, "launch/my-launch").status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v4/chat-completions", {"model": "my-launch", "messages": MESSAGES}),
        ("/v4/completions", {"model": "my-launch", "prompt": "Hi"}),
    ],
)
def test_a_v4_route_naming_a_deploying_record_alone_says_it_is_deploying(
    fake: SGPFake, path: str, body: dict[str, Any]
) -> None:
    created = _request(fake, "POST", "/v5/models", json=LAUNCH).json()
    answer = _request(fake, "POST", path, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == (
        f"Model launch/my-launch ({created['id']}) is deploying: it is not ready for inference"
    )
    fake.clock.advance(60)
    assert _request(fake, "POST", path, json=body).status_code == 200


def test_another_accounts_record_is_unknown(fake: SGPFake) -> None:
    _request(fake, "POST", "/v5/models", json=HOSTED)
    assert _chat(fake, "openai/my-tuned", account="acct_2").status_code == 404
    assert "openai/my-tuned" not in _listed(fake, account="acct_2")


def test_a_caller_with_one_account_reaches_its_records_without_selecting() -> None:
    fake = SGPFake(FakeSettings(api_keys={"key": Identity("u", accounts=frozenset({ACCOUNT}))}))
    with fake.client(api_key="key") as http:
        created = http.post("/v5/models", json=HOSTED, headers={"x-selected-account-id": ACCOUNT})
        assert created.status_code == 200, created.text
        answer = http.post("/v4/beta/completions",
                           json={"model": "openai/my-tuned", "prompt": "Hi"})  # fmt: skip
    assert answer.status_code == 200, answer.text


MISSING = {
    "detail": [
        {
            "type": "missing",
            "loc": ["header", "x-selected-account-id"],
            "msg": "Field required",
            "input": None,
        }
    ]
}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v5/chat/completions", {"model": "openai/gpt-4o", "messages": MESSAGES}),
        ("POST", "/v5/completions", {"model": "openai/gpt-4o", "prompt": "Hi"}),
        ("GET", "/v5/chat/completions/models", None),
        ("POST", "/v5/models", HOSTED),
        ("GET", "/v5/models", None),
        ("GET", "/v5/models/some-id", None),
    ],
)
@pytest.mark.parametrize("value", [None, ""])
def test_the_required_header_is_checked_before_the_body(
    fake: SGPFake, method: str, path: str, body: Any, value: str | None
) -> None:
    # A body that is not even JSON: the header's 422 comes first, as it always did.
    headers = {} if value is None else {"x-selected-account-id": value}
    with fake.client() as http:
        answer = http.request(method, path, headers=headers, content=b"{" if body else None)
    assert answer.status_code == 422
    assert answer.json() == MISSING


reference = FastAPI()


@reference.get("/v5/models")
def list_models(
    x_selected_account_id: Annotated[
        str, Header(min_length=1, description="The account the request acts in.")
    ],
) -> dict[str, Any]:
    return {}


def test_the_header_is_documented_as_fastapi_documents_it(fake: SGPFake) -> None:
    expected = reference.openapi()["paths"]["/v5/models"]["get"]["parameters"]
    with fake.client() as http:
        document = http.get("/openapi.json").json()
    for path, method in [
        ("/v5/models", "get"),
        ("/v5/models/{model_id}", "delete"),
        ("/v5/chat/completions", "post"),
        ("/v5/chat/completions/models", "get"),
    ]:
        operation = document["paths"][path][method]
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert headers == expected, path
        assert "422" in operation["responses"]
    beta = document["paths"]["/v4/beta/chat/completions"]["post"]
    assert all(p["in"] != "header" for p in beta.get("parameters", ()))
    # FastAPI answers a missing header with the same body.
    assert TestClient(reference).get("/v5/models").json() == MISSING
