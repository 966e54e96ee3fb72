"""Hostile input: whatever a client sends, the fake never answers 5xx and keeps answering.

Property-based (hypothesis), bounded: bodies (mutations of a valid body, and raw bytes), headers,
query strings, path ids, methods and paths, both through the in-process httpx transport (what a
client library can send) and as raw ASGI requests (what any server could hand the app). Every
4xx answer must be JSON in FastAPI's envelope, ``{"detail": ...}``, and after each example the
fake must still create and read back a template.

``SGP_FAKE_FUZZ=long`` runs many more examples (for a nightly job, not for CI).
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgp_fake import FakeSettings, SGPFake
from sgp_fake.core.scope import SYNC_SCOPE_KEY
from sgp_fake.transport import _run_without_loop
from tests.support.bodies import minimal_body

LONG = os.environ.get("SGP_FAKE_FUZZ") == "long"


def fuzz_settings(examples: int) -> Any:
    """Bounded in CI; 25 times the examples with ``SGP_FAKE_FUZZ=long``."""
    return settings(
        max_examples=examples * 25 if LONG else examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


FULL_BODY: dict[str, Any] = {
    **minimal_body(),
    "endpoint_protocol": "VLLM",
    "vendor_configuration": {
        "vendor": "LAUNCH",
        "bundle_config": {
            "registry": "r",
            "image": "i",
            "tag": "t",
            "command": ["python", "serve.py"],
            "env": {"A": "1"},
            "streaming_command": ["python", "stream.py"],
            "readiness_initial_delay_seconds": 30,
            "streaming_predict_route": "/stream",
        },
        "endpoint_config": {"cpus": 4, "gpus": 1, "gpu_type": "nvidia-tesla-t4", "max_workers": 2},
        "fine_tuning_job_bundle_config": {
            "registry": "r",
            "image": "ft",
            "tag": "1",
            "training_dataset_schema_type": "GENERATION",
            "resources": {"cpus": 2, "gpu_type": "nvidia-hopper-h100"},
        },
    },
    "model_creation_parameters_schema": {
        "parameters": [{"name": "w", "type": "str", "description": None, "required": True}]
    },
    "model_request_parameters_schema": {
        "parameters": [{"name": "t", "type": "float", "description": "temp", "required": None}]
    },
}

# -- checks --------------------------------------------------------------------------------------


def check_answer(status: int, headers: httpx.Headers | dict[str, str], body: bytes) -> Any:
    """The invariants of every answer; returns the decoded body."""
    assert status < 500, (status, body[:500])
    if status < 300 or status >= 400:
        assert headers["content-type"] == "application/json", headers
        data = json.loads(body)
    else:
        return None
    if status >= 400:
        assert isinstance(data, dict), data
        assert list(data) == ["detail"], data
        if status == 422:
            assert isinstance(data["detail"], list)
            assert data["detail"]
            for error in data["detail"]:
                assert {"type", "loc", "msg"} <= set(error), error
                assert isinstance(error["loc"], list)
                assert error["loc"][0] in ("body", "query", "path", "header")
    return data


def check(response: httpx.Response) -> Any:
    return check_answer(response.status_code, response.headers, response.content)


def still_answers(fake: SGPFake) -> None:
    """The fake creates and reads back a template after whatever it was sent."""
    with fake.client(api_key="fuzz-check", headers={"x-selected-account-id": ""}) as client:
        created = client.post("/v4/model-templates", json=minimal_body(account_id="acct_check"))
        assert created.status_code == 200, created.text
        template = created.json()
        read = client.get(f"/v4/model-templates/{template['id']}")
        assert read.status_code == 200
        assert read.json() == template
        assert client.delete(f"/v4/model-templates/{template['id']}").status_code == 200


def _fake(strict: bool = False) -> SGPFake:
    return SGPFake(FakeSettings(strict=strict), journal_limit=100)


# -- strategies ----------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.text(st.characters(codec="utf-16", categories=["Cs", "Co", "Cc", "Zs"]), max_size=5),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def mutated_bodies(draw: st.DrawFn) -> Any:
    """A valid full body with a few structure-aware mutations."""
    body: Any = copy.deepcopy(FULL_BODY)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(body)
        path = draw(st.sampled_from(paths))
        operation = draw(st.sampled_from(["replace", "delete", "add", "nest", "wrap"]))
        if not path:
            # The whole body: replace it, or wrap it.
            body = draw(json_values) if operation == "replace" else [body]
            continue
        parent = _get(body, path[:-1])
        key = path[-1]
        if operation == "replace":
            parent[key] = draw(json_values)
        elif operation == "delete":
            del parent[key]
        elif operation == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
        elif operation == "nest":
            depth = draw(st.integers(1, 50))
            value = parent[key]
            for _ in range(depth):
                value = draw(st.sampled_from([[value], {"x": value}]))
            parent[key] = value
        else:
            parent[key] = [parent[key]]
    return body


def _encode(value: Any) -> bytes:
    # NaN/Infinity come out as the JavaScript literals json.dumps writes; lone surrogates as
    # their escapes (valid JSON, invalid UTF-8 once decoded).
    return json.dumps(value, allow_nan=True).encode()


@st.composite
def corrupted_bytes(draw: st.DrawFn) -> bytes:
    """The valid body's bytes, cut, with bytes flipped or inserted."""
    data = bytearray(_encode(FULL_BODY))
    for _ in range(draw(st.integers(1, 5))):
        operation = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        if operation == "cut":
            del data[position:]
        elif operation == "flip":
            data[position] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[position : position + draw(st.integers(1, 20))]
    return bytes(data)


