"""One fake SGP instance: its store, settings, journal, faults, rate limit and app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from .app import FakeApp, create_app
from .faults import FaultRules
from .journal import DEFAULT_JOURNAL_LIMIT, Journal
from .ratelimit import RateLimiter
from .settings import FakeSettings
from .store import Clock, IdGenerator, ModelTemplateStore
from .transport import AsyncFakeTransport, FakeTransport

if TYPE_CHECKING:
    from scale_gp import AsyncSGPClient, SGPClient

__all__ = ["DEFAULT_API_KEY", "DEFAULT_BASE_URL", "SGPFake"]

DEFAULT_BASE_URL = "https://api.egp.scale.com"
"""The real service's base URL; in-process clients use it so URLs look as in production."""
DEFAULT_API_KEY = "sgp-fake-key"
"""The API key in-process clients send unless told otherwise."""


class SGPFake:
    """A fake SGP service. Instances are fully independent of each other.

    >>> fake = SGPFake()
    >>> with fake.client() as client:
    ...     client.get("/v4/model-templates").json()["total_item_count"]
    0
    """

    def __init__(
        self,
        settings: FakeSettings | None = None,
        *,
        clock: Clock | None = None,
        id_generator: IdGenerator | None = None,
        journal_limit: int | None = DEFAULT_JOURNAL_LIMIT,
    ) -> None:
        self.settings = settings or FakeSettings()
        self.store = ModelTemplateStore(clock=clock, id_generator=id_generator)
        self.journal = Journal(journal_limit)
        self.faults = FaultRules()
        self.rate_limiter = RateLimiter()
        self.app: FakeApp = self._build_app()

    def _build_app(self) -> FakeApp:
        return create_app(self)

    def reset(self) -> None:
        """Empty the store and the journal; remove faults and the rate limit."""
        self.store.clear()
        self.journal.clear()
        self.faults.clear()
        self.rate_limiter.configure(None)

    # -- clients -------------------------------------------------------------------------------

    def transport(self) -> FakeTransport:
        """A sync httpx transport to this fake, in process."""
        return FakeTransport(self.app)

    def async_transport(self) -> AsyncFakeTransport:
        """An async httpx transport to this fake, in process."""
        return AsyncFakeTransport(self.app)

    def client(
        self, api_key: str | None = DEFAULT_API_KEY, base_url: str = DEFAULT_BASE_URL, **kwargs: Any
    ) -> httpx.Client:
        """An ``httpx.Client`` talking to this fake in process, sending ``api_key``."""
        headers = {"x-api-key": api_key} if api_key else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.Client(transport=self.transport(), base_url=base_url, headers=headers, **kwargs)

    def async_client(
        self, api_key: str | None = DEFAULT_API_KEY, base_url: str = DEFAULT_BASE_URL, **kwargs: Any
    ) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` talking to this fake in process, sending ``api_key``."""
        headers = {"x-api-key": api_key} if api_key else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.AsyncClient(
            transport=self.async_transport(), base_url=base_url, headers=headers, **kwargs
        )

    def sdk_client(self, api_key: str = DEFAULT_API_KEY, **kwargs: Any) -> SGPClient:
        """The official ``scale_gp.SGPClient`` wired to this fake in process.

        Needs ``scale-gp`` (``pip install sgp-fake[sdk]``).
        """
        from scale_gp import SGPClient

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return SGPClient(
            api_key=api_key, http_client=httpx.Client(transport=self.transport()), **kwargs
        )

    def async_sdk_client(self, api_key: str = DEFAULT_API_KEY, **kwargs: Any) -> AsyncSGPClient:
        """The official ``scale_gp.AsyncSGPClient`` wired to this fake in process."""
        from scale_gp import AsyncSGPClient

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return AsyncSGPClient(
            api_key=api_key,
            http_client=httpx.AsyncClient(transport=self.async_transport()),
            **kwargs,
        )
