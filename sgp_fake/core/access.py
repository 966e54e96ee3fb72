"""Who may reach a fake over its socket: the Host, Origin and admin-token rules of a server.

A server on a developer's machine sits beside a browser. Any page the browser opens can send a
simple cross-site request (a form POST needs no preflight) to ``http://127.0.0.1:8000/_fake/reset``,
and a DNS-rebinding page (the attacker's own name, resolved to 127.0.0.1 after the page loaded) can
read ``/_fake/requests``, API keys in headers included. :class:`AccessPolicy` is the one scheme
that stops both, and every way of serving a fake uses it (``sgp-fake serve``,
:class:`~sgp_fake.LiveServer`, the pytest plugin's ``sgp_fake_server``):

* Bound to loopback, every request must name a loopback host in ``Host`` (``localhost``,
  ``127.0.0.1``, ``[::1]`` or the address bound, with any port), else 400: a rebinding page's
  requests name the attacker's host. An admin write (any method but GET and HEAD) that carries a
  browser's ``Origin`` must come from the server's own origin, the ``Host`` it was sent to, else
  403: that is what a cross-site form or ``fetch`` sends.
* Bound beyond loopback (``0.0.0.0``, as in a CI service container), clients name the server as
  they reach it, so ``Host`` says nothing; the admin API then needs ``Authorization: Bearer
  TOKEN``, else 401. A browser cannot send that header cross-site without a preflight, which the
  fake never grants.
* A token given on a loopback server is required as well.

The policy belongs to how an app is served, not to the fake: the in-process transports send the
client's own ``Host`` (``api.egp.scale.com``) and never meet it, even while the same fake is also
on a socket. :func:`serve_with` gives the app a server listens with: a fake's app enforces the
policy in its own front door (no extra step per request), any other app behind a thin wrapper.

The dashboard's static files, under :data:`DASHBOARD_PREFIX`, need no token for GET and HEAD:
the page reads the token from ``#token=`` in the URL it is opened with (a fragment never reaches
the server) and sends it with each ``fetch`` to the admin API, which still requires it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import FakeHTTPError
from .routing import ADMIN_PREFIX, DASHBOARD_PREFIX

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "ADMIN_TOKEN_ENV",
    "LOOPBACK_HOSTS",
    "AccessPolicy",
    "AccessRefused",
    "AdminTokenRequired",
    "CrossOriginRefused",
    "HostNotAllowed",
    "check_token",
    "is_loopback",
    "serve_with",
]

_LOOPBACK_ORDER = ("localhost", "127.0.0.1", "[::1]")
LOOPBACK_HOSTS = frozenset(_LOOPBACK_ORDER)
"""The names a loopback server answers to in ``Host`` (with any port), besides its own address."""

ADMIN_TOKEN_ENV = "SGP_FAKE_ADMIN_TOKEN"
"""The environment variable ``sgp-fake serve`` reads the admin token from."""


_READS = frozenset({"GET", "HEAD"})


class AccessRefused(FakeHTTPError):
    """A request the access policy refuses, answered before it reaches the fake."""

    async def send(self, send: Send) -> None:
        """Answer as the fake answers every error: ``{"detail": ...}`` JSON."""
        body = json.dumps({"detail": self.detail}, ensure_ascii=False, separators=(",", ":"))
        raw = body.encode()
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        headers += [(b"content-length", b"%d" % len(raw)), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": raw})


class HostNotAllowed(AccessRefused):
    """A loopback server was asked for another host: DNS rebinding, or a misconfigured client."""

    status_code = 400
    default_detail = "Invalid host header"


class AdminTokenRequired(AccessRefused):
    """An admin request without the server's admin token (401, ``WWW-Authenticate: Bearer``)."""

    status_code = 401
    default_detail = "The admin API needs a token: send 'Authorization: Bearer TOKEN'"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, {"www-authenticate": "Bearer"})


