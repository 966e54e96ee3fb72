"""The official scale-gp SDK against the fake: in process (sync and async) and over loopback."""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest

from sgp_fake import LiveServer, SGPFake

scale_gp = pytest.importorskip("scale_gp")

CREATE: dict[str, Any] = {
    "account_id": "acct_1",
    "endpoint_type": "SYNC",
    "model_type": "COMPLETION",
    "name": "llm",
    "vendor_configuration": {
        "bundle_config": {"image": "image", "registry": "registry", "tag": "tag"}
    },
}


@pytest.fixture(params=["in-process", "loopback"])
def sdk(request: pytest.FixtureRequest, fake: SGPFake) -> Iterator[Any]:
    if request.param == "in-process":
        with fake.sdk_client(max_retries=0) as client:
            yield client
    else:
        with (
            LiveServer(fake.app) as server,
            scale_gp.SGPClient(api_key="k", base_url=server.url, max_retries=0) as client,
        ):
            yield client


@pytest.fixture(params=["in-process", "loopback"])
def async_sdk(request: pytest.FixtureRequest, fake: SGPFake) -> Iterator[Any]:
    if request.param == "in-process":
        yield fake.async_sdk_client(max_retries=0)
    else:
        with LiveServer(fake.app) as server:
            yield scale_gp.AsyncSGPClient(api_key="k", base_url=server.url, max_retries=0)


def test_create_retrieve_delete(sdk: Any, fake: SGPFake) -> None:
    created = sdk.model_templates.create(**CREATE)
    assert created.vendor_configuration.bundle_config.predict_route == "/predict"
    assert created.vendor_configuration.vendor == "LAUNCH"
    assert created.created_at.tzinfo is not None
    fetched = sdk.model_templates.retrieve(created.id)
    assert fetched == created
    assert sdk.model_templates.delete(created.id).success is True
    with pytest.raises(scale_gp.NotFoundError):
        sdk.model_templates.retrieve(created.id)
    assert len(fake.store) == 0


def test_auto_pagination_visits_every_template_once(sdk: Any) -> None:
    ids = [sdk.model_templates.create(**{**CREATE, "name": f"t{i}"}).id for i in range(23)]
    seen = [t.id for t in sdk.model_templates.list(limit=5)]
    assert seen == ids
    first = sdk.model_templates.list(limit=10, page=2)
    assert [t.id for t in first.items] == ids[10:20]


def test_a_walk_sees_templates_added_but_misses_one_after_each_delete(sdk: Any) -> None:
    # Numbered pages, as documented: added templates come last and are visited; deleting one
    # the walk has passed moves the later ones up a place, so the walk misses one.
    ids = [sdk.model_templates.create(**{**CREATE, "name": f"t{i}"}).id for i in range(6)]
    seen = []
    for template in sdk.model_templates.list(limit=2):
        seen.append(template.id)
        if len(seen) == 1:
            ids.append(sdk.model_templates.create(**{**CREATE, "name": "added"}).id)
    assert seen == ids
    seen = []
    for template in sdk.model_templates.list(limit=2):
        seen.append(template.id)
        if len(seen) == 1:
            sdk.model_templates.delete(template.id)
    assert seen == [ids[0], ids[1], *ids[3:]]  # ids[2] moved up onto the page already read


def test_validation_error_surfaces_as_the_sdk_error(sdk: Any) -> None:
    with pytest.raises(scale_gp.UnprocessableEntityError) as info:
        sdk.model_templates.create(**{**CREATE, "endpoint_type": "NOPE"})
    assert info.value.status_code == 422
    assert info.value.body["detail"][0]["type"] == "enum"


def test_selected_account_header_is_honoured(fake: SGPFake) -> None:
    with fake.sdk_client(account_id="acct_2") as client:
        client.model_templates.create(**CREATE)
        client.model_templates.create(**{**CREATE, "account_id": "acct_2"})
        assert [t.account_id for t in client.model_templates.list()] == ["acct_2"]
    assert fake.journal.last("GET").headers["x-selected-account-id"] == "acct_2"


@pytest.mark.asyncio
async def test_async_create_list_delete(async_sdk: Any) -> None:
    async with async_sdk as client:
        created = await client.model_templates.create(**CREATE)
        assert (await client.model_templates.retrieve(created.id)).id == created.id
        seen = [t.id async for t in client.model_templates.list(limit=1)]
        assert seen == [created.id]
        assert (await client.model_templates.delete(created.id)).count == 1
        with pytest.raises(scale_gp.NotFoundError):
            await client.model_templates.delete(created.id)


def test_missing_key_is_an_authentication_error(fake: SGPFake) -> None:
    client = scale_gp.SGPClient(
        api_key="",
        base_url="https://api.egp.scale.com",
        http_client=httpx.Client(transport=fake.transport()),
        max_retries=0,
    )
    with pytest.raises(scale_gp.AuthenticationError):
        client.model_templates.list()
