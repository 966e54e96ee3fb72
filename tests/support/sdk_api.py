"""The official SDK, sync or async, in process or over a socket, strict or loose: one face.

Tests of the models and deployments routes run each behaviour through every combination. An
:class:`Api` calls an SDK method by its dotted name and gives its result, awaiting it when the
client is async (on an event loop of the test's own), so one test body serves all eight.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Iterator

import pytest
from scale_gp import AsyncSGPClient, SGPClient

from sgp_fake import SGPFake

KINDS = [
    (mode, where, strictness)
    for mode in ("sync", "async")
    for where in ("in-process", "live")
    for strictness in ("strict", "loose")
]
IDS = ["-".join(kind) for kind in KINDS]


class Api:
    """An SDK client of either kind: ``api("models.create", **body)`` calls and returns."""

    def __init__(self, client: SGPClient | AsyncSGPClient, loop: asyncio.AbstractEventLoop | None):
        self.client = client
        self.loop = loop

    @property
    def is_async(self) -> bool:
        return self.loop is not None

    def _method(self, method: str) -> Any:
        return functools.reduce(getattr, method.split("."), self.client)

    def __call__(self, method: str, /, *args: Any, **kwargs: Any) -> Any:
        result = self._method(method)(*args, **kwargs)
        if self.loop is not None:
            return self.loop.run_until_complete(result)
        return result

    def chunks(self, method: str, /, *args: Any, **kwargs: Any) -> list[Any]:
        """Every chunk of a streamed answer (``stream=True``), read through the SDK's decoder."""
        result = self._method(method)(*args, stream=True, **kwargs)
        if self.loop is None:
            with result as stream:
                return list(stream)

        async def collect() -> list[Any]:
            stream = await result
            async with stream:
                return [chunk async for chunk in stream]

        return self.loop.run_until_complete(collect())

    def every(self, method: str, /, *args: Any, **kwargs: Any) -> list[Any]:
        """Every item of a list method, through the SDK's auto-pagination."""
        pages = self._method(method)(*args, **kwargs)
        if self.loop is None:
            return list(pages)

        async def collect() -> list[Any]:
            return [item async for item in pages]

        return self.loop.run_until_complete(collect())

    def close(self) -> None:
        if self.loop is not None:
            assert isinstance(self.client, AsyncSGPClient)
            self.loop.run_until_complete(self.client.close())
            self.loop.close()
        else:
            self.client.close()


def make_api(
    request: pytest.FixtureRequest, fake: SGPFake, kind: tuple[str, str, str], **options: Any
) -> Api:
    """An :class:`Api` of ``kind`` to ``fake`` (the plugin's ``sgp_fake``, so that the live
    server, ``sgp_fake_server``, serves it too)."""
    mode, where, strictness = kind
    options.setdefault("max_retries", 0)
    options["_strict_response_validation"] = strictness == "strict"
    if where == "live":
        server = request.getfixturevalue("sgp_fake_server")
        options["base_url"] = server.url
        options.setdefault("api_key", server.api_key)
        if mode == "sync":
            return Api(SGPClient(**options), None)
        return Api(AsyncSGPClient(**options), asyncio.new_event_loop())
    api_key = options.pop("api_key", "sgp-fake-key")
    if mode == "sync":
        return Api(fake.sdk_client(api_key, **options), None)
    return Api(fake.async_sdk_client(api_key, **options), asyncio.new_event_loop())


def api_for(request: pytest.FixtureRequest, fake: SGPFake) -> Iterator[Api]:
    """The body of an ``api`` fixture parametrized with ``params=KINDS, ids=IDS``: the SDK to
    the test's fake, closed afterwards."""
    client = make_api(request, fake, request.param)
    yield client
    client.close()
