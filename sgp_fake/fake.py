"""One fake SGP instance: its store, settings, journal, faults, rate limit and app."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .app import FakeApp, create_app
from .faults import FaultRules
from .journal import DEFAULT_JOURNAL_LIMIT, Journal
from .ratelimit import RateLimiter
from .settings import FakeSettings
from .store import Clock, IdGenerator, ModelTemplateStore

if TYPE_CHECKING:
    # httpx and the transports load on first use: `sgp-fake serve` needs neither, and httpx
    # is the slowest import of the package (a third of the server's start-up).
    import httpx
    from scale_gp import AsyncSGPClient, SGPClient

    from .coverage import Coverage
    from .transport import AsyncFakeTransport, FakeTransport

__all__ = ["DEFAULT_API_KEY", "DEFAULT_BASE_URL", "SGPFake"]

DEFAULT_BASE_URL = "https://api.egp.scale.com"
"""The real service's base URL; in-process clients use it so URLs look as in production."""
DEFAULT_API_KEY = "sgp-fake-key"
"""The API key in-process clients send unless told otherwise."""


_BASE_URLS: dict[str, httpx.URL] = {}


def _parsed_base_url(base_url: str) -> httpx.URL:
    """``base_url`` parsed once, with the trailing slash httpx's clients give it.

    Parsing a URL is a third of what building an ``httpx.Client`` costs, and the pytest fixtures
    build one per test for the same base URL. ``httpx.URL`` is immutable, so sharing it is safe;
    one parsed by an httpx module that has since been imported afresh is parsed again.
    """
    import httpx

    url = _BASE_URLS.get(base_url)
    if url is None or type(url) is not httpx.URL:
        url = httpx.URL(base_url)
        if not url.raw_path.endswith(b"/"):
            url = url.copy_with(raw_path=url.raw_path + b"/")
        if len(_BASE_URLS) >= 16:
            _BASE_URLS.clear()
        _BASE_URLS[base_url] = url
    return url


