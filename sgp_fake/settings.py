"""Who may call the fake (identities, and the API keys that name them: ``--api-key`` and
``--api-keys-file`` of ``sgp-fake serve`` are parsed here), and how strictly it validates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

__all__ = [
    "DEFAULT_IDENTITY",
    "DEFAULT_MAX_BODY_SIZE",
    "GATEWAY_VENDORS",
    "FakeSettings",
    "Identity",
    "load_api_keys",
    "parse_api_key",
]

DEFAULT_MAX_BODY_SIZE = 1024 * 1024


GATEWAY_VENDORS = (
    "openai",
    "cohere",
    "vertex_ai",
    "anthropic",
    "azure",
    "gemini",
    "launch",
    "llmengine",
    "model_zoo",
    "bedrock",
    "xai",
    "fireworks_ai",
)
"""The vendors a gateway model's ``vendor/name`` may name (the SDK's ``model_vendor`` enum)."""


@dataclass(frozen=True)
class Identity:
    """The caller behind an API key.

    ``accounts`` lists the accounts the identity may use; ``None`` means every account.
    """

    user_id: str
    identity_type: Literal["user", "service_account"] = "user"
    accounts: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.identity_type not in ("user", "service_account"):
            raise ValueError(
                f"identity_type must be 'user' or 'service_account', not {self.identity_type!r}"
            )
        if self.accounts is not None and not isinstance(self.accounts, frozenset):
            object.__setattr__(self, "accounts", frozenset(self.accounts))

    def may_use(self, account_id: str) -> bool:
        """Whether this identity may read and write templates of ``account_id``."""
        return self.accounts is None or account_id in self.accounts


DEFAULT_IDENTITY = Identity(user_id="user_sgp_fake")
"""Who any API key maps to when the fake is not configured with keys."""


def parse_api_key(spec: str) -> tuple[str, Identity]:
    """Parse ``KEY[=USER[:TYPE[:ACCOUNT,...]]]`` into the key and its identity."""
    key, sep, rest = spec.partition("=")
    # Spaces around a part are layout, never part of a key (a header value loses them) or an id.
    key = key.strip()
    if not key:
        raise ValueError(f"{spec!r}: the key is empty")
    if not sep:
        return key, DEFAULT_IDENTITY
    parts = [part.strip() for part in rest.split(":", 2)]
    user = parts[0]
    if not user:
        raise ValueError(f"{spec!r}: the user id is empty")
    identity_type: Literal["user", "service_account"]
    kind = parts[1] if len(parts) > 1 and parts[1] else "user"
    if kind == "user":
        identity_type = "user"
    elif kind == "service_account":
        identity_type = "service_account"
    else:
        raise ValueError(f"{spec!r}: the type must be 'user' or 'service_account'")
    accounts: frozenset[str] | None = None
    if len(parts) > 2:
        accounts = frozenset(a.strip() for a in parts[2].split(",") if a.strip())
        if not accounts:
            raise ValueError(f"{spec!r}: the account list is empty")
    return key, Identity(user, identity_type, accounts)


def _identity_from_json(key: str, value: Any) -> Identity:
    if not isinstance(value, dict):
        raise ValueError(f"key {key!r}: expected an object with user_id")
    unknown = set(value) - {"user_id", "identity_type", "accounts"}
    if unknown:
        raise ValueError(f"key {key!r}: unknown field(s) {', '.join(sorted(unknown))}")
    user = value.get("user_id", DEFAULT_IDENTITY.user_id)
    identity_type = value.get("identity_type", "user")
    accounts = value.get("accounts")
    if not isinstance(user, str) or not user:
        raise ValueError(f"key {key!r}: user_id must be a non-empty string")
    if identity_type not in ("user", "service_account"):
        raise ValueError(f"key {key!r}: identity_type must be 'user' or 'service_account'")
    if accounts is not None and (
        not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts)
    ):
        raise ValueError(f"key {key!r}: accounts must be a list of strings or null")
    return Identity(user, identity_type, None if accounts is None else frozenset(accounts))


def load_api_keys(path: str | Path) -> dict[str, Identity]:
    """Read a keys file (see ``sgp-fake serve --help``)."""
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        # JSON, but not the object of keys: read as lines, '[]' would be the one key.
        raise ValueError("a JSON keys file is an object of key to identity, not a list")
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys)
        except _GivenTwice as exc:
            raise ValueError(str(exc)) from None
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        return {key: _identity_from_json(key, value) for key, value in data.items()}
    keys: dict[str, Identity] = {}
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key, identity = parse_api_key(line)
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
        # A key listed twice is a mistake (two identities meant as one, or a copy left
        # behind): the later line would silently win, so say where both are.
        if key in lines:
            raise ValueError(f"line {number}: key {key!r} is already listed on line {lines[key]}")
        lines[key] = number
        keys[key] = identity
    return keys


class _GivenTwice(ValueError):
    """A JSON object of the keys file names a member twice (valid JSON, a wrong keys file)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members, refusing a name given twice (``json`` keeps the last)."""
    members: dict[str, Any] = {}
    for name, value in pairs:
        if name in members:
            raise _GivenTwice(f"{name!r} is given twice")
        members[name] = value
    return members


def _identities(api_keys: Mapping[str, Identity | str]) -> Mapping[str, Identity]:
    """``api_keys`` with each user id given as a string made its :class:`Identity`; the same
    mapping when there is none (a caller may keep it and change it later)."""
    bad = {k: v for k, v in api_keys.items() if not isinstance(v, (Identity, str))}
    if bad:
        key, value = next(iter(bad.items()))
        raise TypeError(
            f"api_keys[{key!r}] is a {type(value).__name__}: give an Identity or a user id"
        )
    if all(isinstance(identity, Identity) for identity in api_keys.values()):
        return api_keys  # type: ignore[return-value]  # all Identity, as checked
    return {k: v if isinstance(v, Identity) else Identity(v) for k, v in api_keys.items()}


@dataclass
class FakeSettings:
    """Settings of one fake instance; change them at any time, they apply to the next request.

    * ``api_keys``: ``None`` accepts any non-empty key as :data:`DEFAULT_IDENTITY`; a mapping
      accepts only its keys, each as its identity (an :class:`Identity`, or a user id given as
      a string, as the marker takes it).
    * ``strict``: reject unknown request fields (pydantic ``extra_forbidden``) instead of
      ignoring them as the real service does.
    * ``max_body_size``: bodies over this many bytes answer 413 before they are buffered (the
      admin API takes up to ``ADMIN_MAX_BODY_SIZE``, 1 GiB, or this if larger).
    * ``contract``: SDK contract mode; an id that does not exist answers as if a record with
      that id existed in the caller's account (a create under an unknown parent answers and
      stores nothing), so test suites written for stateless mock servers (which use made-up
      ids) pass. Requests are still validated.
    * ``latency``: seconds every SGP request waits before it is handled.
    * ``deployment_ready_after``: seconds of the fake's clock a model deployment created (or
      reconfigured) with ``wait_for_ready: false`` stays ``PENDING`` before it is ``READY``;
      0 (the default) makes it ``READY`` from the next request on.
    * ``gateway_models``: ``vendor/name`` models the OpenAI-style gateway
      (``/v5/chat/completions``, ``/v5/completions``, ``/v4/beta/...``) serves beside its
      built-in catalog, each of a vendor SGP knows (:data:`GATEWAY_VENDORS`; another is a
      ``ValueError``); ``gateway_builtin_models=False`` leaves
      only these (a test that wants every other name refused).
    """

    api_keys: Mapping[str, Identity] | None = None
    strict: bool = False
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    contract: bool = False
    latency: float = 0.0
    deployment_ready_after: float = 0.0
    gateway_models: Sequence[str] = ()
    gateway_builtin_models: bool = True

    def __post_init__(self) -> None:
        if self.api_keys is not None:
            self.api_keys = _identities(self.api_keys)
        if isinstance(self.gateway_models, str):
            raise TypeError("gateway_models is a sequence of vendor/name strings, not a string")
        for name in self.gateway_models:
            vendor, slash, rest = name.partition("/")
            if not (vendor and slash and rest):
                raise ValueError(f"gateway model {name!r} is not vendor/name")
            if vendor not in GATEWAY_VENDORS:
                raise ValueError(
                    f"{name!r}: unknown vendor {vendor!r} (one of {', '.join(GATEWAY_VENDORS)})"
                )

    def identity_for(self, api_key: str | None) -> Identity | None:
        """The identity an API key maps to, or ``None`` when the key is refused."""
        if not api_key:
            return None
        if self.api_keys is None:
            return DEFAULT_IDENTITY
        return self.api_keys.get(api_key)
