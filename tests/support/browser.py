"""Headless Chromium for the dashboard's tests, screenshots and benchmark.

Playwright drives the system's Chromium (Debian's ``chromium`` package); Playwright's own browser
download is never used. The flags keep Chromium off the network: without the background
networking flags it tries to reach Google's hosts at every start.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM_ENV = "SGP_FAKE_CHROMIUM"
"""Names the Chromium to use, where it is not ``/usr/bin/chromium`` nor on the ``PATH``."""

FLAGS = [
    "--headless",
    "--no-sandbox",  # as root (CI) Chromium refuses to start with its sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """The Chromium executable to drive, or ``None`` when there is none."""
    for candidate in (
        os.environ.get(CHROMIUM_ENV),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def why_no_browser() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[test]'"
    if find_chromium() is None:
        return (
            "no Chromium: install Debian's package (apt-get install chromium) or name one in "
            f"${CHROMIUM_ENV}"
        )
    return None


def launch(playwright: Playwright) -> Browser:
    """Start the system's Chromium, headless and off the network."""
    path = find_chromium()
    if path is None:
        raise RuntimeError(why_no_browser())
    return playwright.chromium.launch(executable_path=path, args=FLAGS)
