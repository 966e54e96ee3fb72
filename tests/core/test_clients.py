"""``fake.client()`` and ``fake.async_client()``: made by copying a prototype, yet each the
same as a client httpx's constructor makes, and sharing nothing a caller can change."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httpx
import pytest

import sgp_fake.fake as fake_module
from sgp_fake import SGPFake
from sgp_fake.fake import DEFAULT_BASE_URL


def _public(client: httpx.Client | httpx.AsyncClient) -> dict[str, Any]:
    return {
        "base_url": client.base_url,
        "headers": client.headers.multi_items(),
        "cookies": dict(client.cookies),
        "params": client.params,
        "timeout": client.timeout,
        "auth": client.auth,
        "follow_redirects": client.follow_redirects,
        "max_redirects": client.max_redirects,
        "event_hooks": client.event_hooks,
        "trust_env": client.trust_env,
        "is_closed": client.is_closed,
    }


@pytest.mark.parametrize("cls", [httpx.Client, httpx.AsyncClient])
def test_a_copied_client_is_the_client_httpx_would_construct(cls: type[httpx.Client]) -> None:
    fake = SGPFake()
    make = fake.client if cls is httpx.Client else fake.async_client
    transport = fake.transport() if cls is httpx.Client else fake.async_transport()
    constructed = cls(transport=transport, base_url=DEFAULT_BASE_URL, headers={"x-api-key": "k1"})
    make(api_key="k1")  # the first one made is the prototype's first copy
    copied = make(api_key="k1")
    assert type(copied) is cls
    assert _public(copied) == _public(constructed)
    assert vars(copied).keys() == vars(constructed).keys()
    # Each copy has the transport to its own fake.
    assert copied._transport is not make(api_key="k1")._transport


def test_copies_share_nothing_a_caller_changes() -> None:
    fake = SGPFake()
    first, second = fake.client(api_key="k2"), fake.client(api_key="k2")
    assert first._mounts is not second._mounts  # empty, but never one dict for two clients
    first.headers["x-extra"] = "1"
    first.headers["x-api-key"] = "changed"
    first.cookies.set("session", "abc")
    first.event_hooks["request"].append(lambda request: None)
    first.timeout.read = 99.0
    first.close()
    third = fake.client(api_key="k2")
    for other in (second, third):
        assert other.headers["x-api-key"] == "k2"
        assert "x-extra" not in other.headers
        assert not other.cookies
        assert other.event_hooks == {"request": [], "response": []}
        assert other.timeout == httpx.Timeout(5.0)
        assert not other.is_closed
    assert second.get("/v4/model-templates").status_code == 200


def test_clients_of_two_fakes_reach_their_own_fake() -> None:
    a, b = SGPFake(), SGPFake()
    with a.client() as to_a, b.client() as to_b:
        to_a.get("/v4/model-templates")
        to_a.get("/v4/model-templates")
        to_b.get("/v4/model-templates")
    assert (len(a.journal), len(b.journal)) == (2, 1)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_client_laid_out_otherwise_is_constructed(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another httpx, whose clients keep other attributes: no copy, the constructor as usual.
    monkeypatch.setattr(fake_module, "_CLIENT_STATE", frozenset({"_transport"}))
    monkeypatch.setattr(fake_module, "_PROTOTYPES", {})
    made: list[object] = []
    real_init = httpx.Client.__init__ if kind == "sync" else httpx.AsyncClient.__init__

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        real_init(self, *args, **kwargs)

    cls = httpx.Client if kind == "sync" else httpx.AsyncClient
    monkeypatch.setattr(cls, "__init__", counting_init)
    fake = SGPFake()
    make = fake.client if kind == "sync" else fake.async_client
    clients = [make(api_key="k3") for _ in range(3)]
    assert len(made) == 4  # the prototype tried once, then every client constructed
    assert all(client in made for client in clients)
    assert clients[0].headers["x-api-key"] == "k3"


def test_other_arguments_are_given_to_the_constructor() -> None:
    fake = SGPFake()
    client = fake.client(api_key="k4", timeout=1.5, headers={"x-trace": "t"})
    assert client.timeout == httpx.Timeout(1.5)
    assert client.headers["x-trace"] == "t"
    assert client.headers["x-api-key"] == "k4"
    assert client.get("/v4/model-templates").status_code == 200


def test_the_sdk_clients_follow_a_redirect_as_the_sdks_own_clients_do() -> None:
    # Each SDK's own http client follows redirects (scale_gp.DefaultHttpxClient); so do the
    # ones the fake wires up, and a GET with a trailing slash reaches the route through its 307.
    fake = SGPFake()
    assert fake.sdk_client(max_retries=0).get("/v4/models/", cast_to=object) == {
        "items": [],
        "current_page": 1,
        "items_per_page": 100,
        "total_item_count": 0,
    }
    assert fake.beta_client(max_retries=0).get("/v5/models/", cast_to=object) == fake.beta_client(
        max_retries=0
    ).get("/v5/models", cast_to=object)

    async def both_async() -> tuple[object, object]:
        v4 = fake.async_sdk_client(max_retries=0)
        v5 = fake.async_beta_client(max_retries=0)
        return (
            await v4.get("/v4/model-templates/", cast_to=object),
            await v5.get("/v5/models/", cast_to=object),
        )

    v4_page, v5_page = asyncio.run(both_async())
    assert v4_page == {"items": [], "current_page": 1, "items_per_page": 100, "total_item_count": 0}
    assert isinstance(v5_page, dict)
    assert [entry.status for entry in fake.journal][:2] == [307, 200]


@pytest.mark.parametrize(
    ("method", "module", "reason"),
    [
        ("sdk_client", "scale_gp", "SDK_MISSING"),
        ("async_sdk_client", "scale_gp", "SDK_MISSING"),
        ("beta_client", "scale_gp_beta", "BETA_SDK_MISSING"),
        ("async_beta_client", "scale_gp_beta", "BETA_SDK_MISSING"),
    ],
)
def test_an_sdk_client_without_its_sdk_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, method: str, module: str, reason: str
) -> None:
    import sgp_fake.plugin

    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(ModuleNotFoundError) as missing:
        getattr(SGPFake(), method)()
    # the words the plugin's fixtures skip with
    assert str(missing.value) == getattr(sgp_fake.plugin, reason)
    assert "pip install sgp-fake[sdk]" in str(missing.value)
    assert missing.value.name == module