content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/problem+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "",
        "application/",
        ";;;",
    ]
)
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=30
)

# -- bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
@fuzz_settings(120)
@given(body=mutated_bodies())
def test_mutated_bodies_are_answered_with_an_envelope(strict: bool, body: Any) -> None:
    fake = _fake(strict)
    with fake.client() as client:
        response = client.post(
            "/v4/model-templates",
            content=_encode(body),
            headers={"content-type": "application/json"},
        )
        data = check(response)
        if response.status_code == 200:
            # Accepted: it reads back exactly as answered, and it is listed.
            read = client.get(f"/v4/model-templates/{data['id']}")
            assert read.json() == data
            listed = client.get("/v4/model-templates").json()
            assert listed["items"] == [data]
        else:
            assert len(fake.store) == 0
    still_answers(fake)


@fuzz_settings(150)
@given(body=st.one_of(st.binary(max_size=300), corrupted_bytes()), content_type=content_types)
def test_raw_bytes_bodies_are_answered_with_an_envelope(body: bytes, content_type: str) -> None:
    fake = _fake()
    with fake.client() as client:
        headers = {"content-type": content_type} if content_type else {}
        check(client.post("/v4/model-templates", content=body, headers=headers))
    still_answers(fake)


@fuzz_settings(80)
@given(value=json_values, field=st.sampled_from(sorted(FULL_BODY)))
def test_any_json_value_in_any_field_is_answered_with_an_envelope(value: Any, field: str) -> None:
    fake = _fake()
    body = {**FULL_BODY, field: value}
    with fake.client() as client:
        response = client.post(
            "/v4/model-templates",
            content=_encode(body),
            headers={"content-type": "application/json"},
        )
        check(response)
        if response.status_code == 422:
            # The error echoes what was sent, and JSON can always carry it.
            for error in response.json()["detail"]:
                assert "input" in error
    still_answers(fake)


# -- headers, queries, paths, methods ------------------------------------------------------------


@fuzz_settings(120)
@given(
    api_key=st.none() | header_text,
    selected=st.none() | header_text,
    extra=st.dictionaries(
        st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=":"),
            min_size=1,
            max_size=12,
        ),
        header_text,
        max_size=4,
    ),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
)
def test_any_headers_are_answered_with_an_envelope(
    api_key: str | None, selected: str | None, extra: dict[str, str], method: str
) -> None:
    fake = _fake()
    # Latin-1, as HTTP carries header values.
    headers = {name: value.encode("latin-1") for name, value in extra.items()}
    if api_key is not None:
        headers["x-api-key"] = api_key.encode("latin-1")
    if selected is not None:
        headers["x-selected-account-id"] = selected.encode("latin-1")
    with fake.client(api_key=None) as client:
        if method == "POST":
            headers.setdefault("content-type", b"application/json")
            response = client.post(
                "/v4/model-templates", content=_encode(FULL_BODY), headers=headers
            )
        elif method == "GET":
            response = client.get("/v4/model-templates", headers=headers)
        else:
            response = client.delete("/v4/model-templates/nope", headers=headers)
        check(response)
    still_answers(fake)


query_values = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", "1", "0", "-1", "10000", "10001", "1e3", "1.0", " 1", "0x10", "\u0661"]),
    st.text(max_size=20),
)


@fuzz_settings(150)
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(["limit", "page", "account_id", "other", ""]) | st.text(max_size=6),
            query_values,
        ),
        max_size=5,
    ),
    raw=st.none() | st.text(max_size=30),
)
def test_any_query_string_is_answered_with_an_envelope(
    params: list[tuple[str, str]], raw: str | None
) -> None:
    fake = _fake()
    with fake.client() as client:
        url = httpx.URL("/v4/model-templates", params=params)
        if raw is not None:
            # Printable ASCII as sent, the rest percent-encoded, as any client must.
            query = quote(raw, safe="=&;%+/?:@!$'()*,")
            url = httpx.URL("/v4/model-templates", query=query.encode())
        data = check(client.get(url))
        if data is not None and "items" in data:
            assert data["total_item_count"] == 0
    still_answers(fake)


