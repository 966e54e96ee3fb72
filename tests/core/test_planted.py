"""Bugs a planted-bug check found the suite missing: each test here fails when its bug is put
back (the bug is named in the test's docstring)."""

from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from sgp_fake import RateLimit, SGPFake
from sgp_fake.core.ratelimit import RateLimiter
from sgp_fake.resources.inference import text
from tests.support.bodies import minimal_body

STATIC = Path(__file__).resolve().parents[2] / "sgp_fake" / "extras" / "dashboard" / "static"

PARAMETERS = {
    "parameters": [
        {"name": "weights", "type": "str", "description": "", "required": True},
        {"name": "quantize", "type": "str", "description": "", "required": None},
    ]
}


def _template(client: httpx.Client, **overrides: Any) -> str:
    answer = client.post("/v4/model-templates", json=minimal_body(**overrides))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _model(client: httpx.Client, template_id: str, name: str = "llama", **extra: Any) -> Any:
    body = {"account_id": "acct_1", "model_type": "COMPLETION", "name": name,
            "model_template_id": template_id, **extra}  # fmt: skip
    return client.post("/v4/models", json=body)


def _deployment(client: httpx.Client, model_type: str = "COMPLETION", **template: Any) -> Any:
    template_id = _template(client, model_type=model_type, **template)
    model = _model(client, template_id, model_type=model_type).json()
    deployment = client.post(f"/v4/models/{model['id']}/deployments", json={"name": "d"}).json()
    return model, deployment


def test_a_parameter_whose_required_is_null_is_optional() -> None:
    """Bug: ``required: null`` taken as required (creation and request parameters)."""
    fake = SGPFake()
    with fake.client() as client:
        template_id = _template(
            client,
            model_creation_parameters_schema=PARAMETERS,
            model_request_parameters_schema=PARAMETERS,
        )
        made = _model(client, template_id, model_creation_parameters={"weights": "s3://w"})
        assert made.status_code == 200, made.text
        refused = _model(client, template_id, name="other", model_creation_parameters={})
        assert refused.status_code == 422
        assert [e["loc"][-1] for e in refused.json()["detail"]] == ["weights"]
        # The request schema of the model requires only what the template requires.
        schema = made.json()["request_schema"]
        bindings = json.dumps(schema)
        assert '"quantize"' in bindings
        assert re.findall(r'"required": \[[^\]]*"quantize"', bindings) == []
        deployment = client.post(
            f"/v4/models/{made.json()['id']}/deployments", json={"name": "d"}
        ).json()
        answer = client.post(
            f"/v4/models/{deployment['id']}/completions",
            json={"prompt": "hi", "model_request_parameters": {"bindings": {"weights": "x"}}},
        )
        assert answer.status_code == 200, answer.text


def test_total_item_count_of_models_counts_every_page() -> None:
    """Bug: ``total_item_count`` of ``/v4/models`` the page's length."""
    fake = SGPFake()
    with fake.client() as client:
        template_id = _template(client)
        for index in range(5):
            assert _model(client, template_id, name=f"m{index}").status_code == 200
        page = client.get("/v4/models", params={"limit": 2, "page": 2}).json()
        assert (len(page["items"]), page["total_item_count"]) == (2, 5)
        last = client.get("/v4/models", params={"limit": 2, "page": 3}).json()
        assert (len(last["items"]), last["total_item_count"]) == (1, 5)


def _stream_deltas(client: httpx.Client, path: str, body: dict[str, Any]) -> list[str]:
    deltas = []
    with client.stream("POST", path, json={**body, "stream": True}) as answer:
        assert answer.status_code == 200
        for line in answer.iter_lines():
            if line.startswith("data: "):
                deltas.append(json.loads(line[6:])["completions"][0][1][0])
    return deltas


def test_streamed_deltas_carry_the_white_space_before_their_token() -> None:
    """Bug: each delta with its white space after the token (``"Hello "`` then ``"world"``)."""
    assert text.deltas("Hello,  big world. ") == ["Hello", ",", "  big", " world", ". "]
    fake = SGPFake()
    with fake.client() as client:
        _, deployment = _deployment(client)
        path = f"/v4/models/{deployment['id']}/completions"
        whole = client.post(path, json={"prompt": "hi"}).json()["completions"][0][1][0]
        deltas = _stream_deltas(client, path, {"prompt": "hi"})
    assert "".join(deltas) == whole
    assert " " in whole
    assert deltas == text.deltas(whole)
    assert all(not delta[-1].isspace() for delta in deltas if delta)
    assert any(delta.startswith(" ") for delta in deltas)


def test_a_prompt_of_execute_that_is_not_a_string_is_its_json_text() -> None:
    """Bug: a non-string ``prompts`` item taken as Python's ``str()``."""
    fake = SGPFake()
    with fake.client() as client:
        model, deployment = _deployment(client, "AGENT")
        answer = client.post(
            f"/v4/models/{model['id']}/deployments/{deployment['id']}/execute",
            json={"prompts": [{"y": 1, "z": "é"}, 2, None, True, [1.5]]},
        )
    assert answer.status_code == 200, answer.text
    prompts = [completion[0] for completion in answer.json()["completions"]]
    assert prompts == ['{"y": 1, "z": "é"}', "2", "null", "true", "[1.5]"]