class _State:
    """Everything a fake serves from (what the app and the admin API see as its backend)."""

    __slots__ = ("coverage", "faults", "journal", "rate_limiter", "settings", "store")

    def __init__(
        self,
        settings: FakeSettings,
        store: ModelTemplateStore,
        journal: Journal,
        coverage: Coverage | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.journal = journal
        self.coverage = coverage
        self.faults = FaultRules()
        self.rate_limiter = RateLimiter()

    def reset(self) -> None:
        self.store.clear()
        self.journal.clear()
        self.faults.clear()
        self.rate_limiter.configure(None)


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
        admin: bool = False,
        coverage: bool = False,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        """Options beyond ``settings``:

        * ``admin``: serve the admin API under ``/_fake`` (see :mod:`sgp_fake.admin`).
        * ``coverage``: record contract coverage in :attr:`coverage` (see
          :mod:`sgp_fake.coverage`); off by default, as it costs time on every request.
        * ``state_file``: keep the templates in this SQLite file, durable before each answer
          (see :mod:`sgp_fake.persistence`); call :meth:`close` when done.
        """
        store: ModelTemplateStore
        if state_file is not None:
            from .persistence import DurableModelTemplateStore

            store = DurableModelTemplateStore(state_file, clock=clock, id_generator=id_generator)
        else:
            store = ModelTemplateStore(clock=clock, id_generator=id_generator)
        observed: Coverage | None = None
        journal: Journal
        if coverage:
            from .coverage import Coverage, ObservedJournal

            observed = Coverage()
            journal = ObservedJournal(observed, journal_limit)
        else:
            journal = Journal(journal_limit)
        self._state = _State(settings or FakeSettings(), store, journal, observed)
        self._admin = admin
        self.app: FakeApp = self._build_app()

    def _build_app(self) -> FakeApp:
        # The app serves the state, not this object: it does not point back here, so a fake
        # and its app are freed as soon as they are dropped, not at the next garbage collection.
        if self._admin:
            from .admin import admin_openapi_bytes, admin_routes

            return create_app(
                self._state,
                extra_routes=admin_routes(self._state),
                openapi=admin_openapi_bytes,
            )
        return create_app(self._state)

    @property
    def settings(self) -> FakeSettings:
        """What the fake enforces (API keys, strictness, limits, contract mode, latency)."""
        return self._state.settings

    @settings.setter
    def settings(self, value: FakeSettings) -> None:
        self._state.settings = value

    @property
    def store(self) -> ModelTemplateStore:
        """The stored templates."""
        return self._state.store

    @store.setter
    def store(self, value: ModelTemplateStore) -> None:
        self._state.store = value

    @property
    def journal(self) -> Journal:
        """Every request received, with its answer."""
        return self._state.journal

    @journal.setter
    def journal(self, value: Journal) -> None:
        self._state.journal = value

    @property
    def faults(self) -> FaultRules:
        """Fault rules shaping the next matching answers."""
        return self._state.faults

    @faults.setter
    def faults(self, value: FaultRules) -> None:
        self._state.faults = value

    @property
    def rate_limiter(self) -> RateLimiter:
        """The per-API-key rate limit (none until configured)."""
        return self._state.rate_limiter

    @rate_limiter.setter
    def rate_limiter(self, value: RateLimiter) -> None:
        self._state.rate_limiter = value

    @property
    def coverage(self) -> Coverage | None:
        """Contract coverage, when the fake was made with ``coverage=True``; else ``None``."""
        return self._state.coverage

    @coverage.setter
    def coverage(self, value: Coverage | None) -> None:
        self._state.coverage = value

    def close(self) -> None:
        """Release the state file, if any. The fake must not be used afterwards."""
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    def reset(self) -> None:
        """Empty the store and the journal; remove faults and the rate limit."""
        self._state.reset()

    # -- clients -------------------------------------------------------------------------------

    def transport(self) -> FakeTransport:
        """A sync httpx transport to this fake, in process."""
        from .transport import FakeTransport

        return FakeTransport(self.app)

    def async_transport(self) -> AsyncFakeTransport:
        """An async httpx transport to this fake, in process."""
        from .transport import AsyncFakeTransport

        return AsyncFakeTransport(self.app)

    def client(
        self, api_key: str | None = DEFAULT_API_KEY, base_url: str = DEFAULT_BASE_URL, **kwargs: Any
    ) -> httpx.Client:
        """An ``httpx.Client`` talking to this fake in process, sending ``api_key``."""
        import httpx

        headers = {"x-api-key": api_key} if api_key else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.Client(
            transport=self.transport(),
            base_url=_parsed_base_url(base_url),
            headers=headers,
            **kwargs,
        )

    def async_client(
        self, api_key: str | None = DEFAULT_API_KEY, base_url: str = DEFAULT_BASE_URL, **kwargs: Any
    ) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` talking to this fake in process, sending ``api_key``."""
        import httpx

        headers = {"x-api-key": api_key} if api_key else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.AsyncClient(
            transport=self.async_transport(),
            base_url=_parsed_base_url(base_url),
            headers=headers,
            **kwargs,
        )

    def sdk_client(self, api_key: str = DEFAULT_API_KEY, **kwargs: Any) -> SGPClient:
        """The official ``scale_gp.SGPClient`` wired to this fake in process.

        Needs ``scale-gp`` (``pip install sgp-fake[sdk]``).
        """
        import httpx
        from scale_gp import SGPClient

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return SGPClient(
            api_key=api_key, http_client=httpx.Client(transport=self.transport()), **kwargs
        )

    def async_sdk_client(self, api_key: str = DEFAULT_API_KEY, **kwargs: Any) -> AsyncSGPClient:
        """The official ``scale_gp.AsyncSGPClient`` wired to this fake in process."""
        import httpx
        from scale_gp import AsyncSGPClient

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return AsyncSGPClient(
            api_key=api_key,
            http_client=httpx.AsyncClient(transport=self.async_transport()),
            **kwargs,
        )
