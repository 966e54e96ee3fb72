"""``sgp-fake``: run the fake as a standalone server."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (``sgp-fake --help``)."""
    parser = argparse.ArgumentParser(
        prog="sgp-fake",
        description="A stateful, spec-exact fake of the Scale GP API (model templates).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the fake over HTTP",
        description="Serve the fake over HTTP until interrupted (Ctrl-C or SIGTERM).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    serve.add_argument(
        "--port", type=int, default=8000, help="port to bind, 0 picks a free one (default: %(default)s)"
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log verbosity; 'info' logs one line per request (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sgp-fake`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help()
        return 2
    from .serve import serve

    return serve(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
