"""Request bodies to validated models, with the error bodies a FastAPI service answers.

FastAPI reads a body parameter like this, and so do we:

1. An empty body is "missing" (``loc ["body"]``).
2. With a content type of ``application/json`` or ``application/*+json`` (any parameters) the body
   is decoded with :func:`json.loads` (bytes in, so UTF-8/16/32 are detected as the standard
   library does); a decode error is a 422 ``json_invalid`` at the character offset, any other
   failure (invalid UTF-8, nesting deeper than the decoder can go, an integer over the digit
   limit) is a 400. Any other content type, or none, passes the raw text on, which fails
   validation with ``model_attributes_type``.
3. The value is validated with ``from_attributes=True`` (which is why a non-object body and a
   ``null`` nested model give ``model_attributes_type``) and each pydantic error gets ``"body"``
   prefixed to its ``loc``; ``url`` is left out.

Where FastAPI answers 500 we answer 4xx instead. FastAPI reads ``NaN`` and ``Infinity`` (as
``json.loads`` does) and fails once one is in an error it writes; a body holding one is
``json_invalid`` at its place (they are not JSON) when an error would show it or the request
would keep it, and answered as FastAPI answers it otherwise (one in an unknown field is
dropped). Strings that cannot be encoded as UTF-8 (lone surrogates) are rejected with 400.

Valid bodies take a fast path: pydantic parses and validates the bytes in one pass. Only when
that fails do we take the slow path above, which builds the exact error list.
"""

from __future__ import annotations

import email.message
import functools
import json
import math
import re
import types
import typing
from typing import Any, Iterable, Literal, Mapping, TypeVar

import pydantic

from ..errors import BodyParseError, RequestValidationError
from .query import parse_query

__all__ = [
    "decode_json_body",
    "is_json_content_type",
    "list_fields",
    "render_errors",
    "require_finite",
    "validate_body",
    "validate_headers",
    "validate_query",
]

M = TypeVar("M", bound=pydantic.BaseModel)

# A string literal, or one of the constants json.loads accepts but JSON does not.
_CONSTANT_SCAN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.DOTALL)


def is_json_content_type(content_type: str | None) -> bool:
    """Whether FastAPI would decode a body with this content type as JSON."""
    if not content_type:
        # An absent header: the body is passed on as text, not decoded.
        return False
    if content_type == "application/json":
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def _json_invalid(pos: int, msg: str) -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "type": "json_invalid",
                "loc": ["body", pos],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": msg},
            }
        ]
    )


def decode_json_body(body: bytes) -> Any:
    """Decode a JSON body as FastAPI does, raising the error FastAPI would answer; ``NaN`` and
    ``Infinity``, which are not JSON, are refused as ``json_invalid``."""
    data, constant = _decode(body)
    if constant:
        raise _constant_refused(body)
    return data


def _decode(body: bytes) -> tuple[Any, bool]:
    """The body as FastAPI's ``json.loads`` reads it (its errors answered as FastAPI answers
    them), and whether it holds ``NaN`` or ``Infinity``, which json reads and JSON lacks."""
    seen: list[str] = []

    def constant(name: str) -> float:
        seen.append(name)
        return float(name)

    try:
        return json.loads(body, parse_constant=constant), bool(seen)
    except json.JSONDecodeError as exc:
        raise _json_invalid(exc.pos, exc.msg) from None
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise BodyParseError() from exc


def _constant_refused(body: bytes) -> RequestValidationError:
    """``json_invalid`` at the first ``NaN`` or ``Infinity`` of ``body`` (outside strings), its
    place counted in the text json decoded (UTF-16 and UTF-32 bodies too)."""
    text = body.decode(json.detect_encoding(body), "surrogatepass")
    for match in _CONSTANT_SCAN.finditer(text):
        if match.group(1):
            return _json_invalid(match.start(1), "Expecting value")
    return _json_invalid(0, "Expecting value")


