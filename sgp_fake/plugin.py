"""pytest fixtures for testing code that calls SGP (registered through ``pytest11``).

Installing ``sgp-fake`` is enough: no conftest code is needed. Each test that asks for
``sgp_fake`` gets a fresh, empty fake; the other fixtures are wired to that same instance.

* ``sgp_fake``: the :class:`~sgp_fake.SGPFake` of this test.
* ``sgp_fake_client`` / ``sgp_fake_async_client``: ``httpx`` clients to it, in process.
* ``sgp_client`` / ``sgp_async_client``: the official ``scale_gp`` SDK clients, in process.
* ``sgp_beta_client`` / ``sgp_async_beta_client``: the v5 SDK (``scale_gp_beta``) clients, in
  process, selecting the caller's account.
* ``sgp_fake_server``: the same fake behind a real loopback socket (one server per test run).
* ``sgp_fake_intercept``: code that builds its own client for the real base URL reaches it.
* ``sgp_factory``: a seeded :class:`~sgp_fake.factories.TemplateFactory`.

Configure a test with ``@pytest.mark.sgp_fake(api_keys=..., api_key=..., strict=..., seed=...,
max_body_size=..., journal_limit=..., intercept_defaults=..., deployment_ready_after=...,
gateway_models=..., gateway_builtin_models=..., responses=..., serve_admin=...,
assert_all_used=...)`` or by overriding
``sgp_fake_settings``, ``sgp_fake_seed``, ``sgp_fake_base_urls`` or ``sgp_fake_responses`` in a
conftest. Both at once: the marker's arguments apply on top of the overriding fixtures (a
fixture sets a directory's defaults, the marker is the test's own): its settings arguments on a
copy of ``sgp_fake_settings``'s object, its ``seed`` instead of ``sgp_fake_seed``'s.
The clients send the marker's ``api_key``, else the first configured key, else
:data:`~sgp_fake.DEFAULT_API_KEY`. (A conftest that overrides ``sgp_fake`` itself configures
its fake itself, marker or not: the clients send that fake's first key.)

The module imports nothing heavy at collection time: every fixture imports what it needs.
"""

from __future__ import annotations

import copy
import math
import random
import weakref
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    NoReturn,
    Sequence,
)

import pytest

from .errors import BETA_SDK_MISSING, SDK_MISSING, needs_sdk

if TYPE_CHECKING:
    import httpx
    from scale_gp import AsyncSGPClient, SGPClient
    from scale_gp_beta import AsyncSGPClient as AsyncSGPBetaClient
    from scale_gp_beta import SGPClient as SGPBetaClient
    from starlette.types import Receive, Scope, Send

    from .core.faults import FaultRules
    from .core.journal import Journal
    from .extras.traces import Traces
    from .factories import TemplateFactory
    from .fake import SGPFake
    from .intercept import Interceptor
    from .live_server import LiveServer
    from .resources.model_templates.store import ModelTemplateStore
    from .settings import FakeSettings, Identity

__all__ = ["BETA_SDK_MISSING", "MARKER", "SDK_MISSING", "LiveFake"]

MARKER = "sgp_fake"
"""Name of the marker that configures a test's fake."""

_MARKER_KWARGS = frozenset(
    {
        "api_keys",
        "api_key",
        "strict",
        "seed",
        "max_body_size",
        "journal_limit",
        "intercept_defaults",
        "deployment_ready_after",
        "gateway_models",
        "gateway_builtin_models",
        "responses",
        "faults",
        "serve_admin",
        "assert_all_used",
    }
)
_OPTIONS_KEY = pytest.StashKey[dict[str, Any]]()
_MARKER_OPTIONS: weakref.WeakKeyDictionary[SGPFake, dict[str, Any]] = weakref.WeakKeyDictionary()
"""The marker's arguments of the fakes ``sgp_fake`` made, where it has any (see
:func:`_api_key`)."""
_SEEDS_KEY = pytest.StashKey[dict[str, "int | str"]]()
_CALL_OUTCOME_KEY = pytest.StashKey[str]()
"""How the test's call phase ended: ``passed``, ``failed`` or ``skipped`` (an xfail too)."""
_CONFIGURED_SEED_KEY = pytest.StashKey["int | str | None | object"]()
_SETTINGS_KEY = pytest.StashKey["FakeSettings"]()
_OVERRIDDEN_KEY = pytest.StashKey[dict[str, bool]]()
_UNSET = object()


