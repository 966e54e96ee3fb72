"""What the model-templates API does beyond the standard operations: a fast, exact create."""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticSerializationError

from ...core.answers import Answer, ok
from ...core.call import Call
from ...core.twin import Twin
from ...errors import BodyParseError
from .schemas import ModelTemplateRequest, ParameterSchemaField
from .store import ModelTemplateStore

__all__ = ["TWIN", "create"]

TWIN = Twin(ModelTemplateRequest, keep_nulls=(ParameterSchemaField,), exclude=("account_id",))
"""The create body's accelerator: a valid body is validated and written without models."""

_dump_request = ModelTemplateRequest.__pydantic_serializer__.to_json
_ACCOUNT_ID = {"account_id"}


def create(call: Call) -> Answer:
    """``POST /v4/model-templates``: the stored template, spliced from the request's JSON."""
    identity = call.identity()
    data = call.fast_body(TWIN.validate)
    model: Any = None
    if data is None:
        # Invalid, or maybe: the model says which, with FastAPI's exact errors.
        model = call.body(ModelTemplateRequest)
        account_id: str = model.account_id
    else:
        account_id = data["account_id"]
    call.require_account(account_id)
    table: ModelTemplateStore = call.table()  # type: ignore[assignment]
    try:
        head = (
            TWIN.dump(data)
            if data is not None
            else _dump_request(model, exclude_none=True, exclude=_ACCOUNT_ID)
        )
        record = table.create_spliced(head, account_id, identity)
    except PydanticSerializationError as exc:
        # Strings JSON can carry but UTF-8 cannot (lone surrogates, in any field including
        # account_id): refuse, never 500.
        raise BodyParseError() from exc
    return ok(record.body)
