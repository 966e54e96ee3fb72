"""Run every benchmark and write ``BENCHMARKS.md``.

    python benchmarks/run.py            # the full run (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick    # fewer, shorter repetitions (about 6 minutes)
    python benchmarks/run.py --only inprocess,scale --output partial.md

Needs the ``bench`` extra (``pip install -e '.[bench]'``: httptools and uvloop for uvicorn, the
official SDK, Playwright), installs wrk and Chromium with apt-get when they are missing, and Prism
and Steady with npm when node is present (into a cache folder, not the repository).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import os
import platform
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Ratio, Section, fmt

SECTIONS = [
    "inprocess",
    "loopback",
    "startup",
    "fixture_cost",
    "scale",
    "persistence",
    "dashboard",
    "spans",
    "memory",
    "gateway_peers",
]
NOTES = Path(__file__).resolve().parent / "NOTES.md"


def _versions() -> str:
    names = [
        "starlette",
        "pydantic",
        "pydantic-core",
        "uvicorn",
        "httptools",
        "uvloop",
        "httpx",
        "scale-gp",
    ]
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _verdict(ratio: Ratio) -> str:
    met = ratio.met
    if met is None:
        return "reported"
    return "met" if met else "**missed**"


def render(sections: list[Section], quick: bool, seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `python benchmarks/run.py"
        + (" --quick" if quick else "")
        + "`; rerun it to refresh this file. Every figure is a ratio of two things measured in "
        "the same run, alternating A and B over several repetitions: the median, with the "
        "smallest and largest repetition in brackets. Absolute times are shown only as context: "
        "the machine is shared and noisy, and they do not compare across runs.",
        "",
        f"- Run: {datetime.date.today().isoformat()}, {'quick' if quick else 'full'}, "
        f"{fmt(seconds / 60)} minutes",
        f"- Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}",
        f"- Packages: {_versions()}",
        "",
        "## Targets",
        "",
        "| Measure | Result | Target | Verdict |",
        "| --- | --- | --- | --- |",
    ]
    for section in sections:
        for ratio in section.ratios:
            if ratio.target is not None:
                lines.append(
                    f"| {section.title.split('.')[0]}. {ratio.name} | {ratio.text()} | "
                    f"{ratio.target_text()} | {_verdict(ratio)} |"
                )
        if section.pending:
            lines.append(f"| {section.title} | {section.pending} | | pending |")
    for section in sections:
        lines += ["", f"## {section.title}", ""]
        if section.pending:
            lines += [f"Not measured: {section.pending}.", ""]
        lines += [
            line + "  " if i < len(section.lines) - 1 else line
            for i, line in enumerate(section.lines)
        ]
        if section.ratios:
            lines += ["", "| Measure | Result | Target | Context |", "| --- | --- | --- | --- |"]
            for ratio in section.ratios:
                target = ratio.target_text() if ratio.target is not None else ""
                verdict = f" ({_verdict(ratio)})" if ratio.target is not None else ""
                lines.append(
                    f"| {ratio.name} | {ratio.text()} | {target}{verdict} | {ratio.note} |"
                )
    if NOTES.exists():
        lines += ["", NOTES.read_text().strip()]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks and write BENCHMARKS.md.")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repetitions")
    parser.add_argument("--only", help=f"comma-separated sections out of {','.join(SECTIONS)}")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"), help="report path")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else SECTIONS
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    sections: list[Section] = []
    for name in chosen:
        module = importlib.import_module(name)
        print(f"== {name}", flush=True)
        section_start = time.perf_counter()
        try:
            section: Section = module.run(args.quick)
        except Exception as exc:  # a broken section must not lose the others' results
            traceback.print_exc()
            section = Section(name, pending=f"failed: {type(exc).__name__}: {exc}")
        sections.append(section)
        for ratio in section.ratios:
            print(f"   {ratio.name}: {ratio.text()}  [{_verdict(ratio)}]  {ratio.note}", flush=True)
        print(f"   ({time.perf_counter() - section_start:.0f} s)", flush=True)
    report = render(sections, args.quick, time.perf_counter() - started)
    Path(args.output).write_text(report)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
