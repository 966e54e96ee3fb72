"""A fake with the admin API and coverage on, a client of its SGP routes and one of its admin
API."""

from __future__ import annotations

from typing import Iterator

import httpx
import pytest

from sgp_fake import SGPFake


@pytest.fixture
def admin_fake() -> SGPFake:
    return SGPFake(admin=True, coverage=True)


@pytest.fixture
def client(admin_fake: SGPFake) -> Iterator[httpx.Client]:
    with admin_fake.client() as client:
        yield client


@pytest.fixture
def admin(admin_fake: SGPFake) -> Iterator[httpx.Client]:
    """A client sending no API key: the admin API needs none."""
    with admin_fake.client(api_key=None) as client:
        yield client
