"""Test data for any resource, read from its declaration alone: valid bodies and records built
from its schemas, and invalid bodies with the exact 422 each earns.

A resource that writes no ``factory.py`` or ``invalid.py`` still gets both:

>>> factory = SchemaFactory(resource, seed=1)              # doctest: +SKIP
>>> client.post(resource.collection, json=factory.request())  # doctest: +SKIP
>>> invalid_payloads_for(resource)["missing_name"].post(client)  # doctest: +SKIP

The body model and the path come from the resource's create operation; a resource with none
is refused (``ValueError``), never answered with another resource's route.
"""

from __future__ import annotations

import enum
import math
import types
import typing
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Iterable, Literal, Mapping, Protocol, Union

from pydantic import BaseModel, RootModel

from .faker import (
    OptionalSections,
    check_optional,
    deep_merge,
    new_faker,
    new_seed,
    override_paths,
    prune,
)
from .invalid import (
    InvalidPayload,
    Target,
    bad_enum,
    body_model,
    empty_body,
    malformed_json,
    missing,
    not_an_object,
    text_content_type,
    truncated_json,
    wrong_type,
)

__all__ = [
    "DeclaredOperation",
    "DeclaredResource",
    "SchemaFactory",
    "create_operation",
    "invalid_payloads_for",
]


class DeclaredOperation(Target, Protocol):
    """What the engine reads of an operation: its path, body model and standard verb."""

    @property
    def verb(self) -> str:
        """``create``, ``list`` ... or empty."""
        ...


class DeclaredResource(Protocol):
    """What the engine reads of a resource: its kind, stored schema and operations."""

    @property
    def kind(self) -> str:
        """The resource's kind (``widgets``)."""
        ...

    @property
    def stored(self) -> type[BaseModel]:
        """The full record, as the API answers it."""
        ...

    @property
    def operations(self) -> Iterable[DeclaredOperation]:
        """The resource's routes."""
        ...


def create_operation(resource: DeclaredResource) -> DeclaredOperation:
    """The resource's create operation (its ``verb`` is ``create``); ``ValueError`` when it
    declares none, or one that takes no body."""
    for op in resource.operations:
        if op.verb == "create":
            body_model(op)
            return op
    raise ValueError(f"the {resource.kind} resource declares no create operation")


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0]
    return annotation


def _body_variant(model: type[BaseModel]) -> type[BaseModel]:
    """The model a body of ``model`` is built as: ``model`` itself, or for a ``RootModel`` of a
    model (of a union of models: its first) that model."""
    if issubclass(model, RootModel):
        root = _strip_optional(model.model_fields["root"].annotation)
        if isinstance(root, type) and issubclass(root, BaseModel):
            return _body_variant(root)
    return model


def _variants(model: type[BaseModel]) -> tuple[type[BaseModel], ...]:
    """The models of a ``RootModel`` of a union of models; none for any other model."""
    if not issubclass(model, RootModel):
        return ()
    root = model.model_fields["root"].annotation
    if typing.get_origin(root) not in (Union, types.UnionType):
        return ()
    return tuple(
        a for a in typing.get_args(root) if isinstance(a, type) and issubclass(a, BaseModel)
    )


def _deciding(model: type[BaseModel]) -> set[str]:
    """The fields of a union's variants declared differently by some (they may decide which
    variant a body is, so what a wrong value there earns depends on the service)."""
    variants = _variants(model)
    names = {name for variant in variants for name in variant.model_fields}
    return {
        name
        for name in names
        if len(
            {
                repr(v.model_fields[name].annotation) if name in v.model_fields else None
                for v in variants
            }
        )
        > 1
    }


@dataclass(frozen=True)
class _Sent:
    """An operation's path, with the model its bodies are built as."""

    path: str
    body: type[BaseModel]


def _flat(metadata: Iterable[Any]) -> list[Any]:
    """The constraints of ``Annotated`` metadata: a ``Field(...)``'s own, or the item."""
    flat: list[Any] = []
    for item in metadata:
        flat += list(getattr(item, "metadata", None) or [item])
    return flat


