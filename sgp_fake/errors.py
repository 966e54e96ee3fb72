"""Errors the fake answers with, as exceptions that carry their HTTP status and body.

The store and the validation layer raise these; the app turns each into the JSON envelope a
FastAPI service answers with: ``{"detail": ...}``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Mapping

__all__ = [
    "BETA_SDK_MISSING",
    "SDK_IMPORTED_FROZEN",
    "SDK_MISSING",
    "BadRequest",
    "BodyParseError",
    "FakeHTTPError",
    "NotAuthenticated",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RequestValidationError",
    "needs_sdk",
]

SDK_MISSING = "scale-gp is not installed: pip install sgp-fake[sdk]"
"""What to install for the v4 SDK (``scale_gp``): the SDK fixtures skip with these words."""
BETA_SDK_MISSING = "scale-gp-beta (the v5 SDK) is not installed: pip install sgp-fake[sdk]"
"""What to install for the v5 SDK (``scale_gp_beta``): its fixtures skip with these words."""

_SDK_MISSING = {"scale_gp": SDK_MISSING, "scale_gp_beta": BETA_SDK_MISSING}


@contextmanager
def needs_sdk() -> Iterator[None]:
    """An SDK's failed import raised as ``ModuleNotFoundError`` that says what to install, or,
    when it failed because freezegun froze time, as a ``RuntimeError`` that says what to do."""
    try:
        yield
    except ModuleNotFoundError as exc:
        message = _SDK_MISSING.get(exc.name or "")
        if message is None:
            raise
        raise ModuleNotFoundError(message, name=exc.name) from None
    except Exception as exc:
        if "FakeDatetime" not in str(exc):
            raise
        raise RuntimeError(SDK_IMPORTED_FROZEN) from exc


SDK_IMPORTED_FROZEN = (
    "an SGP SDK was first imported while freezegun froze time, and pydantic cannot build its "
    "models on freezegun's FakeDatetime: import scale_gp and scale_gp_beta before freezing "
    "time (at the top of the test module, or in conftest.py)"
)
"""Why an SDK's import failed under freezegun, and what to do."""


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
