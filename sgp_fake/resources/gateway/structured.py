"""A JSON document valid against a JSON Schema, deterministically (``response_format``).

:func:`instance` walks the schema:

* references: ``$ref`` (to ``#/$defs/...``, ``#/definitions/...`` or any JSON pointer in the
  document, its sibling keywords applied too), ``allOf`` (merged, the tighter bound kept);
* choices: ``anyOf`` (its first branch that is not ``null``), ``oneOf`` (the first branch whose
  document no other branch accepts, so overlapping branches such as ``integer`` and ``number``
  still give exactly one match), ``const``, ``enum`` (a member chosen by the seed), ``type`` (a
  list: its first type that is not ``null``);
* objects: every property, required or not (so ``additionalProperties: false`` and
  ``required`` both hold), more to reach ``minProperties`` (from ``additionalProperties``),
  optional ones left out above ``maxProperties``, ``dependentRequired``;
* arrays: ``prefixItems`` (and the older list form of ``items`` with ``additionalItems``), then
  ``items``, within ``minItems``/``maxItems``, ``uniqueItems`` and ``contains`` (as many
  matches as ``minContains`` asks);
* strings: words, within ``minLength``/``maxLength``; a ``pattern`` gives a string it matches;
  the formats ``date-time``, ``date``, ``time``, ``duration``, ``email``, ``hostname``,
  ``ipv4``, ``ipv6``, ``uri`` (and its kin), ``uuid`` and ``json-pointer`` a value of that
  format, and so do the formats pydantic writes for its own types (``uuid1`` to ``uuid8``,
  ``ipvanyaddress``, the networks and interfaces, ``base64``, ``base64url``, ``name-email``);
* numbers and integers: within ``minimum``/``maximum`` and their exclusive forms (either
  bound alone too), a ``multipleOf``;
* booleans and ``null``. A schema without a type is a string (an object if it has
  ``properties``).

Recursive schemas end: below a few levels, or after a few thousand values, only what the
schema requires is written (no optional property, the fewest items, ``null`` where a choice
allows it). Whatever a schema asks, the answer is bounded: at most 10,000 items, properties
or characters each, 50,000 values in all, and a schema made of itself is followed so far.
The same schema and seed give the same document. A schema no document satisfies
(contradictory bounds, a recursion every level requires) still gets a document, the closest
this walk finds.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import ipaddress
import json
import math
from typing import Any, Callable, Mapping, Sequence

import re2  # type: ignore[import-untyped]

__all__ = ["instance"]

_WORDS = ("alpha", "beta", "gamma", "delta", "echo", "fox", "gold", "harbor", "iris", "jade")
_MAX_DEPTH = 40
"""Nesting past which the walk gives up (``null``): a recursion the schema requires."""
_SHALLOW = 8
"""Nesting from which only what the schema requires is written, so recursive schemas end."""
_MAX_REPEAT = 1000
"""The most repetitions a pattern's quantifier is given (``{1000000}`` is not written out)."""
_MAX_SIZE = 10_000
"""The most items, properties or characters written for one array, object or string, however
many the schema asks for: an answer stays a few megabytes at most."""
_SPARE = 2_000
"""Values written after which only what the schema requires is, as below :data:`_SHALLOW`."""
_BUDGET = 50_000
"""Values written after which the walk writes ``null``: a schema whose every branch multiplies
(ten required properties each the whole schema again) ends in bounded time."""

# The regular expression parser of the standard library (``re._parser``): it has no stubs, and
# writing one that reads ECMA-262 patterns as well is far more code than walking its output.
_sre: Any = importlib.import_module("re._parser")

_RE2 = re2.Options()
_RE2.log_errors = False  # a pattern RE2 cannot read is walked unchecked, not logged


def _is_integer(value: Any) -> bool:
    # As JSON Schema (and the jsonschema library) counts them: 2.0 is an integer.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _multiple_of(value: float, step: float) -> bool:
    # The check the jsonschema library makes: for a float step, the quotient must be whole.
    if isinstance(step, float) or isinstance(value, float):
        quotient = value / step
        return math.isfinite(quotient) and int(quotient) == quotient
    return value % step == 0