class CrossOriginRefused(AccessRefused):
    """An admin write sent by a page of another origin (403)."""

    status_code = 403
    default_detail = "Cross-origin admin request refused"


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` listens on loopback only (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # another name: it may resolve to anything, so treat it as exposed


def check_token(token: str) -> str:
    """``token`` if it can travel in an ``Authorization`` header, else ``ValueError``."""
    if not token or not all("!" <= c <= "~" for c in token):
        raise ValueError("an admin token must be non-empty printable ASCII without spaces")
    return token


def token_fragment(token: str) -> str:
    """The fragment of a dashboard URL carrying ``token``: ``#token=`` and the token
    percent-encoded, since the page reads the fragment as form data (``+`` there is a space,
    ``&`` ends the value)."""
    from urllib.parse import quote

    return "#token=" + quote(token, safe="")


def _host_name(value: bytes) -> bytes:
    """The host of a ``Host`` header value, without its port, lower-cased."""
    if value.endswith(b"]"):  # [::1], whose colons are not a port's
        return value.lower()
    name, colon, port = value.rpartition(b":")
    if not colon:
        return value.lower()
    if port.isdigit() or not port:  # bytes.isdigit: ASCII digits only
        return name.lower()
    return value  # not host[:port] (a bare IPv6 address, say): matches no name


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _same_origin(origin: bytes, host: bytes | None) -> bool:
    """Whether a browser's ``Origin`` is the origin the request was sent to."""
    if host is None:
        return False
    scheme, sep, rest = origin.lower().partition(b"://")
    # https too: a proxy may terminate TLS in front of the fake; the host and port must match.
    return bool(sep) and scheme in (b"http", b"https") and rest == host.lower()


def _shown(value: bytes, limit: int = 100) -> str:
    text = value.decode("latin-1")
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class AccessPolicy:
    """How a served fake guards its socket (see the module docstring).

    * ``allowed_hosts``: the host names (lower case, IPv6 in brackets, no port) ``Host`` may
      name; every request naming another is refused with 400, and admin writes from another
      browser origin with 403. ``None`` checks neither (a server bound beyond loopback).
    * ``admin_token``: what ``/_fake`` requests must send as ``Authorization: Bearer TOKEN``,
      compared in constant time; ``None`` asks for none.

    Build it with :meth:`for_bind`; apply it with :func:`serve_with`.
    """

    allowed_hosts: frozenset[str] | None = None
    admin_token: str | None = field(default=None, repr=False)  # a secret: not in logs
    _hosts: frozenset[bytes] | None = field(init=False, repr=False, compare=False)
    _token: bytes | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hosts = None
        if self.allowed_hosts is not None:
            hosts = frozenset(name.lower().encode("latin-1") for name in self.allowed_hosts)
        object.__setattr__(self, "_hosts", hosts)
        token = None if self.admin_token is None else check_token(self.admin_token).encode()
        object.__setattr__(self, "_token", token)

    @classmethod
    def for_bind(
        cls, host: str, admin_token: str | None = None, *, admin: bool = True
    ) -> AccessPolicy:
        """The policy of a server bound to ``host``.

        On loopback: the Host and Origin checks, and ``admin_token`` if one is given. Beyond
        loopback: no Host check, and the admin API needs ``admin_token``, or a token generated
        here (``secrets.token_urlsafe``) when none is given. ``admin=False`` (a server without
        the admin API) needs no token at all.
        """
        if not admin:
            admin_token = None
        if is_loopback(host):
            own = host.strip().lower()
            own = f"[{own.strip('[]')}]" if ":" in own else own
            return cls(LOOPBACK_HOSTS | {own}, admin_token)
        if admin and admin_token is None:
            admin_token = secrets.token_urlsafe(32)
        return cls(None, admin_token)

    def refusal(self, scope: Scope, admin: bool) -> AccessRefused | None:
        """Why the HTTP request ``scope`` must be refused, or ``None`` to serve it.

        ``admin`` says whether its path is under the admin prefix. Cheap when there is nothing
        to refuse: one header lookup and a set lookup for an SGP request.
        """
        hosts = self._hosts
        host = None
        if hosts is not None:
            host = _header(scope, b"host")
            # No Host at all is an HTTP/1.0 client, never a browser: nothing to rebind.
            if host is not None and _host_name(host) not in hosts:
                names = self.allowed_hosts or frozenset()
                allowed = ", ".join(
                    [n for n in _LOOPBACK_ORDER if n in names]
                    + sorted(names.difference(_LOOPBACK_ORDER))
                )
                return HostNotAllowed(
                    f"Invalid host header {_shown(host)!r}: this server is bound to loopback "
                    f"and answers only to {allowed} (any port)"
                )
        if not admin:
            return None
        reads = scope["method"] in _READS
        if hosts is not None and not reads:
            origin = _header(scope, b"origin")
            if origin is not None and not _same_origin(origin, host):
                return CrossOriginRefused(
                    f"Cross-origin admin request refused: a page of {_shown(origin)!r} may not "
                    "change this server"
                )
        if self._token is None or (reads and _is_dashboard(scope["path"])):
            return None
        return self._token_refusal(_header(scope, b"authorization"), self._token)

    @staticmethod
    def _token_refusal(sent: bytes | None, token: bytes) -> AdminTokenRequired | None:
        if sent is None:
            return AdminTokenRequired()
        scheme, _, credentials = sent.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(credentials.strip(), token):
            return AdminTokenRequired("Invalid admin token")
        return None


def _is_dashboard(path: str) -> bool:
    return path == DASHBOARD_PREFIX or path.startswith(DASHBOARD_PREFIX + "/")


class _Guarded:
    """Any ASGI app behind a policy (a fake's own app applies it in its front door instead)."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy
        self._admin_prefix = ADMIN_PREFIX

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.policy.refusal(scope, scope["path"].startswith(self._admin_prefix))
            if refusal is not None:
                await refusal.send(send)
                return
        await self.app(scope, receive, send)


def serve_with(app: ASGIApp, policy: AccessPolicy) -> ASGIApp:
    """``app`` as a server must run it under ``policy``; ``app`` itself is unchanged.

    A fake's app (:class:`~sgp_fake.app.FakeApp`) gives a twin that checks in its own front
    door and shares everything else, so in-process clients of the same fake are unaffected.
    """
    with_access = getattr(app, "with_access", None)
    if with_access is not None:
        served: ASGIApp = with_access(policy)
        return served
    return _Guarded(app, policy)
