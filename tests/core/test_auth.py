"""API keys, identities and account isolation."""

from __future__ import annotations

import pytest

from sgp_fake import FakeSettings, Identity, SGPFake
from tests.support.bodies import minimal_body

ALICE = Identity(user_id="alice", accounts=frozenset({"acct_a"}))
ROBOT = Identity(
    user_id="robot", identity_type="service_account", accounts=frozenset({"acct_b", "acct_c"})
)
ADMIN = Identity(user_id="admin")  # every account


@pytest.fixture
def configured() -> SGPFake:
    return SGPFake(FakeSettings(api_keys={"key-a": ALICE, "key-r": ROBOT, "key-admin": ADMIN}))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v4/model-templates"),
        ("GET", "/v4/model-templates"),
        ("GET", "/v4/model-templates/x"),
        ("DELETE", "/v4/model-templates/x"),
    ],
)
def test_no_api_key_is_401(fake: SGPFake, method: str, path: str) -> None:
    with fake.client(api_key=None) as client:
        response = client.request(method, path, json=minimal_body())
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert len(fake.store) == 0


def test_empty_api_key_is_401(fake: SGPFake) -> None:
    with fake.client(api_key=None, headers={"x-api-key": ""}) as client:
        assert client.get("/v4/model-templates").status_code == 401


def test_any_key_is_the_default_identity_by_default(fake: SGPFake) -> None:
    with fake.client(api_key="whatever") as client:
        created = client.post(
            "/v4/model-templates", json=minimal_body(account_id="anything")
        ).json()
    assert (created["created_by_user_id"], created["created_by_identity_type"]) == (
        "user_sgp_fake",
        "user",
    )


def test_unknown_key_is_401_when_keys_are_configured(configured: SGPFake) -> None:
    with configured.client(api_key="nope") as client:
        response = client.get("/v4/model-templates")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API key"}


def test_identity_comes_from_the_key(configured: SGPFake) -> None:
    with configured.client(api_key="key-r") as client:
        created = client.post("/v4/model-templates", json=minimal_body(account_id="acct_b")).json()
    assert (created["created_by_user_id"], created["created_by_identity_type"]) == (
        "robot",
        "service_account",
    )


def test_creating_in_a_foreign_account_is_403(configured: SGPFake) -> None:
    with configured.client(api_key="key-a") as client:
        response = client.post("/v4/model-templates", json=minimal_body(account_id="acct_b"))
    assert response.status_code == 403
    assert "acct_b" in response.json()["detail"]
    assert len(configured.store) == 0


def test_selecting_a_foreign_account_is_403(configured: SGPFake) -> None:
    with configured.client(api_key="key-a", headers={"x-selected-account-id": "acct_b"}) as client:
        assert client.get("/v4/model-templates").status_code == 403


def test_other_accounts_templates_are_invisible(configured: SGPFake) -> None:
    with configured.client(api_key="key-r") as robot:
        theirs = robot.post("/v4/model-templates", json=minimal_body(account_id="acct_b")).json()
    with configured.client(api_key="key-a") as alice:
        mine = alice.post("/v4/model-templates", json=minimal_body(account_id="acct_a")).json()
        url = f"/v4/model-templates/{theirs['id']}"
        assert alice.get(url).status_code == 404
        assert alice.delete(url).status_code == 404
        listed = alice.get("/v4/model-templates").json()
        assert [i["id"] for i in listed["items"]] == [mine["id"]]
        assert listed["total_item_count"] == 1
        assert alice.get("/v4/model-templates", params={"account_id": "acct_b"}).status_code == 403
    assert theirs["id"] in configured.store  # the failed delete removed nothing
    with configured.client(api_key="key-admin") as admin:
        assert admin.get("/v4/model-templates").json()["total_item_count"] == 2


def test_multi_account_identity_lists_all_its_accounts_in_creation_order(
    configured: SGPFake,
) -> None:
    with configured.client(api_key="key-admin") as admin:
        ids = [
            admin.post("/v4/model-templates", json=minimal_body(account_id=acct)).json()["id"]
            for acct in ["acct_c", "acct_a", "acct_b", "acct_c", "acct_b"]
        ]
    with configured.client(api_key="key-r") as robot:
        pages = [
            robot.get("/v4/model-templates", params={"limit": 2, "page": p}).json()
            for p in (1, 2, 3)
        ]
    assert [i["id"] for p in pages for i in p["items"]] == [ids[0], ids[2], ids[3], ids[4]]
    assert {p["total_item_count"] for p in pages} == {4}


def test_openapi_needs_no_key(configured: SGPFake) -> None:
    with configured.client(api_key=None) as client:
        assert client.get("/openapi.json").status_code == 200


def test_identity_rejects_unknown_types() -> None:
    with pytest.raises(ValueError, match="identity_type"):
        Identity(user_id="x", identity_type="robot")  # type: ignore[arg-type]


def test_a_user_id_given_as_a_string_is_that_users_identity() -> None:
    keys = {"key-a": ALICE, "key-u": "ursula"}
    fake = SGPFake(FakeSettings(api_keys=keys))  # type: ignore[arg-type]
    assert fake.settings.api_keys == {"key-a": ALICE, "key-u": Identity("ursula")}
    with fake.client(api_key="key-u") as client:
        made = client.post("/v4/model-templates", json=minimal_body())
    assert made.status_code == 200
    assert made.json()["created_by_user_id"] == "ursula"
    same = {"key-a": ALICE}
    assert FakeSettings(api_keys=same).api_keys is same  # kept, to be changed later


def test_an_identity_of_another_kind_is_a_type_error_naming_the_key() -> None:
    with pytest.raises(TypeError, match=r"api_keys\['key-x'\] is a list"):
        FakeSettings(api_keys={"key-x": ["alice"]})  # type: ignore[dict-item]