# -- hooks ------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sgp-fake")
    group.addoption(
        "--sgp-fake-seed",
        dest="sgp_fake_seed",
        default=None,
        metavar="SEED",
        help="run every sgp_fake in deterministic mode with this seed (int or string)",
    )
    parser.addini(
        "sgp_fake_seed",
        "seed of deterministic mode for every sgp_fake (overridden by --sgp-fake-seed)",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(api_keys=None, api_key=None, strict=False, seed=None, max_body_size=None, "
        "journal_limit=10000, intercept_defaults=True, deployment_ready_after=0, "
        "gateway_models=(), gateway_builtin_models=True, responses=(), faults=(), "
        "serve_admin=False, assert_all_used=False): "
        "configure this test's sgp_fake: API keys (mapping of key to Identity, user id or "
        "Identity fields), the key its clients send, strict validation, deterministic mode with "
        "a seed, the body size limit, the journal's length (None: no limit), whether "
        "sgp_fake_intercept also intercepts the real service's URL and $SGP_CLIENT_BASE_URL "
        "(False: only "
        "sgp_fake_base_urls), how many seconds of the fake's clock a deployment made with "
        "wait_for_ready=False stays PENDING, the vendor/name models the OpenAI-style gateway "
        "serves beside (or, with gateway_builtin_models=False, instead of) its catalog (a "
        "list, or one name), and scripted responses (dicts of SGPFake.respond's "
        "arguments: a list, or one dict), tried before those of the sgp_fake_responses "
        "fixture; fault rules (dicts of fake.faults.add's arguments, the fields of POST "
        "/_fake/faults: a list, or one dict); whether "
        "sgp_fake_server also serves the admin API under /_fake (for a subprocess or a "
        "non-Python client to script answers over HTTP), and whether the test fails at teardown "
        "when a fault rule or scripted response was never used. The arguments apply on top of "
        "overriding sgp_fake_settings and sgp_fake_seed fixtures (the fake gets a copy of the "
        "fixture's settings with the marker's changes; the marker's seed wins).",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = _configured_seed(config)
    return None if seed is None else f"sgp-fake: deterministic mode, seed {seed!r}"


_CONFIGURATION_FIXTURES = ("sgp_fake_settings", "sgp_fake_seed", "sgp_fake_responses")


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # sgp_fake and sgp_factory ask for the configuration fixtures only when needed (see
    # _configuration), so they are not in a test's fixture closure; a test that parametrizes
    # one of them puts it there, as when sgp_fake depended on them.
    names = metafunc.fixturenames
    if "sgp_fake" not in names and "sgp_factory" not in names:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [name.strip() for name in argnames.split(",")]
        for name in _CONFIGURATION_FIXTURES:
            if name in argnames and name not in names:
                names.append(name)
    for name in _CONFIGURATION_FIXTURES:
        _add_override(metafunc, name)


def _add_override(metafunc: pytest.Metafunc, name: str) -> None:
    """Put an overriding definition of the configuration fixture ``name``, and the fixtures it
    depends on, in the test's closure with their definitions, so that pytest parametrizes the
    test by those that have ``params`` (``@pytest.fixture(params=...)`` in a conftest): asked
    for at run time only, such a fixture would find no parameter in the test's ``callspec``."""
    names = metafunc.fixturenames
    if name in names:
        return  # in the closure already: pytest parametrizes it
    definitions: dict[str, Any] | None = getattr(metafunc, "_arg2fixturedefs", None)
    try:
        manager = metafunc.definition.session._fixturemanager
        overrides = manager.getfixturedefs(name, metafunc.definition)
    except (AttributeError, TypeError):  # another pytest's internals
        return
    if definitions is None or overrides is None or len(overrides) == 1:
        return  # this plugin's definition alone: it has no params
    waiting = [name]
    while waiting:
        argname = waiting.pop()
        if argname in names or argname == "request":
            continue
        found = manager.getfixturedefs(argname, metafunc.definition)
        if not found:
            continue  # pytest reports a missing fixture when it is asked for
        names.append(argname)
        definitions[argname] = found
        for fixturedef in found:
            waiting.extend(fixturedef.argnames)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call":
        item.stash[_CALL_OUTCOME_KEY] = report.outcome
    seeds = item.stash.get(_SEEDS_KEY, None)
    if seeds and report.failed:
        shown = ", ".join(f"{what} {seed!r}" for what, seed in seeds.items())
        report.sections.append(
            ("sgp-fake", f"{shown}; pass the seed with @pytest.mark.sgp_fake(seed=...) to replay")
        )
    if call.when == "call" and report.failed:
        _show_unused_rules(item, report)
    return report


def _show_unused_rules(item: pytest.Item, report: pytest.TestReport) -> None:
    """Name, in a failed test's report, the rules of its fake that never fired or answered: a
    script that matched nothing (a wrong model, turn or prompt) is often why the code under test
    got the default answer and the test failed."""
    fake = getattr(item, "funcargs", {}).get("sgp_fake")
    if fake is None:
        return
    from .fake import SGPFake

    if isinstance(fake, SGPFake) and (unused := fake.unused_rules()):
        report.sections.append(("sgp-fake: rules never used", "\n".join(unused)))


# -- configuration ----------------------------------------------------------------------------


def _parse_seed(value: str | None) -> int | str | None:
    if value is None or value == "":
        return None
    value = value.strip()
    try:
        return int(value)
    except ValueError:
        return value


def _configured_seed(config: pytest.Config) -> int | str | None:
    """The run's seed from ``--sgp-fake-seed`` or the ini file, read once per test run."""
    cached = config.stash.get(_CONFIGURED_SEED_KEY, _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    seed = _parse_seed(config.getoption("sgp_fake_seed", None))
    if seed is None:
        seed = _parse_seed(config.getini("sgp_fake_seed"))
    config.stash[_CONFIGURED_SEED_KEY] = seed
    return seed


def _randomly_seed(request: pytest.FixtureRequest) -> str | None:
    """This test's seed under pytest-randomly (its run-wide seed and the test's id), if active."""
    config = request.config
    if not config.pluginmanager.hasplugin("randomly"):
        return None
    seed = config.getoption("randomly_seed", None)
    if not isinstance(seed, int):
        return None
    return f"{seed}:{request.node.nodeid}"


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The test's ``sgp_fake`` marker arguments; a nearer marker wins over a farther one."""
    node = request.node
    cached: dict[str, Any] | None = node.stash.get(_OPTIONS_KEY, None)
    if cached is not None:
        return cached
    options: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only")
        unknown = set(marker.kwargs) - _MARKER_KWARGS
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} got unknown argument(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(_MARKER_KWARGS))}"
            )
        options.update(marker.kwargs)
    _check_kinds(options)
    node.stash[_OPTIONS_KEY] = options
    return options


