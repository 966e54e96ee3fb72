"""A ``Ticker`` and a fake serving it beside the real resources, admin API and coverage on."""

from __future__ import annotations

import pytest

from sgp_fake import SGPFake
from sgp_fake.resources import REGISTRY
from tests.core.streaming.tickers import Ticker


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def fake(ticker: Ticker) -> SGPFake:
    return SGPFake(resources=(*REGISTRY, ticker.resource()), admin=True, coverage=True)
