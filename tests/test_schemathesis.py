"""schemathesis against the fake's own ``/openapi.json``, all its checks, in process and live.

schemathesis generates valid and invalid requests for every operation of the document the fake
serves and checks every answer against that document: no server error, documented status codes,
content types, headers and response schemas, valid data accepted, authentication enforced (the
fake is configured with one API key, so that any other is refused).

One check is replaced rather than skipped. ``negative_data_rejection`` expects every request the
document does not allow to be refused, but the real service is FastAPI on pydantic in lax mode,
which accepts more than its document says (``0`` for a boolean, ``"1"`` for an integer); the fake
accepts exactly that too. So instead, every create and list schemathesis sends, valid or not, is
also sent to a FastAPI app on the same models (``tests/reference_app.py``), and the fake must
answer with the same status: a request the fake accepts, FastAPI accepts, and the other way round.

The number of examples is bounded for CI (``SGP_FAKE_FUZZ=long`` for more).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection

from sgp_fake import FakeSettings, Identity, LiveServer, SGPFake

from .reference_app import call_reference

LONG = os.environ.get("SGP_FAKE_FUZZ") == "long"
EXAMPLES = 500 if LONG else 30
HEADERS = {"x-api-key": "schemathesis-key"}

KEYS = {HEADERS["x-api-key"]: Identity("schemathesis")}

# One fake for the in-process run: state piles up across examples, as it would for a client.
_fake = SGPFake(FakeSettings(api_keys=KEYS))
in_process = schemathesis.openapi.from_asgi("/openapi.json", _fake.app)


@pytest.fixture(scope="module")
def live_schema() -> Iterator[Any]:
    fake = SGPFake(FakeSettings(api_keys=KEYS))
    with LiveServer(fake.app) as server:
        yield schemathesis.openapi.from_url(f"{server.url}/openapi.json")


_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def same_status_as_fastapi(response: Any) -> None:
    """A create or list is answered with the status FastAPI on the same models gives."""
    request = response.request
    path = request.path_url.split("?", 1)[0]
    if path != "/v4/model-templates" or request.method not in ("GET", "POST"):
        return
    if request.headers.get("x-api-key") != HEADERS["x-api-key"]:
        return  # refused before validation; the reference app has no authentication
    if request.headers.get("x-selected-account-id"):
        return
    body = request.body.encode() if isinstance(request.body, str) else request.body
    headers = {k: v for k, v in request.headers.items() if k.lower() == "content-type"}
    expected = call_reference(request.method, request.path_url, content=body, headers=headers)
    assert response.status_code == expected.status_code, (
        request.method,
        request.path_url,
        body,
        response.content[:500],
        expected.content[:500],
    )


@in_process.parametrize()
@_SETTINGS
def test_in_process(case: Any) -> None:
    response = case.call_and_validate(headers=HEADERS, excluded_checks=[negative_data_rejection])
    same_status_as_fastapi(response)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_live_server(live_schema: Any, mode: GenerationMode) -> None:
    # Every operation, valid or invalid requests (schemathesis' pytest fixture loader does not
    # run on this pytest, so the cases are drawn directly).
    @_SETTINGS
    @given(case=live_schema.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call_and_validate(
            headers=HEADERS, excluded_checks=[negative_data_rejection], timeout=30
        )
        same_status_as_fastapi(response)

    run()


def test_every_error_a_create_can_get_is_documented() -> None:
    # Found by schemathesis: 400 (unreadable body) and 413 (too large) were answered but not
    # in the document.
    fake = SGPFake(FakeSettings(max_body_size=100))
    documented = set(in_process.raw_schema["paths"]["/v4/model-templates"]["post"]["responses"])
    with fake.client() as client:
        statuses = {
            client.post("/v4/model-templates", content=body, headers=headers).status_code
            for body, headers in [
                (b"\xff", {"content-type": "application/json"}),
                (b" " * 101, {"content-type": "application/json"}),
                (b"{}", {"content-type": "application/json"}),
                (b"{}", {"x-api-key": ""}),
            ]
        }
    assert statuses == {400, 413, 422, 401}
    assert {str(status) for status in statuses} <= documented
