"""Faker plumbing the resource factories share: seeding, :data:`OMIT`, deep merges and the
choice of optional sections.

Overrides merge deeply: a nested mapping changes only the keys it names, any other value
replaces what is there, and :data:`OMIT` removes a key. Mentioning an optional section (even
with ``{}``) includes it, fully generated, whatever ``optional`` says (:func:`override_paths`
gives what was mentioned; :func:`prune` keeps it).
"""

from __future__ import annotations

import copy
import random
import types
import typing
from typing import Any, Final, Literal, Mapping, Sequence, Union

from faker.generator import Generator
from faker.providers import date_time as _date_time_provider
from faker.providers import misc as _misc_provider
from faker.providers.lorem import en_US as _lorem_provider
from pydantic import BaseModel

__all__ = [
    "OMIT",
    "Linked",
    "OptionalSections",
    "SeededFactory",
    "check_optional",
    "deep_merge",
    "nested_model",
    "new_faker",
    "new_seed",
    "override_paths",
    "prune",
    "without_omit",
]

OptionalSections = Literal["random", "all", "none"]
"""Which optional fields a body carries: each with even odds, every one, or none."""

Linked = Mapping[str, tuple[frozenset[str], ...]]
"""Fields that make sense only together, by the name of the model that declares them: kept or
dropped as one by :func:`prune`."""


class _Omit:
    __slots__ = ()

    def __repr__(self) -> str:
        return "OMIT"

    def __copy__(self) -> _Omit:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Omit:
        return self


OMIT: Final = _Omit()
"""An override value that removes the key it is given for: ``request(endpoint_protocol=OMIT)``."""


def check_optional(mode: str) -> None:
    """``ValueError`` unless ``mode`` is an :data:`OptionalSections` value."""
    if mode not in ("random", "all", "none"):
        raise ValueError("optional must be 'random', 'all' or 'none'")


def without_omit(value: Any) -> Any:
    """A deep copy of ``value`` with every :data:`OMIT` left out."""
    if isinstance(value, Mapping):
        return {k: without_omit(v) for k, v in value.items() if v is not OMIT}
    if isinstance(value, list):
        return [without_omit(v) for v in value if v is not OMIT]
    return copy.deepcopy(value)


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``base`` with ``overrides`` merged in, recursively; neither is modified.

    Mappings merge key by key; any other value (lists included) replaces the base value;
    :data:`OMIT` removes the key.
    """
    result = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if value is OMIT:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = without_omit(value)
    return result


def override_paths(
    overrides: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> set[tuple[str, ...]]:
    """Every key path an override names (with its ancestors), except the keys it removes."""
    paths: set[tuple[str, ...]] = set()
    for key, value in overrides.items():
        path = (*prefix, key)
        if value is OMIT:
            continue
        paths.add(path)
        if isinstance(value, Mapping):
            paths |= override_paths(value, path)
    for path in list(paths):
        paths.update(path[:i] for i in range(1, len(path)))
    return paths


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (through ``Optional``), or ``None`` for any other type."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model = nested_model(arg)
            if model is not None:
                return model
    return None


def prune(  # noqa: PLR0917
    data: dict[str, Any],
    model: type[BaseModel],
    mode: OptionalSections,
    keep: set[tuple[str, ...]],
    rng: random.Random,
    linked: Linked,
    path: tuple[str, ...] = (),
) -> None:
    """Drop optional fields of ``data`` (a body of ``model``) at every depth, as ``mode`` says.

    Paths in ``keep`` (from :func:`override_paths`) stay, and an optional section kept that way
    comes fully generated; the groups of ``linked`` are kept or dropped as one.
    """
    decided: dict[str, bool] = {}
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        sub = (*path, name)
        child_mode = mode
        if not info.is_required():
            if sub in keep:
                # An optional section the caller named comes fully generated.
                child_mode = "all"
            else:
                if name not in decided:
                    wanted = mode == "all" or (mode == "random" and rng.random() < 0.5)
                    group = next((g for g in linked.get(model.__name__, ()) if name in g), {name})
                    decided.update(dict.fromkeys(group, wanted))
                if not decided[name]:
                    del data[name]
                    continue
        nested = nested_model(info.annotation)
        if nested is not None and isinstance(data[name], dict):
            prune(data[name], nested, child_mode, keep, rng, linked, sub)


def new_faker(seed: int | str) -> Any:
    """A seeded Faker generator with the few providers the factories use (``Any``: Faker adds
    its provider methods at run time)."""
    # A bare generator: a full Faker() costs ~1 ms per instance.
    faker = Generator()
    for provider in (
        _misc_provider.Provider,
        _date_time_provider.Provider,
        _lorem_provider.Provider,
    ):
        faker.add_provider(provider)
    faker.seed_instance(seed)
    return faker


def new_seed(seed: int | str | None) -> int | str:
    """``seed``, or one drawn from :mod:`random` (so it follows pytest-randomly's per-test seed
    when that plugin is active)."""
    return random.getrandbits(64) if seed is None else seed


class SeededFactory:
    """What the payload factories share: a seed (:attr:`seed`), a Faker generator seeded from
    it (:attr:`faker`), and the default for optional fields (:attr:`optional`).

    ``stream`` names the factory's own sequence (``"model:<seed>"``), so that factories of
    different resources given the same seed do not draw the same values.
    """

    def __init__(
        self, seed: int | str | None, optional: OptionalSections, stream: str | None
    ) -> None:
        check_optional(optional)
        self.seed: int | str = new_seed(seed)
        self.faker: Any = new_faker(self.seed if stream is None else f"{stream}:{self.seed}")
        self._rng: random.Random = self.faker.random
        self.optional: OptionalSections = optional

    def _pick(self, options: Sequence[Any]) -> Any:
        return options[self._rng.randrange(len(options))]

    def _keep(self, mode: OptionalSections) -> bool:
        """Whether an optional field is kept under ``mode`` (``ValueError`` for another)."""
        if mode == "all":
            return True
        if mode == "random":
            return self._rng.random() < 0.5
        check_optional(mode)
        return False