def _count(metadata: Iterable[Any]) -> int:
    """How many items a list or mapping gets: one, or as its ``min_length`` and
    ``max_length`` say."""
    items = list(metadata)
    count = max(1, _constraint(items, "min_length") or 0)
    longest = _constraint(items, "max_length")
    return count if longest is None else min(count, longest)


def _constraint(metadata: Iterable[Any], name: str) -> Any:
    """The last ``name`` constraint (``ge``, ``lt`` ...) of a field's metadata, or ``None``."""
    found = None
    for item in metadata:
        value = getattr(item, name, None)
        if value is not None:
            found = value
    return found


def _window(lows: list[float], highs: list[float], low: float, high: float) -> tuple[float, float]:
    """The part of the default window ``low`` to ``high`` the bounds allow; where they allow
    none of it, the bounds themselves (a window as wide beside the one given)."""
    bound_low = max(lows) if lows else None
    bound_high = min(highs) if highs else None
    width = high - low
    if bound_low is not None:
        low = max(low, bound_low)
    if bound_high is not None:
        high = min(high, bound_high)
    if low > high:
        low = bound_low if bound_low is not None else high - width
        high = bound_high if bound_high is not None else low + width
    return low, high


def _int_bounds(metadata: Iterable[Any]) -> tuple[int, int]:
    """The integers a field takes, within ``ge``/``gt`` and ``le``/``lt``: those of 0 to 100
    that fit, else the bounds' own (100 wide beside a single one)."""
    items = list(metadata)
    ge, gt, le, lt = (_constraint(items, n) for n in ("ge", "gt", "le", "lt"))
    lows = [math.ceil(ge)] if ge is not None else []
    lows += [math.floor(gt) + 1] if gt is not None else []
    highs = [math.floor(le)] if le is not None else []
    highs += [math.ceil(lt) - 1] if lt is not None else []
    low, high = _window(lows, highs, 0, 100)
    return int(low), int(high)


def _float_value(metadata: Iterable[Any], rng: Any) -> float:
    """A float a field takes, within ``ge``/``gt`` and ``le``/``lt`` (an open bound excluded):
    of 0 to 1 where that fits, else of the bounds' own window (1 wide beside a single one);
    three decimals where they fit."""
    items = list(metadata)
    ge, gt, le, lt = (_constraint(items, n) for n in ("ge", "gt", "le", "lt"))
    lows = [float(v) for v in (ge, gt) if v is not None]
    highs = [float(v) for v in (le, lt) if v is not None]
    low, high = _window(lows, highs, 0.0, 1.0)

    def fits(value: float) -> bool:
        return (
            (ge is None or value >= ge)
            and (gt is None or value > gt)
            and (le is None or value <= le)
            and (lt is None or value < lt)
        )

    value = round(low + (high - low) * rng.random(), 3)
    return value if fits(value) else (low + high) / 2


