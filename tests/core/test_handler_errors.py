"""A handler that fails unexpectedly: the client gets FastAPI's 500, the journal has it, and
in process the error itself reaches the test (as Starlette's test client raises it), on the
path that answers at once and on the one with fault rules alike."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel

from sgp_fake import LiveServer, SGPFake
from sgp_fake.core.call import Call
from sgp_fake.core.operations import Operation, Resource
from sgp_fake.resources import REGISTRY

PATH = "/v4/failing"
ANSWER = {"detail": "Internal Server Error"}


class Failing(BaseModel):
    id: str


def _fail(call: Call) -> bytes:
    raise RuntimeError("the handler failed")


def _fake(with_fault_rule: bool) -> SGPFake:
    resource = Resource(
        kind="failing",
        stored=Failing,
        noun="Failing",
        operations=(Operation(name="fail", method="GET", path=PATH, handler=_fail),),
    )
    fake = SGPFake(resources=(*REGISTRY, resource))
    if with_fault_rule:  # one that never matches: the request takes the path with faults
        fake.faults.add(path="/v4/elsewhere", status=503)
    return fake


def _journaled(fake: SGPFake) -> list[tuple[int | None, object]]:
    return [(entry.status, entry.response_json) for entry in fake.journal]


@pytest.mark.parametrize("with_fault_rule", [False, True])
def test_in_process_the_error_reaches_the_test_once_its_500_is_journaled(
    with_fault_rule: bool,
) -> None:
    fake = _fake(with_fault_rule)
    with fake.client() as client, pytest.raises(RuntimeError, match="the handler failed"):
        client.get(PATH)
    assert _journaled(fake) == [(500, ANSWER)]


@pytest.mark.asyncio
@pytest.mark.parametrize("with_fault_rule", [False, True])
async def test_in_process_async_the_error_reaches_the_test(with_fault_rule: bool) -> None:
    fake = _fake(with_fault_rule)
    async with fake.async_client() as client:
        with pytest.raises(RuntimeError, match="the handler failed"):
            await client.get(PATH)
    assert _journaled(fake) == [(500, ANSWER)]


@pytest.mark.parametrize("with_fault_rule", [False, True])
def test_over_a_socket_the_client_gets_the_500(with_fault_rule: bool) -> None:
    fake = _fake(with_fault_rule)
    with LiveServer(fake.app) as server:
        response = httpx.get(server.url + PATH, headers={"x-api-key": "k"})
    assert (response.status_code, response.json()) == (500, ANSWER)
    assert _journaled(fake) == [(500, ANSWER)]
