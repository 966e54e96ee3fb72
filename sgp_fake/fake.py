"""One fake SGP instance: its state (a table per resource, settings, journal, faults, rate
limit), its app, and in-process clients."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Sequence, TypeVar, cast

from .app import create_app
from .clock import Clock, FakeClock, IdGenerator
from .core.faults import FaultRules
from .core.gateway import FakeApp
from .core.journal import DEFAULT_JOURNAL_LIMIT, Journal
from .core.ratelimit import RateLimiter
from .core.table import Table
from .errors import needs_sdk
from .settings import FakeSettings
from .state import FakeState

if TYPE_CHECKING:
    # httpx and the transports load on first use: `sgp-fake serve` needs neither, and httpx
    # is the slowest import of the package (a third of the server's start-up).
    import httpx
    from scale_gp import AsyncSGPClient, SGPClient
    from scale_gp_beta import AsyncSGPClient as AsyncSGPBetaClient
    from scale_gp_beta import SGPClient as SGPBetaClient

    from .core.operations import Resource
    from .core.table import Record
    from .extras.coverage import Coverage
    from .extras.traces import Traces
    from .live_server import LiveServer
    from .resources.model_templates.store import ModelTemplateStore
    from .transport import AsyncFakeTransport, FakeTransport

__all__ = ["DEFAULT_ACCOUNT_ID", "DEFAULT_API_KEY", "DEFAULT_BASE_URL", "SGPFake"]

_C = TypeVar("_C", "httpx.Client", "httpx.AsyncClient")

DEFAULT_BASE_URL = "https://api.egp.scale.com"
"""The real service's base URL; in-process clients use it so URLs look as in production."""
DEFAULT_API_KEY = "sgp-fake-key"
"""The API key in-process clients send unless told otherwise."""
DEFAULT_ACCOUNT_ID = "acct_1"
"""The account the v5 SDK clients select by default (``scale_gp_beta`` requires one)."""


_BASE_URLS: dict[str, httpx.URL] = {}

_MATCHERS = (
    "method",
    "path",
    "account_id",
    "deployment",
    "model",
    "prompt",
    "prompt_regex",
    "request_body",
    "tool_result",
    "turn",
)


def _matchers(rule: Mapping[str, Any]) -> str:
    """What a rule matches, as ``name=value`` pairs (those set; "every call" when none)."""
    shown = [f"{name}={rule[name]!r}" for name in _MATCHERS if rule.get(name) not in (None, "*")]
    return ", ".join(shown) or "every call"


_CHECKED: dict[tuple[type, tuple[Resource, ...] | None], tuple[Resource, ...]] = {}


def _checked(cls: type, resources: Sequence[Resource] | None) -> tuple[Resource, ...]:
    """``resources`` (the registry for ``None``), once checked to name no attribute of ``cls``.

    Every fake of a test run serves the same resources: they are checked once, not per fake.
    """
    key = (cls, None if resources is None else tuple(resources))
    checked = _CHECKED.get(key)
    if checked is None:
        if resources is None:
            from .resources import REGISTRY

            resources = REGISTRY
        checked = tuple(resources)
        for resource in checked:
            # fake.<kind> reaches a table: a kind may not hide an attribute of the fake.
            if not resource.kind.isidentifier() or hasattr(cls, resource.kind):
                raise ValueError(f"{resource.kind!r} cannot name a resource of a fake")
        if len(_CHECKED) >= 32:
            _CHECKED.clear()
        _CHECKED[key] = checked
    return checked


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


# Everything an httpx client keeps, as httpx lays it out (0.27 to 0.29). A client whose
# attributes are exactly these can be made by copying a prototype's (see _new_client).
_CLIENT_STATE = frozenset(
    {
        "_auth",
        "_base_url",
        "_cookies",
        "_default_encoding",
        "_event_hooks",
        "_headers",
        "_mounts",
        "_params",
        "_state",
        "_timeout",
        "_transport",
        "_trust_env",
        "follow_redirects",
        "max_redirects",
    }
)
_PROTOTYPES: dict[tuple[type, str, tuple[tuple[str, str], ...]], object] = {}


