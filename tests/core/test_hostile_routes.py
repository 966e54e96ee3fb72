"""Hostile routes: redirects that could reach a destructive route, paths with an encoded '/'.

A client that follows redirects (``curl -L``, requests, fetch, httpx with
``follow_redirects=True``) must never be led by the fake from a path it did not mean to a route
that changes anything; a path whose ``%2F`` decodes to a trailing slash is not the collection.
"""

from __future__ import annotations

from typing import Iterator

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake
from sgp_fake.factories import seed_deployment

TIMEOUT = 30.0


@pytest.fixture
def fake() -> SGPFake:
    fake = SGPFake(admin=True)
    fake.faults.add(method="GET", path="/never/*", status=503, times=None)
    fake.responses.add(text="scripted")
    return fake


@pytest.fixture
def following(fake: SGPFake) -> Iterator[httpx.Client]:
    with fake.client(follow_redirects=True) as client:
        yield client


# -- defect 3: no redirect leads to a destructive route --------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/_fake/responses/",
        "/_fake/responses%2F",
        "/_fake/responses//",
        "/_fake/faults/",
        "/_fake/faults%2F",
        "/_fake/requests/",
        "/_fake/coverage/",
        "/_fake/rate-limit/",
    ],
)
def test_a_delete_with_a_trailing_slash_is_never_redirected_to_the_collection(
    fake: SGPFake, following: httpx.Client, path: str
) -> None:
    answer = following.delete(path)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}
    assert not answer.history  # no redirect was followed
    assert len(fake.faults.list()) == 1
    assert len(fake.responses.rules()) == 1


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path",
    [
        "/v4/model-templates/",
        "/v4/models/",
        "/v4/models/m1/",
        "/v4/models/m1/deployments/",
        "/_fake/state/",
        "/_fake/reset/",
        "/_fake/faults/fault_1/",
        "/_fake/responses/r1/",
    ],
)
def test_no_method_but_get_and_head_is_redirected(
    following: httpx.Client, method: str, path: str
) -> None:
    answer = following.request(method, path, json={})
    assert answer.status_code == 404
    assert not answer.history
    assert "location" not in answer.headers


def test_get_and_head_keep_the_trailing_slash_redirect(fake: SGPFake) -> None:
    with fake.client() as client:
        answer = client.get("/v4/model-templates/", params={"limit": 5})
        assert answer.status_code == 307
        assert answer.headers["location"].endswith("/v4/model-templates?limit=5")
        assert client.head("/v4/model-templates/").status_code == 307
        assert client.get("/_fake/faults/").headers["location"].endswith("/_fake/faults")
    with fake.client(follow_redirects=True) as client:
        answer = client.get("/_fake/faults/")
        assert answer.status_code == 200
        assert [rule["path"] for rule in answer.json()["faults"]] == ["/never/*"]


def test_a_delete_over_a_socket_with_redirects_followed_keeps_every_rule(fake: SGPFake) -> None:
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, follow_redirects=True, timeout=TIMEOUT) as client,
    ):
        assert client.delete("/_fake/responses/").status_code == 404
        assert client.delete("/_fake/faults%2F").status_code == 404
    assert len(fake.faults.list()) == 1
    assert len(fake.responses.rules()) == 1


# -- defect 8: an encoded '/' is not a trailing slash -----------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/v4/models/%2F", "/v4/models/x%2F", "/v4/models/%2F/", "/v4/model-templates/%2f"],
)
def test_an_encoded_slash_at_the_end_is_a_404_not_a_redirect(fake: SGPFake, path: str) -> None:
    with fake.client() as client:
        answer = client.get(path)
        assert answer.status_code == 404, answer.headers.get("location")
        assert answer.json() == {"detail": "Not Found"}
        assert client.head(path).status_code == 404


def test_an_encoded_slash_over_a_socket_is_a_404(fake: SGPFake) -> None:
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as client,
    ):
        answer = client.get("/v4/models/%2F")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}


def test_elsewhere_an_encoded_slash_is_decoded_before_routing_as_fastapi_does(
    fake: SGPFake,
) -> None:
    # What FastAPI on uvicorn does: the path is decoded, then matched. A test relying on the
    # fake refusing an id with '/' would pass here and fail against the real service.
    seeded = seed_deployment(fake, account_id="acct_1", seed="slash")
    model_id, deployment_id = seeded.model["id"], seeded.deployment["id"]
    with fake.client() as client:
        listed = client.get(f"/v4/models/{model_id}%2Fdeployments")
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()["items"]] == [deployment_id]
        deleted = client.delete(f"/v4/models/{model_id}%2Fdeployments%2F{deployment_id}")
        assert deleted.json() == {"count": 1, "success": True}
        assert client.get(f"/v4/models/{model_id}/deployments").json()["items"] == []


# -- defect 4 over a socket: rules that cannot be sent are a 422, and nothing breaks ----------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"status": 101}, "status 101 cannot carry"),
        ({"status": 503, "headers": {"x-a": "1\r\nx-b: 2"}}, "CR, LF or NUL"),
        ({"status": 503, "headers": {"x-a": "1\r"}}, "CR, LF or NUL"),
        ({"status": 503, "body": "busy", "headers": {"content-length": "99"}}, "it must be 4"),
    ],
)
def test_an_unsendable_fault_is_a_422_over_a_socket(rule: dict[str, object], message: str) -> None:
    fake = SGPFake(admin=True)
    with (
        LiveServer(fake.app) as server,
        httpx.Client(base_url=server.url, headers={"x-api-key": "k"}, timeout=TIMEOUT) as http,
    ):
        answer = http.post("/_fake/faults", json={"path": "/v4/model-templates", **rule})
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["detail"]
        assert message in error["msg"]
        assert http.get("/_fake/faults").json() == {"faults": []}
        # the request such a rule would have met is answered as usual
        assert http.get("/v4/model-templates").status_code == 200