_MARKER_FLAGS = (
    "strict",
    "intercept_defaults",
    "gateway_builtin_models",
    "serve_admin",
    "assert_all_used",
)


def _check_kinds(options: Mapping[str, Any]) -> None:
    """Refuse the marker's switches and seed of another kind, rather than read them as what
    they are not (``strict="false"`` as true, a list as a seed)."""
    for name in _MARKER_FLAGS:
        if name in options and not isinstance(options[name], bool):
            raise pytest.UsageError(f"sgp-fake: {name}: True or False, not {options[name]!r}")
    seed = options.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, (int, str, type(None))):
        raise pytest.UsageError(f"sgp-fake: seed: a whole number or a string, not {seed!r}")


def _listed(name: str, value: Any, single: type) -> list[Any]:
    """A list-valued option as a list: one ``single`` (a string, a mapping) given alone is a
    list of one, not iterated (a string by character, a mapping by key); anything but those
    and a collection of them is a usage error naming ``name``."""
    if isinstance(value, single):
        return [value]
    kind = "string" if single is str else "dict"
    if not isinstance(value, (str, bytes, Mapping)) and isinstance(value, Iterable):
        items = list(value)
        if all(isinstance(item, single) for item in items):
            return items
    raise pytest.UsageError(f"sgp-fake: {name}: a {kind} or a list of them, not {value!r}")


def _identity(value: Identity | str | Mapping[str, Any]) -> Identity:
    from .settings import Identity

    if isinstance(value, Identity):
        return value
    if isinstance(value, str):
        return Identity(user_id=value)
    fields = dict(value)
    if fields.get("accounts") is not None:
        fields["accounts"] = frozenset(fields["accounts"])
    return Identity(**fields)


def _remember_seed(request: pytest.FixtureRequest, what: str, seed: int | str) -> None:
    item = request.node
    seeds = item.stash.get(_SEEDS_KEY, None)
    if seeds is None:
        seeds = item.stash[_SEEDS_KEY] = {}
    seeds[what] = seed


