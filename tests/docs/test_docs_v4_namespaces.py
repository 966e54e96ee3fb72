"""The v4 SDK guide names every namespace of ``scale_gp.SGPClient`` as served or not served,
and says so truly: each route a served namespace calls has an operation of the fake, and no
route of a namespace said not served has one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sgp_fake import SGPFake

scale_gp = pytest.importorskip("scale_gp")

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "v4-sdk.md"
# What the SDK's resources send: self._post("/v4/...") or self._get(path_template("/v4/...")).
CALL = re.compile(
    r'self\._(get|post|put|patch|delete|get_api_list)\(\s*(?:path_template\()?\s*f?"([^"]+)"'
)


def _sdk_routes() -> dict[str, set[tuple[str, str]]]:
    """The routes each namespace of the SDK calls, by the namespace as the guide names it:
    ``knowledge_bases`` for everything under it, ``beta.chat`` for the beta namespaces."""
    resources = Path(scale_gp.__file__).parent / "resources"
    routes: dict[str, set[tuple[str, str]]] = {}
    for source in resources.rglob("*.py"):
        parts = source.relative_to(resources).with_suffix("").parts
        if parts[-1] == "__init__":
            continue
        namespace = ".".join(parts[:2]) if parts[0] == "beta" else parts[0]
        for call, path in CALL.findall(source.read_text(encoding="utf-8")):
            method = "GET" if call == "get_api_list" else call.upper()
            routes.setdefault(namespace, set()).add((method, path))
    return routes


def _listed(label: str) -> set[str]:
    section = GUIDE.read_text(encoding="utf-8").split("<!-- sdk-namespaces")[1]
    section = section.split("<!-- /sdk-namespaces -->")[0]
    item = section.split(f"- {label}:")[1].split("\n- ")[0]
    return {name.split(".")[0] if name.startswith("models.") else name
            for name in re.findall(r"`([a-z_.]+)`", item)}  # fmt: skip


def test_the_guide_says_which_sdk_namespaces_the_fake_serves() -> None:
    fake = SGPFake()
    served: set[str] = set()
    not_served: set[str] = set()
    with fake.client() as client:
        for namespace, routes in _sdk_routes().items():
            operations = set()
            for method, path in routes:
                client.request(method, re.sub(r"\{[^}]+\}", "x1", path), json={})
                operations.add(fake.journal.last().operation is not None)
            assert len(operations) == 1, f"{namespace} is served in part"
            (served if operations == {True} else not_served).add(namespace)
    assert _listed("Served") == served
    assert _listed("Not served") == not_served
