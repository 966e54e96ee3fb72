"""Shared helpers of the project's own tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from sgp_fake import SGPFake

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MINIMAL_BODY: dict[str, Any] = {
    "name": "llama-completion",
    "endpoint_type": "SYNC",
    "model_type": "COMPLETION",
    "account_id": "acct_1",
    "vendor_configuration": {
        "bundle_config": {"registry": "docker.io/acme", "image": "llm-server", "tag": "1.4.2"}
    },
}


def minimal_body(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of the smallest valid create body, with top-level overrides."""
    body = copy.deepcopy(MINIMAL_BODY)
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def contract() -> dict[str, Any]:
    """The published contract, as kept in ``fixtures/``."""
    data: dict[str, Any] = json.loads((FIXTURES / "model-templates.openapi.json").read_text())
    return data


@pytest.fixture
def fake() -> Iterator[SGPFake]:
    """A fresh fake for tests of the core (the plugin's fixtures are tested separately)."""
    return SGPFake()
