"""The app's direct dispatch of the operations answers exactly as its Starlette router does.

:class:`sgp_fake.core.gateway.FakeApp` calls the operations' handlers through its compiled
matcher, without the Starlette router (it is on the hot path of every request). Two identical
fakes get the same request sequence: one through the app, the other straight through its
Starlette router; every answer (status, headers, body), and every exception, must be the same.
It runs over every registered resource, and the test suite's own ``widgets``.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgp_fake import FakeSettings, Identity, SGPFake, seeded_ids
from sgp_fake.core.operations import Resource
from sgp_fake.core.scope import BODY_SCOPE_KEY, SYNC_SCOPE_KEY
from sgp_fake.resources import REGISTRY
from sgp_fake.transport import _run_without_loop
from tests.registry.resources import WIDGETS

RESOURCES = (*REGISTRY, WIDGETS)

EXAMPLES = 40 if os.environ.get("SGP_FAKE_FUZZ") != "long" else 1000

Answer = tuple[int | None, list[tuple[bytes, bytes]], bytes, str | None]


def _scope(
    method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]]
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "headers": headers,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": query,
        "root_path": "",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "extensions": {},
        SYNC_SCOPE_KEY: True,
    }


def _call(app: Any, scope: dict[str, Any], body: bytes) -> Answer:
    status: list[int] = []
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
            headers.extend(message.get("headers", []))
        else:
            chunks.append(message.get("body", b""))

    error = None
    try:
        _run_without_loop(app(scope, receive, send))
    except Exception as exc:  # compared between the two paths
        error = type(exc).__name__
    return (status[0] if status else None, headers, b"".join(chunks), error)


KEYS = {
    "key-all": Identity("user_all"),
    "key-a": Identity("user_a", "service_account", frozenset({"acct_a"})),
    "key-ab": Identity("user_ab", accounts=frozenset({"acct_a", "acct_b"})),
}

methods = st.sampled_from(["POST", "GET", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"])
accounts = st.sampled_from(["acct_a", "acct_b", "acct_c", ""])
text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


@st.composite
def requests(
    draw: st.DrawFn, resource: Resource, known_ids: list[str]
) -> tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]:
    # The well-formed choices come first: hypothesis favours them, so that creates succeed and
    # later requests find their ids.
    method = draw(methods)
    base = resource.collection
    item = st.sampled_from(known_ids or ["x"]).map(lambda t: f"{base}/{t}")
    collection = st.just(base)
    path = draw(
        st.one_of(
            collection if method == "POST" else st.one_of(item, collection),
            st.just(f"{base}/"),
            text.map(lambda t: f"{base}/{t}"),
            st.sampled_from([f"{base}/a/b", "/openapi.json", "/v4", "/", f"{base}//"]),
        )
    )
    query = draw(
        st.one_of(
            st.just(b""),
            st.builds(
                lambda k, v: f"{k}={quote(v, safe='')}".encode(),
                st.sampled_from(["limit", "page", "account_id", "other"]),
                st.one_of(st.integers(-5, 20_000).map(str), accounts, text),
            ),
            # ASCII only: the app percent-encodes other bytes before the router sees them.
            st.binary(max_size=20).map(lambda b: bytes(c & 0x7F for c in b)),
        )
    )
    headers: list[tuple[bytes, bytes]] = []
    key = draw(st.sampled_from([*KEYS, None, "", "nope"]))
    if key is not None:
        headers.append((b"x-api-key", key.encode()))
    selected = draw(st.none() | accounts)
    if selected is not None:
        headers.append((b"x-selected-account-id", selected.encode()))
    content_type = draw(
        st.sampled_from(["application/json", None, "text/plain", "application/vnd+json; x=1"])
    )
    if content_type:
        headers.append((b"content-type", content_type.encode()))
    example = dict(resource.example)
    valid_body = st.builds(
        lambda account, name: json.dumps({**example, "account_id": account, "name": name}).encode(),
        accounts,
        text,
    )
    body = draw(
        st.one_of(
            valid_body,
            valid_body,
            st.builds(
                lambda extra: json.dumps({**example, **extra}).encode(),
                st.dictionaries(
                    st.sampled_from([*example, "x"]),
                    st.none() | st.integers() | text,
                    max_size=2,
                ),
            ),
            st.binary(max_size=40),
            st.just(b""),
        )
    )
    return method, path, query, headers, body


def _pair(strict: bool, keyed: bool) -> tuple[SGPFake, SGPFake]:
    def make() -> SGPFake:
        return SGPFake(
            FakeSettings(api_keys=KEYS if keyed else None, strict=strict),
            clock=lambda: datetime(2024, 5, 1, tzinfo=UTC),
            id_generator=seeded_ids(5),
            resources=RESOURCES,
        )

    return make(), make()


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.kind)
@pytest.mark.parametrize(("strict", "keyed"), [(False, False), (True, True), (False, True)])
@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_direct_dispatch_answers_as_the_router(
    resource: Resource, strict: bool, keyed: bool, data: st.DataObject
) -> None:
    direct, routed = _pair(strict, keyed)
    known_ids: list[str] = []
    for _ in range(data.draw(st.integers(1, 20))):
        method, path, query, headers, body = data.draw(requests(resource, known_ids))
        via_app = _call(direct.app, _scope(method, path, query, headers), body)
        scope = _scope(method, path, query, headers)
        scope[BODY_SCOPE_KEY] = body
        via_router = _call(routed.app.router, scope, body)
        assert via_app == via_router, (method, path, query, headers, body)
        if via_app[0] == 200 and method == "POST":
            known_ids.append(json.loads(via_app[2])["id"])
    for kind, table in direct.tables.items():
        assert [r.body for r in table.all()] == [r.body for r in routed.tables[kind].all()]