def _new_client(cls: type[_C], transport: Any, base_url: str, headers: dict[str, str]) -> _C:
    """``cls(transport=transport, base_url=base_url, headers=headers)``, copied from a prototype.

    The pytest fixtures make a client per test, always with the same base URL and key, and
    httpx's constructor was most of what they add to a test: it rebuilds the default headers,
    query parameters and timeout every time. A prototype made by that constructor is copied
    instead, its mutable parts (headers, cookies, timeout, event hooks, mounts) made afresh,
    so that two clients share nothing a caller can change. A client laid out otherwise (another
    httpx) is constructed as usual.
    """
    import httpx

    key = (cls, base_url, tuple(headers.items()))
    prototype = _PROTOTYPES.get(key)
    if prototype is None:
        made = cls(  # its transport is never used: every copy gets its own
            transport=httpx.MockTransport(_never_sent), base_url=_parsed_base_url(base_url),
            headers=headers,
        )  # fmt: skip
        # Any other layout (another httpx) is remembered as not to be copied.
        prototype = made if vars(made).keys() == _CLIENT_STATE else cls
        if len(_PROTOTYPES) >= 16:
            _PROTOTYPES.clear()
        _PROTOTYPES[key] = prototype
    if not isinstance(prototype, cls):
        return cls(transport=transport, base_url=_parsed_base_url(base_url), headers=headers)
    state = dict(vars(prototype))
    state["_headers"] = prototype.headers.copy()
    state["_cookies"] = httpx.Cookies()
    state["_timeout"] = httpx.Timeout(prototype.timeout)
    state["_event_hooks"] = {name: list(hooks) for name, hooks in prototype.event_hooks.items()}
    state["_mounts"] = dict(state["_mounts"])
    state["_transport"] = transport
    client = cls.__new__(cls)
    vars(client).update(state)
    return client


def _never_sent(request: httpx.Request) -> httpx.Response:
    raise AssertionError("a prototype client sends nothing")  # pragma: no cover


