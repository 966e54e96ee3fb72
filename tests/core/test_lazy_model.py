"""The fake's models are built on first use: importing the server builds almost none of them,
and a model built late validates and answers as one built at import."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest

import sgp_fake
from sgp_fake.core.lazy_model import DEFERRED, LazyModel
from sgp_fake.core.twin import Twin

PACKAGE = Path(sgp_fake.__file__).parent


def _in_a_fresh_interpreter(script: str) -> Any:
    """What ``script`` writes as JSON, run in a fresh interpreter: this test process has long
    since built whatever other tests used."""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return json.loads(out)


# What `sgp-fake serve` imports before it answers, and the models each has declared by then.
_BUILT_AT_IMPORT = """
import json, sys
import sgp_fake.cli.serve, sgp_fake.resources, sgp_fake.extras.admin, sgp_fake.extras.coverage
from pydantic import BaseModel

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

# The package's models, RootModels and create_model's among them; not a generic's
# parametrization (RootModel[...]), which pydantic builds when it is written.
models = {
    c for c in subclasses(BaseModel)
    if c.__module__.startswith("sgp_fake.") and "[" not in c.__qualname__
}
json.dump(
    {"declared": len(models), "built": sorted(c.__qualname__ for c in models
                                              if c.__pydantic_complete__)},
    sys.stdout,
)
"""


@pytest.mark.skipif(not DEFERRED, reason="models are built at declaration before pydantic 2.14")
def test_importing_the_server_builds_only_the_template_create_body() -> None:
    found = _in_a_fresh_interpreter(_BUILT_AT_IMPORT)
    assert found["declared"] > 100
    # The create body's serializer is bound at import (its handler's hot path), so that one
    # model is built then; every other waits for its first request.
    assert set(found["built"]) <= {"ModelTemplateRequest"}


def test_every_model_of_the_package_is_a_lazy_model() -> None:
    direct = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base) for base in node.bases}
                if bases & {"BaseModel", "pydantic.BaseModel"} and node.name != "LazyModel":
                    direct.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert direct == []


class _Late(LazyModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    name: str
    count: int = 0


class _Eager(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    name: str
    count: int = 0


@pytest.mark.skipif(not DEFERRED, reason="models are built at declaration before pydantic 2.14")
def test_a_lazy_model_keeps_its_own_config_and_answers_as_an_eager_one() -> None:
    assert not _Late.__pydantic_complete__
    assert _Late.model_json_schema()["additionalProperties"] is False
    assert _Late.__pydantic_complete__
    assert _Late.model_validate_json(b'{"name": "a"}').model_dump() == {"name": "a", "count": 0}
    for bad in ({"count": 1}, {"name": "a", "extra": 1}, {"name": "a", "count": "x"}):
        with pytest.raises(pydantic.ValidationError) as late:
            _Late.model_validate(bad)
        with pytest.raises(pydantic.ValidationError) as eager:
            _Eager.model_validate(bad)
        assert late.value.errors(include_url=False) == eager.value.errors(include_url=False)


_FIRST_REQUEST = """
import json, sys
from sgp_fake import SGPFake
from sgp_fake.resources.gateway.schemas import ChatRequest

before = ChatRequest.__pydantic_complete__
fake = SGPFake()
with fake.client() as client:
    ok = client.post("/v5/chat/completions", headers={"x-selected-account-id": "a"},
                     json={"model": "openai/gpt-4o-mini",
                           "messages": [{"role": "user", "content": "hi"}]})
    bad = client.post("/v5/chat/completions", headers={"x-selected-account-id": "a"},
                      json={"model": "openai/gpt-4o-mini", "messages": "hi"})
json.dump({"before": before, "after": ChatRequest.__pydantic_complete__,
           "ok": ok.status_code, "choices": len(ok.json()["choices"]),
           "bad": bad.status_code, "loc": bad.json()["detail"][0]["loc"]}, sys.stdout)
"""


@pytest.mark.skipif(not DEFERRED, reason="models are built at declaration before pydantic 2.14")
def test_a_served_model_is_built_by_its_first_request() -> None:
    found = _in_a_fresh_interpreter(_FIRST_REQUEST)
    assert (found["before"], found["after"]) == (False, True)
    assert (found["ok"], found["choices"]) == (200, 1)
    assert found["bad"] == 422
    assert found["loc"][:2] == ["body", "messages"]


class _Twinned(LazyModel):
    name: str
    tags: list[str] = pydantic.Field(default_factory=list)


def test_a_twin_of_a_model_not_built_yet_builds_it() -> None:
    twin = Twin(_Twinned)
    assert twin.validate(b'{"name": "a"}', "forbid") == {"name": "a", "tags": []}
    assert twin.validate(b'{"name": 1}', "forbid") is None
    assert twin.dump({"name": "a", "tags": ["x"]}) == b'{"name":"a","tags":["x"]}'


_FIRST_USE_FROM_THREADS = """
import json, sys, threading
from sgp_fake import SGPFake

fake = SGPFake()
client = fake.client()
barrier = threading.Barrier(8)
statuses = []

def call():
    barrier.wait()
    answer = client.post(
        "/v5/chat/completions", headers={"x-selected-account-id": "a"},
        json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    statuses.append((answer.status_code, len(answer.json().get("choices", ()))))

threads = [threading.Thread(target=call) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
json.dump(statuses, sys.stdout)
"""


def test_threads_using_a_model_first_at_once_are_all_answered() -> None:
    # The request's models are built by these calls.
    assert _in_a_fresh_interpreter(_FIRST_USE_FROM_THREADS) == [[200, 1]] * 8


_BUILT_AFTER_ITS_MODULE_IS_GONE = """
import json, sys
import sgp_fake.resources, sgp_fake.extras.admin
from pydantic import BaseModel
from sgp_fake import SGPFake
from sgp_fake.extras.admin.state import state_document

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

resources = tuple(SGPFake().state.resources.values())
models = [c for c in subclasses(BaseModel) if c.__module__.startswith("sgp_fake.")]
# What pytester's in-process runs do to modules first imported during them.
for name in [name for name in sys.modules if name.startswith("sgp_fake.")]:
    del sys.modules[name]
failed = []
for model in models:
    try:
        model.model_json_schema()
    except Exception as exc:
        failed.append(f"{model.__qualname__}: {exc}"[:200])
state_document(resources).model_json_schema()
json.dump(failed, sys.stdout)
"""


@pytest.mark.skipif(not DEFERRED, reason="models are built at declaration before pydantic 2.14")
def test_a_model_is_built_even_once_its_module_is_gone() -> None:
    # A deferred build resolves names in the model's module; one unloaded meanwhile (pytester
    # restores sys.modules after an in-process run) must not leave a model unbuildable.
    assert _in_a_fresh_interpreter(_BUILT_AFTER_ITS_MODULE_IS_GONE) == []
