"""The plugin's fixtures and marker are registered and documented in ``pytest --fixtures`` and
``--markers``."""

from __future__ import annotations

import pytest

from tests.plugin.as_used.runs import run


def test_fixtures_and_marker_are_registered_and_documented(pytester: pytest.Pytester) -> None:
    fixtures = run(pytester, "--fixtures").stdout.str()
    for name in (
        "sgp_fake",
        "sgp_fake_client",
        "sgp_fake_async_client",
        "sgp_client",
        "sgp_async_client",
        "sgp_beta_client",
        "sgp_async_beta_client",
        "sgp_fake_server",
        "sgp_fake_intercept",
        "sgp_factory",
        "sgp_fake_settings",
        "sgp_fake_seed",
        "sgp_fake_base_urls",
    ):
        assert f"{name} -- " in fixtures or f"{name} [" in fixtures, name
    assert "faker" not in {line.split()[0] for line in fixtures.splitlines() if line[:4] == "sgp_"}
    markers = run(pytester, "--markers").stdout.str()
    assert "@pytest.mark.sgp_fake(api_keys=None" in markers
    help_text = run(pytester, "--help").stdout.str()
    assert "--sgp-fake-seed=SEED" in help_text