def _finish(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never suspends (closing an in-process client) without a loop."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    # It wanted a loop; an in-process client holds nothing that needs it, so drop it.
    coroutine.close()


def _api_key(fake: SGPFake) -> str:
    """The key clients send: the marker's ``api_key``, else the fake's first configured key,
    else :data:`~sgp_fake.DEFAULT_API_KEY`.

    The client fixtures ask the fake rather than the test: ``sgp_fake`` keeps the marker's
    arguments with the fake it makes, so that they need not depend on ``request`` (each
    dependency costs every test that uses them pytest's time). A fake of a conftest's own
    ``sgp_fake`` fixture is configured by that fixture: its clients send its first key.
    """
    key = _marker_options(fake).get("api_key")
    if key:
        return str(key)
    if fake.settings.api_keys:
        return next(iter(fake.settings.api_keys))
    from .fake import DEFAULT_API_KEY

    return DEFAULT_API_KEY


def _marker_options(fake: SGPFake) -> Mapping[str, Any]:
    """The marker's arguments of the test ``sgp_fake`` made ``fake`` for (none for another)."""
    return _MARKER_OPTIONS.get(fake) or {}


def _require_sdk() -> None:
    try:
        with needs_sdk():  # a clear error for an import under freezegun
            import scale_gp  # noqa: F401
    except ImportError:
        pytest.skip(SDK_MISSING)


def _require_beta_sdk() -> None:
    try:
        with needs_sdk():
            import scale_gp_beta  # noqa: F401
    except ImportError:
        pytest.skip(BETA_SDK_MISSING)


# -- configuration fixtures (override them in a conftest) -------------------------------------


def _default_seed(request: pytest.FixtureRequest) -> int | str | None:
    options = _options(request)
    if "seed" in options:
        seed: int | str | None = options["seed"]
        return seed
    return _configured_seed(request.config)


def _marker_settings(options: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`~sgp_fake.FakeSettings` fields the marker's arguments set."""
    fields: dict[str, Any] = {}
    if options.get("api_keys") is not None:
        fields["api_keys"] = _marker_keys(options["api_keys"])
    if "strict" in options:
        fields["strict"] = bool(options["strict"])
    if options.get("max_body_size") is not None:
        fields["max_body_size"] = _marker_count("max_body_size", options["max_body_size"])
    if options.get("deployment_ready_after") is not None:
        fields["deployment_ready_after"] = _marker_seconds(
            "deployment_ready_after", options["deployment_ready_after"]
        )
    if options.get("gateway_models") is not None:
        from .resources.gateway.catalog import check_name

        try:
            models = _listed("gateway_models", options["gateway_models"], str)
            fields["gateway_models"] = tuple(map(check_name, models))
        except ValueError as exc:
            raise pytest.UsageError(f"sgp-fake: gateway_models: {exc}") from None
    if "gateway_builtin_models" in options:
        fields["gateway_builtin_models"] = bool(options["gateway_builtin_models"])
    return fields


def _marker_keys(value: Any) -> dict[str, Identity]:
    """The marker's ``api_keys``: a mapping of key to identity, else a usage error saying so."""
    if not isinstance(value, Mapping):
        raise pytest.UsageError(
            "sgp-fake: api_keys: a mapping of API key to an Identity, a user id or a dict of "
            f"Identity fields, not {type(value).__name__}"
        )
    keys: dict[str, Identity] = {}
    for key, who in value.items():
        if not isinstance(key, str) or not key:
            raise pytest.UsageError(f"sgp-fake: api_keys: a key is a non-empty string, not {key!r}")
        try:
            keys[key] = _identity(who)
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"sgp-fake: api_keys: key {key!r}: {exc}") from None
    return keys


def _marker_count(name: str, value: Any) -> int:
    """A marker argument that counts (bytes, entries): a whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise pytest.UsageError(f"sgp-fake: {name}: a whole number, 0 or more, not {value!r}")
    return value


def _marker_seconds(name: str, value: Any) -> float:
    """A marker argument in seconds: a finite number, 0 or more (as the command line's)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise pytest.UsageError(f"sgp-fake: {name}: a number of seconds, 0 or more, not {value!r}")
    return float(value)


def _default_settings(request: pytest.FixtureRequest) -> FakeSettings:
    """This test's settings from its marker; the same object however often it is asked for."""
    node = request.node
    settings: FakeSettings | None = node.stash.get(_SETTINGS_KEY, None)
    if settings is not None:
        return settings
    from .settings import FakeSettings

    settings = FakeSettings()
    for name, value in _marker_settings(_options(request)).items():
        setattr(settings, name, value)
    node.stash[_SETTINGS_KEY] = settings
    return settings


def _settings(request: pytest.FixtureRequest) -> FakeSettings:
    """The settings of this test's fake: ``sgp_fake_settings``'s, with the marker's arguments
    on top (the marker is the test's own; an overriding fixture is a directory's, a module's or
    a class's). Where the marker changes a field, the fake gets a copy: the fixture's object,
    which a conftest may share between tests, is left as it was."""
    settings: FakeSettings = _configuration(request, "sgp_fake_settings", _default_settings)
    own: FakeSettings | None = request.node.stash.get(_SETTINGS_KEY, None)
    if own is not None and settings is own:
        return own  # the marker's own settings: its arguments are applied already
    changes = {
        name: value
        for name, value in _marker_settings(_options(request)).items()
        if getattr(settings, name) != value
    }
    if changes:
        settings = copy.copy(settings)
        for name, value in changes.items():
            setattr(settings, name, value)
    return settings


def _seed(request: pytest.FixtureRequest) -> int | str | None:
    """The seed of this test's fake and factory: the marker's, else ``sgp_fake_seed``'s."""
    options = _options(request)
    if "seed" in options:
        seed: int | str | None = options["seed"]
        return seed
    configured: int | str | None = _configuration(request, "sgp_fake_seed", _default_seed)
    return configured


def _configuration(request: pytest.FixtureRequest, name: str, default: Callable[[Any], Any]) -> Any:
    """The value of the configuration fixture ``name`` for this test.

    ``sgp_fake`` and ``sgp_factory`` do not depend on the configuration fixtures: every fixture in
    a test's graph costs pytest time, and they are nearly never overridden. When one is overridden
    (in a conftest, a module, a class, or by parametrizing it) or the test asks for it, it is
    requested from pytest as usual; otherwise its default is computed directly, as the default
    fixture itself would.
    """
    if name in request.fixturenames or _overridden(request, name) or _parametrized(request, name):
        return request.getfixturevalue(name)
    return default(request)


def _all_defaults(request: pytest.FixtureRequest) -> bool:
    """Whether :func:`_configuration` gives every configuration fixture its default for this
    test: none asked for, overridden or parametrized (nearly every test), checked at once."""
    if getattr(request.node, "callspec", None) is not None:
        return False  # parametrized: ask for each (see _configuration)
    names = request.fixturenames
    return not any(name in names or _overridden(request, name) for name in _CONFIGURATION_FIXTURES)


def _parametrized(request: pytest.FixtureRequest, name: str) -> bool:
    callspec = getattr(request.node, "callspec", None)
    return callspec is not None and name in callspec.params


def _overridden(request: pytest.FixtureRequest, name: str) -> bool:
    """Whether a definition of fixture ``name`` other than this plugin's applies to the test."""
    # Which definitions apply depends on where the test is (conftests, module, class), that
    # is on its parent: asked once per module or class rather than for every test.
    node = request.node
    parent = getattr(node, "parent", None)
    cache: dict[str, bool] | None = (
        None if parent is None else parent.stash.setdefault(_OVERRIDDEN_KEY, {})
    )
    if cache is not None and name in cache:
        return cache[name]
    try:
        definitions = request._fixturemanager.getfixturedefs(name, node)
    except (AttributeError, TypeError):  # another pytest's internals: ask pytest every time
        return True
    overridden = definitions is None or len(definitions) != 1
    if cache is not None:
        cache[name] = overridden
    return overridden


@pytest.fixture
def sgp_fake_seed(request: pytest.FixtureRequest) -> int | str | None:
    """Seed of deterministic mode, or ``None`` for real time and random ids.

    From the ``sgp_fake`` marker's ``seed``, else ``--sgp-fake-seed``, else the
    ``sgp_fake_seed`` ini option. Override it to make a whole directory deterministic; a test
    whose marker has a ``seed`` still gets that one (the fake and ``sgp_factory`` do; this
    fixture gives what the override returns).
    """
    return _default_seed(request)


@pytest.fixture
def sgp_fake_settings(request: pytest.FixtureRequest) -> FakeSettings:
    """The :class:`~sgp_fake.FakeSettings` of this test's fake, from the marker.

    Override it to configure a whole directory. A test's marker arguments still apply, on top:
    where they change a field, the fake gets a copy of the override's object with the changes
    (the object itself is left as it was), so ``sgp_fake.settings`` is what the fake uses.
    """
    return _default_settings(request)


def _no_responses(request: pytest.FixtureRequest) -> list[Mapping[str, Any]]:
    return []


@pytest.fixture
def sgp_fake_responses(request: pytest.FixtureRequest) -> list[Mapping[str, Any]]:
    """Scripted responses every test's fake starts with (dicts of ``SGPFake.respond``'s
    arguments; one dict alone is one response); none by default. Override it in a conftest for
    a directory; a test's marker ``responses`` are tried before these."""
    return _no_responses(request)


@pytest.fixture
def sgp_fake_base_urls() -> list[str]:
    """Base URLs ``sgp_fake_intercept`` routes to the fake in addition to the real service's
    and ``$SGP_CLIENT_BASE_URL``, which stay intercepted (none by default): a list, or one URL
    as a string. Only ``@pytest.mark.sgp_fake(intercept_defaults=False)`` limits interception
    to these."""
    return []


# -- the fake and its clients -----------------------------------------------------------------


@pytest.fixture
def sgp_fake(request: pytest.FixtureRequest) -> Iterator[SGPFake]:
    """A fresh, empty fake for this test: ``.store``, ``.settings``, ``.journal``, ``.faults``.

    With a seed (see ``sgp_fake_seed``) ids and ``created_at`` are deterministic. Without one,
    under pytest-randomly, ids follow its seed. Status fault rules answer ``retry-after-ms: 1``
    unless they say otherwise (``faults.default_retry_after_ms``), so the SDK's retries after an
    injected error take a millisecond instead of its back-off of half a second and more.
    With the marker's ``assert_all_used=True``, a test that passed fails at teardown if one of
    its fault rules or scripted responses was never used (:meth:`SGPFake.assert_all_used`).
    """
    from .fake import SGPFake

    defaults = _all_defaults(request)
    if defaults:
        sgp_fake_settings = _default_settings(request)
        sgp_fake_seed = _default_seed(request)
    else:
        sgp_fake_settings = _settings(request)
        sgp_fake_seed = _seed(request)
    kwargs: dict[str, Any] = {}
    if sgp_fake_seed is not None:
        from .deterministic import deterministic

        kwargs.update(deterministic(sgp_fake_seed))
    else:
        randomly = _randomly_seed(request)
        if randomly is not None:
            from .clock import seeded_ids

            kwargs["id_generator"] = seeded_ids(randomly)
            _remember_seed(request, "ids seed", randomly)
    options = _options(request)
    if "journal_limit" in options:
        limit = options["journal_limit"]
        kwargs["journal_limit"] = None if limit is None else _marker_count("journal_limit", limit)
    fake = SGPFake(sgp_fake_settings, **kwargs)
    if options:
        _MARKER_OPTIONS[fake] = options
    fake.faults.default_retry_after_ms = 1
    _script(fake, request, options, defaults)
    yield fake
    # Only a test that passed: one skipped or xfailed (in its call, or before it in setup) may
    # well have stopped before the code that would use its rules.
    if options.get("assert_all_used") and request.node.stash.get(_CALL_OUTCOME_KEY, "") == "passed":
        unused = fake.unused_rules()
        if unused:
            pytest.fail(
                f"sgp-fake: {len(unused)} rule(s) never used (assert_all_used=True):\n"
                + "\n".join(f"  {rule}" for rule in unused),
                pytrace=False,
            )


def _script(
    fake: SGPFake, request: pytest.FixtureRequest, options: Mapping[str, Any], defaults: bool
) -> None:
    """Give a test's fake the scripted responses and fault rules its marker and the
    ``sgp_fake_responses`` fixture name; what the fake refuses is a usage error."""
    responses = _listed("responses", options.get("responses") or (), Mapping)
    configured = (
        []
        if defaults
        else _listed(
            "sgp_fake_responses",
            _configuration(request, "sgp_fake_responses", _no_responses),
            Mapping,
        )
    )
    for rule in (*responses, *configured):
        try:
            fake.respond(**rule)
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"sgp-fake: not a scripted response: {rule!r}: {exc}") from exc
    for spec in _listed("faults", options.get("faults") or (), Mapping):
        try:
            fake.faults.add(**spec)
        except (TypeError, ValueError, AttributeError) as exc:  # a field of the wrong type
            raise pytest.UsageError(f"sgp-fake: not a fault rule: {spec!r}: {exc}") from exc


@pytest.fixture
def sgp_fake_client(sgp_fake: SGPFake) -> Iterator[httpx.Client]:
    """An ``httpx.Client`` to ``sgp_fake`` in process (base URL and API key set)."""
    with sgp_fake.client(api_key=_api_key(sgp_fake)) as client:
        yield client


@pytest.fixture
def sgp_fake_async_client(sgp_fake: SGPFake) -> Iterator[httpx.AsyncClient]:
    """An ``httpx.AsyncClient`` to ``sgp_fake`` in process (base URL and API key set).

    A plain fixture: it works with pytest-asyncio in strict and auto mode, and with anyio.
    """
    client = sgp_fake.async_client(api_key=_api_key(sgp_fake))
    yield client
    _finish(client.aclose())


@pytest.fixture
def sgp_client(sgp_fake: SGPFake) -> Iterator[SGPClient]:
    """The official ``scale_gp.SGPClient``, in process to ``sgp_fake``.

    Skips when ``scale-gp`` is not installed (``pip install sgp-fake[sdk]``).
    """
    _require_sdk()
    client = sgp_fake.sdk_client(api_key=_api_key(sgp_fake))
    yield client
    client.close()


@pytest.fixture
def sgp_beta_client(sgp_fake: SGPFake) -> Iterator[SGPBetaClient]:
    """The v5 SDK's ``scale_gp_beta.SGPClient``, in process to ``sgp_fake``, selecting the
    key's first account (else ``acct_1``).

    Skips when ``scale-gp-beta`` is not installed (``pip install sgp-fake[sdk]``).
    """
    _require_beta_sdk()
    api_key = _api_key(sgp_fake)
    client = sgp_fake.beta_client(api_key=api_key, account_id=sgp_fake.account_for(api_key))
    yield client
    client.close()


@pytest.fixture
def sgp_async_beta_client(sgp_fake: SGPFake) -> Iterator[AsyncSGPBetaClient]:
    """The v5 SDK's ``scale_gp_beta.AsyncSGPClient``, in process to ``sgp_fake``.

    Skips when ``scale-gp-beta`` is not installed (``pip install sgp-fake[sdk]``).
    """
    _require_beta_sdk()
    api_key = _api_key(sgp_fake)
    client = sgp_fake.async_beta_client(api_key=api_key, account_id=sgp_fake.account_for(api_key))
    yield client
    _finish(client.close())


@pytest.fixture
def sgp_traces(sgp_fake: SGPFake) -> Iterator[Traces]:
    """``scale_gp_beta.lib.tracing`` sending to ``sgp_fake`` in process, and the traces it
    received as trees (flushed before every read): ``sgp_traces.last().assert_shape(...)``.

    The library sends with the key and for the account ``sgp_beta_client`` uses (the key's
    first account, else ``acct_1``), with tracing on even where ``DISABLE_SCALE_TRACING`` is
    set (the spans go to the fake only). At teardown, what is still queued is delivered to this
    test's fake, then the library is put back as it was before (its queue manager and client,
    the exporter's back-off, the disabled flag): the next test's code finds it as if this
    fixture never ran. Skips when ``scale-gp-beta`` is not installed.
    """
    with needs_sdk():
        pytest.importorskip("scale_gp_beta", reason="the tracing library needs scale-gp-beta")
    from .extras.traces import init_tracing, save_tracing

    restore = save_tracing()
    try:
        api_key = _api_key(sgp_fake)
        traces = init_tracing(sgp_fake, account_id=sgp_fake.account_for(api_key), api_key=api_key)
        yield traces
        traces.flush()  # what the test left queued goes to its own fake, not the next test's
    finally:
        restore()


@pytest.fixture
def sgp_async_client(sgp_fake: SGPFake) -> Iterator[AsyncSGPClient]:
    """The official ``scale_gp.AsyncSGPClient``, in process to ``sgp_fake``.

    Skips when ``scale-gp`` is not installed (``pip install sgp-fake[sdk]``).
    """
    _require_sdk()
    client = sgp_fake.async_sdk_client(api_key=_api_key(sgp_fake))
    yield client
    _finish(client.close())


@pytest.fixture
def sgp_factory(request: pytest.FixtureRequest) -> TemplateFactory:
    """A :class:`~sgp_fake.factories.TemplateFactory` for this test.

    Seeded with ``sgp_fake_seed`` when set, else with pytest-randomly's seed for this test when
    that plugin is active, else at random; a failing test's report shows the seed.
    """
    from .factories import TemplateFactory

    seed = _seed(request)
    if seed is None:
        seed = _randomly_seed(request)
    if seed is None:
        seed = random.getrandbits(32)
    _remember_seed(request, "factory seed", seed)
    return TemplateFactory(seed)


# -- the live server --------------------------------------------------------------------------


class _CurrentFake:
    """ASGI app that forwards to the fake of the running test."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        if app is not None:
            await app(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        body = b'{"detail":"No test is using sgp_fake_server right now"}'
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(body)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@dataclass
class _SharedServer:
    server: LiveServer
    current: _CurrentFake

    @property
    def url(self) -> str:
        return self.server.url


@dataclass
class LiveFake:
    """The fake of this test on a real loopback socket (what ``sgp_fake_server`` gives)."""

    fake: SGPFake
    url: str
    """Base URL, e.g. ``http://127.0.0.1:54321``."""
    api_key: str
    """The API key the client fixtures send in this test."""
    account_id: str = "acct_1"
    """The account ``sgp_beta_client`` selects in this test (the key's first account)."""

    @property
    def store(self) -> ModelTemplateStore:
        """The fake's store."""
        return self.fake.store

    @property
    def journal(self) -> Journal:
        """The fake's request journal."""
        return self.fake.journal

    @property
    def settings(self) -> FakeSettings:
        """The fake's settings."""
        return self.fake.settings

    @property
    def faults(self) -> FaultRules:
        """The fake's fault rules."""
        return self.fake.faults

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` over the socket, base URL and API key set."""
        import httpx

        headers = {"x-api-key": self.api_key, **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.url, headers=headers, **kwargs)

    def env(self) -> dict[str, str]:
        """Environment variables that point both official SDKs (or a subprocess) here.

        ``SGP_ACCOUNT_ID`` too: the v5 SDK refuses to start without an account, and sends it
        with every request.
        """
        return {
            "SGP_CLIENT_BASE_URL": self.url,
            "SGP_API_KEY": self.api_key,
            "SGP_ACCOUNT_ID": self.account_id,
        }


@pytest.fixture(scope="session")
def sgp_fake_live_server() -> Iterator[_SharedServer]:
    """The test run's loopback server (uvicorn in a thread, free port); use ``sgp_fake_server``."""
    from .live_server import LiveServer

    current = _CurrentFake()
    server = LiveServer(current).start()
    try:
        yield _SharedServer(server, current)
    finally:
        server.stop()


@pytest.fixture
def sgp_fake_server(sgp_fake_live_server: _SharedServer, sgp_fake: SGPFake) -> Iterator[LiveFake]:
    """This test's ``sgp_fake`` served over HTTP on 127.0.0.1, for code that opens its own
    connections or runs in a subprocess. The server starts once per test run (per xdist
    worker); each test sees only its own, fresh fake. With the marker's ``serve_admin=True`` it also
    serves the admin API under ``/_fake`` (scripted responses, faults, the journal), so a
    subprocess or a non-Python client can script the fake over HTTP."""
    from .core.access import serve_with

    admin = bool(_marker_options(sgp_fake).get("serve_admin", False))
    app = sgp_fake._build_app(admin=True) if admin else sgp_fake.app
    # The test's app under the server's policy, as LiveServer(fake.app) serves it: the app
    # then knows it answers a socket, so a client that gives up during an injected latency is
    # journaled timed_out, as on any other server of the fake.
    sgp_fake_live_server.current.app = serve_with(app, sgp_fake_live_server.server.access)
    try:
        api_key = _api_key(sgp_fake)
        yield LiveFake(sgp_fake, sgp_fake_live_server.url, api_key, sgp_fake.account_for(api_key))
    finally:
        sgp_fake_live_server.current.app = None


# -- interception -----------------------------------------------------------------------------


@pytest.fixture
def sgp_fake_intercept(
    request: pytest.FixtureRequest,
    sgp_fake: SGPFake,
    sgp_fake_base_urls: Sequence[str] | str,
) -> Iterator[Interceptor]:
    """Route httpx (and httpx2, the openai client's, and the SDKs' aiohttp client's) requests
    for the real SGP base URL, ``$SGP_CLIENT_BASE_URL`` and the URLs of ``sgp_fake_base_urls``
    to ``sgp_fake``, for code under test that builds its own client. A request to those
    hosts that the fake cannot serve fails the test; nothing reaches the network. Other hosts
    are left alone. ``@pytest.mark.sgp_fake(intercept_defaults=False)`` intercepts only
    ``sgp_fake_base_urls``. Apply it to a whole module with
    ``pytestmark = pytest.mark.usefixtures(...)``. Beside pytest-httpx's ``httpx_mock``, named
    before or after it, the SGP hosts reach the fake and the other hosts ``httpx_mock``."""
    from .intercept import Interceptor

    base_urls: list[str] = _listed("sgp_fake_base_urls", sgp_fake_base_urls, str)
    defaults = bool(_options(request).get("intercept_defaults", True))
    if not defaults and not base_urls:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}(intercept_defaults=False) leaves sgp_fake_intercept nothing "
            "to intercept: override sgp_fake_base_urls with the base URLs to intercept"
        )

    def fail(unhandled: httpx.Request) -> NoReturn:
        pytest.fail(
            f"sgp-fake: {unhandled.method} {unhandled.url} is on an intercepted SGP host but the "
            "fake has no route for it (the request was not sent)",
            pytrace=False,
        )

    interceptor = Interceptor(
        sgp_fake,
        base_urls,
        include_default=defaults,
        include_env=defaults,
        on_unhandled=fail,
    )
    if "httpx_mock" in request.fixturenames:
        # pytest-httpx's fixture replaces the same transport methods: set up after these
        # patches, it would answer the SGP hosts too; set up first, it gets the other hosts.
        request.getfixturevalue("httpx_mock")
    # Undone at this fixture's teardown, not at the monkeypatch fixture's (often set up first,
    # by an autouse fixture, so torn down last): a fixture set up before this one that patched
    # the same methods (a vcrpy cassette, OpenTelemetry's httpx instrumentation) restores them
    # at its own teardown, after this one, and finds its patch still in place to undo.
    patches = pytest.MonkeyPatch()
    for owner, name, replacement in interceptor.patches():
        patches.setattr(owner, name, replacement)
    interceptor.activate()
    try:
        yield interceptor
    finally:
        interceptor.deactivate()
        patches.undo()
    if interceptor.unhandled and request.node.stash.get(_CALL_OUTCOME_KEY, "") != "failed":
        # The code under test swallowed the failure: report it anyway.
        unhandled = interceptor.unhandled[0]
        pytest.fail(
            f"sgp-fake: {len(interceptor.unhandled)} request(s) the fake cannot serve, first "
            f"{unhandled.method} {unhandled.url}",
            pytrace=False,
        )
