"""The README's "Using it from pytest" examples run as written: each Python block is a test
module, run by pytester as a user would run it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Using it from pytest"


def python_blocks() -> list[tuple[str, str]]:
    """(subsection title, code) of every Python block in the section."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    blocks = []
    title = "intro"
    for part in re.split(r"(?m)^(### .*)$", section):
        if part.startswith("### "):
            title = part[4:].strip()
            continue
        for code in re.findall(r"```python\n(.*?)```", part, re.DOTALL):
            blocks.append((title, code))
    return blocks


BLOCKS = python_blocks()


def test_every_subsection_has_an_example() -> None:
    titles = {title for title, _ in BLOCKS}
    assert {
        "Fixtures",
        "The official SDK clients",
        "Interception",
        "The live server",
        "The request journal",
        "Faults, retries and timeouts",
        "Factories",
        "Models and deployments",
        "Calling deployed models",
        "Deterministic mode",
        "Example payloads",
    } <= titles


@pytest.mark.parametrize(
    "code", [code for _, code in BLOCKS], ids=[f"{t}-{i}" for i, (t, _) in enumerate(BLOCKS)]
)
def test_the_example_runs(pytester: pytest.Pytester, code: str) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_readme_example=code)
    result = pytester.runpytest(
        "--strict-markers",
        "-p",
        "no:randomly",
        "-p",
        "no:schemathesis",
        "-p",
        "no:hypothesispytest",
        "-o",
        "asyncio_mode=strict",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert set(outcomes) <= {"passed"}, result.stdout.str()
