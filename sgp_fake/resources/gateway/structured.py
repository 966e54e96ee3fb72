"""A JSON document valid against a JSON Schema, deterministically (``response_format``).

:func:`instance` walks the schema: ``$ref`` (to ``#/$defs/...`` or ``#/definitions/...``),
``allOf`` (merged), ``anyOf``/``oneOf`` (the first branch that is not ``null``), ``const``,
``enum`` (a member chosen by the seed), ``type`` (a list: its first type that is not
``null``), objects (every property, required or not, so ``additionalProperties: false`` and
``required`` both hold), arrays (``minItems``, at least one item, at most ``maxItems``),
strings (words, within ``minLength``/``maxLength``; a ``date-time``, ``date``, ``email``,
``uri`` or ``uuid`` format gives a value of that format), numbers and integers (within
``minimum``/``maximum`` and their exclusive forms), booleans and ``null``. A schema without a
type is a string. The same schema and seed give the same document.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

__all__ = ["instance"]

_WORDS = ("alpha", "beta", "gamma", "delta", "echo", "fox", "gold", "harbor", "iris", "jade")
_MAX_DEPTH = 12


class _Walker:
    def __init__(self, root: Mapping[str, Any], seed: str) -> None:
        self.root = root
        self.seed = seed

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
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return node if isinstance(node, Mapping) else {}

    def value(self, schema: Any, path: str, depth: int = 0) -> Any:  # noqa: PLR0911, PLR0912
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return None if depth > _MAX_DEPTH else "value"
        if "$ref" in schema:
            merged = {
                **self.ref(str(schema["$ref"])),
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
            return self.value(merged, path, depth + 1)
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                if isinstance(part, Mapping):
                    resolved = self.ref(str(part["$ref"])) if "$ref" in part else part
                    for key, item in resolved.items():
                        if key == "properties" and isinstance(merged.get(key), Mapping):
                            merged[key] = {**merged[key], **item}
                        elif key == "required":
                            merged[key] = [*merged.get(key, []), *item]
                        else:
                            merged.setdefault(key, item)
            return self.value(merged, path, depth + 1)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = [
                    b
                    for b in schema[key]
                    if not (isinstance(b, Mapping) and b.get("type") == "null")
                ]
                return self.value(branches[0] if branches else {"type": "null"}, path, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            options = list(schema["enum"])
            return options[self.number(path, len(options))]
        kind = schema.get("type", "string" if "properties" not in schema else "object")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            kind = kinds[0] if kinds else "null"
        if kind == "object":
            properties = schema.get("properties") or {}
            result = {
                name: self.value(sub, f"{path}.{name}", depth + 1)
                for name, sub in properties.items()
            }
            for name in schema.get("required", ()):
                result.setdefault(name, "value")
            return result
        if kind == "array":
            low = int(schema.get("minItems", 0))
            high = schema.get("maxItems")
            count = max(low, 1 + self.number(path + "#n", 2))
            if high is not None:
                count = min(count, int(high))
            items = schema.get("items", {})
            if isinstance(items, list):  # a tuple schema
                return [self.value(s, f"{path}[{i}]", depth + 1) for i, s in enumerate(items)]
            return [self.value(items, f"{path}[{i}]", depth + 1) for i in range(count)]
        if kind in {"integer", "number"}:
            return self.numeric(schema, path, kind == "integer")
        if kind == "boolean":
            return self.number(path, 2) == 1
        if kind == "null":
            return None
        return self.string(schema, path)

    def numeric(self, schema: Mapping[str, Any], path: str, integer: bool) -> int | float:
        low = schema.get("minimum")
        high = schema.get("maximum")
        if schema.get("exclusiveMinimum") is not None and not isinstance(
            schema["exclusiveMinimum"], bool
        ):
            low = schema["exclusiveMinimum"] + (1 if integer else 0.5)
        if schema.get("exclusiveMaximum") is not None and not isinstance(
            schema["exclusiveMaximum"], bool
        ):
            high = schema["exclusiveMaximum"] - (1 if integer else 0.5)
        low = 0 if low is None else low
        high = low + 100 if high is None else high
        high = max(high, low)
        if integer:
            start = int(-(-low // 1))
            stop = int(high // 1)
            return start + self.number(path, stop - start + 1) if stop >= start else start
        return low + (high - low) * self.number(path, 1000) / 1000

    def string(self, schema: Mapping[str, Any], path: str) -> str:
        fmt = schema.get("format")
        n = self.number(path, 10_000)
        if fmt == "date-time":
            return f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00Z"
        if fmt == "date":
            return f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
        if fmt == "email":
            return f"{_WORDS[n % len(_WORDS)]}@example.com"
        if fmt in ("uri", "url"):
            return f"https://example.com/{_WORDS[n % len(_WORDS)]}"
        if fmt == "uuid":
            digest = hashlib.blake2b(f"{self.seed}\x00{path}".encode(), digest_size=16).hexdigest()
            return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
        text = " ".join(_WORDS[(n + i * 7) % len(_WORDS)] for i in range(1 + n % 3))
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        while len(text) < low:
            text += "x"
        if high is not None:
            text = text[: int(high)]
        return text


def instance(schema: Mapping[str, Any], seed: str) -> Any:
    """A JSON value valid against ``schema`` (see the module docstring), chosen by ``seed``."""
    return _Walker(schema, seed).value(schema, "$")
