"""The reference apps every figure is measured against, and a way to serve them.

* ``bare``: a Starlette app whose POST handler parses the JSON body and answers a constant body
  of the same size as the fake's answer: the floor for any Starlette service.
* ``pydantic``: the same, plus validation of the full request model
  (``ModelTemplateRequest.model_validate(await request.json())``), as a typical hand-written
  Starlette or FastAPI-style service would do it.
* ``chat``: a chat-completions route that validates its body with the fake's own request model
  (``ChatCompletionRequest``) and answers the same bytes the fake answers: the JSON, or with
  ``stream: true`` the same Server-Sent Events, one chunk each (Starlette's
  ``StreamingResponse`` over an async generator). It serves the ``pydantic`` create route too,
  which servers are probed with until they answer.

Run ``python benchmarks/references.py {bare,pydantic} --port N`` to serve one with uvicorn in
its fastest configuration (httptools and uvloop when installed);
``python benchmarks/references.py chat --port N --answers FILE`` takes the chat answers from a
JSON file ``{"json": "...", "events": ["...", ...]}``.

The template request model is loaded from its files
(``sgp_fake/resources/model_templates/schemas.py`` and the two it imports) on its own, without
importing the ``sgp_fake`` package, so that a reference's start-up (measured in section 3) pays
for pydantic and the models only; the chat reference imports its request model with the package
(its start-up is not measured).
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
from starlette.responses import Response, StreamingResponse
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
    ("core.lazy_model", "core/lazy_model.py"),
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


CHAT_PATH = "/v4/models/{model_deployment_id}/chat-completions"


def _inference_models() -> ModuleType:
    """The fake's inference request models (``resources/models/call_bodies.py``). Imported with
    the package (the module shares helpers with it): a one-off cost at start-up, which the
    measured requests do not pay."""
    return importlib.import_module("sgp_fake.resources.models.call_bodies")


def chat_app(answer: bytes, events: list[bytes], create_answer: bytes) -> Starlette:
    """A chat-completions route answering ``answer`` (JSON) or, for ``stream: true``, the
    ``events`` one chunk each; and the ``pydantic`` create route (``create_answer``)."""
    model: Any = _inference_models().ChatCompletionRequest
    templates = pydantic_app(create_answer)

    async def chat(request: Request) -> Response:
        body = model.model_validate(await request.json())
        if body.stream:

            async def chunks() -> Any:
                for event in events:
                    yield event

            return StreamingResponse(chunks(), media_type="text/event-stream")
        return Response(answer, media_type="application/json")

    return Starlette(routes=[Route(CHAT_PATH, chat, methods=["POST"]), *templates.routes])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=["bare", "pydantic", "chat"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answers", help="the chat answers (chat only)")
    args = parser.parse_args()

    import uvicorn

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import FULL_BODY_BYTES

    answer = constant_answer(FULL_BODY_BYTES)
    app: Starlette
    if args.app == "chat":
        answers = json.loads(Path(args.answers).read_text())
        events = [event.encode() for event in answers["events"]]
        app = chat_app(answers["json"].encode(), events, answer)
    else:
        app = bare_app(answer) if args.app == "bare" else pydantic_app(answer)
    uvicorn.run(
        app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off"
    )


if __name__ == "__main__":
    main()
