"""Streamed answers through the Starlette routes: as the direct dispatch does, and mounted."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from sgp_fake import SGPFake
from sgp_fake.resources import REGISTRY
from sgp_fake.transport import FakeTransport
from tests.core.streaming.tickers import (
    PATH,
    Ticker,
    asgi_messages,
)

scale_gp = pytest.importorskip("scale_gp")


def test_the_starlette_routes_stream_as_the_direct_dispatch_does(ticker: Ticker) -> None:
    direct = SGPFake(resources=(*REGISTRY, ticker.resource()))
    routed = SGPFake(resources=(*REGISTRY, ticker.resource()))
    sent = asgi_messages(direct.app)
    assert sent == asgi_messages(routed.app.router)  # the router is given the body in scope
    assert [(m["type"], m.get("more_body")) for m in sent] == [
        ("http.response.start", None),
        *[("http.response.body", True)] * 3,
        ("http.response.body", False),
    ]


def test_a_mounted_fake_streams_chunk_by_chunk(fake: SGPFake, ticker: Ticker) -> None:
    # Below a prefix the gateway leaves the request to its Starlette routes.
    outer = Starlette(routes=[Mount("/sgp", app=fake.app)])
    with httpx.Client(
        transport=FakeTransport(outer),
        base_url="https://api.egp.scale.com/sgp",
        headers={"x-api-key": "k"},
    ) as client:
        rule = fake.faults.add(path=f"/sgp{PATH}", after=2, cut="error")
        with client.stream("POST", PATH, json={"count": 3}) as response:
            seen = []
            for chunk in response.iter_raw():
                seen.append(chunk)
                assert ticker.produced == list(range(min(len(seen), 2)))
    assert seen[:2] == ticker.events(2)
    assert seen[2].startswith(b"event: error\n")
    entry = fake.journal.last()
    assert (entry.operation, entry.rule) == ("stream_ticks", rule.id)