class _Walker:
    def __init__(self, root: Mapping[str, Any], seed: str) -> None:
        self.root = root
        self.seed = seed
        self.written = 0
        self.lean = 0  # > 0: writing only what is required (a ``oneOf``'s second try)

    def minimal(self, depth: int) -> bool:
        """Whether to write only what the schema requires: deep down, many values on, or
        for a ``oneOf`` whose branches every full document matches."""
        return depth >= _SHALLOW or self.written > _SPARE or self.lean > 0

    def number(self, path: str, modulo: int) -> int:
        digest = hashlib.blake2b(f"{self.seed}\x00{path}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % max(modulo, 1)

    def ref(self, ref: str) -> Mapping[str, Any]:
        node: Any = self.root
        if not ref.startswith("#"):
            return {}
        for raw in ref.lstrip("#").split("/"):
            if not raw:
                continue
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping):
                node = node.get(part, {})
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                node = {}
        return node if isinstance(node, Mapping) else {}

    def resolved(self, schema: Mapping[str, Any], depth: int = 0) -> Mapping[str, Any]:
        """``schema`` with its ``$ref`` and ``allOf`` folded in (up to a few levels: a schema
        made of itself is left as far as it got)."""
        for _ in range(_MAX_DEPTH):
            if "$ref" in schema:
                schema = {
                    **self.ref(str(schema["$ref"])),
                    **{k: v for k, v in schema.items() if k != "$ref"},
                }
            elif isinstance(schema.get("allOf"), list):
                schema = self.merged(schema, depth + 1)
            else:
                break
        return {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}

    def merged(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        if depth > _MAX_DEPTH:
            return merged
        for part in schema["allOf"]:
            if not isinstance(part, Mapping):
                continue
            for key, item in self.resolved(part, depth).items():
                if key not in merged:
                    merged[key] = item
                elif key == "properties" and isinstance(merged[key], Mapping):
                    merged[key] = {**merged[key], **item}
                elif key == "required":
                    merged[key] = [*merged[key], *item]
                elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems") and (
                    _is_number(item) and _is_number(merged[key])
                ):
                    merged[key] = max(merged[key], item)
                elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems") and (
                    _is_number(item) and _is_number(merged[key])
                ):
                    merged[key] = min(merged[key], item)
        return merged

    # -- writing -----------------------------------------------------------------------------

    def value(self, schema: Any, path: str, depth: int = 0) -> Any:  # noqa: PLR0911, PLR0912
        self.written += 1
        if schema is True:
            return "value"
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH or self.written > _BUDGET:
            return None if depth > _MAX_DEPTH or schema is False else "value"
        schema = self.resolved(schema)
        deep = self.minimal(depth)
        for key in ("oneOf", "anyOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                rest = {k: v for k, v in schema.items() if k != key}
                return self.choice(rest, branches, path, depth, exclusive=key == "oneOf")
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            options = list(schema["enum"])
            return options[self.number(path, len(options))]
        kind = schema.get("type")
        if kind is None:
            object_like = "properties" in schema or "required" in schema
            kind = "object" if object_like else "array" if "items" in schema else "string"
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            if not kinds or (deep and "null" in kind):
                return None
            kind = kinds[0]
        if kind == "object":
            return self.object(schema, path, depth)
        if kind == "array":
            return self.array(schema, path, depth)
        if kind in {"integer", "number"}:
            return self.numeric(schema, path, kind == "integer")
        if kind == "boolean":
            return self.number(path, 2) == 1
        if kind == "null":
            return None
        return self.string(schema, path)

    def choice(
        self,
        rest: Mapping[str, Any],
        branches: Sequence[Any],
        path: str,
        depth: int,
        *,
        exclusive: bool,
    ) -> Any:
        def with_rest(branch: Any) -> Any:
            return {**rest, **branch} if isinstance(branch, Mapping) else branch

        def is_null(branch: Any) -> bool:
            return isinstance(branch, Mapping) and branch.get("type") == "null"

        order = [b for b in branches if not is_null(b)] + [b for b in branches if is_null(b)]
        if self.minimal(depth) and any(is_null(b) for b in branches):
            order = [b for b in branches if is_null(b)]  # a recursion ends where it may
        if not exclusive:
            return self.value(with_rest(order[0]), path, depth + 1)
        first: Any = None
        for position, branch in enumerate(order):
            document = self.value(with_rest(branch), path, depth + 1)
            if position == 0:
                first = document
            others = [b for b in branches if b is not branch]
            if not any(self.accepts(with_rest(b), document, depth + 1) for b in others):
                return document
        # Branches told apart by what they require (exactly one of two properties): every
        # property written matches them all, so only what the branch and the rest require.
        self.lean += 1
        try:
            for branch in order:
                document = self.value({"allOf": [rest, branch]}, path, depth + 1)
                others = [b for b in branches if b is not branch]
                if not any(self.accepts(with_rest(b), document, depth + 1) for b in others):
                    return document
        finally:
            self.lean -= 1
        return first

    def object(self, schema: Mapping[str, Any], path: str, depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        required = [r for r in schema.get("required") or () if isinstance(r, str)]
        extra = schema.get("additionalProperties", True)
        minimal = self.minimal(depth)
        names = [n for n in properties if n in required] if minimal else list(properties)
        result = {name: self.value(properties[name], f"{path}.{name}", depth + 1) for name in names}
        dependent = schema.get("dependentRequired")
        wanted = [*required]
        if isinstance(dependent, Mapping):
            for name, needs in dependent.items():
                if name in result or name in wanted:
                    wanted += [n for n in needs if isinstance(n, str)]
        for name in wanted:
            if name not in result:
                sub = properties.get(name, extra if isinstance(extra, Mapping) else {})
                result[name] = self.value(sub, f"{path}.{name}", depth + 1)
        low: Any = schema.get("minProperties")
        if _is_integer(low) and extra is not False:
            index = 0
            while len(result) < min(int(low), _MAX_SIZE):
                name = f"{_WORDS[index % len(_WORDS)]}{index // len(_WORDS) or ''}"
                index += 1
                if name not in result:
                    sub = extra if isinstance(extra, Mapping) else {}
                    result[name] = self.value(sub, f"{path}.{name}", depth + 1)
        high: Any = schema.get("maxProperties")
        if _is_integer(high):
            for name in [n for n in reversed(result) if n not in wanted]:
                if len(result) <= int(high):
                    break
                del result[name]
        return result

    def array(self, schema: Mapping[str, Any], path: str, depth: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        items = schema.get("items", True)
        if isinstance(items, list):  # the list form of draft 4 to 2019-09
            prefix, items = items, schema.get("additionalItems", True)
        prefix = prefix if isinstance(prefix, list) else []
        low = int(schema["minItems"]) if _is_integer(schema.get("minItems")) else 0
        high = int(schema["maxItems"]) if _is_integer(schema.get("maxItems")) else None
        shallow = not self.minimal(depth)
        count = max(low, len(prefix), 1 + self.number(path + "#n", 2)) if shallow else low
        if items is False:
            count = min(count, len(prefix))
        if high is not None:
            count = min(count, high)
        count = min(count, _MAX_SIZE)
        unique = schema.get("uniqueItems") is True
        result: list[Any] = []
        seen: set[str] = set()
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else items
            document = self.value(sub, f"{path}[{index}]", depth + 1)
            if unique:
                document = self.distinct(sub, f"{path}[{index}]", depth, document, seen)
                if _canonical(document) in seen and len(result) >= low:
                    break
                seen.add(_canonical(document))
            result.append(document)
        self.contain(schema, result, path, depth, prefix=prefix, items=items, unique=unique)
        return result

    def distinct(self, sub: Any, where: str, depth: int, document: Any, seen: set[str]) -> Any:
        """``document``, else another of the schema ``sub`` that differs from those ``seen``
        (for ``uniqueItems``); the last one tried when none does."""
        attempt = 0
        while _canonical(document) in seen and attempt < 16:
            attempt += 1
            document = self.value(sub, f"{where}~{attempt}", depth + 1)
            if attempt == 1 and isinstance(sub, Mapping):
                options = self.resolved(sub).get("enum")
                if isinstance(options, list):  # the members in order: none repeats
                    fresh = [o for o in options if _canonical(o) not in seen]
                    document = fresh[0] if fresh else document
        return document

    def contain(
        self,
        schema: Mapping[str, Any],
        result: list[Any],
        path: str,
        depth: int,
        *,
        prefix: Sequence[Any],
        items: Any,
        unique: bool = False,
    ) -> None:
        """Make ``result`` hold as many items matching ``contains`` as ``minContains`` asks
        (one by default), within ``maxItems``; with ``unique``, each differs from the others."""
        contains = schema.get("contains")
        if contains is None:
            return
        high = int(schema["maxItems"]) if _is_integer(schema.get("maxItems")) else None
        least: Any = schema.get("minContains", 1)
        least = min(int(least), _MAX_SIZE) if _is_integer(least) else 1
        matches = sum(1 for d in result if self.accepts(contains, d, depth + 1))
        # Items past the tuple's, which a match may replace: it fits their schema too.
        others = [
            i
            for i, d in enumerate(result)
            if i >= len(prefix) and not self.accepts(contains, d, depth + 1)
        ]
        sub = {"allOf": [items, contains]} if isinstance(items, Mapping) else contains
        seen = {_canonical(d) for d in result} if unique else set()
        for index in range(least - matches):
            where = f"{path}[contains]" if not index else f"{path}[contains~{index}]"
            document = self.value(sub, where, depth + 1)
            if unique:  # two matches of one schema can be the same document
                document = self.distinct(sub, where, depth, document, seen)
                seen.add(_canonical(document))
            if high is not None and len(result) >= high and others:
                result[others.pop()] = document  # an item that does not match, replaced
            else:
                result.append(document)

    def numeric(  # noqa: PLR0912 - each bound's two forms
        self, schema: Mapping[str, Any], path: str, integer: bool
    ) -> int | float:
        given_low, given_high = schema.get("minimum"), schema.get("maximum")
        low: float | None = given_low if _is_number(given_low) else None
        high: float | None = given_high if _is_number(given_high) else None
        low_open = high_open = False
        below: Any = schema.get("exclusiveMinimum")
        above: Any = schema.get("exclusiveMaximum")
        if below is True:  # draft 4: the bound itself is left out
            low_open = low is not None
        elif _is_number(below) and (low is None or below >= low):
            low, low_open = below, True
        if above is True:
            high_open = high is not None
        elif _is_number(above) and (high is None or above <= high):
            high, high_open = above, True
        if low is None:  # from 0, or below a bound under 0 (or at 0 and left out)
            low = 0 if high is None or high > 0 or (high == 0 and not high_open) else high - 100
        if high is None:
            high = low + 100
        given_step: Any = schema.get("multipleOf")
        step: float | None = given_step if _is_number(given_step) and given_step > 0 else None
        bottom, top = low, high

        def fits(value: float) -> bool:
            return (
                (value > bottom if low_open else value >= bottom)
                and (value < top if high_open else value <= top)
                and (step is None or _multiple_of(value, step))
                and (not integer or _is_integer(value))
            )

        if step is not None:
            try:
                first, last = math.ceil(low / step), math.floor(high / step)
            except (OverflowError, ValueError):  # bounds no float division reaches
                first, last = 1, 0
            if last >= first:
                start = first + self.number(path, min(last - first + 1, 1000))
                for k in [*range(start, min(last, start + 50) + 1), *range(first, start)]:
                    value: int | float = k * step
                    if isinstance(value, float):
                        value = float(f"{value:.12g}")  # 0.30000000000000004 is not 3 x 0.1
                    if integer and isinstance(value, float) and value.is_integer():
                        value = int(value)
                    if fits(value):
                        return value
        if integer:
            try:
                first, last = math.ceil(low), math.floor(high)
            except (OverflowError, ValueError):
                return 0
            first += 1 if low_open and first == low else 0
            last -= 1 if high_open and last == high else 0
            return first + self.number(path, last - first + 1) if last >= first else first
        # Half a step off the grid: never a bound, and never whole (not also an ``integer``).
        value = low + (high - low) * (self.number(path, 1000) + 0.5) / 1000
        return float(value)

    def string(self, schema: Mapping[str, Any], path: str) -> str:
        low = int(schema["minLength"]) if _is_integer(schema.get("minLength")) else 0
        high = int(schema["maxLength"]) if _is_integer(schema.get("maxLength")) else None
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            matched = self.matching(pattern, path, low, high)
            if matched is not None:
                return matched
        formatted = self.formatted(schema.get("format"), path)
        if formatted is not None:
            return formatted
        n = self.number(path, 10_000)
        text = " ".join(_WORDS[(n + i * 7) % len(_WORDS)] for i in range(1 + n % 3))
        text += "x" * (min(low, _MAX_SIZE) - len(text))
        return text if high is None else text[:high]

    def formatted(self, fmt: Any, path: str) -> str | None:  # noqa: PLR0911, PLR0912
        n = self.number(path, 10_000)
        word = _WORDS[n % len(_WORDS)]
        if fmt == "date-time":
            return f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T12:{n % 60:02d}:00Z"
        if fmt == "date":
            return f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
        if fmt == "time":
            return f"12:{n % 60:02d}:00Z"
        if fmt == "duration":
            return f"P{1 + n % 30}D"
        if fmt in ("email", "idn-email"):
            return f"{word}@example.com"
        if fmt in ("hostname", "idn-hostname"):
            return f"{word}.example.com"
        if fmt == "ipv4":
            return f"192.0.2.{1 + n % 254}"
        if fmt == "ipv6":
            return str(ipaddress.IPv6Address(f"2001:db8::{1 + n % 65535:x}"))
        # pydantic's own formats: IPvAnyAddress, the networks and interfaces, Base64Str ...
        if fmt == "ipvanyaddress":
            return f"192.0.2.{1 + n % 254}"
        if fmt in ("ipv4network", "ipvanynetwork"):
            return "192.0.2.0/24"
        if fmt == "ipv6network":
            return "2001:db8::/32"
        if fmt in ("ipv4interface", "ipvanyinterface"):
            return f"192.0.2.{1 + n % 254}/24"
        if fmt == "ipv6interface":
            return f"2001:db8::{1 + n % 65535:x}/64"
        if fmt in ("base64", "base64url"):
            return base64.urlsafe_b64encode(word.encode()).decode()  # a word: both alphabets
        if fmt == "name-email":
            return f"{word.capitalize()} <{word}@example.com>"
        if fmt in ("uri", "url", "iri", "uri-reference", "iri-reference", "uri-template"):
            return f"https://example.com/{word}"
        if fmt == "uuid" or (
            isinstance(fmt, str) and len(fmt) == 5 and fmt[:4] == "uuid" and fmt[4] in "12345678"
        ):  # pydantic's UUID1 ... UUID8 name their version: uuid1 ... uuid8
            version = fmt[4:] or "4"
            digest = hashlib.blake2b(f"{self.seed}\x00{path}".encode(), digest_size=16).hexdigest()
            return (
                f"{digest[:8]}-{digest[8:12]}-{version}{digest[13:16]}-8{digest[17:20]}-"
                f"{digest[20:32]}"
            )
        if fmt == "json-pointer":
            return f"/{word}"
        if fmt == "relative-json-pointer":
            return "0"
        if fmt == "regex":
            return f"^{word}$"
        return None

    def matching(self, pattern: str, path: str, low: int, high: int | None) -> str | None:
        """A string ``pattern`` finds (JSON Schema patterns are not anchored) within the
        lengths, or ``None`` when none of the strings tried is one."""
        try:
            parsed = _sre.parse(pattern)
        except Exception:  # a pattern Python's parser cannot read
            return None
        try:
            check: Any = re2.compile(pattern, options=_RE2)
        except Exception:  # lookarounds, back references: the walk alone
            check = None
        for stretch in (0, 1, 2, 4, 8, 16, 64):
            for attempt in range(3):
                pick = _Picker(self, f"{path}~{stretch}~{attempt}")
                try:
                    text = _written(parsed, pick, stretch, {})
                except (RecursionError, ValueError):
                    return None
                short = len(text) < low
                fits = not short and (high is None or len(text) <= high)
                if fits and (check is None or check.search(text)):
                    return text
                if not short and high is not None and len(text) > high:
                    return None  # longer with every stretch
        return None

    # -- checking ----------------------------------------------------------------------------

    def accepts(self, schema: Any, value: Any, depth: int) -> bool:  # noqa: PLR0911, PLR0912
        """Whether ``value`` satisfies ``schema``, as far as the keywords written above go
        (enough to tell ``oneOf`` branches and ``contains`` apart)."""
        if schema is True or schema is None:
            return True
        if schema is False:
            return False
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return True
        schema = self.resolved(schema)
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if branches and not any(self.accepts(b, value, depth + 1) for b in branches):
                return False
        if "const" in schema and _canonical(schema["const"]) != _canonical(value):
            return False
        options = schema.get("enum")
        if isinstance(options, list) and _canonical(value) not in map(_canonical, options):
            return False
        kind = schema.get("type")
        if kind is not None:
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(_TYPE_CHECKS.get(k, lambda _: True)(value) for k in kinds):
                return False
        if isinstance(value, dict):
            properties = schema.get("properties")
            properties = properties if isinstance(properties, Mapping) else {}
            if any(r not in value for r in schema.get("required") or ()):
                return False
            for name, item in value.items():
                if name in properties:
                    if not self.accepts(properties[name], item, depth + 1):
                        return False
                elif schema.get("additionalProperties") is False:
                    return False
        if isinstance(value, list):
            items = schema.get("items")
            if isinstance(items, Mapping) and not all(
                self.accepts(items, item, depth + 1) for item in value
            ):
                return False
        if _is_number(value):
            if _is_number(schema.get("minimum")) and value < schema["minimum"]:
                return False
            if _is_number(schema.get("maximum")) and value > schema["maximum"]:
                return False
        if isinstance(value, str):
            if _is_integer(schema.get("minLength")) and len(value) < schema["minLength"]:
                return False
            if _is_integer(schema.get("maxLength")) and len(value) > schema["maxLength"]:
                return False
        return True


class _Picker:
    """The pattern walk's choices (which alternative, which character), from the seed."""

    def __init__(self, walker: _Walker, path: str) -> None:
        self.walker = walker
        self.path = path
        self.count = 0
        self.left = _MAX_SIZE  # characters still to write: nested repeats multiply

    def spend(self, characters: int) -> None:
        self.left -= characters
        if self.left < 0:
            raise ValueError("the pattern asks for a longer string than is written")

    def __call__(self, options: int) -> int:
        self.count += 1
        return self.walker.number(f"{self.path}#{self.count}", options)


_SAFE = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_ .:/@"
"""What a negated class (``[^...]``, ``\\D``, ``\\W``...) is given, the first it allows."""


def _category(name: str, pick: _Picker) -> str:
    if name == "CATEGORY_DIGIT":
        return "0123456789"[pick(10)]
    if name == "CATEGORY_SPACE":
        return " "
    if name == "CATEGORY_WORD":
        return "abcdefghij"[pick(10)]
    if name == "CATEGORY_NOT_DIGIT":
        return "abcdefghij"[pick(10)]
    if name == "CATEGORY_NOT_WORD":
        return "-"
    return "a"  # CATEGORY_NOT_SPACE and the line-break ones


def _in_class(char: str, items: Sequence[tuple[Any, Any]]) -> bool:
    code = ord(char)
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and arg == code:
            return True
        if name == "RANGE" and arg[0] <= code <= arg[1]:
            return True
        if name == "CATEGORY":
            category = str(arg)
            digit, word, space = char.isdigit(), char.isalnum() or char == "_", char.isspace()
            if (category, True) in {
                ("CATEGORY_DIGIT", digit),
                ("CATEGORY_NOT_DIGIT", not digit),
                ("CATEGORY_WORD", word),
                ("CATEGORY_NOT_WORD", not word),
                ("CATEGORY_SPACE", space),
                ("CATEGORY_NOT_SPACE", not space),
            }:
                return True
    return False


def _class_char(items: Sequence[tuple[Any, Any]], pick: _Picker) -> str:
    if items and str(items[0][0]) == "NEGATE":
        allowed = [c for c in _SAFE if not _in_class(c, items[1:])]
        return allowed[0] if allowed else "~"
    op, arg = items[pick(len(items))]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0] + pick(min(arg[1] - arg[0] + 1, 26)))
    if name == "CATEGORY":
        return _category(str(arg), pick)
    return "a"


def _written(  # noqa: PLR0912
    parsed: Any, pick: _Picker, stretch: int, groups: dict[int, str]
) -> str:
    """A string the parsed pattern matches: the fewest repetitions plus ``stretch``."""
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        pick.spend(1)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_class_char(arg, pick))
        elif name == "CATEGORY":
            out.append(_category(str(arg), pick))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            least, most, sub = arg
            least = min(least, _MAX_REPEAT)
            times = least + stretch
            if str(most) != "MAXREPEAT":
                times = min(times, most)
            out += (_written(sub, pick, stretch, groups) for _ in range(max(times, least)))
        elif name == "SUBPATTERN":
            group, sub = arg[0], arg[-1]
            text = _written(sub, pick, stretch, groups)
            if group:
                groups[group] = text
            out.append(text)
        elif name == "ATOMIC_GROUP":
            out.append(_written(arg, pick, stretch, groups))
        elif name == "BRANCH":
            branches = arg[1]
            out.append(_written(branches[pick(len(branches))], pick, stretch, groups))
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif name == "GROUPREF_EXISTS":
            group, yes, no = arg
            chosen = yes if group in groups else no
            if chosen is not None:
                out.append(_written(chosen, pick, stretch, groups))
        # AT (anchors) and lookarounds write nothing: RE2's check decides.
    return "".join(out)


def instance(schema: Mapping[str, Any], seed: str) -> Any:
    """A JSON value valid against ``schema`` (see the module docstring), chosen by ``seed``."""
    return _Walker(schema, seed).value(schema, "$")
