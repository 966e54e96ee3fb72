"""The foreground server behind ``sgp-fake serve``."""

from __future__ import annotations

import argparse
import logging
import socket
import sys

import uvicorn

from .fake import SGPFake
from .server import with_socket_faults

__all__ = ["READY_PREFIX", "serve"]

READY_PREFIX = "sgp-fake listening on "
"""The ready line is this prefix and the base URL, alone on a line of standard output."""


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            print(f"{READY_PREFIX}http://{shown}:{port}", flush=True)


def serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; return the exit status."""
    fake = SGPFake()
    config = uvicorn.Config(
        with_socket_faults(fake.app),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="off",
        access_log=args.log_level in ("info", "debug"),
    )
    server = _Server(config)
    try:
        server.run()
    except KeyboardInterrupt:  # pragma: no cover - uvicorn handles the signal itself
        pass
    logging.shutdown()
    return 0 if server.started else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(serve(argparse.Namespace(host="127.0.0.1", port=8000, log_level="info")))
