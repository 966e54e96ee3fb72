"""pytest fixtures for testing code that calls SGP (registered through ``pytest11``)."""

from __future__ import annotations

from typing import Iterator

import pytest

from .fake import SGPFake


@pytest.fixture
def sgp_fake() -> Iterator[SGPFake]:
    """A fresh, empty fake for this test."""
    yield SGPFake()
