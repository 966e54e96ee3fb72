"""``sgp-fake``: run the fake as a standalone server.

This package holds the command line (its parser and :func:`main`, light to import);
:mod:`.serve` the server it runs and :mod:`.process` :class:`~.process.ServerProcess`, which
runs it in a child process (``python -m sgp_fake.cli``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Sequence

from ..settings import Identity, parse_api_key

__all__ = ["DEFAULT_PORT", "build_parser", "main"]

DEFAULT_PORT = 8000
"""The port generated SDK test suites expect their mock server on (Prism's default)."""

_DESCRIPTION = """\
A stateful, spec-exact fake of the Scale GP API, for tests in any language: the v4 model
lifecycle (templates, models, deployments and their inference), the OpenAI-style gateway
(/v5/chat/completions, /v5/completions, /v5/responses), /v5/models and the spans traces are
sent to.
"""

_SERVE_DESCRIPTION = """\
Serve the fake over HTTP until interrupted (Ctrl-C or SIGTERM; exit status 0).

Once listening it prints 'sgp-fake listening on URL' as the first line of standard output, for
scripts to wait for; bound beyond loopback, 'sgp-fake admin token: TOKEN' follows when the token
is generated, and, unless --no-admin, 'sgp-fake dashboard: URL/_fake/ui'. Requests are logged
to standard error, one line each, after a line naming the event loop and HTTP parser (uvloop
and httptools where installed). The admin API under
/_fake (reset, state, request journal, faults, rate limit, coverage, clock, statuses, traces,
scripted responses, resources) is described in URL/openapi.json; with it, a dashboard at
URL/_fake/ui.
"""

_SERVE_EPILOG = """\
API keys: without --api-key or --api-keys-file any non-empty x-api-key is accepted, as user
'user_sgp_fake' with access to every account. With them, only the keys given are accepted, each
as its identity:

  --api-key KEY                               user_sgp_fake, every account
  --api-key KEY=USER                          USER, every account
  --api-key KEY=USER:service_account          a service account, every account
  --api-key KEY=USER:user:acct_1,acct_2       USER, only these accounts

A keys file holds one such KEY[=...] per line (blank lines and # comments ignored), or a JSON
object {"KEY": {"user_id": ..., "identity_type": ..., "accounts": [...] or null}}.

Security: bound to loopback (the default), every request must name localhost, 127.0.0.1 or
[::1] in its Host header (400 otherwise, against DNS rebinding), and admin writes sent by a
browser page of another origin are refused (403). Bound beyond loopback (--host 0.0.0.0), the
admin API needs 'Authorization: Bearer TOKEN' (401 otherwise): the token of --admin-token or
$SGP_FAKE_ADMIN_TOKEN, else one generated and printed on the line after the ready line,
'sgp-fake admin token: TOKEN'. A token given on loopback is required too.

Examples:
  sgp-fake serve                              # http://127.0.0.1:8000
  sgp-fake serve --port 4010 --contract       # where generated SDK suites expect Prism
  sgp-fake serve --port 0 --contract          # any free port; made-up ids answer
  sgp-fake serve --state-file fake.db --seed-file templates.json
  sgp-fake serve --host 0.0.0.0 --port 8000   # a CI service: the admin API needs the token
"""


def _api_key(spec: str) -> tuple[str, Identity]:
    try:
        return parse_api_key(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _admin_token(value: str) -> str:
    from ..core.access import check_token

    try:
        return check_token(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        # argparse would say "invalid _port value", naming this function.
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0 to 65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("must be 0 to 65535")
    return port


def _gateway_model(value: str) -> str:
    from ..resources.gateway.catalog import check_name

    try:
        return check_name(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        # argparse would say "invalid _seconds value", naming this function.
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError("must be a non-negative number of seconds")
    return seconds


class _Version(argparse.Action):
    """``--version``: the installed distribution's version, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        # importlib.metadata costs every start of the server about 30 ms; only --version needs it.
        from importlib.metadata import version

        print(f"{parser.prog} {version('sgp-fake')}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (``sgp-fake --help``)."""
    parser = argparse.ArgumentParser(
        prog="sgp-fake",
        description=_DESCRIPTION,
        epilog="Run 'sgp-fake serve --help' for the server's options.",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the fake over HTTP (with --port 4010, a drop-in for an OpenAPI mock server)",
        description=_SERVE_DESCRIPTION,
        epilog=_SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    net = serve.add_argument_group("network")
    net.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    net.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help="port to bind; 0 picks a free one, shown in the ready line (default: %(default)s)",
    )
    auth = serve.add_argument_group("authentication")
    auth.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        type=_api_key,
        default=[],
        metavar="KEY[=USER[:TYPE[:ACCOUNT,...]]]",
        help="accept this API key as this identity (repeatable; see below)",
    )
    auth.add_argument(
        "--api-keys-file",
        metavar="PATH",
        help="accept the API keys listed in this file (see below)",
    )
    auth.add_argument(
        "--admin-token",
        type=_admin_token,
        metavar="TOKEN",
        help="the admin API requires 'Authorization: Bearer TOKEN' (default: "
        "$SGP_FAKE_ADMIN_TOKEN; bound beyond loopback without one, a token is generated and "
        "printed after the ready line; see below)",
    )
    state = serve.add_argument_group("state")
    state.add_argument(
        "--state-file",
        metavar="PATH",
        help="keep every record in this SQLite file, durable before each answer, so they "
        "survive restarts and crashes (created when missing; default: in memory only)",
    )
    state.add_argument(
        "--seed-file",
        metavar="PATH",
        help='preload the records of this JSON file ({"model_templates": [...], "models": '
        '[...], "deployments": [...]} as GET /_fake/state returns it, or a bare list of '
        "templates as the API answers them, id, created_at and created_by_user_id included); "
        "with --state-file, only when the state file is new",
    )
    behaviour = serve.add_argument_group("behaviour")
    behaviour.add_argument(
        "--strict",
        action="store_true",
        help="reject unknown request fields and query parameters with pydantic's "
        "extra_forbidden 422 (the real service ignores them)",
    )
    behaviour.add_argument(
        "--contract",
        action="store_true",
        help="SDK contract mode: an id that does not exist answers as if it existed in the "
        "caller's account (and a create under an unknown parent answers, storing nothing), for "
        "test suites written against stateless mock servers; requests are still validated "
        "exactly",
    )
    behaviour.add_argument(
        "--latency",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait this long before handling each SGP request (default: %(default)s)",
    )
    behaviour.add_argument(
        "--deployment-ready-after",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="a model deployment created or reconfigured with wait_for_ready false stays "
        "PENDING this many seconds of the fake's clock, then is READY (default: %(default)s: "
        "READY from the next request on; POST /_fake/clock moves the clock)",
    )
    behaviour.add_argument(
        "--gateway-model",
        dest="gateway_models",
        action="append",
        type=_gateway_model,
        default=[],
        metavar="VENDOR/NAME",
        help="the OpenAI-style gateway (/v5/chat/completions, ...) also serves this model "
        "(repeatable; its built-in catalog of hosted models, such as openai/gpt-4o-mini, is "
        "served too unless --no-builtin-models)",
    )
    behaviour.add_argument(
        "--no-builtin-models",
        dest="gateway_builtin_models",
        action="store_false",
        help="the gateway serves only the --gateway-model models (and /v5/models records)",
    )
    behaviour.add_argument(
        "--no-admin",
        dest="admin",
        action="store_false",
        help="turn the admin API off: every /_fake route answers 404, and keep no journal or "
        "coverage (nothing could read them)",
    )
    output = serve.add_argument_group("output")
    output.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log verbosity on standard error; 'info' and 'debug' log one line per request "
        "(default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sgp-fake`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help(sys.stderr)
        return 2
    from .serve import serve

    return serve(args)