class SchemaFactory:
    """Valid create bodies and stored records of a resource, from its schemas.

    Values follow each field's type and its bounds and lengths (``ge``, ``gt``, ``le``, ``lt``,
    ``multiple_of`` of an integer, ``min_length`` and ``max_length``; not a ``pattern``: give
    such a field in ``overrides``); a field named ``account_id`` gets :attr:`account_id`, ``id``
    and other ``*_id`` fields a UUID (a made-up one: give the id of a record a field refers
    to in ``overrides``). ``optional`` chooses the optional fields as the resource factories
    do; ``overrides`` merge deeply last (see :func:`~sgp_fake.testdata.faker.deep_merge`). The
    same seed gives the same outputs.
    """

    def __init__(
        self,
        resource: DeclaredResource,
        seed: int | str | None = None,
        *,
        account_id: str | None = None,
        optional: OptionalSections = "random",
    ) -> None:
        check_optional(optional)
        self.resource = resource
        self.seed: int | str = new_seed(seed)
        self.faker: Any = new_faker(f"{resource.kind}:{self.seed}")
        self._rng = self.faker.random
        self.optional: OptionalSections = optional
        self.account_id = account_id or str(self.faker.hexify("^" * 24))

    def __repr__(self) -> str:
        return f"SchemaFactory({self.resource.kind!r}, seed={self.seed!r})"

    @property
    def operation(self) -> DeclaredOperation:
        """The create operation the bodies are for."""
        return create_operation(self.resource)

    def value(  # noqa: PLR0911 - one type a branch
        self, annotation: Any, name: str = "", metadata: Iterable[Any] = ()
    ) -> Any:
        """A valid JSON value for ``annotation`` (a field called ``name``), within the bounds
        and lengths of ``metadata``."""
        metadata = list(metadata)
        annotation = _strip_optional(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self._model(annotation)
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return self._rng.choice([m.value for m in annotation])
        if origin is Literal:
            return self._rng.choice(typing.get_args(annotation))
        if origin is typing.Annotated:
            inner, *extra = typing.get_args(annotation)
            return self.value(inner, name, [*metadata, *_flat(extra)])
        args = typing.get_args(annotation)
        if origin is tuple and args and args[-1] is not Ellipsis:
            return [self.value(arg, name) for arg in args]
        if origin in (set, frozenset):
            return self._distinct(args[0], name, _count(metadata))
        if origin in (list, tuple):
            return [self.value(args[0], name) for _ in range(_count(metadata))]
        if origin is dict:
            words = [str(self.faker.word()) for _ in range(_count(metadata))]
            keys = [f"{word}{i}" if i else word for i, word in enumerate(words)]
            return {key: self.value(args[1]) for key in keys}
        if annotation in (list, tuple, set, frozenset, dict):
            return annotation()
        return self._scalar(annotation, name, metadata)

    def _scalar(  # noqa: PLR0911 - one type a branch
        self, annotation: Any, name: str, metadata: Iterable[Any]
    ) -> Any:
        if annotation is bool:
            return self._rng.random() < 0.5
        if annotation is int:
            low, high = _int_bounds(metadata)
            step = _constraint(metadata, "multiple_of")
            if isinstance(step, int) and step > 0:
                low, high = -(-low // step), high // step
                return step * self._rng.randint(low, max(low, high))
            return self._rng.randint(low, high)
        if annotation is float:
            return _float_value(metadata, self._rng)
        if annotation is datetime:
            start = datetime(2023, 1, 1, tzinfo=UTC)
            moment = start + timedelta(seconds=self._rng.randrange(3 * 365 * 24 * 3600))
            return moment.isoformat()
        if annotation is date:
            return (date(2023, 1, 1) + timedelta(days=self._rng.randrange(3 * 365))).isoformat()
        if annotation is uuid.UUID:
            return str(self.faker.uuid4())
        if annotation is str or annotation is bytes:
            if name == "account_id":
                return self.account_id
            if name == "id" or name.endswith("_id"):
                return str(self.faker.uuid4())
            return self._text(metadata)
        if annotation is Any or annotation is object:
            return str(self.faker.word())
        raise TypeError(f"no value made for {annotation!r} (field {name!r})")

    def _distinct(self, annotation: Any, name: str, count: int) -> list[Any]:
        """``count`` different values of ``annotation``, for a set (which would fold equal
        ones into one and fall short of its ``min_length``); fewer when it has fewer."""
        items: dict[str, Any] = {}
        for _ in range(count * 20):
            if len(items) == count:
                break
            item = self.value(annotation, name)
            items.setdefault(repr(item), item)
        return list(items.values())

    def _text(self, metadata: Iterable[Any]) -> str:
        """A word, or words joined by ``-`` up to the ``min_length``, cut at the
        ``max_length``."""
        text = str(self.faker.word())
        shortest = _constraint(metadata, "min_length") or 0
        while len(text) < shortest:
            text += f"-{self.faker.word()}"
        longest = _constraint(metadata, "max_length")
        return text if longest is None else text[:longest]

    def _model(self, model: type[BaseModel]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field_name, info in model.model_fields.items():
            key = info.alias or field_name
            data[key] = self.value(info.annotation, key, info.metadata)
        return data

    def _body(
        self,
        model: type[BaseModel],
        optional: OptionalSections | None,
        overrides: Mapping[str, Any],
    ) -> dict[str, Any]:
        mode = self.optional if optional is None else optional
        check_optional(mode)
        body = self._model(model)
        prune(body, model, mode, override_paths(overrides), self._rng, {})
        return deep_merge(body, overrides) if overrides else body

    def request(
        self, *, optional: OptionalSections | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A create body, valid for the resource's create operation."""
        return self._body(_body_variant(body_model(self.operation)), optional, overrides)

    def record(
        self, *, optional: OptionalSections | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A stored record (``resource.stored``), as the API answers it: for ``PUT
        /_fake/state`` or a table's ``put``."""
        stored = self.resource.stored
        data = self._body(stored, optional, overrides)
        return stored.model_validate(data).model_dump(mode="json", exclude_none=True, by_alias=True)


# A value of another type for each scalar, as the resource catalogues use them.
_WRONG: dict[Any, Any] = {
    str: 42,
    int: "lots",
    float: "high",
    bool: "maybe",
    list: "one",
    dict: "one",
}


def _wrong_value(annotation: Any) -> Any:
    annotation = _strip_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "one"
    return _WRONG.get(typing.get_origin(annotation) or annotation)


def invalid_payloads_for(
    resource: DeclaredResource, body: dict[str, Any] | None = None, *, seed: int | str = 0
) -> dict[str, InvalidPayload]:
    """One invalid create body of every kind the resource's schema allows, by name: each
    required field left out (``missing_<field>``), each field of the wrong type
    (``wrong_type_<field>``) or outside its choices (``bad_<field>``), then malformed JSON, cut-off
    JSON, no body, an array, and JSON sent as text. Each is sent to the create operation's path.

    ``body`` defaults to :class:`SchemaFactory`'s ``request(optional="all")``. A body that is a
    ``RootModel`` of a union is broken as the variant the factory builds (its first); a choice
    the variants declare differently (it may decide the variant) gets no ``bad_<field>``.
    """
    declared = create_operation(resource)
    model = _body_variant(body_model(declared))
    op: Target = declared if model is body_model(declared) else _Sent(declared.path, model)
    deciding = _deciding(body_model(declared))
    if body is None:
        body = SchemaFactory(resource, seed).request(optional="all")
    variants: list[InvalidPayload] = []
    for field_name, info in model.model_fields.items():
        key = info.alias or field_name
        if info.is_required() and key in body:
            variants.append(missing(body, key, name=f"missing_{key}", operation=op))
    for field_name, info in model.model_fields.items():
        key = info.alias or field_name
        if key not in body:
            continue
        annotation = _strip_optional(info.annotation)
        is_choice = typing.get_origin(annotation) is Literal or (
            isinstance(annotation, type) and issubclass(annotation, enum.Enum)
        )
        try:
            if is_choice and key in deciding:
                continue
            if is_choice:
                variants.append(
                    bad_enum(body, key, "not-a-choice", name=f"bad_{key}", operation=op)
                )
            else:
                value = _wrong_value(annotation)
                if value is None:
                    continue
                variants.append(
                    wrong_type(body, key, value, name=f"wrong_type_{key}", operation=op)
                )
        except ValueError:
            continue  # a value pydantic takes there, or an error not predicted: no variant
    variants += [
        malformed_json(body, operation=op),
        truncated_json(body, operation=op),
        empty_body(operation=op),
        not_an_object(body, operation=op),
        text_content_type(body, operation=op),
    ]
    return {variant.name: variant for variant in variants}
