"""A fake serving the real resources and the test-only ``WIDGETS``, with the admin API and
coverage on."""

from __future__ import annotations

import pytest

from sgp_fake import SGPFake
from tests.registry.resources import RESOURCES


@pytest.fixture
def widgets() -> SGPFake:
    return SGPFake(resources=RESOURCES, admin=True, coverage=True)
