"""Canonical example payloads: create requests, the answers they get, and invalid variants.

The same documents live as JSON files in the repository's ``fixtures/examples/`` (for any
language; ``manifest.json`` describes them); this module builds them from a fake in deterministic
mode, so they can never drift from what the fake answers. Python users load them by name:

>>> body = load_example("create-request.minimal")
>>> sorted(body)
['account_id', 'endpoint_type', 'model_type', 'name', 'vendor_configuration']

Fields that differ from one real call to the next (ids, timestamps, who created a template) are
*volatile*: :func:`volatile_paths` lists them and :func:`same_except_volatile` compares an
actual answer with an example while ignoring them.

Regenerate the files after changing this module: ``python -m sgp_fake.examples fixtures/examples``.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from pathlib import Path
from typing import Any, Final, Sequence

from .resources.model_templates import RESOURCE as _TEMPLATES
from .resources.model_templates.examples import ACCOUNT_ID, FULL_REQUEST, MINIMAL_REQUEST

__all__ = [
    "ACCOUNT_ID",
    "EXAMPLES_SEED",
    "FULL_REQUEST",
    "MINIMAL_REQUEST",
    "build_examples",
    "example_names",
    "load_example",
    "same_except_volatile",
    "volatile_paths",
    "write_examples",
]

EXAMPLES_SEED: Final = 2024
"""Seed of the deterministic fake that answers the example requests."""

_TEMPLATE_VOLATILE: Final = ("id", "created_at", "created_by_user_id", "created_by_identity_type")
# From the operation table: the path the template bodies are created at.
CREATE_PATH: Final = next(op.path for op in _TEMPLATES.operations if op.verb == "create")


def _entry(kind: str, schema: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "schema": schema, **extra}


@functools.cache
def _built() -> tuple[dict[str, Any], dict[str, Any]]:
    """(documents by file name, manifest), built once from a deterministic fake."""
    from .deterministic import deterministic
    from .fake import SGPFake
    from .resources.model_templates.invalid import invalid_payloads

    fake = SGPFake(**deterministic(EXAMPLES_SEED))
    docs: dict[str, Any] = {}
    files: dict[str, Any] = {}
    listed_volatile = [f"items.*.{field}" for field in _TEMPLATE_VOLATILE]

    def add(name: str, doc: Any, entry: dict[str, Any]) -> None:
        docs[name] = doc
        files[name] = entry

    with fake.client() as client:
        for size, body in (("minimal", MINIMAL_REQUEST), ("full", FULL_REQUEST)):
            add(f"create-request.{size}.json", body, _entry("request", "ModelTemplateRequest"))
            answer = client.post(CREATE_PATH, json=body)
            answer.raise_for_status()
            add(
                f"create-response.{size}.json",
                answer.json(),
                _entry(
                    "response",
                    "ModelTemplateResponse",
                    request=f"POST {CREATE_PATH} create-request.{size}.json",
                    status=200,
                    volatile=list(_TEMPLATE_VOLATILE),
                ),
            )
        listing = client.get(CREATE_PATH)
        add(
            "list-response.json",
            listing.json(),
            _entry(
                "response",
                "PaginatedModelTemplates",
                request=f"GET {CREATE_PATH} after both creates",
                status=200,
                volatile=listed_volatile,
            ),
        )
        page = client.get(CREATE_PATH, params={"limit": 1, "page": 2})
        add(
            "list-response.page-2.json",
            page.json(),
            _entry(
                "response",
                "PaginatedModelTemplates",
                request=f"GET {CREATE_PATH}?limit=1&page=2 after both creates",
                status=200,
                volatile=listed_volatile,
            ),
        )
        minimal_id = docs["create-response.minimal.json"]["id"]
        deleted = client.delete(f"{CREATE_PATH}/{minimal_id}")
        add(
            "delete-response.json",
            deleted.json(),
            _entry(
                "response",
                "GenericDeleteResponse",
                request=f"DELETE {CREATE_PATH}/{{id}} of create-response.minimal.json",
                status=200,
                volatile=[],
            ),
        )

    for name, payload in invalid_payloads(FULL_REQUEST).items():
        request: dict[str, Any] = {
            "method": "POST",
            "path": CREATE_PATH,
            "headers": {"content-type": payload.content_type},
        }
        if payload.body is not None:
            request["body"] = payload.body
        else:
            # Not a JSON value (malformed, empty, or not sent as JSON): the exact text sent.
            request["raw"] = payload.content.decode()
        add(
            f"invalid/{name}.json",
            {
                "name": name,
                "description": payload.description,
                "request": request,
                "response": {"status": payload.expected_status, "body": payload.expected_body},
            },
            _entry("invalid", "HTTPValidationError", status=payload.expected_status, volatile=[]),
        )
    manifest = {
        "seed": EXAMPLES_SEED,
        "regenerate": "python -m sgp_fake.examples fixtures/examples",
        "files": files,
    }
    return docs, manifest


def build_examples() -> dict[str, Any]:
    """Every example file's document by relative file name, ``manifest.json`` included."""
    docs, manifest = _built()
    return copy.deepcopy({**docs, "manifest.json": manifest})


def example_names() -> list[str]:
    """Names of the examples, without ``.json`` (``"invalid/bad_vendor"`` ...)."""
    return [name.removesuffix(".json") for name in _built()[0]]


def _file_name(name: str) -> str:
    return name if name.endswith(".json") else f"{name}.json"


def load_example(name: str) -> Any:
    """The document of one example, e.g. ``load_example("create-response.full")``."""
    docs, _ = _built()
    try:
        return copy.deepcopy(docs[_file_name(name)])
    except KeyError:
        raise KeyError(f"no example {name!r}; see example_names()") from None


def volatile_paths(name: str) -> list[str]:
    """Dotted paths (``*`` for every list item) of the fields that vary between real calls."""
    _, manifest = _built()
    entry = manifest["files"].get(_file_name(name))
    if entry is None:
        raise KeyError(f"no example {name!r}; see example_names()")
    return list(entry.get("volatile", []))


_MASK = object()


def _mask(doc: Any, parts: Sequence[str]) -> None:
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "*" and isinstance(doc, list):
        targets: list[tuple[Any, Any]] = [(doc, i) for i in range(len(doc))]
    elif isinstance(doc, dict) and head in doc:
        targets = [(doc, head)]
    else:
        return
    for container, key in targets:
        if rest:
            _mask(container[key], rest)
        else:
            container[key] = _MASK


def same_except_volatile(actual: Any, name: str) -> bool:
    """Whether ``actual`` equals the example ``name`` once volatile fields are set aside.

    A volatile field must be present in both or absent in both.
    """
    expected = load_example(name)
    actual = copy.deepcopy(actual)
    for path in volatile_paths(name):
        _mask(expected, path.split("."))
        _mask(actual, path.split("."))
    return bool(actual == expected)


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_examples(directory: str | Path) -> list[Path]:
    """Write every example (and ``manifest.json``) under ``directory``; return the paths."""
    root = Path(directory)
    written = []
    for name, doc in build_examples().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(doc), encoding="utf-8")
        written.append(path)
    return written


def rendered_examples() -> dict[str, str]:
    """The exact text :func:`write_examples` writes, by relative file name."""
    return {name: _dump(doc) for name, doc in build_examples().items()}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sgp_fake.examples DIRECTORY``: write the example files."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m sgp_fake.examples DIRECTORY", file=sys.stderr)
        return 2
    for path in write_examples(args[0]):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
