"""What the contract-mode tests share: a fake in contract mode and a client of it."""

from __future__ import annotations

from typing import Iterator

import httpx
import pytest

from sgp_fake import FakeSettings, Identity, SGPFake


@pytest.fixture
def contract_fake() -> SGPFake:
    return SGPFake(
        FakeSettings(
            contract=True,
            api_keys={
                "any": Identity("alice"),
                "scoped": Identity("bot", "service_account", frozenset({"acct_a", "acct_b"})),
            },
        )
    )


@pytest.fixture
def client(contract_fake: SGPFake) -> Iterator[httpx.Client]:
    with contract_fake.client(api_key="any") as client:
        yield client