def _holds_non_finite(value: Any) -> bool:
    """Whether ``value`` (decoded JSON, or a model validated from it) holds NaN or an infinity."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            pending.extend(item)
        elif isinstance(item, pydantic.BaseModel):
            pending.extend(item.__dict__.values())
            pending.extend((item.__pydantic_extra__ or {}).values())
    return False


def located(exc: pydantic.ValidationError, where: str) -> list[dict[str, Any]]:
    """``exc``'s errors as FastAPI answers them, at ``where`` (``body``, ``query``): a
    validator's exception in ``ctx`` becomes ``{}``, as FastAPI's ``jsonable_encoder`` writes
    an object it cannot read."""
    errors = []
    for raw in exc.errors(include_url=False):
        err: dict[str, Any] = {**raw, "loc": [where, *raw["loc"]]}
        ctx = err.get("ctx")
        if isinstance(ctx, dict):
            err["ctx"] = {k: {} if isinstance(v, BaseException) else v for k, v in ctx.items()}
        errors.append(err)
    return errors


def _errors_of(exc: pydantic.ValidationError) -> list[dict[str, Any]]:
    return located(exc, "body")


def validate_body(
    model: type[M],
    body: bytes,
    content_type: str | None,
    *,
    extra: Literal["ignore", "forbid"] | None = "ignore",
) -> M:
    """Validate a request body into ``model`` or raise the error a FastAPI service answers.

    ``extra`` overrides how the model treats unknown fields; ``None`` keeps its own setting.
    """
    json_body = body and is_json_content_type(content_type)
    if json_body and b"NaN" not in body and b"Infinity" not in body:
        try:
            # The model's validator itself: model_validate_json adds nothing but a Python frame.
            result: M = model.__pydantic_validator__.validate_json(body, extra=extra)
            return result
        except pydantic.ValidationError:
            pass  # the slow path below builds the exact error list
    if not body:
        raise RequestValidationError(
            [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
        )
    data: Any
    constant = False
    if json_body:
        data, constant = _decode(body)
    else:
        try:
            data = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyParseError() from exc
    try:
        result = model.model_validate(data, from_attributes=True, extra=extra)
    except pydantic.ValidationError as exc:
        errors = _errors_of(exc)
        # FastAPI reads NaN and Infinity, then fails (500) writing an error that shows one.
        if constant and _holds_non_finite([error.get("input") for error in errors]):
            raise _constant_refused(body) from None
        raise RequestValidationError(errors) from None
    except RecursionError as exc:
        raise BodyParseError() from exc
    # One the request keeps could be neither stored, answered nor passed on as JSON. One in a
    # field the model ignores is dropped, as FastAPI drops it.
    if constant and _holds_non_finite(result):
        raise _constant_refused(body)
    return result


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def render_errors(detail: Any) -> bytes:
    """Serialise a ``{"detail": ...}`` body the way Starlette's JSONResponse does.

    Inputs that JSON cannot carry (an overflowed ``1e999``) are written as their Python repr
    rather than failing the answer.
    """
    content = {"detail": detail}
    try:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except RecursionError:
        text = json.dumps({"detail": BodyParseError.default_detail}, separators=(",", ":"))
    except ValueError:
        text = json.dumps(
            _finite(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


# -- query strings -----------------------------------------------------------------------------


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return False


@functools.cache
def list_fields(model: type[pydantic.BaseModel]) -> frozenset[str]:
    """The names of ``model``'s list-typed fields (query parameters the SDK comma-joins)."""
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if _is_list(field.annotation)
    )


def validate_query(
    model: type[M], query: bytes, *, extra: Literal["ignore", "forbid"] = "ignore"
) -> M:
    """Validate a raw query string into ``model``, or raise FastAPI's 422 (``loc`` ``query``).

    List-typed fields are read as the SDK sends them (see :func:`~sgp_fake.core.query.parse_query`).
    A missing parameter's error has ``input`` null, as FastAPI writes it for a query parameter
    (it validates each on its own, so none has the whole query as its input).
    """
    try:
        return model.model_validate(parse_query(query, list_fields(model)), extra=extra)
    except pydantic.ValidationError as exc:
        errors = located(exc, "query")
        for error in errors:
            if error["type"] == "missing":
                error["input"] = None
        raise RequestValidationError(errors) from None


def validate_headers(
    model: type[M],
    headers: Iterable[tuple[bytes, bytes]],
    names: Mapping[str, str],
    wanted: Mapping[bytes, str] | None = None,
) -> M:
    """Validate request headers into ``model`` (``names``: field -> lower-case header name),
    or raise FastAPI's 422 for ``Header()`` parameters: each error at ``["header", <name>]``,
    a missing one with ``input`` null. The first value of a header counts; an empty value is
    none. ``wanted``: ``names`` the other way round, encoded (a caller may keep it)."""
    if wanted is None:
        wanted = {name.encode("latin-1"): field for field, name in names.items()}
    seen: dict[str, str] = {}
    for key, value in headers:
        field = wanted.get(key)
        if field is not None and field not in seen:
            seen[field] = value.decode("latin-1")
    data = {field: value for field, value in seen.items() if value}
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors: list[dict[str, Any]] = []
        for detail in exc.errors(include_url=False):
            place, *rest = detail["loc"]
            error: dict[str, Any] = {**detail}
            error["loc"] = ["header", names.get(str(place), str(place)), *rest]
            if error["type"] == "missing":
                error["input"] = None
            errors.append(error)
        raise RequestValidationError(errors) from None


def require_finite(value: Any, loc: tuple[str | int, ...] = ("body",)) -> None:
    """Refuse a number JSON text cannot carry back (``1e999`` is read as infinity) anywhere in
    ``value``, with pydantic's ``finite_number`` error at its place, instead of storing it as
    the ``null`` a JSON answer would turn it into."""
    if isinstance(value, float) and not math.isfinite(value):
        raise RequestValidationError(
            [
                {
                    "type": "finite_number",
                    "loc": list(loc),
                    "msg": "Input should be a finite number",
                    "input": value,
                }
            ]
        )
    if isinstance(value, dict):
        for key, item in value.items():
            require_finite(item, (*loc, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            require_finite(item, (*loc, index))
