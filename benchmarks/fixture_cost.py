"""Section 4: what the pytest fixtures add to each test.

Generated suites of trivial tests, run by pytest in a fresh process: without fixtures, with
``sgp_fake`` + ``sgp_fake_client``, and with the live-server fixture (``sgp_fake_server``). The
added cost per test is the difference of neighbouring runs divided by the number of tests.

Every generated suite imports the fake, its resources and httpx up front (the fixtures otherwise
load them on first use: the resources with the first fake): a once-per-session cost, measured on
its own and reported beside the per-test figures. Each run is timed twice. The target is judged on
the time pytest spends running the tests (setup, call and teardown of every test, summed by a hook
in the suite's conftest): that is what a fixture adds to each test, including anything it does once
(an import, a session server started in the first test's setup and stopped in the last one's
teardown). The whole process's wall time is reported beside it: it also carries start-up and
collection, which cancel out between the variants in principle, but on a shared machine swing a
five-second run by several tenths of a millisecond per test.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import Ratio, Section, alternate, median_range

VARIANTS = {
    "baseline": "",
    "sgp_fake + sgp_fake_client": "sgp_fake, sgp_fake_client",
    "sgp_fake_server (live)": "sgp_fake_server",
}
# Milliseconds each variant may add per test.
TARGETS = {"sgp_fake + sgp_fake_client": 0.2, "sgp_fake_server (live)": 0.3}


# Sums the time of every test's run protocol (setup, call, teardown) and writes it out. Every
# suite, the baseline too, first imports what the fixtures load on first use (the fake, the
# resources the first fake imports, and httpx): that is paid once per session, however many
# tests use it, and is measured on its own (_import_seconds) rather than spread over the tests.
_TIMING_CONFTEST = """\
import os
import time

import httpx
import pytest

import sgp_fake.fake
import sgp_fake.resources

_total = [0.0]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.perf_counter()
    yield
    _total[0] += time.perf_counter() - started


def pytest_sessionfinish(session):
    with open(os.environ["SGP_FAKE_BENCH_TIMING"], "w") as out:
        out.write(repr(_total[0]))
"""


def _write_suite(folder: Path, arguments: str, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (folder / "conftest.py").write_text(_TIMING_CONFTEST)
    body = "\n".join(f"def test_{i}({arguments}):\n    pass\n" for i in range(n))
    (folder / "test_generated.py").write_text(body)


def _runner(folder: Path) -> tuple[float, float]:
    """(seconds running the tests, seconds of the whole process) of one run of the suite."""
    timing = folder / "timing.txt"
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-p",
        "no:xdist",
        str(folder),
    ]
    start = time.perf_counter()
    result = subprocess.run(
        args,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "SGP_FAKE_BENCH_TIMING": str(timing)},
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(
            f"generated suite failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return float(timing.read_text()), elapsed


def _import_seconds() -> float:
    """Seconds a pytest session spends importing what the fixtures load on first use."""
    code = (
        "import time, pytest; started = time.perf_counter(); "
        "import sgp_fake.fake, sgp_fake.resources, httpx; "
        "print(time.perf_counter() - started)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return float(result.stdout)


def run(quick: bool) -> Section:
    section = Section("4. Per-test cost of the pytest fixtures")
    n = 2000
    reps = 5 if quick else 9
    with tempfile.TemporaryDirectory(prefix="sgp-fake-bench-") as tmp:
        folders = {}
        for name, arguments in VARIANTS.items():
            folders[name] = Path(tmp) / name.split()[0]
            _write_suite(folders[name], arguments, n)
        base = folders["baseline"]
        _runner(base)  # warm-up: imports, bytecode
        section.lines.append(
            f"{n} generated trivial tests per run, {reps} alternating repetitions per variant. "
            "Judged on the time pytest spends running the tests (setup, call, teardown); the "
            "difference in the whole process's wall time is reported beside it."
        )
        imports = sorted(_import_seconds() for _ in range(reps))
        section.lines.append(
            "Once per session, not per test: importing the fake, its resources and httpx, which "
            "the fixtures "
            f"load on first use, takes {statistics.median(imports) * 1000:.0f} ms "
            f"({imports[0] * 1000:.0f}-{imports[-1] * 1000:.0f}); every generated suite, the "
            f"baseline too, does it up front (spread over {n} tests it would be "
            f"{statistics.median(imports) / n * 1000:.3f} ms each)."
        )
        for name in list(VARIANTS)[1:]:
            folder = folders[name]
            _runner(folder)
            runs: dict[str, list[float]] = {"with": [], "base": []}

            def measure(f: Path, key: str, runs: dict[str, list[float]] = runs) -> float:
                tests_time, wall = _runner(f)
                runs[key].append(wall)
                return tests_time

            with_t, base_t = alternate(
                lambda f=folder: measure(f, "with"), lambda: measure(base, "base"), reps
            )
            added = [(w - b) / n * 1000 for w, b in zip(with_t, base_t, strict=True)]
            added_wall = [
                (w - b) / n * 1000 for w, b in zip(runs["with"], runs["base"], strict=True)
            ]
            section.add(
                Ratio(
                    section.title,
                    f"{name}: added per test",
                    added,
                    TARGETS[name],
                    "lt",
                    unit=" ms",
                    note=f"running the tests: {median_range(with_t, 1, ' s')} vs baseline "
                    f"{median_range(base_t, 1, ' s')}",
                )
            )
            section.add(
                Ratio(
                    section.title,
                    f"{name}: added per test, whole process (wall clock)",
                    added_wall,
                    unit=" ms",
                    note=f"suite {median_range(runs['with'], 1, ' s')} vs baseline "
                    f"{median_range(runs['base'], 1, ' s')}",
                )
            )
    return section
