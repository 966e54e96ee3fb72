"""Whether this machine has an IPv6 loopback, for tests that serve on ``::1``."""

from __future__ import annotations

import socket

import pytest


def ipv6_loopback() -> bool:
    """Whether a socket can bind ``::1`` here."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not ipv6_loopback(), reason="this machine has no IPv6 loopback")
"""Skip a test where this machine has no IPv6 loopback."""
