"""Every generated test run gets an ini file of its own, so the project's pytest options stay out
of it."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        asyncio_default_fixture_loop_scope = function
        """
    )
