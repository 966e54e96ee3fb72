"""Invalid bodies for negative tests, each paired with the exact 422 body it earns.

Each breaker takes a valid body and the operation it is sent to (anything with the body's
model as ``body`` and a path template as ``path``: a resource's
:class:`~sgp_fake.core.operations.Operation`), breaks the body in one named way and returns an
:class:`InvalidPayload`: the bytes to send, where, and the answer the real service (and the
fake) gives, byte for byte. There is no default operation: a payload is sent where its body's
operation is served, never to another resource's route.

The expected errors come from :mod:`.expected`.
"""

from __future__ import annotations

import copy
import enum
import json
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx
from pydantic import BaseModel

from .expected import (
    MODEL_ATTRIBUTES_MSG,
    Path,
    annotation_at,
    dotted,
    error,
    field_named,
    parse_path,
    render,
    type_errors,
)

__all__ = [
    "InvalidPayload",
    "Target",
    "bad_enum",
    "body_model",
    "checked",
    "empty_body",
    "json_payload",
    "malformed_json",
    "missing",
    "not_an_object",
    "parent_and_key",
    "text_content_type",
    "truncated_json",
    "wrong_type",
]


class Target(Protocol):
    """Where a payload is sent: an operation's path template and its body's model."""

    @property
    def path(self) -> str:
        """The path template (``/v4/models/{model_instance_id}/deployments``)."""
        ...

    @property
    def body(self) -> type[BaseModel] | None:
        """The model of the request body."""
        ...


def body_model(operation: Target) -> type[BaseModel]:
    """The model of ``operation``'s body; ``ValueError`` for an operation that takes none."""
    model = operation.body
    if model is None:
        raise ValueError(f"the operation at {operation.path} takes no body")
    return model


@dataclass(frozen=True)
class InvalidPayload:
    """A body the create route refuses, and what it answers.

    ``content`` is what to send with ``content_type``; ``body`` is the decoded JSON value when
    there is one (``None`` for malformed JSON and empty bodies). ``expected_body`` is the answer
    decoded; :attr:`expected_content` is its exact bytes.
    """

    name: str
    description: str
    content: bytes
    expected_body: dict[str, Any]
    body: Any = None
    content_type: str = "application/json"
    expected_status: int = 422
    headers: dict[str, str] = field(default_factory=dict)
    path: str = field(kw_only=True)
    """Where the body is sent: the create route of the body's resource."""

    @property
    def expected_content(self) -> bytes:
        """The exact bytes of the answer."""
        return render(self.expected_body)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The ``detail`` list of the expected answer."""
        detail: list[dict[str, Any]] = self.expected_body["detail"]
        return detail

    def request_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.post``: ``content`` and ``headers``."""
        return {
            "content": self.content,
            "headers": {"content-type": self.content_type, **self.headers},
        }

    def url(
        self,
        path: str | None = None,
        model_instance_id: str | None = None,
        model_deployment_id: str | None = None,
        **parameters: str,
    ) -> str:
        """The path to send to: ``path``, else :attr:`path` with the path parameters given
        (``model_instance_id`` for a deployment's, ``model_deployment_id`` for an inference
        route's, any other by its name) filled in."""
        target = path or self.path
        given = {
            "model_instance_id": model_instance_id,
            "model_deployment_id": model_deployment_id,
            **parameters,
        }
        for key, value in given.items():
            if value is not None:
                target = target.replace(f"{{{key}}}", value)
        return target

    def post(
        self,
        client: httpx.Client,
        path: str | None = None,
        *,
        model_instance_id: str | None = None,
        model_deployment_id: str | None = None,
        **parameters: str,
    ) -> httpx.Response:
        """Send this payload with ``client`` (base URL and API key already set) to ``path``
        (default: :attr:`path`, with ``model_instance_id`` for a deployment's,
        ``model_deployment_id`` for an inference route's)."""
        url = self.url(path, model_instance_id, model_deployment_id, **parameters)
        return client.post(url, **self.request_kwargs())

    async def apost(
        self,
        client: httpx.AsyncClient,
        path: str | None = None,
        *,
        model_instance_id: str | None = None,
        model_deployment_id: str | None = None,
        **parameters: str,
    ) -> httpx.Response:
        """Send this payload with an async ``client``."""
        url = self.url(path, model_instance_id, model_deployment_id, **parameters)
        return await client.post(url, **self.request_kwargs())


def parent_and_key(body: Any, path: tuple[str | int, ...]) -> tuple[Any, str | int]:
    """The container that holds ``path``'s last segment in ``body``, and that segment."""
    node = body
    for i, segment in enumerate(path[:-1]):
        try:
            node = node[segment]
        except (KeyError, IndexError, TypeError):
            where = ".".join(str(s) for s in path[: i + 1])
            raise KeyError(
                f"the body has no {where}; start from a body that has it "
                "(a factory's request(optional='all') has every section; an inference "
                "body has bindings when made with template=)"
            ) from None
    return node, path[-1]


def checked(body: dict[str, Any], operation: Target) -> dict[str, Any]:
    """A copy of ``body``, which must be valid for ``operation`` (a broken body must start out
    valid, so that its 422 has the one error predicted)."""
    body_model(operation).model_validate(body)
    return copy.deepcopy(body)


def json_payload(
    name: str,
    description: str,
    body: Any,
    errors: list[dict[str, Any]],
    operation: Target,
) -> InvalidPayload:
    """``body`` sent as JSON to ``operation``, answered with ``errors``."""
    return InvalidPayload(
        name=name,
        description=description,
        content=json.dumps(body).encode(),
        body=body,
        expected_body={"detail": errors},
        path=operation.path,
    )


