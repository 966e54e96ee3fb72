"""The public surface: what ``sgp_fake`` exports is importable, documented and typed."""

from __future__ import annotations

import importlib
from pathlib import Path

import sgp_fake

EXPECTED = {
    "DEFAULT_API_KEY",
    "DEFAULT_BASE_URL",
    "DEFAULT_IDENTITY",
    "AsyncFakeTransport",
    "ConnectionFault",
    "FakeHTTPError",
    "FakeSettings",
    "FakeTransport",
    "FaultRule",
    "Identity",
    "Journal",
    "JournalEntry",
    "LiveServer",
    "ModelTemplateStore",
    "RateLimit",
    "SGPFake",
    "StoredTemplate",
    "seeded_ids",
}


def test_all_is_the_public_surface() -> None:
    assert set(sgp_fake.__all__) >= EXPECTED
    for name in sgp_fake.__all__:
        assert hasattr(sgp_fake, name), name
    assert sorted(sgp_fake.__all__) == sorted(set(sgp_fake.__all__))


def test_dir_shows_only_the_public_names() -> None:
    for name in sgp_fake.__all__:
        getattr(sgp_fake, name)  # every submodule with a public name is loaded...
    # ...and left behind as an attribute of the package, as are the package's own helpers.
    assert {"fake", "core", "annotations", "importlib"} <= set(vars(sgp_fake))
    names = set(dir(sgp_fake))
    assert {n for n in names if not (n.startswith("__") and n.endswith("__"))} == set(
        sgp_fake.__all__
    )
    assert {"__doc__", "__version__", "__all__"} <= names


def test_public_classes_and_functions_have_docstrings() -> None:
    for name in sgp_fake.__all__:
        obj = getattr(sgp_fake, name)
        if callable(obj):
            assert obj.__doc__, f"{name} has no docstring"


def test_every_module_declares_all() -> None:
    package = Path(sgp_fake.__file__).parent
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not parts or parts[-1].startswith("_") or parts == ("plugin",):
            continue  # the package itself (tested above), private modules; the plugin's surface
        name = ".".join(("sgp_fake", *parts))
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), f"{name} has no __all__"
        for public in module.__all__:
            assert hasattr(module, public), f"{name}.__all__ names {public!r}, which it lacks"


def test_package_is_typed() -> None:
    assert (Path(sgp_fake.__file__).parent / "py.typed").exists()
