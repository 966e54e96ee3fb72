"""Records as the state document holds them: a model template, and a record of the test-only
resources that refer to each other."""

from __future__ import annotations

from typing import Any

from tests.support.bodies import minimal_body


def template(template_id: str, account_id: str, name: str = "t") -> dict[str, Any]:
    return {
        **minimal_body(account_id=account_id, name=name),
        "id": template_id,
        "created_at": "2024-01-02T03:04:05+00:00",
        "created_by_user_id": "user_1",
        "created_by_identity_type": "user",
    }


def linked(kind_id: str, account_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": kind_id,
        "name": f"{kind_id}-name",
        "account_id": account_id,
        "created_at": "2024-01-02T03:04:05+00:00",
        "created_by_user_id": "user_1",
        "created_by_identity_type": "user",
        **fields,
    }
