"""The reference apps every figure is measured against, and a way to serve them.

* ``bare``: a Starlette app whose POST handler parses the JSON body and answers a constant body
  of the same size as the fake's answer: the floor for any Starlette service.
* ``pydantic``: the same, plus validation of the full request model
  (``ModelTemplateRequest.model_validate(await request.json())``), as a typical hand-written
  Starlette or FastAPI-style service would do it.

Run ``python benchmarks/references.py {bare,pydantic} --port N`` to serve one with uvicorn in
its fastest configuration (httptools and uvloop when installed).

The request model is loaded from its files (``sgp_fake/resources/model_templates/schemas.py``
and the two it imports) on its own, without importing the ``sgp_fake`` package, so that a
reference's start-up pays for pydantic and the models only.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The answer of the references: a stored full template, as the fake would answer it (same size,
# and valid for the SDK, which parses it).
_TEMPLATE_FIELDS = {
    "id": "3f1c2a4e-8b7d-4c6e-9a1f-0d2e3b4c5a6f",
    "created_at": "2024-08-01T12:00:00.000000+00:00",
    "created_by_user_id": "user_sgp_fake",
    "created_by_identity_type": "user",
}


def constant_answer(request_body: bytes) -> bytes:
    """The constant answer for a request body: the body plus the server-set fields."""
    data = json.loads(request_body)
    data.update(_TEMPLATE_FIELDS)
    return json.dumps(data, separators=(",", ":")).encode()


# The schema files and what each imports, loaded under a package of their own.
_SCHEMA_FILES = (
    ("core.envelopes", "core/envelopes.py"),
    ("resources.common", "resources/common.py"),
    ("resources.model_templates.schemas", "resources/model_templates/schemas.py"),
)


def _standalone_models() -> ModuleType:
    root = "_sgp_fake_models_reference"
    name = f"{root}.resources.model_templates.schemas"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec("sgp_fake")
    assert spec is not None
    assert spec.submodule_search_locations
    package = Path(next(iter(spec.submodule_search_locations)))
    # Empty packages for the relative imports to resolve in, not sgp_fake's own __init__ files.
    for part in (root, f"{root}.core", f"{root}.resources", f"{root}.resources.model_templates"):
        module = ModuleType(part)
        module.__path__ = []
        sys.modules[part] = module
    for dotted, relative in _SCHEMA_FILES:
        file_spec = importlib.util.spec_from_file_location(f"{root}.{dotted}", package / relative)
        assert file_spec is not None
        assert file_spec.loader is not None
        module = importlib.util.module_from_spec(file_spec)
        sys.modules[f"{root}.{dotted}"] = module
        file_spec.loader.exec_module(module)
    return sys.modules[name]


def bare_app(answer: bytes) -> Starlette:
    """POST parses the JSON and answers ``answer``; GET answers it too (for readiness)."""

    async def create(request: Request) -> Response:
        await request.json()
        return Response(answer, media_type="application/json")

    async def get(request: Request) -> Response:
        return Response(answer, media_type="application/json")

    return Starlette(
        routes=[
            Route("/v4/model-templates", create, methods=["POST"]),
            Route("/v4/model-templates", get, methods=["GET"]),
        ]
    )


def pydantic_app(answer: bytes) -> Starlette:
    """As :func:`bare_app`, validating the body with the full request model."""
    model: Any = _standalone_models().ModelTemplateRequest

    async def create(request: Request) -> Response:
        model.model_validate(await request.json())
        return Response(answer, media_type="application/json")

    async def get(request: Request) -> Response:
        return Response(answer, media_type="application/json")

    return Starlette(
        routes=[
            Route("/v4/model-templates", create, methods=["POST"]),
            Route("/v4/model-templates", get, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=["bare", "pydantic"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    import uvicorn

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import FULL_BODY_BYTES

    answer = constant_answer(FULL_BODY_BYTES)
    app = bare_app(answer) if args.app == "bare" else pydantic_app(answer)
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off"
    )


if __name__ == "__main__":
    main()