def missing(
    body: dict[str, Any],
    path: Path,
    *,
    name: str | None = None,
    operation: Target,
) -> InvalidPayload:
    """``body`` without the required field at ``path``."""
    model = body_model(operation)
    where = parse_path(path)
    annotation_parent = where[:-1]
    parent_type, _ = (
        annotation_at(annotation_parent, model) if annotation_parent else (model, False)
    )
    if not (isinstance(parent_type, type) and issubclass(parent_type, BaseModel)):
        raise ValueError(f"{dotted(where)} is not a model field")
    key = where[-1]
    if not isinstance(key, str) or not field_named(parent_type, key).is_required():
        raise ValueError(f"{dotted(where)} is optional: leaving it out is valid")
    broken = checked(body, operation)
    parent, key = parent_and_key(broken, where)
    if key not in parent:
        raise KeyError(f"the body has no {dotted(where)} to remove")
    del parent[key]
    return json_payload(
        name or f"missing_{key}",
        f"required field {dotted(where)} left out",
        broken,
        [error("missing", where, "Field required", copy.deepcopy(parent))],
        operation,
    )


def wrong_type(
    body: dict[str, Any],
    path: Path,
    value: Any,
    *,
    name: str | None = None,
    operation: Target,
) -> InvalidPayload:
    """``body`` with ``value`` at ``path``, where the contract wants another type.

    Raises ``ValueError`` when ``value`` is in fact valid there (pydantic's lax mode takes
    ``"4"`` for an integer and ``"yes"`` for a boolean) or when its error is not one this module
    predicts (integers too big to parse, for instance).
    """
    where = parse_path(path)
    annotation, nullable = annotation_at(where, body_model(operation))
    errors = type_errors(annotation, nullable, where, value)
    broken = checked(body, operation)
    parent, key = parent_and_key(broken, where)
    if isinstance(parent, list) and not (
        isinstance(key, int) and -len(parent) <= key < len(parent)
    ):
        raise KeyError(f"the body has no {dotted(where)}")
    parent[key] = copy.deepcopy(value)
    return json_payload(
        name or f"wrong_type_{where[-1]}",
        f"{dotted(where)} set to {json.dumps(value)}",
        broken,
        errors,
        operation,
    )


def bad_enum(
    body: dict[str, Any],
    path: Path,
    value: Any,
    *,
    name: str | None = None,
    operation: Target,
) -> InvalidPayload:
    """``body`` with a value outside the enum (or constant) declared at ``path``."""
    where = parse_path(path)
    annotation, _ = annotation_at(where, body_model(operation))
    is_enum = isinstance(annotation, type) and issubclass(annotation, enum.Enum)
    if not (is_enum or typing.get_origin(annotation) is Literal):
        raise ValueError(f"{dotted(where)} is not an enum")
    return wrong_type(body, where, value, name=name or f"bad_{where[-1]}", operation=operation)


def malformed_json(
    body: dict[str, Any],
    *,
    name: str = "malformed_json",
    operation: Target,
) -> InvalidPayload:
    """``body`` as JSON with a trailing comma before its closing brace."""
    text = json.dumps(checked(body, operation))
    broken = text[:-1] + ",}"
    return InvalidPayload(
        path=operation.path,
        name=name,
        description="JSON with a trailing comma",
        content=broken.encode(),
        expected_body={
            "detail": [
                {
                    "type": "json_invalid",
                    "loc": ["body", len(broken) - 1],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": "Expecting property name enclosed in double quotes"},
                }
            ]
        },
    )


def truncated_json(
    body: dict[str, Any],
    *,
    name: str = "truncated_json",
    operation: Target,
) -> InvalidPayload:
    """``body`` as JSON cut off right after its first key."""
    text = json.dumps(checked(body, operation))
    cut = text[: text.index(": ") + 2]
    return InvalidPayload(
        path=operation.path,
        name=name,
        description="JSON cut off after its first key",
        content=cut.encode(),
        expected_body={
            "detail": [
                {
                    "type": "json_invalid",
                    "loc": ["body", len(cut)],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": "Expecting value"},
                }
            ]
        },
    )


def empty_body(*, operation: Target, name: str = "empty_body") -> InvalidPayload:
    """No body at all."""
    body_model(operation)  # an operation that takes no body has no such payload
    return InvalidPayload(
        path=operation.path,
        name=name,
        description="an empty body",
        content=b"",
        expected_body={
            "detail": [{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}]
        },
    )


def not_an_object(
    body: dict[str, Any],
    *,
    name: str = "not_an_object",
    operation: Target,
) -> InvalidPayload:
    """``body`` wrapped in a JSON array."""
    wrapped = [checked(body, operation)]
    return json_payload(
        name,
        "a JSON array instead of an object",
        wrapped,
        [error("model_attributes_type", (), MODEL_ATTRIBUTES_MSG, wrapped)],
        operation,
    )


def text_content_type(
    body: dict[str, Any],
    *,
    name: str = "text_content_type",
    operation: Target,
) -> InvalidPayload:
    """``body`` as JSON, sent as ``text/plain``: the service does not decode it."""
    text = json.dumps(checked(body, operation))
    return InvalidPayload(
        path=operation.path,
        name=name,
        description="a JSON body sent with content-type text/plain",
        content=text.encode(),
        body=None,
        content_type="text/plain",
        expected_body={"detail": [error("model_attributes_type", (), MODEL_ATTRIBUTES_MSG, text)]},
    )