def test_an_updated_record_keeps_its_place_after_a_restart(tmp_path: Path) -> None:
    """Bug: an update moves the record to the end of creation order in the state file."""
    path = tmp_path / "state.db"
    fake = SGPFake(state_file=path)
    try:
        with fake.client() as client:
            template_id = _template(client)
            ids = [_model(client, template_id, name=f"m{i}").json()["id"] for i in range(3)]
            patched = client.patch(f"/v4/models/{ids[0]}", json={"name": "renamed"})
            assert patched.status_code == 200, patched.text
            before = [m["id"] for m in client.get("/v4/models").json()["items"]]
    finally:
        fake.close()
    assert before == ids
    again = SGPFake(state_file=path)
    try:
        with again.client() as client:
            items = client.get("/v4/models").json()["items"]
    finally:
        again.close()
    assert [m["id"] for m in items] == ids
    assert items[0]["name"] == "renamed"


# Every way a script can turn a string into markup or code, beyond the sinks of
# test_dashboard.py: parsers, ranges, the HTML setters, frames' documents, string-compiled code.
_MARKUP_SINKS = (
    "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
    "setHTML", "createContextualFragment", "DOMParser", "parseFromString", "srcdoc",
    "new Function", "Function(", "createRange", "execCommand", "insertAdjacentElement",
    '"html"', "'html'", "html:", "HTML",
)  # fmt: skip


def test_the_dashboard_builds_cells_from_text_only() -> None:
    """Bug: the scripted-answer cell (or any other) rendered as markup."""
    for script in sorted(STATIC.glob("*.js")):
        source = script.read_text()
        for sink in _MARKUP_SINKS:
            assert sink not in source, (script.name, sink)
    # The one element builder: "text" is textContent, strings are text nodes, anything else an
    # attribute (never a property, which could be innerHTML by another spelling).
    dom = STATIC.joinpath("dom.js").read_text()
    assert 'else if (key === "text") el.textContent = String(value);' in dom
    assert 'else el.setAttribute(key, value === true ? "" : String(value));' in dom
    assert "el.append(child instanceof Node ? child : String(child));" in dom
    assert re.findall(r"el\[", dom) == []
    # The scripted answers' table: what a rule gives is a cell's text.
    models = STATIC.joinpath("models.js").read_text()
    assert 'h("td", { class: "mono", text: describeContent(rule) })' in models
    assert 'h("td", { class: "mono", text: describeMatch(rule) })' in models


class _Guarded(dict[str, tuple[float, float]]):
    """Buckets that fail when read or changed without the limiter's lock."""

    def __init__(self, lock: Any) -> None:
        super().__init__()
        self.lock = lock

    def _check(self) -> None:
        assert self.lock.locked(), "a bucket touched without the limiter's lock"

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self._check()
        return super().get(key, default)

    def __setitem__(self, key: str, value: tuple[float, float]) -> None:
        self._check()
        super().__setitem__(key, value)

    def clear(self) -> None:
        self._check()
        super().clear()


def test_the_rate_limiter_changes_buckets_under_its_lock() -> None:
    """Bug: the bucket read and written without the lock (two requests both take the last
    token)."""
    limiter = RateLimiter(clock=lambda: 0.0)
    limiter._buckets = _Guarded(limiter._lock)
    limiter.configure(RateLimit(rate=0.001, burst=3))
    verdicts = [limiter.check("key") for _ in range(4)]
    assert [v.allowed for v in verdicts if v is not None] == [True, True, True, False]


def test_the_rate_limiter_gives_each_token_once_under_contention() -> None:
    """The same bug, seen from threads: a frozen clock gives exactly ``burst`` tokens."""
    limiter = RateLimiter(clock=lambda: 0.0)
    limiter.configure(RateLimit(rate=0.001, burst=2000))
    allowed: list[int] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        mine = 0
        for _ in range(500):
            verdict = limiter.check("key")
            assert verdict is not None
            mine += verdict.allowed
        allowed.append(mine)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a race shows
    try:
        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert sum(allowed) == 2000


def test_generated_text_takes_an_before_a_vowel_sound() -> None:
    """Defect 11: "a {name}" written before a vowel sound in generated text."""
    from sgp_fake.core.openapi import indefinite

    assert [indefinite(w) for w in ("ExecuteChunk", "AgentChunk", "Usage record", "Unknown",
                                    "Model", "SSEChunk", "URLChunk", "HTTPError", "Span")] == [
        "an ExecuteChunk", "an AgentChunk", "a Usage record", "an Unknown", "a Model",
        "an SSEChunk", "a URLChunk", "an HTTPError", "a Span",
    ]  # fmt: skip
    fake = SGPFake(admin=True)
    with fake.client() as client:
        document = client.get("/openapi.json").text
    wrong = re.findall(r"\b[aA] (?:[AEIOaeio]\w*|U[bcdfghjklmnpqrstvwxyz]{2}\w*)", document)
    assert wrong == []
