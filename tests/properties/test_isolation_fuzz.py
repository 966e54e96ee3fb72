"""Account isolation under fuzzing: no sequence of requests reaches another account's template.

A hypothesis state machine plays random creates, reads, lists and deletes with configured API
keys (identities limited to some accounts, one unlimited, one unknown key), with and without the
``x-selected-account-id`` header, against a model of who owns what. Every answer must be the
one the model predicts, and the store must always equal the model: nothing read, listed or
deleted across accounts, nothing created where the caller may not.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from sgp_fake import FakeSettings, Identity, LiveServer, SGPFake
from tests.support.bodies import minimal_body

LONG = os.environ.get("SGP_FAKE_FUZZ") == "long"

ACCOUNTS = ["acct_a", "acct_b", "acct_c", "acct_d"]
KEYS: dict[str, Identity] = {
    "key-a": Identity("user_a", accounts=frozenset({"acct_a"})),
    "key-b": Identity("svc_b", "service_account", frozenset({"acct_b"})),
    "key-ab": Identity("user_ab", accounts=frozenset({"acct_a", "acct_b"})),
    "key-c": Identity("user_c", accounts=frozenset({"acct_c"})),
    "key-all": Identity("admin"),
}
keys = st.sampled_from([*KEYS, "key-unknown", ""])
accounts = st.sampled_from(ACCOUNTS)
selected_accounts = st.none() | accounts


def _may(key: str, account: str) -> bool:
    identity = KEYS.get(key)
    return identity is not None and identity.may_use(account)


class Isolation(RuleBasedStateMachine):
    """The model: id -> owning account."""

    templates = Bundle("templates")

    def __init__(self) -> None:
        super().__init__()
        self.fake = SGPFake(FakeSettings(api_keys=KEYS), journal_limit=100)
        self.client = self.make_client()
        self.owners: dict[str, str] = {}

    def make_client(self) -> httpx.Client:
        return self.fake.client(api_key=None)

    def teardown(self) -> None:
        self.client.close()

    def _headers(self, key: str, selected: str | None) -> dict[str, str]:
        headers = {"x-api-key": key} if key else {}
        if selected is not None:
            headers["x-selected-account-id"] = selected
        return headers

    def _expected_auth(self, key: str, selected: str | None) -> int | None:
        """The status auth alone decides (401/403), or ``None`` when it lets the request on."""
        if key not in KEYS:
            return 401
        if selected is not None and not _may(key, selected):
            return 403
        return None

    @rule(target=templates, key=keys, account=accounts, selected=selected_accounts)
    def create(self, key: str, account: str, selected: str | None) -> str:
        response = self.client.post(
            "/v4/model-templates",
            json=minimal_body(account_id=account),
            headers=self._headers(key, selected),
        )
        expected = self._expected_auth(key, selected) or (200 if _may(key, account) else 403)
        assert response.status_code == expected, response.text
        if expected != 200:
            return f"never-created-{len(self.owners)}"
        template = response.json()
        assert template["account_id"] == account
        assert template["created_by_user_id"] == KEYS[key].user_id
        self.owners[template["id"]] = account
        return str(template["id"])

    @rule(key=keys, template_id=templates, selected=selected_accounts)
    def retrieve(self, key: str, template_id: str, selected: str | None) -> None:
        response = self.client.get(
            f"/v4/model-templates/{template_id}", headers=self._headers(key, selected)
        )
        owner = self.owners.get(template_id)
        expected = self._expected_auth(key, selected) or (
            200 if owner is not None and _may(key, owner) else 404
        )
        assert response.status_code == expected, response.text
        if expected == 200:
            assert response.json()["account_id"] == owner

    @rule(key=keys, template_id=consumes(templates), selected=selected_accounts)
    def delete(self, key: str, template_id: str, selected: str | None) -> None:
        response = self.client.delete(
            f"/v4/model-templates/{template_id}", headers=self._headers(key, selected)
        )
        owner = self.owners.get(template_id)
        expected = self._expected_auth(key, selected) or (
            200 if owner is not None and _may(key, owner) else 404
        )
        assert response.status_code == expected, response.text
        if expected == 200:
            del self.owners[template_id]

    @rule(
        key=keys,
        query_account=st.none() | accounts,
        selected=selected_accounts,
        limit=st.sampled_from([1, 3, 100]),
        page=st.integers(1, 3),
    )
    def list(
        self, key: str, query_account: str | None, selected: str | None, limit: int, page: int
    ) -> None:
        params: dict[str, Any] = {"limit": limit, "page": page}
        if query_account is not None:
            params["account_id"] = query_account
        response = self.client.get(
            "/v4/model-templates", params=params, headers=self._headers(key, selected)
        )
        expected_auth = self._expected_auth(key, selected)
        account = query_account or selected
        if expected_auth is not None:
            assert response.status_code == expected_auth
            return
        if account is not None and not _may(key, account):
            assert response.status_code == 403
            return
        assert response.status_code == 200, response.text
        data = response.json()
        visible = {
            i: a
            for i, a in self.owners.items()
            if (account is None and _may(key, a)) or a == account
        }
        assert data["total_item_count"] == len(visible)
        for item in data["items"]:
            assert visible.get(item["id"]) == item["account_id"]
        assert len(data["items"]) == max(0, min(limit, len(visible) - (page - 1) * limit))

    @invariant()
    def store_is_the_model(self) -> None:
        assert {t.id: t.account_id for t in self.fake.store.all()} == self.owners


class IsolationOverLoopback(Isolation):
    """The same machine against the live server."""

    def make_client(self) -> httpx.Client:
        self.server = LiveServer(self.fake.app).start()
        return httpx.Client(base_url=self.server.url, timeout=30)

    def teardown(self) -> None:
        super().teardown()
        self.server.stop()


_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}

TestIsolationInProcess = Isolation.TestCase
TestIsolationInProcess.settings = settings(
    max_examples=1000 if LONG else 40, stateful_step_count=40, **_SETTINGS
)
TestIsolationOverLoopback = IsolationOverLoopback.TestCase
TestIsolationOverLoopback.settings = settings(
    max_examples=100 if LONG else 6, stateful_step_count=30, **_SETTINGS
)
