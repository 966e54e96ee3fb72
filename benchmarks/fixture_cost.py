"""Section 4: what the pytest fixtures add to each test.

Generated suites of trivial tests, run by pytest in a fresh process: without fixtures, with
``sgp_fake`` + ``sgp_fake_client``, and with the live-server fixture (``sgp_fake_server``). The
added cost per test is the difference of neighbouring runs divided by the number of tests; the
process start-up and collection of the same number of tests cancel out.
"""

from __future__ import annotations

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


def _write_suite(folder: Path, arguments: str, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    body = "\n".join(f"def test_{i}({arguments}):\n    pass\n" for i in range(n))
    (folder / "test_generated.py").write_text(body)


def _runner(folder: Path) -> float:
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
        args, cwd=folder, capture_output=True, text=True, timeout=600, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(
            f"generated suite failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return elapsed


def run(quick: bool) -> Section:
    section = Section("4. Per-test cost of the pytest fixtures")
    n = 2000
    reps = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="sgp-fake-bench-") as tmp:
        folders = {}
        for name, arguments in VARIANTS.items():
            folders[name] = Path(tmp) / name.split()[0]
            _write_suite(folders[name], arguments, n)
        base = folders["baseline"]
        _runner(base)  # warm-up: imports, bytecode
        section.lines.append(
            f"{n} generated trivial tests per run, {reps} alternating repetitions per variant."
        )
        for name in list(VARIANTS)[1:]:
            folder = folders[name]
            _runner(folder)
            with_t, base_t = alternate(lambda f=folder: _runner(f), lambda: _runner(base), reps)
            added = [(w - b) / n * 1000 for w, b in zip(with_t, base_t, strict=True)]
            section.add(
                Ratio(
                    section.title,
                    f"{name}: added per test",
                    added,
                    0.3,
                    "lt",
                    unit=" ms",
                    note=f"suite {median_range(with_t, 1, ' s')} vs baseline "
                    f"{median_range(base_t, 1, ' s')}",
                )
            )
    return section
