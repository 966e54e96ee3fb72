"""The smallest valid template create body, which many tests start from."""

from __future__ import annotations

import copy
from typing import Any

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