@fuzz_settings(150)
@given(
    template_id=st.text(max_size=40),
    method=st.sampled_from(["GET", "DELETE", "POST", "PUT", "PATCH", "HEAD", "OPTIONS"]),
)
def test_any_path_id_is_answered_with_an_envelope(template_id: str, method: str) -> None:
    fake = _fake()
    with fake.client() as client:
        kept = client.post("/v4/model-templates", json=minimal_body()).json()
        response = client.request(method, f"/v4/model-templates/{quote(template_id, safe='')}")
        if method == "HEAD":
            assert response.status_code < 500
        else:
            check(response)
        if template_id != kept["id"]:
            assert client.get(f"/v4/model-templates/{kept['id']}").json() == kept
    still_answers(fake)


# -- raw ASGI: what any server could hand the app ------------------------------------------------


def call_asgi(
    fake: SGPFake,
    *,
    method: str,
    raw_path: bytes,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
) -> tuple[int, dict[str, str], bytes]:
    path = raw_path.decode("utf-8", "replace")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "headers": headers,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "extensions": {},
        SYNC_SCOPE_KEY: True,
    }
    pending = list(chunks) or [b""]
    status: list[int] = []
    response_headers: dict[str, str] = {}
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
            for key, value in message["headers"]:
                response_headers[key.decode("latin-1")] = value.decode("latin-1")
        else:
            body.append(message.get("body", b""))

    _run_without_loop(fake.app(scope, receive, send))
    assert len(status) == 1
    return status[0], response_headers, b"".join(body)


raw_bytes = st.binary(max_size=24)


@fuzz_settings(200)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD", "get", "BREW", ""]),
    path=st.one_of(
        st.sampled_from([b"/v4/model-templates", b"/v4/model-templates/", b"/openapi.json", b"/"]),
        raw_bytes.map(lambda b: b"/v4/model-templates/" + b),
        raw_bytes.map(lambda b: b"/" + b),
    ),
    query=st.one_of(st.just(b""), raw_bytes, st.just(b"limit=%ff&page=\xff")),
    headers=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    b"x-api-key",
                    b"content-type",
                    b"content-length",
                    b"x-selected-account-id",
                    b"x-other",
                ]
            ),
            raw_bytes,
        ),
        max_size=5,
    ),
    chunks=st.lists(st.one_of(raw_bytes, corrupted_bytes()), max_size=3),
)
def test_raw_asgi_requests_are_answered_with_an_envelope(
    method: str,
    path: bytes,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
) -> None:
    fake = _fake()
    status, response_headers, body = call_asgi(
        fake, method=method, raw_path=path, query=query, headers=headers, chunks=chunks
    )
    if method != "HEAD":
        check_answer(status, response_headers, body)
    assert status < 500
    still_answers(fake)


def test_nan_and_infinity_never_reach_an_answer() -> None:
    # Python's json accepts these JavaScript literals; JSON does not, and neither does the fake.
    fake = _fake()
    with fake.client() as client:
        for literal in ("NaN", "Infinity", "-Infinity"):
            body = _encode(FULL_BODY).replace(b"30", literal.encode(), 1)
            response = client.post(
                "/v4/model-templates", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 422
            assert response.json()["detail"][0]["type"] == "json_invalid"
        # 1e999 is valid JSON that overflows a float: refused, and the echo is still JSON.
        body = _encode(FULL_BODY).replace(b"30", b"1e999", 1)
        response = client.post(
            "/v4/model-templates", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][-1] == "readiness_initial_delay_seconds"


def test_a_query_string_that_is_not_utf8_is_never_a_500() -> None:
    # Found by the raw ASGI fuzzing: Starlette's trailing-slash redirect decoded the query string
    # as UTF-8 and the fake answered 500.
    fake = _fake()
    status, headers, _ = call_asgi(
        fake,
        method="GET",
        raw_path=b"/v4/model-templates/",
        query=b"page=\xff",
        headers=[(b"x-api-key", b"k")],
        chunks=[],
    )
    assert status == 307
    assert headers["location"].endswith("/v4/model-templates?page=%FF")
    # The journal keeps what was sent.
    assert fake.journal.last().query == "page=\xff"


@pytest.mark.parametrize("declared", [b"\xb2", b"\xb9\xb9", b"1\xb3", b"-1", b" 7"])
def test_a_content_length_that_is_not_ascii_digits_is_ignored(declared: bytes) -> None:
    # Found by the long fuzz run: "²" (0xB2 as latin-1) passes str.isdigit() but not int().
    # Servers refuse such headers before the app; an ASGI caller may not. The body still
    # counts against the limit as it arrives.
    fake = _fake()
    status, _, body = call_asgi(
        fake,
        method="GET",
        raw_path=b"/v4/model-templates",
        query=b"",
        headers=[(b"x-api-key", b"k"), (b"content-length", declared)],
        chunks=[b""],
    )
    assert status == 200
    assert json.loads(body)["items"] == []
