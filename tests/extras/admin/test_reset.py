"""The admin API's reset: of everything, or of one account."""

from __future__ import annotations

import httpx

from sgp_fake import SGPFake
from sgp_fake.core.faults import FaultRule
from sgp_fake.core.ratelimit import RateLimit
from tests.extras.admin.records import create


def test_reset_empties_store_journal_faults_and_rate_limit(
    admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client
) -> None:
    create(client)
    create(client, account_id="acct_2")
    admin_fake.faults.add(FaultRule(path="/nowhere", status=500))
    admin_fake.rate_limiter.configure(RateLimit(1, 5))
    answer = admin.post("/_fake/reset")
    assert answer.status_code == 200
    assert answer.json() == {"deleted": 2}
    assert len(admin_fake.store) == 0
    assert len(admin_fake.journal) == 0
    assert admin_fake.faults.list() == []
    assert admin_fake.rate_limiter.limit is None


def test_reset_of_one_account_keeps_everything_else(
    admin_fake: SGPFake, client: httpx.Client, admin: httpx.Client
) -> None:
    kept = [create(client, account_id="acct_1"), create(client, account_id="acct_1")]
    create(client, account_id="acct_2")
    rule = admin_fake.faults.add(FaultRule(path="/nowhere", status=500))
    answer = admin.post("/_fake/reset", params={"account_id": "acct_2"})
    assert answer.json() == {"deleted": 1}
    assert [t.id for t in admin_fake.store.all()] == [t["id"] for t in kept]
    assert len(admin_fake.journal) == 3
    assert admin_fake.faults.list() == [rule]
    assert admin.post("/_fake/reset", params={"account_id": "nobody"}).json() == {"deleted": 0}