class SGPFake:
    """A fake SGP service. Instances are fully independent of each other.

    Each resource the fake serves has a table, reachable by its kind: ``fake.model_templates``
    (also ``fake.store``), or ``fake.tables["model_templates"]``.

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
        resources: Sequence[Resource] | None = None,
    ) -> None:
        """Options beyond ``settings``:

        * ``admin``: serve the admin API under ``/_fake`` (see :mod:`sgp_fake.extras.admin`).
        * ``coverage``: record contract coverage in :attr:`coverage` (see
          :mod:`sgp_fake.extras.coverage`).
        * ``state_file``: keep every record in this SQLite file, durable before each answer
          (see :mod:`sgp_fake.extras.persistence`); call :meth:`close` when done.
        * ``resources``: the resources served (:data:`sgp_fake.resources.REGISTRY` by default).
        """
        resources = _checked(type(self), resources)
        self._state = FakeState(
            settings or FakeSettings(),
            resources,
            Journal(journal_limit),
            clock=clock,
            id_generator=id_generator,
        )
        if state_file is not None:
            from .extras.persistence import Persistence

            self.persistence: Persistence | None = Persistence(state_file, self._state)
        else:
            self.persistence = None
        self._admin = admin
        self._dashboard: LiveServer | None = None
        self.app: FakeApp = self._build_app()
        if coverage:
            from .extras.coverage import Coverage

            # Over the app's whole operation table: /openapi.json is known, and not counted.
            self._state.coverage = Coverage(self.app.operations.operations)

    def _build_app(self, admin: bool | None = None) -> FakeApp:
        # The app serves the state, not this object: it does not point back here, so a fake
        # and its app are freed as soon as they are dropped, not at the next garbage collection.
        if self._admin if admin is None else admin:
            from .app import description
            from .extras.admin import admin_openapi, admin_routes

            state = self._state
            openapi = admin_openapi(tuple(state.resources.values()), description())
            return create_app(
                state, extra_routes=lambda: admin_routes(state, openapi), openapi=openapi
            )
        return create_app(self._state)

    @property
    def state(self) -> FakeState:
        """Everything the fake serves from (what the app and the admin API read and change)."""
        return self._state

    @property
    def settings(self) -> FakeSettings:
        """What the fake enforces (API keys, strictness, limits, contract mode, latency)."""
        return self._state.settings

    @settings.setter
    def settings(self, value: FakeSettings) -> None:
        self._state.settings = value

    @property
    def tables(self) -> Mapping[str, Table[Any]]:
        """The table of each resource, by kind."""
        return self._state.tables

    def __getattr__(self, name: str) -> Table[Any]:
        # fake.model_templates and the tables of the other resources, by their kind.
        state = self.__dict__.get("_state")
        try:
            return state.tables[name]  # type: ignore[no-any-return, union-attr]
        except (KeyError, AttributeError):
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}"
            ) from None

    @property
    def traces(self) -> Traces:
        """The spans received, as trees: ``fake.traces.last().assert_shape(...)``,
        ``.get(trace_id)``, ``.named(name)``, ``.errors()`` (see ``sgp_fake.extras.traces``)."""
        from .extras.traces import Traces

        return Traces(self._state.tables)

    @property
    def store(self) -> ModelTemplateStore:
        """The stored templates (the ``model_templates`` table)."""
        return cast("ModelTemplateStore", self._state.tables["model_templates"])

    @store.setter
    def store(self, value: ModelTemplateStore) -> None:
        self._state.replace_table(value)

    @property
    def clock(self) -> FakeClock:
        """The fake's one clock: it dates records, usage and the journal's entries, and statuses
        move with it (a deployment turning ``READY``); ``fake.clock.advance(seconds)`` moves it
        forward, ``fake.clock.set(when)`` puts it anywhere. (A ``clock`` given to the
        constructor that is not a :class:`~sgp_fake.clock.FakeClock` dates new records alone.)"""
        return self._state.clock

    def force_status(self, kind: str, record_id: str, status: str) -> Record:
        """Force ``status`` on a record whose status moves with the clock (``"deployments"``):
        it stays until forced again or changed through the API. ``KeyError`` for no such
        record, ``ValueError`` for a status its kind does not have."""
        transitions = self._state.transitions
        if transitions is None:
            raise KeyError(f"{kind!r} records have no managed status")
        return transitions.force(kind, record_id, status)

    def respond(self, **rule: Any) -> dict[str, Any]:
        """Script what deployed models answer: add a rule, tried after those added before, and
        return it as stored (its ``id`` names it in the journal's ``response``).

        Matchers (all optional, all must hold): ``deployment`` and ``model`` (an id or a name;
        on the gateway, ``vendor/name``), ``account_id``, ``prompt`` (a substring) and
        ``prompt_regex``; on the gateway's chat and Responses also ``tool_result`` (the last
        message is a tool's result) and ``turn`` (that many assistant messages already).
        Content (one at least): ``text``, or ``texts`` for successive calls (the last repeats),
        or ``chunks`` (exact stream chunks), ``embedding`` or ``dimensions``, ``scores``,
        ``execute``, and on the gateway's chat and Responses ``tool_calls``.
        ``fake.responses`` is the table of rules (``.rules()``, ``.remove(id)``, ``.clear()``);
        a reset empties it. ``ValueError`` for a rule that is not one.

        >>> fake = SGPFake()
        >>> fake.respond(model="llama", texts=["Hi!", "Bye!"])["id"]
        'response_1'
        """
        table = self._state.tables.get("responses")
        if table is None:
            raise KeyError("this fake serves no scripted responses")
        added: dict[str, Any] = table.add(**rule)  # type: ignore[attr-defined]
        return added

    def unused_rules(self) -> list[str]:
        """Every fault rule and scripted response that never fired or answered, each described
        by its id and matchers, in the order they were added (faults first)."""
        found = [
            f"fault {rule.id} ({_matchers(rule.to_dict())})" for rule in self._state.faults.unused()
        ]
        table = self._state.tables.get("responses")
        unused = getattr(table, "unused", None)
        if unused is not None:
            found.extend(f"response {rule['id']} ({_matchers(rule)})" for rule in unused())
        return found

    def assert_all_used(self) -> None:
        """``AssertionError`` naming each fault rule and scripted response that never fired or
        answered, as respx's ``assert_all_called``: a rule a test set up for nothing usually
        matches nothing it sent (a wrong path, name or account). The pytest marker's
        ``assert_all_used=True`` calls it at teardown."""
        unused = self.unused_rules()
        if unused:
            raise AssertionError(f"{len(unused)} rule(s) never used: " + "; ".join(unused))

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
        """Stop the dashboard's server and release the state file, if any. The fake must not be
        used afterwards."""
        if self._dashboard is not None:
            self._dashboard.stop()
            self._dashboard = None
        if self.persistence is not None:
            self.persistence.close()

    def dashboard(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve this fake's dashboard and return its URL, to open in a browser.

        The first call starts a :class:`~sgp_fake.LiveServer` in a background thread, with the
        admin API on (whether or not this fake serves it in process) over the same state;
        later calls return the same URL, and :meth:`close` stops it. Bound beyond loopback,
        the URL carries the admin token (``#token=...``). Coverage shows as off unless the fake
        records it (``coverage=True``). To look at a failing test, call it and pause::

            print(sgp_fake.dashboard())
            breakpoint()
        """
        from .core.access import token_fragment
        from .core.routing import DASHBOARD_PREFIX

        server = self._dashboard
        if server is None:
            from .live_server import LiveServer

            server = LiveServer(self._build_app(admin=True), host=host, port=port).start()
            self._dashboard = server
        url = server.url + DASHBOARD_PREFIX
        if server.admin_token is not None:
            url += token_fragment(server.admin_token)
        return url

    def reset(self, account_id: str | None = None) -> int:
        """Empty every table (or only ``account_id``'s records); return how many records went.

        A whole reset also empties the journal and removes faults and the rate limit; the
        contract coverage is kept.
        """
        return self._state.reset(account_id)

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
        if not kwargs and all(type(k) is type(v) is str for k, v in headers.items()):
            return _new_client(httpx.Client, self.transport(), base_url, headers)
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
        if not kwargs and all(type(k) is type(v) is str for k, v in headers.items()):
            return _new_client(httpx.AsyncClient, self.async_transport(), base_url, headers)
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
        with needs_sdk():
            from scale_gp import DefaultHttpxClient, SGPClient

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return SGPClient(
            api_key=api_key, http_client=DefaultHttpxClient(transport=self.transport()), **kwargs
        )

    def account_for(self, api_key: str) -> str:
        """The account a v5 client of ``api_key`` selects unless told: the key's first account
        (in sorted order) when the settings give it accounts, else ``acct_1``. The fixtures
        and :meth:`beta_client` select it."""
        identity = self.settings.identity_for(api_key)
        accounts = identity.accounts if identity is not None else None
        return min(accounts) if accounts else DEFAULT_ACCOUNT_ID

    def beta_client(
        self, api_key: str = DEFAULT_API_KEY, account_id: str | None = None, **kwargs: Any
    ) -> SGPBetaClient:
        """The v5 SDK's ``scale_gp_beta.SGPClient`` wired to this fake in process (every
        ``/v5`` call selects ``account_id``, by default :meth:`account_for` the key).

        Needs ``scale-gp-beta`` (``pip install sgp-fake[sdk]``).
        """
        with needs_sdk():
            from scale_gp_beta import DefaultHttpxClient
            from scale_gp_beta import SGPClient as SGPBetaClient

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return SGPBetaClient(
            api_key=api_key,
            account_id=self.account_for(api_key) if account_id is None else account_id,
            http_client=DefaultHttpxClient(transport=self.transport()),
            **kwargs,
        )

    def async_beta_client(
        self, api_key: str = DEFAULT_API_KEY, account_id: str | None = None, **kwargs: Any
    ) -> AsyncSGPBetaClient:
        """The v5 SDK's ``scale_gp_beta.AsyncSGPClient`` wired to this fake in process.

        Needs ``scale-gp-beta`` (``pip install sgp-fake[sdk]``).
        """
        with needs_sdk():
            from scale_gp_beta import AsyncSGPClient as AsyncSGPBetaClient
            from scale_gp_beta import DefaultAsyncHttpxClient

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return AsyncSGPBetaClient(
            api_key=api_key,
            account_id=self.account_for(api_key) if account_id is None else account_id,
            http_client=DefaultAsyncHttpxClient(transport=self.async_transport()),
            **kwargs,
        )

    def async_sdk_client(self, api_key: str = DEFAULT_API_KEY, **kwargs: Any) -> AsyncSGPClient:
        """The official ``scale_gp.AsyncSGPClient`` wired to this fake in process.

        Needs ``scale-gp`` (``pip install sgp-fake[sdk]``).
        """
        with needs_sdk():
            from scale_gp import AsyncSGPClient, DefaultAsyncHttpxClient

        kwargs.setdefault("base_url", DEFAULT_BASE_URL)
        return AsyncSGPClient(
            api_key=api_key,
            http_client=DefaultAsyncHttpxClient(transport=self.async_transport()),
            **kwargs,
        )
