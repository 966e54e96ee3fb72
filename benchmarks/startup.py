"""Section 3: start-up, from process start to the first 200 answered to a create.

The fake's standalone server as installed (``pip install .``, plain ``sgp-fake serve``)
against the pydantic reference under uvicorn, and against Prism (when node is present). As
installed, because that is what users start: the package's modules are compiled when pip
installs it, where a checkout run with ``python -m`` under ``PYTHONDONTWRITEBYTECODE`` (common
in containers) compiles every module again at each start, about 100 ms here.

Each repetition starts a fresh process, polling with a create every 2 ms until one is
answered 200; the runs alternate.
"""

from __future__ import annotations

from collections.abc import Callable

from common import Ratio, Section, alternate, median_range, ratios
from servers import (
    ServerSpec,
    ensure_node_tools,
    free_port,
    installed,
    installed_spec,
    prism_spec,
    reference_spec,
    running,
)


def _start(spec_of: Callable[[int], ServerSpec]) -> Callable[[], float]:
    def measure() -> float:
        with running(spec_of(free_port())) as seconds:
            return seconds

    return measure


def run(quick: bool) -> Section:
    section = Section("3. Start-up: process start to the first 200")
    reps = 5 if quick else 9
    installed()
    fake = _start(installed_spec)
    pyd = _start(lambda port: reference_spec("pydantic", port))
    fake()  # warm the file cache, so that the first measured run is not the slowest
    pyd()
    fake_t, pyd_t = alternate(fake, pyd, reps)
    section.add(
        Ratio(
            section.title,
            "sgp-fake serve / pydantic reference",
            ratios(fake_t, pyd_t),
            1.5,
            "le",
            note=f"{median_range(fake_t, 1000, ' ms')} vs {median_range(pyd_t, 1000, ' ms')}",
        )
    )
    reason = ensure_node_tools()
    if reason:
        section.lines.append(f"Prism not measured: {reason}.")
        return section
    prism = _start(prism_spec)
    prism()
    reps_prism = 3 if quick else 5
    fake_t2, prism_t = alternate(fake, prism, reps_prism)
    section.add(
        Ratio(
            section.title,
            "sgp-fake serve / Prism",
            ratios(fake_t2, prism_t),
            0.5,
            "lt",
            note=f"{median_range(fake_t2, 1000, ' ms')} vs {median_range(prism_t, 1000, ' ms')}",
        )
    )
    return section
