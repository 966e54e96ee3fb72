"""Errors the fake answers with, as exceptions that carry their HTTP status and body.

The store and the validation layer raise these; the app turns each into the JSON envelope a
FastAPI service answers with: ``{"detail": ...}``.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = [
    "BadRequest",
    "BodyParseError",
    "FakeHTTPError",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RequestValidationError",
]


class FakeHTTPError(Exception):
    """An error answered as ``{"detail": detail}`` with ``status_code``."""

    status_code: int = 500
    default_detail: Any = "Internal Server Error"

    def __init__(self, detail: Any = None, headers: Mapping[str, str] | None = None) -> None:
        self.detail = self.default_detail if detail is None else detail
        self.headers = dict(headers or {})
        super().__init__(self.detail)


class NotAuthenticated(FakeHTTPError):
    """No API key, or one the fake was not configured with (401)."""

    status_code = 401
    default_detail = "Not authenticated"


class PermissionDenied(FakeHTTPError):
    """The caller's identity may not use the account it asked for (403)."""

    status_code = 403
    default_detail = "Forbidden"


class NotFound(FakeHTTPError):
    """No such route, or no template with that id visible to the caller (404)."""

    status_code = 404
    default_detail = "Not Found"


class BodyParseError(FakeHTTPError):
    """A body that is not text JSON can be read from: bad UTF-8, absurd nesting (400)."""

    status_code = 400
    # FastAPI's own words for a body its JSON decoder raised on with anything but a decode error.
    default_detail = "There was an error parsing the body"


class BadRequest(FakeHTTPError):
    """A request the service refuses for what it asks, not how it is written (400): a record
    that another one still uses, a change the record's state does not allow."""

    status_code = 400
    default_detail = "Bad Request"


class PayloadTooLarge(FakeHTTPError):
    """A body over the configured size limit (413)."""

    status_code = 413
    default_detail = "Request body too large"


class RequestValidationError(FakeHTTPError):
    """A body, query or path the contract rejects (422); ``detail`` is pydantic's error list."""

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors
